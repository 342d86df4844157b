// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "firedbg.h"
#include "grow.h"
#include "view.h"
#include "view_internal.h"

static char *dup_col(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	return t ? strdup((const char *)t) : NULL;
}

int64_t view_int_col(sqlite3_stmt *q, int i, int64_t dflt)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(q, i);
}

static int prepare(struct view *v, const char *sql, sqlite3_stmt **q, char *err, size_t errlen)
{
	int rc = sqlite3_prepare_v2(v->db, sql, -1, q, NULL);

	if (rc == SQLITE_OK)
		return 0;
	snprintf(err, errlen,
		 "%s is not an rstrace trace database or is damaged (%s); record it again with "
		 "rstrace record -o %s -- CMD",
		 v->path, sqlite3_errmsg(v->db), v->path);
	return -EINVAL;
}

static int has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *q;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
			       -1, &q, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

int view_has_column(sqlite3 *db, const char *table, const char *col)
{
	sqlite3_stmt *q;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_xinfo(?1) WHERE name = ?2", -1, &q,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, col, -1, SQLITE_STATIC);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

/*
 * Traces written before the FireDBG views existed get them (and the indexes
 * our queries need) on first read. That needs a writable connection; a trace
 * we may not write is still readable, only slower to query, so this is a note.
 */
static void upgrade(struct view *v)
{
	sqlite3 *rw = NULL;
	int rc;

	if (firedbg__views_current(v->db))
		return;
	rc = sqlite3_open_v2(v->path, &rw, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(rw, 5000);
		if (firedbg__create_views(rw) == 0) {
			sqlite3_close(rw);
			return;
		}
	}
	fprintf(stderr,
		"rstrace: note: could not add the FireDBG views and indexes to %s (%s); "
		"reading it anyway. Run rstrace as a user who may write the file to add them.\n",
		v->path, rw ? sqlite3_errmsg(rw) : "out of memory");
	sqlite3_close(rw);
}

static int cmp_func(const void *a, const void *b)
{
	const struct view_func *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int load_functions(struct view *v, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	size_t cap = 0;
	int rc, e;

	e = prepare(v, "SELECT id, name, crate, file, line FROM function ORDER BY id", &q, err,
		    errlen);
	if (e)
		return e;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct view_func *f;

		if (v->nfuncs == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct view_func *nf = realloc(v->funcs, ncap * sizeof(*nf));

			if (!nf) {
				e = -ENOMEM;
				goto cleanup;
			}
			v->funcs = nf;
			cap = ncap;
		}
		f = &v->funcs[v->nfuncs++];
		memset(f, 0, sizeof(*f));
		f->id = sqlite3_column_int64(q, 0);
		f->name = dup_col(q, 1);
		f->crate = dup_col(q, 2);
		f->file = dup_col(q, 3);
		f->line = (int)view_int_col(q, 4, 0);
		if (!f->name)
			f->name = strdup("<unnamed>");
		if (!f->name) {
			e = -ENOMEM;
			goto cleanup;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot read the functions of %s: %s", v->path,
			 sqlite3_errmsg(v->db));
		e = -EIO;
		goto cleanup;
	}
	/* ORDER BY id already sorts; kept for traces written by other tools */
	qsort(v->funcs, v->nfuncs, sizeof(*v->funcs), cmp_func);
cleanup:
	sqlite3_finalize(q);
	if (e == -ENOMEM)
		snprintf(err, errlen, "out of memory loading the functions of %s", v->path);
	return e;
}

static int load_session(struct view *v)
{
	struct view_session *s = &v->session;
	sqlite3_stmt *q;

	s->exit_status = -1;
	if (!has_table(v->db, "session"))
		return 0;
	if (sqlite3_prepare_v2(v->db,
			       view_has_column(v->db, "session", "state")
				   ? "SELECT command, binary, tool_version, pid, start_ns, end_ns,"
				     " exit_status, events, events_lost, state FROM session"
				     " ORDER BY id LIMIT 1"
				   : "SELECT command, binary, tool_version, pid, start_ns, end_ns,"
				     " exit_status, events, events_lost, NULL FROM session"
				     " ORDER BY id LIMIT 1",
			       -1, &q, NULL) != SQLITE_OK)
		return 0; /* an older session table: the views work without it */
	if (sqlite3_step(q) == SQLITE_ROW) {
		s->present = true;
		s->command = dup_col(q, 0);
		s->binary = dup_col(q, 1);
		s->version = dup_col(q, 2);
		s->pid = view_int_col(q, 3, 0);
		s->start_ns = view_int_col(q, 4, 0);
		s->end_ns = view_int_col(q, 5, 0);
		s->exit_status = (int)view_int_col(q, 6, -1);
		s->events = view_int_col(q, 7, 0);
		s->events_lost = view_int_col(q, 8, 0);
		s->state = dup_col(q, 9);
	}
	sqlite3_finalize(q);
	return 0;
}

/*
 * Threads: the distinct frame.thread_id values, found by a skip scan of the
 * frame_thread index (one seek per thread, not a pass over every frame), in
 * the order of their first call; names and times from the thread table.
 */
static int load_threads(struct view *v, char *err, size_t errlen)
{
	sqlite3_stmt *next = NULL, *first = NULL, *info = NULL;
	bool have_table = has_table(v->db, "thread");
	size_t cap = 0, i, j;
	int64_t tid = INT64_MIN;
	int e;

	e = prepare(v, "SELECT min(thread_id) FROM frame WHERE thread_id > ?", &next, err, errlen);
	if (!e)
		e = prepare(v,
			    "SELECT entry_ns FROM frame WHERE thread_id = ?"
			    " ORDER BY entry_ns, id LIMIT 1",
			    &first, err, errlen);
	if (!e && have_table)
		e = prepare(v,
			    view_has_column(v->db, "thread", "events_lost")
				? "SELECT name, first_ns, last_ns, events_lost FROM thread"
				  " WHERE tid = ?"
				: "SELECT name, first_ns, last_ns, 0 FROM thread WHERE tid = ?",
			    &info, err, errlen);
	if (e)
		goto cleanup;
	for (;;) {
		struct view_thread *t;

		sqlite3_bind_int64(next, 1, tid);
		if (sqlite3_step(next) != SQLITE_ROW || sqlite3_column_type(next, 0) == SQLITE_NULL)
			break;
		tid = sqlite3_column_int64(next, 0);
		sqlite3_reset(next);
		if (v->nthreads == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct view_thread *nt = realloc(v->threads, ncap * sizeof(*nt));

			if (!nt) {
				e = -ENOMEM;
				goto cleanup;
			}
			v->threads = nt;
			cap = ncap;
		}
		t = &v->threads[v->nthreads++];
		memset(t, 0, sizeof(*t));
		t->tid = tid;
		sqlite3_bind_int64(first, 1, tid);
		if (sqlite3_step(first) == SQLITE_ROW)
			t->first_ns = sqlite3_column_int64(first, 0);
		sqlite3_reset(first);
		if (info) {
			sqlite3_bind_int64(info, 1, tid);
			if (sqlite3_step(info) == SQLITE_ROW) {
				t->name = dup_col(info, 0);
				t->last_ns = view_int_col(info, 2, 0);
				t->events_lost = view_int_col(info, 3, 0);
			}
			sqlite3_reset(info);
		}
	}
	/* insertion sort by first call: few threads, and stable for equal times */
	for (i = 1; i < v->nthreads; i++) {
		struct view_thread t = v->threads[i];

		for (j = i; j > 0 && v->threads[j - 1].first_ns > t.first_ns; j--)
			v->threads[j] = v->threads[j - 1];
		v->threads[j] = t;
	}
cleanup:
	sqlite3_finalize(next);
	sqlite3_finalize(first);
	sqlite3_finalize(info);
	if (e == -ENOMEM)
		snprintf(err, errlen, "out of memory loading the threads of %s", v->path);
	return e;
}

static void setup_panics(struct view *v)
{
	/*
	 * Issue C may add a panic table; its exact columns are not settled, so
	 * use it only when it has the two we need.
	 */
	if (!has_table(v->db, "panic") || !view_has_column(v->db, "panic", "frame_id") ||
	    !view_has_column(v->db, "panic", "message"))
		return;
	if (sqlite3_prepare_v2(v->db,
			       view_has_column(v->db, "panic", "location")
				   ? "SELECT coalesce(message, 'panicked') || coalesce(' at ' ||"
				     " location, '') FROM panic WHERE frame_id = ? ORDER BY id"
				     " LIMIT 1"
				   : "SELECT message FROM panic WHERE frame_id = ? ORDER BY id"
				     " LIMIT 1",
			       -1, &v->panic_q, NULL) != SQLITE_OK)
		v->panic_q = NULL;
}

int view__open(const char *path, struct view **out, char *err, size_t errlen)
{
	struct view *v;
	int rc, e = 0;

	*out = NULL;
	v = calloc(1, sizeof(*v));
	if (!v || !(v->path = strdup(path))) {
		free(v);
		snprintf(err, errlen, "out of memory opening %s", path);
		return -ENOMEM;
	}
	/* READONLY: never create an empty database from a mistyped name */
	if (access(path, R_OK)) {
		e = -errno;
		snprintf(err, errlen, "cannot read trace %s: %s%s", path, strerror(-e),
			 e == -ENOENT ? " (rstrace record -o FILE -- CMD writes one)" : "");
		goto cleanup;
	}
	rc = sqlite3_open_v2(path, &v->db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open trace %s: %s", path,
			 v->db ? sqlite3_errmsg(v->db) : sqlite3_errstr(rc));
		e = -EIO;
		goto cleanup;
	}
	sqlite3_busy_timeout(v->db, 5000);
	if (!has_table(v->db, "frame") || !has_table(v->db, "function")) {
		snprintf(err, errlen,
			 "%s has no frame/function tables: not a trace written by rstrace record "
			 "(check the file name)",
			 path);
		e = -EINVAL;
		goto cleanup;
	}
	upgrade(v);
	e = load_functions(v, err, errlen);
	if (!e)
		e = load_session(v);
	if (!e)
		e = load_threads(v, err, errlen);
	if (e)
		goto cleanup;
	setup_panics(v);
	v->origin_ns = v->session.start_ns;
	if (!v->origin_ns && v->nthreads)
		v->origin_ns = v->threads[0].first_ns;
	*out = v;
	return 0;
cleanup:
	view__close(v);
	return e;
}

void view__close(struct view *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->nfuncs; i++) {
		free(v->funcs[i].name);
		free(v->funcs[i].crate);
		free(v->funcs[i].file);
	}
	free(v->funcs);
	for (i = 0; i < v->nthreads; i++)
		free(v->threads[i].name);
	free(v->threads);
	free(v->session.command);
	free(v->session.binary);
	free(v->session.version);
	free(v->session.state);
	sqlite3_finalize(v->panic_q);
	sqlite3_close(v->db);
	free(v->path);
	free(v);
}

const struct view_func *view__func(const struct view *v, int64_t id)
{
	size_t lo = 0, hi = v->nfuncs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v->funcs[mid].id < id)
			lo = mid + 1;
		else if (v->funcs[mid].id > id)
			hi = mid;
		else
			return &v->funcs[mid];
	}
	return NULL;
}

const struct view_thread *view__thread(const struct view *v, int64_t tid)
{
	size_t i;

	for (i = 0; i < v->nthreads; i++)
		if (v->threads[i].tid == tid)
			return &v->threads[i];
	return NULL;
}

char *view__panic_message(struct view *v, int64_t frame_id)
{
	char *msg = NULL;

	if (!v->panic_q)
		return NULL;
	sqlite3_bind_int64(v->panic_q, 1, frame_id);
	if (sqlite3_step(v->panic_q) == SQLITE_ROW)
		msg = dup_col(v->panic_q, 0);
	sqlite3_reset(v->panic_q);
	return msg;
}

int view__gaps(struct view *v, int64_t tid, struct view_gap **out, size_t *n)
{
	struct view_gap *g = NULL;
	sqlite3_stmt *q;
	int cap = 0, e = 0;

	*out = NULL;
	*n = 0;
	if (!has_table(v->db, "gap") ||
	    sqlite3_prepare_v2(v->db,
			       "SELECT coalesce(before_ns, 9223372036854775807), events FROM gap"
			       " WHERE thread_id = ? ORDER BY 1, id",
			       -1, &q, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(q, 1, tid);
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct view_gap *ng = grow_array(g, &cap, (int)*n + 1, sizeof(*ng));

		if (!ng) {
			e = -ENOMEM;
			break;
		}
		g = ng;
		g[*n].before_ns = sqlite3_column_int64(q, 0);
		g[(*n)++].events = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if (e) {
		free(g);
		*n = 0;
		return e;
	}
	*out = g;
	return 0;
}
