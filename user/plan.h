/* SPDX-License-Identifier: MIT */
/*
 * What to capture for one function: its probe sites (the entry, where it runs
 * once per call before the body; every ret; every tail-call jmp) and, per
 * site, the BPF steps that copy the values, plus what the decoder needs to
 * read them back.
 */
#ifndef PLAN_H
#define PLAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rstrace.h"
#include "dwarf_index.h"
#include "elf_image.h"

struct plan_limits {
	int max_array; /* elements per container */
	int max_string; /* bytes per string */
	int max_depth; /* pointers followed */
};

/*
 * The config's `redact` globs (README.md: Redaction): names whose values are
 * never copied or printed. name(): a parameter or field name, which lives as
 * long as the plans (answers may be cached by its address); text(): n bytes
 * that do not (a map key read at run time, a function's name cut from its
 * path); cut: they are only the start of the name (a key cut at the capture
 * limit), true if any name starting so would be redacted.
 */
struct plan_redact {
	bool (*name)(void *ctx, const char *name);
	bool (*text)(void *ctx, const char *s, size_t n, bool cut);
	void *ctx;
};

/* What rstrace prints in place of a redacted part of a value (in "fields" only). */
#define PLAN_REDACTED "<redacted>"

/* One parameter, or the return value. */
struct plan_value {
	const char *name;
	struct rtype *type;
	int root; /* step whose first blob holds the value's bytes; -1: none */
	const char *error; /* why the value cannot be known (root == -1) */
	bool redacted; /* the whole value: a redacted parameter, a redacted function's return */
	/* pointers not followed: another enum variant keeps a redacted pointer at the same place */
	bool redact_cut;
	/* Bytes of the root blob that hold no part of the value (DW_OP_piece gaps, return register upper halves). */
	uint64_t unknown_lo, unknown_hi;
	/* pointers inside it not followed: its share of the site's RST_MAX_STEPS steps ran out */
	bool budget_cut;
};

struct plan_site {
	uint64_t pc;
	struct rst_plan bpf;
	const struct plan_redact *redact; /* NULL: nothing is redacted */
	/* per step: the type a DEREF step was made for (decoder matches on it) */
	struct rtype *step_type[RST_MAX_STEPS];
	struct plan_value *values; /* entry: the parameters; exit: the return value */
	int nvalues;
	/* the return value: exit sites, and entry sites that are also the exit */
	struct plan_value *ret;
	/* an entry site on an instruction that also leaves the function (enum fexit_kind) */
	uint8_t exit_kind;
	uint64_t tail_to; /* RST_SITE_TAIL by a direct jmp/jcc: its target; 0 otherwise */
	/* RST_SITE_RET attached as a uretprobe at the function's address */
	bool retprobe;
	bool steps_dropped; /* RST_MAX_STEPS reached: some pointers not followed */
	int max_array; /* elements printed per container (the plan's limit) */
	int ip_step; /* step holding the probed pc at run time (load bias, for vtables), -1: none */
	/* entry of a function returning through memory: step holding the pointer (rdi at entry) */
	int sret_step;
	/* ret of such a function: step holding rax, which must be that pointer; -1: none */
	int rax_step;
};

struct plan_func {
	struct rfunc *func;
	struct plan_site *sites;
	int nsites;
	/*
	 * Returns seen by one uretprobe (cheap: no single-stepped ret) instead
	 * of probes on every ret; why not, when not.
	 */
	bool uretprobe;
	const char *ret_why;
};

struct callgraph;

/* What plans of one binary share. */
struct plan_ctx {
	struct dwarf_index *idx;
	const struct elf_image *img;
	struct callgraph *cg; /* NULL: returns in registers are unknown unless provably used */
	const struct plan_limits *lim;
	const struct plan_redact *redact; /* NULL: nothing is redacted */
	bool panic_abort; /* std's panic_abort is linked: nothing unwinds */
	bool no_uretprobes; /* probe every ret, as with kernels lacking uretprobe support */
};

/* Builds the probe sites and capture steps of f; -errno with why (e.g. no once-per-call point). */
int plan__build(const struct plan_ctx *c, struct rfunc *f, struct plan_func *out, char *why,
		size_t whylen);
void plan__free(struct plan_func *pf);

/* Field i of struct t is named like a redact pattern (a tuple field: by its type's name). */
bool plan__field_redacted(const struct plan_redact *r, const struct rtype *t, int i);

/* The DEREF step following the pointer at in-element offset off of step s, made for pointee t. */
int plan__child(const struct plan_site *site, int s, uint64_t off, const struct rtype *t);
/* Same, for a DEREF that reads at pointer + add (a field of the pointee, e.g. a B-tree node's edges). */
int plan__child_at(const struct plan_site *site, int s, uint64_t off, int64_t add,
		   const struct rtype *t);

#endif
