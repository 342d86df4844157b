/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-thread state (map `threads`): each thread's event numbers and the
 * shadow call stack that links entry and exit events whatever the ring
 * buffer drops. Included by rstrace.bpf.c after its maps, stat_inc and
 * reg_of.
 */
#ifndef RSTRACE_SHADOW_BPF_H
#define RSTRACE_SHADOW_BPF_H

/* pid->numbers[pid->level].nr: the tid as the innermost PID namespace numbers it. */
static __always_inline __u32 ns_tid(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level & 31]);
	return up.nr;
}

/* The thread's state, created on its first event; NULL only when the map is full. */
static __always_inline struct rst_thread *thread_state(__u32 tid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 start = BPF_CORE_READ(task, start_time);
	struct rst_thread *t = bpf_map_lookup_elem(&threads, &tid);
	__u32 zero = 0;

	if (!t) {
		struct rst_thread *init = bpf_map_lookup_elem(&thread_init, &zero);

		if (!init)
			return NULL;
		bpf_map_update_elem(&threads, &tid, init, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&threads, &tid);
		if (!t)
			return NULL;
	}
	/* the thread that had this tid is gone: its frames with it (the count goes on) */
	if (t->start_time != start) {
		t->start_time = start;
		t->depth = 0;
	}
	return t;
}

struct popctx {
	struct rst_thread *t;
	__u64 cfa;
	bool inclusive;
};

/* Pops one shadow frame that lies below cfa (or at it, inclusive); 1 stops. */
static long pop_cb(__u32 i, struct popctx *p)
{
	struct rst_thread *t = p->t;
	__u64 c;

	if (!t || !t->depth || t->depth > RST_SHADOW_DEPTH)
		return 1;
	c = t->frame[(t->depth - 1) & (RST_SHADOW_DEPTH - 1)].cfa;
	if (!c || !p->cfa || c > p->cfa || (c == p->cfa && !p->inclusive))
		return 1;
	t->depth--;
	return 0;
}

struct ancctx {
	struct rst_thread *t;
	__u32 i; /* next frame to look at, from the top */
	__u64 anc;
};

/* The nearest frame below i whose entry event the ring buffer took. */
static long anc_cb(__u32 n, struct ancctx *a)
{
	struct rst_shadow_frame *f;

	if (!a->t || !a->i)
		return 1;
	a->i--;
	f = &a->t->frame[a->i & (RST_SHADOW_DEPTH - 1)];
	if (!f->sent)
		return 0;
	a->anc = f->seq;
	return 1;
}

/*
 * Numbers the event and links it to the frames around it (rst_event seq,
 * link, depth), by the rules frames.c used to apply in userspace alone: a
 * new call at or above an open frame's CFA means that frame is gone, an
 * exit ends the innermost open frame of its function at its CFA. Here every
 * event is seen, lost ones too, so userspace can rebuild what survived.
 * Frames deeper than the shadow stack (a CFA below its last frame when it is
 * full) get RST_EV_NOLINK and are matched by userspace alone.
 */
static __always_inline struct rst_shadow_frame *track(struct rst_event *ev, __u32 tid,
							   __u32 func_id, bool leaves, __u64 sret)
{
	struct rst_thread *t = thread_state(tid);
	struct popctx p = { .cfa = ev->cfa };
	struct ancctx a = {};
	__u32 d;

	ev->link = 0;
	ev->anc = 0;
	ev->depth = 0;
	if (!t) {
		ev->seq = 0;
		ev->flags |= RST_EV_NOLINK;
		return NULL;
	}
	ev->seq = ++t->seq;
	if (ev->type == RST_REC_PANIC_TEXT)
		return NULL;
	if (t->depth >= RST_SHADOW_DEPTH &&
	    (ev->type == RST_REC_PANIC || !ev->cfa ||
	     ev->cfa < t->frame[(RST_SHADOW_DEPTH - 1) & (RST_SHADOW_DEPTH - 1)].cfa)) {
		ev->flags |= RST_EV_NOLINK;
		return NULL;
	}
	p.t = t;
	p.inclusive = ev->type == RST_REC_ENTRY ||
		      (ev->type == RST_REC_CAUGHT && ev->site == RST_SITE_CLEANUP);
	if (ev->type != RST_REC_PANIC)
		bpf_loop(RST_SHADOW_DEPTH, pop_cb, &p, 0);
	d = t->depth;
	if (d > RST_SHADOW_DEPTH - 1 && ev->type == RST_REC_ENTRY) {
		ev->flags |= RST_EV_NOLINK; /* a frame of unknown CFA fills the shadow stack */
		return NULL;
	}
	if (ev->type == RST_REC_ENTRY) {
		struct rst_shadow_frame *f = &t->frame[d & (RST_SHADOW_DEPTH - 1)];

		ev->link = ev->anc = d ? t->frame[(d - 1) & (RST_SHADOW_DEPTH - 1)].seq : 0;
		if (d && !t->frame[(d - 1) & (RST_SHADOW_DEPTH - 1)].sent) {
			a.t = t;
			a.i = d - 1;
			bpf_loop(RST_SHADOW_DEPTH, anc_cb, &a, 0);
			ev->anc = a.anc;
		}
		ev->depth = d;
		f->cfa = ev->cfa;
		f->seq = ev->seq;
		f->func_id = func_id;
		f->sent = 0;
		f->sret = sret;
		/* a site that also leaves: the frame ends with this event */
		if (!leaves)
			t->depth = d + 1;
		return f;
	} else if (ev->type == RST_REC_EXIT) {
		struct rst_shadow_frame *f = &t->frame[(d - 1) & (RST_SHADOW_DEPTH - 1)];

		ev->depth = d;
		if (d && f->func_id == func_id && (!ev->cfa || !f->cfa || f->cfa == ev->cfa)) {
			ev->link = f->seq;
			ev->depth = d - 1;
			t->depth = d - 1;
		}
	} else {
		ev->depth = d;
		if (ev->type == RST_REC_PANIC && d)
			ev->link = t->frame[(d - 1) & (RST_SHADOW_DEPTH - 1)].seq;
	}
	return NULL;
}

/* An event dropped before capture: numbered all the same, so the thread shows a gap. */
static __always_inline void lost_here(__u32 tid)
{
	struct rst_thread *t = thread_state(tid);

	if (t)
		t->seq++;
	stat_inc(RST_STAT_LOST);
}

/*
 * At a ret of a function returning through memory: the pointer its entry
 * got, from its shadow frame (the top one, or one below frames whose exits
 * were not seen), 0 if none matches or the entry did not keep it. Optimized
 * code may leave anything in rax, where the C ABI would have it.
 */
static __always_inline __u64 sret_of(__u32 tid, const struct rst_plan *plan, struct pt_regs *regs)
{
	struct rst_thread *t = bpf_map_lookup_elem(&threads, &tid);
	__u64 cfa;
	__u32 d, i;

	if (!t || plan->cfa_reg == 0xff)
		return 0;
	cfa = reg_of(regs, plan->cfa_reg) + (__s64)plan->cfa_off;
	d = t->depth;
	for (i = 0; i < 4 && d > 0 && d <= RST_SHADOW_DEPTH; i++, d--) {
		struct rst_shadow_frame *f = &t->frame[(d - 1) & (RST_SHADOW_DEPTH - 1)];

		if (f->cfa == cfa)
			return f->func_id == plan->func_id ? f->sret : 0;
		if (f->cfa > cfa)
			return 0;
	}
	return 0;
}

#endif
