// SPDX-License-Identifier: MIT
/* TOML subset parser and config model: constructs, errors, warnings, globs. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "toml.h"
#include "unit.h"

static char err[512];

static struct toml_doc *parse(const char *text)
{
	struct toml_doc *doc = NULL;
	int ret = toml_parse(text, strlen(text), "t.toml", &doc, err, sizeof(err));

	if (ret)
		fprintf(stderr, "unexpected parse error: %s\n", err);
	CHECK(ret == 0 && doc);
	return doc;
}

/* Parses text expecting failure; returns the message. */
static const char *parse_err_n(const char *text, size_t len)
{
	struct toml_doc *doc = NULL;
	int ret = toml_parse(text, len, "t.toml", &doc, err, sizeof(err));

	CHECK(ret == -EINVAL);
	CHECK(doc == NULL);
	toml_free(doc);
	return err;
}

static const char *parse_err(const char *text)
{
	return parse_err_n(text, strlen(text));
}

static const struct toml_val *path(const struct toml_doc *doc, const char *a, const char *b,
				   const char *c)
{
	const struct toml_val *v = toml_get(toml_root(doc), a);

	if (b)
		v = toml_get(v, b);
	if (c)
		v = toml_get(v, c);
	return v;
}

static char warnings[4096];
static int nwarnings;

static void collect_warning(void *ctx, const char *msg)
{
	size_t n = strlen(warnings);

	CHECK(ctx == &nwarnings);
	snprintf(warnings + n, sizeof(warnings) - n, "%s\n", msg);
	nwarnings++;
}

static void init(struct config *cfg)
{
	config__init_defaults(cfg);
	cfg->warn = collect_warning;
	cfg->warn_ctx = &nwarnings;
	warnings[0] = 0;
	nwarnings = 0;
}

static int load(struct config *cfg, const char *text)
{
	return config__load_text(cfg, text, strlen(text), "rstrace.toml", err, sizeof(err));
}

static void test_basics(void)
{
	struct toml_doc *doc;
	const struct toml_val *v;
	const char *key;
	int line, col;

	doc = parse("# leading comment\n"
		    "\n"
		    "bare_key-1 = 1 # trailing comment\n"
		    "\"quoted key\" = 'lit'\n"
		    "'single quoted' = true\n"
		    "1234 = false\n"
		    "\"\" = \"empty key\"\n"
		    "a.b.c = 3\n"
		    "a . \"x.y\" . 'z' = 4\n"
		    "a.b.d = 5\n"
		    "\t  indented\t=\t\"tabs\"\t\n");
	CHECK(toml_type_of(toml_root(doc)) == TOML_TABLE);
	CHECK(toml_int(path(doc, "bare_key-1", NULL, NULL)) == 1);
	CHECK_STR(toml_str(path(doc, "quoted key", NULL, NULL)), "lit");
	CHECK(toml_bool(path(doc, "single quoted", NULL, NULL)) == true);
	v = path(doc, "1234", NULL, NULL);
	CHECK(toml_type_of(v) == TOML_BOOL && !toml_bool(v));
	CHECK_STR(toml_str(path(doc, "", NULL, NULL)), "empty key");
	CHECK(toml_int(path(doc, "a", "b", "c")) == 3);
	CHECK(toml_int(path(doc, "a", "b", "d")) == 5);
	CHECK(toml_int(path(doc, "a", "x.y", "z")) == 4);
	CHECK(path(doc, "a", "x", NULL) == NULL);
	CHECK_STR(toml_str(path(doc, "indented", NULL, NULL)), "tabs");
	/* File order is kept. */
	CHECK(toml_len(toml_root(doc)) == 7);
	v = toml_at(toml_root(doc), 1, &key);
	CHECK_STR(key, "quoted key");
	CHECK_STR(toml_str(v), "lit");
	toml_pos(path(doc, "a", "b", "d"), &line, &col);
	CHECK(line == 10 && col == 9);
	/* Wrong-type and NULL accessors are harmless. */
	CHECK(toml_str(path(doc, "1234", NULL, NULL)) == NULL);
	CHECK(toml_int(path(doc, "quoted key", NULL, NULL)) == 0);
	CHECK(toml_get(path(doc, "1234", NULL, NULL), "x") == NULL);
	CHECK(toml_at(toml_root(doc), 99, &key) == NULL && key == NULL);
	CHECK(toml_len(NULL) == 0 && toml_root(NULL) == NULL);
	toml_free(doc);
	toml_free(NULL);

	/* Empty input and comment-only input are empty tables. */
	doc = parse("");
	CHECK(toml_len(toml_root(doc)) == 0);
	toml_free(doc);
	doc = parse("# nothing\n\n   \n# at all");
	CHECK(toml_len(toml_root(doc)) == 0);
	toml_free(doc);
}

static void test_tables(void)
{
	struct toml_doc *doc;
	const struct toml_val *v;

	doc = parse("top = 0\n"
		    "[a.b]\n"
		    "x = 1\n"
		    "[a]\n" /* implicit table defined later: allowed */
		    "y = 2\n"
		    "[ \"q r\" . 's' ]\n"
		    "z = 3\n"
		    "[fruit]\n"
		    "apple.color = \"red\"\n"
		    "apple.taste.sweet = true\n"
		    "[fruit.apple.texture]\n" /* sub-table of a dotted-key table */
		    "smooth = true\n"
		    "[empty]\n");
	CHECK(toml_int(path(doc, "top", NULL, NULL)) == 0);
	CHECK(toml_int(path(doc, "a", "b", "x")) == 1);
	CHECK(toml_int(path(doc, "a", "y", NULL)) == 2);
	CHECK(toml_int(path(doc, "q r", "s", "z")) == 3);
	CHECK_STR(toml_str(path(doc, "fruit", "apple", "color")), "red");
	CHECK(toml_bool(toml_get(path(doc, "fruit", "apple", "taste"), "sweet")));
	CHECK(toml_bool(toml_get(path(doc, "fruit", "apple", "texture"), "smooth")));
	v = path(doc, "empty", NULL, NULL);
	CHECK(toml_type_of(v) == TOML_TABLE && toml_len(v) == 0);
	toml_free(doc);

	/* Inline tables, with dotted keys inside and nesting. */
	doc = parse("p = { x = 1, y.z = \"s\", y.w = [1, 2], q = { r = true } }\n"
		    "e = {}\n"
		    "f = {a=1,b=2}\n");
	CHECK(toml_int(path(doc, "p", "x", NULL)) == 1);
	CHECK_STR(toml_str(path(doc, "p", "y", "z")), "s");
	CHECK(toml_len(path(doc, "p", "y", "w")) == 2);
	CHECK(toml_bool(path(doc, "p", "q", "r")));
	CHECK(toml_type_of(path(doc, "e", NULL, NULL)) == TOML_TABLE);
	CHECK(toml_len(path(doc, "e", NULL, NULL)) == 0);
	CHECK(toml_int(path(doc, "f", "b", NULL)) == 2);
	toml_free(doc);
}

static void test_strings(void)
{
	struct toml_doc *doc;

	doc = parse("s = \"q\\\" b\\\\ n\\n t\\t r\\r b\\b f\\f\"\n"
		    "u = \"\\u00e9\\u20AC\\U0001F600\\U0000004A\"\n"
		    "l = 'C:\\path\\no escapes \" here'\n"
		    "raw = \"caf\xc3\xa9 \xe2\x82\xac\"\n"
		    "tab = \"a\tb\"\n"
		    "e = \"\"\n"
		    "el = ''\n"
		    "\"k\\u00e9y\" = 1\n"
		    "h = \"#not a comment\" # a comment\n");
	CHECK_STR(toml_str(path(doc, "s", NULL, NULL)), "q\" b\\ n\n t\t r\r b\b f\f");
	CHECK_STR(toml_str(path(doc, "u", NULL, NULL)), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80J");
	CHECK_STR(toml_str(path(doc, "l", NULL, NULL)), "C:\\path\\no escapes \" here");
	CHECK_STR(toml_str(path(doc, "raw", NULL, NULL)), "caf\xc3\xa9 \xe2\x82\xac");
	CHECK_STR(toml_str(path(doc, "tab", NULL, NULL)), "a\tb");
	CHECK_STR(toml_str(path(doc, "e", NULL, NULL)), "");
	CHECK_STR(toml_str(path(doc, "el", NULL, NULL)), "");
	CHECK(toml_int(path(doc, "k\xc3\xa9y", NULL, NULL)) == 1);
	CHECK_STR(toml_str(path(doc, "h", NULL, NULL)), "#not a comment");
	toml_free(doc);
}

static void test_integers(void)
{
	struct toml_doc *doc;

	doc = parse("a = 0\nb = +17\nc = -5\nd = 1_000_000\ne = 0xDEAD_beef\n"
		    "f = 0o755\ng = 0b1101\nh = 9223372036854775807\n"
		    "i = -9223372036854775808\nj = 0x7fffffffffffffff\nk = -0\nl = 0x0\n"
		    "m = 0o0_7\n");
	CHECK(toml_int(path(doc, "a", NULL, NULL)) == 0);
	CHECK(toml_type_of(path(doc, "a", NULL, NULL)) == TOML_INT);
	CHECK(toml_int(path(doc, "b", NULL, NULL)) == 17);
	CHECK(toml_int(path(doc, "c", NULL, NULL)) == -5);
	CHECK(toml_int(path(doc, "d", NULL, NULL)) == 1000000);
	CHECK(toml_int(path(doc, "e", NULL, NULL)) == 0xdeadbeef);
	CHECK(toml_int(path(doc, "f", NULL, NULL)) == 0755);
	CHECK(toml_int(path(doc, "g", NULL, NULL)) == 13);
	CHECK(toml_int(path(doc, "h", NULL, NULL)) == INT64_MAX);
	CHECK(toml_int(path(doc, "i", NULL, NULL)) == INT64_MIN);
	CHECK(toml_int(path(doc, "j", NULL, NULL)) == INT64_MAX);
	CHECK(toml_int(path(doc, "k", NULL, NULL)) == 0);
	CHECK(toml_int(path(doc, "l", NULL, NULL)) == 0);
	CHECK(toml_int(path(doc, "m", NULL, NULL)) == 7);
	toml_free(doc);
}

static void test_arrays(void)
{
	struct toml_doc *doc;
	const struct toml_val *v;

	doc = parse("a = [1, 2,]\n"
		    "b = [\n"
		    "  \"x\", # first\n"
		    "  # a whole comment line\n"
		    "\n"
		    "  'y'\n"
		    "  ,\n"
		    "]\n"
		    "c = []\n"
		    "d = [ [1, [2]], {k = 'v'}, true, \"s\" ]\n"
		    "e = [\r\n 1\r\n]\r\n"
		    "f = 7\n");
	v = path(doc, "a", NULL, NULL);
	CHECK(toml_type_of(v) == TOML_ARRAY && toml_len(v) == 2);
	CHECK(toml_int(toml_at(v, 1, NULL)) == 2);
	v = path(doc, "b", NULL, NULL);
	CHECK(toml_len(v) == 2);
	CHECK_STR(toml_str(toml_at(v, 0, NULL)), "x");
	CHECK_STR(toml_str(toml_at(v, 1, NULL)), "y");
	CHECK(toml_len(path(doc, "c", NULL, NULL)) == 0);
	v = path(doc, "d", NULL, NULL);
	CHECK(toml_len(v) == 4);
	CHECK(toml_int(toml_at(toml_at(toml_at(v, 0, NULL), 1, NULL), 0, NULL)) == 2);
	CHECK_STR(toml_str(toml_get(toml_at(v, 1, NULL), "k")), "v");
	CHECK(toml_bool(toml_at(v, 2, NULL)));
	CHECK(toml_len(path(doc, "e", NULL, NULL)) == 1);
	/* Newlines inside arrays still count lines. */
	v = path(doc, "f", NULL, NULL);
	CHECK(toml_int(v) == 7);
	{
		int line, col;

		toml_pos(v, &line, &col);
		CHECK(line == 14 && col == 5);
	}
	toml_free(doc);
}

static void test_line_endings(void)
{
	struct toml_doc *doc;

	/* CRLF, a BOM and no final newline. */
	doc = parse("\xef\xbb\xbf# c\r\n[t]\r\nk = 'v' # c\r\nn = 2");
	CHECK_STR(toml_str(path(doc, "t", "k", NULL)), "v");
	CHECK(toml_int(path(doc, "t", "n", NULL)) == 2);
	toml_free(doc);
	CHECK_STR(parse_err("a = 1\r\nb = \r\n"),
		  "t.toml:2:5: expected a value, found end of line");
}

struct bad {
	const char *text;
	const char *want;
};

static const struct bad bad_toml[] = {
    {"= 1\n", "t.toml:1:1: expected a key, found '='"},
    {"a =\n", "t.toml:1:4: expected a value, found end of line"},
    {"a = 1\nb\n", "t.toml:2:2: expected '=' after key \"b\""},
    {"a.b c = 1", "t.toml:1:5: expected '=' after key \"a.b\""},
    {"\"x y\".z 1", "t.toml:1:9: expected '=' after key \"'x y'.z\""},
    {"a = \"abc\n", "t.toml:1:9: unterminated string: expected closing \" before end of line"},
    {"a = 'abc", "t.toml:1:9: unterminated string: expected closing ' before end of file"},
    {"a = \"x\\q\"", "t.toml:1:7: invalid escape sequence '\\q'"},
    {"a = \"x\\ \"", "t.toml:1:7: expected an escape sequence after '\\'"},
    {"a = \"\\u12\"", "t.toml:1:6: expected 4 hex digits after '\\u'"},
    {"a = \"\\U0001F60\"", "t.toml:1:6: expected 8 hex digits after '\\U'"},
    {"a = \"\\uD800\"",
     "t.toml:1:6: invalid escape '\\uD800': surrogates are not Unicode scalar values"},
    {"a = \"\\U00110000\"", "t.toml:1:6: invalid escape '\\U00110000': beyond U+10FFFF"},
    {"a = \"\\u0000\"",
     "t.toml:1:6: NUL characters in strings are not supported by rstrace's TOML subset"},
    {"a = \"\x01\"", "t.toml:1:6: control character U+0001 must be escaped in a string"},
    {"a = 'x\x7f'", "t.toml:1:7: control character U+007F must be escaped in a string"},
    {"a = \"\xff\"", "t.toml:1:6: invalid UTF-8"},
    {"a = 1\n# \xc0\xaf overlong\n", "t.toml:2:3: invalid UTF-8"},
    {"a = '\xed\xa0\x80'", "t.toml:1:6: invalid UTF-8"},
    {"# c\x01\n", "t.toml:1:4: control character U+0001 is not allowed in a comment"},
    {"a = 1\nb = 2\na = 3\n", "t.toml:3:1: duplicate key \"a\""},
    {"\"a\" = 1\na = 2", "t.toml:2:1: duplicate key \"a\""},
    {"p = { x = 1, x = 2 }", "t.toml:1:14: duplicate key \"x\""},
    {"a.b = 1\na.b = 2", "t.toml:2:3: duplicate key \"a.b\""},
    {"[workspace.members]\nq = {}\n'q' = {}", "t.toml:3:1: duplicate key \"workspace.members.q\""},
    {"[\"x y\".z]\nv.w = 1\nv.w = 2", "t.toml:3:3: duplicate key \"'x y'.z.v.w\""},
    {"[t]\np = { x = 1, x = 2 }", "t.toml:2:14: duplicate key \"x\""},
    {"a = 1\na.b = 2\n", "t.toml:2:1: key \"a\" is already defined as an integer"},
    {"a.b = 1\na.b.c = 2", "t.toml:2:3: key \"a.b\" is already defined as an integer"},
    {"[t]\nx = 1\n[t]\n", "t.toml:3:1: table \"t\" is already defined"},
    {"[a]\nb.c = 1\n[a.b]\n", "t.toml:3:1: table \"a.b\" is already defined"},
    {"a.b = 1\n[a]\n", "t.toml:2:1: table \"a\" is already defined"},
    {"[a.b]\n[a]\nb.c = 1\n",
     "t.toml:3:1: table \"a.b\" is defined by a [header]; dotted keys cannot add to it"},
    {"a = 1\n[a]\n", "t.toml:2:2: key \"a\" is already defined as an integer"},
    {"a = [1]\n[a.b]\n", "t.toml:2:2: key \"a\" is already defined as an array"},
    {"a = {}\n[a.b]\n", "t.toml:2:2: cannot add keys to inline table \"a\""},
    {"a = {b = {}}\n[a.b.c]\n", "t.toml:2:2: cannot add keys to inline table \"a\""},
    {"a = {b.c = 1}\na.b.d = 2\n", "t.toml:2:1: cannot add keys to inline table \"a\""},
    {"p = { a = {}, a.b = 1 }", "t.toml:1:15: cannot add keys to inline table \"a\""},
    {"a = 9223372036854775808", "t.toml:1:5: integer does not fit in 64 bits (signed)"},
    {"a = -9223372036854775809", "t.toml:1:5: integer does not fit in 64 bits (signed)"},
    {"a = 0x8000000000000000", "t.toml:1:5: integer does not fit in 64 bits (signed)"},
    {"a = 123456789012345678901234567890", "t.toml:1:5: integer does not fit in 64 bits (signed)"},
    {"a = 012", "t.toml:1:5: leading zeros are not allowed in an integer"},
    {"a = -0_1", "t.toml:1:5: leading zeros are not allowed in an integer"},
    {"a = 1__0", "t.toml:1:7: '_' in an integer must be between two digits"},
    {"a = 1_", "t.toml:1:6: '_' in an integer must be between two digits"},
    {"a = 0x_1", "t.toml:1:7: '_' in an integer must be between two digits"},
    {"a = 0xg", "t.toml:1:7: expected a hexadecimal digit after '0x', found 'g'"},
    {"a = 0o8", "t.toml:1:7: expected an octal digit after '0o', found '8'"},
    {"a = 0b12", "t.toml:1:8: invalid character '2' in a binary integer"},
    {"a = 12abc", "t.toml:1:7: invalid character 'a' in a decimal integer"},
    {"a = +0x1", "t.toml:1:5: a sign is not allowed on a hexadecimal integer"},
    {"a = -", "t.toml:1:6: expected a digit after '-', found end of file"},
    {"a = 3.14", "t.toml:1:5: floats are not supported by rstrace's TOML subset"},
    {"a = 1e6", "t.toml:1:5: floats are not supported by rstrace's TOML subset"},
    {"a = -inf", "t.toml:1:5: floats are not supported by rstrace's TOML subset"},
    {"a = nan", "t.toml:1:5: floats are not supported by rstrace's TOML subset"},
    {"a = 1979-05-27", "t.toml:1:5: dates and times are not supported by rstrace's TOML subset"},
    {"a = 07:32:00", "t.toml:1:5: dates and times are not supported by rstrace's TOML subset"},
    {"a = \"\"\"x\"\"\"",
     "t.toml:1:5: multi-line strings are not supported by rstrace's TOML subset"},
    {"a = '''x'''", "t.toml:1:5: multi-line strings are not supported by rstrace's TOML subset"},
    {"x = 1\n[[x]]\n",
     "t.toml:2:1: arrays of tables ([[...]]) are not supported by rstrace's TOML subset"},
    {"a = hello", "t.toml:1:5: expected a value, found 'hello' (strings need quotes)"},
    {"a = True", "t.toml:1:5: expected a value, found 'True' (strings need quotes)"},
    {"a = @", "t.toml:1:5: expected a value, found '@'"},
    {"a = [1 2]", "t.toml:1:8: expected ',' or ']' after an array element, found '2'"},
    {"a = [1,,2]", "t.toml:1:8: expected a value, found ','"},
    {"a = [,]", "t.toml:1:6: expected a value, found ','"},
    {"a = [", "t.toml:1:6: expected ']' to close the array opened at 1:5, found end of file"},
    {"a = [1,\n2\n",
     "t.toml:3:1: expected ']' to close the array opened at 1:5, found end of file"},
    {"a = { b = 1\n", "t.toml:1:12: expected ',' or '}' in an inline table, found end of line"},
    {"a = { b = 1, }", "t.toml:1:14: trailing comma is not allowed in an inline table"},
    {"a = { b = 1 # c\n}", "t.toml:1:13: expected ',' or '}' in an inline table, found '#'"},
    {"a = {\nb = 1 }", "t.toml:1:6: expected a key, found end of line"},
    {"[a\n", "t.toml:1:3: expected ']' to close the table header, found end of line"},
    {"[a.]", "t.toml:1:4: expected a key, found ']'"},
    {"[]", "t.toml:1:2: expected a key, found ']'"},
    {"[a] x = 1", "t.toml:1:5: expected end of line after a table header, found 'x'"},
    {"a = 1 b = 2", "t.toml:1:7: expected end of line after a value, found 'b'"},
    {"a = \"x\" \"y\"", "t.toml:1:9: expected end of line after a value, found '\"'"},
    {"a = 1\rb = 2", "t.toml:1:6: expected end of line after a value, found byte 0x0d"},
    {"a = true1", "t.toml:1:5: expected a value, found 'true1' (strings need quotes)"},
    {"\xc3\xa9 = 1", "t.toml:1:1: expected a key, found '\xc3\xa9'"},
    {"a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
     "t.toml:1:37: arrays and inline tables nest deeper than 32"},
    {"a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a = 1",
     "t.toml:1:65: key has more than 32 dotted parts"},
    {"a = \"x\" # ok\nb = [\n  1, # one\n  2,\n]\nc = 1e5",
     "t.toml:6:5: floats are not supported by rstrace's TOML subset"},
};

static void test_malformed(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad_toml) / sizeof(bad_toml[0]); i++)
		CHECK_STR(parse_err(bad_toml[i].text), bad_toml[i].want);
	/* A NUL byte in the text is just another control character. */
	CHECK_STR(parse_err_n("a = 1\n\0", 7), "t.toml:2:1: expected a key, found byte 0x00");
	CHECK_STR(parse_err_n("a = 'x\0'", 8),
		  "t.toml:1:7: control character U+0000 must be escaped in a string");
	/* Tolerates a missing or tiny error buffer. */
	{
		struct toml_doc *doc = NULL;
		char tiny[4];

		CHECK(toml_parse("=", 1, "t.toml", &doc, NULL, 0) == -EINVAL);
		CHECK(toml_parse("=", 1, "t.toml", &doc, tiny, sizeof(tiny)) == -EINVAL);
		CHECK_STR(tiny, "t.t");
		CHECK(toml_parse(NULL, 0, NULL, &doc, err, sizeof(err)) == 0 && doc);
		toml_free(doc);
		CHECK(toml_parse("a = 1", 5, NULL, NULL, err, sizeof(err)) == -EINVAL);
	}
}

/* The FireDBG example from the design brief, byte for byte. */
static const char firedbg_example[] =
    "[workspace.members]\n"
    "quicksort = { trace = \"full\" }    # full | none | call-only (FireDBG has call-only; "
    "accept it, treat as full)\n"
    "my-lib = { trace = \"none\" }\n"
    "\n"
    "[trace]\n"
    "include = [\"geom::shapes::*\"]     # function-path globs added on top of the crate "
    "filter\n"
    "exclude = [\"*::fmt\", \"*::drop*\"]  # removed, even from traced crates\n"
    "max_array_size = 32               # elements per container\n"
    "max_string_bytes = 256\n"
    "max_depth = 4                     # pointer depth\n"
    "redact = [\"*password*\", \"*token*\", \"*secret*\"]  # parameter-name globs\n";

static void test_model_example(void)
{
	struct config cfg;

	init(&cfg);
	CHECK(cfg.max_array_size == 32 && cfg.max_string_bytes == 256 && cfg.max_depth == 4);
	CHECK(cfg.max_calls_per_sec == CONFIG_DEFAULT_MAX_CALLS_PER_SEC);
	CHECK(cfg.ncrates == 0 && cfg.ninclude == 0 && cfg.path == NULL);
	CHECK(load(&cfg, firedbg_example) == 0);
	CHECK(nwarnings == 0);
	CHECK(cfg.ncrates == 2);
	CHECK_STR(cfg.crates[0].name, "quicksort");
	CHECK(cfg.crates[0].mode == TRACE_FULL);
	CHECK_STR(cfg.crates[1].name, "my_lib");
	CHECK(cfg.crates[1].mode == TRACE_NONE);
	CHECK(config__crate_mode(&cfg, "quicksort") == TRACE_FULL);
	CHECK(config__crate_mode(&cfg, "my_lib") == TRACE_NONE);
	CHECK(config__crate_mode(&cfg, "my-lib") == TRACE_NONE);
	CHECK(config__crate_mode(&cfg, "my_li") == TRACE_DEFAULT);
	CHECK(config__crate_mode(&cfg, "std") == TRACE_DEFAULT);
	CHECK(config__crate_mode(&cfg, NULL) == TRACE_DEFAULT);
	CHECK(cfg.ninclude == 1);
	CHECK_STR(cfg.include[0], "geom::shapes::*");
	CHECK(cfg.nexclude == 2);
	CHECK_STR(cfg.exclude[0], "*::fmt");
	CHECK_STR(cfg.exclude[1], "*::drop*");
	CHECK(cfg.nredact == 3);
	CHECK_STR(cfg.redact[2], "*secret*");
	CHECK(cfg.max_array_size == 32 && cfg.max_string_bytes == 256 && cfg.max_depth == 4);
	CHECK_STR(cfg.path, "rstrace.toml");
	CHECK(config__redacted(&cfg, "password"));
	CHECK(config__redacted(&cfg, "user_password_hash"));
	CHECK(config__redacted(&cfg, "API_TOKEN"));
	CHECK(config__redacted(&cfg, "clientSecret"));
	CHECK(!config__redacted(&cfg, "pass"));
	CHECK(!config__redacted(&cfg, "len"));
	CHECK(!config__redacted(&cfg, NULL));
	config__free(&cfg);
	CHECK(cfg.crates == NULL && cfg.ncrates == 0 && cfg.path == NULL);
	config__free(&cfg);
	CHECK(!config__redacted(&cfg, "password"));
}

static void test_model_firedbg(void)
{
	struct config cfg;

	/* FireDBG's README form and its own test file, unchanged. */
	init(&cfg);
	CHECK(load(&cfg, "[workspace.members]\n"
			 "quicksort = { trace = \"full\" }\n"
			 "# Syntax: <PACKAGE> = { trace = \"<full | none>\" }\n") == 0);
	CHECK(config__crate_mode(&cfg, "quicksort") == TRACE_FULL);
	config__free(&cfg);

	init(&cfg);
	CHECK(load(&cfg, "\n"
			 "            [workspace.members]\n"
			 "            sea-query = { trace = \"full\" }\n"
			 "            main-one = { trace = \"call-only\" } \n"
			 "            main-two = { trace = \"none\" } \n"
			 "            shared = {}\n"
			 "        ") == 0);
	CHECK(nwarnings == 0);
	CHECK(cfg.ncrates == 4);
	CHECK(config__crate_mode(&cfg, "sea_query") == TRACE_FULL);
	CHECK(config__crate_mode(&cfg, "main_one") == TRACE_FULL);
	CHECK(config__crate_mode(&cfg, "main_two") == TRACE_NONE);
	CHECK(config__crate_mode(&cfg, "shared") == TRACE_DEFAULT);
	config__free(&cfg);

	/* The same data spelled with headers and dotted keys. */
	init(&cfg);
	CHECK(load(&cfg, "[workspace.members.quicksort]\n"
			 "trace = \"full\"\n"
			 "[workspace.members.\"my-lib\"]\n"
			 "trace = 'none'\n"
			 "[trace]\n"
			 "max_depth = 0\n") == 0);
	CHECK(config__crate_mode(&cfg, "quicksort") == TRACE_FULL);
	CHECK(config__crate_mode(&cfg, "my_lib") == TRACE_NONE);
	CHECK(cfg.max_depth == 0);
	config__free(&cfg);

	init(&cfg);
	CHECK(load(&cfg, "workspace.members.a-b-c.trace = \"none\"\n"
			 "trace.max_array_size = 65536\n"
			 "trace.max_string_bytes = 1_048_576\n"
			 "trace.max_depth = 16\n"
			 "trace.max_calls_per_sec = 0\n") == 0);
	CHECK(cfg.max_calls_per_sec == 0);
	CHECK_STR(cfg.crates[0].name, "a_b_c");
	CHECK(config__crate_mode(&cfg, "a-b-c") == TRACE_NONE);
	CHECK(cfg.max_array_size == 65536 && cfg.max_string_bytes == 1048576 &&
	      cfg.max_depth == 16);
	config__free(&cfg);
}

static void test_model_warnings(void)
{
	struct config cfg;

	init(&cfg);
	CHECK(load(&cfg, "title = \"x\"\n"
			 "[workspace]\n"
			 "members = [\"crates/*\"]\n"
			 "resolver = \"2\"\n"
			 "[workspace.members2]\n"
			 "[trace]\n"
			 "max_dept = 3\n"
			 "include = []\n"
			 "[workspace.package]\n"
			 "edition = \"2021\"\n") == 0);
	CHECK_STR(warnings,
		  "rstrace.toml:1:1: warning: unknown key \"title\" ignored\n"
		  "rstrace.toml:3:1: warning: workspace.members as an array (Cargo style) is "
		  "ignored; use [workspace.members] with name = { trace = \"full\" }\n"
		  "rstrace.toml:4:1: warning: unknown key \"workspace.resolver\" ignored\n"
		  "rstrace.toml:5:12: warning: unknown key \"workspace.members2\" ignored\n"
		  "rstrace.toml:9:12: warning: unknown key \"workspace.package\" ignored\n"
		  "rstrace.toml:7:1: warning: unknown key \"trace.max_dept\" ignored\n");
	CHECK(nwarnings == 6);
	CHECK(cfg.max_depth == 4);
	CHECK(cfg.ninclude == 0 && cfg.include != NULL);
	config__free(&cfg);

	init(&cfg);
	CHECK(load(&cfg, "[workspace.members]\n"
			 "q = { trace = \"full\", tracee = 1 }\n"
			 "\"we ird\" = { \"x\" = 1 }\n") == 0);
	CHECK_STR(warnings,
		  "rstrace.toml:2:23: warning: unknown key \"workspace.members.q.tracee\" ignored\n"
		  "rstrace.toml:3:14: warning: unknown key \"workspace.members.'we ird'.x\" "
		  "ignored\n");
	CHECK(config__crate_mode(&cfg, "q") == TRACE_FULL);
	CHECK(config__crate_mode(&cfg, "we ird") == TRACE_DEFAULT);
	config__free(&cfg);
}

static const struct bad bad_model[] = {
    {"[trace]\nmax_depth = \"x\"\n",
     "rstrace.toml:2:13: trace.max_depth must be an integer, found a string"},
    {"[trace]\nmax_depth = 17\n",
     "rstrace.toml:2:13: trace.max_depth must be between 0 and 16, found 17"},
    {"[trace]\nmax_depth = -1\n",
     "rstrace.toml:2:13: trace.max_depth must be between 0 and 16, found -1"},
    {"[trace]\nmax_calls_per_sec = -5\n",
     "rstrace.toml:2:21: trace.max_calls_per_sec must be between 0 and 1000000000, found -5"},
    {"[trace]\nmax_array_size = -1\n",
     "rstrace.toml:2:18: trace.max_array_size must be between 1 and 65536, found -1"},
    {"[trace]\nmax_array_size = 0x7fffffffffffffff\n",
     "rstrace.toml:2:18: trace.max_array_size must be between 1 and 65536, found "
     "9223372036854775807"},
    {"trace.max_string_bytes = 0",
     "rstrace.toml:1:26: trace.max_string_bytes must be between 1 and 1048576, found 0"},
    {"trace.max_string_bytes = true",
     "rstrace.toml:1:26: trace.max_string_bytes must be an integer, found a boolean"},
    {"[workspace.members]\nquicksort = { trace = \"fast\" }\n",
     "rstrace.toml:2:23: workspace.members.quicksort.trace must be \"full\", \"none\" or "
     "\"call-only\", found \"fast\""},
    {"[workspace.members]\nq = { trace = \"Full\\n\" }\n",
     "rstrace.toml:2:15: workspace.members.q.trace must be \"full\", \"none\" or "
     "\"call-only\", found \"Full\\u000A\""},
    {"[workspace.members]\nq = { trace = "
     "\"0123456789012345678901234567890123456789012345\xc3\xa9\xc3\xa9\" }",
     "rstrace.toml:2:15: workspace.members.q.trace must be \"full\", \"none\" or "
     "\"call-only\", found \"0123456789012345678901234567890123456789012345\xc3\xa9...\""},
    {"[workspace.members]\nq = { trace = 1 }\n",
     "rstrace.toml:2:15: workspace.members.q.trace must be a string, found an integer"},
    {"[workspace.members]\nq = \"full\"\n",
     "rstrace.toml:2:5: workspace.members.q must be a table like { trace = \"full\" }, found "
     "a string"},
    {"[workspace.members]\n\"\" = {}\n",
     "rstrace.toml:2:1: workspace member names must not be empty"},
    {"[workspace.members]\nmy-lib = {}\nmy_lib = { trace = \"full\" }\n",
     "rstrace.toml:3:1: workspace.members.my_lib names the same crate as an earlier member "
     "('-' and '_' are alike in crate names)"},
    {"workspace = []", "rstrace.toml:1:13: workspace must be a table, found an array"},
    {"workspace.members = 1",
     "rstrace.toml:1:21: workspace.members must be a table, found an integer"},
    {"trace = 1", "rstrace.toml:1:9: trace must be a table, found an integer"},
    {"[trace]\ninclude = \"geom::*\"\n",
     "rstrace.toml:2:11: trace.include must be an array of strings, found a string"},
    {"[trace]\ninclude = [\"a\", 1]\n",
     "rstrace.toml:2:17: trace.include[1] must be a string, found an integer"},
    {"[trace]\nexclude = [[\"a\"]]\n",
     "rstrace.toml:2:12: trace.exclude[0] must be a string, found an array"},
    {"[trace]\nredact = [\"\"]\n", "rstrace.toml:2:11: trace.redact[0] must not be empty"},
    /* Syntax errors come through config__load_text unchanged. */
    {"[a]\nb = 1\n  trace \"full\"\n", "rstrace.toml:3:9: expected '=' after key \"trace\""},
};

static void test_model_errors(void)
{
	struct config cfg;
	size_t i;

	for (i = 0; i < sizeof(bad_model) / sizeof(bad_model[0]); i++) {
		init(&cfg);
		CHECK(load(&cfg, bad_model[i].text) == -EINVAL);
		CHECK_STR(err, bad_model[i].want);
		config__free(&cfg);
	}

	/* A failed load leaves the config exactly as it was. */
	init(&cfg);
	CHECK(load(&cfg, "workspace.members.a = { trace = 'full' }\n"
			 "trace.include = ['x']\ntrace.max_depth = 2\n") == 0);
	CHECK(load(&cfg,
		   "workspace.members.b = { trace = 'none' }\n"
		   "trace.include = ['y', 'z']\ntrace.max_depth = 3\ntrace.exclude = [1]\n") ==
	      -EINVAL);
	CHECK_STR(err, "rstrace.toml:4:18: trace.exclude[0] must be a string, found an integer");
	CHECK(cfg.ncrates == 1 && config__crate_mode(&cfg, "b") == TRACE_DEFAULT);
	CHECK(cfg.ninclude == 1);
	CHECK_STR(cfg.include[0], "x");
	CHECK(cfg.max_depth == 2);
	config__free(&cfg);
}

static void test_model_layering(void)
{
	const char *second = "workspace.members.b = { trace = 'none' }\n"
			     "workspace.members.c = { trace = 'none' }\n"
			     "trace.include = ['y', 'z']\ntrace.max_depth = 3\n";
	struct config cfg;

	/* Later loads override what they set and keep the rest. */
	init(&cfg);
	CHECK(load(&cfg, "workspace.members.a = { trace = 'full' }\n"
			 "workspace.members.b = { trace = 'full' }\n"
			 "trace.include = ['x']\ntrace.redact = ['*pw*']\n") == 0);
	CHECK(config__load_text(&cfg, second, strlen(second), "second.toml", err, sizeof(err)) ==
	      0);
	CHECK(cfg.ncrates == 3);
	CHECK(config__crate_mode(&cfg, "a") == TRACE_FULL);
	CHECK(config__crate_mode(&cfg, "b") == TRACE_NONE);
	CHECK(config__crate_mode(&cfg, "c") == TRACE_NONE);
	CHECK(cfg.ninclude == 2);
	CHECK_STR(cfg.include[1], "z");
	CHECK(cfg.nredact == 1 && config__redacted(&cfg, "my_PW"));
	CHECK(cfg.max_depth == 3);
	CHECK_STR(cfg.path, "second.toml");
	config__free(&cfg);

	/* NULL name: messages say <config>, path stays NULL. */
	init(&cfg);
	CHECK(config__load_text(&cfg, "x = 1", 5, NULL, err, sizeof(err)) == 0);
	CHECK_STR(warnings, "<config>:1:1: warning: unknown key \"x\" ignored\n");
	CHECK(cfg.path == NULL);
	CHECK(config__load_text(&cfg, "x =", 3, NULL, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "<config>:1:4: expected a value, found end of file");
	config__free(&cfg);
}

static void test_glob(void)
{
	CHECK(config__glob("*", ""));
	CHECK(config__glob("*", "a::b::c"));
	CHECK(config__glob("", ""));
	CHECK(!config__glob("", "a"));
	CHECK(config__glob("geom::shapes::*", "geom::shapes::area"));
	CHECK(config__glob("geom::shapes::*", "geom::shapes::Circle::new"));
	CHECK(config__glob("geom::shapes::*", "geom::shapes::"));
	CHECK(!config__glob("geom::shapes::*", "geom::shape"));
	CHECK(!config__glob("geom::shapes::*", "xgeom::shapes::area"));
	CHECK(config__glob("*::fmt", "<geom::Point as core::fmt::Debug>::fmt"));
	CHECK(!config__glob("*::fmt", "core::fmt::write"));
	CHECK(config__glob("*::drop*", "core::ptr::drop_in_place<alloc::vec::Vec<u8>>"));
	CHECK(config__glob("*::drop*", "<T as core::ops::Drop>::drop"));
	CHECK(!config__glob("*::drop*", "dropper"));
	CHECK(config__glob("a?c", "abc"));
	CHECK(!config__glob("a?c", "ac"));
	CHECK(!config__glob("a?c", "abbc"));
	CHECK(config__glob("caf?", "caf\xc3\xa9"));
	CHECK(!config__glob("caf??", "caf\xc3\xa9"));
	CHECK(config__glob("?\xe2\x82\xac", "x\xe2\x82\xac"));
	CHECK(config__glob("a*b*c", "axxbxxbxc"));
	CHECK(!config__glob("a*b*c", "axxbxxbx"));
	CHECK(config__glob("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaab"));
	CHECK(!config__glob("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaa"));
	CHECK(config__glob("**x**", "x"));
	CHECK(config__glob("*?", "z"));
	CHECK(!config__glob("*?", ""));
	CHECK(config__glob("[a]{b}.c+", "[a]{b}.c+"));
	CHECK(!config__glob("[a]", "a"));
	CHECK(!config__glob("Foo", "foo"));
	CHECK(!config__glob(NULL, "x"));
	CHECK(!config__glob("x", NULL));
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static void test_files(void)
{
	char dir[] = "/tmp/test_config.XXXXXX", p[600], want[700];
	struct config cfg;
	int ret;

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	init(&cfg);
	CHECK(config__find_and_load(&cfg, dir, err, sizeof(err)) == 0);
	CHECK(cfg.path == NULL && cfg.ncrates == 0);

	write_file(dir, "firedbg.toml", "[workspace.members]\nfd = { trace = \"full\" }\n");
	CHECK(config__find_and_load(&cfg, dir, err, sizeof(err)) == 1);
	snprintf(p, sizeof(p), "%s/firedbg.toml", dir);
	CHECK_STR(cfg.path, p);
	CHECK(config__crate_mode(&cfg, "fd") == TRACE_FULL);
	config__free(&cfg);

	init(&cfg);
	write_file(dir, "rstrace.toml", "[workspace.members]\nrs = { trace = \"none\" }\n");
	CHECK(config__find_and_load(&cfg, dir, err, sizeof(err)) == 1);
	snprintf(p, sizeof(p), "%s/rstrace.toml", dir);
	CHECK_STR(cfg.path, p);
	CHECK(config__crate_mode(&cfg, "rs") == TRACE_NONE);
	CHECK(config__crate_mode(&cfg, "fd") == TRACE_DEFAULT);
	config__free(&cfg);

	init(&cfg);
	write_file(dir, "rstrace.toml", "[trace]\nmax_depth 4\n");
	CHECK(config__find_and_load(&cfg, dir, err, sizeof(err)) == -EINVAL);
	snprintf(want, sizeof(want), "%s/rstrace.toml:2:11: expected '=' after key \"max_depth\"",
		 dir);
	CHECK_STR(err, want);
	CHECK(cfg.path == NULL);

	CHECK(config__load(&cfg, p, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, want);
	snprintf(p, sizeof(p), "%s/missing.toml", dir);
	CHECK(config__load(&cfg, p, err, sizeof(err)) == -ENOENT);
	snprintf(want, sizeof(want), "%s: %s", p, strerror(ENOENT));
	CHECK_STR(err, want);
	CHECK(config__load(&cfg, dir, err, sizeof(err)) == -EISDIR);
	CHECK(config__load(&cfg, NULL, err, sizeof(err)) == -EINVAL);
	config__free(&cfg);

	/* A config file is small; a huge one is refused before parsing. */
	{
		FILE *f;
		int i;

		snprintf(p, sizeof(p), "%s/big.toml", dir);
		f = fopen(p, "w");
		CHECK(f != NULL);
		for (i = 0; f && i < (1 << 20) / 16 + 1; i++)
			fputs("# 16 bytes ....\n", f);
		if (f)
			fclose(f);
		init(&cfg);
		CHECK(config__load(&cfg, p, err, sizeof(err)) == -EFBIG);
		snprintf(want, sizeof(want), "%s: config file larger than 1 MiB", p);
		CHECK_STR(err, want);
		config__free(&cfg);
		unlink(p);
	}

	/* The cwd form names files without a directory, as users typed them. */
	init(&cfg);
	CHECK(chdir(dir) == 0);
	CHECK(config__find_and_load(&cfg, NULL, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "rstrace.toml:2:11: expected '=' after key \"max_depth\"");
	write_file(".", "rstrace.toml", "trace.max_depth = 5\n");
	CHECK(config__find_and_load(&cfg, ".", err, sizeof(err)) == 1);
	CHECK(cfg.max_depth == 5);
	CHECK_STR(cfg.path, "rstrace.toml");
	config__free(&cfg);
	CHECK(chdir("/") == 0);

	snprintf(p, sizeof(p), "%s/rstrace.toml", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/firedbg.toml", dir);
	unlink(p);
	ret = rmdir(dir);
	CHECK(ret == 0);
}

int main(void)
{
	test_basics();
	test_tables();
	test_strings();
	test_integers();
	test_arrays();
	test_line_endings();
	test_malformed();
	test_model_example();
	test_model_firedbg();
	test_model_warnings();
	test_model_errors();
	test_model_layering();
	test_glob();
	test_files();
	return unit_done("test_config");
}
