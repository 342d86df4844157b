// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "export.h"
#include "grow.h"
#include "rustfmt.h"
#include "tree.h"

#define SVG_ROW 16	      /* px per stack level */
#define SVG_MIN_WIDTH 0.1     /* px: narrower boxes are not drawn (nor their children) */
#define SVG_CHAR_WIDTH 6.6    /* px per character at font-size 11 (for label cutting) */
#define TOOLTIP_VALUE_CHARS 120 /* per value in a tooltip */

int export__parse_format(const char *s, enum export_format *out)
{
	if (!strcmp(s, "chrome") || !strcmp(s, "perfetto"))
		*out = EXPORT_CHROME;
	else if (!strcmp(s, "folded"))
		*out = EXPORT_FOLDED;
	else if (!strcmp(s, "svg"))
		*out = EXPORT_SVG;
	else
		return -EINVAL;
	return 0;
}

/* ns as microseconds with three decimals, exactly (the trace-event unit is us). */
static void put_us(struct strbuf *sb, int64_t ns)
{
	const char *sign = ns < 0 ? "-" : "";

	if (ns < 0)
		ns = -ns;
	sb_printf(sb, "%s%" PRId64 ".%03" PRId64, sign, ns / 1000, ns % 1000);
}

static void put_json(struct strbuf *sb, const char *s)
{
	json_str(sb, s, strlen(s));
}

/* --- chrome: Trace Event Format --- */

struct chrome_ctx {
	struct view *v;
	FILE *out;
	struct strbuf sb;
	int64_t pid;
	bool first;
};

static void chrome_value(struct strbuf *sb, const struct view_value *val)
{
	if (val->value) {
		struct strbuf t;

		sb_init(&t);
		sb_puts(&t, val->value);
		if (val->truncated)
			sb_puts(&t, "…");
		put_json(sb, sb_str(&t));
		sb_free(&t);
	} else {
		/* unknown: say why, never a guessed value */
		struct strbuf t;

		sb_init(&t);
		sb_printf(&t, "<unknown: %s>", val->error ? val->error : "not captured");
		put_json(sb, sb_str(&t));
		sb_free(&t);
	}
}

static void chrome_args(struct strbuf *sb, const char *json)
{
	struct view_values vv;
	int i, j, same;

	sb_puts(sb, "{");
	if (view__parse_values(json, false, &vv) == 0) {
		for (i = 0; i < vv.n; i++) {
			const char *name = vv.v[i].name ? vv.v[i].name : "_";
			struct strbuf key;

			/* JSON objects want unique keys: a second `_` becomes `_#2` */
			for (same = 1, j = 0; j < i; j++)
				same += !strcmp(vv.v[j].name ? vv.v[j].name : "_", name);
			sb_init(&key);
			if (same > 1)
				sb_printf(&key, "%s#%d", name, same);
			else
				sb_puts(&key, name);
			sb_puts(sb, i ? "," : "");
			put_json(sb, sb_str(&key));
			sb_putc(sb, ':');
			chrome_value(sb, &vv.v[i]);
			sb_free(&key);
		}
		view__values_free(&vv);
	}
	sb_puts(sb, "}");
}

static int chrome_leave(void *ctx, struct view_frame *f, struct view_frame *stack)
{
	struct chrome_ctx *c = ctx;
	struct strbuf *sb = &c->sb;
	struct view_values vv;

	sb_reset(sb);
	sb_puts(sb, c->first ? "\n" : ",\n");
	c->first = false;
	sb_puts(sb, "{\"ph\":\"X\",\"name\":");
	put_json(sb, f->func->name);
	sb_puts(sb, ",\"cat\":");
	put_json(sb, f->func->crate ? f->func->crate : "rust");
	sb_puts(sb, ",\"ts\":");
	put_us(sb, f->entry_ns - c->v->origin_ns);
	sb_puts(sb, ",\"dur\":");
	put_us(sb, f->end_ns - f->entry_ns);
	sb_printf(sb, ",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"args\":{\"args\":", c->pid,
		  f->tid);
	chrome_args(sb, f->args);
	if (f->ret && view__parse_values(f->ret, true, &vv) == 0) {
		if (vv.n == 1) {
			sb_puts(sb, ",\"return\":");
			chrome_value(sb, &vv.v[0]);
		}
		view__values_free(&vv);
	}
	sb_printf(sb, ",\"status\":\"%s\",\"frame_id\":%" PRId64, frame_status__name(f->status),
		  f->id);
	if (f->parent_id >= 0)
		sb_printf(sb, ",\"parent_id\":%" PRId64, f->parent_id);
	if (f->end_estimated)
		sb_puts(sb, ",\"end\":\"estimated: the frame never returned\"");
	sb_puts(sb, "}}");
	if (sb->oom)
		return -ENOMEM;
	fputs(sb_str(sb), c->out);
	return ferror(c->out) ? -EPIPE : 0;
}

static void chrome_meta(struct chrome_ctx *c, const char *what, int64_t tid, const char *name)
{
	sb_reset(&c->sb);
	sb_printf(&c->sb,
		  "%s\n{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%" PRId64 ",\"tid\":%" PRId64
		  ",\"args\":{\"name\":",
		  c->first ? "" : ",", what, c->pid, tid);
	put_json(&c->sb, name);
	sb_puts(&c->sb, "}}");
	c->first = false;
	fputs(sb_str(&c->sb), c->out);
}

static int export_chrome(struct view *v, const struct export_opts *o, FILE *out)
{
	struct chrome_ctx c = { .v = v, .out = out, .first = true };
	struct view_walk_opts wo = { .tid = o->tid };
	struct view_walk_ops ops = { .leave = chrome_leave };
	const char *bin = v->session.binary ? v->session.binary : v->path;
	const char *base = strrchr(bin, '/') ? strrchr(bin, '/') + 1 : bin;
	char name[64];
	size_t i;
	int err;

	/* Perfetto groups tracks by pid; without a session any constant will do */
	c.pid = v->session.pid > 0 ? v->session.pid : 1;
	sb_init(&c.sb);
	sb_puts(&c.sb, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"tool\":");
	put_json(&c.sb, "rstrace " RSTRACE_VERSION);
	sb_puts(&c.sb, ",\"command\":");
	put_json(&c.sb, v->session.command ? v->session.command : "");
	sb_printf(&c.sb, ",\"origin_ns\":%" PRId64 ",\"ts_origin\":%s},\"traceEvents\":[",
		  v->origin_ns,
		  "\"ts and dur are microseconds since origin_ns (ns since the Unix epoch)\"");
	fputs(sb_str(&c.sb), out);
	chrome_meta(&c, "process_name", c.pid, base);
	for (i = 0; i < v->nthreads; i++) {
		const struct view_thread *t = &v->threads[i];

		if (o->tid >= 0 && t->tid != o->tid)
			continue;
		snprintf(name, sizeof(name), "%s %" PRId64, t->name ? t->name : "thread", t->tid);
		chrome_meta(&c, "thread_name", t->tid, name);
	}
	err = view__walk(v, &wo, &ops, &c);
	fputs("\n]}\n", out);
	if (!err && ferror(out))
		err = -EPIPE;
	sb_free(&c.sb);
	return err;
}

/* --- call-stack trie: folded stacks and the merged flame graph --- */

struct tnode {
	const struct view_func *func; /* NULL: the root */
	int parent, first_child, next_sibling;
	int64_t total_ns, self_ns, calls, errors;
	double x, w; /* svg layout */
};

struct trie_ctx {
	struct view *v;
	struct tnode *n;
	int len, cap;
	int *at; /* trie node of each stack level */
	int atcap;
	int max_depth;
};

static int trie_child(struct trie_ctx *t, int parent, const struct view_func *func)
{
	struct tnode *nn;
	int prev = -1, i;

	for (i = t->n[parent].first_child; i >= 0; prev = i, i = t->n[i].next_sibling) {
		if (t->n[i].func != func)
			continue;
		/* move to front: calls repeat, the next lookup is one step */
		if (prev >= 0) {
			t->n[prev].next_sibling = t->n[i].next_sibling;
			t->n[i].next_sibling = t->n[parent].first_child;
			t->n[parent].first_child = i;
		}
		return i;
	}
	nn = grow_array(t->n, &t->cap, t->len + 1, sizeof(*nn));
	if (!nn)
		return -ENOMEM;
	t->n = nn;
	i = t->len++;
	memset(&t->n[i], 0, sizeof(t->n[i]));
	t->n[i].func = func;
	t->n[i].parent = parent;
	t->n[i].first_child = -1;
	t->n[i].next_sibling = t->n[parent].first_child;
	t->n[parent].first_child = i;
	return i;
}

static int trie_enter(void *ctx, struct view_frame *f, struct view_frame *stack)
{
	struct trie_ctx *t = ctx;
	int parent = f->depth ? t->at[f->depth - 1] : 0, i, *na;

	na = grow_array(t->at, &t->atcap, f->depth + 1, sizeof(*na));
	if (!na)
		return -ENOMEM;
	t->at = na;
	i = trie_child(t, parent, f->func);
	if (i < 0)
		return i;
	t->at[f->depth] = i;
	t->n[i].calls++;
	if (f->depth + 1 > t->max_depth)
		t->max_depth = f->depth + 1;
	return 0;
}

static int trie_leave(void *ctx, struct view_frame *f, struct view_frame *stack)
{
	struct trie_ctx *t = ctx;
	struct tnode *n = &t->n[t->at[f->depth]];
	int64_t dur = f->end_ns - f->entry_ns;

	n->total_ns += dur;
	n->self_ns += dur - f->child_ns;
	if (f->status == FS_UNWOUND || view__ret_is_err(f->ret))
		n->errors++;
	if (!f->depth)
		t->n[0].total_ns += dur;
	return 0;
}

static int trie_build(struct view *v, int64_t tid, struct trie_ctx *t)
{
	struct view_walk_opts wo = { .tid = tid };
	struct view_walk_ops ops = { .enter = trie_enter, .leave = trie_leave };

	memset(t, 0, sizeof(*t));
	t->v = v;
	t->n = calloc(1024, sizeof(*t->n));
	if (!t->n)
		return -ENOMEM;
	t->cap = 1024;
	t->len = 1;
	t->n[0].parent = t->n[0].first_child = t->n[0].next_sibling = -1;
	return view__walk(v, &wo, &ops, t);
}

static void trie_free(struct trie_ctx *t)
{
	free(t->n);
	free(t->at);
}

static int cmp_node_name(const void *a, const void *b, void *arg)
{
	const struct tnode *nodes = arg;
	const struct tnode *x = &nodes[*(const int *)a], *y = &nodes[*(const int *)b];
	int c = strcmp(x->func->name, y->func->name);

	return c ? c : (x->func->id > y->func->id) - (x->func->id < y->func->id);
}

/* Children of node i sorted by name (stable output, alphabetical flame graph). */
static int *sorted_children(struct trie_ctx *t, int i, int *count)
{
	int n = 0, c, *kids;

	for (c = t->n[i].first_child; c >= 0; c = t->n[c].next_sibling)
		n++;
	*count = n;
	kids = malloc((n ? n : 1) * sizeof(*kids));
	if (!kids)
		return NULL;
	n = 0;
	for (c = t->n[i].first_child; c >= 0; c = t->n[c].next_sibling)
		kids[n++] = c;
	qsort_r(kids, n, sizeof(*kids), cmp_node_name, t->n);
	return kids;
}

/* Folded names: ';' separates frames, so one inside a name (`[u8; 4]`) becomes ','. */
static void put_folded_name(struct strbuf *sb, const char *name)
{
	for (; *name; name++)
		sb_putc(sb, *name == ';' ? ',' : *name);
}

static int folded_node(struct trie_ctx *t, int i, struct strbuf *path, bool calls, FILE *out)
{
	size_t len = path->len;
	int *kids, n, k, err = 0;
	int64_t count;

	if (i) {
		if (len)
			sb_putc(path, ';');
		put_folded_name(path, t->n[i].func->name);
		count = calls ? t->n[i].calls : t->n[i].self_ns;
		if (count > 0)
			fprintf(out, "%s %" PRId64 "\n", sb_str(path), count);
	}
	kids = sorted_children(t, i, &n);
	if (!kids)
		return -ENOMEM;
	for (k = 0; k < n && !err; k++)
		err = folded_node(t, kids[k], path, calls, out);
	free(kids);
	path->len = len;
	if (path->s)
		path->s[len] = '\0';
	return err ? err : path->oom ? -ENOMEM : 0;
}

static int export_folded(struct view *v, const struct export_opts *o, FILE *out)
{
	struct trie_ctx t;
	struct strbuf path;
	int err;

	err = trie_build(v, o->tid, &t);
	sb_init(&path);
	if (!err)
		err = folded_node(&t, 0, &path, o->count_calls, out);
	if (!err && ferror(out))
		err = -EPIPE;
	sb_free(&path);
	trie_free(&t);
	return err;
}

/* --- svg --- */

static void xml_text(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			sb_puts(sb, "&amp;");
			break;
		case '<':
			sb_puts(sb, "&lt;");
			break;
		case '>':
			sb_puts(sb, "&gt;");
			break;
		case '"':
			sb_puts(sb, "&quot;");
			break;
		default:
			/* XML 1.0 forbids most control characters even as references */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				sb_putc(sb, ' ');
			else
				sb_putc(sb, *s);
		}
	}
}

/* The classic flame graph palette: warm colours, stable per function name. */
static void svg_color(char *buf, size_t len, const char *name, bool bad)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	if (bad)
		snprintf(buf, len, "rgb(%u,%u,%u)", 150 + h % 40, 60 + (h >> 8) % 40,
			 190 + (h >> 16) % 50);
	else
		snprintf(buf, len, "rgb(%u,%u,%u)", 205 + h % 50, (h >> 8) % 200,
			 (h >> 16) % 55);
}

/* A box with a tooltip and a label cut to fit. */
static void svg_box(struct strbuf *sb, double x, double y, double w, const char *name,
		    const char *tooltip, bool bad)
{
	char color[48];
	size_t chars = w > 8 ? (size_t)((w - 6) / SVG_CHAR_WIDTH) : 0;

	svg_color(color, sizeof(color), name, bad);
	sb_puts(sb, "<g><title>");
	xml_text(sb, tooltip);
	sb_printf(
	    sb, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\"%s/>",
	    x, y, w, SVG_ROW - 1, color, bad ? " class=\"bad\"" : "");
	if (chars >= 3) {
		struct strbuf label;
		size_t n = strlen(name);

		sb_init(&label);
		if (n <= chars) {
			sb_puts(&label, name);
		} else {
			/* keep whole UTF-8 characters */
			n = chars - 2;
			while (n && ((unsigned char)name[n] & 0xc0) == 0x80)
				n--;
			sb_putn(&label, name, n);
			sb_puts(&label, "..");
		}
		sb_printf(sb, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + SVG_ROW - 4.5);
		xml_text(sb, sb_str(&label));
		sb_puts(sb, "</text>");
		sb_free(&label);
	}
	sb_puts(sb, "</g>\n");
}

static void svg_header(FILE *out, int width, int height, const char *title, const char *sub)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb,
		  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\""
		  " height=\"%d\" viewBox=\"0 0 %d %d\">\n"
		  "<style>text{font-family:Verdana,'DejaVu Sans',sans-serif;font-size:11px;"
		  "fill:#000;pointer-events:none}"
		  "rect{stroke:#fff;stroke-width:0.3}rect.bad{stroke:#b00;stroke-width:1.2}"
		  "g:hover>rect{stroke:#000;stroke-width:1}"
		  ".h{font-size:15px;font-weight:bold}.s{fill:#555}</style>\n"
		  "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#f8f8f4\"/>\n"
		  "<text class=\"h\" x=\"%d\" y=\"20\" text-anchor=\"middle\">",
		  width, height, width, height, width, height, width / 2);
	xml_text(&sb, title);
	sb_printf(&sb, "</text>\n<text class=\"s\" x=\"%d\" y=\"36\" text-anchor=\"middle\">",
		  width / 2);
	xml_text(&sb, sub);
	sb_puts(&sb, "</text>\n");
	fputs(sb_str(&sb), out);
	sb_free(&sb);
}

#define SVG_TOP 48    /* title and subtitle */
#define SVG_MARGIN 10 /* left/right */

static void svg_title(struct view *v, struct strbuf *sb)
{
	const char *cmd = v->session.command ? v->session.command : v->path;

	sb_puts(sb, "rstrace: ");
	sb_putn(sb, cmd, strlen(cmd) > 100 ? 100 : strlen(cmd));
}

static void svg_merged_node(struct trie_ctx *t, int i, double x, double scale, int height,
			    int depth, struct strbuf *body)
{
	struct tnode *n = &t->n[i];
	int *kids, k, cnt;
	double w = n->total_ns * scale, cx;

	if (w < SVG_MIN_WIDTH)
		return;
	if (i) {
		struct strbuf tip;
		char tot[32], self[32];

		view__fmt_duration(tot, sizeof(tot), n->total_ns);
		view__fmt_duration(self, sizeof(self), n->self_ns);
		sb_init(&tip);
		sb_printf(&tip, "%s\n%s total (%.2f%%), %s self, %" PRId64 " call%s", n->func->name,
			  tot, t->n[0].total_ns ? 100.0 * n->total_ns / t->n[0].total_ns : 0.0,
			  self, n->calls, n->calls == 1 ? "" : "s");
		if (n->errors)
			sb_printf(&tip, ", %" PRId64 " Err/panicked", n->errors);
		/* flame graph: the root at the bottom */
		svg_box(body, x, height - SVG_MARGIN - depth * SVG_ROW, w, n->func->name,
			sb_str(&tip), n->errors > 0);
		sb_free(&tip);
	}
	kids = sorted_children(t, i, &cnt);
	if (!kids)
		return; /* out of memory: the graph loses this subtree, the caller sees oom */
	for (cx = x, k = 0; k < cnt; k++) {
		svg_merged_node(t, kids[k], cx, scale, height, depth + 1, body);
		cx += t->n[kids[k]].total_ns * scale;
	}
	free(kids);
}

static int export_svg_merged(struct view *v, const struct export_opts *o, FILE *out)
{
	int width = o->width > 0 ? o->width : 1200, height;
	struct strbuf body, title, sub;
	struct trie_ctx t;
	char tot[32];
	double scale;
	int err;

	err = trie_build(v, o->tid, &t);
	if (err) {
		trie_free(&t);
		return err;
	}
	height = SVG_TOP + (t.max_depth + 1) * SVG_ROW + SVG_MARGIN;
	scale = t.n[0].total_ns ? (double)(width - 2 * SVG_MARGIN) / t.n[0].total_ns : 0;
	sb_init(&body);
	sb_init(&title);
	sb_init(&sub);
	svg_merged_node(&t, 0, SVG_MARGIN, scale, height - SVG_ROW, 0, &body);
	svg_title(v, &title);
	view__fmt_duration(tot, sizeof(tot), t.n[0].total_ns);
	sb_printf(&sub,
		  "flame graph, %s threads merged: width = time in a call stack (%s in all), "
		  "siblings by name; purple, red edge: some calls panicked or returned Err",
		  o->tid >= 0 ? "1 of the" : "all", tot);
	svg_header(out, width, height, sb_str(&title), sb_str(&sub));
	if (!t.len || t.n[0].first_child < 0)
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no frames</text>\n",
			width / 2, SVG_TOP + 20);
	fputs(sb_str(&body), out);
	fputs("</svg>\n", out);
	err = body.oom || title.oom || sub.oom ? -ENOMEM : ferror(out) ? -EPIPE : 0;
	sb_free(&body);
	sb_free(&title);
	sb_free(&sub);
	trie_free(&t);
	return err;
}

struct timeline_ctx {
	struct view *v;
	struct strbuf body, tip;
	double scale;	     /* px per ns */
	int64_t t0, t_end;   /* drawn time range */
	double y;	     /* top of the current thread's lane */
	int lane_depth;	     /* deepest level drawn in the current lane */
};

static int tl_thread_begin(void *ctx, const struct view_thread *t)
{
	struct timeline_ctx *c = ctx;
	char label[160];

	snprintf(label, sizeof(label), "thread %" PRId64 "%s%s%s", t->tid, t->name ? " (" : "",
		 t->name ? t->name : "", t->name ? ")" : "");
	sb_printf(&c->body, "<text class=\"s\" x=\"%d\" y=\"%.1f\">", SVG_MARGIN, c->y + 12);
	xml_text(&c->body, label);
	sb_puts(&c->body, "</text>\n");
	c->y += SVG_ROW;
	c->lane_depth = 0;
	return 0;
}

static int tl_thread_end(void *ctx, const struct view_thread *t)
{
	struct timeline_ctx *c = ctx;

	c->y += (c->lane_depth + 1) * SVG_ROW;
	return 0;
}

static int tl_leave(void *ctx, struct view_frame *f, struct view_frame *stack)
{
	struct timeline_ctx *c = ctx;
	int64_t a = f->entry_ns < c->t0 ? c->t0 : f->entry_ns;
	int64_t b = f->end_ns > c->t_end ? c->t_end : f->end_ns;
	double x, w;
	char dur[32], at[32];

	if (b < a)
		return 0;
	x = SVG_MARGIN + (a - c->t0) * c->scale;
	w = (b - a) * c->scale;
	if (w < SVG_MIN_WIDTH)
		return 0;
	sb_reset(&c->tip);
	tree__format_call(&c->tip, c->v, f, TOOLTIP_VALUE_CHARS, false);
	view__fmt_duration(dur, sizeof(dur), f->end_ns - f->entry_ns);
	view__fmt_duration(at, sizeof(at), f->entry_ns - c->t0);
	sb_printf(&c->tip, "\n%s%s, from +%s", f->end_estimated ? "about " : "", dur, at);
	if (f->end_estimated)
		sb_puts(&c->tip, " (never returned)");
	svg_box(&c->body, x, c->y + f->depth * SVG_ROW, w, f->func->name, sb_str(&c->tip),
		f->status == FS_UNWOUND || view__ret_is_err(f->ret));
	if (f->depth > c->lane_depth)
		c->lane_depth = f->depth;
	return c->body.oom || c->tip.oom ? -ENOMEM : 0;
}

static int export_svg_timeline(struct view *v, const struct export_opts *o, FILE *out)
{
	struct timeline_ctx c = { .v = v };
	struct view_walk_opts wo = { .tid = o->tid };
	struct view_walk_ops ops = { .thread_begin = tl_thread_begin,
				     .thread_end = tl_thread_end,
				     .leave = tl_leave };
	int width = o->width > 0 ? o->width : 1200;
	struct strbuf title, sub;
	char span[32];
	size_t i;
	int err;

	/* one time axis for all lanes: first call to the last thing seen */
	c.t0 = INT64_MAX;
	for (i = 0; i < v->nthreads; i++) {
		const struct view_thread *t = &v->threads[i];

		if (o->tid >= 0 && t->tid != o->tid)
			continue;
		if (t->first_ns && t->first_ns < c.t0)
			c.t0 = t->first_ns;
		if (t->last_ns > c.t_end)
			c.t_end = t->last_ns;
	}
	if (c.t0 == INT64_MAX)
		c.t0 = v->origin_ns;
	/* the session also lasts through exit: only when threads lack times */
	if (!c.t_end)
		c.t_end = v->session.end_ns;
	if (c.t_end <= c.t0)
		c.t_end = c.t0 + 1;
	c.scale = (double)(width - 2 * SVG_MARGIN) / (c.t_end - c.t0);
	c.y = SVG_TOP;
	sb_init(&c.body);
	sb_init(&c.tip);
	sb_init(&title);
	sb_init(&sub);
	err = view__walk(v, &wo, &ops, &c);
	if (!err) {
		svg_title(v, &title);
		view__fmt_duration(span, sizeof(span), c.t_end - c.t0);
		sb_printf(&sub,
			  "flame chart per thread: x = time (%s from the first call), callees "
			  "below callers; purple, red edge: panicked or Err; hover for arguments",
			  span);
		svg_header(out, width, (int)c.y + SVG_MARGIN, sb_str(&title), sb_str(&sub));
		fputs(sb_str(&c.body), out);
		fputs("</svg>\n", out);
		if (ferror(out))
			err = -EPIPE;
	}
	sb_free(&c.body);
	sb_free(&c.tip);
	sb_free(&title);
	sb_free(&sub);
	return err;
}

int export__write(struct view *v, const struct export_opts *o, FILE *out)
{
	int err;

	switch (o->format) {
	case EXPORT_CHROME:
		err = export_chrome(v, o, out);
		break;
	case EXPORT_FOLDED:
		err = export_folded(v, o, out);
		break;
	default:
		err = o->merge ? export_svg_merged(v, o, out) : export_svg_timeline(v, o, out);
	}
	if (err == -ENOMEM)
		fprintf(stderr, "rstrace export: out of memory exporting %s\n", v->path);
	else if (err == -EPIPE)
		fprintf(stderr, "rstrace export: cannot write the output: %s\n", strerror(errno));
	return err;
}
