// SPDX-License-Identifier: MIT
/*
 * `()` or a unit struct? rustc omits DW_AT_type for both returns, so the
 * function's own source decides, when it is readable at the path DWARF
 * records: the signature at its declaration line. Anything unexpected (a
 * macro-made function, a closure, a file edited since) leaves it unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dwarf_internal.h"
#include "debug_impl.h"
#include "dwarf_types.h"

#define MAX_SIG 8192 /* bytes read from the declaration line on */

/* Skips whitespace and comments; NULL at the end. */
static const char *skip_ws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (p[0] == '/' && p[1] == '/') {
			p = strchr(p, '\n');
			if (!p)
				return NULL;
		} else if (p[0] == '/' && p[1] == '*') {
			p = strstr(p + 2, "*/");
			if (!p)
				return NULL;
			p += 2;
		} else {
			return *p ? p : NULL;
		}
	}
}

/* Past the bracketed group starting at *p ('(' or '<'), nested brackets included. */
static const char *skip_group(const char *p)
{
	int depth = 0;

	for (; *p; p++) {
		if (*p == '(' || *p == '<' || *p == '[' || *p == '{')
			depth++;
		else if ((*p == ')' || *p == ']' || *p == '}' || (*p == '>' && p[-1] != '-')) &&
			 --depth == 0)
			return p + 1;
		else if (*p == '"' || *p == '\'')
			return NULL; /* literals in a signature: not worth the risk */
	}
	return NULL;
}

/* The last path segment of a function name, generic arguments dropped: "a::B<T>::run<U>" -> "run".
 */
static bool last_segment(const char *name, char *buf, size_t len)
{
	const char *p = name, *seg = name, *end;
	int depth = 0;

	for (; *p; p++) {
		if (*p == '<')
			depth++;
		else if (*p == '>' && depth > 0)
			depth--;
		else if (!depth && p[0] == ':' && p[1] == ':')
			seg = p + 2;
	}
	for (end = seg; *end && *end != '<'; end++)
		if (!(*end == '_' || (*end >= 'a' && *end <= 'z') || (*end >= 'A' && *end <= 'Z') ||
		      (*end >= '0' && *end <= '9')))
			return false; /* {closure#0}, <impl as Trait>… */
	if (end == seg || (size_t)(end - seg) >= len)
		return false;
	memcpy(buf, seg, (size_t)(end - seg));
	buf[end - seg] = 0;
	return true;
}

/*
 * 1: the signature from "fn NAME" declares no return type or `()`; 0: another
 * type, in ident when it is one plain identifier (`-> Marker`); -1: unsure.
 */
static int sig_returns_unit(const char *text, const char *fname, char *ident, size_t len)
{
	char want[300];
	const char *p = text, *q;
	size_t n;

	snprintf(want, sizeof(want), "fn %s", fname);
	n = strlen(want);
	/* on the declaration line itself */
	for (q = p; (q = strstr(q, want)); q += n) {
		const char *nl = memchr(p, '\n', (size_t)(q - p));

		if (nl)
			return -1;
		if ((q == p || q[-1] == ' ' || q[-1] == '\t') &&
		    !(q[n] == '_' || (q[n] >= 'a' && q[n] <= 'z') || (q[n] >= 'A' && q[n] <= 'Z') ||
		      (q[n] >= '0' && q[n] <= '9')))
			break;
	}
	if (!q)
		return -1;
	p = skip_ws(q + n);
	if (p && *p == '<')
		p = skip_ws(skip_group(p) ? skip_group(p) : "");
	if (!p || *p != '(' || !(p = skip_group(p)) || !(p = skip_ws(p)))
		return -1;
	if (*p == '{' || *p == ';' || !strncmp(p, "where", 5))
		return 1;
	if (strncmp(p, "->", 2) || !(p = skip_ws(p + 2)))
		return -1;
	if (*p != '(') {
		for (n = 0;
		     n + 1 < len && (p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') ||
				     (p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9'));
		     n++)
			ident[n] = p[n];
		ident[n] = 0;
		q = skip_ws(p + n);
		if (!n || !q || (*q != '{' && strncmp(q, "where", 5)))
			ident[0] = 0; /* a path, generics, a reference…: not resolved */
		return 0;
	}
	if (!(p = skip_ws(p + 1)) || *p != ')' || !(p = skip_ws(p + 1)))
		return 0;
	return *p == '{' || *p == ';' || !strncmp(p, "where", 5) ? 1 : 0;
}

/*
 * `-> Marker` where Marker is a zero-sized type: the one named so in the
 * function's module (the longest prefix of its path that has such a type
 * with a Debug impl; a type cannot sit in a type, so that prefix is the
 * module). Its Debug impl is then checked like any other: only a derived
 * impl of a fieldless struct passes (write_str of the name), anything else
 * gives no value.
 */
static struct rtype *unit_struct(struct dwarf_index *idx, const struct rfunc *f, const char *ident)
{
	char path[1024], fn[1200];
	struct rfunc *impl;
	struct rtype *t;
	size_t n;

	if (f->name[0] == '<' || strlen(f->name) >= sizeof(path))
		return NULL;
	debug_impl__strip_generics(f->name, path, sizeof(path));
	for (n = strlen(path); n > 2; n--) {
		if (path[n - 1] != ':' || path[n - 2] != ':')
			continue;
		snprintf(fn, sizeof(fn), "<%.*s%s as core::fmt::Debug>::fmt", (int)n, path, ident);
		if (dwarf_index__funcs_named(idx, fn, &impl, 1) < 1)
			continue;
		t = arena_alloc(idx, sizeof(*t));
		if (!t)
			return NULL;
		snprintf(fn, sizeof(fn), "%.*s%s", (int)n, path, ident);
		t->name = arena_strdup(idx, fn);
		t->debug_name = arena_strdup(idx, ident);
		if (!t->name || !t->debug_name)
			return NULL;
		t->kind = RK_STRUCT;
		t->sized = true;
		return t;
	}
	return NULL;
}

/* Bytes of `path` from line `line` on (at most MAX_SIG), NUL-terminated; NULL if unreadable. */
static char *read_from_line(const char *path, int line)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;
	int c, cur = 1;

	if (!f)
		return NULL;
	while (cur < line && (c = getc(f)) != EOF)
		if (c == '\n')
			cur++;
	buf = cur == line ? malloc(MAX_SIG + 1) : NULL;
	n = buf ? fread(buf, 1, MAX_SIG, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = 0;
	return buf;
}

struct rtype *dwarf_types__unit_return(struct dwarf_index *idx, const struct rfunc *f)
{
	char fname[256], ident[256] = "", *text;
	struct rtype *t;
	int r;

	if (!f->file || f->line <= 0 || !f->name || !last_segment(f->name, fname, sizeof(fname)))
		return NULL;
	text = read_from_line(f->file, f->line);
	if (!text)
		return NULL;
	r = sig_returns_unit(text, fname, ident, sizeof(ident));
	free(text);
	if (r == 0 && ident[0])
		return unit_struct(idx, f, ident);
	if (r != 1 || !(t = arena_alloc(idx, sizeof(*t))))
		return NULL;
	t->kind = RK_UNIT;
	t->name = t->debug_name = (char *)"()";
	t->sized = true;
	t->debug = RDBG_NONE;
	return t;
}
