/* SPDX-License-Identifier: MIT */
/* `rstrace tree`: the call tree as indented text, one line per frame, like uftrace replay. */
#ifndef RSTRACE_TREE_H
#define RSTRACE_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "view.h"

struct tree_opts {
	int64_t tid;	      /* -1: every thread */
	const char *function; /* glob: only subtrees rooted at matching calls; NULL: all */
	int max_depth;	      /* levels shown below each root; -1: all */
	int64_t since_ns;     /* absolute; 0: from the start */
	int64_t until_ns;     /* absolute; 0: to the end */
	bool color;
	int max_value; /* characters per value before "…"; 0: no limit */
};

/* Returns 0 or a negative errno (message printed). */
int tree__print(struct view *v, const struct tree_opts *o, FILE *out);

/* One value as the tree shows it: {:?} text, '?' when unknown, cut at max chars. */
struct strbuf;
struct view_value;
void tree__value(struct strbuf *sb, const struct view_value *val, int max);

/*
 * "name(arg=value, ...) -> ret" for a frame, "-> !unwound" / "-> !open" for
 * one that never returned (with the panic message when v has one).
 */
void tree__format_call(struct strbuf *sb, struct view *v, const struct view_frame *f,
		       int max_value, bool color);
#endif /* RSTRACE_TREE_H */
