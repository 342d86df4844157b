/* SPDX-License-Identifier: MIT */
/* Not DEMANGLE_H: libiberty's <libiberty/demangle.h> uses that guard. */
#ifndef RSTRACE_DEMANGLE_H
#define RSTRACE_DEMANGLE_H
#include <stdbool.h>

/*
 * Rust symbol (legacy `_ZN…17h<hash>E` or v0 `_R…`) to its path without the
 * hash, e.g. "demo::Point::dist2". NULL if not a Rust symbol. Caller frees.
 */
char *demangle__rust(const char *mangled);

/* What DWARF says about one subprogram (all optional but name). */
struct dw_fn {
	const char *name; /* DW_AT_name: "top_n<u32>", "{closure#0}<u8>", "fmt" */
	const char *const *ns; /* enclosing DW_TAG_namespace names, outermost first */
	int nns;
	const char *const *tparams; /* DW_TAG_template_type_parameter names, in order */
	int ntparams;
};

/*
 * The name rstrace shows for a function: the demangled symbol made as
 * precise as rustc's v0 demangling, in one notation for both manglings:
 *
 * - paths as legacy demangling prints them: "crate::Type::method",
 *   "<crate::Type as core::fmt::Debug>::fmt"; v0's inherent "<crate::Type>::m"
 *   becomes "crate::Type::m" (kept bracketed when the type is no path: "<[T]>::m");
 * - generic arguments follow the item they belong to, without turbofish:
 *   "logstat::top_n<u32>", "logstat::Pair<u8>::swap" (v0's "::<" becomes "<"),
 *   always ", "-separated; a closure's arguments are its enclosing function's:
 *   "logstat::top_n<u32>::{closure#0}";
 * - closures and coroutines numbered as in DWARF and v0: "main::{closure#2}",
 *   "fetch_price::{async_fn#0}", "main::{async_block#6}";
 * - default trait methods and shims name their Self type like v0:
 *   "<logstat::Plain as logstat::Shape>::desc".
 *
 * With v0 symbols the arguments are v0's ("alloc::vec::Vec<u8>", closure and
 * coroutine types "main::{closure#3}"); with legacy symbols, which carry none,
 * they come from dw (DW_AT_name, template parameters) as rustc writes them in
 * DWARF: default arguments included ("alloc::vec::Vec<u8,
 * alloc::alloc::Global>"), closure types named like their functions
 * ("main::{closure#3}", "fetch::{async_fn#0}" for DWARF's "{closure_env#3}",
 * "{async_fn_env#0}"). Whatever dw cannot place with certainty is left as the
 * demangler printed it (the impl's const arguments, shown "_"; closures and
 * generics without DWARF names or template parameter DIEs). dw may be NULL.
 * NULL if not a Rust symbol or out of memory. Caller frees.
 */
char *demangle__display(const char *mangled, const struct dw_fn *dw);

/*
 * True if `name` (as from demangle__display) is the function at `path`, any
 * generic arguments of its last segment ignored: "std::panicking::try::do_catch"
 * matches "std::panicking::try::do_catch<demo::main::{closure#0}, ()>".
 */
bool demangle__path_is(const char *name, const char *path);

/*
 * name without the generic arguments of its path segments, for matching what
 * users type: "a::Pair<u8>::map<u64>" -> "a::Pair::map"; a qualified
 * "<a::T as b::Tr>::m" keeps its leading brackets.
 */
void demangle__strip_args(const char *name, char *buf, size_t len);
#endif
