// SPDX-License-Identifier: MIT
/*
 * Prints captured values the way Rust's derived Debug does. Whenever a byte
 * needed for the value is missing (not captured, faulted, optimized out) or a
 * type's Debug is not known to be the derived one, the value is reported as
 * unknown with a reason: a wrong value is worse than none.
 */
#include <errno.h>
#include <string.h>
#include "decode.h"

struct dctx {
	const struct plan_site *site;
	const struct ev_view *v;
	const struct plan_value *val;
	int root_blob;
	const char *error;
	bool truncated;
};

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

static int fail(struct dctx *d, const char *why)
{
	if (!d->error)
		d->error = why;
	return -1;
}

static int bytes(struct dctx *d, int blob, uint64_t off, uint64_t n, const uint8_t **out)
{
	const struct rst_blob *b;

	if (blob < 0)
		return fail(d, "value not captured");
	b = d->v->blob[blob];
	if (b->flags & (RST_BLOB_FAULT | RST_BLOB_NULL))
		return fail(d, "memory not readable at the probe point");
	if (off + n > b->len)
		return fail(d, b->len < b->want ? "capture limit reached" : "value not captured");
	if (blob == d->root_blob && off < d->val->unknown_hi && off + n > d->val->unknown_lo)
		return fail(d, "part of the value is optimized out");
	*out = d->v->data[blob] + off;
	return 0;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = (v << 8) | p[n];
	return v;
}

/* The blob that step `s`'s pointer at `off` of blob `blob` led to. */
static int child_blob(struct dctx *d, int blob, uint64_t off, const struct rtype *t)
{
	const struct rst_blob *b;
	uint32_t stride = 0, elem = 0;
	int c, i;

	if (blob < 0)
		return fail(d, "value not captured");
	b = d->v->blob[blob];
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
	c = plan__child(d->site, b->step, off, t);
	if (c < 0)
		return fail(d, d->site->steps_dropped ? "capture plan full" : "pointer depth limit reached");
	for (i = 0; i < d->v->n; i++)
		if (d->v->blob[i]->step == c && d->v->blob[i]->parent == blob &&
		    d->v->blob[i]->elem == elem)
			return i;
	return fail(d, d->v->ev->flags & RST_EV_TRUNC ? "event size limit reached"
						       : "capture limit reached");
}

static bool std_crate(const char *name)
{
	return !strncmp(name, "core::", 6) || !strncmp(name, "alloc::", 7) ||
	       !strncmp(name, "std::", 5);
}

/* Debug of these std enums is derived. */
static bool derived_std_enum(const char *name)
{
	return !strncmp(name, "core::option::Option<", 21) ||
	       !strncmp(name, "core::result::Result<", 21) || !strcmp(name, "core::cmp::Ordering");
}

static int fmt(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	       int depth);

static int fmt_fields(struct dctx *d, const struct rtype *t, const char *name, int blob,
		      uint64_t off, struct strbuf *sb, int depth)
{
	int i;

	sb_puts(sb, name);
	if (!t->nfields)
		return 0;
	sb_puts(sb, t->tuple_fields ? "(" : " { ");
	for (i = 0; i < t->nfields; i++) {
		if (i)
			sb_puts(sb, ", ");
		if (!t->tuple_fields) {
			sb_puts(sb, t->fields[i].name ? t->fields[i].name : "?");
			sb_puts(sb, ": ");
		}
		if (fmt(d, t->fields[i].type, blob, off + t->fields[i].off, sb, depth + 1))
			return -1;
	}
	sb_puts(sb, t->tuple_fields ? ")" : " }");
	return 0;
}

static int fmt_enum(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		    struct strbuf *sb, int depth)
{
	const struct rvariant *v = NULL;
	const uint8_t *p;
	uint64_t discr = 0;
	int i;

	if (std_crate(t->name) && !derived_std_enum(t->name))
		return fail(d, "Debug of this std type not supported yet");
	if (t->discr.type) {
		int n = (int)t->discr.type->size;

		if (n > 8 || bytes(d, blob, off + t->discr.off, n, &p))
			return fail(d, "discriminant not readable");
		discr = le(p, n);
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
		return fail(d, "discriminant matches no variant");
	return fmt_fields(d, v->type, v->name ? v->name : "?", blob, off, sb, depth);
}

static int fmt_seq(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		   struct strbuf *sb, int depth)
{
	const struct rtype *e = t->target;
	const struct rst_blob *b;
	uint64_t n, have, i;
	int c;

	if (!e || !e->sized)
		return fail(d, "element type not described in DWARF");
	c = child_blob(d, blob, off + t->ptr_off, t);
	if (c < 0)
		return -1;
	b = d->v->blob[c];
	if (b->flags & RST_BLOB_FAULT)
		return fail(d, "memory not readable at the probe point");
	if (!e->size) {
		const uint8_t *lp;

		if (bytes(d, blob, off + t->len_off, 8, &lp))
			return -1;
		n = have = le(lp, 8);
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
		if (fmt(d, e, c, i * e->size, sb, depth + 1))
			return -1;
	}
	sb_putc(sb, ']');
	return 0;
}

static int fmt(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	       int depth)
{
	const uint8_t *p;
	uint64_t i;
	int c, r;

	if (!t)
		return fail(d, "type not described in DWARF");
	if (depth > 64)
		return fail(d, "value nested too deeply");
	switch (t->kind) {
	case RK_UNIT:
		sb_puts(sb, "()");
		return 0;
	case RK_BOOL:
		if (bytes(d, blob, off, 1, &p))
			return -1;
		if (*p > 1)
			return fail(d, "not a valid bool");
		sb_puts(sb, *p ? "true" : "false");
		return 0;
	case RK_CHAR:
		if (bytes(d, blob, off, 4, &p))
			return -1;
		if (!rfmt_valid_char((uint32_t)le(p, 4)))
			return fail(d, "not a valid char");
		rfmt_char(sb, (uint32_t)le(p, 4));
		return 0;
	case RK_INT:
	case RK_UINT:
		if (t->size == 0 || t->size > 16 || (t->size & (t->size - 1)))
			return fail(d, "unsupported integer size");
		if (bytes(d, blob, off, t->size, &p))
			return -1;
		if (t->size == 16) {
			unsigned __int128 v = ((unsigned __int128)le(p + 8, 8) << 64) | le(p, 8);

			if (t->kind == RK_INT)
				rfmt_i128(sb, (__int128)v);
			else
				rfmt_u128(sb, v);
		} else if (t->kind == RK_INT) {
			int64_t v = (int64_t)(le(p, t->size) << (64 - 8 * t->size)) >> (64 - 8 * t->size);

			sb_printf(sb, "%lld", (long long)v);
		} else {
			sb_printf(sb, "%llu", (unsigned long long)le(p, t->size));
		}
		return 0;
	case RK_FLOAT:
		if (t->size != 4 && t->size != 8)
			return fail(d, "unsupported float size");
		if (bytes(d, blob, off, t->size, &p))
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
	case RK_PTR:
		if (bytes(d, blob, off, 8, &p))
			return -1;
		sb_printf(sb, "0x%llx", (unsigned long long)le(p, 8));
		return 0;
	case RK_REF:
		if (bytes(d, blob, off, 8, &p))
			return -1;
		c = child_blob(d, blob, off, t->target);
		if (c < 0)
			return -1;
		return fmt(d, t->target, c, 0, sb, depth + 1);
	case RK_STR:
	case RK_STRING:
		c = child_blob(d, blob, off + t->ptr_off, t);
		if (c < 0)
			return -1;
		if (d->v->blob[c]->flags & RST_BLOB_FAULT)
			return fail(d, "memory not readable at the probe point");
		if (d->v->blob[c]->len < d->v->blob[c]->want)
			d->truncated = true;
		r = rfmt_str(sb, d->v->data[c], d->v->blob[c]->len,
			     d->v->blob[c]->len < d->v->blob[c]->want);
		if (r < 0)
			return fail(d, "string is not valid UTF-8");
		return 0;
	case RK_SLICE:
	case RK_VEC:
		return fmt_seq(d, t, blob, off, sb, depth);
	case RK_ARRAY:
		if (!t->target || !t->target->sized)
			return fail(d, "element type not described in DWARF");
		sb_putc(sb, '[');
		for (i = 0; i < t->count; i++) {
			if (i)
				sb_puts(sb, ", ");
			if (fmt(d, t->target, blob, off + i * t->target->size, sb, depth + 1))
				return -1;
		}
		sb_putc(sb, ']');
		return 0;
	case RK_TUPLE:
		sb_putc(sb, '(');
		for (i = 0; i < (uint64_t)t->nfields; i++) {
			if (i)
				sb_puts(sb, ", ");
			if (fmt(d, t->fields[i].type, blob, off + t->fields[i].off, sb, depth + 1))
				return -1;
		}
		sb_puts(sb, t->nfields == 1 ? ",)" : ")");
		return 0;
	case RK_STRUCT:
		if (std_crate(t->name))
			return fail(d, "Debug of this std type not supported yet");
		return fmt_fields(d, t, t->debug_name, blob, off, sb, depth);
	case RK_ENUM:
		return fmt_enum(d, t, blob, off, sb, depth);
	default:
		return fail(d, "type not supported yet");
	}
}

static void value_json(const struct plan_site *site, const struct ev_view *v,
		       const struct plan_value *val, bool with_name, struct strbuf *sb)
{
	struct dctx d = { .site = site, .v = v, .val = val, .root_blob = -1 };
	struct strbuf out;
	int i;

	sb_init(&out);
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
	if (!val->type) {
		/* rustc omits DW_AT_type for () and for unit structs alike */
		d.error = "zero-sized value: () or a unit struct, DWARF does not say which";
	} else if (val->type->sized && val->type->size == 0 && val->root < 0) {
		/* zero-sized: the type alone is the value */
		if (val->type->kind == RK_UNIT)
			sb_puts(&out, "()");
		else if (val->type->kind == RK_STRUCT && !val->type->nfields &&
			 !std_crate(val->type->name))
			sb_puts(&out, val->type->debug_name);
		else
			fmt(&d, val->type, -1, 0, &out, 0);
	} else if (val->root < 0) {
		d.error = val->error ? val->error : "not captured";
	} else {
		/* the root may itself follow a spilled pointer (DW_OP_deref): first blob of its step */
		for (i = 0; i < v->n; i++)
			if (v->blob[i]->step == val->root)
				break;
		if (i == v->n) {
			d.error = v->ev->flags & RST_EV_TRUNC ? "event size limit reached"
							       : "value not captured";
		} else {
			d.root_blob = i;
			fmt(&d, val->type, i, 0, &out, 0);
		}
	}
	if (d.error) {
		sb_puts(sb, ",\"value\":null,\"error\":");
		json_str(sb, d.error, strlen(d.error));
	} else {
		sb_puts(sb, ",\"value\":");
		json_str(sb, out.s ? out.s : "", out.len);
		if (d.truncated)
			sb_puts(sb, ",\"truncated\":true");
	}
	sb_putc(sb, '}');
	sb_free(&out);
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
	if (site->nvalues)
		value_json(site, v, &site->values[0], false, sb);
	else
		sb_puts(sb, "null");
}
