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

/*
 * The blob that the pointer at `off` of blob `blob` led to, read at pointer +
 * add for type t: its index, -1 if the plan has such a step but this event
 * has no blob for it, -2 if the plan has no such step.
 */
static int find_child(struct dctx *d, int blob, uint64_t off, int64_t add, const struct rtype *t)
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

static int child_blob_at(struct dctx *d, int blob, uint64_t off, int64_t add, const struct rtype *t)
{
	int c;

	if (blob < 0)
		return fail(d, "value not captured");
	c = find_child(d, blob, off, add, t);
	if (c == -2)
		return fail(d, d->site->steps_dropped ? "capture plan full" : "pointer depth limit reached");
	if (c == -1)
		return fail(d, d->v->ev->flags & RST_EV_TRUNC ? "event size limit reached"
							       : "capture limit reached");
	return c;
}

static int child_blob(struct dctx *d, int blob, uint64_t off, const struct rtype *t)
{
	return child_blob_at(d, blob, off, 0, t);
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

/*
 * OsStr/Path Debug (unix) prints valid UTF-8 exactly as str's Debug (checked
 * against rustc, quotes included: tests/fixtures/values2.rs); invalid bytes
 * would be \xNN escapes, which we do not print.
 */
static int fmt_os_str(struct dctx *d, const uint8_t *s, size_t n, bool cut, struct strbuf *sb)
{
	if (rfmt_str(sb, s, n, cut) < 0)
		return fail(d, "OsStr is not valid UTF-8");
	return 0;
}

/* A user type is printed in the derived format only if that is its Debug (debug_impl.c). */
static int check_derived(struct dctx *d, const struct rtype *t)
{
	switch (t->debug) {
	case RDBG_DERIVED:
	case RDBG_NONE:
		return 0;
	case RDBG_CUSTOM:
		return fail(d, "custom Debug impl");
	default:
		return fail(d, "Debug impl not checked to be #[derive(Debug)]");
	}
}

static int fmt_cenum(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		     struct strbuf *sb)
{
	const uint8_t *p;
	uint64_t v;
	int i;

	if (std_crate(t->name) && strcmp(t->name, "core::cmp::Ordering"))
		return fail(d, "Debug of this std type not supported yet");
	if (!std_crate(t->name) && check_derived(d, t))
		return -1;
	if (t->size == 0 || t->size > 8 || bytes(d, blob, off, t->size, &p))
		return fail(d, "discriminant not readable");
	v = le(p, (int)t->size);
	for (i = 0; i < t->nvariants; i++)
		if (t->variants[i].has_discr && t->variants[i].discr == v && t->variants[i].name) {
			sb_puts(sb, t->variants[i].name);
			return 0;
		}
	return fail(d, "discriminant matches no variant");
}

/* Duration's Debug: "1.5s", "1.000000001s", "1.5ms", "10µs", "100ns" (no precision given). */
static void rfmt_duration(struct strbuf *sb, uint64_t secs, uint32_t nanos)
{
	uint64_t integer;
	uint32_t frac, div;
	const char *unit;
	char digits[10];
	int n = 0;

	if (secs > 0) {
		integer = secs;
		frac = nanos;
		div = 100000000;
		unit = "s";
	} else if (nanos >= 1000000) {
		integer = nanos / 1000000;
		frac = nanos % 1000000;
		div = 100000;
		unit = "ms";
	} else if (nanos >= 1000) {
		integer = nanos / 1000;
		frac = nanos % 1000;
		div = 100;
		unit = "\xc2\xb5s";
	} else {
		integer = nanos;
		frac = 0;
		div = 1;
		unit = "ns";
	}
	/* std's fmt_decimal: digits while any fraction is left, at most 9 */
	while (frac > 0 && n < 9 && div > 0) {
		digits[n++] = (char)('0' + frac / div);
		frac %= div;
		div /= 10;
	}
	sb_printf(sb, "%llu", (unsigned long long)integer);
	if (n) {
		sb_putc(sb, '.');
		sb_putn(sb, digits, n);
	}
	sb_puts(sb, unit);
}

/* VecDeque: elements head..head+len of the ring buffer, wrapping at cap. */
static int fmt_deque(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		     struct strbuf *sb, int depth)
{
	const struct rtype *e = t->target;
	const uint8_t *hp, *lp, *cp;
	uint64_t head, len, cap, i, have;
	int c;

	if (!e || !e->sized || !e->size)
		return fail(d, "element type not described in DWARF");
	if (bytes(d, blob, off + t->head_off, 8, &hp) || bytes(d, blob, off + t->len_off, 8, &lp) ||
	    bytes(d, blob, off + t->cap_off, 8, &cp))
		return -1;
	head = le(hp, 8);
	len = le(lp, 8);
	cap = le(cp, 8);
	if (len > cap || (cap && head >= cap))
		return fail(d, "VecDeque header inconsistent");
	sb_putc(sb, '[');
	if (len) {
		c = child_blob(d, blob, off + t->ptr_off, t);
		if (c < 0)
			return -1;
		if (d->v->blob[c]->flags & (RST_BLOB_FAULT | RST_BLOB_NULL))
			return fail(d, "memory not readable at the probe point");
		have = d->v->blob[c]->len / e->size;
		for (i = 0; i < len; i++) {
			uint64_t k = (head + i) % cap;

			if (k >= have) {
				/* the ring was read up to the capture limit: print the prefix */
				d->truncated = true;
				break;
			}
			if (i)
				sb_puts(sb, ", ");
			if (fmt(d, e, c, k * e->size, sb, depth + 1))
				return -1;
		}
	}
	sb_putc(sb, ']');
	return 0;
}

/*
 * hashbrown: control byte i < 0x80 marks bucket i full; bucket i's element is
 * the (i + 1)-th element below ctrl. The buckets blob holds the last bytes
 * below ctrl (RST_STEP_BELOW), so bucket i is at blob->len - (i + 1) * size.
 */
static int fmt_hashmap(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		       struct strbuf *sb, int depth)
{
	const struct rtype *e = t->target;
	const struct rst_blob *cb, *bb;
	const uint8_t *ip;
	uint64_t items, i, shown = 0, nb;
	int c, bk;

	if (bytes(d, blob, off + t->len_off, 8, &ip))
		return -1;
	items = le(ip, 8);
	sb_putc(sb, '{');
	if (!items) {
		sb_putc(sb, '}');
		return 0;
	}
	c = child_blob(d, blob, off + t->ptr_off, t);
	bk = c < 0 ? -1 : child_blob(d, blob, off + t->ptr_off, e);
	if (bk < 0)
		return -1;
	cb = d->v->blob[c];
	bb = d->v->blob[bk];
	if ((cb->flags | bb->flags) & (RST_BLOB_FAULT | RST_BLOB_NULL))
		return fail(d, "memory not readable at the probe point");
	nb = bb->len / e->size;
	if (cb->len < nb)
		nb = cb->len;
	for (i = 0; i < nb && shown < items; i++) {
		uint64_t eo;

		if (d->v->data[c][i] & 0x80)
			continue;
		if (shown >= (uint64_t)d->site->max_array)
			break;
		eo = bb->len - (i + 1) * e->size;
		if (shown++)
			sb_puts(sb, ", ");
		if (fmt(d, t->key, bk, eo + t->key_off, sb, depth + 1))
			return -1;
		if (!t->is_set) {
			sb_puts(sb, ": ");
			if (fmt(d, t->val, bk, eo + t->val_off, sb, depth + 1))
				return -1;
		}
	}
	if (shown < items)
		d->truncated = true;
	sb_putc(sb, '}');
	return 0;
}

struct btree_walk {
	const struct rtype *t;
	uint64_t shown, limit;
};

/* In-order walk of one node: edge 0, key 0, edge 1, … key len-1, edge len. */
static int btree_node(struct dctx *d, struct btree_walk *w, int parent, uint64_t poff,
		      uint64_t height, struct strbuf *sb, int depth)
{
	const struct rtype *t = w->t;
	const uint8_t *lp;
	uint64_t len, i;
	int node, kb, vb = -1, edges = -1;

	node = child_blob(d, parent, poff, t->leaf);
	if (node < 0)
		return -1;
	if (bytes(d, node, t->node_len_off, 2, &lp))
		return -1;
	len = le(lp, 2);
	if (len > t->count)
		return fail(d, "B-tree node inconsistent");
	/* keys/vals copies exist only where they hold pointers (plan.c follow_btree) */
	kb = find_child(d, parent, poff, (int64_t)t->node_keys_off, t->key);
	if (kb == -1)
		return fail(d, "capture limit reached");
	if (!t->is_set) {
		vb = find_child(d, parent, poff, (int64_t)t->node_vals_off, t->val);
		if (vb == -1)
			return fail(d, "capture limit reached");
	}
	if (height > 0) {
		edges = child_blob_at(d, parent, poff, (int64_t)t->node_edges_off, t);
		if (edges < 0)
			return fail(d, "B-tree deeper than captured");
	}
	for (i = 0; i <= len; i++) {
		if (height > 0 && btree_node(d, w, edges, i * 8, height - 1, sb, depth + 1))
			return -1;
		if (i == len)
			break;
		if (w->shown >= w->limit) {
			d->truncated = true;
			return 0;
		}
		if (w->shown++)
			sb_puts(sb, ", ");
		if (kb >= 0 ? fmt(d, t->key, kb, i * t->key->size, sb, depth + 1)
			    : fmt(d, t->key, node, t->node_keys_off + i * t->key->size, sb, depth + 1))
			return -1;
		if (t->is_set)
			continue;
		sb_puts(sb, ": ");
		if (vb >= 0 ? fmt(d, t->val, vb, i * t->val->size, sb, depth + 1)
			    : fmt(d, t->val, node, t->node_vals_off + i * t->val->size, sb, depth + 1))
			return -1;
	}
	return 0;
}

static int fmt_btree(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		     struct strbuf *sb, int depth)
{
	struct btree_walk w = { .t = t, .limit = (uint64_t)d->site->max_array };
	const uint8_t *lp, *hp, *np;
	uint64_t len, height;

	if (bytes(d, blob, off + t->len_off, 8, &lp) || bytes(d, blob, off + t->ptr_off, 8, &np) ||
	    bytes(d, blob, off + t->head_off, 8, &hp))
		return -1;
	len = le(lp, 8);
	height = le(hp, 8);
	sb_putc(sb, '{');
	if (len && !le(np, 8))
		return fail(d, "B-tree root missing");
	if (len && btree_node(d, &w, blob, off + t->ptr_off, height, sb, depth))
		return -1;
	if (w.shown < len && !d->truncated)
		return fail(d, "B-tree length and nodes disagree");
	sb_putc(sb, '}');
	return 0;
}

/* &dyn Trait: the vtable (relocated by the load bias) names the concrete type. */
static int fmt_dyn(struct dctx *d, const struct rtype *t, int blob, uint64_t off,
		   struct strbuf *sb, int depth)
{
	const struct rtype *ct = NULL;
	const uint8_t *vp, *ipp;
	uint64_t vtable, bias;
	int i, c, ipb;

	if (bytes(d, blob, off + t->len_off, 8, &vp))
		return -1;
	if (!t->nimpls)
		return fail(d, "no vtable of this trait in the debug info");
	for (ipb = 0; ipb < d->v->n; ipb++)
		if (d->v->blob[ipb]->step == d->site->ip_step && d->v->blob[ipb]->parent == RST_NO_PARENT)
			break;
	if (d->site->ip_step < 0 || ipb == d->v->n || d->v->blob[ipb]->len < 8)
		return fail(d, "load address not captured");
	ipp = d->v->data[ipb];
	bias = le(ipp, 8) - d->site->pc;
	if (bias & 0xfff)
		return fail(d, "load address not captured");
	vtable = le(vp, 8) - bias;
	for (i = 0; i < t->nimpls; i++) {
		if (t->impls[i].vtable != vtable)
			continue;
		if (ct)
			return fail(d, "vtable shared by several types");
		ct = t->impls[i].type;
	}
	if (!ct)
		return fail(d, "vtable of an unknown type");
	c = child_blob(d, blob, off + t->ptr_off, t);
	if (c < 0)
		return -1;
	return fmt(d, ct, c, 0, sb, depth + 1);
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
		if (t->os_str)
			return fmt_os_str(d, d->v->data[c], d->v->blob[c]->len,
					  d->v->blob[c]->len < d->v->blob[c]->want, sb);
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
		if (check_derived(d, t))
			return -1;
		return fmt_fields(d, t, t->debug_name, blob, off, sb, depth);
	case RK_ENUM:
		if (!std_crate(t->name) && check_derived(d, t))
			return -1;
		return fmt_enum(d, t, blob, off, sb, depth);
	case RK_CENUM:
		return fmt_cenum(d, t, blob, off, sb);
	case RK_NONZERO:
		return fmt(d, t->inner, blob, off + t->inner_off, sb, depth + 1);
	case RK_CELL:
		sb_puts(sb, "Cell { value: ");
		if (fmt(d, t->inner, blob, off + t->inner_off, sb, depth + 1))
			return -1;
		sb_puts(sb, " }");
		return 0;
	case RK_REFCELL:
		if (bytes(d, blob, off + t->len_off, 8, &p))
			return -1;
		sb_puts(sb, "RefCell { value: ");
		/* try_borrow() fails while mutably borrowed (flag < 0): std prints a placeholder */
		if ((int64_t)le(p, 8) < 0)
			sb_puts(sb, "<borrowed>");
		else if (fmt(d, t->inner, blob, off + t->inner_off, sb, depth + 1))
			return -1;
		sb_puts(sb, " }");
		return 0;
	case RK_RC:
		if (bytes(d, blob, off + t->ptr_off, 8, &p))
			return -1;
		c = child_blob(d, blob, off + t->ptr_off, t->target);
		if (c < 0)
			return -1;
		return fmt(d, t->inner, c, t->inner_off, sb, depth + 1);
	case RK_DURATION: {
		const uint8_t *np;
		uint32_t nanos;

		if (bytes(d, blob, off + t->ptr_off, 8, &p) || bytes(d, blob, off + t->len_off, 4, &np))
			return -1;
		nanos = (uint32_t)le(np, 4);
		if (nanos >= 1000000000u)
			return fail(d, "not a valid Duration");
		rfmt_duration(sb, le(p, 8), nanos);
		return 0;
	}
	case RK_DEQUE:
		return fmt_deque(d, t, blob, off, sb, depth);
	case RK_HASHMAP:
		return fmt_hashmap(d, t, blob, off, sb, depth);
	case RK_BTREE:
		return fmt_btree(d, t, blob, off, sb, depth);
	case RK_DYN:
		return fmt_dyn(d, t, blob, off, sb, depth);
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
