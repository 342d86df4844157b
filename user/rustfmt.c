// SPDX-License-Identifier: MIT
/*
 * Rust {:?} formatting of primitives, and the string buffer every userspace
 * printer writes into. See rustfmt.h for the contract; the Rust facts relied on
 * are noted where used and are checked against rustc by
 * tests/unit/rustfmt_golden.txt (tools/gen_rustfmt_golden.rs).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rustfmt.h"
#include "unicode_tables.h"
#include "unicode_tables_u14.h"

/* ---- strbuf ---- */

void sb_init(struct strbuf *sb)
{
	sb->s = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->oom = false;
}

void sb_free(struct strbuf *sb)
{
	free(sb->s);
	sb_init(sb);
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->oom = false;
	if (sb->s)
		sb->s[0] = '\0';
}

void sb_truncate(struct strbuf *sb, size_t len)
{
	if (len < sb->len) {
		sb->len = len;
		sb->s[len] = '\0';
	}
}

/* Makes room for `extra` more bytes plus the NUL; false (and oom) if impossible. */
static bool sb_grow(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *p;

	if (sb->oom)
		return false;
	if (extra > SIZE_MAX - 1 - sb->len)
		goto fail;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(sb->s, cap);
	if (!p)
		goto fail;
	sb->s = p;
	sb->cap = cap;
	return true;
fail:
	sb->oom = true;
	return false;
}

void sb_putn(struct strbuf *sb, const char *s, size_t n)
{
	if (!sb_grow(sb, n))
		return;
	if (n)
		memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void sb_putc(struct strbuf *sb, char c)
{
	if (!sb_grow(sb, 1))
		return;
	sb->s[sb->len++] = c;
	sb->s[sb->len] = '\0';
}

void sb_puts(struct strbuf *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	size_t avail;
	int n;

	if (sb->oom)
		return;
	avail = sb->s ? sb->cap - sb->len : 0;
	va_start(ap, fmt);
	n = vsnprintf(avail ? sb->s + sb->len : NULL, avail, fmt, ap);
	va_end(ap);
	if (n < 0) {
		/* an encoding error loses output just like a failed allocation */
		sb->oom = true;
		if (sb->s)
			sb->s[sb->len] = '\0';
		return;
	}
	if ((size_t)n >= avail) {
		if (!sb_grow(sb, (size_t)n)) {
			if (sb->s)
				sb->s[sb->len] = '\0';
			return;
		}
		va_start(ap, fmt);
		vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	sb->len += (size_t)n;
}

char *sb_detach(struct strbuf *sb)
{
	char *s = sb->s;

	if (sb->oom) {
		free(s);
		s = NULL;
	} else if (!s) {
		s = strdup("");
	}
	sb_init(sb);
	return s;
}

/* ---- UTF-8 and chars ---- */

bool rfmt_valid_char(uint32_t cp)
{
	return cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
}

enum { U8_OK, U8_BAD, U8_CUT };

/*
 * Decodes one UTF-8 sequence at s[0..n), n >= 1, with exactly the rules of
 * Rust's str (no overlongs, surrogates or values above U+10FFFF). Sets *len to
 * the sequence length (U8_OK), to the length of the maximal invalid subpart
 * (U8_BAD, >= 1), or to the bytes present of a valid but unfinished sequence
 * (U8_CUT, the buffer ended).
 */
static int u8_decode(const uint8_t *s, size_t n, uint32_t *cp, size_t *len)
{
	uint8_t b = s[0], lo = 0x80, hi = 0xBF;
	size_t need, i;
	uint32_t c;

	if (b < 0x80) {
		*cp = b;
		*len = 1;
		return U8_OK;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		need = 2;
		c = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 3;
		c = b & 0x0F;
		if (b == 0xE0)
			lo = 0xA0; /* overlong */
		else if (b == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 4;
		c = b & 0x07;
		if (b == 0xF0)
			lo = 0x90; /* overlong */
		else if (b == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		*len = 1;
		return U8_BAD;
	}
	for (i = 1; i < need; i++) {
		if (i >= n) {
			*len = i;
			return U8_CUT;
		}
		if (s[i] < lo || s[i] > hi) {
			*len = i;
			return U8_BAD;
		}
		c = c << 6 | (s[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = c;
	*len = need;
	return U8_OK;
}

static bool in_ranges(const struct rfmt_range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/*
 * The escape tables of one rustc, or of a range of releases: a char is shown
 * as \u{..} if both tables say so, literally if neither does, and unknown
 * otherwise (a release between two known Unicode versions).
 */
struct rfmt_rules {
	const struct rfmt_range *a;
	size_t na;
	const struct rfmt_range *b;
	size_t nb;
};

#define TABLE(t) t, sizeof(t) / sizeof((t)[0])
static const struct rfmt_rules rules_newest = { TABLE(rfmt_esc_ranges), TABLE(rfmt_esc_ranges) };
static const struct rfmt_rules rules_u14 = { TABLE(rfmt_esc_ranges_u14), TABLE(rfmt_esc_ranges_u14) };
static const struct rfmt_rules rules_u14_17 = { TABLE(rfmt_esc_ranges_u14), TABLE(rfmt_esc_ranges) };
static const struct rfmt_rules rules_ascii = { NULL, 0, NULL, 0 };

/*
 * Unicode versions by release (RELEASES.md): 14 in 1.57-1.65, 15 from 1.66,
 * 15.1 from 1.78, 16 from 1.83, 17 from 1.94. Releases after the newest table
 * are taken to follow it.
 */
const struct rfmt_rules *rfmt_rules_for(unsigned rustc_minor)
{
	if (rustc_minor >= 94)
		return &rules_newest;
	if (rustc_minor >= 66)
		return &rules_u14_17;
	if (rustc_minor >= 57)
		return &rules_u14;
	return &rules_ascii;
}

/*
 * Whether {:?} shows cp as \u{..} (1), literally (0) or unknown (-1): not
 * printable, or a grapheme extender. For the rustcs that made the tables this
 * is the same for a char and anywhere in a string (unlike str::escape_debug(),
 * which spares grapheme extenders after the first char); the generator
 * refuses to emit tables if a rustc ever behaves otherwise.
 */
static int needs_unicode_escape(uint32_t cp, const struct rfmt_rules *r)
{
	bool a, b;

	if (cp >= 0x20 && cp < 0x7F)
		return 0;
	if (cp < 0x20 || cp == 0x7F)
		return 1;
	if (!r->a)
		return -1;
	a = in_ranges(r->a, r->na, cp);
	b = r->b == r->a ? a : in_ranges(r->b, r->nb, cp);
	return a == b ? a : -1;
}

static void put_unicode_escape(struct strbuf *sb, uint32_t cp)
{
	/* Rust: lowercase hex, no leading zeros */
	sb_printf(sb, "\\u{%x}", (unsigned int)cp);
}

/*
 * The escapes shared by char and str; `quote` is the one quote that is
 * escaped (\' in a char, \" in a string; both with RFMT_ESCAPE_SQUOTE).
 * Returns false if cp needs no escape. cp's escaping must be known (r).
 */
static bool put_escape(struct strbuf *sb, uint32_t cp, char quote, unsigned flags,
		       const struct rfmt_rules *r)
{
	switch (cp) {
	case '\t':
		sb_puts(sb, "\\t");
		return true;
	case '\r':
		sb_puts(sb, "\\r");
		return true;
	case '\n':
		sb_puts(sb, "\\n");
		return true;
	case '\\':
		sb_puts(sb, "\\\\");
		return true;
	case '\0':
		sb_puts(sb, "\\0");
		return true;
	case '\'':
	case '"':
		if ((char)cp != quote && !(flags & RFMT_ESCAPE_SQUOTE))
			return false;
		sb_putc(sb, '\\');
		sb_putc(sb, (char)cp);
		return true;
	}
	if (!rfmt_valid_char(cp) || needs_unicode_escape(cp, r) > 0) {
		put_unicode_escape(sb, cp);
		return true;
	}
	return false;
}

static void put_utf8(struct strbuf *sb, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	sb_putn(sb, b, n);
}

int rfmt_char_r(struct strbuf *sb, uint32_t cp, const struct rfmt_rules *r)
{
	if (rfmt_valid_char(cp) && needs_unicode_escape(cp, r) < 0)
		return -ERANGE;
	sb_putc(sb, '\'');
	if (!put_escape(sb, cp, '\'', 0, r))
		put_utf8(sb, cp);
	sb_putc(sb, '\'');
	return 0;
}

void rfmt_char(struct strbuf *sb, uint32_t cp)
{
	rfmt_char_r(sb, cp, &rules_newest);
}

int rfmt_str_r(struct strbuf *sb, const uint8_t *s, size_t n, bool may_be_cut,
	       const struct rfmt_rules *r, unsigned flags)
{
	size_t i, len, end = n, run;
	uint32_t cp;
	int ret = 0;

	/* validate first: on error nothing may be appended */
	for (i = 0; i < n; i += len) {
		/* printable ASCII, most of most strings: valid, never escaped by any rules */
		len = 1;
		if (s[i] >= 0x20 && s[i] < 0x7F)
			continue;
		switch (u8_decode(s + i, n - i, &cp, &len)) {
		case U8_OK:
			if (needs_unicode_escape(cp, r) < 0)
				return -ERANGE;
			break;
		case U8_CUT:
			if (!may_be_cut)
				return -EILSEQ;
			end = i;
			ret = 1;
			len = n - i;
			break;
		default:
			return -EILSEQ;
		}
	}

	sb_putc(sb, '"');
	for (i = 0; i < end; i += len) {
		/* copy runs of chars shown as themselves in one go */
		for (run = i; run < end; run += len) {
			len = 1;
			if (s[run] >= 0x20 && s[run] < 0x7F && s[run] != '"' && s[run] != '\\' &&
			    s[run] != '\'')
				continue;
			u8_decode(s + run, end - run, &cp, &len);
			if (cp == '"' || cp == '\\' || cp < 0x20 || needs_unicode_escape(cp, r) ||
			    (cp == '\'' && (flags & RFMT_ESCAPE_SQUOTE)))
				break;
		}
		sb_putn(sb, (const char *)s + i, run - i);
		if (run == end)
			break;
		put_escape(sb, cp, '"', flags, r);
		i = run;
	}
	sb_putc(sb, '"');
	return ret;
}

int rfmt_str(struct strbuf *sb, const uint8_t *s, size_t n, bool may_be_cut)
{
	return rfmt_str_r(sb, s, n, may_be_cut, &rules_newest, 0);
}

/* ---- integers ---- */

void rfmt_u128(struct strbuf *sb, unsigned __int128 v)
{
	char buf[40];
	char *p = buf + sizeof(buf);
	const uint64_t e19 = 10000000000000000000ULL;

	*--p = '\0';
	/* 19 digits at a time keeps the 128-bit divisions to at most two */
	while (v >= e19) {
		uint64_t chunk = (uint64_t)(v % e19);
		int k;

		v /= e19;
		for (k = 0; k < 19; k++) {
			*--p = (char)('0' + chunk % 10);
			chunk /= 10;
		}
	}
	{
		uint64_t w = (uint64_t)v;

		do {
			*--p = (char)('0' + w % 10);
			w /= 10;
		} while (w);
	}
	sb_puts(sb, p);
}

void rfmt_i128(struct strbuf *sb, __int128 v)
{
	if (v < 0) {
		sb_putc(sb, '-');
		/* wraps correctly for i128::MIN */
		rfmt_u128(sb, (unsigned __int128)0 - (unsigned __int128)v);
	} else {
		rfmt_u128(sb, (unsigned __int128)v);
	}
}

/* ---- JSON ---- */

void json_str(struct strbuf *sb, const char *s, size_t n)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0, run, len;
	uint32_t cp;

	sb_putc(sb, '"');
	while (i < n) {
		int st = U8_OK;

		for (run = i; run < n; run += len) {
			len = 1;
			if (u[run] >= 0x20 && u[run] < 0x7F && u[run] != '"' && u[run] != '\\')
				continue;
			st = u8_decode(u + run, n - run, &cp, &len);
			if (st != U8_OK || cp == '"' || cp == '\\' || cp < 0x20 || cp == 0x7F)
				break;
		}
		sb_putn(sb, s + i, run - i);
		if (run == n)
			break;
		if (st != U8_OK)
			sb_puts(sb, "\xEF\xBF\xBD"); /* U+FFFD */
		else if (cp == '"' || cp == '\\')
			sb_printf(sb, "\\%c", (char)cp);
		else if (cp == '\n')
			sb_puts(sb, "\\n");
		else
			sb_printf(sb, "\\u%04x", (unsigned int)cp);
		i = run + len;
	}
	sb_putc(sb, '"');
}
