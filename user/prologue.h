/* SPDX-License-Identifier: MIT */
/*
 * Where a function's entry probe goes and where each parameter's bytes are
 * there. The probe runs once per call and before any of the function's own
 * code has had an effect: at the first instruction, or later in the
 * straight-line code from it in which no instruction is a jump target, writes
 * memory outside the new stack frame, calls, jumps or returns. The code from
 * the first instruction is executed symbolically (values in terms of the
 * registers and stack at entry), so a parameter described only after the
 * prologue (an opt-level 0 stack slot) is traced back to the register or
 * stack bytes it came from.
 */
#ifndef PROLOGUE_H
#define PROLOGUE_H
#include <stdint.h>
#include "dwarf_index.h"
#include "elf_image.h"
#include "fcode.h"

/* Pieces one parameter may be assembled from. */
#define PARAM_PIECES 16

enum src_kind {
	SRC_REG = 1, /* low `len` bytes of register `reg` at the probe, plus `off` */
	SRC_MEM, /* `len` bytes at register `reg` + `off` */
	SRC_CONST, /* the constant `off` */
	/* `len` bytes at (pointer + add): the pointer is register `reg` (ptr_mem false)
	 * or the 8 bytes at register `reg` + `off` (ptr_mem true) */
	SRC_DEREF,
	/* `len` bytes DWARF says are unavailable: any readable bytes keep the others in place */
	SRC_GAP,
};

struct src_piece {
	uint8_t kind;
	uint8_t reg;
	bool ptr_mem;
	uint32_t len;
	int64_t off;
	int64_t add;
};

struct param_src {
	struct src_piece piece[PARAM_PIECES];
	int npieces;
	const char *error; /* why the value is unknown; NULL if every piece is known */
	/* bytes with no value in DWARF (an empty DW_OP_piece): one gap at most */
	uint64_t unknown_lo, unknown_hi;
};

struct entry_point {
	uint64_t pc;
	/* the probe instruction also leaves the function (a ret or tail jmp at low_pc) */
	enum fexit_kind exit;
	int cfa_reg; /* CFA at pc = reg + cfa_off; -1 if .eh_frame has no rule */
	/*
	 * Where rdi as it was at entry is at pc: a function returning through
	 * memory gets the address there in it (the hidden first argument)
	 */
	struct src_piece entry_rdi;
	bool have_entry_rdi;
	int64_t cfa_off;
	struct param_src *params; /* f->nparams */
};

/*
 * f must be loaded (dwarf_index__load). -ENOENT with why when no instruction
 * runs once per call (the first instruction is a loop head).
 */
int prologue__entry(struct dwarf_index *idx, const struct elf_image *img, const struct fcode *code,
		    const struct rfunc *f, struct entry_point *out, char *why, size_t whylen);
void prologue__free(struct entry_point *e);
#endif
