// SPDX-License-Identifier: MIT
/*
 * Is a user type's Debug the derived one? We disassemble every
 * `<T as core::fmt::Debug>::fmt` of the type and accept it as derived only if
 * it has the exact shape #[derive(Debug)] gives it:
 *
 *  - rustc >= 1.64: calls to core::fmt::Formatter's derive helpers only
 *    (debug_{struct,tuple}_field{1..5,s}_finish: unstable, so no hand-written
 *    impl on stable can call them) and write_str for fieldless structs and
 *    variants;
 *  - rustc 1.63 and older: the public builders, Formatter::debug_struct /
 *    debug_tuple, one DebugStruct::field / DebugTuple::field per field, and
 *    finish. A hand-written impl can call those too, so each field() call
 *    (on each path into it: fn_scan.c follows the argument registers through
 *    the branches rustc merges) must pass a field as the derive does: its
 *    exact name, and `&&field`, i.e. the vtable of `<&FieldType as Debug>`
 *    (found by address among the DWARF vtables), a struct's fields in order,
 *    every field once. What is left: a hand-written impl passing, as `&&`,
 *    another field of the same type in a field's place (the value pointer is
 *    not followed).
 *
 * In both, every name the derived impl prints must be referenced by the
 * code. Anything else (write_fmt, a call through the Formatter's vtable, an
 * unresolvable call) makes the type's Debug custom or unknown; no code at all
 * makes it absent (an unused impl is not linked, whatever it is). A fmt
 * inlined into every caller is checked in `<&T as Debug>::fmt`, whose body it
 * then is. The decoder prints the derived format only for RDBG_DERIVED.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "debug_impl.h"
#include "demangle.h"
#include "dwarf_types.h"
#include "fn_scan.h"

#define MAX_IMPLS 16
#define MAX_NAMES 256

static bool std_name(const char *n)
{
	return !strncmp(n, "core::", 6) || !strncmp(n, "alloc::", 7) || !strncmp(n, "std::", 5);
}

bool debug_impl__needs_verdict(const struct rtype *t)
{
	if (!t || std_name(t->name))
		return false;
	return t->kind == RK_STRUCT || t->kind == RK_ENUM || t->kind == RK_CENUM;
}

void debug_impl__strip_generics(const char *name, char *buf, size_t len)
{
	size_t n = 0;
	int depth = 0;

	for (; *name && n + 1 < len; name++) {
		if (*name == '<')
			depth++;
		else if (*name == '>' && depth > 0)
			depth--;
		else if (!depth)
			buf[n++] = *name;
	}
	buf[n] = 0;
}

/* "<values::Pair<T> as core::fmt::Debug>::fmt" -> "values::Pair"; false if not such a name. */
static bool impl_type(const char *fn, char *buf, size_t len)
{
	static const char tail[] = " as core::fmt::Debug>::fmt";
	size_t n = strlen(fn), tl = sizeof(tail) - 1;
	char tmp[1024];

	if (fn[0] != '<' || n <= tl + 1 || strcmp(fn + n - tl, tail) || n - tl - 1 >= sizeof(tmp))
		return false;
	memcpy(tmp, fn + 1, n - tl - 1);
	tmp[n - tl - 1] = 0;
	debug_impl__strip_generics(tmp, buf, len);
	return true;
}

/* What a call target is, for the derived-impl check. */
enum callee {
	CALLEE_OTHER,
	CALLEE_HELPER,	  /* Formatter::debug_{struct,tuple}_field{1..5,s}_finish (rustc >= 1.64) */
	CALLEE_WRITE_STR, /* Formatter::write_str */
	CALLEE_DEBUG_STRUCT, /* the builders (rustc <= 1.63) */
	CALLEE_DEBUG_TUPLE,
	CALLEE_STRUCT_FIELD,
	CALLEE_TUPLE_FIELD,
	CALLEE_STRUCT_FINISH,
	CALLEE_TUPLE_FINISH,
	CALLEE_BENIGN,	/* stack probing */
	CALLEE_UNKNOWN, /* not resolvable */
	NCALLEES
};

static enum callee classify_callee(const char *sym)
{
	static const char *const helpers[] = {
	    "debug_struct_field1_finish", "debug_struct_field2_finish",
	    "debug_struct_field3_finish", "debug_struct_field4_finish",
	    "debug_struct_field5_finish", "debug_struct_fields_finish",
	    "debug_tuple_field1_finish",  "debug_tuple_field2_finish",
	    "debug_tuple_field3_finish",  "debug_tuple_field4_finish",
	    "debug_tuple_field5_finish",  "debug_tuple_fields_finish",
	};
	static const struct {
		const char *name;
		enum callee c;
	} exact[] = {
	    {"core::fmt::Formatter::write_str", CALLEE_WRITE_STR},
	    {"<core::fmt::Formatter>::write_str", CALLEE_WRITE_STR},
	    {"<core::fmt::Formatter as core::fmt::Write>::write_str", CALLEE_WRITE_STR},
	    {"core::fmt::Formatter::debug_struct", CALLEE_DEBUG_STRUCT},
	    {"core::fmt::Formatter::debug_tuple", CALLEE_DEBUG_TUPLE},
	    {"core::fmt::builders::DebugStruct::field", CALLEE_STRUCT_FIELD},
	    {"core::fmt::builders::DebugTuple::field", CALLEE_TUPLE_FIELD},
	    {"core::fmt::builders::DebugStruct::finish", CALLEE_STRUCT_FINISH},
	    {"core::fmt::builders::DebugTuple::finish", CALLEE_TUPLE_FINISH},
	};
	enum callee r = CALLEE_OTHER;
	const char *m;
	char *d;
	size_t i;

	if (!sym)
		return CALLEE_UNKNOWN;
	if (!strcmp(sym, "__rust_probestack"))
		return CALLEE_BENIGN;
	d = demangle__rust(sym);
	if (!d)
		return CALLEE_OTHER;
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(d, exact[i].name))
			r = exact[i].c;
	m = strrchr(d, ':');
	if (r == CALLEE_OTHER && m && m > d + 1 && m[-1] == ':' &&
	    (((size_t)(m - 1 - d) == 22 && !strncmp(d, "<core::fmt::Formatter>", 22)) ||
	     ((size_t)(m - 1 - d) == 20 && !strncmp(d, "core::fmt::Formatter", 20)))) {
		for (i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
			if (!strcmp(m + 1, helpers[i]))
				r = CALLEE_HELPER;
	}
	free(d);
	return r;
}

/* What a derived impl of t must show: names it prints, calls per kind, field vtables. */
struct expect {
	const char *names[MAX_NAMES];
	bool field_name[MAX_NAMES]; /* checked in the builder shape only (see check_fn) */
	int nnames;
	int named_variants, tuple_variants, unit_variants; /* a struct counts as one variant */
	bool single;					   /* a struct: its fields come in order */
	int named_fields, tuple_fields;
	/* per field of every variant: the 1.63 derive passes its name (NULL: tuple) and `&&field`
	 */
	const struct rtype *field_types[MAX_NAMES];
	const char *field_names[MAX_NAMES];
	int nfield_types;
};

static bool add_name(struct expect *e, const char *n, bool field)
{
	if (!n || e->nnames == MAX_NAMES)
		return false;
	e->field_name[e->nnames] = field;
	e->names[e->nnames++] = n;
	return true;
}

/* One struct or variant: its name and fields. */
static bool expect_fields(struct expect *e, const char *name, const struct rtype *v)
{
	int i, n = v ? v->nfields : 0;

	if (!add_name(e, name, false))
		return false;
	if (!n) {
		e->unit_variants++;
		return true;
	}
	if (v->tuple_fields) {
		e->tuple_variants++;
		e->tuple_fields += n;
	} else {
		e->named_variants++;
		e->named_fields += n;
	}
	for (i = 0; i < n; i++) {
		if (!v->tuple_fields && !add_name(e, v->fields[i].name, true))
			return false;
		if (e->nfield_types == MAX_NAMES || !v->fields[i].type)
			return false;
		e->field_names[e->nfield_types] = v->tuple_fields ? NULL : v->fields[i].name;
		e->field_types[e->nfield_types++] = v->fields[i].type;
	}
	return true;
}

static bool expected(const struct rtype *t, struct expect *e)
{
	int i;

	memset(e, 0, sizeof(*e));
	e->single = t->kind == RK_STRUCT;
	if (t->kind == RK_STRUCT)
		return expect_fields(e, t->debug_name, t);
	for (i = 0; i < t->nvariants; i++)
		if (!expect_fields(e, t->variants[i].name,
				   t->kind == RK_CENUM ? NULL : t->variants[i].type))
			return false;
	return true;
}

/* What one fmt function does: calls per kind, names and field vtables it references. */
struct shape {
	int calls[NCALLEES];
	bool found[MAX_NAMES];
	bool vt_used[MAX_NAMES];
	int nmatched;
	int bad_vtables, unresolved;
};

struct check {
	const struct elf_image *img;
	struct dwarf_index *idx;
	const struct expect *e;
	struct shape sh;
};

/*
 * A 1.63 builder's field() call: DebugStruct::field(builder, name, len, value,
 * vtable) or DebugTuple::field(builder, value, vtable). It must pass one
 * field as the derive does: its name (exactly), and `&&field`, i.e. the vtable
 * of `<&FieldType as Debug>`; in a struct, the fields in order. (The value
 * pointer itself is not followed: a hand-written impl passing another field
 * of the same type, as `&&`, in its place would pass too.)
 */
static void match_field(struct check *c, const struct fs_args *a, bool named)
{
	const struct expect *e = c->e;
	struct shape *sh = &c->sh;
	uint64_t vt = named ? a->r8 : a->rdx, name = named ? a->rsi : 0;
	int64_t len = named ? a->rdx_imm : 0;
	char buf[1200];
	int k;

	if (!vt || (named && (!name || len < 0))) {
		sh->unresolved++; /* registers not followed: no verdict either way */
		return;
	}
	for (k = 0; k < e->nfield_types; k++) {
		const char *fn = e->field_names[k];

		if (sh->vt_used[k] || !fn != !named)
			continue;
		if (named && (len != (int64_t)strlen(fn) || len >= (int64_t)sizeof(buf) ||
			      elf_image__read(c->img, name, buf, (size_t)len) ||
			      memcmp(buf, fn, (size_t)len)))
			continue;
		snprintf(buf, sizeof(buf), "<&%s as core::fmt::Debug>::{vtable}",
			 e->field_types[k]->name);
		if (!dwarf_types__vtable_named(c->idx, vt, buf))
			continue;
		/* a struct's fields in their order (an enum's variants are code blocks in any
		 * order) */
		if (e->single && k != sh->nmatched)
			break;
		sh->vt_used[k] = true;
		sh->nmatched++;
		return;
	}
	sh->bad_vtables++;
}

/* Which expected names the RIP-relative address a points at (names are not NUL-terminated). */
static void on_lea(void *ctx, uint64_t a)
{
	struct check *c = ctx;
	char buf[256];
	int k;

	for (k = 0; k < c->e->nnames; k++) {
		size_t l = strlen(c->e->names[k]);

		if (!c->sh.found[k] && l < sizeof(buf) && !elf_image__read(c->img, a, buf, l) &&
		    !memcmp(buf, c->e->names[k], l))
			c->sh.found[k] = true;
	}
}

/* Each call leaving the function, once per path into it for the builders' field(). */
static void on_leave(void *ctx, const struct fs_exit *x)
{
	struct check *c = ctx;
	enum callee k = classify_callee(x->sym);
	int p;

	if (k == CALLEE_STRUCT_FIELD || k == CALLEE_TUPLE_FIELD) {
		if (!x->npaths)
			c->sh.unresolved++;
		for (p = 0; p < x->npaths; p++) {
			c->sh.calls[k]++;
			match_field(c, &x->paths[p], k == CALLEE_STRUCT_FIELD);
		}
	} else {
		c->sh.calls[k]++;
	}
	if ((k == CALLEE_OTHER || k == CALLEE_UNKNOWN) && getenv("RSTRACE_DEBUG_IMPL"))
		fprintf(stderr, "debug_impl: call at 0x%llx to %s\n", (unsigned long long)x->addr,
			x->sym ? x->sym : "?");
}

/* The derive's shape, rustc >= 1.64: helpers, and write_str for fieldless structs/variants. */
static enum rdebug judge_helpers(const struct expect *e, const struct shape *sh)
{
	int builders = sh->calls[CALLEE_DEBUG_STRUCT] + sh->calls[CALLEE_DEBUG_TUPLE] +
		       sh->calls[CALLEE_STRUCT_FIELD] + sh->calls[CALLEE_TUPLE_FIELD] +
		       sh->calls[CALLEE_STRUCT_FINISH] + sh->calls[CALLEE_TUPLE_FINISH];

	if (builders || (sh->calls[CALLEE_HELPER] && !(e->named_variants + e->tuple_variants)))
		return RDBG_CUSTOM;
	if (sh->calls[CALLEE_WRITE_STR] && !e->unit_variants)
		return RDBG_CUSTOM;
	return RDBG_DERIVED;
}

/*
 * The derive's shape, rustc <= 1.63: per struct/variant with fields one
 * debug_struct or debug_tuple (calls may be merged across variants, so at
 * least one), one field() per field, each with `&&field`'s vtable, and a
 * finish.
 */
static enum rdebug judge_builders(const struct expect *e, const struct shape *sh)
{
	const int *c = sh->calls;

	if (c[CALLEE_HELPER] || c[CALLEE_STRUCT_FIELD] != e->named_fields ||
	    c[CALLEE_TUPLE_FIELD] != e->tuple_fields ||
	    c[CALLEE_DEBUG_STRUCT] > e->named_variants ||
	    c[CALLEE_DEBUG_TUPLE] > e->tuple_variants ||
	    c[CALLEE_STRUCT_FINISH] > e->named_variants ||
	    c[CALLEE_TUPLE_FINISH] > e->tuple_variants ||
	    (!c[CALLEE_DEBUG_STRUCT] != !e->named_variants) ||
	    (!c[CALLEE_DEBUG_TUPLE] != !e->tuple_variants) ||
	    (!c[CALLEE_STRUCT_FINISH] != !e->named_variants) ||
	    (!c[CALLEE_TUPLE_FINISH] != !e->tuple_variants) ||
	    (c[CALLEE_WRITE_STR] && !e->unit_variants))
		return RDBG_CUSTOM;
	/* a field passed otherwise than the derive passes it */
	if (sh->bad_vtables)
		return RDBG_CUSTOM;
	return sh->unresolved ? RDBG_UNKNOWN : RDBG_DERIVED;
}

/* Verdict for one out-of-line fmt function. */
static enum rdebug check_fn(struct dwarf_index *idx, const struct elf_image *img,
			    const struct rfunc *f, const struct rtype *t)
{
	struct expect *e = calloc(1, sizeof(*e));
	struct check *c = calloc(1, sizeof(*c));
	enum rdebug r = RDBG_UNKNOWN;
	const int *n;
	int k;

	if (!e || !c || !expected(t, e))
		goto out;
	c->img = img;
	c->idx = idx;
	c->e = e;
	if (fn_scan__run(img, f, on_leave, on_lea, c))
		goto out;
	n = c->sh.calls;
	if (n[CALLEE_OTHER])
		r = RDBG_CUSTOM;
	else if (n[CALLEE_UNKNOWN])
		r = RDBG_UNKNOWN;
	else if (n[CALLEE_HELPER] || !(n[CALLEE_DEBUG_STRUCT] | n[CALLEE_DEBUG_TUPLE] |
				       n[CALLEE_STRUCT_FIELD] | n[CALLEE_TUPLE_FIELD]))
		r = judge_helpers(e, &c->sh);
	else
		r = judge_builders(e, &c->sh);
	if (r == RDBG_DERIVED && !n[CALLEE_HELPER] && !n[CALLEE_WRITE_STR] &&
	    !n[CALLEE_DEBUG_STRUCT] && !n[CALLEE_DEBUG_TUPLE])
		r = RDBG_UNKNOWN; /* prints nothing we know of */
	/*
	 * A name it would print is not in its code. The helpers get the field
	 * names of more than five fields in a table: only the builder shape is
	 * held to them (the helpers are the derive's own).
	 */
	for (k = 0; k < e->nnames && r == RDBG_DERIVED; k++)
		if (!c->sh.found[k] && (!e->field_name[k] || !n[CALLEE_HELPER]))
			r = RDBG_UNKNOWN;
out:
	free(e);
	free(c);
	if (getenv("RSTRACE_DEBUG_IMPL"))
		fprintf(stderr, "debug_impl: %s at 0x%llx: %d\n", t->name,
			(unsigned long long)f->low_pc, r);
	return r;
}

static enum rdebug verdict(struct dwarf_index *idx, const struct elf_image *img,
			   const struct rtype *t)
{
	char want[1024], got[1024], fn[1100];
	struct rfunc *fs[MAX_IMPLS];
	enum rdebug r = RDBG_ABSENT;
	int i, n, total;

	debug_impl__strip_generics(t->name, want, sizeof(want));
	/* the common case: a non-generic type, its fmt has exactly this name */
	snprintf(fn, sizeof(fn), "<%s as core::fmt::Debug>::fmt", t->name);
	total = dwarf_index__funcs_named(idx, fn, fs, MAX_IMPLS);
	n = total;
	if (!total) {
		/* generic: legacy-mangled names keep the impl's parameters ("Pair<T>") */
		int j, nf = dwarf_index__nfuncs(idx);

		for (j = 0; j < nf; j++) {
			struct rfunc *f = dwarf_index__func(idx, j);

			if (!f->name || f->name[0] != '<' ||
			    !impl_type(f->name, got, sizeof(got)) || strcmp(got, want))
				continue;
			if (n < MAX_IMPLS)
				fs[n] = f;
			n++;
		}
		total = n;
	}
	if (!total) {
		/*
		 * Inlined into every caller (opt-level >= 1): `<&T as Debug>::fmt`
		 * is then T's impl inlined and nothing else (`(**self).fmt(f)`),
		 * the same code to check.
		 */
		snprintf(got, sizeof(got), "<&%s as core::fmt::Debug>::fmt", t->name);
		total = n = dwarf_index__funcs_named(idx, got, fs, MAX_IMPLS);
	}
	if (total > MAX_IMPLS)
		return RDBG_UNKNOWN;
	for (i = 0; i < n; i++) {
		enum rdebug v = check_fn(idx, img, fs[i], t);

		if (v == RDBG_CUSTOM)
			return RDBG_CUSTOM;
		if (v == RDBG_UNKNOWN)
			r = RDBG_UNKNOWN;
		else if (r == RDBG_ABSENT)
			r = RDBG_DERIVED;
	}
	/* inlined into every caller: no code of its own to check */
	if (r == RDBG_ABSENT && dwarf_index__inlined_named(idx, fn))
		r = RDBG_UNKNOWN;
	return r;
}

static void walk(struct dwarf_index *idx, const struct elf_image *img, struct rtype *t, int depth)
{
	int i;

	if (!t || depth > 64 || t->debug != RDBG_UNCHECKED)
		return;
	/* marks the type visited first: types may refer to themselves */
	t->debug = RDBG_UNKNOWN;
	for (i = 0; i < t->nfields; i++)
		walk(idx, img, t->fields[i].type, depth + 1);
	if (t->kind != RK_CENUM)
		for (i = 0; i < t->nvariants; i++)
			walk(idx, img, t->variants[i].type, depth + 1);
	walk(idx, img, t->target, depth + 1);
	walk(idx, img, t->inner, depth + 1);
	walk(idx, img, t->key, depth + 1);
	walk(idx, img, t->val, depth + 1);
	for (i = 0; i < t->nimpls; i++)
		walk(idx, img, t->impls[i].type, depth + 1);
	t->debug = debug_impl__needs_verdict(t) ? verdict(idx, img, t) : RDBG_NONE;
}

void debug_impl__check(struct dwarf_index *idx, const struct elf_image *img, struct rtype *t)
{
	walk(idx, img, t, 0);
}
