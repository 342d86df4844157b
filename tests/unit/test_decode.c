// SPDX-License-Identifier: MIT
/*
 * user/decode.c without BPF or DWARF: type models built by hand, capture
 * plans with the steps plan.c would make, and event records laid out as the
 * BPF program writes them. Checks the printed values and, above all, that
 * missing or doubtful bytes give null + "error" rather than a value.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "decode.h"
#include "tree.h"
#include "unit.h"
#include "view.h"

/* ---- type models ---- */

static struct rtype t_u8 = { .kind = RK_UINT, .name = "u8", .debug_name = "u8", .size = 1, .sized = true };
static struct rtype t_u16 = { .kind = RK_UINT, .name = "u16", .debug_name = "u16", .size = 2, .sized = true };
static struct rtype t_i32 = { .kind = RK_INT, .name = "i32", .debug_name = "i32", .size = 4, .sized = true };
static struct rtype t_u32 = { .kind = RK_UINT, .name = "u32", .debug_name = "u32", .size = 4, .sized = true };
static struct rtype t_u64 = { .kind = RK_UINT, .name = "u64", .debug_name = "u64", .size = 8, .sized = true };
static struct rtype t_i64 = { .kind = RK_INT, .name = "isize", .debug_name = "isize", .size = 8, .sized = true };
static struct rtype t_ptr_u8 = { .kind = RK_PTR, .name = "*const u8", .size = 8, .sized = true, .target = &t_u8 };

/* &str: { data_ptr, length } */
static struct rtype t_str = { .kind = RK_STR, .name = "&str", .debug_name = "&str", .size = 16,
			      .sized = true, .target = &t_u8, .ptr_off = 0, .len_off = 8 };
/* &[i32] */
static struct rtype t_slice = { .kind = RK_SLICE, .name = "&[i32]", .debug_name = "&[i32]",
				.size = 16, .sized = true, .target = &t_i32, .ptr_off = 0, .len_off = 8 };
/* &u8, &&u8 */
static struct rtype t_ref_u8 = { .kind = RK_REF, .name = "&u8", .size = 8, .sized = true, .target = &t_u8 };
static struct rtype t_ref_ref_u8 = { .kind = RK_REF, .name = "&&u8", .size = 8, .sized = true,
				     .target = &t_ref_u8 };

/* struct Point { x: i32, y: i32 } (derived Debug) */
static struct rfield point_fields[] = { { "x", 0, &t_i32 }, { "y", 4, &t_i32 } };
static struct rtype t_point = { .kind = RK_STRUCT, .name = "demo::Point", .debug_name = "Point",
				.size = 8, .sized = true, .fields = point_fields, .nfields = 2,
				.debug = RDBG_DERIVED };
/* struct Secret(u32) with a manual impl Debug */
static struct rfield secret_fields[] = { { "__0", 0, &t_u32 } };
static struct rtype t_secret = { .kind = RK_STRUCT, .name = "demo::Secret", .debug_name = "Secret",
				 .size = 4, .sized = true, .fields = secret_fields, .nfields = 1,
				 .tuple_fields = true, .debug = RDBG_CUSTOM };

/* enum Color { Red = 1, Green = 20, Blue = 300 } */
static struct rvariant color_vars[] = { { "Red", true, 1, NULL }, { "Green", true, 20, NULL },
					{ "Blue", true, 300, NULL } };
static struct rtype t_color = { .kind = RK_CENUM, .name = "demo::Color", .debug_name = "Color",
				.size = 2, .sized = true, .variants = color_vars, .nvariants = 3,
				.debug = RDBG_DERIVED };
/* core::cmp::Ordering: i8 -1 / 0 / 1, values kept as the low byte */
static struct rvariant ord_vars[] = { { "Less", true, 0xff, NULL }, { "Equal", true, 0, NULL },
				      { "Greater", true, 1, NULL } };
static struct rtype t_ordering = { .kind = RK_CENUM, .name = "core::cmp::Ordering",
				   .debug_name = "Ordering", .size = 1, .sized = true,
				   .variants = ord_vars, .nvariants = 3 };

/* Option<u32>: tag u32 at 0, Some.__0 at 4 */
static struct rtype t_none = { .kind = RK_STRUCT, .name = "None", .debug_name = "None", .size = 8,
			       .sized = true };
static struct rfield some_u32_fields[] = { { "__0", 4, &t_u32 } };
static struct rtype t_some_u32 = { .kind = RK_STRUCT, .name = "Some", .debug_name = "Some", .size = 8,
				   .sized = true, .fields = some_u32_fields, .nfields = 1,
				   .tuple_fields = true };
static struct rvariant opt_u32_vars[] = { { "None", true, 0, &t_none }, { "Some", true, 1, &t_some_u32 } };
static struct rtype t_opt_u32 = { .kind = RK_ENUM, .name = "core::option::Option<u32>",
				  .debug_name = "Option", .size = 8, .sized = true,
				  .discr = { NULL, 0, &t_u32 }, .variants = opt_u32_vars, .nvariants = 2 };

/* Option<&u8>: niche, the pointer is the discriminant, None = 0, Some the default */
static struct rfield some_ref_fields[] = { { "__0", 0, &t_ref_u8 } };
static struct rtype t_some_ref = { .kind = RK_STRUCT, .name = "Some", .debug_name = "Some", .size = 8,
				   .sized = true, .fields = some_ref_fields, .nfields = 1,
				   .tuple_fields = true };
static struct rvariant opt_ref_vars[] = { { "None", true, 0, &t_none }, { "Some", false, 0, &t_some_ref } };
static struct rtype t_opt_ref = { .kind = RK_ENUM, .name = "core::option::Option<&u8>",
				  .debug_name = "Option", .size = 8, .sized = true,
				  .discr = { NULL, 0, &t_u64 }, .variants = opt_ref_vars, .nvariants = 2 };

/* Option<Option<u8>>: tag byte 0/1 = inner None/Some, 2 = outer None */
static struct rfield some_u8_fields[] = { { "__0", 1, &t_u8 } };
static struct rtype t_some_u8 = { .kind = RK_STRUCT, .name = "Some", .debug_name = "Some", .size = 2,
				  .sized = true, .fields = some_u8_fields, .nfields = 1, .tuple_fields = true };
static struct rtype t_none2 = { .kind = RK_STRUCT, .name = "None", .debug_name = "None", .size = 2, .sized = true };
static struct rvariant opt_u8_vars[] = { { "None", true, 0, &t_none2 }, { "Some", true, 1, &t_some_u8 } };
static struct rtype t_opt_u8 = { .kind = RK_ENUM, .name = "core::option::Option<u8>", .debug_name = "Option",
				 .size = 2, .sized = true, .discr = { NULL, 0, &t_u8 },
				 .variants = opt_u8_vars, .nvariants = 2 };
static struct rfield some_opt_fields[] = { { "__0", 0, &t_opt_u8 } };
static struct rtype t_some_opt = { .kind = RK_STRUCT, .name = "Some", .debug_name = "Some", .size = 2,
				   .sized = true, .fields = some_opt_fields, .nfields = 1, .tuple_fields = true };
static struct rvariant opt_opt_vars[] = { { "None", true, 2, &t_none2 }, { "Some", false, 0, &t_some_opt } };
static struct rtype t_opt_opt = { .kind = RK_ENUM, .name = "core::option::Option<core::option::Option<u8>>",
				  .debug_name = "Option", .size = 2, .sized = true,
				  .discr = { NULL, 0, &t_u8 }, .variants = opt_opt_vars, .nvariants = 2 };

/* Duration { secs: u64, nanos: u32 at 8 } */
static struct rtype t_duration = { .kind = RK_DURATION, .name = "core::time::Duration",
				   .debug_name = "Duration", .size = 16, .sized = true,
				   .ptr_off = 0, .len_off = 8 };
/* RefCell<u8>: borrow flag isize at 0, value at 8 */
static struct rtype t_refcell = { .kind = RK_REFCELL, .name = "core::cell::RefCell<u8>",
				  .debug_name = "RefCell", .size = 16, .sized = true, .len_off = 0,
				  .inner = &t_u8, .inner_off = 8 };
/* NonZero<u16> */
static struct rtype t_nz = { .kind = RK_INNER, .name = "core::num::nonzero::NonZero<u16>",
			     .debug_name = "NonZero", .size = 2, .sized = true, .inner = &t_u16 };

/* HashSet<u16>: ctrl at 0, bucket_mask at 8, items at 24; element (u16, ()) */
static struct rtype t_unit = { .kind = RK_UNIT, .name = "()", .debug_name = "()", .size = 0, .sized = true };
static struct rfield set_elem_fields[] = { { "__0", 0, &t_u16 }, { "__1", 2, &t_unit } };
static struct rtype t_set_elem = { .kind = RK_TUPLE, .name = "(u16, ())", .size = 2, .sized = true,
				   .fields = set_elem_fields, .nfields = 2 };
static struct rtype t_hashset = { .kind = RK_HASHMAP, .name = "std::collections::hash::set::HashSet<u16>",
				  .debug_name = "HashSet", .size = 32, .sized = true, .is_set = true,
				  .target = &t_set_elem, .key = &t_u16, .key_off = 0, .ptr_off = 0,
				  .cap_off = 8, .len_off = 24 };

#include "decode_harness.h"

/* ---- tests ---- */

static void test_scalars_and_enums(void)
{
	uint8_t r[16] = { 0 };

	plan1(&t_color);
	ev_init();
	r[0] = 20;
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK_STR(run(), "[{\"name\":\"v\",\"type\":\"demo::Color\",\"value\":\"Green\"}]");
	r[0] = 21;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":null,\"error\":\"discriminant matches no variant\""));

	plan1(&t_ordering);
	ev_init();
	r[0] = 0xff;
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":\"Less\""));

	plan1(&t_opt_u32);
	ev_init();
	memset(r, 0, sizeof(r));
	r[0] = 1;
	r[4] = 42;
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":\"Some(42)\""));
	r[0] = 0;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":\"None\""));

	/* Option<Option<u8>> through its niche */
	plan1(&t_opt_opt);
	memset(r, 0, sizeof(r));
	r[0] = 1;
	r[1] = 3;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":\"Some(Some(3))\""));
	r[0] = 0;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":\"Some(None)\""));
	r[0] = 2;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":\"None\""));

	plan1(&t_nz);
	memset(r, 0, sizeof(r));
	r[0] = 0x34;
	r[1] = 0x12;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":\"4660\""));
}

static void test_debug_verdicts(void)
{
	uint8_t r[8] = { 3, 0, 0, 0, 4, 0, 0, 0 };

	plan1(&t_point);
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":\"Point { x: 3, y: 4 }\""));

	/* a manual impl Debug: never printed as if derived */
	plan1(&t_secret);
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":null,\"error\":\"custom Debug impl\""));

	t_point.debug = RDBG_UNKNOWN;
	plan1(&t_point);
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":null,\"error\""));
	t_point.debug = RDBG_DERIVED;
}

static void test_strings(void)
{
	uint8_t fat[16];
	int c;

	plan1(&t_str);
	site.bpf.steps[0].max_len = 16;
	c = step_deref(0, 0, 8, 0, 1, 4, &t_str);
	put64(fat, 0x1000);
	put64(fat + 8, 9);
	/* 9 bytes, 4 captured: the prefix (a closed literal), marked truncated */
	ev_init();
	ev_blob(0, -1, 0, 0, fat, 16, 16);
	ev_blob(c, 0, 0, RST_BLOB_TRUNC, "a\"b\n", 4, 9);
	CHECK(strstr(run(), "\"value\":\"\\\"a\\\\\\\"b\\\\n\\\"\",\"truncated\":true"));

	/* cut inside a UTF-8 sequence: the partial character is dropped */
	ev_init();
	ev_blob(0, -1, 0, 0, fat, 16, 16);
	ev_blob(c, 0, 0, RST_BLOB_TRUNC, "ab\xc3", 3, 9);
	CHECK(strstr(run(), "\"value\":\"\\\"ab\\\"\",\"truncated\":true"));

	/* invalid UTF-8 in a &str is not printed */
	ev_init();
	ev_blob(0, -1, 0, 0, fat, 16, 16);
	ev_blob(c, 0, 0, 0, "a\xffz", 3, 3);
	CHECK(strstr(run(), "\"value\":null,\"error\""));

	/* the read faulted */
	ev_init();
	ev_blob(0, -1, 0, 0, fat, 16, 16);
	ev_blob(c, 0, 0, RST_BLOB_FAULT, NULL, 0, 9);
	CHECK(strstr(run(), "\"value\":null,\"error\":\"memory not readable at the probe point\""));

	/* the pointee blob is missing altogether (event budget) */
	ev_init();
	ev_blob(0, -1, 0, 0, fat, 16, 16);
	CHECK(strstr(run(), "\"value\":null,\"error\""));
}

static void test_slices_and_pointers(void)
{
	uint8_t fat[16], data[12];
	int32_t xs[3] = { 1, -2, 3 };
	int c, c2;

	plan1(&t_slice);
	site.bpf.steps[0].max_len = 16;
	c = step_deref(0, 0, 8, 0, 4, 128, &t_slice);
	put64(fat, 0x2000);
	put64(fat + 8, 3);
	memcpy(data, xs, sizeof(xs));
	ev_init();
	ev_blob(0, -1, 0, 0, fat, 16, 16);
	ev_blob(c, 0, 0, 0, data, 12, 12);
	CHECK(strstr(run(), "\"value\":\"[1, -2, 3]\""));
	/* two of three elements captured */
	ev_init();
	ev_blob(0, -1, 0, 0, fat, 16, 16);
	ev_blob(c, 0, 0, RST_BLOB_TRUNC, data, 8, 12);
	CHECK(strstr(run(), "\"value\":\"[1, -2]\",\"truncated\":true"));

	/* &&u8: two levels of DEREF */
	plan1(&t_ref_ref_u8);
	c = step_deref(0, 0, RST_NO_LEN, 0, 1, 8, &t_ref_u8);
	c2 = step_deref(c, 0, RST_NO_LEN, 0, 1, 1, &t_u8);
	put64(fat, 0x3000);
	put64(fat + 8, 0x4000);
	ev_init();
	ev_blob(0, -1, 0, 0, fat, 8, 8);
	ev_blob(c, 0, 0, 0, fat + 8, 8, 8);
	ev_blob(c2, 1, 0, 0, "\x07", 1, 1);
	CHECK(strstr(run(), "\"value\":\"7\""));
	/* the inner pointer was NULL: a reference cannot be, so no value */
	ev_init();
	ev_blob(0, -1, 0, 0, fat, 8, 8);
	ev_blob(c, 0, 0, 0, fat + 8, 8, 8);
	ev_blob(c2, 1, 0, RST_BLOB_NULL, NULL, 0, 1);
	CHECK(strstr(run(), "\"value\":null,\"error\""));

	/* Option<&u8>: None is the null pointer, Some follows it */
	plan1(&t_opt_ref);
	c = step_deref(0, 0, RST_NO_LEN, 0, 1, 1, &t_u8);
	put64(fat, 0);
	ev_init();
	ev_blob(0, -1, 0, 0, fat, 8, 8);
	ev_blob(c, 0, 0, RST_BLOB_NULL, NULL, 0, 1);
	CHECK(strstr(run(), "\"value\":\"None\""));
	put64(fat, 0x5000);
	ev_init();
	ev_blob(0, -1, 0, 0, fat, 8, 8);
	ev_blob(c, 0, 0, 0, "\x09", 1, 1);
	CHECK(strstr(run(), "\"value\":\"Some(9)\""));
	(void)t_ptr_u8;
}

/* A value split over pieces with a hole (DW_OP_piece without location). */
static void test_piece_gaps(void)
{
	uint8_t r[8] = { 5, 0, 0, 0, 6, 0, 0, 0 };

	plan1(&t_point);
	vals[0].unknown_lo = 4;
	vals[0].unknown_hi = 8;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":null,\"error\":\"part of the value is optimized out\""));
	/* a field entirely outside the hole would print, but the struct needs both */
	vals[0].unknown_lo = 0;
	vals[0].unknown_hi = 0;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":\"Point { x: 5, y: 6 }\""));
}

static void test_std_types(void)
{
	uint8_t r[32] = { 0 };
	int c, bk;
	uint8_t ctrl[4] = { 0xff, 0x11, 0xff, 0x22 };
	uint8_t buckets[8];
	uint16_t k;

	plan1(&t_duration);
	site.bpf.steps[0] = (struct rst_step){ .op = RST_OP_MEM, .max_len = 16 };
	put64(r, 1);
	put64(r + 8, 500000000);
	ev_init();
	ev_blob(0, -1, 0, 0, r, 16, 16);
	CHECK(strstr(run(), "\"value\":\"1.5s\""));
	put64(r, 0);
	put64(r + 8, 1500);
	ev_init();
	ev_blob(0, -1, 0, 0, r, 16, 16);
	CHECK(strstr(run(), "\"value\":\"1.5\xc2\xb5s\""));
	put64(r + 8, 100);
	ev_init();
	ev_blob(0, -1, 0, 0, r, 16, 16);
	CHECK(strstr(run(), "\"value\":\"100ns\""));

	plan1(&t_refcell);
	site.bpf.steps[0] = (struct rst_step){ .op = RST_OP_MEM, .max_len = 16 };
	memset(r, 0, sizeof(r));
	r[8] = 5;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 16, 16);
	CHECK(strstr(run(), "\"value\":\"RefCell { value: 5 }\""));
	put64(r, (uint64_t)-1);
	ev_init();
	ev_blob(0, -1, 0, 0, r, 16, 16);
	CHECK(strstr(run(), "\"value\":\"RefCell { value: <borrowed> }\""));

	/*
	 * HashSet: 4 buckets, full ones (ctrl < 0x80) are 1 and 3; bucket i is
	 * the (i + 1)-th u16 below ctrl, so the blob holds 3, 2, 1, 0 upwards.
	 */
	plan1(&t_hashset);
	site.bpf.steps[0] = (struct rst_step){ .op = RST_OP_MEM, .max_len = 32 };
	c = step_deref(0, 0, 8, 0, 1, 128, &t_hashset);
	site.bpf.steps[c].flags = RST_STEP_LEN1;
	bk = step_deref(0, 0, 8, 0, 2, 256, &t_set_elem);
	site.bpf.steps[bk].flags = RST_STEP_LEN1 | RST_STEP_BELOW;
	memset(r, 0, sizeof(r));
	put64(r, 0x6000);
	put64(r + 8, 3);
	put64(r + 24, 2);
	for (k = 0; k < 4; k++) {
		uint16_t v = 100 + k;

		memcpy(buckets + (3 - k) * 2, &v, 2);
	}
	ev_init();
	ev_blob(0, -1, 0, 0, r, 32, 32);
	ev_blob(c, 0, 0, 0, ctrl, 4, 4);
	ev_blob(bk, 0, 0, 0, buckets, 8, 8);
	CHECK(strstr(run(), "\"value\":\"{101, 103}\""));
	/* items says 3 but only two full buckets were read: a prefix, truncated */
	put64(r + 24, 3);
	ev_init();
	ev_blob(0, -1, 0, 0, r, 32, 32);
	ev_blob(c, 0, 0, 0, ctrl, 4, 4);
	ev_blob(bk, 0, 0, 0, buckets, 8, 8);
	CHECK(strstr(run(), "\"value\":\"{101, 103}\",\"truncated\":true"));
	(void)t_i64;
}

/* struct Holder { c: Secret, n: u8 } (derived), enum Tok { End, Num(u32), Pair { a: u8, b: u8 } } */
static struct rfield holder_fields[] = { { "c", 0, &t_secret }, { "n", 4, &t_u8 } };
static struct rtype t_holder = { .kind = RK_STRUCT, .name = "demo::Holder", .debug_name = "Holder",
				 .size = 8, .sized = true, .fields = holder_fields, .nfields = 2,
				 .debug = RDBG_DERIVED };
static struct rtype t_tok_end = { .kind = RK_STRUCT, .name = "End", .debug_name = "End", .size = 4,
				  .sized = true };
static struct rfield tok_num_fields[] = { { "__0", 4, &t_u32 } };
static struct rtype t_tok_num = { .kind = RK_STRUCT, .name = "Num", .debug_name = "Num", .size = 8,
				  .sized = true, .fields = tok_num_fields, .nfields = 1, .tuple_fields = true };
static struct rfield tok_pair_fields[] = { { "a", 1, &t_u8 }, { "b", 2, &t_u8 } };
static struct rtype t_tok_pair = { .kind = RK_STRUCT, .name = "Pair", .debug_name = "Pair", .size = 8,
				   .sized = true, .fields = tok_pair_fields, .nfields = 2 };
static struct rvariant tok_vars[] = { { "End", true, 0, &t_tok_end }, { "Num", true, 1, &t_tok_num },
				      { "Pair", true, 2, &t_tok_pair } };
static struct rtype t_tok = { .kind = RK_ENUM, .name = "demo::Tok", .debug_name = "Tok", .size = 8,
			      .sized = true, .discr = { NULL, 0, &t_u8 }, .variants = tok_vars,
			      .nvariants = 3, .debug = RDBG_ABSENT };

/* The exact JSON: value null with the reason, and the contents under "fields". */
static void test_fields(void)
{
	uint8_t r[8] = { 3, 0, 0, 0, 9, 0, 0, 0 };
	struct view_values vv;

	plan1(&t_secret);
	ev_init();
	ev_blob(0, -1, 0, 0, r, 4, 4);
	CHECK_STR(run(), "[{\"name\":\"v\",\"type\":\"demo::Secret\",\"value\":null,"
			 "\"error\":\"custom Debug impl\",\"fields\":\"Secret { 0: 3 }\"}]");
	/* what the tree shows: ~ and the fields */
	CHECK(view__parse_values(run(), false, &vv) == 0 && vv.n == 1);
	if (vv.n == 1) {
		sb_reset(&out);
		tree__value(&out, &vv.v[0], 0);
		CHECK_STR(sb_str(&out), "~Secret { 0: 3 }");
		CHECK_STR(vv.v[0].fields, "Secret { 0: 3 }");
	}
	view__values_free(&vv);

	/* never formatted by the program: absence proves nothing about the impl */
	t_secret.debug = RDBG_ABSENT;
	CHECK_STR(run(), "[{\"name\":\"v\",\"type\":\"demo::Secret\",\"value\":null,\"error\":"
			 "\"no Debug impl in the binary (never called by the program, or none)\","
			 "\"fields\":\"Secret { 0: 3 }\"}]");
	t_secret.debug = RDBG_UNKNOWN;
	CHECK(strstr(run(), "\"error\":\"Debug impl not verified to be #[derive(Debug)]\","
			    "\"fields\":\"Secret { 0: 3 }\"}]"));
	t_secret.debug = RDBG_CUSTOM;

	/* a derived struct holding a custom one: no {:?} for the whole */
	plan1(&t_holder);
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK_STR(run(), "[{\"name\":\"v\",\"type\":\"demo::Holder\",\"value\":null,"
			 "\"error\":\"custom Debug impl\",\"fields\":\"Holder { c: Secret { 0: 3 }, n: 9 }\"}]");
	/* a part not captured: ? in its place */
	ev_init();
	ev_blob(0, -1, 0, 0, r, 4, 8);
	CHECK_STR(run(), "[{\"name\":\"v\",\"type\":\"demo::Holder\",\"value\":null,"
			 "\"error\":\"custom Debug impl\",\"fields\":\"Holder { c: Secret { 0: 3 }, n: ? }\"}]");
	/* nothing captured: that is the reason, and no fields */
	ev_init();
	CHECK_STR(run(), "[{\"name\":\"v\",\"type\":\"demo::Holder\",\"value\":null,"
			 "\"error\":\"value not captured\"}]");

	/* enums: the variant, its fields numbered or named */
	plan1(&t_tok);
	memset(r, 0, sizeof(r));
	r[0] = 1;
	r[4] = 7;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":null,\"error\":\"no Debug impl in the binary (never called by the "
			    "program, or none)\",\"fields\":\"Num { 0: 7 }\"}]"));
	r[0] = 2;
	r[1] = 4;
	r[2] = 5;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"fields\":\"Pair { a: 4, b: 5 }\"}]"));
	/* not even the discriminant captured: the missing bytes are the reason, no fields */
	ev_init();
	ev_blob(0, -1, 0, RST_BLOB_FAULT, NULL, 0, 8);
	CHECK(strstr(run(), "\"value\":null,\"error\":\"memory not readable at the probe point\"}]"));
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	t_tok.debug = RDBG_DERIVED;
	CHECK(strstr(run(), "\"value\":\"Pair { a: 4, b: 5 }\"}]"));
	r[0] = 1;
	CHECK(strstr(run(), "\"value\":\"Pair { a: 4, b: 5 }\"}]"));
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":\"Num(7)\"}]"));
	r[0] = 0;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 8, 8);
	CHECK(strstr(run(), "\"value\":\"End\"}]"));
}

/* std: a type not reproduced shows its own fields; Cow is its payload's Debug, Poll derived */
static struct rfield opaque_fields[] = { { "inner", 0, &t_u32 } };
static struct rtype t_opaque = { .kind = RK_STRUCT, .name = "std::thread::ThreadId", .debug_name = "ThreadId",
				 .size = 4, .sized = true, .fields = opaque_fields, .nfields = 1 };
static struct rfield cow_b_fields[] = { { "__0", 8, &t_str } };
static struct rtype t_cow_b = { .kind = RK_STRUCT, .name = "Borrowed", .debug_name = "Borrowed", .size = 24,
				.sized = true, .fields = cow_b_fields, .nfields = 1, .tuple_fields = true };
static struct rvariant cow_vars[] = { { "Borrowed", true, 0, &t_cow_b } };
static struct rtype t_cow = { .kind = RK_ENUM, .name = "alloc::borrow::Cow<str>", .debug_name = "Cow",
			      .size = 24, .sized = true, .discr = { NULL, 0, &t_u64 }, .variants = cow_vars,
			      .nvariants = 1 };
static struct rtype t_char95 = { .kind = RK_CHAR, .name = "char", .size = 4, .sized = true, .rustc = 95 };
static struct rtype t_char63 = { .kind = RK_CHAR, .name = "char", .size = 4, .sized = true, .rustc = 63 };
static struct rtype t_char70 = { .kind = RK_CHAR, .name = "char", .size = 4, .sized = true, .rustc = 70 };

static void test_std_fields(void)
{
	uint8_t r[24] = { 0 };
	uint32_t cp = 0x1cc3c; /* unassigned in Unicode 14 (rustc 1.57-1.65), a symbol in 17 */
	int c;

	plan1(&t_opaque);
	r[0] = 4;
	ev_init();
	ev_blob(0, -1, 0, 0, r, 4, 4);
	CHECK_STR(run(), "[{\"name\":\"v\",\"type\":\"std::thread::ThreadId\",\"value\":null,\"error\":"
			 "\"Debug of this std type not supported yet\",\"fields\":\"ThreadId { inner: 4 }\"}]");

	plan1(&t_cow);
	site.bpf.steps[0] = (struct rst_step){ .op = RST_OP_MEM, .max_len = 24 };
	c = step_deref(0, 8, 16, 0, 1, 16, &t_str);
	memset(r, 0, sizeof(r));
	put64(r + 8, 0x1000);
	put64(r + 16, 2);
	ev_init();
	ev_blob(0, -1, 0, 0, r, 24, 24);
	ev_blob(c, 0, 0, 0, "ab", 2, 2);
	CHECK(strstr(run(), "\"value\":\"\\\"ab\\\"\"}]"));

	/* a char whose escaping changed between the known releases */
	plan1(&t_char95);
	ev_init();
	ev_blob(0, -1, 0, 0, &cp, 4, 4);
	CHECK(strstr(run(), "\"value\":\"'\xf0\x9c\xb0\xbc'\"}]"));
	plan1(&t_char63);
	CHECK(strstr(run(), "\"value\":\"'\\\\u{1cc3c}'\"}]"));
	plan1(&t_char70);
	CHECK(strstr(run(), "\"value\":null,\"error\":\"escaping of this char differs across rustc "
			    "releases\",\"fields\":\"'\xf0\x9c\xb0\xbc'\"}]"));
}

/* VecDeque before rustc 1.67: { tail, head, buf }, elements tail..head in a power-of-2 ring */
static struct rtype t_deque63 = { .kind = RK_DEQUE, .name = "alloc::collections::vec_deque::VecDeque<u8>",
				  .debug_name = "VecDeque", .size = 32, .sized = true, .target = &t_u8,
				  .sub = RSUB_DEQUE_TAIL_HEAD, .head_off = 0, .len_off = 8, .ptr_off = 16,
				  .cap_off = 24 };

static void test_deque_tail_head(void)
{
	uint64_t hdr[4] = { 6, 2, 0x1000, 8 }; /* tail 6, head 2, cap 8: elements 6, 7, 0, 1 */
	uint8_t ring[8] = { 10, 11, 12, 13, 14, 15, 16, 17 };
	int c;

	plan1(&t_deque63);
	site.bpf.steps[0] = (struct rst_step){ .op = RST_OP_MEM, .max_len = 32 };
	c = step_deref(0, 16, 24, 0, 1, 8, &t_deque63);
	ev_init();
	ev_blob(0, -1, 0, 0, hdr, 32, 32);
	ev_blob(c, 0, 0, 0, ring, 8, 8);
	CHECK(strstr(run(), "\"value\":\"[16, 17, 10, 11]\"}]"));
	hdr[1] = 6; /* empty */
	ev_init();
	ev_blob(0, -1, 0, 0, hdr, 32, 32);
	CHECK(strstr(run(), "\"value\":\"[]\"}]"));
	hdr[3] = 6; /* not a power of two: not this layout */
	ev_init();
	ev_blob(0, -1, 0, 0, hdr, 32, 32);
	CHECK(strstr(run(), "\"error\":\"VecDeque header inconsistent\"}]"));
}

/* Result<i8, u8>: one scalar payload in rustc 1.95, an aggregate (one integer) in 1.63 */
static struct rtype t_i8 = { .kind = RK_INT, .name = "i8", .size = 1, .sized = true };
static struct rtype t_bool_ok = { .kind = RK_BOOL, .name = "bool", .size = 1, .sized = true };
static struct rfield ok_i8_fields[] = { { "__0", 1, &t_i8 } };
static struct rtype t_ok_i8 = { .kind = RK_STRUCT, .name = "Ok", .size = 2, .sized = true,
				.fields = ok_i8_fields, .nfields = 1, .tuple_fields = true };
static struct rfield err_u8_fields[] = { { "__0", 1, &t_u8 } };
static struct rtype t_err_u8 = { .kind = RK_STRUCT, .name = "Err", .size = 2, .sized = true,
				 .fields = err_u8_fields, .nfields = 1, .tuple_fields = true };
static struct rvariant res_vars[] = { { "Ok", true, 0, &t_ok_i8 }, { "Err", true, 1, &t_err_u8 } };
static struct rtype t_res = { .kind = RK_ENUM, .name = "core::result::Result<i8, u8>", .size = 2,
			      .sized = true, .discr = { NULL, 0, &t_u8 }, .variants = res_vars, .nvariants = 2 };

static struct rfield pi_ok_fields[] = { { "__0", 8, &t_u64 } };
static struct rtype t_pi_ok = { .kind = RK_STRUCT, .name = "Ok", .size = 16, .sized = true,
				.fields = pi_ok_fields, .nfields = 1, .tuple_fields = true };
static struct rfield pi_err_fields[] = { { "__0", 8, &t_ref_u8 } };
static struct rtype t_pi_err = { .kind = RK_STRUCT, .name = "Err", .size = 16, .sized = true,
				 .fields = pi_err_fields, .nfields = 1, .tuple_fields = true };
static struct rvariant pi_vars[] = { { "Ok", true, 0, &t_pi_ok }, { "Err", true, 1, &t_pi_err } };
static struct rtype t_pi = { .kind = RK_ENUM, .name = "core::result::Result<usize, &u8>", .size = 16,
			     .sized = true, .discr = { NULL, 0, &t_u64 }, .variants = pi_vars, .nvariants = 2 };

static void test_abi_by_release(void)
{
	t_res.rustc = 95;
	CHECK(abi__of(&t_res).kind == ABI_PAIR);
	t_res.rustc = 63;
	CHECK(abi__of(&t_res).kind == ABI_MEMORY);
	t_res.rustc = 80;
	CHECK(abi__of(&t_res).kind == ABI_UNKNOWN);
	/* bool and u8 are the same primitive to rustc: always one scalar */
	t_ok_i8.fields[0].type = &t_bool_ok;
	t_res.rustc = 63;
	CHECK(abi__of(&t_res).kind == ABI_PAIR);
	t_ok_i8.fields[0].type = &t_i8;

	/* Result<usize, &u8>: integer and pointer merged in 1.95, memory (sret) in 1.63 */
	t_pi.rustc = 95;
	CHECK(abi__of(&t_pi).kind == ABI_PAIR);
	t_pi.rustc = 63;
	CHECK(abi__of(&t_pi).kind == ABI_MEMORY);
	t_pi.rustc = 75;
	CHECK(abi__of(&t_pi).kind == ABI_UNKNOWN);
	/* Result<u8, u32>: sizes differ, never one scalar */
	t_pi_ok.fields[0].type = &t_u8;
	t_pi.rustc = 75;
	CHECK(abi__of(&t_pi).kind == ABI_MEMORY);
	t_pi_ok.fields[0].type = &t_u64;
}

static void test_bad_records(void)
{
	struct ev_view v;
	struct rst_event *ev = (struct rst_event *)rec;

	ev_init();
	ev_blob(0, -1, 0, 0, "abcdefgh", 8, 8);
	ev->nblobs = 1;
	ev->size = rec_pos - 8; /* the blob runs past the record */
	CHECK(decode__view(rec, rec_pos, &v) == -EINVAL);
	ev->size = rec_pos;
	ev->nblobs = RST_MAX_BLOBS + 1;
	CHECK(decode__view(rec, rec_pos, &v) == -EINVAL);
	CHECK(decode__view(rec, 4, &v) == -EINVAL);
}

int main(void)
{
	sb_init(&out);
	test_scalars_and_enums();
	test_debug_verdicts();
	test_strings();
	test_slices_and_pointers();
	test_piece_gaps();
	test_std_types();
	test_bad_records();
	test_fields();
	test_std_fields();
	test_deque_tail_head();
	test_abi_by_release();
	sb_free(&out);
	return unit_done("test_decode");
}
