// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "frames.h"
#include "grow.h"

struct open_frame {
	int64_t id;
	int func_id;
	uint64_t cfa;
};

struct thread {
	uint32_t tid;
	struct open_frame *stack;
	int depth, cap;
	uint64_t first_ns, last_ns;
	uint32_t ns_tid; /* the tid inside the process's own PID namespace */
	/* unwinding since a panic (until catch_unwind catches it) */
	bool panicking;
	char name[32];
};

struct frames {
	struct store *st;
	struct thread *threads; /* open addressing on tid */
	size_t nthreads, cap;
	int64_t next_id;
};

int frames__new(struct store *st, struct frames **out)
{
	struct frames *fr = calloc(1, sizeof(*fr));

	if (!fr)
		return -ENOMEM;
	fr->st = st;
	fr->next_id = 1;
	fr->cap = 64;
	fr->threads = calloc(fr->cap, sizeof(*fr->threads));
	if (!fr->threads) {
		free(fr);
		return -ENOMEM;
	}
	*out = fr;
	return 0;
}

void frames__free(struct frames *fr)
{
	size_t i;

	if (!fr)
		return;
	for (i = 0; i < fr->cap; i++)
		free(fr->threads[i].stack);
	free(fr->threads);
	free(fr);
}

static struct thread *thread_of(struct frames *fr, uint32_t tid)
{
	size_t i;

	if (fr->nthreads * 2 >= fr->cap) {
		size_t ncap = fr->cap * 2, k, j;
		struct thread *nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return NULL;
		for (k = 0; k < fr->cap; k++) {
			if (!fr->threads[k].tid)
				continue;
			for (j = fr->threads[k].tid & (ncap - 1); nt[j].tid; j = (j + 1) & (ncap - 1))
				;
			nt[j] = fr->threads[k];
		}
		free(fr->threads);
		fr->threads = nt;
		fr->cap = ncap;
	}
	for (i = tid & (fr->cap - 1); fr->threads[i].tid; i = (i + 1) & (fr->cap - 1))
		if (fr->threads[i].tid == tid)
			return &fr->threads[i];
	fr->threads[i].tid = tid;
	fr->nthreads++;
	return &fr->threads[i];
}

/*
 * Frames whose CFA lies below `cfa` are no longer on the stack (stack grows
 * down): unwound by a panic, or left by an exit no probe saw (an indirect tail
 * call, longjmp-like code).
 */
static int pop_below(struct frames *fr, struct thread *t, uint64_t cfa, bool inclusive)
{
	const char *status = t->panicking ? "unwound" : "no_exit";
	int err = 0;

	while (t->depth > 0 && cfa && t->stack[t->depth - 1].cfa &&
	       (t->stack[t->depth - 1].cfa < cfa || (inclusive && t->stack[t->depth - 1].cfa == cfa))) {
		t->depth--;
		err = store__exit(fr->st, t->stack[t->depth].id, 0, NULL, status);
		if (err)
			break;
	}
	return err;
}

int frames__enter(struct frames *fr, uint32_t tid, uint32_t ns_tid, const char *comm,
		  int func_id, uint64_t cfa, uint64_t ts_ns, char *args)
{
	struct thread *t = thread_of(fr, tid);
	struct open_frame *ns;
	int64_t parent;
	int err;

	if (!t) {
		free(args);
		return -ENOMEM;
	}
	/* threads often name themselves after they start: keep the latest */
	if (comm && comm[0])
		snprintf(t->name, sizeof(t->name), "%.15s", comm);
	if (ns_tid)
		t->ns_tid = ns_tid;
	if (!t->first_ns)
		t->first_ns = ts_ns;
	t->last_ns = ts_ns;
	/*
	 * A new call at or above an open frame's CFA means that frame is gone:
	 * tail calls end their frame at a probed jmp first, so what is left
	 * here was unwound (a panic) or left by an unprobed exit.
	 */
	err = pop_below(fr, t, cfa, true);
	if (err) {
		free(args);
		return err;
	}
	ns = grow_array(t->stack, &t->cap, t->depth + 1, sizeof(*ns));
	if (!ns) {
		free(args);
		return -ENOMEM;
	}
	t->stack = ns;
	parent = t->depth ? t->stack[t->depth - 1].id : -1;
	t->stack[t->depth++] = (struct open_frame){ fr->next_id, func_id, cfa };
	return store__enter(fr->st, fr->next_id++, parent, tid, func_id, ts_ns, args);
}

int frames__exit(struct frames *fr, uint32_t tid, int func_id, uint64_t cfa,
		 uint64_t ts_ns, char *ret, const char *status)
{
	struct thread *t = thread_of(fr, tid);
	struct open_frame *top;
	int err;

	if (!t) {
		free(ret);
		return -ENOMEM;
	}
	t->last_ns = ts_ns;
	err = pop_below(fr, t, cfa, false);
	if (err) {
		free(ret);
		return err;
	}
	top = t->depth ? &t->stack[t->depth - 1] : NULL;
	if (!top || top->func_id != func_id || (cfa && top->cfa && top->cfa != cfa)) {
		free(ret);
		return 1;
	}
	t->depth--;
	return store__exit(fr->st, top->id, ts_ns, ret, status);
}

int frames__panic(struct frames *fr, uint32_t tid, uint64_t ts_ns,
		  const char *message, const char *location)
{
	struct thread *t = thread_of(fr, tid);

	if (!t)
		return -ENOMEM;
	t->panicking = true;
	t->last_ns = ts_ns;
	return store__panic(fr->st, tid, t->depth ? t->stack[t->depth - 1].id : 0, ts_ns, message,
			    location);
}

int frames__caught(struct frames *fr, uint32_t tid, uint64_t cfa, bool inclusive,
		   uint64_t ts_ns)
{
	struct thread *t = thread_of(fr, tid);
	int err;

	if (!t)
		return -ENOMEM;
	t->last_ns = ts_ns;
	t->panicking = true;
	err = pop_below(fr, t, cfa, inclusive);
	t->panicking = false;
	return err;
}

int64_t frames__count(const struct frames *fr)
{
	return fr->next_id - 1;
}

int frames__finish(struct frames *fr, const char *status)
{
	size_t i;
	int err = 0;

	for (i = 0; i < fr->cap && !err; i++) {
		struct thread *t = &fr->threads[i];

		if (!t->tid)
			continue;
		while (t->depth > 0 && !err) {
			t->depth--;
			err = store__exit(fr->st, t->stack[t->depth].id, 0, NULL,
					  t->panicking ? "unwound" : status);
		}
		if (!err)
			err = store__thread(fr->st, t->tid, t->ns_tid, t->name[0] ? t->name : NULL,
					    t->first_ns, t->last_ns);
	}
	return err;
}
