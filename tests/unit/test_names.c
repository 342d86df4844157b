// SPDX-License-Identifier: MIT
/*
 * demangle__display(): symbol + what DWARF says -> the name rstrace shows.
 * Symbols and DWARF values are copied from rustc 1.95 -g builds (opt-level 0
 * and 2, legacy and -C symbol-mangling-version=v0) of small programs; the
 * expected names are what v0 demangling prints for the same function, in
 * the notation of demangle.h.
 */
#include <stdlib.h>
#include "unit.h"
#include "demangle.h"

#define NS(...) ((const char *const[]){ __VA_ARGS__ })

static const char *const no_tp[] = { NULL };

/* One case: symbol, DW_AT_name, template parameters, namespaces, expected name. */
static void name_is(int line, const char *sym, const char *dwname, const char *const *tp, int ntp,
		    const char *const *ns, int nns, const char *want)
{
	struct dw_fn dw = { dwname, ns, nns, tp, ntp };
	char *got = demangle__display(sym, dwname ? &dw : NULL);

	if (got && want ? !strcmp(got, want) : got == want) {
		unit_pass++;
	} else {
		unit_fail++;
		fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, line, got ? got : "(null)",
			want ? want : "(null)");
	}
	free(got);
}

#define NAME(sym, dwname, tp, ns, want) \
	name_is(__LINE__, sym, dwname, tp, (int)(sizeof(tp) / sizeof(char *)), ns, \
		(int)(sizeof(ns) / sizeof(char *)), want)
#define NAME0(sym, dwname, ns, want) name_is(__LINE__, sym, dwname, no_tp, 0, ns, \
					     (int)(sizeof(ns) / sizeof(char *)), want)

static const char *const ns_names[] = { "names" };
static const char *const ns_main[] = { "names", "main" };
static const char *const ns_main_c1[] = { "names", "main", "{closure#1}" };
static const char *const ns_fetch[] = { "names", "fetch_price" };
static const char *const ns_fetch_a0[] = { "names", "fetch_price", "{async_fn#0}" };
static const char *const ns_top_n[] = { "names", "top_n" };
static const char *const ns_arr[] = { "names", "arr" };
static const char *const ns_impl2[] = { "names", "{impl#2}" };
static const char *const ns_impl6[] = { "names", "{impl#6}" };
static const char *const ns_core_ptr[] = { "core", "ptr" };
static const char *const ns_conv[] = { "core", "convert", "{impl#3}" };
static const char *const ns_fnonce[] = { "core", "ops", "function", "FnOnce" };
static const char *const ns_slice[] = { "alloc", "slice", "{impl#0}" };
static const char *const ns_vec[] = { "alloc", "vec" };
static const char *const ns_cg[] = { "cg" };
static const char *const ns_cg_show[] = { "cg", "{impl#2}", "show" };
static const char *const ns_old[] = { "names", "main" };

static const char *const tp_t[] = { "T" };
static const char *const tp_tu[] = { "T", "U" };
static const char *const tp_tuf[] = { "T", "U", "F" };
static const char *const tp_ta[] = { "T", "A" };
static const char *const tp_self[] = { "Self" };
static const char *const tp_self_args[] = { "Self", "Args" };

static void test_closures(void)
{
	/* the six closures of one function: legacy says "{{closure}}" for all */
	NAME0("_ZN5names4main28_$u7b$$u7b$closure$u7d$$u7d$17hb8ff894e83e3e759E", "{closure#2}",
	      ns_main, "names::main::{closure#2}");
	NAME0("_ZN5names4main28_$u7b$$u7b$closure$u7d$$u7d$28_"
	      "$u7b$$u7b$closure$u7d$$u7d$17h49c6f2242169f9beE",
	      "{closure#0}", ns_main_c1, "names::main::{closure#1}::{closure#0}");
	/* async fn body and the async blocks in it */
	NAME0("_ZN5names11fetch_price28_$u7b$$u7b$closure$u7d$$u7d$"
	      "17hd8cbcb8be1c9dfddE",
	      "{async_fn#0}", ns_fetch, "names::fetch_price::{async_fn#0}");
	NAME0("_ZN5names11fetch_price28_$u7b$$u7b$closure$u7d$$u7d$28_"
	      "$u7b$$u7b$closure$u7d$$u7d$17hf83de7093f4a1928E",
	      "{async_block#1}", ns_fetch_a0, "names::fetch_price::{async_fn#0}::{async_block#1}");
	/* the async fn itself (returns the future) keeps its name */
	NAME0("_ZN5names11fetch_price17he3497d52dacc61e4E", "fetch_price", ns_names,
	      "names::fetch_price");
	/* closures in trait impl methods */
	NAME0("_ZN51_$LT$names..Plain$u20$as$u20$core..fmt..Display$GT$3fmt28_"
	      "$u7b$$u7b$closure$u7d$$u7d$17hc6143440c7fe5826E",
	      "{closure#0}", NS("names", "{impl#2}", "fmt"),
	      "<names::Plain as core::fmt::Display>::fmt::{closure#0}");
	/* a rustc that writes "{{closure}}" in DWARF too: nothing to learn */
	NAME0("_ZN5names4main28_$u7b$$u7b$closure$u7d$$u7d$17hb8ff894e83e3e759E", "{{closure}}",
	      ns_old, "names::main::{{closure}}");
	/* DWARF and symbol disagree on the nesting: left alone */
	NAME0("_ZN5names4main28_$u7b$$u7b$closure$u7d$$u7d$17hb8ff894e83e3e759E", "{closure#0}",
	      ns_main_c1, "names::main::{{closure}}");
	NAME0("_ZN5names4main28_$u7b$$u7b$closure$u7d$$u7d$17hb8ff894e83e3e759E", "{closure#2}",
	      NS("names", "other"), "names::main::{{closure}}");
	/* an {impl#N} is no closure */
	NAME0("_ZN5names4main28_$u7b$$u7b$closure$u7d$$u7d$17hb8ff894e83e3e759E", "{impl#2}",
	      ns_main, "names::main::{{closure}}");
}

static void test_generics(void)
{
	NAME("_ZN5names5top_n17h09653c73b245faeaE", "top_n<u32>", tp_t, ns_names, "names::top_n<u32>");
	NAME("_ZN5names5top_n17h09653c73b245faeaE", "top_n<(u8, char)>", tp_t, ns_names,
	     "names::top_n<(u8, char)>");
	/* a closure's arguments are its function's */
	NAME("_ZN5names5top_n28_$u7b$$u7b$closure$u7d$$u7d$17h6d367369fcd5d4e4E",
	     "{closure#0}<&str>", tp_t, ns_top_n, "names::top_n<&str>::{closure#0}");
	/* impl parameters go into the impl's type, the method's own after it */
	NAME("_ZN5names13Pair$LT$T$GT$3map17h03b5bddfaaa4e9d0E",
	     "map<u8, u64, names::main::{closure_env#3}>", tp_tuf, ns_names,
	     "names::Pair<u8>::map<u64, names::main::{closure#3}>");
	NAME("_ZN57_$LT$names..Pair$LT$T$GT$$u20$as$u20$core..fmt..Debug$GT$3fmt"
	     "17h18f6fc50d029d64eE",
	     "fmt<u8>", tp_t, ns_impl6, "<names::Pair<u8> as core::fmt::Debug>::fmt");
	NAME("_ZN50_$LT$T$u20$as$u20$core..convert..Into$LT$U$GT$$GT$4into"
	     "17hbbbd71aedb3bc6f4E",
	     "into<u16, u32>", tp_tu, ns_conv, "<u16 as core::convert::Into<u32>>::into");
	NAME("_ZN5alloc3vec16Vec$LT$T$C$A$GT$7reserve17hfed8140fb053f160E",
	     "reserve<alloc::string::String, alloc::alloc::Global>", tp_ta, ns_vec,
	     "alloc::vec::Vec<alloc::string::String, alloc::alloc::Global>::reserve");
	NAME("_ZN5alloc5slice29_$LT$impl$u20$$u5b$T$u5d$$GT$6to_vec"
	     "17h5b2f1fee8db0591dE",
	     "to_vec<&str>", tp_t, ns_slice, "alloc::slice::<impl [&str]>::to_vec");
	/* unsized, dyn and reference arguments */
	NAME("_ZN2cg10W$LT$T$GT$4show17hfd091baf19d5e8fdE", "show<dyn core::fmt::Debug>", tp_t,
	     ns_cg, "cg::W<dyn core::fmt::Debug>::show");
	NAME("_ZN2cg10W$LT$T$GT$4show28_$u7b$$u7b$closure$u7d$$u7d$"
	     "17h8658967ea3bd06a0E",
	     "{closure#0}<[u8]>", tp_t, ns_cg_show, "cg::W<[u8]>::show::{closure#0}");
	/* a default trait method: Self is what tells them apart */
	NAME("_ZN5names5Shape4desc17hea7d1bf6328a3287E", "desc<names::Plain>", tp_self, ns_names,
	     "<names::Plain as names::Shape>::desc");
	NAME("_ZN4core3ops8function6FnOnce40call_once"
	     "$u7b$$u7b$vtable.shim$u7d$$u7d$17h695ec42e2bf6c98bE",
	     "call_once<std::rt::lang_start::{closure_env#0}<()>, ()>", tp_self_args, ns_fnonce,
	     "<std::rt::lang_start::{closure#0}<()> as core::ops::function::FnOnce>"
	     "::call_once<()>{{vtable.shim}}");
	/* drop glue: legacy names the type, but not which closure */
	NAME("_ZN4core3ptr61drop_in_place$LT$names..main.."
	     "$u7b$$u7b$closure$u7d$$u7d$$GT$17he5b869493785da96E",
	     "drop_in_place<names::main::{async_block_env#6}>", tp_t, ns_core_ptr,
	     "core::ptr::drop_in_place<names::main::{async_block#6}>");
	NAME("_ZN4core3ptr33drop_in_place$LT$names..Plain$GT$17h7a33dcf727c96885E",
	     "drop_in_place<names::Plain>", tp_t, ns_core_ptr, "core::ptr::drop_in_place<names::Plain>");
	/* no template parameter DIEs (some drop glue has none): nothing matched */
	NAME0("_ZN4core3ptr61drop_in_place$LT$names..main.."
	      "$u7b$$u7b$closure$u7d$$u7d$$GT$17he5b869493785da96E",
	      "drop_in_place<names::main::{async_block_env#6}>", ns_core_ptr,
	      "core::ptr::drop_in_place<names::main::{{closure}}>");
	NAME0("_ZN5names5top_n17h09653c73b245faeaE", "top_n<u32>", ns_names, "names::top_n");
	/* a path segment that happens to be called like the parameter stays */
	NAME("_ZN5names1T3get17h0123456789abcdefE", "get<u8>", tp_t, ns_names, "names::T::get<u8>");
}

static void test_consts(void)
{
	/* const arguments have no DIE; a free function owns all its arguments */
	NAME0("_ZN5names3arr17ha0ad4400a587cbaeE", "arr<5>", ns_names, "names::arr<5>");
	NAME0("_ZN5names3arr28_$u7b$$u7b$closure$u7d$$u7d$17h48e4e39fd994ab03E", "{closure#0}<3>",
	      ns_arr, "names::arr<3>::{closure#0}");
	/* legacy prints the impl's consts as "_": which one is which is unknown */
	NAME0("_ZN2cg12Foo$LT$_$GT$1m17h418364f51d26845aE", "m<3>", ns_cg, "cg::Foo<_>::m");
	NAME("_ZN2cg12Foo$LT$_$GT$1g17hf69a8cc37dcc2ffcE", "g<3, u32>", tp_t, ns_cg,
	     "cg::Foo<_>::g<u32>");
	NAME("_ZN2cg16Bar$LT$T$C$_$GT$3get17h72c7b621dd987b03E", "get<u8, true>", tp_t, ns_cg,
	     "cg::Bar<u8, _>::get");
}

static void test_ordinary(void)
{
	/* what other code matches by name keeps its name */
	NAME0("_ZN5names5Plain3get17ha22d36fbe98047a2E", "get", ns_names, "names::Plain::get");
	NAME0("_ZN51_$LT$names..Plain$u20$as$u20$core..fmt..Display$GT$3fmt"
	      "17h331934572c318df6E",
	      "fmt", ns_impl2, "<names::Plain as core::fmt::Display>::fmt");
	NAME0("_ZN3std9panicking10rust_panic17h0123456789abcdefE", "rust_panic",
	      NS("std", "panicking"), "std::panicking::rust_panic");
	NAME0("_ZN4demo5Point5dist217h0123456789abcdefE", NULL, ns_names, "demo::Point::dist2");
	NAME0("_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$.."
	      "$u7b$$u7b$closure$u7d$$u7d$$GT$17h0123456789abcdefE",
	      NULL, ns_names, "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>");
	/* not Rust */
	NAME0("main", NULL, ns_names, NULL);
}

static void test_v0(void)
{
	NAME0("_RNvCs4T4zK9Otvt5_5names4main", "main", ns_names, "names::main");
	NAME0("_RINvCs4T4zK9Otvt5_5names5top_nmEB2_", "top_n<u32>", ns_names, "names::top_n<u32>");
	NAME0("_RNCNCNvCs4T4zK9Otvt5_5names4mains_00B5_", "{closure#0}", ns_main_c1,
	      "names::main::{closure#1}::{closure#0}");
	/* v0 mangles coroutines as closures; DWARF knows which kind */
	NAME0("_RNCNvCs4T4zK9Otvt5_5names11fetch_price0B3_", "{async_fn#0}", ns_fetch,
	      "names::fetch_price::{async_fn#0}");
	NAME0("_RNCNvCs4T4zK9Otvt5_5names11fetch_price0B3_", "{async_fn#1}", ns_fetch,
	      "names::fetch_price::{closure#0}");
	/* inherent impls as legacy prints them; trait impls unchanged */
	NAME0("_RNvMCs4T4zK9Otvt5_5namesINtB2_4PairhE4swapB2_", "swap<u8>", ns_names,
	      "names::Pair<u8>::swap");
	NAME0("_RNvXs4_Cs4T4zK9Otvt5_5namesINtB5_4PairhENtNtCsgEmfK2I1SDS_4core3fmt5Debug3fmtB5_",
	      "fmt<u8>", ns_impl6, "<names::Pair<u8> as core::fmt::Debug>::fmt");
	/* "<[T]>" is no path: kept */
	NAME0("_RINvMNtCslNYArtu3iFV_5alloc5sliceSm7sort_byNCINvCs4T4zK9Otvt5_5names5top_nmE0EBK_",
	      NULL, ns_names, "<[u32]>::sort_by<names::top_n<u32>::{closure#0}>");
	NAME0("_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeNCNvCs4T4zK9Otvt5_5names11fetch_price0EBK_",
	      NULL, ns_names, "core::ptr::drop_in_place<names::fetch_price::{closure#0}>");
	NAME0("_RNvYNvNtNtNtCsjrHSEGnQ3l9_3std3sys2fs4unix4statINtNtNtCsgEmfK2I1SDS_4core3ops"
	      "8function2FnTRNtNtNtBQ_3ffi5c_str4CStrEE4callBa_",
	      NULL, ns_names,
	      "<std::sys::fs::unix::stat as core::ops::function::Fn<(&core::ffi::c_str::CStr,)>>::call");
}

static void test_path_is(void)
{
	CHECK(demangle__path_is("std::panicking::try::do_catch", "std::panicking::try::do_catch"));
	CHECK(demangle__path_is("std::panicking::try::do_catch<demo::main::{closure#0}, ()>",
				"std::panicking::try::do_catch"));
	CHECK(!demangle__path_is("std::panicking::try::do_catch_all", "std::panicking::try::do_catch"));
	CHECK(!demangle__path_is("std::panicking::try::do_catch<a>::{closure#0}",
				 "std::panicking::try::do_catch"));
	CHECK(!demangle__path_is("std::panicking::try", "std::panicking::try::do_catch"));
	CHECK(!demangle__path_is("std::panicking::try::do_catch<a", "std::panicking::try::do_catch"));
}

static void test_strip_args(void)
{
	char b[256];

	demangle__strip_args("logstat::top_n<u32>", b, sizeof(b));
	CHECK_STR(b, "logstat::top_n");
	demangle__strip_args("a::Pair<u8>::map<u64, a::main::{closure#3}>", b, sizeof(b));
	CHECK_STR(b, "a::Pair::map");
	demangle__strip_args("<a::Pair<u8> as core::fmt::Debug>::fmt", b, sizeof(b));
	CHECK_STR(b, "<a::Pair as core::fmt::Debug>::fmt");
	demangle__strip_args("a::top_n<&str>::{closure#0}", b, sizeof(b));
	CHECK_STR(b, "a::top_n::{closure#0}");
	demangle__strip_args("a::main", b, sizeof(b));
	CHECK_STR(b, "a::main");
}

int main(void)
{
	test_strip_args();
	test_closures();
	test_generics();
	test_consts();
	test_ordinary();
	test_v0();
	test_path_is();
	return unit_done("test_names");
}
