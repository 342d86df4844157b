/* SPDX-License-Identifier: MIT */
/* Records and limits shared by the BPF programs and the userspace loader. */
#ifndef RSTRACE_H
#define RSTRACE_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Steps of one capture plan; a plan exceeding it degrades to "truncated". */
#define RST_MAX_STEPS 64 /* power of two: BPF masks indexes with it */
/* Bytes one event may carry, header included. Power of two (BPF masks with it). */
#define RST_EVENT_MAX 16384
/* Bytes one memory read may copy; bpf_probe_read_user is bounded by it. */
#define RST_READ_MAX 4096
/* Blobs one event may carry. */
#define RST_MAX_BLOBS 128
/* Upper bound of elements one DEREF step walks per parent blob. */
#define RST_MAX_ELEMS 256

#define RST_NO_LEN 0xffff
#define RST_NO_PARENT 0xffff

/* Record type tags: every ring buffer record begins with one. */
enum rst_rec {
	RST_REC_ENTRY = 1,
	RST_REC_EXIT = 2,
	/* the thread starts unwinding (std's rust_panic): frames above die */
	RST_REC_PANIC = 3,
	/* bytes the panic hook wrote to stderr: one blob */
	RST_REC_PANIC_TEXT = 4,
	/* catch_unwind caught a panic: frames below its CFA were unwound */
	RST_REC_CAUGHT = 5,
	/* a function went over the call-rate limit (struct rst_limit, read by capture_limit.c) */
	RST_REC_LIMIT = 6,
	/*
	 * a traced thread exited (an rst_event without blobs, seq = its last
	 * number): BPF dropped its state, the tid may come back numbered anew
	 */
	RST_REC_THREAD_END = 7,
};

/* A register number that reads as 0: RST_OP_REG with it copies the constant `off`. */
#define RST_REG_NONE 17

enum rst_op {
	/* The low max_len (<= 8) bytes of DWARF register `reg` plus `off`. */
	RST_OP_REG = 1,
	/* max_len bytes at regs[reg] + off. */
	RST_OP_MEM = 2,
	/*
	 * For every blob of step `parent` and every element in it (one element of
	 * `stride` bytes, or the whole blob when stride is 0): read the pointer at
	 * element + ptr_off, add off, and copy max_len bytes, or, when len_off is
	 * set, (u64 at element + len_off) * elem_size bytes capped at max_len.
	 */
	RST_OP_DEREF = 3,
};

/* Step flags. */
/*
 * Append the bytes to the previous blob instead of starting a new one: a value
 * split over registers and stack slots (DW_OP_piece) becomes one contiguous
 * blob, so a fat pointer's address and length can be followed together.
 */
#define RST_STEP_APPEND 0x1
/*
 * DEREF: the value lies below the pointer (hashbrown stores buckets below its
 * control bytes): read the min(want, max_len) bytes that end at ptr + off.
 */
#define RST_STEP_BELOW 0x2
/* DEREF: the length field holds count - 1 (hashbrown's bucket_mask). */
#define RST_STEP_LEN1 0x4

struct rst_step {
	__u8 op;
	__u8 reg;
	__u8 flags;
	__u8 pad0;
	__u16 parent;
	__u16 ptr_off;
	__u16 len_off;
	__u16 pad1;
	__u32 stride;
	__u32 elem_size;
	__u32 max_len;
	__u32 max_elems;
	__u32 pad2;
	/* REG: added to the register (with reg RST_REG_NONE, a constant); MEM/DEREF: address offset */
	__s64 off;
};

#ifndef __bpf__
_Static_assert(sizeof(struct rst_step) == 40, "rst_step layout is shared with BPF");
#endif

/* Probe kinds, stored in the plan: what the probe site is. */
enum rst_site {
	RST_SITE_ENTRY = 1,
	/* A ret instruction: rsp points at the return address. */
	RST_SITE_RET = 2,
	/* A jmp leaving the function (tail call): the frame ends, no return value. */
	RST_SITE_TAIL = 3,
	/* Entry of std's rust_panic, called once the panic hook has run. */
	RST_SITE_PANIC = 4,
	/* Entry of std's catch_unwind::do_catch: a panic was caught. */
	RST_SITE_CAUGHT = 5,
	/* Entry of std's catch_unwind::cleanup, called by the catching frame. */
	RST_SITE_CLEANUP = 6,
	/* Entry of std's default panic hook: its stderr writes are the message. No event. */
	RST_SITE_HOOK = 7,
	/*
	 * The call of libc write() inside std's Stderr::write: C ABI there, so
	 * rdi = fd, rsi = buffer, rdx = length whatever rustc's own ABI was.
	 */
	RST_SITE_STDERR = 8,
};

/*
 * BPF cookie of a probe (64 bits): the plan index in the low 32 bits, then
 * flags. A rate-limit relink attaches a new multi link with the other
 * generation bit, flips the BPF global live_gen, then closes the old link.
 * Meanwhile a hit runs both links' handlers, and live_gen may flip between
 * them: exactly one of them takes it (rst_thread.hit_*), none doubles or
 * drops it.
 */
#define RST_COOKIE_GEN (1ull << 32)
/* Attached as a return probe (uretprobe): the handler runs after the ret. */
#define RST_COOKIE_RETPROBE (1ull << 33)
/* Attached once for the whole session (panic bookkeeping): no generation check. */
#define RST_COOKIE_FIXED (1ull << 34)

/* Per-function call-rate state (map `rates`, indexed by func_id). */
enum rst_rate_state {
	RST_RATE_LIVE = 0,
	RST_RATE_LIMITED = 1, /* entries dropped, exits still recorded */
	RST_RATE_GONE = 2, /* probes removed (or, per-probe perf events, muted): all dropped */
};

struct rst_rate {
	__u64 win_start; /* bpf_ktime_get_ns() when the current window began */
	__u64 calls; /* entries in the current window */
	__u32 state; /* enum rst_rate_state */
	__u32 pad;
};

/* RST_REC_LIMIT: emitted once when a function's entries exceed the limit in one window. */
struct rst_limit {
	__u8 type; /* RST_REC_LIMIT */
	__u8 pad[3];
	__u32 func_id;
	__u64 ts_ns; /* CLOCK_MONOTONIC */
	__u64 calls; /* entries counted in the window */
	__u64 window_ns; /* how long the window had run */
};

/* Bytes of panic hook output kept per write(2). */
#define RST_PANIC_TEXT_MAX 1024

/* One per attached probe, indexed by the probe's BPF cookie. */
struct rst_plan {
	__u32 func_id;
	__u8 site;
	/* Canonical frame address = regs[cfa_reg] + cfa_off (from .eh_frame). */
	__u8 cfa_reg;
	__u16 nsteps;
	__s32 cfa_off;
	/*
	 * RST_SITE_TAIL by a jcc (a conditional tail call): its x86 condition
	 * code (the low nibble of 0x70+cc); the frame ends only if the jump is
	 * taken, which the flags at the probe decide. RST_COND_NONE otherwise.
	 */
	__u8 cond;
	/*
	 * An entry site on an instruction that also leaves the function (a lone
	 * ret, a tail jmp): the frame ends with this very event.
	 */
	__u8 leaves;
	/*
	 * Values returned through memory (the caller's pointer in rdi): at the
	 * entry, the register holding that pointer, kept in the shadow frame
	 * (RST_NO_SRET: none); at a ret, 1: rax is replaced by the kept one,
	 * if any, before the steps run (optimized code need not leave it in rax).
	 */
	__u8 sret_reg;
	__u8 sret_at_ret;
	struct rst_step steps[RST_MAX_STEPS];
};

#define RST_NO_SRET 0xff

#define RST_COND_NONE 0xff

/* Event flags. */
#define RST_EV_TRUNC 0x1 /* event budget exhausted: some steps missing */
#define RST_EV_NOCFA 0x2 /* CFA unknown at this site */
/*
 * link and depth say nothing: the frame lies deeper than the shadow stack
 * (RST_SHADOW_DEPTH), or the thread has no state (seq 0). Userspace matches
 * by CFA then.
 */
#define RST_EV_NOLINK 0x4

struct rst_event {
	__u8 type; /* enum rst_rec */
	__u8 site; /* enum rst_site */
	__u16 nblobs;
	__u32 cookie; /* the probe's plan index */
	__u32 tgid;
	__u32 tid;
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 cfa;
	__u32 size; /* bytes of the whole record, blobs included */
	__u16 flags;
	__u16 pad;
	/* entry events only (0 / "" otherwise): */
	/* the tid inside the thread's own PID namespace (a container's view) */
	__u32 ns_tid;
	__u32 pad2;
	/* the thread's name now: /proc may be gone by the time userspace looks */
	char comm[16];
	/*
	 * The thread's event number, from 1, counted whether or not the ring
	 * buffer took the event: a jump tells userspace exactly how many of this
	 * thread's events were lost there. 0: not counted (no thread state).
	 */
	__u64 seq;
	/*
	 * From the shadow stack BPF keeps per thread, which sees every event:
	 * entry: seq of the caller's entry event (0: outermost traced frame);
	 * exit: seq of the entry of the frame it ends (0: none open matches);
	 * panic: seq of the innermost open frame's entry.
	 */
	__u64 link;
	/*
	 * entry: the new frame's depth (0 outermost); exit, caught, panic: frames
	 * left open below it. Frames at this depth or deeper are gone.
	 */
	__u32 depth;
	__u32 pad3;
	/*
	 * entry whose caller's entry event was lost: seq of the nearest caller
	 * further out whose entry was not (0: none); = link otherwise.
	 */
	__u64 anc;
};

/*
 * Per-thread state in BPF (map `threads`): the event counter and a shadow
 * call stack, matched by CFA the way userspace matches frames, so links
 * between events stay right whatever the ring buffer drops.
 */
#define RST_SHADOW_DEPTH 64 /* power of two: BPF masks indexes with it */

struct rst_shadow_frame {
	__u64 cfa;
	__u64 seq; /* its entry event */
	__u32 func_id;
	__u32 sent; /* the ring buffer took its entry event */
	__u64 sret; /* where it returns its value, if through memory (rst_plan.sret_reg) */
};

struct rst_thread {
	__u64 seq; /* events so far, lost ones included */
	__u64 start_time; /* the task's: a new thread reusing the tid starts a new stack */
	__u32 depth; /* frames held in frame[] */
	/*
	 * During a relink (RST_COOKIE_GEN) both links' handlers run for one hit:
	 * the first one's decision, for the second to take the other.
	 */
	__u8 hit_pending, hit_gen, hit_took, pad;
	__u64 hit_ip, hit_sp;
	struct rst_shadow_frame frame[RST_SHADOW_DEPTH];
};

/* Blob flags. */
#define RST_BLOB_TRUNC 0x1 /* fewer bytes than the value has */
#define RST_BLOB_FAULT 0x2 /* the read faulted: no bytes */
#define RST_BLOB_NULL 0x4 /* the pointer was NULL */

/* Follows rst_event; each blob's data is padded to 8 bytes. */
struct rst_blob {
	__u16 step;
	__u16 parent; /* index of the blob holding the pointer, or RST_NO_PARENT */
	__u16 elem; /* element of the parent blob the pointer was in */
	__u16 flags;
	__u32 len; /* bytes of data that follow */
	__u32 want; /* bytes the value had (len < want when truncated) */
};

/* Counters, one slot each in the per-CPU `stats` map. */
enum rst_stat {
	RST_STAT_EVENTS = 0,
	RST_STAT_LOST = 1, /* ring buffer full */
	RST_STAT_TRUNC = 2,
	RST_STAT_NR,
};

#endif /* RSTRACE_H */
