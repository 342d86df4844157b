// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "firedbg.h"
#include "grow.h"
#include "rustfmt.h"
#include "view.h"

/* Frames of a thread whose function id is not in the function table (a torn trace). */
static struct view_func unknown_func = { .id = -1, .name = "<unknown function>" };

static char *dup_col(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	return t ? strdup((const char *)t) : NULL;
}

static int64_t int_col(sqlite3_stmt *q, int i, int64_t dflt)
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

static int has_column(sqlite3 *db, const char *table, const char *col)
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
		f->line = (int)int_col(q, 4, 0);
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
			       "SELECT command, binary, tool_version, pid, start_ns, end_ns,"
			       " exit_status, events, events_lost FROM session ORDER BY id LIMIT 1",
			       -1, &q, NULL) != SQLITE_OK)
		return 0; /* an older session table: the views work without it */
	if (sqlite3_step(q) == SQLITE_ROW) {
		s->present = true;
		s->command = dup_col(q, 0);
		s->binary = dup_col(q, 1);
		s->version = dup_col(q, 2);
		s->pid = int_col(q, 3, 0);
		s->start_ns = int_col(q, 4, 0);
		s->end_ns = int_col(q, 5, 0);
		s->exit_status = (int)int_col(q, 6, -1);
		s->events = int_col(q, 7, 0);
		s->events_lost = int_col(q, 8, 0);
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
		e = prepare(v, "SELECT name, first_ns, last_ns FROM thread WHERE tid = ?", &info,
			    err, errlen);
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
				t->last_ns = int_col(info, 2, 0);
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
	if (!has_table(v->db, "panic") || !has_column(v->db, "panic", "frame_id") ||
	    !has_column(v->db, "panic", "message"))
		return;
	if (sqlite3_prepare_v2(v->db,
			       has_column(v->db, "panic", "location")
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

const char *view__status_name(enum view_status s)
{
	switch (s) {
	case VS_RETURNED:
		return "returned";
	case VS_TAIL_CALL:
		return "tail_call";
	case VS_UNWOUND:
		return "unwound";
	case VS_OPEN:
		break;
	}
	return "open";
}

static enum view_status parse_status(const char *s, bool has_exit)
{
	if (s && !strcmp(s, "unwound"))
		return VS_UNWOUND;
	if (s && !strcmp(s, "tail_call"))
		return VS_TAIL_CALL;
	if (s && !strcmp(s, "returned"))
		return VS_RETURNED;
	/* NULL or unknown status: trust exit_ns */
	return has_exit && !(s && !strcmp(s, "open")) ? VS_RETURNED : VS_OPEN;
}

/* --- the walk --- */

struct walk {
	struct view_frame *stack;
	int depth; /* frames on the stack */
	int cap;
};

static void frame_free(struct view_frame *f)
{
	free((char *)f->args);
	free((char *)f->ret);
	f->args = f->ret = NULL;
}

/*
 * Pops the top frame. A frame that never returned ends, at the latest, when
 * the next thing happened on its thread outside it (`bound`: the next
 * frame's entry, or the thread's last event) and when its caller returned;
 * at the earliest when its last child ended. That bound is its end_ns.
 */
static int pop(struct walk *w, int64_t bound, const struct view_walk_ops *ops, void *ctx)
{
	struct view_frame *f = &w->stack[w->depth - 1];
	int i, ret = 0;

	if (f->exit_ns >= 0) {
		f->end_ns = f->exit_ns;
	} else {
		int64_t end = bound;

		for (i = w->depth - 2; i >= 0; i--) {
			if (w->stack[i].exit_ns >= 0) {
				if (w->stack[i].exit_ns < end)
					end = w->stack[i].exit_ns;
				break;
			}
		}
		if (end < f->max_child_end)
			end = f->max_child_end;
		if (end < f->entry_ns)
			end = f->entry_ns;
		f->end_ns = end;
		f->end_estimated = true;
	}
	if (ops->leave)
		ret = ops->leave(ctx, f, w->stack);
	if (w->depth >= 2) {
		struct view_frame *p = &w->stack[w->depth - 2];

		p->child_ns += f->end_ns - f->entry_ns;
		if (f->end_ns > p->max_child_end)
			p->max_child_end = f->end_ns;
	}
	frame_free(f);
	w->depth--;
	return ret;
}

static int walk_thread(struct view *v, sqlite3_stmt *q, const struct view_thread *t,
		       const struct view_walk_opts *opts, const struct view_walk_ops *ops,
		       void *ctx, struct walk *w)
{
	int64_t bound = 0;
	int rc, ret = 0;

	sqlite3_bind_int64(q, 1, t->tid);
	sqlite3_bind_int64(q, 2, opts->until_ns > 0 ? opts->until_ns : INT64_MAX);
	if (ops->thread_begin && (ret = ops->thread_begin(ctx, t)))
		goto cleanup;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct view_frame *f, *ns;
		int64_t parent = int_col(q, 1, -1);
		int64_t entry = sqlite3_column_int64(q, 3);
		const char *args = (const char *)sqlite3_column_text(q, 5);
		const char *retj = (const char *)sqlite3_column_text(q, 6);

		/*
		 * Pop until the top is this frame's caller. A caller not on the
		 * stack (a torn trace) empties it: the frame becomes a root.
		 */
		while (w->depth && w->stack[w->depth - 1].id != parent) {
			ret = pop(w, entry, ops, ctx);
			if (ret)
				goto cleanup;
		}
		ns = grow_array(w->stack, &w->cap, w->depth + 1, sizeof(*ns));
		if (!ns) {
			ret = -ENOMEM;
			fprintf(stderr, "rstrace: out of memory walking %s\n", v->path);
			goto cleanup;
		}
		w->stack = ns;
		f = &w->stack[w->depth];
		memset(f, 0, sizeof(*f));
		f->id = sqlite3_column_int64(q, 0);
		f->parent_id = w->depth ? parent : -1;
		f->tid = t->tid;
		f->func = view__func(v, sqlite3_column_int64(q, 2));
		if (!f->func)
			f->func = &unknown_func;
		f->entry_ns = entry;
		f->exit_ns = int_col(q, 4, -1);
		f->status = parse_status((const char *)sqlite3_column_text(q, 7), f->exit_ns >= 0);
		if (f->status == VS_UNWOUND || f->status == VS_OPEN)
			f->exit_ns = -1; /* an exit time without a return is not one */
		f->end_ns = f->exit_ns;
		f->args = strdup(args ? args : "[]");
		f->ret = retj ? strdup(retj) : NULL;
		f->depth = w->depth;
		if (!f->args || (retj && !f->ret)) {
			frame_free(f);
			ret = -ENOMEM;
			fprintf(stderr, "rstrace: out of memory walking %s\n", v->path);
			goto cleanup;
		}
		w->depth++;
		if (entry > bound)
			bound = entry;
		if (f->exit_ns > bound)
			bound = f->exit_ns;
		if (ops->enter && (ret = ops->enter(ctx, f, w->stack)))
			goto cleanup;
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "rstrace: cannot read the frames of thread %" PRId64 " in %s: %s\n",
			t->tid, v->path, sqlite3_errmsg(v->db));
		ret = -EIO;
		goto cleanup;
	}
	/* what is still open ended by the thread's last event, or the session's end */
	if (t->last_ns > bound)
		bound = t->last_ns;
	else if (!t->last_ns && v->session.end_ns > bound)
		bound = v->session.end_ns;
	if (opts->until_ns > 0 && bound > opts->until_ns)
		bound = opts->until_ns;
	while (w->depth) {
		ret = pop(w, bound, ops, ctx);
		if (ret)
			goto cleanup;
	}
	if (ops->thread_end)
		ret = ops->thread_end(ctx, t);
cleanup:
	sqlite3_reset(q);
	return ret;
}

int view__walk(struct view *v, const struct view_walk_opts *opts, const struct view_walk_ops *ops,
	       void *ctx)
{
	struct walk w = { 0 };
	sqlite3_stmt *q = NULL;
	size_t i;
	int ret = 0;

	/* frame_thread(thread_id, entry_ns) gives this order without sorting */
	if (sqlite3_prepare_v2(
		v->db,
		"SELECT id, parent_id, function_id, entry_ns, exit_ns, args, ret, status"
		" FROM frame WHERE thread_id = ?1 AND entry_ns < ?2"
		" ORDER BY entry_ns, id",
		-1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "rstrace: cannot read frames from %s: %s\n", v->path,
			sqlite3_errmsg(v->db));
		return -EIO;
	}
	for (i = 0; i < v->nthreads && !ret; i++) {
		if (opts->tid >= 0 && v->threads[i].tid != opts->tid)
			continue;
		ret = walk_thread(v, q, &v->threads[i], opts, ops, ctx, &w);
	}
	while (w.depth)
		frame_free(&w.stack[--w.depth]);
	free(w.stack);
	sqlite3_finalize(q);
	return ret;
}

/* --- a small JSON reader for frame.args / frame.ret, which rstrace itself writes --- */

struct json {
	const char *p;
};

static void ws(struct json *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct strbuf *sb, unsigned cp)
{
	if (cp < 0x80) {
		sb_putc(sb, (char)cp);
	} else if (cp < 0x800) {
		sb_putc(sb, (char)(0xc0 | cp >> 6));
		sb_putc(sb, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sb_putc(sb, (char)(0xe0 | cp >> 12));
		sb_putc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sb_putc(sb, (char)(0x80 | (cp & 0x3f)));
	} else {
		sb_putc(sb, (char)(0xf0 | cp >> 18));
		sb_putc(sb, (char)(0x80 | ((cp >> 12) & 0x3f)));
		sb_putc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sb_putc(sb, (char)(0x80 | (cp & 0x3f)));
	}
}

/* A string literal at j->p, unescaped into a new allocation. */
static int json_string(struct json *j, char **out)
{
	struct strbuf sb;
	unsigned cp, lo;

	if (*j->p != '"')
		return -EINVAL;
	j->p++;
	sb_init(&sb);
	while (*j->p && *j->p != '"') {
		if (*j->p != '\\') {
			sb_putc(&sb, *j->p++);
			continue;
		}
		j->p++;
		switch (*j->p) {
		case 'n':
			sb_putc(&sb, '\n');
			break;
		case 't':
			sb_putc(&sb, '\t');
			break;
		case 'r':
			sb_putc(&sb, '\r');
			break;
		case 'b':
			sb_putc(&sb, '\b');
			break;
		case 'f':
			sb_putc(&sb, '\f');
			break;
		case 'u':
			if (hex4(j->p + 1, &cp))
				goto bad;
			j->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && j->p[1] == '\\' && j->p[2] == 'u' &&
			    !hex4(j->p + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				j->p += 6;
			}
			put_utf8(&sb, cp);
			break;
		case '\0':
			goto bad;
		default: /* \" \\ \/ */
			sb_putc(&sb, *j->p);
		}
		j->p++;
	}
	if (*j->p != '"')
		goto bad;
	j->p++;
	*out = sb_detach(&sb);
	return *out ? 0 : -ENOMEM;
bad:
	sb_free(&sb);
	return -EINVAL;
}

/* Skips any value (nested containers included). */
static int json_skip(struct json *j)
{
	int depth = 0;
	char *s;

	do {
		ws(j);
		if (*j->p == '"') {
			if (json_string(j, &s))
				return -EINVAL;
			free(s);
		} else if (*j->p == '{' || *j->p == '[') {
			depth++;
			j->p++;
		} else if (*j->p == '}' || *j->p == ']') {
			if (!depth)
				return -EINVAL;
			depth--;
			j->p++;
		} else if (*j->p == ',' || *j->p == ':') {
			j->p++;
		} else if (*j->p) {
			while (*j->p && !strchr(",:]} \t\r\n", *j->p))
				j->p++;
		} else {
			return -EINVAL;
		}
	} while (depth);
	return 0;
}

static int json_object(struct json *j, struct view_value *v)
{
	char *key = NULL;
	int e;

	ws(j);
	if (*j->p != '{')
		return -EINVAL;
	j->p++;
	ws(j);
	if (*j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		char **slot = NULL;

		ws(j);
		e = json_string(j, &key);
		if (e)
			return e;
		ws(j);
		if (*j->p++ != ':') {
			free(key);
			return -EINVAL;
		}
		ws(j);
		if (!strcmp(key, "name"))
			slot = &v->name;
		else if (!strcmp(key, "type"))
			slot = &v->type;
		else if (!strcmp(key, "value"))
			slot = &v->value;
		else if (!strcmp(key, "error"))
			slot = &v->error;
		else if (!strcmp(key, "fields"))
			slot = &v->fields;
		if (slot && *j->p == '"') {
			free(*slot);
			e = json_string(j, slot);
		} else if (!strcmp(key, "truncated") && !strncmp(j->p, "true", 4)) {
			v->truncated = true;
			j->p += 4;
			e = 0;
		} else {
			e = json_skip(j); /* null, or a field a later rstrace adds */
		}
		free(key);
		if (e)
			return e;
		ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != '}')
			return -EINVAL;
		return 0;
	}
}

void view__values_free(struct view_values *vv)
{
	int i;

	for (i = 0; i < vv->n; i++) {
		free(vv->v[i].name);
		free(vv->v[i].type);
		free(vv->v[i].value);
		free(vv->v[i].error);
		free(vv->v[i].fields);
	}
	free(vv->v);
	vv->v = NULL;
	vv->n = 0;
}

int view__parse_values(const char *json, bool single, struct view_values *out)
{
	struct json j = { json };
	int cap = 0, e = 0;

	out->v = NULL;
	out->n = 0;
	if (!json)
		return -EINVAL;
	ws(&j);
	if (!single) {
		if (*j.p++ != '[')
			return -EINVAL;
		ws(&j);
		if (*j.p == ']')
			return 0;
	}
	for (;;) {
		if (out->n == cap) {
			int ncap = cap ? cap * 2 : 8;
			struct view_value *nv = realloc(out->v, ncap * sizeof(*nv));

			if (!nv) {
				e = -ENOMEM;
				goto cleanup;
			}
			out->v = nv;
			cap = ncap;
		}
		memset(&out->v[out->n], 0, sizeof(out->v[0]));
		out->n++;
		e = json_object(&j, &out->v[out->n - 1]);
		if (e || single)
			goto cleanup;
		ws(&j);
		if (*j.p == ',') {
			j.p++;
			continue;
		}
		if (*j.p != ']')
			e = -EINVAL;
		goto cleanup;
	}
cleanup:
	if (e)
		view__values_free(out);
	return e;
}

bool view__value_is_err(const struct view_value *v)
{
	if (!v->value || !v->type || strncmp(v->value, "Err(", 4))
		return false;
	return !strncmp(v->type, "core::result::Result<", 21) || !strncmp(v->type, "Result<", 7);
}

bool view__ret_is_err(const char *ret_json)
{
	struct view_values vv;
	bool err;

	/* cheap test first: most returns are not Err and need no parsing */
	if (!ret_json || !strstr(ret_json, "\"Err("))
		return false;
	if (view__parse_values(ret_json, true, &vv))
		return false;
	err = vv.n == 1 && view__value_is_err(&vv.v[0]);
	view__values_free(&vv);
	return err;
}

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
