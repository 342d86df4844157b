/* SPDX-License-Identifier: MIT */
/*
 * The SQLite trace database. Writes are batched into transactions; frames
 * entered and left within one batch are inserted once, complete.
 */
#ifndef STORE_H
#define STORE_H
#include <stdint.h>
#include "dwarf_index.h"

struct store;

struct store_session {
	const char *command;
	const char *binary;
	int pid;
	uint64_t start_ns, end_ns;
	int exit_status; /* -1: unknown */
	uint64_t events, events_lost, events_truncated;
	const char *attach_mode; /* "uprobe_multi" or "perf_event" */
	const char *kernel; /* uname -r */
	const char *kernel_features; /* what capture found, comma-separated */
	int64_t probes;
	uint64_t attach_ns, detach_ns; /* how long attaching / removing every probe took */
	uint64_t max_calls_per_sec; /* the rate limit in force, 0: none */
};

int store__open(const char *path, struct store **out, char *err, size_t errlen);
/* return_probe: "uretprobe" or "ret" (probes on each ret); why: the reason for "ret" */
int store__add_function(struct store *st, const struct rfunc *f, uint64_t probe_pc,
			const char *return_probe, const char *return_probe_why);
/* args is taken over (freed by the store). */
int store__enter(struct store *st, int64_t id, int64_t parent, uint32_t tid, int func_id,
		 uint64_t entry_ns, char *args);
/* ret (may be NULL) is taken over. */
int store__exit(struct store *st, int64_t id, uint64_t exit_ns, char *ret, const char *status);
int store__thread(struct store *st, uint32_t tid, uint32_t ns_tid, const char *name,
		  uint64_t first_ns, uint64_t last_ns);
/* A panic on tid, in frame_id (<= 0: no traced frame open); message/location may be NULL. */
int store__panic(struct store *st, uint32_t tid, int64_t frame_id, uint64_t ns, const char *message,
		 const char *location);
/*
 * A function went over the call-rate limit at time_ns (calls in window_ns); its
 * probes were removed at removed_ns (0: only muted).
 */
int store__rate_limit(struct store *st, int func_id, uint64_t time_ns, uint64_t calls,
		      uint64_t window_ns, uint64_t max_calls_per_sec, uint64_t removed_ns);
int store__session(struct store *st, const struct store_session *s);
/* Commits the current batch. */
int store__flush(struct store *st);
void store__close(struct store *st);
#endif
