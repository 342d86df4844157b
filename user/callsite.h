/* SPDX-License-Identifier: MIT */
/* Call instructions to a dynamically linked function, found by disassembly. */
#ifndef CALLSITE_H
#define CALLSITE_H
#include <stdint.h>
#include "elf_image.h"

/*
 * The calls in [lo, hi) to the dynamic symbol `name` (e.g. libc's "write"):
 * `call *slot(%rip)` through its GOT slot (-z now: what rustc links),
 * `call reg` after `mov slot(%rip), reg` (a loop keeps the pointer in a
 * callee-saved register), or `call stub` to a PLT stub jumping through the
 * slot. Fills up to max addresses; returns how many were found, or -errno.
 */
int callsite__find(const struct elf_image *img, uint64_t lo, uint64_t hi, const char *name,
		   uint64_t *pcs, int max);
#endif
