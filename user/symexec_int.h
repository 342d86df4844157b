/* SPDX-License-Identifier: MIT */
/* What symexec.c (instructions) and symloc.c (DWARF locations) share. */
#ifndef SYMEXEC_INT_H
#define SYMEXEC_INT_H
#include "symexec.h"
#include "x86reg.h"

/* DWARF register numbers (System V psABI figure 3.36) */
#define RSP 7
/* x86-64 System V: signal handlers leave the 128 bytes below rsp alone. */
#define RED_ZONE 128

extern const struct sym sym_none;
struct sym sym_mk(uint8_t kind, uint8_t reg, uint32_t size, int64_t off);
/* An address or integer that can take a constant added: the whole 8 bytes. */
bool sym_whole(const struct sym *s);
struct sym sym_add(struct sym s, int64_t k);
/* Bytes [b, b+n) of s. */
struct sym sym_sub(struct sym s, unsigned b, unsigned n);
/*
 * Pieces of bytes [off, off+size) of the frame (realigned: R-relative); -1 if
 * some byte is not known. need: per byte, whether the value uses it (NULL:
 * all); bytes it does not use (padding) may be unwritten.
 */
int sym_load(const struct sym_state *st, bool realigned, int64_t off, uint64_t size,
	     const uint8_t *need, struct sym_piece *out, int max);
/* size bytes at address addr (a frame slot, or behind an entry pointer), one piece. */
struct sym sym_load_one(const struct sym_state *st, const struct sym *addr, uint64_t size);
#endif
