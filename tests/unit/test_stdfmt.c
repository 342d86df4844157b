// SPDX-License-Identifier: MIT
/*
 * The std types' Debug (user/decode_std.c, user/dwarf_std.c) against rustc:
 * every line of tests/unit/std_golden_<rustc>.txt (made by
 * tools/gen_std_golden.rs with rustc 1.95 and 1.63) gives a value's facts and
 * rustc's {:?} of it; the value is rebuilt here as a type model (layouts are
 * the integration tests' business: tests/fixtures/stdtypes.rs) and an event
 * record, decoded, and compared. Run from the repository root.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_types.h"
#include "unit.h"
#include "view.h"
#include "decode_harness.h"

static struct rtype t_i32 = {.kind = RK_INT, .name = "i32", .size = 4, .sized = true};
static struct rtype t_char = {.kind = RK_CHAR, .name = "char", .size = 4, .sized = true};
static struct rtype t_u32 = {.kind = RK_UINT, .name = "u32", .size = 4, .sized = true};
static struct rtype t_i64 = {.kind = RK_INT, .name = "i64", .size = 8, .sized = true};
static struct rtype t_u64 = {.kind = RK_UINT, .name = "u64", .size = 8, .sized = true};
static struct rtype t_i8 = {.kind = RK_INT, .name = "i8", .size = 1, .sized = true};
static struct rtype t_bool = {.kind = RK_BOOL, .name = "bool", .size = 1, .sized = true};
static struct rtype t_u8 = {.kind = RK_UINT, .name = "u8", .size = 1, .sized = true};
static struct rtype t_ptr = {
    .kind = RK_PTR, .name = "*const u8", .size = 8, .sized = true, .target = &t_u8};

static unsigned rustc; /* the release the golden file came from */

/* The "value" of the first parameter for the record built so far; NULL-value shows the error. */
static const char *value_of(void)
{
	static char buf[1024];
	struct view_values vv;

	snprintf(buf, sizeof(buf), "(no value)");
	if (view__parse_values(run(), false, &vv) == 0 && vv.n == 1)
		snprintf(buf, sizeof(buf), "%s",
			 vv.v[0].value	 ? vv.v[0].value
			 : vv.v[0].error ? vv.v[0].error
					 : "(null)");
	view__values_free(&vv);
	return buf;
}

/* Decodes t from the bytes of one register-like root blob. */
static const char *decode_bytes(struct rtype *t, const void *bytes, uint32_t n)
{
	t->rustc = (uint16_t)rustc;
	plan1(t);
	site.bpf.steps[0] = (struct rst_step){.op = RST_OP_MEM, .max_len = n};
	ev_init();
	ev_blob(0, -1, 0, 0, bytes, n, n);
	return value_of();
}

static uint64_t num(const char *s, int base)
{
	return strtoull(s, NULL, base);
}

/* range KIND START END EXHAUSTED: start at 0, end at 4, the flag at 8 */
static const char *range(char **f, int nf, struct rtype *bound)
{
	static const struct {
		const char *kind;
		enum rsub sub;
	} kinds[] = {{"..", RSUB_RANGE},
		     {"..=", RSUB_RANGE_INCL},
		     {"from", RSUB_RANGE_FROM},
		     {"to", RSUB_RANGE_TO},
		     {"to=", RSUB_RANGE_TO_INCL}};
	struct rtype t = {.kind = RK_RANGE,
			  .name = "core::ops::range::Range<i32>",
			  .size = 12,
			  .sized = true,
			  .inner = bound,
			  .ptr_off = 0,
			  .len_off = 4,
			  .head_off = 8};
	uint8_t b[12] = {0};
	uint32_t s, e;
	size_t i;

	if (nf != 4)
		return NULL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(f[0], kinds[i].kind))
			t.sub = kinds[i].sub;
	s = (uint32_t)num(f[1], bound == &t_char ? 16 : 10);
	e = (uint32_t)num(f[2], bound == &t_char ? 16 : 10);
	memcpy(b, &s, 4);
	memcpy(b + 4, &e, 4);
	b[8] = f[3][0] == '1';
	return decode_bytes(&t, b, sizeof(b));
}

/* mutex DATA LOCKED POISONED / rwlock DATA STATE POISONED: state u32 at 0, flag at 4, data at 8 */
static const char *lock(char **f, int nf, bool rw)
{
	struct rtype t = {.kind = RK_LOCK,
			  .name = "std::sync::poison::mutex::Mutex<i32>",
			  .size = 12,
			  .sized = true,
			  .sub = rw ? RSUB_RWLOCK : RSUB_MUTEX,
			  .head_off = 0,
			  .len_off = 4,
			  .inner = &t_i32,
			  .inner_off = 8};
	uint8_t b[12] = {0};
	int32_t data;
	uint32_t state = 0;

	if (nf != 3)
		return NULL;
	data = (int32_t)strtol(f[0], NULL, 10);
	if (rw)
		state = !strcmp(f[1], "read") ? 1 : !strcmp(f[1], "write") ? (1u << 30) - 1 : 0;
	else
		state = f[1][0] == '1';
	memcpy(b, &state, 4);
	b[4] = f[2][0] == '1';
	memcpy(b + 8, &data, 4);
	return decode_bytes(&t, b, sizeof(b));
}

/* sliceptr ADDR LEN / dynptr ADDR VTABLE: the address at 0, the metadata at 8 */
static const char *fatptr(char **f, int nf, bool dyn)
{
	struct rtype t = {.kind = RK_FATPTR,
			  .name = "*const [u8]",
			  .size = 16,
			  .sized = true,
			  .sub = dyn,
			  .ptr_off = 0,
			  .len_off = 8};
	uint64_t b[2];

	if (nf != 2)
		return NULL;
	b[0] = num(f[0], 16);
	b[1] = num(f[1], dyn ? 16 : 10);
	return decode_bytes(&t, b, sizeof(b));
}

static const char *atomic(char **f, int nf)
{
	struct rtype t = {
	    .kind = RK_INNER, .name = "core::sync::atomic::AtomicUsize", .sized = true};
	uint64_t v;

	if (nf != 2)
		return NULL;
	if (!strcmp(f[0], "bool")) {
		t.inner = &t_bool;
		v = !strcmp(f[1], "true");
	} else if (!strcmp(f[0], "i8")) {
		t.inner = &t_i8;
		v = (uint64_t)strtoll(f[1], NULL, 10);
	} else {
		t.inner = &t_u64;
		v = num(f[1], 10);
	}
	t.size = t.inner->size;
	return decode_bytes(&t, &v, (uint32_t)t.size);
}

/* fixed WHAT: the text dwarf_std.c gives the type of that name */
static const char *fixed(char **f, int nf)
{
	static const struct {
		const char *what, *name;
	} names[] = {
	    {"Sender", "std::sync::mpsc::Sender<u8>"},
	    {"SyncSender", "std::sync::mpsc::SyncSender<u8>"},
	    {"Receiver", "std::sync::mpsc::Receiver<u8>"},
	    {"Weak", "alloc::rc::Weak<u8, alloc::alloc::Global>"},
	    {"UnsafeCell", "core::cell::UnsafeCell<i32>"},
	    {"RangeFull", "core::ops::range::RangeFull"},
	};
	struct rtype t = {.kind = RK_FIXED, .sized = true};
	size_t i;

	for (i = 0; nf == 1 && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(f[0], names[i].what)) {
			t.name = (char *)names[i].name;
			t.debug_name = (char *)dwarf_std__fixed_text(names[i].name);
		}
	if (!t.debug_name)
		return "(not a fixed-text type)";
	return decode_bytes(&t, "", 0);
}

/* phantom TYPE_NAME: type_name's output is also a DWARF name that must come out unchanged */
static const char *phantom(char **f, int nf)
{
	static char text[1100];
	const char *why = NULL;

	if (nf != 1)
		return NULL;
	if (dwarf_std__phantom_text(rustc, f[0], text, sizeof(text), &why))
		return why;
	return text;
}

/* osstr HEX: an OsString's bytes behind a pointer */
static const char *osstr(char **f, int nf)
{
	struct rtype t = {.kind = RK_STRING,
			  .name = "std::ffi::os_str::OsString",
			  .size = 16,
			  .sized = true,
			  .os_str = true,
			  .ptr_off = 0,
			  .len_off = 8};
	uint8_t bytes[256];
	uint64_t hdr[2] = {0x1000, 0};
	size_t i, n = strlen(f[0]) / 2;
	int c;

	if (nf != 1 || n > sizeof(bytes))
		return NULL;
	for (i = 0; i < n; i++)
		bytes[i] = (uint8_t)(num((char[3]){f[0][2 * i], f[0][2 * i + 1], 0}, 16));
	hdr[1] = n;
	t.rustc = (uint16_t)rustc;
	plan1(&t);
	site.bpf.steps[0] = (struct rst_step){.op = RST_OP_MEM, .max_len = 16};
	c = step_deref(0, 0, 8, 0, 1, 256, &t);
	ev_init();
	ev_blob(0, -1, 0, 0, hdr, 16, 16);
	ev_blob(c, 0, 0, 0, bytes, (uint32_t)n, (uint32_t)n);
	return value_of();
}

static const char *one_case(const char *kind, char **f, int nf)
{
	if (!strcmp(kind, "duration") && nf == 2) {
		struct rtype t = {.kind = RK_DURATION,
				  .name = "core::time::Duration",
				  .size = 16,
				  .sized = true,
				  .ptr_off = 0,
				  .len_off = 8};
		uint64_t b[2] = {num(f[0], 10), num(f[1], 10)};

		return decode_bytes(&t, b, sizeof(b));
	}
	if (!strcmp(kind, "systemtime") && nf == 2) {
		struct rtype t = {.kind = RK_TIMESPEC,
				  .name = "std::time::SystemTime",
				  .debug_name = "SystemTime",
				  .size = 16,
				  .sized = true,
				  .key = &t_i64,
				  .key_off = 0,
				  .val = &t_u32,
				  .val_off = 8};
		uint64_t b[2] = {num(f[0], 10), num(f[1], 10)};

		return decode_bytes(&t, b, sizeof(b));
	}
	if (!strcmp(kind, "thinptr") && nf == 1) {
		uint64_t a = num(f[0], 16);

		return decode_bytes(&t_ptr, &a, 8);
	}
	if (!strcmp(kind, "range") || !strcmp(kind, "rangechar"))
		return range(f, nf, kind[5] ? &t_char : &t_i32);
	if (!strcmp(kind, "mutex") || !strcmp(kind, "rwlock"))
		return lock(f, nf, kind[0] == 'r');
	if (!strcmp(kind, "sliceptr") || !strcmp(kind, "dynptr"))
		return fatptr(f, nf, kind[0] == 'd');
	if (!strcmp(kind, "atomic"))
		return atomic(f, nf);
	if (!strcmp(kind, "fixed"))
		return fixed(f, nf);
	if (!strcmp(kind, "phantom"))
		return phantom(f, nf);
	if (!strcmp(kind, "osstr"))
		return osstr(f, nf);
	return NULL;
}

static void run_golden(const char *path, unsigned minor)
{
	FILE *fp = fopen(path, "r");
	char line[4096];
	int lineno = 0, cases = 0, bad = 0;

	rustc = minor;
	CHECK(fp != NULL);
	if (!fp) {
		fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
		return;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *f[16], *p = line, *nl = strchr(line, '\n');
		const char *got;
		int n = 0;

		lineno++;
		if (nl)
			*nl = 0;
		if (line[0] == '#' || !line[0])
			continue;
		while (n < 16 && (f[n++] = strsep(&p, "\t")))
			;
		n--;
		if (n < 2) {
			CHECK(0);
			continue;
		}
		/* f[0] kind, f[1..n-2] facts, f[n-1] rustc's {:?} */
		got = one_case(f[0], f + 1, n - 2);
		cases++;
		if (!got || strcmp(got, f[n - 1])) {
			bad++;
			CHECK_STR(got, f[n - 1]);
			fprintf(stderr, "  ^ %s:%d (%s)\n", path, lineno, f[0]);
		} else {
			CHECK(1);
		}
	}
	fclose(fp);
	printf("golden %s: %d cases, %d failing\n", path, cases, bad);
	CHECK(cases >= 80);
}

/* Releases between the two known ones: what changed gives no value, what did not still does. */
static void test_between(void)
{
	char *locked[] = {"3", "1", "0"}, *unlocked[] = {"3", "0", "0"};
	char *slice[] = {"10", "2"}, *quote[] = {"69742773"}, *plain[] = {"6869"};

	rustc = 70;
	CHECK_STR(lock(locked, 3, false), "Debug of a locked Mutex differs across rustc releases");
	CHECK_STR(lock(unlocked, 3, false), "Mutex { data: 3, poisoned: false, .. }");
	CHECK_STR(lock(locked, 3, true), "RwLock { data: 3, poisoned: false, .. }");
	CHECK_STR(fatptr(slice, 2, false), "0x10"); /* the metadata from 1.87 on */
	rustc = 87;
	CHECK_STR(fatptr(slice, 2, false), "Pointer { addr: 0x10, metadata: 2 }");
	rustc = 80;
	CHECK_STR(osstr(quote, 1), "OsStr's Debug of ' differs across rustc releases");
	CHECK_STR(osstr(plain, 1), "\"hi\"");
	rustc = 64;
	CHECK_STR(phantom((char *[]){"i32"}, 1),
		  "PhantomData's Debug changed in rustc 1.64: not known for this release");
	rustc = 0; /* no DW_AT_producer */
	CHECK_STR(fatptr(slice, 2, false),
		  "Debug of raw fat pointers depends on the rustc release");
	rustc = 95;
	/* type_name leaves std's default parameters out; anything else that may differ gives no
	 * value */
	CHECK_STR(phantom((char *[]){"alloc::vec::Vec<u8, alloc::alloc::Global>"}, 1),
		  "PhantomData<alloc::vec::Vec<u8>>");
	CHECK_STR(
	    phantom(
		(char *[]){
		    "std::collections::hash::map::HashMap<u8, u8, std::hash::random::RandomState>"},
		1),
	    "PhantomData<std::collections::hash::map::HashMap<u8, u8>>");
	CHECK_STR(phantom((char *[]){"app::Pair<u8>"}, 1),
		  "PhantomData<T>: type_name of T not derivable from DWARF");
	CHECK_STR(phantom((char *[]){"app::main::{closure_env#0}"}, 1),
		  "PhantomData<T>: type_name of T not derivable from DWARF");
	CHECK_STR(phantom((char *[]){"app::Point"}, 1), "PhantomData<app::Point>");
	CHECK_STR(phantom((char *[]){"(&str, [app::Point; 2])"}, 1),
		  "PhantomData<(&str, [app::Point; 2])>");
}

int main(void)
{
	sb_init(&out);
	run_golden("tests/unit/std_golden_1.95.txt", 95);
	run_golden("tests/unit/std_golden_1.63.txt", 63);
	test_between();
	sb_free(&out);
	return unit_done("test_stdfmt");
}
