// SPDX-License-Identifier: MIT
#include <stddef.h>
#include "abi.h"

/*
 * The backend representation rustc gives a type (rustc_abi's BackendRepr),
 * rebuilt from the DWARF layout: one scalar, a pair of scalars, or memory.
 * Only rules whose result is certain are applied; anything else is unknown.
 */
static struct abi abi_of(const struct rtype *t, int depth);

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return a ? (x + a - 1) / a * a : x;
}

/* A scalar's alignment on x86-64 (128-bit integers are kept out of pairs). */
static uint64_t scalar_align(uint64_t size)
{
	return size > 8 ? 16 : size;
}

/* A struct/variant: its non-ZST fields decide (rustc's univariant layout). */
static struct abi abi_fields(const struct rtype *t, const struct rfield *fs, int n, uint64_t size,
			     int depth)
{
	struct abi r = { .kind = ABI_UNKNOWN }, a[2];
	const struct rfield *f[2];
	int i, k = 0;

	for (i = 0; i < n; i++) {
		struct abi x = abi_of(fs[i].type, depth + 1);

		if (x.kind == ABI_UNKNOWN)
			return x;
		if (x.kind == ABI_ZST)
			continue;
		if (k < 2) {
			a[k] = x;
			f[k] = &fs[i];
		}
		k++;
	}
	if (k == 0) {
		r.kind = size ? ABI_UNKNOWN : ABI_ZST;
		return r;
	}
	if (k == 1) {
		/* a newtype has its field's representation */
		if (f[0]->off == 0 && f[0]->type->size == size)
			return a[0];
		r.kind = ABI_MEMORY;
		return r;
	}
	r.kind = ABI_MEMORY;
	if (k > 2 || a[0].kind != ABI_SCALAR || a[1].kind != ABI_SCALAR)
		return r;
	if (f[0]->off > f[1]->off) {
		struct abi x = a[0];
		const struct rfield *y = f[0];

		a[0] = a[1];
		a[1] = x;
		f[0] = f[1];
		f[1] = y;
	}
	/* with a 128-bit integer: memory for rustc 1.95 (checked), registers before */
	if (a[0].size[0] > 8 || a[1].size[0] > 8) {
		if (t->rustc < 95)
			r = (struct abi){ .kind = ABI_UNKNOWN, .wide_pair = true };
		return r;
	}
	if (f[0]->off != 0 ||
	    f[1]->off != round_up(a[0].size[0], scalar_align(a[1].size[0])) ||
	    size != round_up(f[1]->off + a[1].size[0],
			     scalar_align(a[0].size[0]) > scalar_align(a[1].size[0])
				     ? scalar_align(a[0].size[0])
				     : scalar_align(a[1].size[0])))
		return r;
	r.kind = ABI_PAIR;
	r.off[0] = 0;
	r.size[0] = a[0].size[0];
	r.prim[0] = a[0].prim[0];
	r.sign[0] = a[0].sign[0];
	r.off[1] = f[1]->off;
	r.size[1] = a[1].size[0];
	r.prim[1] = a[1].prim[0];
	r.sign[1] = a[1].sign[0];
	return r;
}

/*
 * rustc merges the payloads of enum variants into one scalar only if their
 * primitives are equal, and a bool or char is an unsigned integer there.
 */
static enum prim int_class(enum prim p)
{
	return p == PRIM_BOOL || p == PRIM_CHAR ? PRIM_INT : p;
}

static bool same_sign(const struct abi *a, const struct abi *b)
{
	return int_class(a->prim[0]) != PRIM_INT || a->sign[0] == b->sign[0];
}

/*
 * Whether rustc merges the payloads p (so far) and x of a tagged enum's
 * variants into one scalar: false if it does; true with r set otherwise
 * (ABI_MEMORY: it certainly does not, ABI_UNKNOWN: not known for this
 * release). Only scalars of one size at one offset merge: equal primitives
 * (a bool or char is an unsigned integer there), integers of both
 * signednesses (rustc 1.95; not 1.63 nor 1.65, rust-lang/rust#100698), an
 * integer with a pointer (1.95, not 1.63). Checked with both rustcs' LLVM IR.
 */
static bool merge_payload(const struct rtype *t, const struct abi *p, const struct abi *x, uint64_t poff,
			  uint64_t xoff, struct abi *r)
{
	enum prim a = int_class(p->prim[0]), b = int_class(x->prim[0]);
	bool known_old = t->rustc && t->rustc <= 63, known_new = t->rustc >= 95;

	r->kind = ABI_MEMORY;
	if (p->size[0] != x->size[0] || poff != xoff || a == PRIM_FLOAT || b == PRIM_FLOAT)
		return a != b || p->size[0] != x->size[0] || poff != xoff;
	if (a == b && same_sign(p, x))
		return false;
	if (a == b && t->rustc && t->rustc <= 65)
		return true; /* signedness differs */
	if (a != b && known_old)
		return true; /* integer and pointer */
	if (known_new)
		return false;
	r->kind = ABI_UNKNOWN;
	return true;
}

/*
 * Enums. Niche-filled (a variant without discriminant value): the dataful
 * variant's representation, if every other variant is empty. Tagged: the tag
 * alone, or (tag, payload) when every variant's payload is at most one scalar
 * of the same primitive at the same offset.
 */
static struct abi abi_enum(const struct rtype *t, int depth)
{
	struct abi r = { .kind = ABI_UNKNOWN }, p = { .kind = ABI_ZST }, x;
	const struct rvariant *dataful = NULL;
	uint64_t poff = 0;
	bool niche = false;
	int i, j;

	if (!t->discr.type || t->nvariants == 0)
		return r;
	for (i = 0; i < t->nvariants; i++) {
		const struct rtype *v = t->variants[i].type;

		if (!v)
			return r;
		if (!t->variants[i].has_discr) {
			if (dataful)
				return r;
			dataful = &t->variants[i];
			niche = true;
		}
	}
	if (niche) {
		for (i = 0; i < t->nvariants; i++) {
			const struct rtype *v = t->variants[i].type;

			if (&t->variants[i] == dataful)
				continue;
			x = abi_fields(t, v->fields, v->nfields, 0, depth);
			if (x.kind != ABI_ZST)
				return r;
		}
		if (dataful->type->size != t->size)
			return r;
		return abi_fields(t, dataful->type->fields, dataful->type->nfields, t->size, depth);
	}
	/* tagged: the tag first, an integer */
	if (t->discr.off != 0 || (t->discr.type->kind != RK_UINT && t->discr.type->kind != RK_INT))
		return r;
	for (i = 0; i < t->nvariants; i++) {
		const struct rtype *v = t->variants[i].type;
		int k = 0;

		for (j = 0; j < v->nfields; j++) {
			x = abi_of(v->fields[j].type, depth + 1);
			if (x.kind == ABI_UNKNOWN)
				return x;
			if (x.kind == ABI_ZST)
				continue;
			if (k++ || x.kind != ABI_SCALAR) {
				r.kind = ABI_MEMORY;
				return r;
			}
			if (p.kind == ABI_ZST) {
				p = x;
				poff = v->fields[j].off;
			} else if (merge_payload(t, &p, &x, poff, v->fields[j].off, &r)) {
				return r;
			}
		}
	}
	if (p.kind == ABI_ZST) {
		if (t->discr.type->size != t->size)
			return r;
		r.kind = ABI_SCALAR;
		r.size[0] = t->size;
		r.prim[0] = PRIM_INT;
		return r;
	}
	if (p.size[0] > 8 && t->rustc < 95) {
		r.wide_pair = true;
		return r;
	}
	if (p.size[0] > 8 || poff != round_up(t->discr.type->size, scalar_align(p.size[0])) ||
	    t->size != round_up(poff + p.size[0], scalar_align(p.size[0]) > t->discr.type->size
							   ? scalar_align(p.size[0])
							   : t->discr.type->size))
		return r;
	r.kind = ABI_PAIR;
	r.off[0] = 0;
	r.size[0] = t->discr.type->size;
	r.prim[0] = PRIM_INT;
	r.off[1] = poff;
	r.size[1] = p.size[0];
	r.prim[1] = p.prim[0];
	return r;
}

static struct abi abi_of(const struct rtype *t, int depth)
{
	struct abi r = { .kind = ABI_UNKNOWN };

	if (!t || !t->sized || depth > 16)
		return r;
	if (t->size == 0) {
		r.kind = ABI_ZST;
		return r;
	}
	r.kind = ABI_SCALAR;
	r.size[0] = t->size;
	switch (t->kind) {
	case RK_BOOL:
		r.prim[0] = PRIM_BOOL;
		return r;
	case RK_CHAR:
		r.prim[0] = PRIM_CHAR;
		return r;
	case RK_INT:
	case RK_UINT:
	case RK_CENUM:
		r.prim[0] = PRIM_INT;
		r.sign[0] = t->kind == RK_INT;
		return r;
	case RK_FLOAT:
		r.prim[0] = PRIM_FLOAT;
		return r;
	case RK_REF:
	case RK_PTR:
		r.prim[0] = PRIM_PTR;
		return t->size == 8 ? r : (struct abi){ .kind = ABI_UNKNOWN };
	case RK_ARRAY:
		r.kind = ABI_MEMORY;
		return r;
	case RK_ENUM:
		return abi_enum(t, depth);
	case RK_UNKNOWN:
	case RK_UNIT:
		r.kind = ABI_UNKNOWN;
		return r;
	default:
		/* structs, tuples, and the std types recognised by name (all structs) */
		return abi_fields(t, t->fields, t->nfields, t->size, depth);
	}
}

struct abi abi__of(const struct rtype *t)
{
	return abi_of(t, 0);
}
