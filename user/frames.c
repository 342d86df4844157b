// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "frames.h"
#include "grow.h"
#include "rstrace.h"
#include "rustfmt.h"

/* Frames one tail-call chain gives its return value to, and the type they return. */
#define TAIL_CHAIN 4

struct tail_wait {
	int n;
	int64_t ids[TAIL_CHAIN];
	const char *type; /* the plans' type name: lives as long as they do */
};

struct open_frame {
	int64_t id;
	int func_id;
	uint32_t depth; /* BPF's depth of it (from RST_SHADOW_DEPTH on: beyond the shadow stack) */
	uint64_t cfa;
	uint64_t seq; /* its entry event */
	uint64_t seen; /* the last event that showed it open */
	/* frames that left by a jmp to it: what it returns, they return */
	struct tail_wait wait;
	uint64_t sret; /* the pointer it got for its return value (0: none, unknown) */
};

struct thread {
	uint32_t tid;
	struct open_frame *stack;
	int depth, cap;
	uint64_t first_ns, last_ns;
	uint32_t ns_tid; /* the tid inside the process's own PID namespace */
	/* unwinding since a panic (until catch_unwind catches it) */
	bool panicking;
	uint64_t panic_seq; /* the number of the event that started it */
	bool dirty; /* its row changed since the last frames__sync */
	uint64_t last_seq; /* number of the last event received */
	/* number of the first event received after the latest loss; 0: none */
	uint64_t gap_seq;
	uint64_t events, lost;
	char name[32];
	/* frames a tail call just left, until the thread's next event (its target's entry) */
	struct tail_wait tail;
	uint64_t tail_seq, tail_cfa, tail_to;
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
			j = fr->threads[k].tid & (ncap - 1);
			while (nt[j].tid)
				j = (j + 1) & (ncap - 1);
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
 * Counts the event; a jump in the thread's numbers is a gap: that many of
 * its events were lost right before this one.
 */
static int account(struct frames *fr, struct thread *t, const struct frames_ev *e)
{
	uint64_t n;
	int err = 0;

	t->tail.n = 0; /* only the very next event can be the tail call's target */
	if (e->seq && e->seq <= t->last_seq)
		return 0; /* the same event again (an entry site that also leaves) */
	if (e->seq > t->last_seq + 1) {
		n = e->seq - t->last_seq - 1;
		t->lost += n;
		t->gap_seq = e->seq;
		err = store__gap(fr->st, t->tid, t->last_seq ? t->last_ns : 0, e->ts_ns, n);
	}
	if (e->seq)
		t->last_seq = e->seq;
	t->events++;
	t->dirty = true;
	if (!t->first_ns)
		t->first_ns = e->ts_ns;
	t->last_ns = e->ts_ns;
	return err;
}

/*
 * How a frame ended whose end no event told. A loss since its entry: its exit
 * may be among the lost. Unwound, while a panic is unwinding and nothing was
 * lost since it started (the catch that ended it could be among the lost).
 */
static enum frame_status gone_status(const struct thread *t, const struct open_frame *f,
				     enum frame_status otherwise)
{
	if (t->gap_seq > f->seen)
		return FS_LOST;
	if (t->panicking)
		return t->gap_seq <= t->panic_seq ? FS_UNWOUND : FS_LOST;
	return otherwise;
}

/* Closes the top frame, which ended without an exit of its own. */
static int drop_top(struct frames *fr, struct thread *t, enum frame_status otherwise)
{
	struct open_frame *f = &t->stack[--t->depth];

	return store__exit(fr->st, f->id, 0, NULL, gone_status(t, f, otherwise));
}

static struct open_frame *top_of(struct thread *t)
{
	return t->depth ? &t->stack[t->depth - 1] : NULL;
}

/* Frames at BPF depth `depth` or deeper are gone (BPF's stack no longer has them). */
static int close_from(struct frames *fr, struct thread *t, uint32_t depth)
{
	int err = 0;

	while (!err && t->depth > 0 && t->stack[t->depth - 1].depth >= depth)
		err = drop_top(fr, t, FS_NO_EXIT);
	return err;
}

/*
 * Frames whose CFA lies below `cfa` are no longer on the stack (stack grows
 * down): unwound by a panic, or left by an exit no probe saw (an indirect tail
 * call, longjmp-like code). For events BPF could not link.
 */
static int pop_below(struct frames *fr, struct thread *t, uint64_t cfa, bool inclusive)
{
	int err = 0;

	struct open_frame *top;

	while (!err && (top = top_of(t)) && cfa && top->cfa &&
	       (top->cfa < cfa || (inclusive && top->cfa == cfa)))
		err = drop_top(fr, t, FS_NO_EXIT);
	return err;
}

/*
 * The caller of a new frame: parent (-1: none), or when the caller's entry
 * was lost (lost: how many callers in a row), the nearest caller recorded.
 */
struct caller {
	int64_t parent, ancestor;
	int lost;
};

static int find_parent(struct frames *fr, struct thread *t, const struct frames_ev *e,
		       struct caller *c)
{
	struct open_frame *top;
	int err, i;

	*c = (struct caller){ -1, -1, 0 };
	if (!e->nolink) {
		/* BPF's stack holds e->depth frames below it: those at or past it are gone */
		err = close_from(fr, t, e->depth);
		top = top_of(t);
		if (err || !e->link)
			return err;
		if (top && top->seq == e->link) {
			top->seen = e->seq;
			c->parent = top->id;
			return 0;
		}
		/*
		 * The callers between e->anc and it were all lost: what we hold
		 * above e->anc is gone, and with no e->anc, all we hold.
		 */
		for (i = t->depth - 1; i >= 0 && t->stack[i].seq != e->anc; i--)
			;
		if (i >= 0 || !e->anc) {
			while (!err && t->depth > i + 1)
				err = drop_top(fr, t, FS_NO_EXIT);
		}
		top = top_of(t);
		c->lost = (int)e->depth;
		if (top && top->seq == e->anc) {
			top->seen = e->seq;
			c->ancestor = top->id;
			c->lost = (int)(e->depth - 1 - top->depth);
		}
		if (c->lost < 1)
			c->lost = 1;
		return err;
	}
	err = pop_below(fr, t, e->cfa, true);
	top = top_of(t);
	if (err)
		return err;
	/* counted, unlinked: BPF's shadow stack is full, so this call has a caller */
	if (!top) {
		c->lost = e->seq ? 1 : 0;
		return 0;
	}
	/*
	 * Beyond BPF's shadow stack, CFA order decides, which is exact only if
	 * none of the thread's events were lost since the candidate was last
	 * seen open (not counted: nothing is known about losses).
	 */
	if (!e->seq || t->gap_seq <= top->seen) {
		top->seen = e->seq;
		c->parent = top->id;
	} else {
		c->lost = 1; /* at least one caller unknown: none is certain */
	}
	return 0;
}

int frames__enter(struct frames *fr, const struct frames_ev *e, char *args)
{
	struct thread *t = thread_of(fr, e->tid);
	struct tail_wait tail;
	struct open_frame *ns, *top;
	struct store_frame row;
	struct caller c;
	uint32_t depth;
	int64_t id;
	int err;

	if (!t) {
		free(args);
		return -ENOMEM;
	}
	tail = t->tail;
	err = account(fr, t, e);
	/* threads often name themselves after they start: keep the latest */
	if (e->comm && e->comm[0] && strncmp(t->name, e->comm, 15)) {
		snprintf(t->name, sizeof(t->name), "%.15s", e->comm);
		t->dirty = true;
	}
	if (e->ns_tid)
		t->ns_tid = e->ns_tid;
	if (!err)
		err = find_parent(fr, t, e, &c);
	if (err) {
		free(args);
		return err;
	}
	top = top_of(t);
	depth = e->depth;
	if (e->nolink) /* below BPF's shadow stack when counted, in our own count otherwise */
		depth = top ? top->depth + 1 : 0;
	if (e->nolink && e->seq && depth < RST_SHADOW_DEPTH)
		depth = RST_SHADOW_DEPTH;
	ns = grow_array(t->stack, &t->cap, t->depth + 1, sizeof(*ns));
	if (!ns) {
		free(args);
		return -ENOMEM;
	}
	t->stack = ns;
	id = fr->next_id;
	t->stack[t->depth++] =
		(struct open_frame){ id, e->func_id, depth, e->cfa, e->seq, e->seq, { 0 }, e->sret };
	/*
	 * The jmp's target, entered as the thread's very next event in the
	 * frame the jmp left. A same-CFA entry of another function is no proof:
	 * the caller may call again from the same rsp after an untraced target
	 * returned.
	 */
	if (tail.n && e->seq && e->seq == t->tail_seq + 1 && e->cfa && e->cfa == t->tail_cfa &&
	    e->fn_addr && e->fn_addr == t->tail_to)
		t->stack[t->depth - 1].wait = tail;
	__atomic_store_n(&fr->next_id, id + 1, __ATOMIC_RELAXED);
	row = (struct store_frame){ .id = id, .parent = c.parent, .parent_lost = c.lost,
				    .ancestor = c.ancestor, .tid = e->tid, .func_id = e->func_id,
				    .entry_ns = e->ts_ns };
	return store__enter(fr->st, &row, args);
}

/* ret (freed) replaced by an unknown value of the exit's return type, with why. */
static char *ret_unknown(char *ret, const struct frames_ev *e, const char *why)
{
	struct strbuf sb;

	free(ret);
	sb_init(&sb);
	sb_puts(&sb, "{\"type\":");
	if (e->ret_type)
		json_str(&sb, e->ret_type, strlen(e->ret_type));
	else
		sb_puts(&sb, "null");
	sb_puts(&sb, ",\"value\":null,\"error\":");
	json_str(&sb, why, strlen(why));
	sb_putc(&sb, '}');
	return sb_detach(&sb);
}

/*
 * f left by a tail call (its value unknown): it returns what the jmp's
 * target returns, and so do the frames waiting on f itself.
 */
static void wait_tail(struct thread *t, const struct open_frame *f, const struct frames_ev *e)
{
	struct tail_wait w = f->wait;

	if (!e->seq || !f->cfa || !e->tail_to || !e->ret_type)
		return;
	if (w.n && strcmp(w.type, e->ret_type))
		w.n = 0; /* the chain's types differ: only f waits */
	if (w.n == TAIL_CHAIN)
		return;
	w.ids[w.n++] = f->id;
	w.type = e->ret_type;
	t->tail = w;
	t->tail_seq = e->seq;
	t->tail_cfa = f->cfa;
	t->tail_to = e->tail_to;
}

/* f returned ret, known: the frames that tail-called into it returned it too. */
static int give_tail(struct frames *fr, const struct open_frame *f, const struct frames_ev *e,
		     const char *ret)
{
	int i, err = 0;

	if (!f->wait.n || !ret || strstr(ret, "\"value\":null") || !e->ret_type ||
	    strcmp(e->ret_type, f->wait.type))
		return 0;
	for (i = 0; i < f->wait.n && !err; i++) {
		char *copy = strdup(ret);

		err = copy ? store__set_ret(fr->st, f->wait.ids[i], copy) : -ENOMEM;
	}
	return err;
}

int frames__exit(struct frames *fr, const struct frames_ev *e, char *ret,
		 enum frame_status status)
{
	struct thread *t = thread_of(fr, e->tid);
	struct open_frame *top;
	int err;

	if (!t) {
		free(ret);
		return -ENOMEM;
	}
	err = account(fr, t, e);
	if (!err && !e->nolink) {
		err = close_from(fr, t, e->depth + 1);
		top = top_of(t);
		if (!err && e->link && top && top->seq == e->link)
			goto close;
		/* its entry was lost (or never seen): what sits at its depth is not it */
		if (!err)
			err = close_from(fr, t, e->depth);
		free(ret);
		return err ? err : 1;
	}
	if (!err)
		err = pop_below(fr, t, e->cfa, false);
	top = top_of(t);
	if (err || !top || top->func_id != e->func_id ||
	    (e->cfa && top->cfa && top->cfa != e->cfa)) {
		free(ret);
		return err ? err : 1;
	}
	/* events lost since it began: this may be the exit of another call at the same place */
	if (e->seq && t->gap_seq > top->seen) {
		free(ret);
		err = drop_top(fr, t, FS_LOST);
		return err ? err : 1;
	}
close:
	t->depth--;
	if (e->ret_ptr_read && ret && (!top->sret || top->sret != e->ret_ptr))
		ret = ret_unknown(ret, e, "returned through memory, and the pointer it was written "
					  "through is not known at the ret");
	if (status == FS_TAIL_CALL)
		wait_tail(t, top, e);
	else
		err = give_tail(fr, top, e, ret);
	if (err) {
		free(ret);
		return err;
	}
	return store__exit(fr->st, top->id, e->ts_ns, ret, status);
}

int frames__panic(struct frames *fr, const struct frames_ev *e, const char *message,
		  const char *location)
{
	struct thread *t = thread_of(fr, e->tid);
	struct open_frame *top;
	int64_t frame = 0;
	int err;

	if (!t)
		return -ENOMEM;
	err = account(fr, t, e);
	if (!err && !e->nolink)
		err = close_from(fr, t, e->depth);
	if (err)
		return err;
	top = top_of(t);
	if (top && (e->nolink ? !e->seq || t->gap_seq <= top->seen : top->seq == e->link))
		frame = top->id;
	t->panicking = true;
	t->panic_seq = e->seq;
	return store__panic(fr->st, e->tid, frame, e->ts_ns, message, location);
}

int frames__caught(struct frames *fr, const struct frames_ev *e, bool inclusive)
{
	struct thread *t = thread_of(fr, e->tid);
	int err;

	if (!t)
		return -ENOMEM;
	err = account(fr, t, e);
	/* what it closes was unwound, unless lost since its entry */
	t->panicking = true;
	t->panic_seq = e->seq;
	if (!err)
		err = e->nolink ? pop_below(fr, t, e->cfa, inclusive) : close_from(fr, t, e->depth);
	t->panicking = false;
	return err;
}

int frames__note(struct frames *fr, const struct frames_ev *e)
{
	struct thread *t = thread_of(fr, e->tid);

	return t ? account(fr, t, e) : -ENOMEM;
}

int64_t frames__count(const struct frames *fr)
{
	return __atomic_load_n(&fr->next_id, __ATOMIC_RELAXED) - 1;
}

static int write_thread(struct frames *fr, struct thread *t)
{
	struct store_thread row = { t->tid, t->ns_tid, t->name[0] ? t->name : NULL, t->first_ns,
				    t->last_ns, t->events, t->lost };

	t->dirty = false;
	return store__thread(fr->st, &row);
}

int frames__sync(struct frames *fr)
{
	size_t i;
	int err = 0;

	for (i = 0; i < fr->cap && !err; i++)
		if (fr->threads[i].tid && fr->threads[i].dirty)
			err = write_thread(fr, &fr->threads[i]);
	return err;
}

bool frames__lost_since(struct frames *fr, uint32_t tid, uint64_t first, uint64_t upto)
{
	struct thread *t = thread_of(fr, tid);

	return !t || !first || !upto || t->gap_seq > first || upto > t->last_seq + 1;
}

int frames__final_count(struct frames *fr, uint32_t tid, uint64_t events)
{
	struct thread *t = thread_of(fr, tid);
	uint64_t n;

	if (!t)
		return -ENOMEM;
	if (events <= t->last_seq)
		return 0;
	n = events - t->last_seq;
	t->lost += n;
	t->gap_seq = events + 1;
	t->dirty = true;
	t->last_seq = events;
	return store__gap(fr->st, tid, t->events ? t->last_ns : 0, 0, n);
}

int frames__thread_end(struct frames *fr, const struct frames_ev *e)
{
	struct thread *t = thread_of(fr, e->tid);
	int err;

	if (!t)
		return -ENOMEM;
	err = frames__final_count(fr, e->tid, e->seq);
	while (!err && t->depth > 0)
		err = drop_top(fr, t, FS_OPEN);
	if (!err)
		err = write_thread(fr, t);
	free(t->stack);
	t->stack = NULL;
	t->cap = 0;
	t->panicking = false;
	t->last_seq = t->gap_seq = t->panic_seq = 0;
	return err;
}

void frames__totals(const struct frames *fr, uint64_t *events, uint64_t *lost)
{
	size_t i;

	*events = *lost = 0;
	for (i = 0; i < fr->cap; i++) {
		*events += fr->threads[i].events;
		*lost += fr->threads[i].lost;
	}
}

int frames__finish(struct frames *fr, enum frame_status status)
{
	size_t i;
	int err = 0;

	for (i = 0; i < fr->cap && !err; i++) {
		struct thread *t = &fr->threads[i];

		if (!t->tid)
			continue;
		while (t->depth > 0 && !err)
			err = drop_top(fr, t, status);
		if (!err)
			err = write_thread(fr, t);
	}
	return err;
}
