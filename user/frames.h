/* SPDX-License-Identifier: MIT */
/*
 * Per-thread call stacks rebuilt from entry/exit events. Frames are matched by
 * their canonical frame address (CFA), so frames left by unwinding (panics) or
 * whose exit was never seen are popped when the stack moves past them.
 */
#ifndef FRAMES_H
#define FRAMES_H
#include <stdint.h>
#include "store.h"

struct frames;

int frames__new(struct store *st, struct frames **out);
void frames__free(struct frames *fr);
/* args taken over. */
int frames__enter(struct frames *fr, uint32_t tid, uint32_t ns_tid, const char *comm,
		  int func_id, uint64_t cfa, uint64_t ts_ns, char *args);
/*
 * Closes the frame of func_id at cfa on tid with ret (taken over, may be NULL).
 * Returns 1 when no open frame matches (an exit whose entry was not seen).
 */
int frames__exit(struct frames *fr, uint32_t tid, int func_id, uint64_t cfa,
		 uint64_t ts_ns, char *ret, const char *status);
/*
 * A panic starts unwinding tid: recorded against the innermost open frame;
 * frames still open when the process ends on this thread count as unwound.
 */
int frames__panic(struct frames *fr, uint32_t tid, uint64_t ts_ns,
		  const char *message, const char *location);
/*
 * catch_unwind caught a panic on tid: frames below cfa (with `inclusive`, at
 * cfa too) were unwound, and the panic is over.
 */
int frames__caught(struct frames *fr, uint32_t tid, uint64_t cfa, bool inclusive,
		   uint64_t ts_ns);
/* Frames recorded so far. */
int64_t frames__count(const struct frames *fr);
/* Marks every open frame with status (e.g. "open" at process exit) and writes thread rows. */
int frames__finish(struct frames *fr, const char *status);
#endif
