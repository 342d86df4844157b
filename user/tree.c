// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "grow.h"
#include "rustfmt.h"
#include "target.h"
#include "tree.h"

#define C_RESET "\033[0m"
#define C_NAME "\033[1m"
#define C_SLOW "\033[33m"
#define C_VERY_SLOW "\033[31m"
#define C_BAD "\033[1;31m"
#define C_DIM "\033[2m"

struct tree_ctx {
	struct view *v;
	const struct tree_opts *o;
	FILE *out;
	struct strbuf line;
	/* per stack level: depth of the outermost matching ancestor-or-self, -1 none */
	int *root;
	int cap;
	bool thread_shown, any_shown;
	const struct view_thread *thread;
	struct view_gap *gaps; /* the thread's lost events, in time order */
	size_t ngaps, gap; /* gaps[gap] is the first not shown yet */
	int err;
};

static const char *col(const struct tree_ctx *c, const char *code)
{
	return c->o->color ? code : "";
}

static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void tree__value(struct strbuf *sb, const struct view_value *val, int max)
{
	const char *s = val->value;
	size_t n, chars = 0;

	if (!s && val->fields) {
		/* not Debug output: the contents rstrace read, marked with ~ */
		sb_putc(sb, '~');
		s = val->fields;
		max = max > 1 ? max - 1 : max;
	}
	if (!s) {
		sb_putc(sb, '?');
		return;
	}
	if (max <= 0 || utf8_len(s) <= (size_t)max) {
		sb_puts(sb, s);
		if (val->truncated)
			sb_puts(sb, "…");
		return;
	}
	/* cut at a character boundary, leaving room for the ellipsis */
	for (n = 0; s[n]; n++) {
		if (((unsigned char)s[n] & 0xc0) != 0x80 && chars++ == (size_t)max - 1)
			break;
	}
	sb_putn(sb, s, n);
	sb_puts(sb, "…");
}

struct fmt {
	struct strbuf *sb;
	bool color;
	int max_value;
};

static const char *fcol(const struct fmt *f, const char *code)
{
	return f->color ? code : "";
}

static void put_args(const struct fmt *ft, const char *json)
{
	struct view_values vv;
	int i;

	if (view__parse_values(json, false, &vv)) {
		sb_puts(ft->sb, "?");
		return;
	}
	for (i = 0; i < vv.n; i++) {
		bool err = view__value_is_err(&vv.v[i]);
		bool raw = !vv.v[i].value && vv.v[i].fields;

		if (i)
			sb_puts(ft->sb, ", ");
		sb_printf(ft->sb, "%s=", vv.v[i].name ? vv.v[i].name : "_");
		if (err || raw)
			sb_puts(ft->sb, fcol(ft, err ? C_BAD : C_DIM));
		tree__value(ft->sb, &vv.v[i], ft->max_value);
		if (err || raw)
			sb_puts(ft->sb, fcol(ft, C_RESET));
	}
	view__values_free(&vv);
}

static void put_ret(const struct fmt *ft, struct view *v, const struct view_frame *f)
{
	struct view_values vv;
	char *msg;

	if (!frame_status__returned(f->status)) {
		sb_printf(ft->sb, " -> %s!%s%s", fcol(ft, C_BAD), frame_status__name(f->status),
			  fcol(ft, C_RESET));
		msg = f->status == FS_UNWOUND && v ? view__panic_message(v, f->id) : NULL;
		if (msg)
			sb_printf(ft->sb, " (panicked: %s)", msg);
		free(msg);
		return;
	}
	if (!f->ret)
		return;
	if (view__parse_values(f->ret, true, &vv) || vv.n != 1) {
		sb_puts(ft->sb, " -> ?");
		view__values_free(&vv);
		return;
	}
	/* () says nothing; DWARF cannot tell it from a unit struct, so both stay quiet */
	if (!vv.v[0].type || strcmp(vv.v[0].type, "()")) {
		bool err = view__value_is_err(&vv.v[0]);
		bool raw = !vv.v[0].value && vv.v[0].fields;

		sb_printf(ft->sb, " -> %s", err ? fcol(ft, C_BAD) : raw ? fcol(ft, C_DIM) : "");
		tree__value(ft->sb, &vv.v[0], ft->max_value);
		if (err || raw)
			sb_puts(ft->sb, fcol(ft, C_RESET));
	}
	view__values_free(&vv);
}

void tree__format_call(struct strbuf *sb, struct view *v, const struct view_frame *f,
		       int max_value, bool color)
{
	struct fmt ft = { sb, color, max_value };

	sb_printf(sb, "%s%s%s(", fcol(&ft, C_NAME), f->func->name, fcol(&ft, C_RESET));
	put_args(&ft, f->args);
	sb_putc(sb, ')');
	put_ret(&ft, v, f);
}

static int thread_begin(void *ctx, const struct view_thread *t)
{
	struct tree_ctx *c = ctx;

	c->thread = t;
	c->thread_shown = false;
	free(c->gaps);
	c->gap = 0;
	return view__gaps(c->v, t->tid, &c->gaps, &c->ngaps);
}

/* "⋯ N events lost" for the thread's gaps before `until`, at the indentation of what follows. */
static int put_gaps(struct tree_ctx *c, int64_t until, int rel)
{
	int64_t n = 0;
	int i;

	while (c->gap < c->ngaps && c->gaps[c->gap].before_ns <= until)
		n += c->gaps[c->gap++].events;
	if (!n)
		return 0;
	sb_reset(&c->line);
	sb_printf(&c->line, "%s%10s [%6" PRId64 "] |%s ", col(c, C_BAD), "⋯", c->thread->tid,
		  col(c, C_RESET));
	for (i = 0; i < rel; i++)
		sb_puts(&c->line, "  ");
	sb_printf(&c->line, "%s⋯ %" PRId64 " event%s lost%s", col(c, C_BAD), n, n == 1 ? "" : "s",
		  col(c, C_RESET));
	if (c->line.oom)
		return -ENOMEM;
	fprintf(c->out, "%s\n", sb_str(&c->line));
	return ferror(c->out) ? -EPIPE : 0;
}

static int thread_end(void *ctx, const struct view_thread *t)
{
	struct tree_ctx *c = ctx;

	(void)t;
	return c->thread_shown ? put_gaps(c, INT64_MAX, 0) : 0;
}

static int enter(void *ctx, struct view_frame *f, struct view_frame *stack)
{
	struct tree_ctx *c = ctx;
	const struct tree_opts *o = c->o;
	char dur[32];
	int root, rel, i, e, *nr;

	nr = grow_array(c->root, &c->cap, f->depth + 1, sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	c->root = nr;
	root = f->depth ? c->root[f->depth - 1] : -1;
	if (root < 0 && (!o->function || target__glob(o->function, f->func->name)))
		root = f->depth;
	c->root[f->depth] = root;
	if (root < 0)
		return 0;
	rel = f->depth - root;
	if (o->max_depth >= 0 && rel >= o->max_depth)
		return 0;
	if (o->since_ns && f->entry_ns < o->since_ns)
		return 0;
	if (!c->thread_shown && (c->v->nthreads > 1 || c->thread->events_lost)) {
		fprintf(c->out, "%s# thread %" PRId64 "%s%s%s", c->any_shown ? "\n" : "",
			c->thread->tid, c->thread->name ? " (" : "",
			c->thread->name ? c->thread->name : "", c->thread->name ? ")" : "");
		if (c->thread->events_lost)
			fprintf(c->out, ": %" PRId64 " events lost", c->thread->events_lost);
		fputc('\n', c->out);
	}
	c->thread_shown = c->any_shown = true;
	e = put_gaps(c, f->entry_ns, rel);
	if (e)
		return e;
	sb_reset(&c->line);
	if (f->exit_ns >= 0) {
		int64_t ns = f->exit_ns - f->entry_ns;

		view__fmt_duration(dur, sizeof(dur), ns);
		sb_printf(&c->line, "%s%10s%s",
			  ns >= 1000000000 ? col(c, C_VERY_SLOW)
			  : ns >= 1000000  ? col(c, C_SLOW)
					   : "",
			  dur, ns >= 1000000 ? col(c, C_RESET) : "");
	} else {
		sb_printf(&c->line, "%s%10s%s", col(c, C_BAD), frame_status__name(f->status),
			  col(c, C_RESET));
	}
	sb_printf(&c->line, " %s[%6" PRId64 "] |%s ", col(c, C_DIM), f->tid, col(c, C_RESET));
	for (i = 0; i < rel; i++)
		sb_puts(&c->line, "  ");
	/* called from a frame whose entry was lost */
	if (f->parent_lost)
		sb_printf(&c->line, "%s⋯%s ", col(c, C_BAD), col(c, C_RESET));
	tree__format_call(&c->line, c->v, f, o->max_value, o->color);
	if (c->line.oom)
		return -ENOMEM;
	fprintf(c->out, "%s\n", sb_str(&c->line));
	return ferror(c->out) ? -EPIPE : 0;
}

int tree__print(struct view *v, const struct tree_opts *o, FILE *out)
{
	struct tree_ctx c = { .v = v, .o = o, .out = out };
	struct view_walk_opts wo = { .tid = o->tid, .until_ns = o->until_ns };
	struct view_walk_ops ops = { .thread_begin = thread_begin, .enter = enter,
				     .thread_end = thread_end };
	int err;

	sb_init(&c.line);
	view__print_notes(v, out);
	/* columns as the lines print them: "%10s [%6d] | name" */
	fprintf(out, "%s%10s %8s   %s%s\n", col(&c, C_DIM), "# DURATION", "TID", "FUNCTION",
		col(&c, C_RESET));
	err = view__walk(v, &wo, &ops, &c);
	if (err == -ENOMEM)
		fprintf(stderr, "rstrace tree: out of memory printing %s\n", v->path);
	else if (err == -EPIPE)
		fprintf(stderr, "rstrace tree: cannot write the tree: %s\n", strerror(errno));
	if (!err && !c.any_shown)
		fprintf(out, "# (no frames%s)\n",
			o->function || o->tid >= 0 || o->since_ns || o->until_ns ? " match" : "");
	if (!err)
		view__print_rate_limits(v, out);
	sb_free(&c.line);
	free(c.root);
	free(c.gaps);
	return err;
}
