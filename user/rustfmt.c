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
 * Whether {:?} shows cp as \u{..}: not printable, or a grapheme extender. For
 * the rustc that made unicode_tables.h this is the same for a char and
 * anywhere in a string (unlike str::escape_debug(), which spares grapheme
 * extenders after the first char); the generator refuses to emit tables if a
 * rustc ever behaves otherwise.
 */
static bool needs_unicode_escape(uint32_t cp)
{
	if (cp >= 0x20 && cp < 0x7F)
		return false;
	return in_ranges(rfmt_esc_ranges, sizeof(rfmt_esc_ranges) / sizeof(rfmt_esc_ranges[0]), cp);
}

static void put_unicode_escape(struct strbuf *sb, uint32_t cp)
{
	/* Rust: lowercase hex, no leading zeros */
	sb_printf(sb, "\\u{%x}", (unsigned int)cp);
}

/*
 * The escapes shared by char and str; `quote` is the one quote that is
 * escaped (\' in a char, \" in a string). Returns false if cp needs no escape.
 */
static bool put_escape(struct strbuf *sb, uint32_t cp, char quote)
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
		if ((char)cp != quote)
			return false;
		sb_putc(sb, '\\');
		sb_putc(sb, quote);
		return true;
	}
	if (!rfmt_valid_char(cp) || needs_unicode_escape(cp)) {
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

void rfmt_char(struct strbuf *sb, uint32_t cp)
{
	sb_putc(sb, '\'');
	if (!put_escape(sb, cp, '\''))
		put_utf8(sb, cp);
	sb_putc(sb, '\'');
}

int rfmt_str(struct strbuf *sb, const uint8_t *s, size_t n, bool may_be_cut)
{
	size_t i, len, end = n, run;
	uint32_t cp;
	int ret = 0;

	/* validate first: on error nothing may be appended */
	for (i = 0; i < n; i += len) {
		switch (u8_decode(s + i, n - i, &cp, &len)) {
		case U8_OK:
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
			u8_decode(s + run, end - run, &cp, &len);
			if (cp == '"' || cp == '\\' || cp < 0x20 || needs_unicode_escape(cp))
				break;
		}
		sb_putn(sb, (const char *)s + i, run - i);
		if (run == end)
			break;
		put_escape(sb, cp, '"');
		i = run;
	}
	sb_putc(sb, '"');
	return ret;
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

/* ---- floats ---- */

/*
 * Shortest round-trip digits, computed exactly with big integers (the
 * free-format digit generation of Steele & White / Burger & Dybvig). The
 * scaled values stay below 2^1090 for f64 (5e-324 scaled by 10^324, or
 * f64::MAX), so 40 limbs of 32 bits suffice.
 */
#define BN_LIMBS 40

struct bn {
	int n; /* limbs in use, no leading zero limbs */
	uint32_t d[BN_LIMBS];
};

static void bn_set(struct bn *a, uint64_t v)
{
	a->n = 0;
	while (v) {
		a->d[a->n++] = (uint32_t)v;
		v >>= 32;
	}
}

static void bn_mul_small(struct bn *a, uint32_t m)
{
	uint64_t carry = 0;
	int i;

	for (i = 0; i < a->n; i++) {
		uint64_t t = (uint64_t)a->d[i] * m + carry;

		a->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry && a->n < BN_LIMBS)
		a->d[a->n++] = (uint32_t)carry;
}

static void bn_mul_pow10(struct bn *a, int k)
{
	for (; k >= 9; k -= 9)
		bn_mul_small(a, 1000000000u);
	while (k-- > 0)
		bn_mul_small(a, 10);
}

static void bn_shl(struct bn *a, int bits)
{
	int limbs = bits / 32, sh = bits % 32, i;

	if (!a->n)
		return;
	if (sh) {
		uint32_t carry = 0;

		for (i = 0; i < a->n; i++) {
			uint32_t t = a->d[i];

			a->d[i] = t << sh | carry;
			carry = t >> (32 - sh);
		}
		if (carry && a->n < BN_LIMBS)
			a->d[a->n++] = carry;
	}
	if (limbs) {
		if (a->n + limbs > BN_LIMBS)
			limbs = BN_LIMBS - a->n;
		memmove(a->d + limbs, a->d, (size_t)a->n * sizeof(a->d[0]));
		memset(a->d, 0, (size_t)limbs * sizeof(a->d[0]));
		a->n += limbs;
	}
}

/* r = a + b */
static void bn_add(struct bn *r, const struct bn *a, const struct bn *b)
{
	int n = a->n > b->n ? a->n : b->n, i;
	uint64_t carry = 0;

	for (i = 0; i < n; i++) {
		carry += (uint64_t)(i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0);
		r->d[i] = (uint32_t)carry;
		carry >>= 32;
	}
	r->n = n;
	if (carry && n < BN_LIMBS)
		r->d[r->n++] = (uint32_t)carry;
}

static int bn_cmp(const struct bn *a, const struct bn *b)
{
	int i;

	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (i = a->n - 1; i >= 0; i--)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

/* a -= b, requires a >= b */
static void bn_sub(struct bn *a, const struct bn *b)
{
	int64_t borrow = 0;
	int i;

	for (i = 0; i < a->n; i++) {
		int64_t t = (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;

		borrow = t < 0;
		a->d[i] = (uint32_t)(t + (borrow << 32));
	}
	while (a->n && !a->d[a->n - 1])
		a->n--;
}

/* r + m compared with s */
static int bn_cmp_sum(const struct bn *r, const struct bn *m, const struct bn *s)
{
	struct bn t;

	bn_add(&t, r, m);
	return bn_cmp(&t, s);
}

/*
 * Finite v = f * 2^e > 0. `closer`: the predecessor is half as far as the
 * successor (f is the smallest normal mantissa above the lowest exponent).
 * Rust, like correctly rounding parsers, reads a decimal exactly halfway
 * between two floats as the one with even f, so the rounding interval includes
 * its ends iff f is even. Writes the digits (NUL-terminated, at most 17) and
 * returns k with v ~= 0.DIGITS * 10^k.
 */
static int shortest_digits(uint64_t f, int e, bool closer, char *digits)
{
	bool incl = !(f & 1);
	struct bn r, s, mp, mm, t;
	int k, n = 0, c;

	/* v = r / s, upper end (r + mp) / s, lower end (r - mm) / s, all doubled */
	bn_set(&r, f);
	bn_set(&s, 1);
	bn_set(&mp, 1);
	bn_set(&mm, 1);
	if (closer) {
		bn_shl(&r, 2);
		bn_shl(&s, 2);
		bn_shl(&mp, 1);
	} else {
		bn_shl(&r, 1);
		bn_shl(&s, 1);
	}
	if (e >= 0) {
		bn_shl(&r, e);
		bn_shl(&mp, e);
		bn_shl(&mm, e);
	} else {
		bn_shl(&s, -e);
	}

	k = (int)ceil(log10(ldexp((double)f, e)));
	if (k >= 0) {
		bn_mul_pow10(&s, k);
	} else {
		bn_mul_pow10(&r, -k);
		bn_mul_pow10(&mp, -k);
		bn_mul_pow10(&mm, -k);
	}
	/*
	 * Make k the least with high < 10^k (high <= 10^k if the upper end is
	 * excluded) so that the first digit is non-zero and a shorter 10^k is
	 * never missed; the log10 estimate may be off by one either way.
	 */
	for (;;) {
		c = bn_cmp_sum(&r, &mp, &s);
		if (c > 0 || (c == 0 && incl)) {
			bn_mul_small(&s, 10);
			k++;
			continue;
		}
		bn_add(&t, &r, &mp);
		bn_mul_small(&t, 10);
		c = bn_cmp(&t, &s);
		if (c < 0 || (c == 0 && !incl)) {
			bn_mul_small(&r, 10);
			bn_mul_small(&mp, 10);
			bn_mul_small(&mm, 10);
			k--;
			continue;
		}
		break;
	}

	for (;;) {
		bool low, high;
		int d = 0;

		bn_mul_small(&r, 10);
		bn_mul_small(&mp, 10);
		bn_mul_small(&mm, 10);
		while (bn_cmp(&r, &s) >= 0) {
			bn_sub(&r, &s);
			d++;
		}
		/* can the digits stop here, rounded down / rounded up? */
		c = bn_cmp(&r, &mm);
		low = c < 0 || (c == 0 && incl);
		c = bn_cmp_sum(&r, &mp, &s);
		high = c > 0 || (c == 0 && incl);
		if (!low && !high && n < 17) {
			digits[n++] = (char)('0' + d);
			continue;
		}
		if (high && low) {
			/*
			 * Both fit: the nearer one. Exact ties do occur (f64
			 * 1125899906842624.25 between ...624.2 and ...624.3) and
			 * Rust takes the upper digit there.
			 */
			t = r;
			bn_shl(&t, 1);
			high = bn_cmp(&t, &s) >= 0;
		}
		if (high)
			d++;
		digits[n++] = (char)('0' + d);
		break;
	}
	/* a round-up past 9 cannot happen with the interval above; be safe */
	while (n > 0 && digits[n - 1] > '9') {
		digits[--n] = '\0';
		if (n == 0) {
			digits[n++] = '1';
			k++;
			break;
		}
		digits[n - 1]++;
	}
	digits[n] = '\0';
	return k;
}

/* v = 0.DIGITS * 10^k, v != 0, laid out as Rust's Debug does */
static void put_decimal(struct strbuf *sb, bool neg, const char *digits, int k, bool sci)
{
	int n = (int)strlen(digits);

	if (neg)
		sb_putc(sb, '-');
	if (sci) {
		/* 1e16, 1.5e-7: no '+', no exponent padding, no ".0" */
		sb_putc(sb, digits[0]);
		if (n > 1) {
			sb_putc(sb, '.');
			sb_puts(sb, digits + 1);
		}
		sb_printf(sb, "e%d", k - 1);
	} else if (k <= 0) {
		sb_puts(sb, "0.");
		for (; k < 0; k++)
			sb_putc(sb, '0');
		sb_puts(sb, digits);
	} else if (k < n) {
		sb_putn(sb, digits, (size_t)k);
		sb_putc(sb, '.');
		sb_puts(sb, digits + k);
	} else {
		sb_puts(sb, digits);
		for (; k > n; k--)
			sb_putc(sb, '0');
		sb_puts(sb, ".0");
	}
}

/* Handles what is not a finite non-zero number; true if done. */
static bool put_special(struct strbuf *sb, bool neg, bool nan, bool inf, bool zero)
{
	/* Rust shows every NaN as "NaN", whatever its sign or payload */
	if (nan) {
		sb_puts(sb, "NaN");
		return true;
	}
	if (inf) {
		sb_puts(sb, neg ? "-inf" : "inf");
		return true;
	}
	if (zero) {
		sb_puts(sb, neg ? "-0.0" : "0.0");
		return true;
	}
	return false;
}

void rfmt_f64(struct strbuf *sb, double v)
{
	uint64_t bits, frac;
	int bexp;
	char digits[20];
	int k;
	double a = fabs(v);

	memcpy(&bits, &v, sizeof(bits));
	if (put_special(sb, bits >> 63, isnan(v), isinf(v), v == 0))
		return;
	bexp = (int)(bits >> 52 & 0x7FF);
	frac = bits & ((1ULL << 52) - 1);
	if (bexp)
		k = shortest_digits(frac | 1ULL << 52, bexp - 1075, !frac && bexp > 1, digits);
	else
		k = shortest_digits(frac, -1074, false, digits);
	/* Rust's Debug switches to exponent form outside [1e-4, 1e16) */
	put_decimal(sb, bits >> 63, digits, k, a < 1e-4 || a >= 1e16);
}

void rfmt_f32(struct strbuf *sb, float v)
{
	uint32_t bits, frac;
	int bexp;
	char digits[20];
	int k;
	float a = fabsf(v);

	memcpy(&bits, &v, sizeof(bits));
	if (put_special(sb, bits >> 31, isnan(v), isinf(v), v == 0))
		return;
	bexp = (int)(bits >> 23 & 0xFF);
	frac = bits & ((1U << 23) - 1);
	if (bexp)
		k = shortest_digits(frac | 1U << 23, bexp - 150, !frac && bexp > 1, digits);
	else
		k = shortest_digits(frac, -149, false, digits);
	/* same thresholds, but as f32 constants: 1e16f32 is 10000000272564224 */
	put_decimal(sb, bits >> 31, digits, k, a < 1e-4f || a >= 1e16f);
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
