// SPDX-License-Identifier: MIT
/*
 * std types whose Debug std's source fixes, printed from their DWARF layout
 * (classified in dwarf_std.c). Where the output changed between rustc
 * releases the release that built the type decides (t->rustc), and a release
 * whose output is not known gives no value.
 */
#include <string.h>
#include "decode_internal.h"

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

int dec_duration(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb)
{
	const uint8_t *p, *np;
	uint32_t nanos;

	if (dec_bytes(d, blob, off + t->ptr_off, 8, &p) ||
	    dec_bytes(d, blob, off + t->len_off, 4, &np))
		return -1;
	nanos = (uint32_t)dec_le(np, 4);
	if (nanos >= 1000000000u)
		return dec_fail(d, "not a valid Duration");
	rfmt_duration(sb, dec_le(p, 8), nanos);
	return 0;
}

/* VecDeque: elements head..head+len of the ring buffer, wrapping at cap. */
int dec_deque(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	      int depth)
{
	const struct rtype *e = t->target;
	const uint8_t *hp, *lp, *cp;
	uint64_t head, len, cap, i, have;
	int c;

	if (!e || !e->sized || !e->size)
		return dec_fail(d, "element type not described in DWARF");
	if (dec_bytes(d, blob, off + t->head_off, 8, &hp) ||
	    dec_bytes(d, blob, off + t->len_off, 8, &lp) ||
	    dec_bytes(d, blob, off + t->cap_off, 8, &cp))
		return -1;
	head = dec_le(hp, 8);
	len = dec_le(lp, 8);
	cap = dec_le(cp, 8);
	if (t->sub == RSUB_DEQUE_TAIL_HEAD) {
		/* rustc < 1.67: elements tail..head, capacity a power of two */
		if (cap & (cap - 1) || head >= cap || len >= cap)
			return dec_fail(d, "VecDeque header inconsistent");
		len = (len - head) & (cap - 1);
	}
	if (len > cap || (cap && head >= cap))
		return dec_fail(d, "VecDeque header inconsistent");
	sb_putc(sb, '[');
	if (len) {
		c = dec_child_blob(d, blob, off + t->ptr_off, t);
		if (c < 0)
			return -1;
		if (d->v->blob[c]->flags & (RST_BLOB_FAULT | RST_BLOB_NULL))
			return dec_fail(d, "memory not readable at the probe point");
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
			if (dec_fmt(d, e, c, k * e->size, sb, depth + 1))
				return -1;
		}
	}
	sb_putc(sb, ']');
	return 0;
}

/*
 * Whether a map key of type t at off of blob names a secret: 1 when it is a
 * string (or a fieldless enum's variant) a redact pattern matches, 0 when
 * it is not, -1 when it cannot be told (bytes missing; cut at the capture
 * limit where a pattern could match the rest). Sets no error: the caller
 * decides.
 */
static int key_redacted(struct dctx *d, const struct rtype *t, int blob, uint64_t off)
{
	const struct plan_redact *r = d->site->redact;
	const char *saved = d->error;
	const struct rst_blob *b;
	const uint8_t *p;
	int c, i, ret = -1;

	for (i = 0; t && t->kind == RK_REF && i < 4 && blob >= 0; i++) {
		blob = dec_child_blob(d, blob, off, t->target);
		off = 0;
		t = t->target;
	}
	if (!t || blob < 0)
		goto out;
	if (t->kind == RK_CENUM) {
		if (t->size == 0 || t->size > 8 || dec_bytes(d, blob, off, t->size, &p))
			goto out;
		for (i = 0; i < t->nvariants; i++)
			if (t->variants[i].has_discr && t->variants[i].name &&
			    t->variants[i].discr == dec_le(p, (int)t->size))
				ret = r->name(r->ctx, t->variants[i].name);
		goto out;
	}
	if (t->kind != RK_STR && t->kind != RK_STRING) {
		ret = 0;
		goto out;
	}
	c = dec_child_blob(d, blob, off + t->ptr_off, t);
	if (c < 0)
		goto out;
	b = d->v->blob[c];
	if (b->flags & RST_BLOB_FAULT)
		goto out;
	ret = r->text(r->ctx, (const char *)d->v->data[c], b->len, b->len < b->want);
	if (ret && b->len < b->want)
		ret = -1;
out:
	d->error = saved;
	return ret;
}

int dec_map_value(struct dctx *d, const struct rtype *key, int kblob, uint64_t koff,
		  const struct rtype *val, int vblob, uint64_t voff, struct strbuf *sb, int depth)
{
	int k = d->site->redact ? key_redacted(d, key, kblob, koff) : 0;

	if (k > 0) {
		/* BPF copied it (keys are only known at run time); it is never printed */
		sb_puts(sb, PLAN_REDACTED);
		d->redacted = true;
		return 0;
	}
	if (k < 0)
		return dec_fail_debug(d, "map key not fully captured: whether its value is "
					 "redacted is unknown", sb);
	return dec_fmt(d, val, vblob, voff, sb, depth);
}

/*
 * hashbrown: control byte i < 0x80 marks bucket i full; bucket i's element is
 * the (i + 1)-th element below ctrl. The buckets blob holds the last bytes
 * below ctrl (RST_STEP_BELOW), so bucket i is at blob->len - (i + 1) * size.
 */
int dec_hashmap(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
		int depth)
{
	const struct rtype *e = t->target;
	const struct rst_blob *cb, *bb;
	const uint8_t *ip;
	uint64_t items, i, shown = 0, nb;
	int c, bk;

	if (dec_bytes(d, blob, off + t->len_off, 8, &ip))
		return -1;
	items = dec_le(ip, 8);
	sb_putc(sb, '{');
	if (!items) {
		sb_putc(sb, '}');
		return 0;
	}
	c = dec_child_blob(d, blob, off + t->ptr_off, t);
	bk = c < 0 ? -1 : dec_child_blob(d, blob, off + t->ptr_off, e);
	if (bk < 0)
		return -1;
	cb = d->v->blob[c];
	bb = d->v->blob[bk];
	if ((cb->flags | bb->flags) & (RST_BLOB_FAULT | RST_BLOB_NULL))
		return dec_fail(d, "memory not readable at the probe point");
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
		if (dec_fmt(d, t->key, bk, eo + t->key_off, sb, depth + 1))
			return -1;
		if (!t->is_set) {
			sb_puts(sb, ": ");
			if (dec_map_value(d, t->key, bk, eo + t->key_off, t->val, bk,
					  eo + t->val_off, sb, depth + 1))
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
	uint64_t len, i, koff, voff;
	int node, kb, vb = -1, edges = -1;

	node = dec_child_blob(d, parent, poff, t->leaf);
	if (node < 0)
		return -1;
	if (dec_bytes(d, node, t->node_len_off, 2, &lp))
		return -1;
	len = dec_le(lp, 2);
	if (len > t->count)
		return dec_fail(d, "B-tree node inconsistent");
	/* keys/vals copies exist only where they hold pointers (plan.c follow_btree) */
	kb = dec_find_child(d, parent, poff, (int64_t)t->node_keys_off, t->key);
	if (kb == -1)
		return dec_fail(d, "capture limit reached");
	if (!t->is_set) {
		vb = dec_find_child(d, parent, poff, (int64_t)t->node_vals_off, t->val);
		if (vb == -1)
			return dec_fail(d, "capture limit reached");
	}
	if (height > 0) {
		edges = dec_child_blob_at(d, parent, poff, (int64_t)t->node_edges_off, t);
		if (edges < 0)
			return dec_fail(d, "B-tree deeper than captured");
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
		if (kb >= 0 ? dec_fmt(d, t->key, kb, i * t->key->size, sb, depth + 1)
			    : dec_fmt(d, t->key, node, t->node_keys_off + i * t->key->size, sb,
				      depth + 1))
			return -1;
		if (t->is_set)
			continue;
		sb_puts(sb, ": ");
		koff = kb >= 0 ? 0 : t->node_keys_off;
		voff = vb >= 0 ? 0 : t->node_vals_off;
		if (dec_map_value(d, t->key, kb >= 0 ? kb : node, koff + i * t->key->size, t->val,
				  vb >= 0 ? vb : node, voff + i * t->val->size, sb, depth + 1))
			return -1;
	}
	return 0;
}

int dec_btree(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	      int depth)
{
	struct btree_walk w = {.t = t, .limit = (uint64_t)d->site->max_array};
	const uint8_t *lp, *hp, *np;
	uint64_t len, height;

	if (dec_bytes(d, blob, off + t->len_off, 8, &lp) ||
	    dec_bytes(d, blob, off + t->ptr_off, 8, &np) ||
	    dec_bytes(d, blob, off + t->head_off, 8, &hp))
		return -1;
	len = dec_le(lp, 8);
	height = dec_le(hp, 8);
	sb_putc(sb, '{');
	if (len && !dec_le(np, 8))
		return dec_fail(d, "B-tree root missing");
	if (len && btree_node(d, &w, blob, off + t->ptr_off, height, sb, depth))
		return -1;
	if (w.shown < len && !d->truncated)
		return dec_fail(d, "B-tree length and nodes disagree");
	sb_putc(sb, '}');
	return 0;
}

/* &dyn Trait: the vtable (relocated by the load bias) names the concrete type. */
int dec_dyn(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	    int depth)
{
	const struct rtype *ct = NULL;
	const uint8_t *vp, *ipp;
	uint64_t vtable, bias;
	int i, c, ipb;

	if (dec_bytes(d, blob, off + t->len_off, 8, &vp))
		return -1;
	if (!t->nimpls)
		return dec_fail_debug(d, "no vtable of this trait in the debug info", sb);
	for (ipb = 0; ipb < d->v->n; ipb++)
		if (d->v->blob[ipb]->step == d->site->ip_step &&
		    d->v->blob[ipb]->parent == RST_NO_PARENT)
			break;
	if (d->site->ip_step < 0 || ipb == d->v->n || d->v->blob[ipb]->len < 8)
		return dec_fail(d, "load address not captured");
	ipp = d->v->data[ipb];
	bias = dec_le(ipp, 8) - d->site->pc;
	if (bias & 0xfff)
		return dec_fail(d, "load address not captured");
	vtable = dec_le(vp, 8) - bias;
	for (i = 0; i < t->nimpls; i++) {
		if (t->impls[i].vtable != vtable)
			continue;
		if (ct)
			return dec_fail_debug(d, "vtable shared by several types", sb);
		ct = t->impls[i].type;
	}
	if (!ct)
		return dec_fail_debug(d, "vtable of an unknown type", sb);
	c = dec_child_blob(d, blob, off + t->ptr_off, t);
	if (c < 0)
		return -1;
	return dec_fmt(d, ct, c, 0, sb, depth + 1);
}

/* Range: "3..9", "1..=5", "1..=3 (exhausted)", "-4..", "..10", "..='z'" (rustc 1.63 to 1.95 alike).
 */
int dec_range(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	      int depth)
{
	const uint8_t *x;

	if (t->sub == RSUB_RANGE || t->sub == RSUB_RANGE_INCL || t->sub == RSUB_RANGE_FROM)
		if (dec_fmt(d, t->inner, blob, off + t->ptr_off, sb, depth + 1))
			return -1;
	sb_puts(sb, t->sub == RSUB_RANGE_INCL || t->sub == RSUB_RANGE_TO_INCL ? "..=" : "..");
	if (t->sub != RSUB_RANGE_FROM &&
	    dec_fmt(d, t->inner, blob, off + t->len_off, sb, depth + 1))
		return -1;
	if (t->sub != RSUB_RANGE_INCL)
		return 0;
	if (dec_bytes(d, blob, off + t->head_off, 1, &x))
		return -1;
	if (*x > 1)
		return dec_fail(d, "not a valid bool");
	if (*x)
		sb_puts(sb, " (exhausted)");
	return 0;
}

/* futex RwLock: try_read() fails when write-locked, at the reader limit or with waiters queued. */
#define RW_MASK ((1u << 30) - 1)
#define RW_MAX_READERS (RW_MASK - 1)
#define RW_READERS_WAITING (1u << 30)
#define RW_WRITERS_WAITING (1u << 31)

/*
 * Mutex/RwLock: "Mutex { data: 5, poisoned: false, .. }". std's Debug tries to
 * lock: when that fails the data is a placeholder, `"<locked>"` for a Mutex
 * in rustc 1.95 but `<locked>` in 1.63 (unknown in between), `<locked>` for
 * an RwLock in both.
 */
int dec_lock(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	     int depth)
{
	const uint8_t *w, *p;
	uint32_t state;
	bool locked;

	if (dec_bytes(d, blob, off + t->head_off, 4, &w) ||
	    dec_bytes(d, blob, off + t->len_off, 1, &p))
		return -1;
	if (*p > 1)
		return dec_fail(d, "not a valid bool");
	state = (uint32_t)dec_le(w, 4);
	if (t->sub == RSUB_MUTEX)
		locked = state != 0;
	else
		locked = !((state & RW_MASK) < RW_MAX_READERS && !(state & RW_READERS_WAITING) &&
			   !(state & RW_WRITERS_WAITING));
	sb_puts(sb, t->sub == RSUB_MUTEX ? "Mutex { data: " : "RwLock { data: ");
	if (!locked) {
		if (dec_fmt(d, t->inner, blob, off + t->inner_off, sb, depth + 1))
			return -1;
	} else if (t->sub == RSUB_RWLOCK || (t->rustc && t->rustc <= 63)) {
		sb_puts(sb, "<locked>");
	} else if (t->rustc >= 95) {
		sb_puts(sb, "\"<locked>\"");
	} else if (dec_fail_debug(d, "Debug of a locked Mutex differs across rustc releases", sb)) {
		return -1;
	}
	sb_puts(sb, *p ? ", poisoned: true, .. }" : ", poisoned: false, .. }");
	return 0;
}

/*
 * Raw pointers to unsized types (and NonNull of them): the address up to
 * rustc 1.86; from 1.87 also the metadata (rust-lang/rust#135080):
 * "Pointer { addr: 0x…, metadata: 3 }", "… metadata: DynMetadata(0x…) }".
 */
int dec_fatptr(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb)
{
	const uint8_t *a, *m;

	if (dec_bytes(d, blob, off + t->ptr_off, 8, &a) ||
	    dec_bytes(d, blob, off + t->len_off, 8, &m))
		return -1;
	if (!t->rustc)
		return dec_fail_debug(d, "Debug of raw fat pointers depends on the rustc release",
				      sb);
	if (t->rustc < 87) {
		sb_printf(sb, "0x%llx", (unsigned long long)dec_le(a, 8));
		return 0;
	}
	sb_printf(sb, "Pointer { addr: 0x%llx, metadata: ", (unsigned long long)dec_le(a, 8));
	if (t->sub)
		sb_printf(sb, "DynMetadata(0x%llx) }", (unsigned long long)dec_le(m, 8));
	else
		sb_printf(sb, "%llu }", (unsigned long long)dec_le(m, 8));
	return 0;
}

/* Instant/SystemTime (unix): "Instant { tv_sec: 968, tv_nsec: 306176778 }". */
int dec_timespec(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
		 int depth)
{
	sb_puts(sb, t->debug_name);
	sb_puts(sb, " { tv_sec: ");
	if (dec_fmt(d, t->key, blob, off + t->key_off, sb, depth + 1))
		return -1;
	sb_puts(sb, ", tv_nsec: ");
	if (dec_fmt(d, t->val, blob, off + t->val_off, sb, depth + 1))
		return -1;
	sb_puts(sb, " }");
	return 0;
}
