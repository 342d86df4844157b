/* SPDX-License-Identifier: MIT */
/*
 * A function's code as the Debug check reads it (debug_impl.c): every call or
 * jump that leaves it, with its target and, per path into the call, the
 * values its argument registers hold when they are RIP-relative addresses or
 * immediates. A forward dataflow over the basic blocks tracks small sets of
 * such values per register; a call in a block several branches join is
 * evaluated once per incoming branch (rustc merges the tails of a match's
 * arms, e.g. one DebugTuple::field call for all tuple variants).
 */
#ifndef FN_SCAN_H
#define FN_SCAN_H
#include <stdbool.h>
#include <stdint.h>
#include "dwarf_index.h"
#include "elf_image.h"

#define FS_MAX_PATHS 16

/* The argument registers of one call on one path: a value, or 0 (an immediate: -1) when not one. */
struct fs_args {
	uint64_t rsi, rdx, rcx, r8;
	int64_t rdx_imm;
};

struct fs_exit {
	uint64_t addr;
	const char *sym; /* the target's symbol, NULL if not known */
	bool is_call;	 /* else a tail jump */
	int npaths;	 /* 0: more paths than FS_MAX_PATHS */
	struct fs_args paths[FS_MAX_PATHS];
};

/*
 * Calls exit(ctx, e) for each call or jump leaving f, and lea(ctx, a) for
 * each RIP-relative address it computes. -errno if the code is unreadable.
 */
int fn_scan__run(const struct elf_image *img, const struct rfunc *f,
		 void (*exit)(void *ctx, const struct fs_exit *e),
		 void (*lea)(void *ctx, uint64_t addr), void *ctx);
#endif
