/* SPDX-License-Identifier: MIT */
/*
 * Capture steps that follow the pointers inside a value of one Rust type
 * (strings, vecs, boxes, maps, B-trees, trait objects) from the step whose
 * blobs hold the value; never those of a field named like a redact pattern.
 */
#ifndef PLAN_FOLLOW_H
#define PLAN_FOLLOW_H
#include "plan.h"

/* Places remembered by struct step_builder's deny list before it denies a whole step. */
#define PLAN_DENY_MAX 32

struct step_builder {
	struct dwarf_index *idx;
	struct plan_site *site;
	const struct plan_limits *lim;
	uint32_t stride[RST_MAX_STEPS]; /* element stride of each step's blobs, 0: one element */
	uint32_t nelems[RST_MAX_STEPS]; /* elements of a strided blob children visit, 0: max_array */
	/* steps__add fails once the plan has this many steps (0: RST_MAX_STEPS) */
	int limit;
	/*
	 * While the alternatives of one place are followed (an enum's variants,
	 * a trait object's candidate types): bytes of a step's elements where
	 * one of them keeps a pointer inside a redacted field. The others read
	 * the same bytes, so none follows a pointer there (plan_follow.c).
	 */
	struct plan_deny {
		int step;
		uint64_t lo, hi;
	} deny[PLAN_DENY_MAX];
	int ndeny;
	bool redact_cut; /* a pointer was not followed for that reason */
};

/* Appends a step (t: the type a DEREF step is made for): its index, -1 when the plan is full. */
int steps__add(struct step_builder *b, const struct rst_step *st, struct rtype *t);
/*
 * A DEREF of the pointer at ptr_off of step parent's elements: max_len bytes,
 * or (u64 at len_off) * elem_size of them when len_off >= 0.
 */
int steps__deref(struct step_builder *b, int parent, uint64_t ptr_off, int64_t len_off,
		 uint32_t elem_size, uint64_t max_len, struct rtype *t);
/* Follows every pointer reachable from a value of type t at off in the elements of step s. */
void steps__follow(struct step_builder *b, struct rtype *t, int s, uint64_t off, int depth);
#endif
