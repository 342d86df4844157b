// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

struct fstat {
	const struct view_func *func;
	int64_t calls;
	int64_t
	    total_ns; /* inclusive, counted once per outermost call (no recursion double count) */
	int64_t sum_ns;	  /* inclusive, every call: the average's numerator */
	int64_t self_ns;
	int64_t max_ns;
	int64_t errors; /* returned Err(..) or unwound by a panic */
	int active;	/* calls of it on the current stack */
};

struct report_ctx {
	struct view *v;
	struct fstat *st; /* one per v->funcs entry, plus one for unknown ids */
	int64_t frames, estimated, threads;
	enum report_sort sort;
};

static const struct {
	const char *name;
	enum report_sort key;
} sort_keys[] = {
	{ "total", REPORT_SORT_TOTAL }, { "self", REPORT_SORT_SELF },
	{ "calls", REPORT_SORT_CALLS }, { "avg", REPORT_SORT_AVG },
	{ "max", REPORT_SORT_MAX },	{ "errors", REPORT_SORT_ERRORS },
	{ "name", REPORT_SORT_NAME },
};

int report__parse_sort(const char *s, enum report_sort *out)
{
	size_t i;

	for (i = 0; i < sizeof(sort_keys) / sizeof(sort_keys[0]); i++) {
		if (!strcmp(s, sort_keys[i].name)) {
			*out = sort_keys[i].key;
			return 0;
		}
	}
	return -EINVAL;
}

static struct fstat *stat_of(struct report_ctx *c, const struct view_func *f)
{
	/* view__walk hands out pointers into v->funcs, or its one placeholder */
	if (f >= c->v->funcs && f < c->v->funcs + c->v->nfuncs)
		return &c->st[f - c->v->funcs];
	c->st[c->v->nfuncs].func = f;
	return &c->st[c->v->nfuncs];
}

static int thread_begin(void *ctx, const struct view_thread *t)
{
	((struct report_ctx *)ctx)->threads++;
	(void)t;
	return 0;
}

static int enter(void *ctx, struct view_frame *f, struct view_frame *stack)
{
	struct fstat *s = stat_of(ctx, f->func);

	s->calls++;
	s->active++;
	(void)stack;
	return 0;
}

static int leave(void *ctx, struct view_frame *f, struct view_frame *stack)
{
	struct report_ctx *c = ctx;
	struct fstat *s = stat_of(c, f->func);
	int64_t dur = f->end_ns - f->entry_ns;

	c->frames++;
	c->estimated += f->end_estimated;
	s->sum_ns += dur;
	s->self_ns += dur - f->child_ns;
	if (dur > s->max_ns)
		s->max_ns = dur;
	if (--s->active == 0)
		s->total_ns += dur;
	if (f->status == FS_UNWOUND || view__ret_is_err(f->ret))
		s->errors++;
	(void)stack;
	return 0;
}

static int64_t key_of(const struct fstat *s, enum report_sort k)
{
	switch (k) {
	case REPORT_SORT_TOTAL:
		return s->total_ns;
	case REPORT_SORT_SELF:
		return s->self_ns;
	case REPORT_SORT_CALLS:
		return s->calls;
	case REPORT_SORT_AVG:
		return s->calls ? s->sum_ns / s->calls : 0;
	case REPORT_SORT_MAX:
		return s->max_ns;
	case REPORT_SORT_ERRORS:
		return s->errors;
	case REPORT_SORT_NAME:
		break;
	}
	return 0;
}

/* Largest first; ties (and --sort name) by name, then id, so output is stable. */
static int cmp_stat(const void *a, const void *b, void *arg)
{
	const struct fstat *x = *(const struct fstat *const *)a,
			   *y = *(const struct fstat *const *)b;
	enum report_sort k = *(const enum report_sort *)arg;
	int64_t kx = key_of(x, k), ky = key_of(y, k);
	int c;

	if (kx != ky)
		return kx > ky ? -1 : 1;
	c = strcmp(x->func->name, y->func->name);
	if (c)
		return c;
	return x->func->id < y->func->id ? -1 : x->func->id > y->func->id;
}

int report__print(struct view *v, const struct report_opts *o, FILE *out)
{
	struct report_ctx c = { .v = v, .sort = o->sort };
	struct view_walk_opts wo = { .tid = o->tid };
	struct view_walk_ops ops = { .thread_begin = thread_begin, .enter = enter, .leave = leave };
	struct fstat **rows = NULL;
	size_t i, n = 0;
	int err;

	c.st = calloc(v->nfuncs + 1, sizeof(*c.st));
	rows = calloc(v->nfuncs + 1, sizeof(*rows));
	if (!c.st || !rows) {
		err = -ENOMEM;
		fprintf(stderr, "rstrace report: out of memory for %zu functions of %s\n",
			v->nfuncs, v->path);
		goto cleanup;
	}
	for (i = 0; i < v->nfuncs; i++)
		c.st[i].func = &v->funcs[i];
	err = view__walk(v, &wo, &ops, &c);
	if (err)
		goto cleanup;
	for (i = 0; i <= v->nfuncs; i++)
		if (c.st[i].calls)
			rows[n++] = &c.st[i];
	qsort_r(rows, n, sizeof(*rows), cmp_stat, (void *)&o->sort);
	view__print_notes(v, out);
	fprintf(out, "# %" PRId64 " frames, %zu functions, %" PRId64 " thread%s\n", c.frames, n,
		c.threads, c.threads == 1 ? "" : "s");
	fprintf(out, "%12s %12s %10s %12s %12s %7s  %s\n", "Total time", "Self time", "Calls",
		"Avg time", "Max time", "Errors", "Function");
	fprintf(out, "%12s %12s %10s %12s %12s %7s  %s\n", "==========", "==========", "=====",
		"==========", "==========", "======", "========");
	for (i = 0; i < n; i++) {
		const struct fstat *s = rows[i];
		char tot[32], self[32], avg[32], max[32];

		view__fmt_duration(tot, sizeof(tot), s->total_ns);
		view__fmt_duration(self, sizeof(self), s->self_ns);
		view__fmt_duration(avg, sizeof(avg), s->sum_ns / s->calls);
		view__fmt_duration(max, sizeof(max), s->max_ns);
		fprintf(out, "%12s %12s %10" PRId64 " %12s %12s %7" PRId64 "  %s\n", tot, self,
			s->calls, avg, max, s->errors, s->func->name);
	}
	if (c.estimated)
		fprintf(out,
			"# %" PRId64 " frame%s without an exit (unwound, no_exit, lost, open or "
			"detached): their time runs to the next event outside them on their thread\n",
			c.estimated, c.estimated == 1 ? "" : "s");
	view__print_rate_limits(v, out);
	if (ferror(out)) {
		fprintf(stderr, "rstrace report: cannot write the report: %s\n", strerror(errno));
		err = -EIO;
	}
cleanup:
	free(c.st);
	free(rows);
	return err;
}
