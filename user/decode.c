// SPDX-License-Identifier: MIT
/*
 * Prints captured values as Rust's `{:?}` prints them: a user type only where
 * its Debug is verified #[derive(Debug)] (debug_impl.c), a std type only
 * where std's Debug is reproduced (decode_std.c). Whenever a byte needed for
 * the value is missing (not captured, faulted, optimized out) or its Debug is
 * not known, the value is null with a reason: a wrong value is worse than
 * none. When only the Debug is unknown, the value's contents are shown under
 * "fields" instead, in a syntax that is not Debug's (README.md).
 */
#include <errno.h>
#include <string.h>
#include "decode_internal.h"

/* Bytes of "fields" kept (README.md); rendering stops soon after. */
#define FIELDS_MAX 1024

int decode__view(const void *rec, size_t size, struct ev_view *v)
{
	const struct rst_event *ev = rec;
	size_t pos = sizeof(*ev);
	int i;

	if (size < sizeof(*ev) || ev->size > size || ev->nblobs > RST_MAX_BLOBS)
		return -EINVAL;
	v->ev = ev;
	v->n = 0;
	for (i = 0; i < ev->nblobs; i++) {
		const struct rst_blob *b = (const void *)((const char *)rec + pos);

		if (pos + sizeof(*b) > ev->size || pos + sizeof(*b) + b->len > ev->size)
			return -EINVAL;
		v->blob[i] = b;
		v->data[i] = (const uint8_t *)(b + 1);
		pos += sizeof(*b) + ((b->len + 7) & ~7u);
		v->n++;
	}
	return 0;
}

int dec_fail(struct dctx *d, const char *why)
{
	if (!d->error)
		d->error = why;
	return -1;
}

int dec_bytes(struct dctx *d, int blob, uint64_t off, uint64_t n, const uint8_t **out)
{
	const struct rst_blob *b;

	if (blob < 0)
		return dec_fail(d, "value not captured");
	b = d->v->blob[blob];
	if (b->flags & (RST_BLOB_FAULT | RST_BLOB_NULL))
		return dec_fail(d, "memory not readable at the probe point");
	if (off + n > b->len)
		return dec_fail(d,
				b->len < b->want ? "capture limit reached" : "value not captured");
	if (blob == d->root_blob && off < d->val->unknown_hi && off + n > d->val->unknown_lo)
		return dec_fail(d, "part of the value is optimized out");
	*out = d->v->data[blob] + off;
	return 0;
}

uint64_t dec_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = (v << 8) | p[n];
	return v;
}

/*
 * The blob that the pointer at `off` of blob `blob` led to, read at pointer +
 * add for type t: its index, -1 if the plan has such a step but this event
 * has no blob for it, -2 if the plan has no such step.
 */
int dec_find_child(struct dctx *d, int blob, uint64_t off, int64_t add, const struct rtype *t)
{
	const struct rst_blob *b = d->v->blob[blob];
	uint32_t stride = 0, elem = 0;
	int c, i;

	/* all DEREF children of a step walk its blobs with the same element stride */
	for (i = 0; i < d->site->bpf.nsteps; i++) {
		const struct rst_step *st = &d->site->bpf.steps[i];

		if (st->op == RST_OP_DEREF && st->parent == b->step) {
			stride = st->stride;
			break;
		}
	}
	if (stride) {
		elem = off / stride;
		off -= (uint64_t)elem * stride;
	}
	c = plan__child_at(d->site, b->step, off, add, t);
	if (c < 0)
		return -2;
	for (i = 0; i < d->v->n; i++)
		if (d->v->blob[i]->step == c && d->v->blob[i]->parent == blob &&
		    d->v->blob[i]->elem == elem)
			return i;
	return -1;
}

int dec_child_blob_at(struct dctx *d, int blob, uint64_t off, int64_t add, const struct rtype *t)
{
	int c;

	const uint8_t *p;

	if (blob < 0)
		return dec_fail(d, "value not captured");
	/* a pointer in bytes the value does not have (an empty DW_OP_piece) led nowhere real */
	if (dec_bytes(d, blob, off, 8, &p))
		return -1;
	c = dec_find_child(d, blob, off, add, t);
	if (c == -2 && d->val->redact_cut && !d->error) {
		/* like an unknown Debug: the rest of the value can still show as fields */
		d->error = "pointer not followed: the depth limit, or another variant keeps a "
			   "redacted pointer there";
		d->debug_error = true;
		return -1;
	}
	if (c == -2)
		return dec_fail(d, d->val->budget_cut
				       ? "capture plan full: this value's share of the "
					 "probe's steps ran out"
				       : "pointer depth limit reached");
	if (c == -1)
		return dec_fail(d, d->v->ev->flags & RST_EV_TRUNC ? "event size limit reached"
								  : "capture limit reached");
	return c;
}

int dec_child_blob(struct dctx *d, int blob, uint64_t off, const struct rtype *t)
{
	return dec_child_blob_at(d, blob, off, 0, t);
}

int dec_fail_debug(struct dctx *d, const char *why, struct strbuf *sb)
{
	if (d->raw) {
		sb_putc(sb, '?');
		return 0;
	}
	if (!d->error) {
		d->error = why;
		d->debug_error = true;
	}
	return -1;
}

static bool std_crate(const char *name)
{
	return !strncmp(name, "core::", 6) || !strncmp(name, "alloc::", 7) ||
	       !strncmp(name, "std::", 5);
}

/* std types whose Debug is #[derive(Debug)] in std's source (rustc 1.63 to 1.95; stdtypes.rs). */
static bool derived_std(const char *name)
{
	static const char *const generic[] = {
	    "core::option::Option<",	"core::result::Result<", "core::task::poll::Poll<",
	    "core::ops::range::Bound<", "core::cmp::Reverse<",
	};
	static const char *const exact[] = {
		"core::cmp::Ordering",
		"core::num::error::ParseIntError",
		"core::num::error::IntErrorKind",
		"core::num::error::TryFromIntError",
		"core::num::dec2flt::ParseFloatError",
		"core::num::dec2flt::FloatErrorKind",
		"core::str::error::Utf8Error",
		"core::str::error::ParseBoolError",
		"core::char::convert::ParseCharError",
		"core::char::convert::CharErrorKind",
	};
	size_t i;

	for (i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
		if (!strncmp(name, generic[i], strlen(generic[i])))
			return true;
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(name, exact[i]))
			return true;
	return false;
}

/* A user type is printed in the derived format only if that is its Debug (debug_impl.c). */
static int check_derived(struct dctx *d, const struct rtype *t, struct strbuf *sb)
{
	if (d->raw)
		return 0;
	switch (t->debug) {
	case RDBG_DERIVED:
		return 0;
	case RDBG_CUSTOM:
		return dec_fail_debug(d, "custom Debug impl", sb);
	case RDBG_ABSENT:
		return dec_fail_debug(
		    d, "no Debug impl in the binary (never called by the program, or none)", sb);
	default:
		return dec_fail_debug(d, "Debug impl not verified to be #[derive(Debug)]", sb);
	}
}

/* Whether {:?} of a std struct/enum t is reproduced; else the error (or nothing in raw mode). */
static int check_std(struct dctx *d, const struct rtype *t, struct strbuf *sb)
{
	if (d->raw)
		return 0;
	if (t->nodebug)
		return dec_fail_debug(d, t->nodebug, sb);
	if (std_crate(t->name) && !derived_std(t->name))
		return dec_fail_debug(d, "Debug of this std type not supported yet", sb);
	return std_crate(t->name) ? 0 : check_derived(d, t, sb);
}

/*
 * A struct or variant: `Name { a: 1 }`, `Name(1)`, `Name` as derived Debug
 * prints it; raw (fields) mode numbers tuple fields instead: `Name { 0: 1 }`.
 */
static int fmt_fields(struct dctx *d, const struct rtype *t, const char *name, int blob,
		      uint64_t off, struct strbuf *sb, int depth)
{
	bool paren = t->tuple_fields && !d->raw;
	int i;

	sb_puts(sb, name);
	if (!t->nfields)
		return 0;
	sb_puts(sb, paren ? "(" : " { ");
	for (i = 0; i < t->nfields; i++) {
		if (i)
			sb_puts(sb, ", ");
		if (t->tuple_fields && d->raw)
			sb_printf(sb, "%d: ", i);
		else if (!t->tuple_fields)
			sb_printf(sb, "%s: ", t->fields[i].name ? t->fields[i].name : "?");
		if (plan__field_redacted(d->site->redact, t, i)) {
			/* its bytes are in the blob; what it points to was never copied */
			sb_puts(sb, PLAN_REDACTED);
			d->redacted = true;
			continue;
		}
		if (dec_fmt(d, t->fields[i].type, blob, off + t->fields[i].off, sb, depth + 1))
			return -1;
	}
	sb_puts(sb, paren ? ")" : " }");
	return 0;
}

static int fmt_enum(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		    struct strbuf *sb, int depth)
{
	const struct rvariant *v = NULL;
	const uint8_t *p;
	uint64_t discr = 0;
	bool cow = !strncmp(t->name, "alloc::borrow::Cow<", 19);
	int i;

	if (!cow && check_std(d, t, sb))
		return -1;
	if (t->discr.type) {
		int n = (int)t->discr.type->size;

		if (n > 8 || dec_bytes(d, blob, off + t->discr.off, n, &p))
			return dec_fail(d, "discriminant not readable");
		discr = dec_le(p, n);
		for (i = 0; i < t->nvariants; i++)
			if (t->variants[i].has_discr && t->variants[i].discr == discr)
				v = &t->variants[i];
		for (i = 0; !v && i < t->nvariants; i++)
			if (!t->variants[i].has_discr)
				v = &t->variants[i];
	} else if (t->nvariants == 1) {
		v = &t->variants[0];
	}
	if (!v || !v->type)
		return dec_fail(d, "discriminant matches no variant");
	/* Cow's Debug is its Borrowed/Owned payload's */
	if (cow && !d->raw && v->type->nfields == 1)
		return dec_fmt(d, v->type->fields[0].type, blob, off + v->type->fields[0].off, sb,
			       depth + 1);
	return fmt_fields(d, v->type, v->name ? v->name : "?", blob, off, sb, depth);
}

static int fmt_cenum(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		     struct strbuf *sb)
{
	const uint8_t *p;
	uint64_t v;
	int i;

	if (check_std(d, t, sb))
		return -1;
	if (t->size == 0 || t->size > 8 || dec_bytes(d, blob, off, t->size, &p))
		return dec_fail(d, "discriminant not readable");
	v = dec_le(p, (int)t->size);
	for (i = 0; i < t->nvariants; i++)
		if (t->variants[i].has_discr && t->variants[i].discr == v && t->variants[i].name) {
			sb_puts(sb, t->variants[i].name);
			return 0;
		}
	return dec_fail(d, "discriminant matches no variant");
}

/* Where the elements start behind the pointer: after the counts in Rc<str>/Arc<[T]>. */
static int64_t elems_at(const struct rtype *t)
{
	return t->kind == RK_RC ? (int64_t)t->inner_off : 0;
}

static int fmt_seq(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
		   int depth)
{
	const struct rtype *e = t->target;
	const struct rst_blob *b;
	uint64_t n, have, i;
	int c;

	if (!e || !e->sized)
		return dec_fail(d, "element type not described in DWARF");
	c = dec_child_blob_at(d, blob, off + t->ptr_off, elems_at(t), t);
	if (c < 0)
		return -1;
	b = d->v->blob[c];
	if (b->flags & RST_BLOB_FAULT)
		return dec_fail(d, "memory not readable at the probe point");
	if (!e->size) {
		const uint8_t *lp;

		if (dec_bytes(d, blob, off + t->len_off, 8, &lp))
			return -1;
		n = have = dec_le(lp, 8);
	} else {
		n = b->want / e->size;
		have = b->len / e->size;
	}
	if (have < n)
		d->truncated = true;
	sb_putc(sb, '[');
	for (i = 0; i < have; i++) {
		if (i)
			sb_puts(sb, ", ");
		if (dec_fmt(d, e, c, i * e->size, sb, depth + 1))
			return -1;
	}
	sb_putc(sb, ']');
	return 0;
}

/*
 * &str/String/OsStr/Path. The chars {:?} escapes follow the Unicode version
 * of the rustc that built the type; OsStr/Path's Debug also escaped ' up to
 * at least rustc 1.63 (not in 1.95; releases in between unknown). Invalid
 * UTF-8 in an OsStr would print \xNN escapes, which we do not reproduce.
 */
static int fmt_str(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb)
{
	const struct rfmt_rules *rules = rfmt_rules_for(t->rustc);
	const struct rst_blob *b;
	const uint8_t *s;
	unsigned flags = 0;
	int c, r;

	c = dec_child_blob_at(d, blob, off + t->ptr_off, elems_at(t), t);
	if (c < 0)
		return -1;
	b = d->v->blob[c];
	s = d->v->data[c];
	if (b->flags & RST_BLOB_FAULT)
		return dec_fail(d, "memory not readable at the probe point");
	if (b->len < b->want)
		d->truncated = true;
	if (t->os_str && t->rustc && t->rustc <= 63)
		flags = RFMT_ESCAPE_SQUOTE;
	else if (t->os_str && (!t->rustc || t->rustc < 95) && memchr(s, '\'', b->len) && !d->raw)
		return dec_fail_debug(d, "OsStr's Debug of ' differs across rustc releases", sb);
	r = rfmt_str_r(sb, s, b->len, b->len < b->want, rules, flags);
	if (r == -ERANGE && d->raw)
		r = rfmt_str_r(sb, s, b->len, b->len < b->want, rfmt_rules_for(~0u), flags);
	if (r == -ERANGE)
		return dec_fail_debug(
		    d, "escaping of a char in this string differs across rustc releases", sb);
	if (r < 0 && t->os_str)
		return dec_fail_debug(d, "OsStr is not valid UTF-8", sb);
	if (r < 0)
		return dec_fail(d, "string is not valid UTF-8");
	return 0;
}

static int fmt_char(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		    struct strbuf *sb)
{
	const uint8_t *p;
	uint32_t cp;

	if (dec_bytes(d, blob, off, 4, &p))
		return -1;
	cp = (uint32_t)dec_le(p, 4);
	if (!rfmt_valid_char(cp))
		return dec_fail(d, "not a valid char");
	if (rfmt_char_r(sb, cp, rfmt_rules_for(t->rustc)) == 0)
		return 0;
	if (d->raw)
		return rfmt_char_r(sb, cp, rfmt_rules_for(~0u));
	return dec_fail_debug(d, "escaping of this char differs across rustc releases", sb);
}

static int fmt_int(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb)
{
	const uint8_t *p;

	if (t->size == 0 || t->size > 16 || (t->size & (t->size - 1)))
		return dec_fail(d, "unsupported integer size");
	if (dec_bytes(d, blob, off, t->size, &p))
		return -1;
	if (t->size == 16) {
		unsigned __int128 v = ((unsigned __int128)dec_le(p + 8, 8) << 64) | dec_le(p, 8);

		if (t->kind == RK_INT)
			rfmt_i128(sb, (__int128)v);
		else
			rfmt_u128(sb, v);
	} else if (t->kind == RK_INT) {
		int64_t v =
		    (int64_t)(dec_le(p, (int)t->size) << (64 - 8 * t->size)) >> (64 - 8 * t->size);

		/* not printf: a Vec of numbers is most of some events' decoding */
		rfmt_i128(sb, v);
	} else {
		rfmt_u128(sb, dec_le(p, (int)t->size));
	}
	return 0;
}

static int fmt_float(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		     struct strbuf *sb)
{
	const uint8_t *p;

	if (t->size != 4 && t->size != 8)
		return dec_fail(d, "unsupported float size");
	if (dec_bytes(d, blob, off, t->size, &p))
		return -1;
	if (t->size == 4) {
		float f;

		memcpy(&f, p, 4);
		rfmt_f32(sb, f);
	} else {
		double f;

		memcpy(&f, p, 8);
		rfmt_f64(sb, f);
	}
	return 0;
}

/* Arrays and tuples: the elements in place. */
static int fmt_inline(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		      struct strbuf *sb, int depth)
{
	uint64_t i, n = t->kind == RK_ARRAY ? t->count : (uint64_t)t->nfields;

	if (t->kind == RK_ARRAY && (!t->target || !t->target->sized))
		return dec_fail(d, "element type not described in DWARF");
	sb_putc(sb, t->kind == RK_ARRAY ? '[' : '(');
	for (i = 0; i < n; i++) {
		if (i)
			sb_puts(sb, ", ");
		if (t->kind == RK_ARRAY
			? dec_fmt(d, t->target, blob, off + i * t->target->size, sb, depth + 1)
			: dec_fmt(d, t->fields[i].type, blob, off + t->fields[i].off, sb,
				  depth + 1))
			return -1;
	}
	sb_puts(sb, t->kind == RK_ARRAY ? "]" : n == 1 ? ",)" : ")");
	return 0;
}

/* References, Rc/Arc: the pointee. */
static int fmt_pointee(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		       struct strbuf *sb, int depth)
{
	const uint8_t *p;
	uint64_t at = t->kind == RK_RC ? t->ptr_off : 0;
	int c;

	/* Rc<str>, Arc<[T]>: Debug prints the str or slice itself */
	if (t->kind == RK_RC && t->sub == RSUB_RC_STR)
		return fmt_str(d, t, blob, off, sb);
	if (t->kind == RK_RC && t->sub == RSUB_RC_SLICE)
		return fmt_seq(d, t, blob, off, sb, depth);
	if (dec_bytes(d, blob, off + at, 8, &p))
		return -1;
	c = dec_child_blob(d, blob, off + at, t->kind == RK_RC ? t->target : t->target);
	if (c < 0)
		return -1;
	if (t->kind == RK_RC)
		return dec_fmt(d, t->inner, c, t->inner_off, sb, depth + 1);
	return dec_fmt(d, t->target, c, 0, sb, depth + 1);
}

/* Cell { value: 5 }, RefCell { value: [1] } (RefCell { value: <borrowed> } while mutably borrowed).
 */
static int fmt_cell(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		    struct strbuf *sb, int depth)
{
	const uint8_t *p;

	if (t->kind == RK_REFCELL && dec_bytes(d, blob, off + t->len_off, 8, &p))
		return -1;
	sb_puts(sb, t->kind == RK_CELL ? "Cell { value: " : "RefCell { value: ");
	/* try_borrow() fails while mutably borrowed (flag < 0): std prints a placeholder */
	if (t->kind == RK_REFCELL && (int64_t)dec_le(p, 8) < 0)
		sb_puts(sb, "<borrowed>");
	else if (dec_fmt(d, t->inner, blob, off + t->inner_off, sb, depth + 1))
		return -1;
	sb_puts(sb, " }");
	return 0;
}

static int fmt_any(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
		   int depth);

/*
 * Any value as {:?}. In raw (fields) mode a part that cannot be shown (bytes
 * not captured, a pointer not followed) is a `?` in place, and the rest still
 * shows.
 */
int dec_fmt(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	    int depth)
{
	size_t mark = sb->len;

	if (!d->raw)
		return fmt_any(d, t, blob, off, sb, depth);
	if (sb->len > FIELDS_MAX) {
		d->truncated = true; /* cut by cap_fields: spare the work */
		return 0;
	}
	if (!fmt_any(d, t, blob, off, sb, depth))
		return 0;
	sb_truncate(sb, mark);
	sb_putc(sb, '?');
	if (!depth)
		d->raw_error = d->error; /* the whole value */
	d->error = NULL;
	return 0;
}

static int fmt_any(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
		   int depth)
{
	const uint8_t *p;

	if (!t)
		return dec_fail(d, "type not described in DWARF");
	if (depth > 64)
		return dec_fail(d, "value nested too deeply");
	switch (t->kind) {
	case RK_UNIT:
		sb_puts(sb, "()");
		return 0;
	case RK_BOOL:
		if (dec_bytes(d, blob, off, 1, &p))
			return -1;
		if (*p > 1)
			return dec_fail(d, "not a valid bool");
		sb_puts(sb, *p ? "true" : "false");
		return 0;
	case RK_CHAR:
		return fmt_char(d, t, blob, off, sb);
	case RK_INT:
	case RK_UINT:
		return fmt_int(d, t, blob, off, sb);
	case RK_FLOAT:
		return fmt_float(d, t, blob, off, sb);
	case RK_PTR:
		if (dec_bytes(d, blob, off, 8, &p))
			return -1;
		sb_printf(sb, "0x%llx", (unsigned long long)dec_le(p, 8));
		return 0;
	case RK_REF:
	case RK_RC:
		return fmt_pointee(d, t, blob, off, sb, depth);
	case RK_STR:
	case RK_STRING:
		return fmt_str(d, t, blob, off, sb);
	case RK_SLICE:
	case RK_VEC:
		return fmt_seq(d, t, blob, off, sb, depth);
	case RK_ARRAY:
	case RK_TUPLE:
		return fmt_inline(d, t, blob, off, sb, depth);
	case RK_STRUCT:
		if (check_std(d, t, sb))
			return -1;
		return fmt_fields(d, t, t->debug_name, blob, off, sb, depth);
	case RK_ENUM:
		return fmt_enum(d, t, blob, off, sb, depth);
	case RK_CENUM:
		return fmt_cenum(d, t, blob, off, sb);
	case RK_INNER:
		return dec_fmt(d, t->inner, blob, off + t->inner_off, sb, depth + 1);
	case RK_CELL:
	case RK_REFCELL:
		return fmt_cell(d, t, blob, off, sb, depth);
	case RK_DURATION:
		return dec_duration(d, t, blob, off, sb);
	case RK_DEQUE:
		return dec_deque(d, t, blob, off, sb, depth);
	case RK_HASHMAP:
		return dec_hashmap(d, t, blob, off, sb, depth);
	case RK_BTREE:
		return dec_btree(d, t, blob, off, sb, depth);
	case RK_DYN:
		return dec_dyn(d, t, blob, off, sb, depth);
	case RK_FATPTR:
		return dec_fatptr(d, t, blob, off, sb);
	case RK_RANGE:
		return dec_range(d, t, blob, off, sb, depth);
	case RK_LOCK:
		return dec_lock(d, t, blob, off, sb, depth);
	case RK_TIMESPEC:
		return dec_timespec(d, t, blob, off, sb, depth);
	case RK_FIXED:
		if (t->nodebug && !d->raw)
			return dec_fail_debug(d, t->nodebug, sb);
		sb_puts(sb, t->debug_name);
		return 0;
	default:
		return dec_fail_debug(d, "type not supported yet", sb);
	}
}

/* The value (or, raw, its fields) from the root blob; d->error says why not. */
static void render(struct dctx *d, struct strbuf *out)
{
	const struct plan_value *val = d->val;
	const struct ev_view *v = d->v;
	int i;

	if (val->type->sized && val->type->size == 0 && val->root < 0) {
		/* zero-sized: the type alone is the value (no byte is read) */
		dec_fmt(d, val->type, -1, 0, out, 0);
		return;
	}
	if (val->root < 0) {
		d->error = val->error ? val->error : "not captured";
		return;
	}
	/* the root may itself follow a spilled pointer (DW_OP_deref): first blob of its step */
	for (i = 0; i < v->n; i++)
		if (v->blob[i]->step == val->root)
			break;
	if (i == v->n) {
		d->error =
		    v->ev->flags & RST_EV_TRUNC ? "event size limit reached" : "value not captured";
		return;
	}
	d->root_blob = i;
	dec_fmt(d, val->type, i, 0, out, 0);
}

/* Fields of big structures (a parser's whole state) are cut, at a char boundary, with an ellipsis.
 */

static void cap_fields(struct strbuf *f, struct dctx *r)
{
	size_t n = FIELDS_MAX;

	if (f->len <= FIELDS_MAX)
		return;
	while (n > 0 && ((unsigned char)f->s[n] & 0xc0) == 0x80)
		n--;
	sb_truncate(f, n);
	sb_puts(f, "\xe2\x80\xa6");
	r->truncated = true;
}

static void value_json(const struct plan_site *site, const struct ev_view *v,
		       const struct plan_value *val, bool with_name, struct strbuf *sb)
{
	struct dctx d = {.site = site, .v = v, .val = val, .root_blob = -1};
	struct dctx r = d;
	struct strbuf out, fields;
	bool hidden;

	sb_init(&out);
	sb_init(&fields);
	sb_putc(sb, '{');
	if (with_name) {
		sb_puts(sb, "\"name\":");
		json_str(sb, val->name, strlen(val->name));
		sb_putc(sb, ',');
	}
	sb_puts(sb, "\"type\":");
	if (val->type)
		json_str(sb, val->type->name, strlen(val->type->name));
	else
		sb_puts(sb, with_name ? "null" : "\"()\"");
	if (val->redacted) {
		sb_puts(sb, ",\"value\":null,\"redacted\":true}");
		return;
	}
	if (!val->type)
		/* rustc omits DW_AT_type for () and for unit structs alike */
		d.error = "zero-sized value: () or a unit struct, DWARF does not say which";
	else
		render(&d, &out);
	/* known but for its redacted parts: no longer {:?}, so shown as fields only */
	hidden = !d.error && d.redacted;
	if ((d.error && d.debug_error) || hidden) {
		/* the bytes are there, the Debug unknown or parts redacted: show the fields */
		r.raw = true;
		render(&r, &fields);
		if (r.error || !strcmp(sb_str(&fields), "?")) {
			/* nothing of it readable: that is the reason first */
			if (r.error || r.raw_error)
				d.error = r.error ? r.error : r.raw_error;
			sb_reset(&fields);
		}
		cap_fields(&fields, &r);
	}
	if (d.error || hidden) {
		sb_puts(sb, ",\"value\":null");
		if (d.error) {
			sb_puts(sb, ",\"error\":");
			json_str(sb, d.error, strlen(d.error));
		}
		if (hidden || (fields.len && r.redacted))
			sb_puts(sb, ",\"redacted\":true");
		if (fields.len) {
			sb_puts(sb, ",\"fields\":");
			json_str(sb, fields.s, fields.len);
			if (r.truncated)
				sb_puts(sb, ",\"truncated\":true");
		}
	} else {
		sb_puts(sb, ",\"value\":");
		json_str(sb, out.s ? out.s : "", out.len);
		if (d.truncated)
			sb_puts(sb, ",\"truncated\":true");
	}
	sb_putc(sb, '}');
	sb_free(&out);
	sb_free(&fields);
}

void decode__args(const struct plan_site *site, const struct ev_view *v, struct strbuf *sb)
{
	int i;

	sb_putc(sb, '[');
	for (i = 0; i < site->nvalues; i++) {
		if (i)
			sb_putc(sb, ',');
		value_json(site, v, &site->values[i], true, sb);
	}
	sb_putc(sb, ']');
}

void decode__ret(const struct plan_site *site, const struct ev_view *v, struct strbuf *sb)
{
	const struct plan_value *rv = site->ret	      ? site->ret
				      : site->nvalues ? &site->values[0]
						      : NULL;

	if (rv)
		value_json(site, v, rv, false, sb);
	else
		sb_puts(sb, "null");
}
