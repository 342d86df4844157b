// SPDX-License-Identifier: MIT
/*
 * f32/f64 as Rust's {:?} prints them (rustfmt.h): the shortest decimal that
 * reads back as the same value. Split from rustfmt.c.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "rustfmt.h"

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

