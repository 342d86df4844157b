// SPDX-License-Identifier: MIT
/* Unit tests of the trace readers' pure parts: values JSON, times, durations, value cutting. */
#include <errno.h>
#include <stdlib.h>
#include "rustfmt.h"
#include "tree.h"
#include "unit.h"
#include "view.h"

static void test_parse_args(void)
{
	struct view_values vv;

	CHECK(view__parse_values("[]", false, &vv) == 0 && vv.n == 0);
	CHECK(view__parse_values(
		  " [ {\"name\":\"s\",\"type\":\"&str\",\"value\":\"\\\"a\\\\\\\"b\\\"\"},"
		  " {\"name\":\"p\",\"type\":\"*const u8\",\"value\":null,"
		  "\"error\":\"raw pointer\"},"
		  " {\"name\":\"v\",\"type\":\"Vec<u8>\",\"value\":\"[1]\","
		  "\"truncated\":true,\"extra\":{\"a\":[1,2,{\"b\":\"]\"}]}} ]",
		  false, &vv) == 0);
	CHECK(vv.n == 3);
	if (vv.n == 3) {
		CHECK_STR(vv.v[0].name, "s");
		CHECK_STR(vv.v[0].value, "\"a\\\"b\"");
		CHECK(vv.v[1].value == NULL);
		CHECK_STR(vv.v[1].error, "raw pointer");
		CHECK(vv.v[2].truncated && !vv.v[0].truncated);
	}
	view__values_free(&vv);

	/* \u escapes, surrogate pairs, control characters */
	CHECK(view__parse_values("{\"type\":\"char\",\"value\":\"'\\u00e9' \\ud83d\\ude00\\n\"}",
				 true, &vv) == 0 &&
	      vv.n == 1);
	if (vv.n == 1)
		CHECK_STR(vv.v[0].value, "'\xc3\xa9' \xf0\x9f\x98\x80\n");
	view__values_free(&vv);

	/* malformed input leaves nothing behind */
	CHECK(view__parse_values("[{\"name\":\"x\"", false, &vv) == -EINVAL && vv.n == 0);
	CHECK(view__parse_values("[{\"name\":\"x\"},", false, &vv) == -EINVAL && vv.n == 0);
	CHECK(view__parse_values("{\"value\":\"\\u12\"}", true, &vv) == -EINVAL);
	CHECK(view__parse_values(NULL, true, &vv) == -EINVAL);
	CHECK(view__parse_values("", false, &vv) == -EINVAL);
}

static void test_err(void)
{
	struct view_value v = { .type = "core::result::Result<u32, alloc::string::String>",
				.value = "Err(\"no\")" };

	CHECK(view__value_is_err(&v));
	v.value = "Ok(1)";
	CHECK(!view__value_is_err(&v));
	v.type = "core::option::Option<u32>";
	v.value = "Err(1)"; /* only a Result's Err is an error */
	CHECK(!view__value_is_err(&v));
	CHECK(view__ret_is_err("{\"type\":\"core::result::Result<(), E>\",\"value\":\"Err(E)\"}"));
	CHECK(!view__ret_is_err("{\"type\":\"&str\",\"value\":\"\\\"Err(\\\"\"}"));
	CHECK(!view__ret_is_err(NULL));
}

static void test_time(void)
{
	int64_t t = 0;

	CHECK(view__parse_time("10ms", 1000, &t) == 0 && t == 1000 + 10000000);
	CHECK(view__parse_time("1.5s", 0, &t) == 0 && t == 1500000000);
	CHECK(view__parse_time("200us", 0, &t) == 0 && t == 200000);
	CHECK(view__parse_time("300ns", 5, &t) == 0 && t == 305);
	CHECK(view__parse_time("42", 0, &t) == 0 && t == 42);
	/* an epoch timestamp stays exact (19 digits do not fit a double) */
	CHECK(view__parse_time("1700000000123456789", 5, &t) == 0 && t == 1700000000123456789LL);
	CHECK(view__parse_time("10 ms", 0, &t) == -EINVAL);
	CHECK(view__parse_time("-1ms", 0, &t) == -EINVAL);
	CHECK(view__parse_time("ms", 0, &t) == -EINVAL);
	CHECK(view__parse_time("", 0, &t) == -EINVAL);
}

static void test_duration(void)
{
	char b[32];

	view__fmt_duration(b, sizeof(b), 999);
	CHECK_STR(b, "999 ns");
	view__fmt_duration(b, sizeof(b), 1000);
	CHECK_STR(b, "1.000 us");
	view__fmt_duration(b, sizeof(b), 12345678);
	CHECK_STR(b, "12.346 ms");
	view__fmt_duration(b, sizeof(b), 3000000000LL);
	CHECK_STR(b, "3.000 s");
	view__fmt_duration(b, sizeof(b), -1);
	CHECK_STR(b, "?");
}

static void test_value_cut(void)
{
	struct view_value v = { .value = "h\xc3\xa9llo" };
	struct strbuf sb;

	sb_init(&sb);
	tree__value(&sb, &v, 3);
	CHECK_STR(sb_str(&sb), "h\xc3\xa9\xe2\x80\xa6"); /* whole characters, then … */
	sb_reset(&sb);
	tree__value(&sb, &v, 0);
	CHECK_STR(sb_str(&sb), "h\xc3\xa9llo");
	sb_reset(&sb);
	v.truncated = true;
	tree__value(&sb, &v, 60);
	CHECK_STR(sb_str(&sb), "h\xc3\xa9llo\xe2\x80\xa6");
	sb_reset(&sb);
	v.value = NULL;
	tree__value(&sb, &v, 60);
	CHECK_STR(sb_str(&sb), "?");
	sb_free(&sb);
}

int main(void)
{
	test_parse_args();
	test_err();
	test_time();
	test_duration();
	test_value_cut();
	return unit_done("test_view");
}
