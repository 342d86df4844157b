/* SPDX-License-Identifier: MIT */
/*
 * `rstrace export`: the trace in other tools' formats.
 *   chrome  Trace Event Format JSON (ui.perfetto.dev, chrome://tracing): one
 *           complete ("X") slice per frame, one track per thread, arguments,
 *           return value and status in the slice's args.
 *   folded  one line per distinct call stack, "a;b;c COUNT", for flame graph
 *           tools (flamegraph.pl, inferno, speedscope). COUNT is the stack's
 *           self time in ns (default) or its number of calls.
 *   svg     a self-contained flame graph: per thread with time on the x axis
 *           (default), or all threads merged by call stack (--merge).
 */
#ifndef RSTRACE_EXPORT_H
#define RSTRACE_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "view.h"

enum export_format {
	EXPORT_CHROME,
	EXPORT_FOLDED,
	EXPORT_SVG,
};

struct export_opts {
	enum export_format format;
	int64_t tid;	  /* -1: every thread */
	bool merge;	  /* svg: merge threads and identical stacks (x = total time) */
	bool count_calls; /* folded: COUNT = calls instead of self ns */
	int width;	  /* svg: pixels; 0: 1200 */
};

/* "chrome" etc. to the enum; -EINVAL for an unknown name. */
int export__parse_format(const char *s, enum export_format *out);

/* Returns 0 or a negative errno (message printed). */
int export__write(struct view *v, const struct export_opts *o, FILE *out);
#endif /* RSTRACE_EXPORT_H */
