// SPDX-License-Identifier: MIT
/*
 * Display names of Rust functions (see demangle.h). Legacy symbols lose what
 * tells instances apart: every closure and async body is "{{closure}}" and
 * generic arguments are missing. rustc's DWARF keeps both: subprograms and
 * namespaces are named "{closure#N}", "{async_fn#N}", "{async_block#N}", and
 * a subprogram's DW_AT_name lists all the generic arguments in scope (the
 * impl's first, then the function's or, for a closure, its parent's) with a
 * DW_TAG_template_type_parameter child per type argument, same order.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>
#include "demangle.h"

#define MAX_SEGS 64
#define MAX_ARGS 32

struct span {
	const char *p;
	size_t n;
};

struct buf {
	char *s;
	size_t n, cap;
	bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		char *ns;

		while (cap < b->n + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

static void put_str(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static char *buf_done(struct buf *b)
{
	if (!b->oom && !b->s)
		put(b, "", 0);
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

char *demangle__rust(const char *mangled)
{
	/* Without DMGL_VERBOSE libiberty drops the legacy hash and v0 crate disambiguators. */
	return rust_demangle(mangled, 0);
}

/* Rust identifiers may be non-ASCII: any byte >= 0x80 belongs to one. */
static bool ident_char(char c)
{
	return c == '_' || isalnum((unsigned char)c) || (unsigned char)c >= 0x80;
}

/* Nesting change at s[i]; the '>' of "->" (fn pointer types) closes nothing. */
static int bracket(const char *s, size_t i)
{
	switch (s[i]) {
	case '<':
	case '(':
	case '[':
	case '{':
		return 1;
	case '>':
		return i > 0 && s[i - 1] == '-' ? 0 : -1;
	case ')':
	case ']':
	case '}':
		return -1;
	}
	return 0;
}

/* Path segments of s split at "::" outside brackets; -1 if more than max. */
static int split_path(const char *s, struct span *seg, int max)
{
	size_t i, start = 0, len = strlen(s);
	int n = 0, depth = 0;

	for (i = 0; i < len; i++) {
		depth += bracket(s, i);
		if (depth || s[i] != ':' || s[i + 1] != ':')
			continue;
		if (n == max)
			return -1;
		seg[n++] = (struct span){ s + start, i - start };
		start = i + 2;
		i++;
	}
	if (n == max)
		return -1;
	seg[n++] = (struct span){ s + start, len - start };
	return n;
}

/* Length of a segment without its generic arguments: "top_n<u32>" -> 5. */
static size_t base_len(struct span s)
{
	size_t i;

	for (i = 1; i < s.n; i++)
		if (s.p[i] == '<')
			return i;
	return s.n;
}

static bool span_eq(struct span a, struct span b)
{
	return a.n == b.n && !memcmp(a.p, b.p, a.n);
}

static bool span_is(struct span a, const char *s)
{
	return a.n == strlen(s) && !memcmp(a.p, s, a.n);
}

/* "{kind#N}" as DWARF and v0 name closures, impls, shims: its kind and N. */
static bool numbered(struct span s, struct span *kind, struct span *num)
{
	const char *hash = memchr(s.p, '#', s.n);
	size_t i;

	if (s.n < 4 || s.p[0] != '{' || s.p[s.n - 1] != '}' || !hash || hash == s.p + 1)
		return false;
	for (i = hash - s.p + 1; i < s.n - 1; i++)
		if (!isdigit((unsigned char)s.p[i]))
			return false;
	*kind = (struct span){ s.p + 1, hash - s.p - 1 };
	*num = (struct span){ hash + 1, s.p + s.n - 1 - hash - 1 };
	return num->n > 0;
}

/* Closures and coroutine bodies: what legacy symbols all call "{{closure}}". */
static bool closure_kind(struct span k)
{
	static const char *const kinds[] = {
		"closure", "coroutine", "coroutine_closure",
		"async_fn", "async_block", "async_closure",
		"gen_fn", "gen_block", "gen_closure",
		"async_gen_fn", "async_gen_block", "async_gen_closure",
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (span_is(k, kinds[i]))
			return true;
	return false;
}

/* A segment standing for an anonymous item: "{{closure}}" or "{closure#0}". */
static bool anon_seg(struct span s)
{
	struct span k, n;

	return (s.n > 4 && !strncmp(s.p, "{{", 2) && !strncmp(s.p + s.n - 2, "}}", 2)) ||
	       numbered(s, &k, &n);
}

/* May the demangled segment s (legacy or v0) be DWARF's segment d? */
static bool same_anon(struct span s, struct span d, bool v0)
{
	struct span dk, dn, sk, sn;

	if (!numbered(d, &dk, &dn))
		return false;
	if (!v0) {
		/* "{{closure}}" or "{{constant}}" for "{constant#0}" */
		if (s.n < 5 || strncmp(s.p, "{{", 2) || strncmp(s.p + s.n - 2, "}}", 2))
			return false;
		sk = (struct span){ s.p + 2, s.n - 4 };
		return span_is(sk, "closure") ? closure_kind(dk) : span_eq(sk, dk);
	}
	/* v0 mangles every coroutine as a closure, same disambiguator */
	if (!numbered(s, &sk, &sn) || !span_eq(sn, dn))
		return false;
	return span_is(sk, "closure") ? closure_kind(dk) : span_eq(sk, dk);
}

/*
 * Replaces the trailing anonymous segments of s by DWARF's names for them
 * ("main::{{closure}}::{{closure}}" -> "main::{closure#1}::{closure#0}"),
 * provided both paths agree on their number and on the named item that
 * holds them. NULL: nothing to change (or out of memory).
 */
static char *rename_anon(const char *s, const struct dw_fn *dw, bool v0)
{
	struct span seg[MAX_SEGS], dws[MAX_SEGS];
	int n = split_path(s, seg, MAX_SEGS), nd = 0, tail = 0, i;
	struct buf b = { 0 };
	bool same = true;

	if (n < 2 || dw->nns + 1 > MAX_SEGS)
		return NULL;
	for (i = 0; i < dw->nns; i++)
		dws[nd++] = (struct span){ dw->ns[i], strlen(dw->ns[i]) };
	dws[nd].p = dw->name;
	dws[nd].n = strlen(dw->name);
	dws[nd].n = base_len(dws[nd]);
	nd++;
	while (tail < n - 1 && anon_seg(seg[n - 1 - tail]))
		tail++;
	if (!tail || tail >= nd)
		return NULL;
	for (i = 1; i <= tail; i++) {
		if (!same_anon(seg[n - i], dws[nd - i], v0))
			return NULL;
		same = same && span_eq(seg[n - i], dws[nd - i]);
	}
	seg[n - 1 - tail].n = base_len(seg[n - 1 - tail]);
	if (same || !span_eq(seg[n - 1 - tail], dws[nd - 1 - tail]))
		return NULL;
	put(&b, s, seg[n - tail].p - s);
	for (i = tail; i > 0; i--) {
		put(&b, dws[nd - i].p, dws[nd - i].n);
		if (i > 1)
			put_str(&b, "::");
	}
	return buf_done(&b);
}

/* ---- v0 and legacy notation ---- */

/* Index of the bracket closing the one at s[i], 0 if none. */
static size_t closing(const char *s, size_t i)
{
	int depth = 0;

	for (; s[i]; i++) {
		depth += bracket(s, i);
		if (!depth)
			return i;
	}
	return 0;
}

/* "a::b::C<T>": a path (its generic arguments aside), nothing else. */
static bool plain_path(const char *s, size_t n)
{
	int depth = 0;
	size_t i;

	if (!n || !ident_char(s[0]) || isdigit((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++) {
		depth += bracket(s, i);
		if (!depth && !ident_char(s[i]) && s[i] != ':' && s[i] != '>')
			return false;
	}
	return true;
}

/* A '<' opening a qualified path ("<T as Tr>", "<[T]>") rather than generic arguments. */
static bool qualified_open(const char *s, size_t i)
{
	/* after "::" it is v0's turbofish */
	return s[i] == '<' && (i == 0 || (!ident_char(s[i - 1]) && s[i - 1] != ':'));
}

/*
 * v0 demangling to the notation of demangle.h: "f::<u8>" -> "f<u8>",
 * "<a::T>::m" -> "a::T::m" (legacy prints inherent methods so).
 */
static char *norm_v0(const char *d)
{
	size_t i, n = strlen(d), c;
	char *drop = calloc(n + 1, 1);
	struct buf b = { 0 };

	if (!drop)
		return NULL;
	for (i = 0; i < n; i++) {
		if (d[i] == ':' && d[i + 1] == ':' && d[i + 2] == '<')
			drop[i] = drop[i + 1] = 1;
		if (qualified_open(d, i) && (c = closing(d, i)) && !strncmp(d + c + 1, "::", 2) &&
		    plain_path(d + i + 1, c - i - 1))
			drop[i] = drop[c] = 1;
	}
	for (i = 0; i < n; i = c) {
		for (c = i; c < n && !drop[c]; c++)
			;
		put(&b, d + i, c - i);
		while (c < n && drop[c])
			c++;
	}
	free(drop);
	return buf_done(&b);
}

/* Legacy demangling separates generic arguments by "," alone; v0 and DWARF by ", ". */
static char *norm_legacy(const char *d)
{
	struct buf b = { 0 };

	for (; *d; d++) {
		put(&b, d, 1);
		if (*d == ',' && d[1] != ' ')
			put(&b, " ", 1);
	}
	return buf_done(&b);
}

/* ---- generic arguments of legacy names ---- */

struct gargs {
	struct span arg[MAX_ARGS];
	int tp[MAX_ARGS]; /* template parameter of a type argument, -1: a const */
	int n, nconst;
	bool unplaced_consts; /* const arguments whose place is unknown: left out */
};

/* A const generic argument as DWARF prints it: 3, -1, true, 'a'. */
static bool const_arg(struct span a)
{
	return isdigit((unsigned char)a.p[0]) || a.p[0] == '-' || a.p[0] == '\'' ||
	       span_is(a, "true") || span_is(a, "false");
}

/* The arguments in "name<A, B<C, D>>"; false if none or unreadable. */
static bool parse_args(const char *name, int ntparams, struct gargs *g)
{
	struct span whole = { name, strlen(name) };
	size_t open = base_len(whole), i, start;
	int depth = 0, ntypes = 0;

	g->n = g->nconst = 0;
	if (open >= whole.n || closing(name, open) != whole.n - 1)
		return false;
	for (i = start = open + 1; i < whole.n; i++) {
		if (i < whole.n - 1) {
			depth += bracket(name, i);
			if (depth || name[i] != ',')
				continue;
		}
		while (name[start] == ' ')
			start++;
		if (g->n == MAX_ARGS || i == start)
			return false;
		g->arg[g->n] = (struct span){ name + start, i - start };
		g->tp[g->n] = const_arg(g->arg[g->n]) ? -1 : ntypes++;
		g->nconst += g->tp[g->n] < 0;
		g->n++;
		start = i + 1;
	}
	/* without a DIE per type argument there is nothing to match names with */
	return g->n > 0 && ntypes == ntparams;
}

/* An argument with DWARF's closure type names made v0's: "{closure_env#3}" -> "{closure#3}". */
static void put_arg(struct buf *b, struct span a)
{
	const char *p = a.p, *end = a.p + a.n, *e;

	while ((e = memmem(p, end - p, "_env#", 5))) {
		put(b, p, e - p);
		p = e + 4;
	}
	put(b, p, end - p);
}

/*
 * The next identifier at or after *i standing alone as a type ("T" in
 * "Pair<T>", "<T as Tr<U>>", "&[T]", "[T; N]"), not a path segment
 * ("a::T", "T::b") nor part of "{{closure}}". Returns its length, 0 at the end.
 */
static size_t next_type_ident(const char *s, size_t *i)
{
	size_t p = *i, e;

	for (; s[p]; p = e) {
		for (; s[p] && !ident_char(s[p]); p++)
			;
		for (e = p; ident_char(s[e]); e++)
			;
		if (e == p)
			break;
		if (p > 0 && strchr("<([&*, ;=", s[p - 1]) && !isdigit((unsigned char)s[p]) &&
		    strncmp(s + e, "::", 2)) {
			*i = p;
			return e - p;
		}
	}
	*i = p;
	return 0;
}

static int tparam_of(const struct dw_fn *dw, const char *s, size_t n)
{
	int k;

	for (k = 0; k < dw->ntparams; k++)
		if (strlen(dw->tparams[k]) == n && !strncmp(dw->tparams[k], s, n))
			return k;
	return -1;
}

/* s with the impl's parameters replaced by their arguments; marks those used. */
static char *substitute(const char *s, const struct dw_fn *dw, const struct gargs *g, bool *used)
{
	struct buf b = { 0 };
	size_t i = 0, from = 0, n;
	int k, a;

	while ((n = next_type_ident(s, &i))) {
		k = tparam_of(dw, s + i, n);
		for (a = 0; k >= 0 && a < g->n && g->tp[a] != k; a++)
			;
		if (k >= 0 && a < g->n) {
			put(&b, s + from, i - from);
			put_arg(&b, g->arg[a]);
			used[k] = true;
			from = i + n;
		}
		i += n;
	}
	put_str(&b, s + from);
	return buf_done(&b);
}

/* Legacy placeholders for const arguments: "Foo<_>", or N in "<impl … for [T; N]>"? */
static bool const_placeholders(const char *s)
{
	size_t i = 0, n;

	while ((n = next_type_ident(s, &i))) {
		if (n == 1 && s[i] == '_')
			return true;
		i += n;
	}
	return strstr(s, "<impl ") != NULL;
}

/* Where legacy's "{{vtable.shim}}" (after the name, outside brackets) starts, or the end. */
static const char *shim_suffix(struct span s)
{
	int depth = 0;
	size_t i;

	for (i = 0; i < s.n; i++) {
		if (!depth && s.p[i] == '{' && i + 1 < s.n && s.p[i + 1] == '{')
			break;
		depth += bracket(s.p, i);
	}
	return s.p + i;
}

static void put_args(struct buf *b, const struct gargs *g, const bool *skip, int self)
{
	bool first = true;
	int a;

	for (a = 0; a < g->n; a++) {
		if ((g->tp[a] >= 0 && skip[g->tp[a]]) || (self >= 0 && g->tp[a] == self) ||
		    (g->tp[a] < 0 && g->unplaced_consts))
			continue;
		put_str(b, first ? "<" : ", ");
		put_arg(b, g->arg[a]);
		first = false;
	}
	if (!first)
		put_str(b, ">");
}

/*
 * Puts the arguments no parameter of the legacy path took after the named
 * item they belong to (the last segment that is no closure). A default
 * trait method ("crate::Trait::m", Self among the leftovers) becomes
 * "<Self as crate::Trait>::m" as v0 writes it.
 */
static char *place_leftovers(const char *t, const struct gargs *g, const bool *used,
			     const struct dw_fn *dw, bool any_used)
{
	struct span seg[MAX_SEGS];
	int n = split_path(t, seg, MAX_SEGS), k, self = -1, a;
	struct buf b = { 0 };
	const char *at, *end;

	if (n < 1)
		return NULL;
	for (k = n - 1; k > 0 && anon_seg(seg[k]); k--)
		;
	at = end = shim_suffix(seg[k]);
	for (a = 0; a < g->n; a++)
		if (g->tp[a] >= 0 && !used[g->tp[a]] && !strcmp(dw->tparams[g->tp[a]], "Self"))
			self = g->tp[a];
	if (base_len(seg[k]) < seg[k].n && base_len(seg[k]) < (size_t)(at - seg[k].p)) {
		/*
		 * Legacy already names the arguments here (drop_in_place<T>):
		 * DWARF's replace them only where legacy cannot tell closures apart.
		 */
		if (any_used || self >= 0 || !memmem(seg[k].p, seg[k].n, "{{", 2))
			return NULL;
		at = seg[k].p + base_len(seg[k]);
	}
	if (self >= 0 && t[0] != '<' && k > 0) {
		for (a = 0; g->tp[a] != self; a++)
			;
		put_str(&b, "<");
		put_arg(&b, g->arg[a]);
		put_str(&b, " as ");
		put(&b, t, seg[k].p - 2 - t);
		put_str(&b, ">::");
		put(&b, seg[k].p, at - seg[k].p);
	} else {
		self = -1;
		put(&b, t, at - t);
	}
	put_args(&b, g, used, self);
	put_str(&b, end);
	return buf_done(&b);
}

/* Completes a legacy name with the generic arguments DWARF knows; NULL: unchanged. */
static char *add_generics(const char *s, const struct dw_fn *dw)
{
	bool used[MAX_ARGS] = { 0 }, any = false;
	struct gargs g;
	int a, left = 0;
	char *t, *r;

	if (dw->ntparams > MAX_ARGS || !parse_args(dw->name, dw->ntparams, &g))
		return NULL;
	/*
	 * Legacy symbols print a const parameter of the impl as "_" or by
	 * name, and DWARF has no DIE for it: which argument it is is unknown.
	 */
	g.unplaced_consts = g.nconst && const_placeholders(s);
	t = substitute(s, dw, &g, used);
	if (!t)
		return NULL;
	for (a = 0; a < g.n; a++) {
		left += g.tp[a] < 0 ? !g.unplaced_consts : !used[g.tp[a]];
		any = any || (g.tp[a] >= 0 && used[g.tp[a]]);
	}
	if (!left) {
		if (any)
			return t;
		free(t);
		return NULL;
	}
	r = place_leftovers(t, &g, used, dw, any);
	if (!r && any)
		return t;
	free(t);
	return r;
}

static bool is_v0(const char *mangled)
{
	return !strncmp(mangled, "_R", 2) || !strncmp(mangled, "__R", 3);
}

static char *replace(char *old, char *new)
{
	if (!new)
		return old;
	free(old);
	return new;
}

char *demangle__display(const char *mangled, const struct dw_fn *dw)
{
	char *d = rust_demangle(mangled, 0), *s;
	bool v0 = is_v0(mangled);

	if (!d)
		return NULL;
	s = v0 ? norm_v0(d) : norm_legacy(d);
	free(d);
	if (!s || !dw || !dw->name || !dw->name[0])
		return s;
	s = replace(s, rename_anon(s, dw, v0));
	/* v0 symbols carry their generic arguments already */
	if (!v0)
		s = replace(s, add_generics(s, dw));
	return s;
}

bool demangle__path_is(const char *name, const char *path)
{
	size_t n = strlen(path);

	if (strncmp(name, path, n))
		return false;
	name += n;
	return !*name || (*name == '<' && closing(name, 0) == strlen(name) - 1);
}

void demangle__strip_args(const char *name, char *buf, size_t len)
{
	size_t i = 0, n = 0, end;

	if (!len)
		return;
	while (name[i] && n + 1 < len) {
		/* a generic argument list follows a path segment; a leading `<` opens `<T as Trait>` */
		if (name[i] == '<' && i > 0 && (ident_char(name[i - 1]) || name[i - 1] == '}') &&
		    (end = closing(name, i)) > i) {
			i = end + 1;
			continue;
		}
		buf[n++] = name[i++];
	}
	buf[n] = 0;
}
