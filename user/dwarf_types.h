/* SPDX-License-Identifier: MIT */
/*
 * What the type half of the DWARF reader offers besides dwarf_index.h: the
 * std classification shared by dwarf_types.c and dwarf_std.c, and facts the
 * Debug check needs (vtable names, the compiler release, `()` returns).
 */
#ifndef DWARF_TYPES_H
#define DWARF_TYPES_H
#include "dwarf_index.h"

/* ---- shared by dwarf_types.c and dwarf_std.c ---- */
struct dwarf_index;
bool dt_starts(const char *s, const char *prefix);
struct rfield *dt_field(const struct rtype *t, const char *name);
/* Follows a path of named fields ("inner", "inner", …), adding their offsets; NULL if one is
 * missing. */
struct rtype *dt_path(struct rtype *t, uint64_t *off, const char *const *names);
/* Single-field wrappers down to one integer (NonZero<u32> -> NonZeroU32Inner -> u32). */
struct rtype *dt_leaf_int(struct rtype *t, uint64_t *off, int depth);
/* The pointee of the thin pointer at the bottom of NonNull/Unique wrappers. */
struct rtype *dt_thin_target(struct rtype *t, uint64_t *off, int depth);
/* Offset of the first data pointer inside a RawVec-like struct, depth-first. */
bool dt_find_ptr(const struct rtype *t, uint64_t base, uint64_t *off, int depth);
/* Gives std types whose Debug std fixes a kind of their own (dwarf_std.c). */
void dwarf_std__classify(struct dwarf_index *idx, struct rtype *t);
/* The Debug text of a type whose Debug prints a fixed text ("Sender { .. }"), else NULL. */
const char *dwarf_std__fixed_text(const char *name);
/* PhantomData<T>'s Debug for rustc 1.minor and T's DWARF name: 0, or -1 and why not. */
int dwarf_std__phantom_text(unsigned rustc, const char *tname, char *buf, size_t len,
			    const char **why);

/* ---- for the Debug check and the decoder ---- */
/* Whether one of the "<T as Trait>::{vtable}" variables at addr is named `name`. */
bool dwarf_types__vtable_named(struct dwarf_index *idx, uint64_t addr, const char *name);
/* Minor version of the rustc (1.x) that built the CU holding DIE off, 0 if unknown. */
unsigned dwarf_types__rustc(struct dwarf_index *idx, uint64_t off);
/*
 * rustc omits DW_AT_type for zero-sized returns: `()` and unit structs alike.
 * The `()` type when f's source, read at the path DWARF records, declares no
 * return type (or `-> ()`); `-> Marker`'s type when that is a type of f's
 * module with a Debug impl; NULL when it cannot tell.
 */
struct rtype *dwarf_types__unit_return(struct dwarf_index *idx, const struct rfunc *f);
#endif
