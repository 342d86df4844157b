/* SPDX-License-Identifier: MIT */
/*
 * Reading a trace database: `rstrace tree`, `report` and `export` share this.
 *
 * view__open() opens the database read-only (a trace may still be recording:
 * WAL lets us read beside the writer) and loads the small tables (function,
 * thread, session) into memory. Frames are never loaded as a whole: a trace
 * can hold millions of them, so view__walk() streams one thread at a time in
 * entry order and keeps only the current call stack.
 *
 * Library code: nothing here exits; errors are negative errno values with a
 * message in the caller's buffer or on stderr (view__walk).
 */
#ifndef RSTRACE_VIEW_H
#define RSTRACE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>
#include "frame_status.h"

struct view_func {
	int64_t id;
	char *name, *crate, *file;
	int line;
};

struct view_thread {
	int64_t tid;
	char *name;		  /* NULL when unknown */
	int64_t first_ns, last_ns; /* from the thread table, else from its frames; 0: unknown */
	int64_t events_lost;	   /* its events the ring buffer dropped */
};

struct view_session {
	bool present;
	char *command, *binary, *version;
	int64_t pid, start_ns, end_ns; /* 0: unknown */
	int exit_status;	       /* -1: unknown */
	int64_t events, events_lost;
	/* "recording" when rstrace did not finish it (killed, or it could not write); NULL: older */
	char *state;
};

struct view {
	sqlite3 *db;
	char *path;
	struct view_func *funcs; /* sorted by id */
	size_t nfuncs;
	struct view_thread *threads; /* in order of their first traced call */
	size_t nthreads;
	struct view_session session;
	int64_t origin_ns;    /* session start, else the first frame's entry: time 0 */
	sqlite3_stmt *panic_q; /* NULL without a usable panic table (issue C) */
};

/* One frame during a walk; strings belong to the walk and live until leave() returns. */
struct view_frame {
	int64_t id, parent_id; /* parent_id -1: outermost traced frame of its thread */
	int64_t tid;
	const struct view_func *func; /* never NULL (a placeholder for unknown ids) */
	int64_t entry_ns, exit_ns;    /* exit_ns -1: never returned */
	/*
	 * Where the frame ended: exit_ns, or for a frame that never returned the
	 * tightest bound the trace gives (see view__walk). Final in leave() only.
	 */
	int64_t end_ns;
	bool end_estimated;
	enum frame_status status;
	/*
	 * Its caller's entry event was lost: parent_id -1 though a traced frame
	 * called it. The walk puts it under the nearest caller recorded
	 * (frame.ancestor_id), or outermost.
	 */
	bool parent_lost;
	const char *args; /* JSON array */
	const char *ret;  /* JSON object, NULL when the frame has no return value */
	int depth;	  /* 0: outermost traced frame on its thread */
	int64_t child_ns; /* summed durations of its children; final in leave() */
	int64_t max_child_end;
};

struct view_walk_ops {
	int (*thread_begin)(void *ctx, const struct view_thread *t);
	/* stack[0..f->depth] is the call path, stack[f->depth] == f */
	int (*enter)(void *ctx, struct view_frame *f, struct view_frame *stack);
	int (*leave)(void *ctx, struct view_frame *f, struct view_frame *stack);
	int (*thread_end)(void *ctx, const struct view_thread *t);
};

struct view_walk_opts {
	int64_t tid;	  /* -1: every thread */
	int64_t until_ns; /* absolute; 0: no limit. Frames entered at or after it are not read. */
};

int view__open(const char *path, struct view **out, char *err, size_t errlen);
void view__close(struct view *v);

const struct view_func *view__func(const struct view *v, int64_t id);
const struct view_thread *view__thread(const struct view *v, int64_t tid);

/*
 * Streams the frames of each thread (opts->tid or all, in view->threads order)
 * in entry order. A callback returning non-zero stops the walk with that value.
 * Returns 0, a callback's value, or a negative errno (message printed).
 */
int view__walk(struct view *v, const struct view_walk_opts *opts, const struct view_walk_ops *ops,
	       void *ctx);

/* The panic message recorded for frame_id (issue C's panic table), or NULL. Caller frees. */
char *view__panic_message(struct view *v, int64_t frame_id);

/* --- values: frame.args / frame.ret JSON --- */

struct view_value {
	char *name;  /* NULL for a return value */
	char *type;  /* may be NULL */
	char *value; /* the {:?} text; NULL when unknown */
	char *error; /* why it is unknown, may be NULL */
	char *fields; /* when unknown: its contents, not Debug syntax (README "fields"), may be NULL */
	bool truncated;
};

struct view_values {
	struct view_value *v;
	int n;
};

/*
 * Parses frame.args (a JSON array of objects) or, with single set, frame.ret
 * (one object). Returns 0 or -EINVAL (malformed: out is empty) / -ENOMEM.
 */
int view__parse_values(const char *json, bool single, struct view_values *out);
void view__values_free(struct view_values *vv);

/* True when the value is a known `Err(..)` of a Result. */
bool view__value_is_err(const struct view_value *v);

/* True when frame.ret holds a known Err (the JSON is parsed). */
bool view__ret_is_err(const char *ret_json);

/* ns as "1.234 us" / "12.345 ms" / "999 ns" (at most 10 characters) into buf. */
void view__fmt_duration(char *buf, size_t len, int64_t ns);

/*
 * Parses a time for --since/--until: a duration relative to the trace's
 * origin ("250ms", "1.5s", "20us", "300ns", plain number = ns), or an absolute
 * epoch time in ns (a plain number above 10^15). Returns 0 or -EINVAL.
 */
int view__parse_time(const char *s, int64_t origin_ns, int64_t *out);

/*
 * One "# rate limit: …" line per function the call-rate limit stopped
 * tracing (table rate_limit; nothing for traces without it), so readers
 * know which calls are missing and from when.
 */
void view__print_rate_limits(struct view *v, FILE *out);

/*
 * "# …" lines on what the trace lacks: rstrace did not finish it (session
 * state "recording"), events were lost (how many, and how the tree marks
 * them). Nothing for a complete trace without losses.
 */
void view__print_notes(struct view *v, FILE *out);

/* Events of a thread the ring buffer dropped, in one run (table gap). */
struct view_gap {
	int64_t before_ns; /* the thread's next event received; INT64_MAX: none came */
	int64_t events;
};

/*
 * The gaps of thread tid in time order (*out NULL, *n 0 for traces without
 * the table). Caller frees *out. 0 or -ENOMEM.
 */
int view__gaps(struct view *v, int64_t tid, struct view_gap **out, size_t *n);
#endif /* RSTRACE_VIEW_H */
