// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "grow.h"
#include "view.h"
#include "view_internal.h"

/* Frames of a thread whose function id is not in the function table (a torn trace). */
static struct view_func unknown_func = { .id = -1, .name = "<unknown function>" };

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
		int64_t parent = view_int_col(q, 1, -1);
		int64_t entry = sqlite3_column_int64(q, 3);
		bool lost = sqlite3_column_int(q, 8) != 0;
		/* a caller's entry was lost: it goes under the nearest caller recorded */
		int64_t under = lost ? view_int_col(q, 9, -1) : parent;
		const char *args = (const char *)sqlite3_column_text(q, 5);
		const char *retj = (const char *)sqlite3_column_text(q, 6);

		/*
		 * Pop until the top is this frame's caller. A caller not on the
		 * stack (a torn trace) empties it: the frame becomes a root.
		 */
		while (w->depth && w->stack[w->depth - 1].id != under) {
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
		f->exit_ns = view_int_col(q, 4, -1);
		f->status = frame_status__parse((const char *)sqlite3_column_text(q, 7), f->exit_ns >= 0);
		if (!frame_status__returned(f->status))
			f->exit_ns = -1; /* an exit time without a return is not one */
		f->parent_lost = lost;
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
		view_has_column(v->db, "frame", "parent_lost")
			? "SELECT id, parent_id, function_id, entry_ns, exit_ns, args, ret, status,"
			  " parent_lost, ancestor_id FROM frame"
			  " WHERE thread_id = ?1 AND entry_ns < ?2 ORDER BY entry_ns, id"
			: "SELECT id, parent_id, function_id, entry_ns, exit_ns, args, ret, status,"
			  " 0, NULL FROM frame"
			  " WHERE thread_id = ?1 AND entry_ns < ?2 ORDER BY entry_ns, id",
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
