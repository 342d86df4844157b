// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "view.h"

void view__fmt_duration(char *buf, size_t len, int64_t ns)
{
	if (ns < 0)
		snprintf(buf, len, "?");
	else if (ns < 1000)
		snprintf(buf, len, "%" PRId64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.3f us", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.3f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3f s", ns / 1e9);
}

int view__parse_time(const char *s, int64_t origin_ns, int64_t *out)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1 } };
	long long ll;
	char *end;
	double d;
	size_t i;

	if (!s || !*s)
		return -EINVAL;
	/* a bare integer that large can only be an epoch timestamp (kept exact) */
	errno = 0;
	ll = strtoll(s, &end, 10);
	if (!*end && !errno && ll > 1000000000000000LL) {
		*out = ll;
		return 0;
	}
	d = strtod(s, &end);
	if (end == s || d < 0)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		*out = origin_ns + (int64_t)(d * units[i].scale + 0.5);
		return 0;
	}
	return -EINVAL;
}

void view__print_rate_limits(struct view *v, FILE *out)
{
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(v->db,
			       "SELECT coalesce(f.name, '#' || r.function_id), r.time_ns, r.calls,"
			       " r.window_ns, r.max_calls_per_sec, r.removed_ns FROM rate_limit r"
			       " LEFT JOIN function f ON f.id = r.function_id ORDER BY r.time_ns, r.id",
			       -1, &q, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(q) == SQLITE_ROW) {
		char at[32], win[32];

		view__fmt_duration(at, sizeof(at), sqlite3_column_int64(q, 1) - v->origin_ns);
		view__fmt_duration(win, sizeof(win), sqlite3_column_int64(q, 3));
		fprintf(out, "# rate limit: %s not traced from +%s on (%lld calls in %s, over %lld/s)%s\n",
			(const char *)sqlite3_column_text(q, 0), at,
			(long long)sqlite3_column_int64(q, 2), win,
			(long long)sqlite3_column_int64(q, 4),
			sqlite3_column_type(q, 5) == SQLITE_NULL ? "; probes kept, events dropped" : "");
	}
	sqlite3_finalize(q);
}

void view__print_notes(struct view *v, FILE *out)
{
	const struct view_session *s = &v->session;
	bool unfinished = s->state && !strcmp(s->state, "recording");
	int64_t all = s->events + s->events_lost;

	if (unfinished)
		fprintf(out, "# incomplete trace: rstrace did not finish it (killed, or it could "
			"not write); frames, threads and counts are as of its last commit, calls "
			"running then show as open\n");
	if (s->events_lost > 0)
		fprintf(out, "# %" PRId64 " of %" PRId64 " events lost (ring buffer full, %.1f%%)%s: "
			"'⋯ N events lost' marks where, '⋯ f(…)' a call whose caller was lost, "
			"'lost' a call whose end was\n",
			s->events_lost, all, 100.0 * s->events_lost / all,
			unfinished ? " by the last commit" : "");
}
