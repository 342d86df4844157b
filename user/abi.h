/* SPDX-License-Identifier: MIT */
/*
 * The backend representation rustc gives a type (rustc_abi's BackendRepr),
 * rebuilt from its DWARF layout: where the x86-64 Rust ABI puts a value.
 */
#ifndef ABI_H
#define ABI_H
#include <stdbool.h>
#include <stdint.h>
#include "dwarf_index.h"

enum abi_kind { ABI_UNKNOWN, ABI_ZST, ABI_SCALAR, ABI_PAIR, ABI_MEMORY };
enum prim { PRIM_INT, PRIM_PTR, PRIM_FLOAT, PRIM_BOOL, PRIM_CHAR };

struct abi {
	enum abi_kind kind;
	/* ABI_SCALAR: [0]; ABI_PAIR: [0] at offset 0, [1] at off[1] */
	uint64_t off[2], size[2];
	enum prim prim[2];
	bool sign[2]; /* PRIM_INT: a signed integer (i8…i128, isize, signed enum tags) */
	/*
	 * ABI_UNKNOWN: maybe a pair with a 128-bit integer, which rustc before
	 * 1.95 returns in registers ((i128, bool): rax:rdx and cl) whatever its
	 * size: never to be read as memory.
	 */
	bool wide_pair;
};

struct abi abi__of(const struct rtype *t);
#endif
