/* SPDX-License-Identifier: MIT */
/* `rstrace report`: per-function calls, total/self/average/max time and errors, like uftrace
 * report. */
#ifndef RSTRACE_REPORT_H
#define RSTRACE_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "view.h"

enum report_sort {
	REPORT_SORT_TOTAL,
	REPORT_SORT_SELF,
	REPORT_SORT_CALLS,
	REPORT_SORT_AVG,
	REPORT_SORT_MAX,
	REPORT_SORT_ERRORS,
	REPORT_SORT_NAME,
};

struct report_opts {
	int64_t tid; /* -1: every thread */
	enum report_sort sort;
};

/* "calls" etc. to the enum; -EINVAL for an unknown key. */
int report__parse_sort(const char *s, enum report_sort *out);

/* Returns 0 or a negative errno (message printed). */
int report__print(struct view *v, const struct report_opts *o, FILE *out);
#endif /* RSTRACE_REPORT_H */
