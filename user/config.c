// SPDX-License-Identifier: MIT
/*
 * rstrace.toml / firedbg.toml. Debian ships no C TOML library, so this holds
 * a parser for the subset config files need, and the config model on top.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* Bounds recursion (arrays, inline tables) and tree depth (dotted keys). */
#define TOML_MAX_NEST 32
#define TOML_MAX_KEY_PARTS 32
/* Keeps line and column numbers within int. */
#define TOML_MAX_TEXT (256u << 20)
/* A config file is a few hundred bytes; anything this large is a mistake. */
#define CONFIG_MAX_FILE (1 << 20)

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

struct sbuf {
	char *b;
	size_t n, cap;
};

static int vmsg(char *err, size_t errlen, const char *file, int line, int col, const char *kind,
		const char *fmt, va_list ap)
{
	int n;

	if (!err || !errlen)
		return 0;
	n = snprintf(err, errlen, "%s:%d:%d: %s", file, line, col, kind);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
	return 0;
}

static int __attribute__((format(printf, 4, 5)))
perr(struct toml_parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(p->err, p->errlen, p->file, line, col, "", fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int col_here(const struct toml_parser *p)
{
	return (int)(p->pos - p->bol) + 1;
}

#define perr_here(p, ...) perr(p, (p)->line, col_here(p), __VA_ARGS__)

static int enomem(struct toml_parser *p)
{
	perr_here(p, "out of memory");
	return -ENOMEM;
}

static int peek(const struct toml_parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char)p->s[p->pos + off] : -1;
}

static bool is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static size_t utf8_seqlen(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return 1;
}

/* What sits at the cursor, for "expected X, found Y". */
static const char *found(const struct toml_parser *p, char *buf, size_t sz)
{
	int c = peek(p, 0);
	size_t n;

	if (c < 0)
		return "end of file";
	if (c == '\n' || (c == '\r' && peek(p, 1) == '\n'))
		return "end of line";
	if (c > 0x20 && c < 0x7f) {
		snprintf(buf, sz, "'%c'", c);
	} else if (c >= 0x80) {
		/* The text was validated as UTF-8, so the whole sequence is there. */
		n = utf8_seqlen(c);
		snprintf(buf, sz, "'%.*s'", (int)n, p->s + p->pos);
	} else {
		snprintf(buf, sz, "byte 0x%02x", c);
	}
	return buf;
}

static const char *type_name(enum toml_type t)
{
	switch (t) {
	case TOML_TABLE:
		return "a table";
	case TOML_ARRAY:
		return "an array";
	case TOML_STRING:
		return "a string";
	case TOML_INT:
		return "an integer";
	case TOML_BOOL:
		return "a boolean";
	}
	return "a value";
}

/* A key or string for a message: short, one line, printable, cut between characters. */
static void render_str(char *buf, size_t sz, const char *s, size_t max)
{
	size_t o = 0, i;

	for (i = 0; s[i]; i++) {
		unsigned char c = s[i];

		if ((c & 0xc0) != 0x80 && (i >= max || o + 12 >= sz)) {
			o += snprintf(buf + o, sz - o, "...");
			break;
		}
		if (c == '"' || c == '\\')
			o += snprintf(buf + o, sz - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += snprintf(buf + o, sz - o, "\\u%04X", c);
		else
			buf[o++] = c;
	}
	buf[o] = 0;
}

/* Dotted path of key parts, quoting the parts a bare key could not spell. */
static void render_path(char *buf, size_t sz, const char *const *parts, int n)
{
	char tmp[128];
	size_t o = 0;
	const char *q;
	int i;

	buf[0] = 0;
	for (i = 0; i < n && o < sz; i++) {
		bool bare = parts[i][0] != 0;

		for (q = parts[i]; *q; q++)
			bare = bare && is_bare((unsigned char)*q);
		render_str(tmp, sizeof(tmp), parts[i], 48);
		o += snprintf(buf + o, sz - o, bare ? "%s%s" : "%s'%s'", i ? "." : "", tmp);
	}
}

static void render_key(char *buf, size_t sz, const struct toml_key *k, int n)
{
	const char *parts[TOML_MAX_KEY_PARTS];
	int i;

	for (i = 0; i < n; i++)
		parts[i] = k->part[i].s;
	render_path(buf, sz, parts, n);
}

/* First n parts of k, prefixed with the [header] when k is a key of that table. */
static void render_full(const struct toml_parser *p, const struct toml_val *tab, char *buf,
			size_t sz, const struct toml_key *k, int n)
{
	const char *pre = tab == p->cur ? p->cur_name : "";
	size_t o;

	o = snprintf(buf, sz, "%s%s", pre, pre[0] ? "." : "");
	if (o < sz)
		render_key(buf + o, sz - o, k, n);
}

static void key_free(struct toml_key *k)
{
	int i;

	for (i = 0; i < k->n; i++)
		free(k->part[i].s);
	k->n = 0;
}

static int sb_put(struct sbuf *sb, const char *d, size_t n)
{
	char *nb;
	size_t cap;

	if (sb->n + n + 1 > sb->cap) {
		cap = sb->cap ? sb->cap * 2 : 32;
		while (cap < sb->n + n + 1)
			cap *= 2;
		nb = realloc(sb->b, cap);
		if (!nb)
			return -ENOMEM;
		sb->b = nb;
		sb->cap = cap;
	}
	memcpy(sb->b + sb->n, d, n);
	sb->n += n;
	sb->b[sb->n] = 0;
	return 0;
}

static void val_free(struct toml_val *v)
{
	int i;

	if (!v)
		return;
	switch (v->type) {
	case TOML_STRING:
		free(v->str);
		break;
	case TOML_TABLE:
		for (i = 0; i < v->tab.n; i++) {
			free(v->tab.kv[i].key);
			val_free(v->tab.kv[i].val);
		}
		free(v->tab.kv);
		break;
	case TOML_ARRAY:
		for (i = 0; i < v->arr.n; i++)
			val_free(v->arr.v[i]);
		free(v->arr.v);
		break;
	default:
		break;
	}
	free(v);
}

static struct toml_val *val_new(enum toml_type type, int line, int col)
{
	struct toml_val *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->type = type;
	v->line = v->kline = line;
	v->col = v->kcol = col;
	return v;
}

static struct toml_val *tab_get(const struct toml_val *t, const char *key)
{
	int i;

	for (i = 0; i < t->tab.n; i++)
		if (strcmp(t->tab.kv[i].key, key) == 0)
			return t->tab.kv[i].val;
	return NULL;
}

/* Takes ownership of key and v only on success. */
static int tab_add(struct toml_val *t, char *key, struct toml_val *v)
{
	struct toml_kv *kv;
	int cap;

	if (t->tab.n == t->tab.cap) {
		cap = t->tab.cap ? t->tab.cap * 2 : 4;
		kv = realloc(t->tab.kv, cap * sizeof(*kv));
		if (!kv)
			return -ENOMEM;
		t->tab.kv = kv;
		t->tab.cap = cap;
	}
	t->tab.kv[t->tab.n].key = key;
	t->tab.kv[t->tab.n].val = v;
	t->tab.n++;
	return 0;
}

static int arr_add(struct toml_val *a, struct toml_val *v)
{
	struct toml_val **nv;
	int cap;

	if (a->arr.n == a->arr.cap) {
		cap = a->arr.cap ? a->arr.cap * 2 : 4;
		nv = realloc(a->arr.v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		a->arr.v = nv;
		a->arr.cap = cap;
	}
	a->arr.v[a->arr.n++] = v;
	return 0;
}

/* Create table `key` in t; on failure nothing is left behind. */
static int tab_new_child(struct toml_parser *p, struct toml_val *t, const char *key, int line,
			 int col, struct toml_val **out)
{
	struct toml_val *c = val_new(TOML_TABLE, line, col);
	char *k = strdup(key);

	if (!c || !k || tab_add(t, k, c)) {
		free(c);
		free(k);
		return enomem(p);
	}
	*out = c;
	return 0;
}

/* An inline table is complete as written: nothing may add to it or its subtables. */
static void seal(struct toml_val *t)
{
	int i;

	t->sealed = 1;
	for (i = 0; i < t->tab.n; i++)
		if (t->tab.kv[i].val->type == TOML_TABLE)
			seal(t->tab.kv[i].val);
}

static void skip_ws(struct toml_parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

static bool eat_newline(struct toml_parser *p)
{
	if (peek(p, 0) == '\n')
		p->pos += 1;
	else if (peek(p, 0) == '\r' && peek(p, 1) == '\n')
		p->pos += 2;
	else
		return false;
	p->line++;
	p->bol = p->pos;
	return true;
}

/* Skips a comment up to (not including) its newline. */
static int skip_comment(struct toml_parser *p)
{
	int c;

	if (peek(p, 0) != '#')
		return 0;
	while ((c = peek(p, 0)) >= 0 && c != '\n') {
		if (c == '\r' && peek(p, 1) == '\n')
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return perr_here(p, "control character U+%04X is not allowed in a comment",
					 c);
		p->pos++;
	}
	return 0;
}

/* Whitespace, comments and newlines, as allowed between array elements. */
static int skip_blank(struct toml_parser *p)
{
	int err;

	for (;;) {
		skip_ws(p);
		err = skip_comment(p);
		if (err)
			return err;
		if (!eat_newline(p))
			return 0;
	}
}

static int end_of_line(struct toml_parser *p, const char *after)
{
	char fb[16];
	int err;

	skip_ws(p);
	err = skip_comment(p);
	if (err)
		return err;
	if (peek(p, 0) < 0 || eat_newline(p))
		return 0;
	return perr_here(p, "expected end of line after %s, found %s", after,
			 found(p, fb, sizeof(fb)));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | (cp >> 18);
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

static int unicode_escape(struct toml_parser *p, struct sbuf *sb)
{
	int line = p->line, col = col_here(p);
	int kind = peek(p, 1), ndig = kind == 'u' ? 4 : 8, i, d;
	uint32_t cp = 0;
	char enc[4];

	for (i = 0; i < ndig; i++) {
		d = hexval(peek(p, 2 + i));
		if (d < 0)
			return perr(p, line, col, "expected %d hex digits after '\\%c'", ndig,
				    kind);
		cp = cp * 16 + d;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return perr(p, line, col,
			    "invalid escape '\\%c%.*s': surrogates are not Unicode scalar values",
			    kind, ndig, p->s + p->pos + 2);
	if (cp > 0x10ffff)
		return perr(p, line, col, "invalid escape '\\%c%.*s': beyond U+10FFFF", kind, ndig,
			    p->s + p->pos + 2);
	/* Every string ends up as a C string; a NUL inside would silently cut it. */
	if (cp == 0)
		return perr(p, line, col,
			    "NUL characters in strings are not supported by rstrace's TOML subset");
	p->pos += 2 + ndig;
	return sb_put(sb, enc, utf8_encode(cp, enc)) ? enomem(p) : 0;
}

static int escape(struct toml_parser *p, struct sbuf *sb)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	int c = peek(p, 1);
	const char *e;

	if (c == 'u' || c == 'U')
		return unicode_escape(p, sb);
	e = c > 0 ? strchr(from, c) : NULL;
	if (!e) {
		if (c > 0x20 && c < 0x7f)
			return perr_here(p, "invalid escape sequence '\\%c'", c);
		return perr_here(p, "expected an escape sequence after '\\'");
	}
	p->pos += 2;
	return sb_put(sb, &to[e - from], 1) ? enomem(p) : 0;
}

/* One-line basic ("...") or literal ('...') string at the cursor. */
static int parse_string(struct toml_parser *p, char **out)
{
	int q = peek(p, 0), c, err;
	struct sbuf sb = {0};

	if (peek(p, 1) == q && peek(p, 2) == q)
		return perr_here(p,
				 "multi-line strings are not supported by rstrace's TOML subset");
	p->pos++;
	if (sb_put(&sb, "", 0))
		return enomem(p);
	for (;;) {
		c = peek(p, 0);
		if (c < 0 || c == '\n' || (c == '\r' && peek(p, 1) == '\n')) {
			err = perr_here(p, "unterminated string: expected closing %c before %s", q,
					c < 0 ? "end of file" : "end of line");
			goto cleanup;
		}
		if (c == q) {
			p->pos++;
			break;
		}
		if (c == '\\' && q == '"') {
			err = escape(p, &sb);
			if (err)
				goto cleanup;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			err =
			    perr_here(p, "control character U+%04X must be escaped in a string", c);
			goto cleanup;
		}
		if (sb_put(&sb, p->s + p->pos, 1)) {
			err = enomem(p);
			goto cleanup;
		}
		p->pos++;
	}
	*out = sb.b;
	return 0;
cleanup:
	free(sb.b);
	return err;
}

static int parse_simple_key(struct toml_parser *p, char **out)
{
	size_t start = p->pos;
	char fb[16];
	int c = peek(p, 0);

	if (c == '"' || c == '\'')
		return parse_string(p, out);
	while (is_bare(peek(p, 0)))
		p->pos++;
	if (p->pos == start)
		return perr_here(p, "expected a key, found %s", found(p, fb, sizeof(fb)));
	*out = strndup(p->s + start, p->pos - start);
	return *out ? 0 : enomem(p);
}

/* key ( '.' key )*, whitespace allowed around the dots. */
static int parse_key(struct toml_parser *p, struct toml_key *k)
{
	size_t save;
	int err;

	k->n = 0;
	for (;;) {
		skip_ws(p);
		if (k->n == TOML_MAX_KEY_PARTS)
			return perr_here(p, "key has more than %d dotted parts",
					 TOML_MAX_KEY_PARTS);
		k->part[k->n].line = p->line;
		k->part[k->n].col = col_here(p);
		err = parse_simple_key(p, &k->part[k->n].s);
		if (err)
			return err;
		k->n++;
		save = p->pos;
		skip_ws(p);
		if (peek(p, 0) != '.') {
			p->pos = save;
			return 0;
		}
		p->pos++;
	}
}

/* Digits of `base` with '_' only between digits; accumulates into *acc. */
static int parse_digits(struct toml_parser *p, int base, uint64_t *acc, bool *overflow, int *ndig)
{
	bool last_us = false;
	int c, d;

	*acc = 0;
	*ndig = 0;
	*overflow = false;
	for (;;) {
		c = peek(p, 0);
		if (c == '_') {
			if (!*ndig || last_us)
				return perr_here(p, "'_' in an integer must be between two digits");
			last_us = true;
			p->pos++;
			continue;
		}
		d = hexval(c);
		if (d < 0 || d >= base)
			break;
		if (*acc > (UINT64_MAX - d) / base)
			*overflow = true;
		*acc = *acc * base + d;
		(*ndig)++;
		last_us = false;
		p->pos++;
	}
	if (last_us) {
		p->pos--;
		return perr_here(p, "'_' in an integer must be between two digits");
	}
	return 0;
}

static bool word_at(const struct toml_parser *p, size_t off, const char *w)
{
	size_t n = strlen(w);

	return p->pos + off + n <= p->len && memcmp(p->s + p->pos + off, w, n) == 0 &&
	       !is_bare(peek(p, off + n));
}

static int parse_number(struct toml_parser *p, struct toml_val **out)
{
	static const char *const base_name[17] = {
	    [2] = "a binary", [8] = "an octal", [10] = "a decimal", [16] = "a hexadecimal"};
	int line = p->line, col = col_here(p), sign = 0, base = 10, ndig, c, err;
	size_t first;
	uint64_t acc;
	bool overflow;
	char fb[16];
	int64_t val;

	c = peek(p, 0);
	if (c == '+' || c == '-') {
		sign = c;
		p->pos++;
	}
	if (word_at(p, 0, "inf") || word_at(p, 0, "nan"))
		return perr(p, line, col, "floats are not supported by rstrace's TOML subset");
	if (peek(p, 0) == '0' && (peek(p, 1) == 'x' || peek(p, 1) == 'o' || peek(p, 1) == 'b')) {
		base = peek(p, 1) == 'x' ? 16 : peek(p, 1) == 'o' ? 8 : 2;
		if (sign)
			return perr(p, line, col, "a sign is not allowed on %s integer",
				    base_name[base]);
		p->pos += 2;
	}
	first = p->pos;
	err = parse_digits(p, base, &acc, &overflow, &ndig);
	if (err)
		return err;
	c = peek(p, 0);
	if (base == 10 && ndig && (c == '.' || c == 'e' || c == 'E'))
		return perr(p, line, col, "floats are not supported by rstrace's TOML subset");
	if (base == 10 && !sign && ((ndig == 4 && c == '-') || (ndig == 2 && c == ':')))
		return perr(p, line, col,
			    "dates and times are not supported by rstrace's TOML subset");
	if (!ndig) {
		if (base != 10)
			return perr_here(p, "expected %s digit after '0%c', found %s",
					 base_name[base], p->s[p->pos - 1],
					 found(p, fb, sizeof(fb)));
		return perr_here(p, "expected a digit after '%c', found %s", sign,
				 found(p, fb, sizeof(fb)));
	}
	if (is_bare(c))
		return perr_here(p, "invalid character %s in %s integer", found(p, fb, sizeof(fb)),
				 base_name[base]);
	if (base == 10 && ndig > 1 && p->s[first] == '0')
		return perr(p, line, col, "leading zeros are not allowed in an integer");
	if (overflow || acc > (sign == '-' ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
		return perr(p, line, col, "integer does not fit in 64 bits (signed)");
	if (sign == '-')
		val = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	else
		val = (int64_t)acc;
	*out = val_new(TOML_INT, line, col);
	if (!*out)
		return enomem(p);
	(*out)->num = val;
	return 0;
}

static int parse_value(struct toml_parser *p, struct toml_val **out);
static int parse_keyval(struct toml_parser *p, struct toml_val *tab);

static int unclosed_array(struct toml_parser *p, int line, int col)
{
	return perr_here(p, "expected ']' to close the array opened at %d:%d, found end of file",
			 line, col);
}

static int parse_array(struct toml_parser *p, struct toml_val **out)
{
	int line = p->line, col = col_here(p), err;
	struct toml_val *a, *v;
	char fb[16];

	a = val_new(TOML_ARRAY, line, col);
	if (!a)
		return enomem(p);
	p->pos++;
	for (;;) {
		err = skip_blank(p);
		if (err)
			goto cleanup;
		if (peek(p, 0) == ']')
			break;
		if (peek(p, 0) < 0) {
			err = unclosed_array(p, line, col);
			goto cleanup;
		}
		err = parse_value(p, &v);
		if (err)
			goto cleanup;
		if (arr_add(a, v)) {
			val_free(v);
			err = enomem(p);
			goto cleanup;
		}
		err = skip_blank(p);
		if (err)
			goto cleanup;
		if (peek(p, 0) == ']')
			break;
		if (peek(p, 0) < 0) {
			err = unclosed_array(p, line, col);
			goto cleanup;
		}
		if (peek(p, 0) != ',') {
			err = perr_here(p, "expected ',' or ']' after an array element, found %s",
					found(p, fb, sizeof(fb)));
			goto cleanup;
		}
		p->pos++;
	}
	p->pos++;
	*out = a;
	return 0;
cleanup:
	val_free(a);
	return err;
}

/* TOML 1.0 inline tables: one line, no trailing comma. */
static int parse_inline_table(struct toml_parser *p, struct toml_val **out)
{
	struct toml_val *t;
	char fb[16];
	int err;

	t = val_new(TOML_TABLE, p->line, col_here(p));
	if (!t)
		return enomem(p);
	p->pos++;
	skip_ws(p);
	if (peek(p, 0) != '}') {
		for (;;) {
			err = parse_keyval(p, t);
			if (err)
				goto cleanup;
			skip_ws(p);
			if (peek(p, 0) == '}')
				break;
			if (peek(p, 0) != ',') {
				err =
				    perr_here(p, "expected ',' or '}' in an inline table, found %s",
					      found(p, fb, sizeof(fb)));
				goto cleanup;
			}
			p->pos++;
			skip_ws(p);
			if (peek(p, 0) == '}') {
				err = perr_here(p,
						"trailing comma is not allowed in an inline table");
				goto cleanup;
			}
		}
	}
	p->pos++;
	seal(t);
	*out = t;
	return 0;
cleanup:
	val_free(t);
	return err;
}

static int parse_value(struct toml_parser *p, struct toml_val **out)
{
	int line = p->line, col = col_here(p), c = peek(p, 0), err;
	size_t start = p->pos;
	char fb[16];

	*out = NULL;
	if (c == '"' || c == '\'') {
		char *s;

		err = parse_string(p, &s);
		if (err)
			return err;
		*out = val_new(TOML_STRING, line, col);
		if (!*out) {
			free(s);
			return enomem(p);
		}
		(*out)->str = s;
		return 0;
	}
	if ((c >= '0' && c <= '9') || c == '+' || c == '-')
		return parse_number(p, out);
	if (c == '[' || c == '{') {
		if (p->nest >= TOML_MAX_NEST)
			return perr_here(p, "arrays and inline tables nest deeper than %d",
					 TOML_MAX_NEST);
		p->nest++;
		err = c == '[' ? parse_array(p, out) : parse_inline_table(p, out);
		p->nest--;
		return err;
	}
	if (!is_bare(c))
		return perr_here(p, "expected a value, found %s", found(p, fb, sizeof(fb)));
	while (is_bare(peek(p, 0)))
		p->pos++;
	if (p->pos - start == 3 &&
	    (!memcmp(p->s + start, "inf", 3) || !memcmp(p->s + start, "nan", 3)))
		return perr(p, line, col, "floats are not supported by rstrace's TOML subset");
	if ((p->pos - start == 4 && !memcmp(p->s + start, "true", 4)) ||
	    (p->pos - start == 5 && !memcmp(p->s + start, "false", 5))) {
		*out = val_new(TOML_BOOL, line, col);
		if (!*out)
			return enomem(p);
		(*out)->boolean = p->pos - start == 4;
		return 0;
	}
	return perr(p, line, col, "expected a value, found '%.*s' (strings need quotes)",
		    (int)(p->pos - start > 32 ? 32 : p->pos - start), p->s + start);
}

/* key = value into tab, creating the tables a dotted key walks through. */
static int parse_keyval(struct toml_parser *p, struct toml_val *tab)
{
	struct toml_val *t = tab, *child, *v = NULL;
	struct toml_key k;
	char name[256];
	int err, i, last;

	err = parse_key(p, &k);
	if (err)
		goto cleanup;
	last = k.n - 1;
	skip_ws(p);
	if (peek(p, 0) != '=') {
		render_key(name, sizeof(name), &k, k.n);
		err = perr_here(p, "expected '=' after key \"%s\"", name);
		goto cleanup;
	}
	p->pos++;
	skip_ws(p);
	/* Resolve the key before the value, so conflicts point at the key. */
	for (i = 0; i < last; i++) {
		child = tab_get(t, k.part[i].s);
		render_full(p, tab, name, sizeof(name), &k, i + 1);
		if (!child) {
			err =
			    tab_new_child(p, t, k.part[i].s, k.part[i].line, k.part[i].col, &child);
			if (err)
				goto cleanup;
		} else if (child->type != TOML_TABLE) {
			err = perr(p, k.part[i].line, k.part[i].col,
				   "key \"%s\" is already defined as %s", name,
				   type_name(child->type));
			goto cleanup;
		} else if (child->sealed) {
			err = perr(p, k.part[i].line, k.part[i].col,
				   "cannot add keys to inline table \"%s\"", name);
			goto cleanup;
		} else if (child->header) {
			err = perr(
			    p, k.part[i].line, k.part[i].col,
			    "table \"%s\" is defined by a [header]; dotted keys cannot add to it",
			    name);
			goto cleanup;
		}
		child->dotted = 1;
		t = child;
	}
	if (tab_get(t, k.part[last].s)) {
		render_full(p, tab, name, sizeof(name), &k, k.n);
		err = perr(p, k.part[last].line, k.part[last].col, "duplicate key \"%s\"", name);
		goto cleanup;
	}
	err = parse_value(p, &v);
	if (err)
		goto cleanup;
	v->kline = k.part[last].line;
	v->kcol = k.part[last].col;
	if (tab_add(t, k.part[last].s, v)) {
		err = enomem(p);
		goto cleanup;
	}
	k.part[last].s = NULL;
	v = NULL;
cleanup:
	val_free(v);
	key_free(&k);
	return err;
}

static int parse_header(struct toml_parser *p)
{
	int line = p->line, col = col_here(p), err, i, last;
	struct toml_val *t = p->root, *child;
	struct toml_key k = {0};
	char name[256], fb[16];

	if (peek(p, 1) == '[')
		return perr_here(
		    p, "arrays of tables ([[...]]) are not supported by rstrace's TOML subset");
	p->pos++;
	err = parse_key(p, &k);
	if (err)
		goto cleanup;
	last = k.n - 1;
	skip_ws(p);
	if (peek(p, 0) != ']') {
		err = perr_here(p, "expected ']' to close the table header, found %s",
				found(p, fb, sizeof(fb)));
		goto cleanup;
	}
	p->pos++;
	for (i = 0; i < k.n; i++) {
		child = tab_get(t, k.part[i].s);
		render_key(name, sizeof(name), &k, i + 1);
		if (!child) {
			err =
			    tab_new_child(p, t, k.part[i].s, k.part[i].line, k.part[i].col, &child);
			if (err)
				goto cleanup;
		} else if (child->type != TOML_TABLE) {
			err = perr(p, k.part[i].line, k.part[i].col,
				   "key \"%s\" is already defined as %s", name,
				   type_name(child->type));
			goto cleanup;
		} else if (child->sealed) {
			err = perr(p, k.part[i].line, k.part[i].col,
				   "cannot add keys to inline table \"%s\"", name);
			goto cleanup;
		} else if (i == last && (child->header || child->dotted)) {
			err = perr(p, line, col, "table \"%s\" is already defined", name);
			goto cleanup;
		}
		t = child;
	}
	/* Tables created on the way stay implicit: a later [header] may still define them. */
	t->header = 1;
	t->line = line;
	t->col = col;
	p->cur = t;
	render_key(p->cur_name, sizeof(p->cur_name), &k, k.n);
cleanup:
	key_free(&k);
	return err;
}

/* Positions are only meaningful in valid UTF-8, and TOML requires it anyway. */
static int check_utf8(struct toml_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t i = 0, n, j;
	uint32_t cp;

	while (i < p->len) {
		if (s[i] == '\n') {
			p->line++;
			p->bol = i + 1;
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_seqlen(s[i]);
		cp = n == 2 ? s[i] & 0x1f : n == 3 ? s[i] & 0x0f : s[i] & 0x07;
		for (j = 1; j < n && i + j < p->len && (s[i + j] & 0xc0) == 0x80; j++)
			cp = cp << 6 | (s[i + j] & 0x3f);
		if (n == 1 || j < n || (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return perr(p, p->line, (int)(i - p->bol) + 1, "invalid UTF-8");
		i += n;
	}
	p->line = 1;
	p->bol = 0;
	return 0;
}

int toml_parse(const char *text, size_t len, const char *filename, struct toml_doc **out, char *err,
	       size_t errlen)
{
	struct toml_parser p = {
	    .s = text,
	    .len = len,
	    .line = 1,
	    .file = filename ? filename : "<toml>",
	    .err = err,
	    .errlen = errlen,
	};
	struct toml_doc *doc = NULL;
	int ret;

	if (err && errlen)
		err[0] = 0;
	if (!out || (!text && len))
		return -EINVAL;
	*out = NULL;
	if (len > TOML_MAX_TEXT) {
		perr(&p, 1, 1, "file too large");
		return -EFBIG;
	}
	doc = calloc(1, sizeof(*doc));
	if (doc)
		doc->root = val_new(TOML_TABLE, 1, 1);
	if (!doc || !doc->root) {
		ret = enomem(&p);
		goto cleanup;
	}
	p.root = p.cur = doc->root;
	ret = check_utf8(&p);
	if (ret)
		goto cleanup;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		p.pos = 3;
	for (;;) {
		skip_ws(&p);
		ret = skip_comment(&p);
		if (ret)
			goto cleanup;
		if (peek(&p, 0) < 0)
			break;
		if (eat_newline(&p))
			continue;
		if (peek(&p, 0) == '[') {
			ret = parse_header(&p);
			if (!ret)
				ret = end_of_line(&p, "a table header");
		} else {
			ret = parse_keyval(&p, p.cur);
			if (!ret)
				ret = end_of_line(&p, "a value");
		}
		if (ret)
			goto cleanup;
	}
	*out = doc;
	return 0;
cleanup:
	toml_free(doc);
	return ret;
}

void toml_free(struct toml_doc *doc)
{
	if (!doc)
		return;
	val_free(doc->root);
	free(doc);
}

const struct toml_val *toml_root(const struct toml_doc *doc)
{
	return doc ? doc->root : NULL;
}

enum toml_type toml_type_of(const struct toml_val *v)
{
	return v ? v->type : 0;
}

const struct toml_val *toml_get(const struct toml_val *table, const char *key)
{
	return table && key && table->type == TOML_TABLE ? tab_get(table, key) : NULL;
}

int toml_len(const struct toml_val *v)
{
	if (!v)
		return 0;
	if (v->type == TOML_TABLE)
		return v->tab.n;
	if (v->type == TOML_ARRAY)
		return v->arr.n;
	return 0;
}

const struct toml_val *toml_at(const struct toml_val *v, int i, const char **key)
{
	if (key)
		*key = NULL;
	if (!v || i < 0 || i >= toml_len(v))
		return NULL;
	if (v->type == TOML_ARRAY)
		return v->arr.v[i];
	if (key)
		*key = v->tab.kv[i].key;
	return v->tab.kv[i].val;
}

const char *toml_str(const struct toml_val *v)
{
	return v && v->type == TOML_STRING ? v->str : NULL;
}

int64_t toml_int(const struct toml_val *v)
{
	return v && v->type == TOML_INT ? v->num : 0;
}

bool toml_bool(const struct toml_val *v)
{
	return v && v->type == TOML_BOOL ? v->boolean : false;
}

void toml_pos(const struct toml_val *v, int *line, int *col)
{
	if (line)
		*line = v ? v->line : 0;
	if (col)
		*col = v ? v->col : 0;
}

/* ---- config model ---- */

enum { LIST_INCLUDE, LIST_EXCLUDE, LIST_REDACT, NLISTS };

static const char *const list_key[NLISTS] = {"include", "exclude", "redact"};

/* What the file sets; committed to the config only once all of it is valid. */
struct loader {
	struct config *cfg;
	const char *file;
	char *err;
	size_t errlen;
	struct config_crate *crates;
	int ncrates;
	char **list[NLISTS];
	int nlist[NLISTS];
	bool set[NLISTS];
	int max_array_size, max_string_bytes, max_depth, max_calls_per_sec;
};

static int __attribute__((format(printf, 3, 4)))
lerr(struct loader *l, const struct toml_val *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(l->err, l->errlen, l->file, at->line, at->col, "", fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Like lerr, at the key naming `at` rather than its value. */
static int __attribute__((format(printf, 3, 4)))
lerr_key(struct loader *l, const struct toml_val *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(l->err, l->errlen, l->file, at->kline, at->kcol, "", fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void __attribute__((format(printf, 3, 4)))
lwarn(struct loader *l, const struct toml_val *at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vmsg(msg, sizeof(msg), l->file, at->kline, at->kcol, "warning: ", fmt, ap);
	va_end(ap);
	if (l->cfg->warn)
		l->cfg->warn(l->cfg->warn_ctx, msg);
	else
		fprintf(stderr, "%s\n", msg);
}

/* Returns 0 so callers can treat it as the outcome of loading that key. */
static int warn_unknown(struct loader *l, const struct toml_val *at, const char *const *parts,
			int n)
{
	char name[256];

	render_path(name, sizeof(name), parts, n);
	lwarn(l, at, "unknown key \"%s\" ignored", name);
	return 0;
}

static int load_int(struct loader *l, const struct toml_val *v, const char *key, int lo, int hi,
		    int *out)
{
	if (v->type != TOML_INT)
		return lerr(l, v, "trace.%s must be an integer, found %s", key, type_name(v->type));
	if (v->num < lo || v->num > hi)
		return lerr(l, v, "trace.%s must be between %d and %d, found %lld", key, lo, hi,
			    (long long)v->num);
	*out = (int)v->num;
	return 0;
}

static int load_list(struct loader *l, const struct toml_val *v, int which)
{
	char **list;
	int i;

	if (v->type != TOML_ARRAY)
		return lerr(l, v, "trace.%s must be an array of strings, found %s", list_key[which],
			    type_name(v->type));
	for (i = 0; i < v->arr.n; i++) {
		if (v->arr.v[i]->type != TOML_STRING)
			return lerr(l, v->arr.v[i], "trace.%s[%d] must be a string, found %s",
				    list_key[which], i, type_name(v->arr.v[i]->type));
		if (!v->arr.v[i]->str[0])
			return lerr(l, v->arr.v[i], "trace.%s[%d] must not be empty",
				    list_key[which], i);
	}
	list = calloc(v->arr.n + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	l->list[which] = list;
	l->set[which] = true;
	for (i = 0; i < v->arr.n; i++) {
		list[i] = strdup(v->arr.v[i]->str);
		if (!list[i])
			return -ENOMEM;
		l->nlist[which]++;
	}
	return 0;
}

static int load_trace(struct loader *l, const struct toml_val *t)
{
	const char *key;
	const struct toml_val *v;
	int i, j, err;

	if (t->type != TOML_TABLE)
		return lerr(l, t, "trace must be a table, found %s", type_name(t->type));
	for (i = 0; i < t->tab.n; i++) {
		key = t->tab.kv[i].key;
		v = t->tab.kv[i].val;
		for (j = 0; j < NLISTS; j++)
			if (!strcmp(key, list_key[j]))
				break;
		if (j < NLISTS)
			err = load_list(l, v, j);
		else if (!strcmp(key, "max_array_size"))
			err = load_int(l, v, key, 1, 65536, &l->max_array_size);
		else if (!strcmp(key, "max_string_bytes"))
			err = load_int(l, v, key, 1, 1 << 20, &l->max_string_bytes);
		else if (!strcmp(key, "max_depth"))
			err = load_int(l, v, key, 0, 16, &l->max_depth);
		else if (!strcmp(key, "max_calls_per_sec"))
			err = load_int(l, v, key, 0, 1000000000, &l->max_calls_per_sec);
		else
			err = warn_unknown(l, v, (const char *const[]){"trace", key}, 2);
		if (err)
			return err;
	}
	return 0;
}

static char *crate_name(const char *pkg)
{
	char *s = strdup(pkg), *q;

	for (q = s; q && *q; q++)
		if (*q == '-')
			*q = '_';
	return s;
}

static int load_member(struct loader *l, const char *pkg, const struct toml_val *m)
{
	enum trace_mode mode = TRACE_DEFAULT;
	const char *key, *mstr;
	const struct toml_val *v;
	struct config_crate *nc;
	char path[256], sval[96];
	char *name;
	int i;

	render_path(path, sizeof(path), (const char *const[]){"workspace", "members", pkg}, 3);
	if (!pkg[0])
		return lerr_key(l, m, "workspace member names must not be empty");
	if (m->type != TOML_TABLE)
		return lerr(l, m, "%s must be a table like { trace = \"full\" }, found %s", path,
			    type_name(m->type));
	for (i = 0; i < m->tab.n; i++) {
		key = m->tab.kv[i].key;
		v = m->tab.kv[i].val;
		if (strcmp(key, "trace")) {
			warn_unknown(l, v, (const char *const[]){"workspace", "members", pkg, key},
				     4);
			continue;
		}
		if (v->type != TOML_STRING)
			return lerr(l, v, "%s.trace must be a string, found %s", path,
				    type_name(v->type));
		mstr = v->str;
		/* rstrace always records return values, so call-only degrades to full. */
		if (!strcmp(mstr, "full") || !strcmp(mstr, "call-only")) {
			mode = TRACE_FULL;
		} else if (!strcmp(mstr, "none")) {
			mode = TRACE_NONE;
		} else {
			render_str(sval, sizeof(sval), mstr, 48);
			return lerr(
			    l, v,
			    "%s.trace must be \"full\", \"none\" or \"call-only\", found \"%s\"",
			    path, sval);
		}
	}
	name = crate_name(pkg);
	if (!name)
		return -ENOMEM;
	for (i = 0; i < l->ncrates; i++) {
		if (!strcmp(l->crates[i].name, name)) {
			free(name);
			return lerr_key(l, m,
					"%s names the same crate as an earlier member ('-' and '_' "
					"are alike in crate names)",
					path);
		}
	}
	nc = realloc(l->crates, (l->ncrates + 1) * sizeof(*nc));
	if (!nc) {
		free(name);
		return -ENOMEM;
	}
	l->crates = nc;
	nc[l->ncrates].name = name;
	nc[l->ncrates].mode = mode;
	l->ncrates++;
	return 0;
}

static int load_workspace(struct loader *l, const struct toml_val *w)
{
	const struct toml_val *v;
	const char *key;
	int i, j, err;

	if (w->type != TOML_TABLE)
		return lerr(l, w, "workspace must be a table, found %s", type_name(w->type));
	for (i = 0; i < w->tab.n; i++) {
		key = w->tab.kv[i].key;
		v = w->tab.kv[i].val;
		if (strcmp(key, "members")) {
			warn_unknown(l, v, (const char *const[]){"workspace", key}, 2);
			continue;
		}
		if (v->type == TOML_ARRAY) {
			/* Cargo's members = ["path", ...] lists paths, not what to trace. */
			lwarn(l, v,
			      "workspace.members as an array (Cargo style) is ignored; use "
			      "[workspace.members] with name = { trace = \"full\" }");
			continue;
		}
		if (v->type != TOML_TABLE)
			return lerr(l, v, "workspace.members must be a table, found %s",
				    type_name(v->type));
		for (j = 0; j < v->tab.n; j++) {
			err = load_member(l, v->tab.kv[j].key, v->tab.kv[j].val);
			if (err)
				return err;
		}
	}
	return 0;
}

static int load_root(struct loader *l, const struct toml_val *root)
{
	const struct toml_val *v;
	const char *key;
	int i, err;

	for (i = 0; i < root->tab.n; i++) {
		key = root->tab.kv[i].key;
		v = root->tab.kv[i].val;
		if (!strcmp(key, "workspace"))
			err = load_workspace(l, v);
		else if (!strcmp(key, "trace"))
			err = load_trace(l, v);
		else
			err = warn_unknown(l, v, &key, 1);
		if (err)
			return err;
	}
	return 0;
}

static void free_list(char **list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void free_crates(struct config_crate *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

void config__init_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_array_size = 32;
	cfg->max_string_bytes = 256;
	cfg->max_depth = 4;
	cfg->max_calls_per_sec = CONFIG_DEFAULT_MAX_CALLS_PER_SEC;
}

int config__load_text(struct config *cfg, const char *text, size_t len, const char *name, char *err,
		      size_t errlen)
{
	struct loader l = {
	    .cfg = cfg,
	    .file = name ? name : "<config>",
	    .err = err,
	    .errlen = errlen,
	    .max_array_size = cfg->max_array_size,
	    .max_string_bytes = cfg->max_string_bytes,
	    .max_depth = cfg->max_depth,
	    .max_calls_per_sec = cfg->max_calls_per_sec,
	};
	struct toml_doc *doc = NULL;
	struct config_crate *crates;
	char ***lists[NLISTS] = {&cfg->include, &cfg->exclude, &cfg->redact};
	int *nlists[NLISTS] = {&cfg->ninclude, &cfg->nexclude, &cfg->nredact};
	char *path = NULL;
	int ret, i, j, n;

	if (!cfg)
		return -EINVAL;
	ret = toml_parse(text, len, l.file, &doc, err, errlen);
	if (ret)
		return ret;
	ret = load_root(&l, doc->root);
	if (ret)
		goto cleanup;
	/* Allocate everything the commit needs first, so a failure leaves cfg as it was. */
	ret = -ENOMEM;
	if (name) {
		path = strdup(name);
		if (!path)
			goto cleanup;
	}
	crates = realloc(cfg->crates, (cfg->ncrates + l.ncrates + 1) * sizeof(*crates));
	if (!crates)
		goto cleanup;
	cfg->crates = crates;
	ret = 0;

	for (i = 0; i < l.ncrates; i++) {
		n = cfg->ncrates;
		for (j = 0; j < n; j++)
			if (!strcmp(cfg->crates[j].name, l.crates[i].name))
				break;
		if (j < n) {
			cfg->crates[j].mode = l.crates[i].mode;
			free(l.crates[i].name);
		} else {
			cfg->crates[cfg->ncrates++] = l.crates[i];
		}
	}
	l.ncrates = 0;
	for (i = 0; i < NLISTS; i++) {
		if (!l.set[i])
			continue;
		free_list(*lists[i], *nlists[i]);
		*lists[i] = l.list[i];
		*nlists[i] = l.nlist[i];
		l.list[i] = NULL;
		l.nlist[i] = 0;
	}
	cfg->max_array_size = l.max_array_size;
	cfg->max_string_bytes = l.max_string_bytes;
	cfg->max_depth = l.max_depth;
	cfg->max_calls_per_sec = l.max_calls_per_sec;
	if (path) {
		free(cfg->path);
		cfg->path = path;
		path = NULL;
	}
cleanup:
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", l.file);
	free(path);
	free_crates(l.crates, l.ncrates);
	for (i = 0; i < NLISTS; i++)
		free_list(l.list[i], l.nlist[i]);
	toml_free(doc);
	return ret;
}

static int read_file(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0;
	struct stat st;
	ssize_t r;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto cleanup;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > CONFIG_MAX_FILE + 1)
				cap = CONFIG_MAX_FILE + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto cleanup;
		}
		if (r == 0)
			break;
		n += r;
		if (n > CONFIG_MAX_FILE) {
			ret = -EFBIG;
			goto cleanup;
		}
	}
	*out = buf;
	*outlen = n;
	buf = NULL;
	ret = 0;
cleanup:
	if (ret && err && errlen)
		snprintf(err, errlen, "%s: %s", path,
			 ret == -EFBIG ? "config file larger than 1 MiB" : strerror(-ret));
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

int config__load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = NULL;
	int ret;

	if (err && errlen)
		err[0] = 0;
	if (!cfg || !path)
		return -EINVAL;
	ret = read_file(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = config__load_text(cfg, text, len, path, err, errlen);
	free(text);
	return ret;
}

int config__find_and_load(struct config *cfg, const char *dir, char *err, size_t errlen)
{
	static const char *const names[] = {"rstrace.toml", "firedbg.toml"};
	char *path;
	size_t i;
	int ret;

	if (err && errlen)
		err[0] = 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		/* Plain names in the cwd keep messages short: "rstrace.toml:3:9: ...". */
		if (!dir || !dir[0] || !strcmp(dir, "."))
			path = strdup(names[i]);
		else if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
			path = NULL;
		if (!path) {
			if (err && errlen)
				snprintf(err, errlen, "%s: out of memory", names[i]);
			return -ENOMEM;
		}
		ret = config__load(cfg, path, err, errlen);
		free(path);
		if (ret == -ENOENT)
			continue;
		return ret < 0 ? ret : 1;
	}
	if (err && errlen)
		err[0] = 0;
	return 0;
}

static bool same_crate(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
			return false;
	}
	return *a == *b;
}

enum trace_mode config__crate_mode(const struct config *cfg, const char *crate)
{
	int i;

	if (!cfg || !crate)
		return TRACE_DEFAULT;
	for (i = 0; i < cfg->ncrates; i++)
		if (same_crate(cfg->crates[i].name, crate))
			return cfg->crates[i].mode;
	return TRACE_DEFAULT;
}

static size_t utf8_charlen(const char *s)
{
	size_t n = 1;

	while (s[n] && ((unsigned char)s[n] & 0xc0) == 0x80)
		n++;
	return n;
}

static bool char_eq(char a, char b, bool icase)
{
	return a == b || (icase && tolower((unsigned char)a) == tolower((unsigned char)b));
}

/*
 * Greedy matching that backtracks to the last '*' only: a later '*' can
 * absorb whatever an earlier one would, so this is O(len(p) * len(s)).
 * Backtracking steps whole UTF-8 characters so '?' never splits one.
 */
static bool glob(const char *p, const char *s, bool icase)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (!*p)
				return true;
			star = p;
			resume = s;
			continue;
		}
		if (*p == '?') {
			p++;
			s += utf8_charlen(s);
			continue;
		}
		if (*p && char_eq(*p, *s, icase)) {
			p++;
			s++;
			continue;
		}
		if (!star)
			return false;
		resume += utf8_charlen(resume);
		p = star;
		s = resume;
	}
	while (*p == '*')
		p++;
	return !*p;
}

bool config__glob(const char *pattern, const char *text)
{
	return pattern && text && glob(pattern, text, false);
}

bool config__redacted(const struct config *cfg, const char *param_name)
{
	int i;

	if (!cfg || !param_name)
		return false;
	for (i = 0; i < cfg->nredact; i++)
		if (glob(cfg->redact[i], param_name, true))
			return true;
	return false;
}

void config__free(struct config *cfg)
{
	if (!cfg)
		return;
	free_crates(cfg->crates, cfg->ncrates);
	free_list(cfg->include, cfg->ninclude);
	free_list(cfg->exclude, cfg->nexclude);
	free_list(cfg->redact, cfg->nredact);
	free(cfg->path);
	cfg->crates = NULL;
	cfg->include = cfg->exclude = cfg->redact = NULL;
	cfg->ncrates = cfg->ninclude = cfg->nexclude = cfg->nredact = 0;
	cfg->path = NULL;
}
