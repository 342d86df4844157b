// SPDX-License-Identifier: MIT
/*
 * The TOML subset's lexical layer: the cursor, positions and error messages,
 * whitespace and comments, strings and their escapes, keys, integers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml_internal.h"

struct sbuf {
	char *b;
	size_t n, cap;
};

int toml_vmsg(char *err, size_t errlen, const char *file, int line, int col, const char *kind,
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

int __attribute__((format(printf, 4, 5)))
lex_err(struct toml_parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	toml_vmsg(p->err, p->errlen, p->file, line, col, "", fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int lex_enomem(struct toml_parser *p)
{
	lex_err_here(p, "out of memory");
	return -ENOMEM;
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

const char *lex_found(const struct toml_parser *p, char *buf, size_t sz)
{
	int c = lex_peek(p, 0);
	size_t n;

	if (c < 0)
		return "end of file";
	if (c == '\n' || (c == '\r' && lex_peek(p, 1) == '\n'))
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

void lex_key_free(struct toml_key *k)
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

void lex_skip_ws(struct toml_parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

bool lex_newline(struct toml_parser *p)
{
	if (lex_peek(p, 0) == '\n')
		p->pos += 1;
	else if (lex_peek(p, 0) == '\r' && lex_peek(p, 1) == '\n')
		p->pos += 2;
	else
		return false;
	p->line++;
	p->bol = p->pos;
	return true;
}

int lex_comment(struct toml_parser *p)
{
	int c;

	if (lex_peek(p, 0) != '#')
		return 0;
	while ((c = lex_peek(p, 0)) >= 0 && c != '\n') {
		if (c == '\r' && lex_peek(p, 1) == '\n')
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return lex_err_here(
			    p, "control character U+%04X is not allowed in a comment", c);
		p->pos++;
	}
	return 0;
}

int lex_blank(struct toml_parser *p)
{
	int err;

	for (;;) {
		lex_skip_ws(p);
		err = lex_comment(p);
		if (err)
			return err;
		if (!lex_newline(p))
			return 0;
	}
}

int lex_end_of_line(struct toml_parser *p, const char *after)
{
	char fb[16];
	int err;

	lex_skip_ws(p);
	err = lex_comment(p);
	if (err)
		return err;
	if (lex_peek(p, 0) < 0 || lex_newline(p))
		return 0;
	return lex_err_here(p, "expected end of line after %s, found %s", after,
			    lex_found(p, fb, sizeof(fb)));
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
	int line = p->line, col = lex_col(p);
	int kind = lex_peek(p, 1), ndig = kind == 'u' ? 4 : 8, i, d;
	uint32_t cp = 0;
	char enc[4];

	for (i = 0; i < ndig; i++) {
		d = hexval(lex_peek(p, 2 + i));
		if (d < 0)
			return lex_err(p, line, col, "expected %d hex digits after '\\%c'", ndig,
				       kind);
		cp = cp * 16 + d;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return lex_err(
		    p, line, col,
		    "invalid escape '\\%c%.*s': surrogates are not Unicode scalar values", kind,
		    ndig, p->s + p->pos + 2);
	if (cp > 0x10ffff)
		return lex_err(p, line, col, "invalid escape '\\%c%.*s': beyond U+10FFFF", kind,
			       ndig, p->s + p->pos + 2);
	/* Every string ends up as a C string; a NUL inside would silently cut it. */
	if (cp == 0)
		return lex_err(
		    p, line, col,
		    "NUL characters in strings are not supported by rstrace's TOML subset");
	p->pos += 2 + ndig;
	return sb_put(sb, enc, utf8_encode(cp, enc)) ? lex_enomem(p) : 0;
}

static int escape(struct toml_parser *p, struct sbuf *sb)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	int c = lex_peek(p, 1);
	const char *e;

	if (c == 'u' || c == 'U')
		return unicode_escape(p, sb);
	e = c > 0 ? strchr(from, c) : NULL;
	if (!e) {
		if (c > 0x20 && c < 0x7f)
			return lex_err_here(p, "invalid escape sequence '\\%c'", c);
		return lex_err_here(p, "expected an escape sequence after '\\'");
	}
	p->pos += 2;
	return sb_put(sb, &to[e - from], 1) ? lex_enomem(p) : 0;
}

int lex_string(struct toml_parser *p, char **out)
{
	int q = lex_peek(p, 0), c, err;
	struct sbuf sb = {0};

	if (lex_peek(p, 1) == q && lex_peek(p, 2) == q)
		return lex_err_here(
		    p, "multi-line strings are not supported by rstrace's TOML subset");
	p->pos++;
	if (sb_put(&sb, "", 0))
		return lex_enomem(p);
	for (;;) {
		c = lex_peek(p, 0);
		if (c < 0 || c == '\n' || (c == '\r' && lex_peek(p, 1) == '\n')) {
			err = lex_err_here(p, "unterminated string: expected closing %c before %s",
					   q, c < 0 ? "end of file" : "end of line");
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
			err = lex_err_here(
			    p, "control character U+%04X must be escaped in a string", c);
			goto cleanup;
		}
		if (sb_put(&sb, p->s + p->pos, 1)) {
			err = lex_enomem(p);
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
	int c = lex_peek(p, 0);

	if (c == '"' || c == '\'')
		return lex_string(p, out);
	while (lex_is_bare(lex_peek(p, 0)))
		p->pos++;
	if (p->pos == start)
		return lex_err_here(p, "expected a key, found %s", lex_found(p, fb, sizeof(fb)));
	*out = strndup(p->s + start, p->pos - start);
	return *out ? 0 : lex_enomem(p);
}

int lex_key(struct toml_parser *p, struct toml_key *k)
{
	size_t save;
	int err;

	k->n = 0;
	for (;;) {
		lex_skip_ws(p);
		if (k->n == TOML_MAX_KEY_PARTS)
			return lex_err_here(p, "key has more than %d dotted parts",
					    TOML_MAX_KEY_PARTS);
		k->part[k->n].line = p->line;
		k->part[k->n].col = lex_col(p);
		err = parse_simple_key(p, &k->part[k->n].s);
		if (err)
			return err;
		k->n++;
		save = p->pos;
		lex_skip_ws(p);
		if (lex_peek(p, 0) != '.') {
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
		c = lex_peek(p, 0);
		if (c == '_') {
			if (!*ndig || last_us)
				return lex_err_here(p,
						    "'_' in an integer must be between two digits");
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
		return lex_err_here(p, "'_' in an integer must be between two digits");
	}
	return 0;
}

static bool word_at(const struct toml_parser *p, size_t off, const char *w)
{
	size_t n = strlen(w);

	return p->pos + off + n <= p->len && memcmp(p->s + p->pos + off, w, n) == 0 &&
	       !lex_is_bare(lex_peek(p, off + n));
}

int lex_int(struct toml_parser *p, int64_t *out)
{
	static const char *const base_name[17] = {
	    [2] = "a binary", [8] = "an octal", [10] = "a decimal", [16] = "a hexadecimal"};
	int line = p->line, col = lex_col(p), sign = 0, base = 10, ndig, c, err;
	size_t first;
	uint64_t acc;
	bool overflow;
	char fb[16];

	c = lex_peek(p, 0);
	if (c == '+' || c == '-') {
		sign = c;
		p->pos++;
	}
	if (word_at(p, 0, "inf") || word_at(p, 0, "nan"))
		return lex_err(p, line, col, "floats are not supported by rstrace's TOML subset");
	if (lex_peek(p, 0) == '0' &&
	    (lex_peek(p, 1) == 'x' || lex_peek(p, 1) == 'o' || lex_peek(p, 1) == 'b')) {
		base = lex_peek(p, 1) == 'x' ? 16 : lex_peek(p, 1) == 'o' ? 8 : 2;
		if (sign)
			return lex_err(p, line, col, "a sign is not allowed on %s integer",
				       base_name[base]);
		p->pos += 2;
	}
	first = p->pos;
	err = parse_digits(p, base, &acc, &overflow, &ndig);
	if (err)
		return err;
	c = lex_peek(p, 0);
	if (base == 10 && ndig && (c == '.' || c == 'e' || c == 'E'))
		return lex_err(p, line, col, "floats are not supported by rstrace's TOML subset");
	if (base == 10 && !sign && ((ndig == 4 && c == '-') || (ndig == 2 && c == ':')))
		return lex_err(p, line, col,
			       "dates and times are not supported by rstrace's TOML subset");
	if (!ndig) {
		if (base != 10)
			return lex_err_here(p, "expected %s digit after '0%c', found %s",
					    base_name[base], p->s[p->pos - 1],
					    lex_found(p, fb, sizeof(fb)));
		return lex_err_here(p, "expected a digit after '%c', found %s", sign,
				    lex_found(p, fb, sizeof(fb)));
	}
	if (lex_is_bare(c))
		return lex_err_here(p, "invalid character %s in %s integer",
				    lex_found(p, fb, sizeof(fb)), base_name[base]);
	if (base == 10 && ndig > 1 && p->s[first] == '0')
		return lex_err(p, line, col, "leading zeros are not allowed in an integer");
	if (overflow || acc > (sign == '-' ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
		return lex_err(p, line, col, "integer does not fit in 64 bits (signed)");
	if (sign == '-')
		*out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	else
		*out = (int64_t)acc;
	return 0;
}

int lex_check_utf8(struct toml_parser *p)
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
			return lex_err(p, p->line, (int)(i - p->bol) + 1, "invalid UTF-8");
		i += n;
	}
	p->line = 1;
	p->bol = 0;
	return 0;
}
