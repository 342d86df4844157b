/* SPDX-License-Identifier: MIT */
/*
 * The SQLite trace database. Writes are batched into transactions; frames
 * entered and left within one batch are inserted once, complete.
 */
#ifndef STORE_H
#define STORE_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "dwarf_index.h"
#include "frame_status.h"

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
	/*
	 * "recording" from the start and at every commit, "complete" written
	 * only by a clean end: a trace whose rstrace was killed or could not
	 * write says "recording" (and has no end_ns).
	 */
	const char *state;
};

struct store_thread {
	uint32_t tid, ns_tid;
	const char *name; /* NULL: keep the one written before */
	uint64_t first_ns, last_ns;
	uint64_t events; /* received */
	uint64_t events_lost; /* lost (ring buffer full), by its event numbers */
};

struct store_opts {
	bool force; /* may replace a regular file that is not an rstrace trace */
	/* never replace this file (the traced program); keep_ino 0: none */
	dev_t keep_dev;
	ino_t keep_ino;
};

/*
 * A new trace for path, written to path.rstrace-tmp (created exclusively, not
 * through a link, mode 0600, flock()ed) until store__publish(). Refused, with
 * why in err: path a symbolic link, directory, device, FIFO or socket, the
 * file opts->keep_*, a file that is not an rstrace trace (unless opts->force)
 * or a trace another rstrace is writing; path-wal, -shm or -journal not a
 * regular file. opts may be NULL.
 */
int store__open(const char *path, const struct store_opts *opts, struct store **out, char *err,
		size_t errlen);
/*
 * Commits, then moves the trace to its path (rename: the file there and its
 * stale -wal/-shm/-journal are replaced at once). Once; later calls do nothing.
 */
int store__publish(struct store *st, char *err, size_t errlen);
/* return_probe: "uretprobe" or "ret" (probes on each ret); why: the reason for "ret" */
int store__add_function(struct store *st, const struct rfunc *f, uint64_t probe_pc,
			const char *return_probe, const char *return_probe_why);
/* A frame as it begins. */
struct store_frame {
	int64_t id;
	int64_t parent; /* -1: none (outermost, or not known: parent_lost) */
	/*
	 * The entry events of this many callers in a row were lost: parent is
	 * -1, ancestor the nearest caller recorded (-1: none).
	 */
	int parent_lost;
	int64_t ancestor;
	uint32_t tid;
	int func_id;
	uint64_t entry_ns;
};

/* args is taken over (freed by the store). */
int store__enter(struct store *st, const struct store_frame *f, char *args);
/* ret (may be NULL) is taken over. */
int store__exit(struct store *st, int64_t id, uint64_t exit_ns, char *ret,
		enum frame_status status);
/* A frame's return value found later (ret taken over): its status and exit stay. */
int store__set_ret(struct store *st, int64_t id, char *ret);
/* Inserts or updates the thread's row. */
int store__thread(struct store *st, const struct store_thread *t);
/*
 * events of tid were lost between after_ns (its last event received before
 * them; 0: none) and before_ns (the next one received; 0: none came).
 */
int store__gap(struct store *st, uint32_t tid, uint64_t after_ns, uint64_t before_ns,
	       uint64_t events);
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
/*
 * Commits the current batch. After a write error (e.g. -ENOSPC) the
 * transaction is rolled back and every later call fails with that error:
 * the file keeps what the last commit wrote.
 */
int store__flush(struct store *st);
/* SQLite's message for the first write error, NULL while none. */
const char *store__errmsg(const struct store *st);
/* Completes and closes the trace; one never published is removed, path left as it was. */
void store__close(struct store *st);
#endif
