/* SPDX-License-Identifier: MIT */
/*
 * One function's machine code, scanned once: where control can arrive other
 * than by falling through (jump targets) and where the function is left (ret,
 * tail-call jmp). Instructions are decoded one at a time, so memory grows with
 * the number of branches, not with the function's size.
 */
#ifndef FCODE_H
#define FCODE_H
#include <stdbool.h>
#include <stdint.h>
#include "dwarf_index.h"
#include "elf_image.h"

enum fexit_kind {
	FEXIT_NONE = 0,
	FEXIT_RET = 1,
	/* a jmp (maybe conditional) to another function: the frame ends, no value */
	FEXIT_TAIL = 2,
};

/*
 * xmm0/xmm1 reloaded from rsp-based slots right before a ret (opt-level 0
 * float returns): the exit probe goes on the first reload, where the slots
 * are still inside the frame (below rsp at the ret, a signal could reuse them).
 */
struct sse_reload {
	uint64_t pc;
	int64_t disp[2]; /* xmm0, xmm1: rsp-relative at pc */
	bool have[2];
};

struct fexit {
	uint64_t pc;
	enum fexit_kind kind;
	/* FEXIT_TAIL by a jcc: the x86 condition code (0..15, as in 0x70+cc), else -1 */
	int cond;
	uint64_t target; /* FEXIT_TAIL by a direct jmp/jcc: where it goes; 0 otherwise */
	bool has_sse;
	struct sse_reload sse;
};

struct fcode {
	uint64_t lo, hi;
	uint64_t *targets; /* sorted, unique: direct branch targets and decoded jump tables */
	int ntargets;
	struct fexit *exits;
	int nexits;
	/* an indirect jmp that is neither a decoded jump table nor a tail call */
	bool opaque_jumps;
};

/*
 * 0, -ERANGE if the code is not in the file, -ENOMEM, -ENOSYS without
 * capstone. idx (may be NULL) gives the CFA rules that tell indirect tail
 * calls from other jumps through a register.
 */
int fcode__scan(const struct elf_image *img, struct dwarf_index *idx, uint64_t lo, uint64_t hi,
		struct fcode *out);
bool fcode__is_target(const struct fcode *c, uint64_t pc);
void fcode__free(struct fcode *c);

/*
 * Whether the kernel completes a uprobe on this instruction by emulating it
 * (cheap) rather than single-stepping a copy of it (x86: push, call rel32,
 * jmp/jcc rel, nop; arch/x86/kernel/uprobes.c).
 */
bool fcode__emulated(const uint8_t *insn, size_t len);
#endif
