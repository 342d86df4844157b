/* SPDX-License-Identifier: MIT */
/*
 * Is a user type's Debug the derived one? The decoder prints structs and
 * enums in the #[derive(Debug)] format, which is only right if that is what
 * the program would print: a manual `impl Debug` can print anything.
 */
#ifndef DEBUG_IMPL_H
#define DEBUG_IMPL_H
#include "dwarf_index.h"
#include "elf_image.h"

/*
 * Sets t->debug (enum rdebug) for t and every type reachable from it (fields,
 * variants, pointees, trait object impls). Verdicts are cached in the types.
 */
void debug_impl__check(struct dwarf_index *idx, const struct elf_image *img, struct rtype *t);

/* Whether the decoder prints t itself (a user struct/enum) and so needs its verdict. */
bool debug_impl__needs_verdict(const struct rtype *t);

/* "values::Pair<u8>" -> "values::Pair": generic arguments dropped. */
void debug_impl__strip_generics(const char *name, char *buf, size_t len);

#endif
