/* SPDX-License-Identifier: MIT */
/*
 * Per-thread call stacks rebuilt from entry/exit events.
 *
 * BPF numbers each thread's events (lost ones too) and links each one to
 * its frame on a shadow stack it keeps by canonical frame address (CFA):
 * an entry names its caller's entry, an exit the entry it ends, and both
 * say how deep the stack is (rst_event seq, link, depth). Frames here follow
 * those links, so whatever the ring buffer drops:
 *   - a call is parented only to the frame BPF saw call it; when that
 *     frame's entry was lost, the call has no parent, parent_lost says how
 *     many callers' entries in a row were, and ancestor the one further out
 *     that was recorded;
 *   - a frame is closed only by its own exit; one whose exit was lost is
 *     closed when a later event shows it gone, with status "lost";
 *   - each thread's lost events are counted from the jumps in its numbers.
 * Frames deeper than BPF's shadow stack (RST_EV_NOLINK) are matched by CFA
 * here, as before; after a loss such a match is trusted only for frames
 * entered since.
 */
#ifndef FRAMES_H
#define FRAMES_H
#include <stdbool.h>
#include <stdint.h>
#include "store.h"

struct frames;

/* What frames.c uses of one event (struct rst_event). */
struct frames_ev {
	uint32_t tid, ns_tid;
	const char *comm; /* entries: the thread's name then; NULL or "" otherwise */
	int func_id;
	uint64_t cfa, ts_ns;
	uint64_t seq; /* the thread's event number; 0: not counted */
	uint64_t link, anc;
	uint32_t depth;
	bool nolink; /* link/depth unknown: match by CFA */
	uint64_t fn_addr; /* entry, exit: the function's address */
	/*
	 * exit by a direct tail call: where the jmp goes (0: elsewhere, or its
	 * value must not be given: redacted)
	 */
	uint64_t tail_to;
	const char *ret_type; /* exit: its return type's name (0: unknown), kept by the caller */
	/*
	 * Returns through memory: the entry's pointer for it (0: unknown), and
	 * rax at the ret the value was read through (ret_ptr_read: it was).
	 */
	uint64_t sret, ret_ptr;
	bool ret_ptr_read;
};

int frames__new(struct store *st, struct frames **out);
/* Whether an event of thread tid numbered after first and before upto was lost (or unnumbered). */
bool frames__lost_since(struct frames *fr, uint32_t tid, uint64_t first, uint64_t upto);
void frames__free(struct frames *fr);
/* args taken over. */
int frames__enter(struct frames *fr, const struct frames_ev *e, char *args);
/*
 * Closes the frame the exit belongs to with ret (taken over, may be NULL).
 * Returns 1 when no open frame is its own (its entry was lost or not seen).
 * For an entry site that also leaves, called with the entry's event after
 * frames__enter (link = its seq, depth = its depth): counted once.
 */
int frames__exit(struct frames *fr, const struct frames_ev *e, char *ret,
		 enum frame_status status);
/*
 * A panic starts unwinding the thread: recorded against the innermost open
 * frame; frames still open when the process ends on this thread count as
 * unwound (lost, if any of the thread's events was lost since).
 */
int frames__panic(struct frames *fr, const struct frames_ev *e, const char *message,
		  const char *location);
/*
 * catch_unwind caught a panic: frames below the event's CFA (with
 * `inclusive`, at it too) were unwound, and the panic is over.
 */
int frames__caught(struct frames *fr, const struct frames_ev *e, bool inclusive);
/* Any other event of the thread (panic text): counted. */
int frames__note(struct frames *fr, const struct frames_ev *e);
/* Frames recorded so far; any thread may ask. */
int64_t frames__count(const struct frames *fr);
/* Writes the rows of threads that changed since the last call (before each commit). */
int frames__sync(struct frames *fr);
/*
 * BPF's final event count for tid (capture__thread_counts after detach):
 * what it has beyond the last event received was lost at the end.
 */
int frames__final_count(struct frames *fr, uint32_t tid, uint64_t events);
/*
 * The thread exited after its event number e->seq: what it has beyond the
 * last event received was lost, frames still open were running when it
 * ended ("open"), and a later thread with its tid is numbered from 1 again
 * (its row stays the same: thread rows are per tid).
 */
int frames__thread_end(struct frames *fr, const struct frames_ev *e);
/* Received and lost events, over every thread. */
void frames__totals(const struct frames *fr, uint64_t *events, uint64_t *lost);
/* Marks every open frame with status (e.g. "open" at process exit) and writes thread rows. */
int frames__finish(struct frames *fr, enum frame_status status);
#endif
