/* SPDX-License-Identifier: MIT */
/*
 * What to capture for one function: its probe sites (entry after the
 * prologue, every ret, every tail-call jmp) and, per site, the BPF steps
 * that copy the values, plus what the decoder needs to read them back.
 */
#ifndef PLAN_H
#define PLAN_H
#include <stdbool.h>
#include <stdint.h>
#include "rstrace.h"
#include "dwarf_index.h"
#include "elf_image.h"

struct plan_limits {
	int max_array; /* elements per container */
	int max_string; /* bytes per string */
	int max_depth; /* pointers followed */
};

/* One parameter, or the return value. */
struct plan_value {
	const char *name;
	struct rtype *type;
	int root; /* step whose first blob holds the value's bytes; -1: none */
	const char *error; /* why the value cannot be known (root == -1) */
	bool redacted;
	/* Bytes of the root blob that hold no part of the value (DW_OP_piece gaps, return register upper halves). */
	uint64_t unknown_lo, unknown_hi;
};

struct plan_site {
	uint64_t pc;
	struct rst_plan bpf;
	/* per step: the type a DEREF step was made for (decoder matches on it) */
	struct rtype *step_type[RST_MAX_STEPS];
	struct plan_value *values;
	int nvalues;
	bool steps_dropped; /* RST_MAX_STEPS reached: some pointers not followed */
	int max_array; /* elements printed per container (the plan's limit) */
	int ip_step; /* step holding the probed pc at run time (load bias, for vtables), -1: none */
};

struct plan_func {
	struct rfunc *func;
	struct plan_site *sites;
	int nsites;
};

/* Builds the probe sites and capture steps of f. `redact(name)` says a parameter must not be read. */
int plan__build(struct dwarf_index *idx, const struct elf_image *img, struct rfunc *f,
		const struct plan_limits *lim, bool (*redact)(const char *name, void *ctx),
		void *redact_ctx, struct plan_func *out, char *why, size_t whylen);
void plan__free(struct plan_func *pf);

/* The DEREF step following the pointer at in-element offset off of step s, made for pointee t. */
int plan__child(const struct plan_site *site, int s, uint64_t off, const struct rtype *t);
/* Same, for a DEREF that reads at pointer + add (a field of the pointee, e.g. a B-tree node's edges). */
int plan__child_at(const struct plan_site *site, int s, uint64_t off, int64_t add,
		   const struct rtype *t);

#endif
