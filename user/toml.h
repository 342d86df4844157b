/* SPDX-License-Identifier: MIT */
/*
 * A small TOML subset parser, for rstrace.toml / firedbg.toml. Errors are
 * negative errno; messages go to the caller's buffer as
 * "FILE:LINE:COL: message" (1-based, COL in bytes).
 */
#ifndef RSTRACE_TOML_H
#define RSTRACE_TOML_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * TOML subset: comments, bare/quoted/dotted keys, [tables], inline tables,
 * basic and literal one-line strings, 64-bit integers, booleans, arrays.
 * Floats, dates, multi-line strings and [[arrays of tables]] are rejected.
 */
struct toml_doc;
struct toml_val;

enum toml_type {
	TOML_TABLE = 1,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INT,
	TOML_BOOL,
};

int toml_parse(const char *text, size_t len, const char *filename, struct toml_doc **out, char *err,
	       size_t errlen);
void toml_free(struct toml_doc *doc);

/* Read-only view of the tree; every accessor tolerates NULL and wrong types. */
const struct toml_val *toml_root(const struct toml_doc *doc);
enum toml_type toml_type_of(const struct toml_val *v);
/* Member `key` of a table (one key, no dot splitting), or NULL. */
const struct toml_val *toml_get(const struct toml_val *table, const char *key);
/* Members of a table or elements of an array. */
int toml_len(const struct toml_val *v);
/* i-th array element, or i-th table member in file order with its key in *key. */
const struct toml_val *toml_at(const struct toml_val *v, int i, const char **key);
const char *toml_str(const struct toml_val *v); /* NULL unless a string */
int64_t toml_int(const struct toml_val *v);	/* 0 unless an integer */
bool toml_bool(const struct toml_val *v);	/* false unless a boolean */
/* Where the value starts in the file. */
void toml_pos(const struct toml_val *v, int *line, int *col);
/* Where the key naming the value starts (the value's own position if no key names it). */
void toml_key_pos(const struct toml_val *v, int *line, int *col);
/* "FILE:LINE:COL: KIND" and the formatted message into err (cut to errlen); returns 0. */
int toml_vmsg(char *err, size_t errlen, const char *file, int line, int col, const char *kind,
	      const char *fmt, va_list ap);

/* For messages about a document: "a table", "an integer", ... */
const char *toml_type_name(enum toml_type t);
/* A key or string for a message: short, one line, printable, cut between characters. */
void toml_render_str(char *buf, size_t sz, const char *s, size_t max);
/* Dotted path of key parts, quoting the parts a bare key could not spell. */
void toml_render_path(char *buf, size_t sz, const char *const *parts, int n);

#endif /* RSTRACE_TOML_H */
