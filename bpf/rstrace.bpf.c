// SPDX-License-Identifier: GPL-2.0
/*
 * One program for every probe site. The BPF cookie of the attachment indexes
 * `plans`; the plan says which registers and which memory to copy, so values
 * are captured at the moment of the call (or return), not read later.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rstrace.h"

char LICENSE[] SEC("license") = "GPL";

/* 0: any process (the attachment already filters by pid, when the kernel can). */
const volatile __u32 target_tgid = 0;
/* Force a consumer wake-up when this many bytes come to wait; below, it polls on a timer. */
const volatile __u64 wakeup_bytes = 1 << 20;
/* tests: every Nth event on a CPU takes the busy path (struct scratch); 0 in use */
const volatile __u32 test_busy_every = 0;
/* Call-rate limit: entries of one function per window; 0: no limit. */
const volatile __u64 max_calls = 0;
const volatile __u64 rate_window_ns = 1000000000;
/* Set by userspace once every probe is attached. */
bool ready = false;
/* Generation of the live multi link (RST_COOKIE_GEN); flipped by a relink. */
__u32 live_gen = 0;
/* A relink is under way: both generations' handlers may run for one hit. */
__u32 relinking = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* resized before load */
	__type(key, __u32);
	__type(value, struct rst_plan);
} plans SEC(".maps");

/* Indexed by func_id; resized before load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rst_rate);
} rates SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RST_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/*
 * The event under construction. Offsets are masked to RST_EVENT_MAX and one
 * read adds at most READ_MASK bytes, which the verifier can prove stays inside.
 * (Per-CPU map values are limited to 32 KiB.)
 */
#define BUF_SIZE (RST_EVENT_MAX + 2 * RST_READ_MAX + 64)
/*
 * Read sizes are clamped to RST_READ_MAX, but clang may pass the unclamped
 * copy of the register to the helper; an opaque mask keeps the bound visible.
 */
#define READ_MASK (2 * RST_READ_MAX - 1)
#define bound_len(x) asm volatile("%[v] &= %[m]" : [v] "+r"(x) : [m] "i"(READ_MASK))
struct scratch {
	/* A copy: the verifier rejects ctx reads at offsets computed at run time. */
	struct pt_regs regs;
	__u8 buf[BUF_SIZE];
	__u16 blob_off[RST_MAX_BLOBS];
	__u16 step_first[RST_MAX_STEPS];
	__u16 step_count[RST_MAX_STEPS];
	/*
	 * An event is being built here. A uprobe program runs with migration,
	 * not preemption, disabled: another thread's probe on this CPU may run
	 * in the middle of one and must not write into it.
	 */
	__u32 busy;
	__u32 nth; /* events on this CPU, for test_busy_every */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Per thread: event counter and shadow call stack (struct rst_thread). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct rst_thread);
} threads SEC(".maps");

/* A zeroed rst_thread to insert from: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rst_thread);
} thread_init SEC(".maps");

/* Threads inside std's default panic hook: their stderr writes are the panic message. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} in_panic_hook SEC(".maps");

struct cctx {
	struct pt_regs *regs;
	struct rst_plan *plan;
	struct scratch *s;
	__u32 pos;
	__u16 nblobs;
	__u16 flags;
	/* DEREF iteration state */
	__u32 step;
	__u32 pblob; /* parent blob being walked */
	__u32 pend;
	__u32 elem;
	/* what emit() appends next (BPF subprograms take at most five arguments) */
	__u16 e_step;
	__u16 e_parent;
	__u16 e_elem;
	__u16 e_flags;
	__u32 last; /* offset of the last blob header */
};

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		(*v)++;
}

/* DWARF x86-64 register numbers (System V psABI, figure 3.36). */
static __always_inline __u64 reg_of(struct pt_regs *r, __u32 n)
{
	switch (n) {
	case 0: return r->ax;
	case 1: return r->dx;
	case 2: return r->cx;
	case 3: return r->bx;
	case 4: return r->si;
	case 5: return r->di;
	case 6: return r->bp;
	case 7: return r->sp;
	case 8: return r->r8;
	case 9: return r->r9;
	case 10: return r->r10;
	case 11: return r->r11;
	case 12: return r->r12;
	case 13: return r->r13;
	case 14: return r->r14;
	case 15: return r->r15;
	case 16: return r->ip;
	}
	return 0;
}

#include "shadow.bpf.h"

static __always_inline __u64 buf_u64(struct scratch *s, __u32 off)
{
	__u64 v = 0;

	if (off <= RST_EVENT_MAX - sizeof(v))
		bpf_probe_read_kernel(&v, sizeof(v), &s->buf[off & (RST_EVENT_MAX - 1)]);
	return v;
}

/* Extends the last blob by one DWARF piece (at most 8 bytes of register or RST_READ_MAX of memory). */
static __always_inline int emit_append(struct cctx *c, __u64 val, __u64 want, int is_reg)
{
	struct scratch *s = c->s;
	struct rst_blob *b;
	__u32 off, len = want;
	__u8 *data;

	if (!s || !c->nblobs)
		return 1;
	b = (void *)&s->buf[c->last & (RST_EVENT_MAX - 1)];
	off = (c->last & (RST_EVENT_MAX - 1)) + sizeof(*b) + (b->len & (RST_EVENT_MAX - 1));
	if (off + want + 8 > RST_EVENT_MAX) {
		c->flags |= RST_EV_TRUNC;
		return 1;
	}
	if (len > RST_READ_MAX)
		len = RST_READ_MAX;
	data = &s->buf[off & (RST_EVENT_MAX - 1)];
	bound_len(len);
	if (is_reg) {
		if (len > 8)
			len = 8;
		*(__u64 *)data = val;
	} else if (!val || bpf_probe_read_user(data, len, (void *)val)) {
		/* Keeps later pieces at their offsets; userspace trusts no byte of a faulted blob. */
		b->flags |= RST_BLOB_FAULT;
	}
	b->len += len;
	b->want += len;
	c->pos = (c->last & (RST_EVENT_MAX - 1)) + sizeof(*b) + ((b->len + 7) & ~7u);
	return 0;
}

/*
 * Appends one blob described by c->e_*: the value of a register (is_reg, val)
 * or `want` bytes of user memory at `val`, at most `cap` of them.
 */
static __noinline int emit(struct cctx *c, __u64 val, __u64 want, __u64 cap, int is_reg)
{
	struct scratch *s = c->s;
	__u32 pos = c->pos, len, flags = c->e_flags, room;
	struct rst_blob *b;
	__u8 *data;

	if (!s)
		return 1;
	if (c->e_flags & RST_STEP_APPEND)
		return emit_append(c, val, want, is_reg);
	if (c->nblobs >= RST_MAX_BLOBS || pos + sizeof(*b) + 8 > RST_EVENT_MAX) {
		c->flags |= RST_EV_TRUNC;
		return 1;
	}
	room = RST_EVENT_MAX - pos - sizeof(*b);
	if (is_reg && cap > 8)
		cap = 8;
	if (is_reg)
		want = cap;
	len = want > cap ? cap : want;
	if (len > room) {
		len = room & ~7u;
		c->flags |= RST_EV_TRUNC;
	}
	if (len > RST_READ_MAX)
		len = RST_READ_MAX;
	if (len < want)
		flags |= RST_BLOB_TRUNC;
	bound_len(len);

	pos &= RST_EVENT_MAX - 1;
	b = (void *)&s->buf[pos];
	data = &s->buf[(pos + sizeof(*b)) & (RST_EVENT_MAX - 1)];
	if (is_reg) {
		*(__u64 *)data = val;
	} else if (!val) {
		flags |= RST_BLOB_NULL;
		len = 0;
	} else if (len && bpf_probe_read_user(data, len, (void *)val)) {
		flags |= RST_BLOB_FAULT;
		len = 0;
	}
	b->step = c->e_step;
	b->parent = c->e_parent;
	b->elem = c->e_elem;
	b->flags = flags;
	b->len = len;
	b->want = want > 0xffffffffull ? 0xffffffffu : want;
	s->blob_off[c->nblobs & (RST_MAX_BLOBS - 1)] = pos;
	c->last = pos;
	c->nblobs++;
	c->pos = pos + sizeof(*b) + ((len + 7) & ~7u);
	return 0;
}

/* One element of one parent blob per call; returns 1 when the step is done. */
static long deref_cb(__u32 i, struct cctx *c)
{
	struct scratch *s = c->s;
	struct rst_step *st;
	struct rst_blob *pb;
	__u32 boff, nelem, ebase, step = c->step;
	__u64 ptr, want;

	if (!s || step >= RST_MAX_STEPS || c->pblob >= c->pend)
		return 1;
	st = &c->plan->steps[step & (RST_MAX_STEPS - 1)];
	boff = s->blob_off[c->pblob & (RST_MAX_BLOBS - 1)] & (RST_EVENT_MAX - 1);
	pb = (void *)&s->buf[boff];
	nelem = st->stride ? pb->len / st->stride : 1;
	if (pb->len == 0)
		nelem = 0;
	if (nelem > st->max_elems)
		nelem = st->max_elems;
	if (c->elem >= nelem) {
		c->pblob++;
		c->elem = 0;
		return 0;
	}
	ebase = boff + sizeof(*pb) + c->elem * st->stride;
	ptr = buf_u64(s, ebase + st->ptr_off);
	if (st->len_off == RST_NO_LEN)
		want = st->max_len;
	else
		want = (buf_u64(s, ebase + st->len_off) + !!(st->flags & RST_STEP_LEN1)) *
		       st->elem_size;
	if (ptr)
		ptr += (__s64)st->off;
	if (ptr && (st->flags & RST_STEP_BELOW))
		ptr -= want > st->max_len ? st->max_len : want;
	c->e_step = step;
	c->e_parent = c->pblob;
	c->e_elem = c->elem;
	c->e_flags = 0;
	if (emit(c, ptr, want, st->max_len, 0))
		return 1;
	c->elem++;
	return 0;
}

static long step_cb(__u32 i, struct cctx *c)
{
	struct scratch *s = c->s;
	struct rst_step *st;
	__u32 idx = i & (RST_MAX_STEPS - 1);

	if (!s || i >= RST_MAX_STEPS || i >= c->plan->nsteps)
		return 1;
	st = &c->plan->steps[idx];
	s->step_first[idx] = c->nblobs;
	c->e_step = i;
	c->e_parent = RST_NO_PARENT;
	c->e_elem = 0;
	c->e_flags = st->flags & RST_STEP_APPEND;
	switch (st->op) {
	case RST_OP_REG:
		emit(c, reg_of(c->regs, st->reg) + (__s64)st->off, st->max_len, st->max_len, 1);
		break;
	case RST_OP_MEM:
		emit(c, reg_of(c->regs, st->reg) + (__s64)st->off, st->max_len, st->max_len, 0);
		break;
	case RST_OP_DEREF:
		if (st->parent >= i)
			break;
		c->step = i;
		c->pblob = s->step_first[st->parent & (RST_MAX_STEPS - 1)];
		c->pend = c->pblob + s->step_count[st->parent & (RST_MAX_STEPS - 1)];
		c->elem = 0;
		bpf_loop(2 * RST_MAX_BLOBS, deref_cb, c, 0);
		break;
	}
	s->step_count[idx] = c->nblobs - s->step_first[idx];
	return 0;
}

/*
 * Call-rate budget, checked before any capture work. Above max_calls entries
 * in one window a function is limited: its entries are dropped from then on
 * and userspace removes its probes; its exits still pass until then, so calls
 * already entered close normally. Counting is racy across CPUs (no atomics
 * whose result is used: BPF v1), which only nudges the count.
 *
 * A global function: the verifier checks it once, and the caller only learns
 * "0 or not", so what follows is not verified again per path taken in here
 * (inlined, it made loading ~4x slower).
 */
__noinline int rate_drop(__u32 func_id, __u32 site, __u64 now)
{
	struct rst_rate *r;
	struct rst_limit *l;
	__u64 n;

	if (site > RST_SITE_TAIL)
		return 0;
	r = bpf_map_lookup_elem(&rates, &func_id);
	if (!r)
		return 0;
	if (r->state == RST_RATE_GONE)
		return 1;
	if (site != RST_SITE_ENTRY)
		return 0;
	if (r->state != RST_RATE_LIVE)
		return 1;
	if (now - r->win_start >= rate_window_ns) {
		r->win_start = now;
		r->calls = 0;
	}
	__sync_fetch_and_add(&r->calls, 1);
	n = r->calls;
	if (n <= max_calls)
		return 0;
	r->state = RST_RATE_LIMITED;
	/* two CPUs crossing together may both report: userspace keeps the first */
	l = bpf_ringbuf_reserve(&events, sizeof(*l), 0);
	if (!l) {
		stat_inc(RST_STAT_LOST);
		return 1;
	}
	__builtin_memset(l, 0, sizeof(*l));
	l->type = RST_REC_LIMIT;
	l->func_id = func_id;
	l->ts_ns = now;
	l->calls = n;
	l->window_ns = now - r->win_start;
	bpf_ringbuf_submit(l, BPF_RB_FORCE_WAKEUP);
	return 1;
}

/*
 * A uretprobe runs after the ret popped the return address: rsp goes back to
 * where a probe on the ret would see it, so plans (and the CFA rule rsp + 8)
 * made for a ret site read the same bytes.
 */
static __always_inline __u64 retprobe_sp(__u64 sp)
{
	return sp - 8;
}

static __always_inline __u8 rec_type(__u8 site)
{
	if (site == RST_SITE_PANIC)
		return RST_REC_PANIC;
	if (site == RST_SITE_CAUGHT || site == RST_SITE_CLEANUP)
		return RST_REC_CAUGHT;
	return site == RST_SITE_ENTRY ? RST_REC_ENTRY : RST_REC_EXIT;
}

/*
 * The scratch buffer is busy (see struct scratch): this event goes through
 * the shadow stack like one the ring buffer had no room for, without its
 * values, and counts as lost.
 */
static __noinline int busy_drop(struct pt_regs *ctx, const struct rst_plan *plan, __u64 id,
				__u64 cookie, __u64 now)
{
	struct rst_event ev = {};
	struct pt_regs regs;

	if (!plan || bpf_probe_read_kernel(&regs, sizeof(regs), ctx))
		return 0;
	ev.type = rec_type(plan->site);
	ev.site = plan->site;
	ev.tgid = id >> 32;
	ev.tid = (__u32)id;
	ev.ts_ns = now;
	if (plan->site == RST_SITE_PANIC)
		bpf_map_delete_elem(&in_panic_hook, &ev.tid);
	if (cookie & RST_COOKIE_RETPROBE)
		regs.sp = retprobe_sp(regs.sp);
	if (plan->cfa_reg == 0xff)
		ev.flags |= RST_EV_NOCFA;
	else
		ev.cfa = reg_of(&regs, plan->cfa_reg) + (__s64)plan->cfa_off;
	track(&ev, (__u32)id, plan->func_id, plan->leaves, 0);
	stat_inc(RST_STAT_LOST);
	return 0;
}

/*
 * A call of libc write() in std's stderr writers, from a thread inside the
 * default panic hook: "thread 'T' panicked at FILE:LINE:COL:\nMESSAGE". Only
 * fd 2: a writer copy shared with another stream (legacy-mangled std's
 * write_all) also calls here.
 */
static __always_inline int panic_text(struct pt_regs *ctx, __u64 id, __u64 now)
{
	__u32 tid = (__u32)id, key = 0, len, size;
	struct rst_event *ev;
	struct rst_blob *b;
	struct scratch *s;
	__u64 buf;

	if (ctx->di != 2 || !bpf_map_lookup_elem(&in_panic_hook, &tid))
		return 0;
	s = bpf_map_lookup_elem(&scratch, &key);
	if (!s)
		return 0;
	if (s->busy) {
		lost_here(tid);
		return 0;
	}
	buf = ctx->si;
	len = ctx->dx;
	if (len > RST_PANIC_TEXT_MAX)
		len = RST_PANIC_TEXT_MAX;
	ev = (void *)s->buf;
	b = (void *)(s->buf + sizeof(*ev));
	__builtin_memset(ev, 0, sizeof(*ev));
	__builtin_memset(b, 0, sizeof(*b));
	bound_len(len);
	if (bpf_probe_read_user(b + 1, len, (void *)buf))
		return 0;
	ev->type = RST_REC_PANIC_TEXT;
	ev->site = RST_SITE_STDERR;
	ev->nblobs = 1;
	ev->tgid = id >> 32;
	ev->tid = tid;
	ev->ts_ns = now;
	b->parent = RST_NO_PARENT;
	b->len = b->want = len;
	size = sizeof(*ev) + sizeof(*b) + ((len + 7) & ~7u);
	if (size > RST_EVENT_MAX)
		return 0;
	ev->size = size;
	track(ev, tid, 0, false, 0);
	if (bpf_ringbuf_output(&events, s->buf, size, 0))
		stat_inc(RST_STAT_LOST);
	return 0;
}

/* Whether a jcc with condition code cc (0x70 + cc) jumps, from the flags at the probe. */
static __always_inline bool jcc_taken(struct pt_regs *ctx, __u8 cc)
{
	__u64 f = ctx->flags;
	bool cf = f & 0x1, pf = f & 0x4, zf = f & 0x40, sf = f & 0x80, of = f & 0x800, r;

	switch (cc >> 1) {
	case 0: r = of; break;
	case 1: r = cf; break;
	case 2: r = zf; break;
	case 3: r = cf || zf; break;
	case 4: r = sf; break;
	case 5: r = pf; break;
	case 6: r = sf != of; break;
	default: r = zf || sf != of; break;
	}
	return (cc & 1) ? !r : r;
}

/*
 * Whether this handler takes the hit: its link's generation is the live one.
 * During a relink the second handler of a hit (same thread, ip and sp, the
 * other generation, right after the first) does the opposite of the first,
 * whatever live_gen became in between.
 */
static __always_inline bool gen_takes(struct pt_regs *ctx, __u64 cookie, __u32 tid)
{
	__u8 gen = (cookie & RST_COOKIE_GEN) ? 1 : 0;
	bool take = gen == live_gen;
	struct rst_thread *t;

	if (!relinking || !(t = thread_state(tid)))
		return take;
	if (t->hit_pending && t->hit_gen != gen && t->hit_ip == ctx->ip && t->hit_sp == ctx->sp) {
		t->hit_pending = 0;
		return !t->hit_took;
	}
	t->hit_pending = 1;
	t->hit_gen = gen;
	t->hit_took = take;
	t->hit_ip = ctx->ip;
	t->hit_sp = ctx->sp;
	return take;
}

SEC("uprobe")
int rst_probe(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), cookie, now, avail;
	__u32 key = 0, pkey, tid = (__u32)id, one = 1;
	struct rst_shadow_frame *pushed;
	struct rst_event *ev;
	struct cctx c = {};
	__u64 flags = BPF_RB_NO_WAKEUP;
	__u32 size;
	__u8 site;

	if (!ready)
		return 0;
	if (target_tgid && (id >> 32) != target_tgid)
		return 0;
	cookie = bpf_get_attach_cookie(ctx);
	if (!(cookie & RST_COOKIE_FIXED) && !gen_takes(ctx, cookie, tid))
		return 0;
	pkey = (__u32)cookie;
	c.plan = bpf_map_lookup_elem(&plans, &pkey);
	if (!c.plan)
		return 0;
	site = c.plan->site;
	now = bpf_ktime_get_ns();
	if (site == RST_SITE_HOOK) {
		bpf_map_update_elem(&in_panic_hook, &tid, &one, BPF_ANY);
		return 0;
	}
	if (site == RST_SITE_STDERR)
		return panic_text(ctx, id, now);
	/* a conditional tail call not taken: the function goes on */
	if (site == RST_SITE_TAIL && c.plan->cond != RST_COND_NONE && !jcc_taken(ctx, c.plan->cond))
		return 0;
	if (max_calls && rate_drop(c.plan->func_id, site, now))
		return 0;
	c.s = bpf_map_lookup_elem(&scratch, &key);
	if (!c.s)
		return 0;
	if (c.s->busy || (test_busy_every && ++c.s->nth % test_busy_every == 0))
		return busy_drop(ctx, c.plan, id, cookie, now);
	c.s->busy = 1;
	if (bpf_probe_read_kernel(&c.s->regs, sizeof(c.s->regs), ctx)) {
		c.s->busy = 0;
		return 0;
	}
	if (cookie & RST_COOKIE_RETPROBE) {
		/* ip becomes the probed function's address (the site's pc) */
		__u64 ip = bpf_get_func_ip(ctx);

		c.s->regs.sp = retprobe_sp(c.s->regs.sp);
		if (ip)
			c.s->regs.ip = ip;
	}
	c.regs = &c.s->regs;
	if (c.plan->sret_at_ret) {
		__u64 sret = sret_of(tid, c.plan, c.regs);

		if (sret) /* else rax, which userspace checks against the entry's pointer */
			c.s->regs.ax = sret;
	}
	c.pos = sizeof(*ev);
	bpf_loop(RST_MAX_STEPS, step_cb, &c, 0);

	ev = (void *)c.s->buf;
	if (site == RST_SITE_PANIC)
		bpf_map_delete_elem(&in_panic_hook, &tid);
	ev->type = rec_type(site);
	ev->site = site;
	ev->nblobs = c.nblobs;
	ev->cookie = pkey;
	ev->tgid = id >> 32;
	ev->tid = tid;
	ev->ts_ns = now;
	ev->flags = c.flags;
	/* thread identity only where userspace reads it: once per call, not per return */
	if (ev->type == RST_REC_ENTRY) {
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
		ev->ns_tid = ns_tid();
	} else {
		ev->comm[0] = 0;
		ev->ns_tid = 0;
	}
	if (c.plan->cfa_reg == 0xff) {
		ev->cfa = 0;
		ev->flags |= RST_EV_NOCFA;
	} else {
		ev->cfa = reg_of(c.regs, c.plan->cfa_reg) + (__s64)c.plan->cfa_off;
	}
	size = c.pos;
	if (size > RST_EVENT_MAX)
		size = RST_EVENT_MAX;
	ev->size = size;
	pushed = track(ev, tid, c.plan->func_id, c.plan->leaves,
		       c.plan->sret_reg == RST_NO_SRET ? 0 : reg_of(c.regs, c.plan->sret_reg));
	if (c.flags & RST_EV_TRUNC)
		stat_inc(RST_STAT_TRUNC);
	/*
	 * Wake the consumer when this record takes what waits past
	 * wakeup_bytes, not on every record above it: a consumer that falls
	 * behind would otherwise cost each call an irq_work wake-up (~0.5 us
	 * here). epoll keeps the ring ready until it is read, so a wake-up
	 * while the consumer is busy is not lost.
	 */
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (avail < wakeup_bytes && avail + size >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, c.s->buf, size, flags)) {
		stat_inc(RST_STAT_LOST);
	} else {
		stat_inc(RST_STAT_EVENTS);
		if (pushed)
			pushed->sent = 1;
	}
	c.s->busy = 0;
	return 0;
}

/*
 * A traced thread exits. Its state goes: a long session over threads that
 * come and go would otherwise fill the map (~1.6 KiB of kernel memory
 * each, never freed). Its last number goes to userspace, which counts what was
 * lost since and takes a later thread with this tid as new. Kept when the
 * record cannot be sent, or once muted: the final count reads it then.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(rst_thread_end, struct task_struct *task)
{
	__u32 tid = task->pid, tgid = task->tgid;
	struct rst_thread *t;
	struct rst_event *ev;

	if (!ready || (target_tgid && tgid != target_tgid))
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return 0;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return 0;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = RST_REC_THREAD_END;
	ev->tgid = tgid;
	ev->tid = tid;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->size = sizeof(*ev);
	ev->seq = t->seq;
	bpf_map_delete_elem(&threads, &tid);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* Benchmark baseline: the same probe sites, no work. */
SEC("uprobe")
int rst_empty(struct pt_regs *ctx)
{
	return 0;
}
