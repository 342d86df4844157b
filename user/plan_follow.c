// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "plan_follow.h"

int steps__add(struct step_builder *b, const struct rst_step *st, struct rtype *t)
{
	struct rst_plan *p = &b->site->bpf;

	if (p->nsteps >= RST_MAX_STEPS || (b->limit && p->nsteps >= b->limit)) {
		b->site->steps_dropped = true;
		return -1;
	}
	p->steps[p->nsteps] = *st;
	b->site->step_type[p->nsteps] = t;
	b->stride[p->nsteps] = 0;
	b->nelems[p->nsteps] = 0;
	return p->nsteps++;
}

/*
 * The fields of a tuple struct or tuple variant have no names: the type's
 * stands for them all (`Auth::Token(String)` for *token*), as written and
 * in snake_case (`ApiKey(String)` for api_?ey). Tuples and closure
 * environments are named by punctuation and never match.
 */
static bool tuple_redacted(const struct plan_redact *r, const struct rtype *t)
{
	const char *n = t->debug_name;
	char snake[256];
	size_t i, k = 0;
	bool camel = false;

	if (!n || !(isalpha((unsigned char)n[0]) || n[0] == '_'))
		return false;
	if (r->name(r->ctx, n))
		return true;
	for (i = 0; n[i]; i++) {
		unsigned char c = (unsigned char)n[i], prev = i ? (unsigned char)n[i - 1] : 0;

		if (k + 2 >= sizeof(snake))
			return true; /* not compared both ways: hide rather than guess */
		/* rustc's snake_case: HttpServer, HTTPServer -> http_server */
		if (i && isupper(c) && (islower(prev) || isdigit(prev) ||
					(isupper(prev) && islower((unsigned char)n[i + 1])))) {
			snake[k++] = '_';
			camel = true;
		}
		snake[k++] = (char)tolower(c);
	}
	return camel && r->text(r->ctx, snake, k, false);
}

/*
 * Tuple fields (__0, __1, …) are positions, not names. rustc names a
 * closure's by-reference capture `_ref__NAME`: the name matched is the
 * variable's, as in the source.
 */
bool plan__field_redacted(const struct plan_redact *r, const struct rtype *t, int i)
{
	const char *n;

	if (!r || i < 0 || i >= t->nfields)
		return false;
	if (t->tuple_fields)
		return tuple_redacted(r, t);
	if (!(n = t->fields[i].name))
		return false;
	if (n[0] == '_' && n[1] == '_' && n[2] >= '0' && n[2] <= '9')
		return false;
	if (!strncmp(n, "_ref__", 6) && n[6] && t->name && strstr(t->name, "{closure_env#"))
		n += 6;
	return r->name(r->ctx, n);
}

/* A pointer at off of step s's elements is one another alternative keeps in a redacted field. */
static bool denied(struct step_builder *b, int s, uint64_t off)
{
	int i;

	for (i = 0; i < b->ndeny; i++)
		if (b->deny[i].step == s && off < b->deny[i].hi && off + 8 > b->deny[i].lo) {
			b->redact_cut = true;
			return true;
		}
	return false;
}

static void deny_add(struct step_builder *b, int s, uint64_t lo, uint64_t hi)
{
	if (b->ndeny == PLAN_DENY_MAX - 1) {
		/* the last place left: deny the whole step rather than forget any */
		lo = 0;
		hi = UINT64_MAX;
	}
	if (b->ndeny < PLAN_DENY_MAX)
		b->deny[b->ndeny++] = (struct plan_deny){ .step = s, .lo = lo, .hi = hi };
}

static bool scalar(const struct rtype *t)
{
	switch (t->kind) {
	case RK_UNIT:
	case RK_BOOL:
	case RK_CHAR:
	case RK_INT:
	case RK_UINT:
	case RK_FLOAT:
	case RK_CENUM:
	case RK_DURATION:
	case RK_TIMESPEC:
		return true;
	default:
		return false;
	}
}

/* Every place of a value of type t (at off of step s's elements) that may hold a pointer. */
static void deny_pointers(struct step_builder *b, const struct rtype *t, int s, uint64_t off,
			  int depth)
{
	int i;

	if (!t || !t->sized || depth > 32) {
		deny_add(b, s, off, UINT64_MAX); /* extent unknown: the rest of the element */
		return;
	}
	if (scalar(t))
		return;
	switch (t->kind) {
	case RK_STRUCT:
	case RK_TUPLE:
		for (i = 0; i < t->nfields; i++)
			deny_pointers(b, t->fields[i].type, s, off + t->fields[i].off, depth + 1);
		break;
	case RK_ENUM:
		for (i = 0; i < t->nvariants; i++)
			deny_pointers(b, t->variants[i].type, s, off, depth + 1);
		break;
	case RK_ARRAY:
		if (!t->target || !scalar(t->target))
			deny_add(b, s, off, off + t->size);
		break;
	case RK_CELL:
	case RK_REFCELL:
	case RK_INNER:
	case RK_LOCK:
		deny_pointers(b, t->inner, s, off + t->inner_off, depth + 1);
		break;
	case RK_REF:
	case RK_PTR:
		deny_add(b, s, off, off + 8);
		break;
	case RK_STR:
	case RK_STRING:
	case RK_SLICE:
	case RK_VEC:
	case RK_DEQUE:
	case RK_HASHMAP:
	case RK_BTREE:
	case RK_DYN:
	case RK_RC:
	case RK_FATPTR:
		deny_add(b, s, off + t->ptr_off, off + t->ptr_off + 8);
		break;
	default: /* ranges, fixed-text types (Sender, UnsafeCell), unknown kinds: all of it */
		deny_add(b, s, off, off + t->size);
		break;
	}
}

/* The pointer places of the redacted fields inside a value of type t (in place at off). */
static void deny_redacted(struct step_builder *b, const struct rtype *t, int s, uint64_t off,
			  int depth)
{
	int i, mark;

	if (!t || depth > 32)
		return;
	switch (t->kind) {
	case RK_STRUCT:
	case RK_TUPLE:
		for (i = 0; i < t->nfields; i++) {
			const struct rfield *f = &t->fields[i];

			if (plan__field_redacted(b->site->redact, t, i))
				deny_pointers(b, f->type, s, off + f->off, 0);
			else
				deny_redacted(b, f->type, s, off + f->off, depth + 1);
		}
		break;
	case RK_ENUM:
		for (i = 0; i < t->nvariants; i++)
			deny_redacted(b, t->variants[i].type, s, off, depth + 1);
		break;
	case RK_ARRAY:
		/* every element has the same layout: none has a redacted field if the first has not */
		mark = b->ndeny;
		for (i = 0; t->target && t->target->size && i < (int)t->count; i++) {
			deny_redacted(b, t->target, s, off + i * t->target->size, depth + 1);
			if (b->ndeny == mark || b->ndeny == PLAN_DENY_MAX)
				break;
		}
		break;
	case RK_CELL:
	case RK_REFCELL:
	case RK_INNER:
	case RK_LOCK:
		deny_redacted(b, t->inner, s, off + t->inner_off, depth + 1);
		break;
	case RK_RANGE:
		deny_redacted(b, t->inner, s, off + t->ptr_off, depth + 1);
		deny_redacted(b, t->inner, s, off + t->len_off, depth + 1);
		break;
	default: /* anything behind a pointer is in another step */
		break;
	}
}

int steps__deref(struct step_builder *b, int parent, uint64_t ptr_off, int64_t len_off,
		 uint32_t elem_size, uint64_t max_len, struct rtype *t)
{
	struct rst_step st = {
		.op = RST_OP_DEREF,
		.parent = parent,
		.ptr_off = ptr_off,
		.len_off = len_off < 0 ? RST_NO_LEN : len_off,
		.stride = b->stride[parent],
		.elem_size = elem_size,
		.max_len = max_len > RST_READ_MAX ? RST_READ_MAX : max_len,
		.max_elems = !b->stride[parent] ? 1u : b->nelems[parent] ? b->nelems[parent] : (uint32_t)b->lim->max_array,
	};

	if (ptr_off >= RST_NO_LEN || (len_off >= RST_NO_LEN) || denied(b, parent, ptr_off))
		return -1;
	return steps__add(b, &st, t);
}


/*
 * Rc<str>, Arc<[T]>: the elements, `length` of them, inner_off bytes behind
 * the pointer (after the reference counts).
 */
static void follow_rc_unsized(struct step_builder *b, struct rtype *t, int s, uint64_t off,
			      int depth)
{
	struct rtype *e = t->target;
	bool str = t->sub == RSUB_RC_STR;
	uint64_t max;
	int c;

	if (!e || !e->sized || depth >= b->lim->max_depth + 1)
		return;
	max = str ? (uint64_t)b->lim->max_string : (uint64_t)b->lim->max_array * e->size;
	c = steps__deref(b, s, off + t->ptr_off, off + t->len_off, e->size, max, t);
	if (c < 0)
		return;
	b->site->bpf.steps[c].off = (int64_t)t->inner_off;
	if (!str && e->size) {
		b->stride[c] = e->size;
		steps__follow(b, e, c, 0, depth + 1);
	}
}

/* Buckets read per hash table: table order up to here is printed, the rest is "truncated". */
#define HASH_MAX_BUCKETS 128

/*
 * hashbrown: bucket_mask + 1 control bytes at ctrl (a byte < 0x80 marks a full
 * bucket), and bucket i's element at ctrl - (i + 1) * size. Iteration, and so
 * {:?}, goes by increasing i. Both are read below/at ctrl with the LEN1 flag.
 */
static void follow_hashmap(struct step_builder *b, struct rtype *t, int s, uint64_t off, int depth)
{
	struct rtype *e = t->target;
	uint64_t nb = HASH_MAX_BUCKETS;
	int c;

	if (!e || !e->sized || !e->size || depth >= b->lim->max_depth + 1)
		return;
	if (nb * e->size > RST_READ_MAX)
		nb = RST_READ_MAX / e->size;
	c = steps__deref(b, s, off + t->ptr_off, off + t->cap_off, 1, nb, t);
	if (c >= 0)
		b->site->bpf.steps[c].flags |= RST_STEP_LEN1;
	c = steps__deref(b, s, off + t->ptr_off, off + t->cap_off, e->size, nb * e->size, e);
	if (c < 0)
		return;
	b->site->bpf.steps[c].flags |= RST_STEP_LEN1 | RST_STEP_BELOW;
	b->stride[c] = e->size;
	b->nelems[c] = nb;
	steps__follow(b, e, c, 0, depth + 1);
}

/* Levels of a B-tree read below the root (root = level 0). */
#define BTREE_LEVELS 2

/* The n keys (or values) of one B-tree node: an array of `size`-byte slots at slots_off. */
static void btree_slots(struct step_builder *b, int parent, uint64_t poff, uint64_t n, uint64_t size,
			struct rtype *t, int64_t slots_off, int depth)
{
	int s;

	if (!size)
		return;
	s = steps__deref(b, parent, poff, -1, 1, n * size, t);
	if (s < 0)
		return;
	b->site->bpf.steps[s].off = slots_off;
	b->stride[s] = size;
	steps__follow(b, t, s, 0, depth + 1);
}

/*
 * BTreeMap: per level, every node (LeafNode; an InternalNode starts with one),
 * its edges array (garbage, and maybe a fault, for leaves: the decoder knows
 * the height), and for keys/values holding pointers a strided copy of the
 * keys/vals arrays so one step follows the pointers of all of them.
 */
static void follow_btree(struct step_builder *b, struct rtype *t, int s, uint64_t off, int depth)
{
	int level, parent = s, edges;
	uint64_t poff = off + t->ptr_off;
	uint64_t ks = t->key->size, vs = t->val ? t->val->size : 0;

	if (depth >= b->lim->max_depth + 1)
		return;
	for (level = 0; level < BTREE_LEVELS; level++) {
		if (steps__deref(b, parent, poff, -1, 1, t->leaf->size, t->leaf) < 0)
			return;
		btree_slots(b, parent, poff, t->count, ks, t->key, t->node_keys_off, depth);
		btree_slots(b, parent, poff, t->count, vs, t->val, t->node_vals_off, depth);
		if (level + 1 == BTREE_LEVELS)
			return;
		edges = steps__deref(b, parent, poff, -1, 1, (t->count + 1) * 8, t);
		if (edges < 0)
			return;
		b->site->bpf.steps[edges].off = t->node_edges_off;
		b->stride[edges] = 8;
		b->nelems[edges] = t->count + 1;
		parent = edges;
		poff = 0;
	}
}

/*
 * &dyn Trait: the concrete type is only known at run time (from the vtable),
 * so the data pointer is read with the size of the largest implementing type
 * and followed as each candidate; the decoder uses the one the vtable names.
 */
static void follow_dyn(struct step_builder *b, struct rtype *t, int s, uint64_t off, int depth)
{
	struct rst_step ip = { .op = RST_OP_REG, .reg = 16, .max_len = 8 };
	int c, i, mark;

	if (!t->impls)
		dwarf_index__dyn_impls(b->idx, t);
	if (!t->nimpls || !t->dyn_size || depth >= b->lim->max_depth)
		return;
	if (b->site->ip_step < 0) {
		b->site->ip_step = steps__add(b, &ip, NULL);
		if (b->site->ip_step < 0)
			return;
	}
	c = steps__deref(b, s, off + t->ptr_off, -1, 1, t->dyn_size, t);
	if (c < 0)
		return;
	/* the candidates read the same bytes: one's redacted pointer is none of the others' */
	mark = b->ndeny;
	for (i = 0; b->site->redact && i < t->nimpls; i++)
		deny_redacted(b, t->impls[i].type, c, 0, 0);
	for (i = 0; i < t->nimpls; i++)
		steps__follow(b, t->impls[i].type, c, 0, depth + 1);
	b->ndeny = mark;
}

/* Adds the steps that follow every pointer reachable from a value of type t at off in the elements of step s. */
void steps__follow(struct step_builder *b, struct rtype *t, int s, uint64_t off, int depth)
{
	struct rtype *e;
	int c, i, mark;

	if (!t || s < 0 || depth > 32)
		return;
	switch (t->kind) {
	case RK_STRUCT:
	case RK_TUPLE:
		/* a redacted field's bytes are copied with the struct, what it points to never */
		for (i = 0; i < t->nfields; i++)
			if (!plan__field_redacted(b->site->redact, t, i))
				steps__follow(b, t->fields[i].type, s, off + t->fields[i].off, depth);
		break;
	case RK_ENUM:
		/* the variants read the same bytes: one's redacted pointer is none of the others' */
		mark = b->ndeny;
		for (i = 0; b->site->redact && i < t->nvariants; i++)
			deny_redacted(b, t->variants[i].type, s, off, 0);
		for (i = 0; i < t->nvariants; i++)
			steps__follow(b, t->variants[i].type, s, off, depth);
		b->ndeny = mark;
		break;
	case RK_ARRAY:
		e = t->target;
		for (i = 0; e && e->size && i < (int)t->count && i < b->lim->max_array; i++)
			steps__follow(b, e, s, off + i * e->size, depth);
		break;
	case RK_REF:
		e = t->target;
		if (!e || !e->sized || depth >= b->lim->max_depth || denied(b, s, off))
			break;
		if (plan__child(b->site, s, off, e) >= 0)
			break;
		c = steps__deref(b, s, off, -1, 1, e->size, e);
		if (c >= 0)
			steps__follow(b, e, c, 0, depth + 1);
		break;
	case RK_CELL:
	case RK_REFCELL:
	case RK_INNER: /* Pin<Box<T>>, NonZero, atomics: the wrapped value in place */
	case RK_LOCK: /* Mutex<Vec<u8>>: the data in place */
		steps__follow(b, t->inner, s, off + t->inner_off, depth);
		break;
	case RK_RANGE:
		steps__follow(b, t->inner, s, off + t->ptr_off, depth);
		if (t->sub != RSUB_RANGE_FROM)
			steps__follow(b, t->inner, s, off + t->len_off, depth);
		break;
	case RK_RC:
		if (t->sub != RSUB_RC_SIZED) {
			follow_rc_unsized(b, t, s, off, depth);
			break;
		}
		e = t->target;
		if (!e || !e->sized || depth >= b->lim->max_depth || denied(b, s, off + t->ptr_off) ||
		    plan__child(b->site, s, off + t->ptr_off, e) >= 0)
			break;
		c = steps__deref(b, s, off + t->ptr_off, -1, 1, e->size, e);
		if (c >= 0)
			steps__follow(b, e, c, 0, depth + 1);
		break;
	case RK_DEQUE:
		/* the whole ring (cap elements): the decoder picks head..head+len in ring order */
		e = t->target;
		if (!e || !e->sized || !e->size || depth >= b->lim->max_depth + 1)
			break;
		c = steps__deref(b, s, off + t->ptr_off, off + t->cap_off, e->size,
			  (uint64_t)b->lim->max_array * e->size, t);
		if (c >= 0) {
			b->stride[c] = e->size;
			steps__follow(b, e, c, 0, depth + 1);
		}
		break;
	case RK_HASHMAP:
		follow_hashmap(b, t, s, off, depth);
		break;
	case RK_BTREE:
		follow_btree(b, t, s, off, depth);
		break;
	case RK_DYN:
		follow_dyn(b, t, s, off, depth);
		break;
	case RK_STR:
	case RK_STRING:
		if (depth >= b->lim->max_depth + 1)
			break;
		steps__deref(b, s, off + t->ptr_off, off + t->len_off, 1, b->lim->max_string, t);
		break;
	case RK_SLICE:
	case RK_VEC:
		e = t->target;
		if (!e || !e->sized || depth >= b->lim->max_depth + 1)
			break;
		c = steps__deref(b, s, off + t->ptr_off, off + t->len_off, e->size,
			  (uint64_t)b->lim->max_array * e->size, t);
		if (c >= 0 && e->size) {
			b->stride[c] = e->size;
			steps__follow(b, e, c, 0, depth + 1);
		}
		break;
	default:
		break;
	}
}

int plan__child_at(const struct plan_site *site, int s, uint64_t off, int64_t add,
		   const struct rtype *t)
{
	int i;

	for (i = s + 1; i < site->bpf.nsteps; i++) {
		const struct rst_step *st = &site->bpf.steps[i];

		if (st->op == RST_OP_DEREF && st->parent == s && st->ptr_off == off &&
		    st->off == add && site->step_type[i] == t)
			return i;
	}
	return -1;
}

int plan__child(const struct plan_site *site, int s, uint64_t off, const struct rtype *t)
{
	return plan__child_at(site, s, off, 0, t);
}
