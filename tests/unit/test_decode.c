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

#include "decode.h"
#include "unit.h"

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
static struct rtype t_nz = { .kind = RK_NONZERO, .name = "core::num::nonzero::NonZero<u16>",
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

/* ---- plans and events ---- */

static struct plan_site site;
static struct plan_value vals[4];

/* One parameter `v` of type t whose root is step 0. */
static void plan1(struct rtype *t)
{
	memset(&site, 0, sizeof(site));
	memset(vals, 0, sizeof(vals));
	site.values = vals;
	site.nvalues = 1;
	site.max_array = 32;
	site.ip_step = -1;
	vals[0].name = "v";
	vals[0].type = t;
	vals[0].root = 0;
	site.bpf.steps[0] = (struct rst_step){ .op = RST_OP_REG, .max_len = t->size > 8 ? 8 : t->size };
	site.bpf.nsteps = 1;
}

static int step_deref(int parent, uint16_t ptr_off, uint16_t len_off, uint32_t stride,
		      uint32_t elem_size, uint32_t max_len, struct rtype *t)
{
	int i = site.bpf.nsteps++;

	site.bpf.steps[i] = (struct rst_step){ .op = RST_OP_DEREF, .parent = parent, .ptr_off = ptr_off,
					       .len_off = len_off, .stride = stride, .elem_size = elem_size,
					       .max_len = max_len, .max_elems = stride ? 32 : 1 };
	site.step_type[i] = t;
	return i;
}

static _Alignas(8) uint8_t rec[8192];
static size_t rec_pos;
static int rec_n;

static void ev_init(void)
{
	memset(rec, 0, sizeof(rec));
	rec_pos = sizeof(struct rst_event);
	rec_n = 0;
}

static void ev_blob(int step, int parent, int elem, int flags, const void *data, uint32_t len,
		    uint32_t want)
{
	struct rst_blob *b = (struct rst_blob *)(rec + rec_pos);

	b->step = step;
	b->parent = parent < 0 ? RST_NO_PARENT : parent;
	b->elem = elem;
	b->flags = flags;
	b->len = len;
	b->want = want;
	if (len)
		memcpy(b + 1, data, len);
	rec_pos += sizeof(*b) + ((len + 7) & ~7u);
	rec_n++;
}

static struct strbuf out;

/* The JSON of the site's parameters for the record built so far. */
static const char *run(void)
{
	struct rst_event *ev = (struct rst_event *)rec;
	struct ev_view v;

	ev->type = RST_REC_ENTRY;
	ev->site = RST_SITE_ENTRY;
	ev->nblobs = rec_n;
	ev->size = rec_pos;
	sb_reset(&out);
	if (decode__view(rec, rec_pos, &v))
		return "(bad record)";
	decode__args(&site, &v, &out);
	return sb_str(&out);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

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
	sb_free(&out);
	return unit_done("test_decode");
}
