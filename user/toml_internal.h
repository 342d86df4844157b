/* SPDX-License-Identifier: MIT */
/* What toml.c (the tree, the grammar) and toml_lex.c (tokens, positions, messages) share. */
#ifndef RSTRACE_TOML_INTERNAL_H
#define RSTRACE_TOML_INTERNAL_H

#include "toml.h"

/* Bounds tree depth (dotted keys). */
#define TOML_MAX_KEY_PARTS 32

struct toml_kv {
	char *key;
	struct toml_val *val;
};

struct toml_val {
	enum toml_type type;
	int line, col;	 /* where the value starts */
	int kline, kcol; /* the key that names it, for messages about the key */
	/* Tables only: how the table came to be, which decides who may extend it. */
	unsigned int header : 1; /* defined by a [header] */
	unsigned int dotted : 1; /* created or extended by a dotted key */
	unsigned int sealed : 1; /* inline table: complete as written */
	union {
		char *str;
		int64_t num;
		bool boolean;
		struct {
			struct toml_kv *kv;
			int n, cap;
		} tab;
		struct {
			struct toml_val **v;
			int n, cap;
		} arr;
	};
};

struct toml_doc {
	struct toml_val *root;
};

struct toml_parser {
	const char *s;
	size_t len, pos;
	int line;
	size_t bol; /* offset of the current line's first byte */
	const char *file;
	char *err;
	size_t errlen;
	int nest;
	struct toml_val *root, *cur;
	char cur_name[256]; /* the current [header], to name keys in full */
};

struct toml_key {
	int n;
	struct {
		char *s;
		int line, col;
	} part[TOML_MAX_KEY_PARTS];
};

static inline int lex_col(const struct toml_parser *p)
{
	return (int)(p->pos - p->bol) + 1;
}

/* The byte off bytes past the cursor, or -1 past the end. */
static inline int lex_peek(const struct toml_parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char)p->s[p->pos + off] : -1;
}

static inline bool lex_is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* "FILE:LINE:COL: message" into the parser's buffer; -EINVAL. */
int __attribute__((format(printf, 4, 5)))
lex_err(struct toml_parser *p, int line, int col, const char *fmt, ...);
#define lex_err_here(p, ...) lex_err(p, (p)->line, lex_col(p), __VA_ARGS__)
/* "out of memory" at the cursor; -ENOMEM. */
int lex_enomem(struct toml_parser *p);
/* What sits at the cursor, for "expected X, found Y". */
const char *lex_found(const struct toml_parser *p, char *buf, size_t sz);

void lex_skip_ws(struct toml_parser *p);
/* Consumes one newline (LF or CRLF) if there is one. */
bool lex_newline(struct toml_parser *p);
/* Skips a comment up to (not including) its newline. */
int lex_comment(struct toml_parser *p);
/* Whitespace, comments and newlines, as allowed between array elements. */
int lex_blank(struct toml_parser *p);
/* Whitespace and a comment, then a newline or the end of the text. */
int lex_end_of_line(struct toml_parser *p, const char *after);

/* One-line basic ("...") or literal ('...') string at the cursor. */
int lex_string(struct toml_parser *p, char **out);
/* key ( '.' key )*, whitespace allowed around the dots. */
int lex_key(struct toml_parser *p, struct toml_key *k);
void lex_key_free(struct toml_key *k);
/* An integer (decimal, 0x, 0o, 0b); floats and dates are named in the error. */
int lex_int(struct toml_parser *p, int64_t *out);
/* Positions are only meaningful in valid UTF-8, and TOML requires it anyway. */
int lex_check_utf8(struct toml_parser *p);

#endif /* RSTRACE_TOML_INTERNAL_H */
