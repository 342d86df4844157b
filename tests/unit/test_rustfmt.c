// SPDX-License-Identifier: MIT
/*
 * user/rustfmt.c against rustc: every line of tests/unit/rustfmt_golden.txt
 * (made by tools/gen_rustfmt_golden.rs) plus hand-written cases for what the
 * golden file cannot show: invalid and truncated UTF-8, json_str, strbuf.
 * Run from the repository root.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rustfmt.h"
#include "unit.h"

#define GOLDEN "tests/unit/rustfmt_golden.txt"
/* the same generator built by Debian 12's rustc 1.63 (Unicode 14 tables) */
#define GOLDEN_1_63 "tests/unit/rustfmt_golden_1.63.txt"

static struct strbuf sb;
/* the rustc whose escaping chs()/strs_n() follow */
static const struct rfmt_rules *rules;

static const char *f64s(double v)
{
	sb_reset(&sb);
	rfmt_f64(&sb, v);
	return sb_str(&sb);
}

static const char *f32s(float v)
{
	sb_reset(&sb);
	rfmt_f32(&sb, v);
	return sb_str(&sb);
}

static const char *chs(uint32_t cp)
{
	sb_reset(&sb);
	if (rules) {
		if (rfmt_char_r(&sb, cp, rules) == -ERANGE)
			return sb.len ? "<ERANGE but appended>" : "<ERANGE>";
	} else {
		rfmt_char(&sb, cp);
	}
	return sb_str(&sb);
}

/* rfmt_str of a C string literal; "<EILSEQ>" / "<CUT>..." mark the return value */
static const char *strs_n(const char *s, size_t n, bool may_be_cut)
{
	int r;

	sb_reset(&sb);
	r = rules ? rfmt_str_r(&sb, (const uint8_t *)s, n, may_be_cut, rules, 0)
		  : rfmt_str(&sb, (const uint8_t *)s, n, may_be_cut);
	if (r == -ERANGE)
		return sb.len ? "<ERANGE but appended>" : "<ERANGE>";
	if (r == -EILSEQ)
		return sb.len ? "<EILSEQ but appended>" : "<EILSEQ>";
	if (r == 1) {
		static char buf[256];

		snprintf(buf, sizeof(buf), "<CUT>%s", sb_str(&sb));
		return buf;
	}
	return r == 0 ? sb_str(&sb) : "<bad return>";
}

static const char *strs(const char *s)
{
	return strs_n(s, strlen(s), false);
}

static const char *jsons_n(const char *s, size_t n)
{
	sb_reset(&sb);
	json_str(&sb, s, n);
	return sb_str(&sb);
}

static const char *jsons(const char *s)
{
	return jsons_n(s, strlen(s));
}

static const char *u128s(unsigned __int128 v)
{
	sb_reset(&sb);
	rfmt_u128(&sb, v);
	return sb_str(&sb);
}

static const char *i128s(__int128 v)
{
	sb_reset(&sb);
	rfmt_i128(&sb, v);
	return sb_str(&sb);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parses hex digits into bytes; returns the byte count or -1. */
static long parse_hex_bytes(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex), i;

	if (strcmp(hex, "-") == 0)
		return 0;
	if (n % 2 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);

		if (h < 0 || l < 0)
			return -1;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return (long)(n / 2);
}

static unsigned __int128 parse_u128(const char *hex)
{
	unsigned __int128 v = 0;

	for (; *hex; hex++)
		v = v << 4 | (unsigned)hexval(*hex);
	return v;
}

/* Every cut inside the last char must drop exactly that char. */
static void check_cuts(const uint8_t *b, size_t n)
{
	size_t last = n, cut;
	struct strbuf whole, part;

	while (last > 0 && (b[last - 1] & 0xC0) == 0x80)
		last--;
	if (last == 0 || n - last < 1 || b[last - 1] < 0xC0)
		return;
	last--; /* lead byte of the last char */
	sb_init(&whole);
	CHECK(rfmt_str(&whole, b, last, false) == 0);
	for (cut = last + 1; cut < n; cut++) {
		sb_init(&part);
		CHECK(rfmt_str(&part, b, cut, true) == 1);
		CHECK_STR(sb_str(&part), sb_str(&whole));
		CHECK(rfmt_str(&part, b, cut, false) == -EILSEQ);
		sb_free(&part);
	}
	sb_free(&whole);
}

static void run_golden(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int lineno = 0, cases = 0, bad = 0, before;

	CHECK(f != NULL);
	if (!f) {
		fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *kind, *input, *want, *nl;
		const char *got = NULL;

		lineno++;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		kind = line;
		input = strchr(kind, ' ');
		want = input ? strchr(input + 1, ' ') : NULL;
		if (!want) {
			fprintf(stderr, "%s:%d: malformed line\n", path, lineno);
			CHECK(0);
			continue;
		}
		*input++ = '\0';
		*want++ = '\0';
		cases++;
		before = unit_fail;
		if (strcmp(kind, "f64") == 0) {
			uint64_t bits = strtoull(input, NULL, 16);
			double v;

			memcpy(&v, &bits, sizeof(v));
			got = f64s(v);
		} else if (strcmp(kind, "f32") == 0) {
			uint32_t bits = (uint32_t)strtoul(input, NULL, 16);
			float v;

			memcpy(&v, &bits, sizeof(v));
			got = f32s(v);
		} else if (strcmp(kind, "char") == 0) {
			got = chs((uint32_t)strtoul(input, NULL, 16));
		} else if (strcmp(kind, "str") == 0) {
			static uint8_t b[2048];
			long n = parse_hex_bytes(input, b, sizeof(b));

			CHECK(n >= 0);
			if (n >= 0) {
				/* a complete string is never "cut" */
				got = strs_n((const char *)b, (size_t)n, true);
				CHECK_STR(got, want);
				got = strs_n((const char *)b, (size_t)n, false);
				check_cuts(b, (size_t)n);
			}
		} else if (strcmp(kind, "u128") == 0) {
			got = u128s(parse_u128(input));
		} else if (strcmp(kind, "i128") == 0) {
			got = i128s((__int128)parse_u128(input));
		} else {
			fprintf(stderr, "%s:%d: unknown kind %s\n", path, lineno, kind);
			CHECK(0);
			continue;
		}
		if (got)
			CHECK_STR(got, want);
		if (unit_fail != before) {
			bad++;
			fprintf(stderr, "  ^ %s:%d: %s %s\n", path, lineno, kind, input);
		}
	}
	fclose(f);
	printf("golden %s: %d cases, %d failing\n", path, cases, bad);
	CHECK(cases >= 500);
}

static void test_floats(void)
{
	CHECK_STR(f64s(1.0), "1.0");
	CHECK_STR(f64s(-0.1), "-0.1");
	CHECK_STR(f64s(6.5), "6.5");
	CHECK_STR(f64s(1e16), "1e16");
	CHECK_STR(f64s(1e15), "1000000000000000.0");
	CHECK_STR(f64s(1e-7), "1e-7");
	CHECK_STR(f64s(1.5e-7), "1.5e-7");
	CHECK_STR(f64s(1e-4), "0.0001");
	CHECK_STR(f64s(1e-5), "1e-5");
	CHECK_STR(f64s(1.2345e20), "1.2345e20");
	CHECK_STR(f64s(NAN), "NaN");
	CHECK_STR(f64s(-NAN), "NaN");
	CHECK_STR(f64s(INFINITY), "inf");
	CHECK_STR(f64s(-INFINITY), "-inf");
	CHECK_STR(f64s(-0.0), "-0.0");
	CHECK_STR(f64s(0.0), "0.0");
	CHECK_STR(f64s(0.1 + 0.2), "0.30000000000000004");
	CHECK_STR(f64s(5e-324), "5e-324");
	CHECK_STR(f64s(2.2250738585072014e-308), "2.2250738585072014e-308");
	CHECK_STR(f64s(1.7976931348623157e308), "1.7976931348623157e308");
	CHECK_STR(f64s(123456789012345680.0), "1.2345678901234568e17");
	CHECK_STR(f32s(0.1f), "0.1");
	CHECK_STR(f32s(1e16f), "1e16");
	CHECK_STR(f32s(9999999e9f), "9999999000000000.0");
	CHECK_STR(f32s(3.4028235e38f), "3.4028235e38");
	CHECK_STR(f32s(1e-45f), "1e-45");
	CHECK_STR(f32s(1.1754944e-38f), "1.1754944e-38");
	CHECK_STR(f32s(16777216.0f), "16777216.0");
	CHECK_STR(f32s(-0.0f), "-0.0");
	CHECK_STR(f32s(NAN), "NaN");
}

static void test_chars_and_strs(void)
{
	CHECK_STR(chs('a'), "'a'");
	CHECK_STR(chs('\n'), "'\\n'");
	CHECK_STR(chs('\''), "'\\''");
	CHECK_STR(chs('"'), "'\"'");
	CHECK_STR(chs(0x1b), "'\\u{1b}'");
	CHECK_STR(chs(0xe9), "'\xc3\xa9'");
	CHECK_STR(chs(0x301), "'\\u{301}'");
	CHECK_STR(chs(0x10FFFF), "'\\u{10ffff}'");
	CHECK_STR(chs(0x1F600), "'\xf0\x9f\x98\x80'");
	CHECK(rfmt_valid_char(0) && rfmt_valid_char(0xD7FF) && rfmt_valid_char(0xE000));
	CHECK(rfmt_valid_char(0x10FFFF));
	CHECK(!rfmt_valid_char(0xD800) && !rfmt_valid_char(0xDFFF) && !rfmt_valid_char(0x110000));
	CHECK(!rfmt_valid_char(UINT32_MAX));

	CHECK_STR(strs("a\"b"), "\"a\\\"b\"");
	CHECK_STR(strs("it's"), "\"it's\"");
	CHECK_STR(strs(""), "\"\"");
	CHECK_STR(strs_n("a\0b", 3, false), "\"a\\0b\"");
	/* grapheme extenders are escaped wherever they stand, unlike str::escape_debug */
	CHECK_STR(strs("a\xcc\x81"), "\"a\\u{301}\"");
	CHECK_STR(strs("\xcc\x81"), "\"\\u{301}\"");
	CHECK_STR(strs("x\xe2\x80\x8b"), "\"x\\u{200b}\"");
	CHECK_STR(strs("\xc3\xa9\xf0\x9f\x98\x80"), "\"\xc3\xa9\xf0\x9f\x98\x80\"");

	/* invalid UTF-8, as Rust's str rejects it: nothing appended */
	CHECK_STR(strs("\x80"), "<EILSEQ>");
	CHECK_STR(strs("a\xff"), "<EILSEQ>");
	CHECK_STR(strs("\xc0\x80"), "<EILSEQ>");	 /* overlong NUL */
	CHECK_STR(strs("\xc1\xbf"), "<EILSEQ>");	 /* overlong */
	CHECK_STR(strs("\xe0\x80\xaf"), "<EILSEQ>");	 /* overlong */
	CHECK_STR(strs("\xf0\x8f\xbf\xbf"), "<EILSEQ>"); /* overlong */
	CHECK_STR(strs("\xed\xa0\x80"), "<EILSEQ>");	 /* surrogate D800 */
	CHECK_STR(strs("\xed\xbf\xbf"), "<EILSEQ>");	 /* surrogate DFFF */
	CHECK_STR(strs("\xf4\x90\x80\x80"), "<EILSEQ>"); /* 0x110000 */
	CHECK_STR(strs("\xf5\x80\x80\x80"), "<EILSEQ>");
	CHECK_STR(strs("\xc3\x28"), "<EILSEQ>");
	CHECK_STR(strs("\xe2\x82\x28"), "<EILSEQ>");
	CHECK_STR(strs("\xed\x9f\xbf"), "\"\\u{d7ff}\""); /* unassigned, next to the surrogates */
	CHECK_STR(strs("\xf4\x8f\xbf\xbf"), "\"\\u{10ffff}\"");
	{
		/* keep a failing call from touching the buffer */
		struct strbuf t;

		sb_init(&t);
		sb_puts(&t, "x");
		CHECK(rfmt_str(&t, (const uint8_t *)"ok\xff", 3, true) == -EILSEQ);
		CHECK_STR(sb_str(&t), "x");
		sb_free(&t);
	}

	/* truncated captures */
	CHECK_STR(strs_n("ab\xe2\x82", 4, true), "<CUT>\"ab\"");
	CHECK_STR(strs_n("ab\xe2\x82", 4, false), "<EILSEQ>");
	CHECK_STR(strs_n("ab\xe2", 3, true), "<CUT>\"ab\"");
	CHECK_STR(strs_n("\xf0\x9f\x98", 3, true), "<CUT>\"\"");
	CHECK_STR(strs_n("\xf0", 1, true), "<CUT>\"\"");
	CHECK_STR(strs_n("ab\xe2\x82\xac", 5, true), "\"ab\xe2\x82\xac\"");
	/* not a prefix of anything valid: still an error */
	CHECK_STR(strs_n("ab\xed\xa0", 4, true), "<EILSEQ>");
	CHECK_STR(strs_n("ab\xf4\x90", 4, true), "<EILSEQ>");
	CHECK_STR(strs_n("ab\xe0\x80", 4, true), "<EILSEQ>");
	CHECK_STR(strs_n("ab\xc1", 3, true), "<EILSEQ>");
	CHECK_STR(strs_n("ab\xf5", 3, true), "<EILSEQ>");
	CHECK_STR(strs_n("ab\x80", 3, true), "<EILSEQ>");
	/* a cut in the middle is not a cut at the end */
	CHECK_STR(strs_n("\xe2\x82z", 3, true), "<EILSEQ>");
}

static void test_ints(void)
{
	unsigned __int128 umax = ~(unsigned __int128)0;
	__int128 imax = (__int128)(umax >> 1);

	CHECK_STR(u128s(0), "0");
	CHECK_STR(u128s(umax), "340282366920938463463374607431768211455");
	CHECK_STR(u128s(10000000000000000000ULL), "10000000000000000000");
	CHECK_STR(i128s(-imax - 1), "-170141183460469231731687303715884105728");
	CHECK_STR(i128s(imax), "170141183460469231731687303715884105727");
	CHECK_STR(i128s(-1), "-1");
	CHECK_STR(i128s(0), "0");
}

static void test_json(void)
{
	CHECK_STR(jsons(""), "\"\"");
	CHECK_STR(jsons("plain"), "\"plain\"");
	CHECK_STR(jsons("a\"b\\c"), "\"a\\\"b\\\\c\"");
	CHECK_STR(jsons("l1\nl2"), "\"l1\\nl2\"");
	CHECK_STR(jsons("\t\r\x1b\x7f"), "\"\\u0009\\u000d\\u001b\\u007f\"");
	CHECK_STR(jsons_n("a\0b", 3), "\"a\\u0000b\"");
	CHECK_STR(jsons("\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8"),
		  "\"\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8\"");
	/* invalid UTF-8: one U+FFFD per maximal invalid subpart */
	CHECK_STR(jsons("a\xff!"), "\"a\xef\xbf\xbd!\"");
	CHECK_STR(jsons("\xe2\x82"), "\"\xef\xbf\xbd\"");
	CHECK_STR(jsons("\xe2\x82z"), "\"\xef\xbf\xbdz\"");
	CHECK_STR(jsons("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK_STR(jsons("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK_STR(jsons("\xf0\x9f\x98"), "\"\xef\xbf\xbd\"");
}

static void test_strbuf(void)
{
	struct strbuf b;
	char *s, want[64];
	size_t i;
	int ok = 1;

	sb_init(&b);
	CHECK(b.s == NULL && b.len == 0 && !b.oom);
	CHECK_STR(sb_str(&b), "");
	s = sb_detach(&b);
	CHECK_STR(s, "");
	free(s);

	for (i = 0; i < 1000; i++)
		sb_printf(&b, "%05zu,", i);
	CHECK(b.len == 6000 && strlen(b.s) == 6000 && b.cap > b.len && !b.oom);
	for (i = 0; i < 1000 && ok; i++) {
		snprintf(want, sizeof(want), "%05zu,", i);
		ok = memcmp(b.s + 6 * i, want, 6) == 0;
	}
	CHECK(ok);

	sb_reset(&b);
	CHECK(b.len == 0 && b.s && b.s[0] == '\0' && b.cap >= 6001);
	for (i = 0; i < 5000; i++)
		sb_putc(&b, (char)('a' + i % 26));
	sb_puts(&b, "END");
	sb_putn(&b, "xyz", 2);
	sb_putn(&b, NULL, 0);
	CHECK(b.len == 5005 && strlen(b.s) == 5005);
	CHECK(b.s[25] == 'z' && b.s[26] == 'a' && strcmp(b.s + 5000, "ENDxy") == 0);

	/* a long printf that has to grow the buffer in the middle */
	sb_reset(&b);
	sb_puts(&b, "<");
	sb_printf(&b, "%s|%8000d|", "head", 42);
	CHECK(b.len == 1 + 5 + 8000 + 1 && b.s[0] == '<' && strncmp(b.s + 1, "head|", 5) == 0);
	CHECK(strcmp(b.s + b.len - 3, "42|") == 0);

	s = sb_detach(&b);
	CHECK(s && strlen(s) == 8007);
	CHECK(b.s == NULL && b.len == 0 && b.cap == 0 && !b.oom);
	free(s);

	/* oom makes detach return NULL and reset clears it */
	sb_puts(&b, "abc");
	b.oom = true;
	sb_puts(&b, "def");
	CHECK_STR(b.s, "abc");
	sb_reset(&b);
	sb_puts(&b, "ok");
	CHECK_STR(b.s, "ok");
	b.oom = true;
	CHECK(sb_detach(&b) == NULL);
	CHECK(b.s == NULL);
	sb_free(&b);
	sb_free(&b);
}

/* Escaping by release: exact for the tables' rustcs, unknown where releases in between differ. */
static void test_rules(void)
{
	rules = rfmt_rules_for(63);
	CHECK_STR(chs(0x1cc3c), "'\\u{1cc3c}'"); /* unassigned in Unicode 14 */
	rules = rfmt_rules_for(95);
	CHECK_STR(chs(0x1cc3c), "'\xf0\x9c\xb0\xbc'");
	rules = rfmt_rules_for(70); /* Unicode 15: not known here */
	CHECK_STR(chs(0x1cc3c), "<ERANGE>");
	CHECK_STR(strs("a\xf0\x9c\xb0\xbc"), "<ERANGE>");
	CHECK_STR(chs(0xe9), "'\xc3\xa9'");
	CHECK_STR(chs(0x301), "'\\u{301}'");
	CHECK_STR(strs("x\xc3\xa9\n"), "\"x\xc3\xa9\\n\"");
	rules = rfmt_rules_for(0); /* unknown rustc: ASCII only */
	CHECK_STR(chs(0xe9), "<ERANGE>");
	CHECK_STR(chs('\x1b'), "'\\u{1b}'");
	CHECK_STR(strs("ok\t\""), "\"ok\\t\\\"\"");
	CHECK_STR(strs("\xc3\xa9"), "<ERANGE>");
	/* OsStr's Debug in rustc 1.63 escaped single quotes too */
	sb_reset(&sb);
	CHECK(rfmt_str_r(&sb, (const uint8_t *)"it's", 4, false, rfmt_rules_for(63), RFMT_ESCAPE_SQUOTE) == 0);
	CHECK_STR(sb_str(&sb), "\"it\\'s\"");
	rules = NULL;
}

int main(void)
{
	sb_init(&sb);
	run_golden(GOLDEN);
	rules = rfmt_rules_for(63);
	run_golden(GOLDEN_1_63);
	rules = NULL;
	test_rules();
	test_floats();
	test_chars_and_strs();
	test_ints();
	test_json();
	test_strbuf();
	sb_free(&sb);
	return unit_done("test_rustfmt");
}
