/* SPDX-License-Identifier: MIT */
/*
 * Symbolic execution of straight-line x86-64 code from a function's first
 * instruction: every register and stack slot the code writes is described in
 * terms of what the registers and the stack held at entry, or is unknown.
 * Each instruction is either modelled exactly or makes what it writes
 * unknown, so a value derived here is never wrong, only sometimes missing.
 */
#ifndef SYMEXEC_H
#define SYMEXEC_H
#include <stdbool.h>
#include <stdint.h>
#include <capstone/capstone.h>
#include "dwarf_index.h"
#include "elf_image.h"
#include "prologue.h"

enum sym_kind {
	SYM_NONE = 0,
	SYM_REG, /* bytes [byte, byte+size) of general register `reg` at entry, plus `off` (byte 0 only) */
	SYM_XMM, /* bytes [byte, byte+size) of xmm`reg` at entry */
	SYM_ADDR, /* the address CFA + off */
	SYM_MEM, /* size bytes at CFA + off (the caller's frame) as they were at entry */
	SYM_DEREF, /* size bytes at (general register `reg` at entry) + off, as they were at entry */
	SYM_CONST, /* the low size bytes of off */
	SYM_PAD, /* bytes the value does not use, never written (padding) */
	/* the realigned stack pointer R + off: `and $-align, %rsp` left R somewhere in
	 * [realign_from - align + 1, realign_from] (CFA-relative), where exactly is not known */
	SYM_RADDR,
	/* the link-time address off (rip-relative in the code; the load bias is added at run time) */
	SYM_LINK,
};

struct sym {
	uint8_t kind;
	uint8_t reg;
	uint8_t byte;
	uint32_t size;
	bool zext; /* in a register: the bytes above size are zero */
	bool bool_mask; /* the value was and-ed with 1 */
	int64_t off;
};

#define SYM_STORES 64

/* size bytes at CFA + off (realigned: R + off) were written with v. */
struct sym_store {
	int64_t off;
	uint32_t size;
	bool realigned;
	struct sym v;
};

struct sym_state {
	struct sym gpr[16]; /* DWARF numbering: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 */
	struct sym xmm[16];
	struct sym_store st[SYM_STORES];
	int nst;
	/* memory outside the frame was written: entry memory may have changed since */
	bool outside_written;
	/* the frame was realigned (SYM_RADDR) */
	bool realigned;
	int64_t realign_from;
	int64_t align;
};

struct sym_effect {
	bool wrote_outside; /* wrote memory outside the new stack frame (or somewhere unknown) */
	bool ends_prefix; /* calls, traps, or left rsp unknown */
	bool stop; /* control may leave the straight line here: execution stops */
};

struct sym_piece {
	struct sym s;
	uint32_t len;
};

/* A location evaluated: the value's bytes as pieces, in value order. */
struct sym_loc {
	struct sym_piece piece[PARAM_PIECES];
	int npieces;
	uint64_t unknown_lo, unknown_hi; /* bytes DWARF says are unavailable */
	const char *error;
	bool final; /* error holds at every pc: stop looking */
};

void symexec__init(struct sym_state *st);
void symexec__step(struct sym_state *st, csh h, const cs_insn *in, const struct elf_image *img,
		   struct sym_effect *eff);
/*
 * The location `loc` of a value of `size` bytes, in state st (NULL: only
 * entry values and constants are known). need: per byte of the value, whether
 * it is used (NULL: all; padding need not be written). -1: some bytes are not
 * known in this state (try a later one); 0: out filled (with out->error if it
 * cannot be known).
 */
int symexec__eval(const struct sym_state *st, const struct rfunc *f, const struct rloc *loc,
		  uint64_t size, const uint8_t *need, struct sym_loc *out);
/*
 * loop is `sub $page,%rsp; movq $0,(%rsp); cmp %bound,%rsp; jne <sub>` (LLVM's
 * inline stack probe) and st the state after its first iteration: moves rsp
 * to the bound, where the loop leaves it, and returns true; else false.
 */
bool symexec__stack_probe(struct sym_state *st, const cs_insn *const loop[4]);
/* Whether loc names no stack frame address (rsp, rbp, the frame base, the CFA). */
bool symexec__frame_free(const struct rloc *loc);
/*
 * Where the bytes of piece p are in state st (the probe's, at pc), as a capture
 * source; NULL, or why they cannot be read there. zero_one: the piece is a
 * field whose only valid values are 0 and 1 (a bool, a two-variant tag), so
 * masking it with 1 changes nothing.
 */
const char *symexec__locate(const struct sym_state *st, const struct sym_piece *p, bool zero_one,
			    uint64_t pc, int cfa_reg, int64_t cfa_off, struct src_piece *out);
#endif
