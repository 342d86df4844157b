// SPDX-License-Identifier: MIT
/*
 * Rust types from DWARF. Layouts always come from the DWARF; std types whose
 * Debug output is fixed by std's source are recognised by path and get a
 * kind of their own, anything unexpected stays a plain struct.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dwarf_internal.h"
#include "grow.h"

/* ---- types ---- */

static struct rtype **type_slot(struct dwarf_index *idx, uint64_t die)
{
	size_t i;

	if (idx->ntypes * 2 >= idx->captypes) {
		size_t ncap = idx->captypes ? idx->captypes * 2 : 1024, k;
		struct rtype **nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return NULL;
		for (k = 0; k < idx->captypes; k++) {
			struct rtype *t = idx->types[k];

			if (!t)
				continue;
			for (i = (t->die * 11400714819323198485ull) & (ncap - 1); nt[i];
			     i = (i + 1) & (ncap - 1))
				;
			nt[i] = t;
		}
		free(idx->types);
		idx->types = nt;
		idx->captypes = ncap;
	}
	for (i = (die * 11400714819323198485ull) & (idx->captypes - 1); idx->types[i];
	     i = (i + 1) & (idx->captypes - 1))
		if (idx->types[i]->die == die)
			break;
	return &idx->types[i];
}


static bool starts(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

/* "Wrapper<i32>" -> "Wrapper": derived Debug prints the bare identifier. */
static char *debug_name(struct dwarf_index *idx, const char *name)
{
	char *d = arena_strdup(idx, name ? name : "?"), *lt = strchr(d, '<');

	if (lt)
		*lt = 0;
	return d;
}

static struct rfield *field(const struct rtype *t, const char *name)
{
	int i;

	for (i = 0; i < t->nfields; i++)
		if (t->fields[i].name && strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}

/* Offset of the first data pointer inside a RawVec-like struct, searched depth-first. */
static bool find_ptr(const struct rtype *t, uint64_t base, uint64_t *off, int depth)
{
	int i;

	if (!t || depth > 8)
		return false;
	if (t->kind == RK_PTR || t->kind == RK_REF) {
		*off = base;
		return true;
	}
	if (t->kind != RK_STRUCT && t->kind != RK_TUPLE)
		return false;
	for (i = 0; i < t->nfields; i++)
		if (find_ptr(t->fields[i].type, base + t->fields[i].off, off, depth + 1))
			return true;
	return false;
}

static int load_members(struct dwarf_index *idx, Dwarf_Die die, struct rtype *t)
{
	Dwarf_Die child = NULL, next;
	int cap = 0, n = 0;
	struct rfield *fs = NULL;
	uint64_t tmpl = 0;

	if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
		return 0;
	while (child) {
		Dwarf_Half tag = 0;
		uint64_t toff = 0;

		dwarf_tag(child, &tag, NULL);
		if (tag == DW_TAG_member && !die_flag(child, DW_AT_declaration) &&
		    !die_flag(child, DW_AT_external)) {
			struct rfield *nf = grow_array(fs, &cap, n + 1, sizeof(*fs));

			if (!nf)
				break;
			fs = nf;
			fs[n].name = die_str(idx, child, DW_AT_name);
			die_udata(child, DW_AT_data_member_location, &fs[n].off);
			if (die_ref(child, DW_AT_type, &toff))
				fs[n].type = dwarf_types__load(idx, toff);
			n++;
		} else if (tag == DW_TAG_template_type_parameter && !tmpl) {
			die_ref(child, DW_AT_type, &tmpl);
		} else if (tag == DW_TAG_variant_part) {
			uint64_t discr_off = 0;
			Dwarf_Die v = NULL, vn;
			int vcap = 0;

			t->kind = RK_ENUM;
			die_ref(child, DW_AT_discr, &discr_off);
			if (dwarf_child(child, &v, NULL) == DW_DLV_OK) {
				while (v) {
					Dwarf_Half vt = 0;

					dwarf_tag(v, &vt, NULL);
					if (vt == DW_TAG_member && die_offset(v) == discr_off) {
						t->discr.name = die_str(idx, v, DW_AT_name);
						die_udata(v, DW_AT_data_member_location, &t->discr.off);
						if (die_ref(v, DW_AT_type, &toff))
							t->discr.type = dwarf_types__load(idx, toff);
					} else if (vt == DW_TAG_variant) {
						struct rvariant *nv = grow_array(t->variants, &vcap,
									   t->nvariants + 1,
									   sizeof(*nv));
						Dwarf_Die m = NULL;

						if (!nv)
							break;
						t->variants = nv;
						nv = &nv[t->nvariants++];
						nv->has_discr = die_udata(v, DW_AT_discr_value,
									  &nv->discr);
						if (dwarf_child(v, &m, NULL) == DW_DLV_OK) {
							nv->name = die_str(idx, m, DW_AT_name);
							if (die_ref(m, DW_AT_type, &toff))
								nv->type = dwarf_types__load(idx, toff);
							dwarf_dealloc_die(m);
						}
					}
					vn = NULL;
					if (dwarf_siblingof_b(idx->dbg, v, 1, &vn, NULL) != DW_DLV_OK)
						vn = NULL;
					dwarf_dealloc_die(v);
					v = vn;
				}
			}
		}
		next = NULL;
		if (dwarf_siblingof_b(idx->dbg, child, 1, &next, NULL) != DW_DLV_OK)
			next = NULL;
		dwarf_dealloc_die(child);
		child = next;
	}
	if (n) {
		t->fields = arena_alloc(idx, sizeof(*fs) * n);
		if (t->fields)
			memcpy(t->fields, fs, sizeof(*fs) * n);
		t->nfields = t->fields ? n : 0;
	}
	free(fs);
	t->tuple_fields = t->nfields > 0 && t->fields[0].name && strcmp(t->fields[0].name, "__0") == 0;
	/* element types that no member's type names */
	if (tmpl && (t->kind == RK_VEC || starts(t->debug_name, "VecDeque") ||
		     starts(t->debug_name, "RawTable")))
		t->target = dwarf_types__load(idx, tmpl);
	return 0;
}

/* Follows a path of named fields ("inner", "inner", …); NULL if one is missing. */
static struct rtype *path(struct rtype *t, uint64_t *off, const char *const *names)
{
	for (; t && *names; names++) {
		struct rfield *f = field(t, *names);

		if (!f)
			return NULL;
		*off += f->off;
		t = f->type;
	}
	return t;
}

/* Newtypes down to one integer (NonZero<u32> -> NonZeroU32Inner -> u32). */
static struct rtype *leaf_int(struct rtype *t, uint64_t *off, int depth)
{
	if (!t || depth > 8)
		return NULL;
	if (t->kind == RK_INT || t->kind == RK_UINT)
		return t;
	if (t->kind != RK_STRUCT || t->nfields != 1)
		return NULL;
	*off += t->fields[0].off;
	return leaf_int(t->fields[0].type, off, depth + 1);
}

/* The pointee of the thin pointer at the bottom of NonNull/Unique wrappers. */
static struct rtype *thin_target(struct rtype *t, uint64_t *off, int depth)
{
	if (!t || depth > 8)
		return NULL;
	if (t->kind == RK_PTR || t->kind == RK_REF)
		return t->size == 8 ? t->target : NULL;
	if (t->kind != RK_STRUCT)
		return NULL;
	if (t->nfields == 1 || field(t, "pointer")) {
		struct rfield *f = t->nfields == 1 ? &t->fields[0] : field(t, "pointer");

		*off += f->off;
		return thin_target(f->type, off, depth + 1);
	}
	return NULL;
}

/*
 * std types whose Debug output is known (all std Debug impls of these are
 * fixed by std's source, not derived from user code). The layout comes from
 * DWARF; anything unexpected leaves the type a plain std struct, which the
 * decoder reports as unknown.
 */
static void classify_std(struct dwarf_index *idx, struct rtype *t)
{
	const char *n = t->name;
	uint64_t off = 0, o2 = 0;
	struct rtype *x, *y;

	if (starts(n, "core::num::nonzero::NonZero<")) {
		x = leaf_int(t, &off, 0);
		if (x && x->size == t->size) {
			t->kind = RK_NONZERO;
			t->inner = x;
			t->inner_off = off;
		}
	} else if (starts(n, "core::cell::Cell<")) {
		x = path(t, &off, (const char *const[]){ "value", "value", NULL });
		if (x) {
			t->kind = RK_CELL;
			t->inner = x;
			t->inner_off = off;
		}
	} else if (starts(n, "core::cell::RefCell<")) {
		x = path(t, &off, (const char *const[]){ "value", "value", NULL });
		y = path(t, &o2, (const char *const[]){ "borrow", "value", "value", NULL });
		if (x && y && y->kind == RK_INT && y->size == 8) {
			t->kind = RK_REFCELL;
			t->inner = x;
			t->inner_off = off;
			t->len_off = o2;
		}
	} else if (starts(n, "alloc::rc::Rc<") || starts(n, "alloc::sync::Arc<")) {
		struct rfield *p = field(t, "ptr");

		x = p ? thin_target(p->type, &off, 0) : NULL;
		if (x && x->kind == RK_STRUCT && x->sized) {
			y = path(x, &o2, (const char *const[]){ n[7] == 'r' ? "value" : "data", NULL });
			if (y && y->sized) {
				t->kind = RK_RC;
				t->ptr_off = p->off + off;
				t->target = x;
				t->inner = y;
				t->inner_off = o2;
			}
		}
	} else if (!strcmp(n, "std::path::PathBuf") || !strcmp(n, "std::ffi::os_str::OsString")) {
		/* PathBuf { inner: OsString { inner: Buf { inner: Vec<u8> } } } (unix) */
		x = path(t, &off, (const char *const[]){ "inner", "inner", NULL });
		if (x && !strcmp(n, "std::path::PathBuf"))
			x = path(x, &off, (const char *const[]){ "inner", NULL });
		if (x && x->kind == RK_VEC && x->target && x->target->size == 1) {
			t->kind = RK_STRING;
			t->os_str = true;
			t->ptr_off = off + x->ptr_off;
			t->len_off = off + x->len_off;
		}
	} else if (!strcmp(n, "core::time::Duration")) {
		struct rfield *secs = field(t, "secs"), *nanos = field(t, "nanos");

		o2 = nanos ? nanos->off : 0;
		x = nanos ? leaf_int(nanos->type, &o2, 0) : NULL;
		if (secs && secs->type && secs->type->kind == RK_UINT && secs->type->size == 8 && x &&
		    x->size == 4) {
			t->kind = RK_DURATION;
			t->ptr_off = secs->off;
			t->len_off = o2;
		}
	}
}

/* The payload of Option<X>'s Some variant: its offset in the Option. */
static struct rtype *some_payload(struct rtype *opt, uint64_t *off)
{
	int i;

	if (!opt || opt->kind != RK_ENUM || !starts(opt->name, "core::option::Option<"))
		return NULL;
	for (i = 0; i < opt->nvariants; i++) {
		struct rtype *v = opt->variants[i].type;

		if (opt->variants[i].name && !strcmp(opt->variants[i].name, "Some") && v &&
		    v->nfields == 1) {
			*off += v->fields[0].off;
			return v->fields[0].type;
		}
	}
	return NULL;
}

/* BTreeMap<K, V> { root: Option<NodeRef { node, height }>, length } and its node layouts. */
static void classify_btree(struct dwarf_index *idx, struct rtype *t, struct rtype *map, uint64_t base)
{
	struct rfield *root = field(map, "root"), *length = field(map, "length"), *f;
	struct rtype *nr, *leaf, *internal, *keys, *vals;
	uint64_t off = 0, node_off, height_off, poff = 0;
	struct rfield *node, *height;

	if (!root || !length)
		return;
	off = root->off;
	nr = some_payload(root->type, &off);
	node = nr ? field(nr, "node") : NULL;
	height = nr ? field(nr, "height") : NULL;
	if (!node || !height)
		return;
	node_off = off + node->off;
	height_off = off + height->off;
	poff = 0;
	leaf = thin_target(node->type, &poff, 0);
	if (!leaf || !leaf->sized || poff)
		return;
	/* LeafNode.parent: Option<NonNull<InternalNode<K, V>>> names the internal node type */
	f = field(leaf, "parent");
	poff = 0;
	internal = f ? some_payload(f->type, &poff) : NULL;
	poff = 0;
	internal = internal ? thin_target(internal, &poff, 0) : NULL;
	keys = field(leaf, "keys") ? field(leaf, "keys")->type : NULL;
	vals = field(leaf, "vals") ? field(leaf, "vals")->type : NULL;
	if (!internal || !internal->sized || !field(internal, "edges") || !field(internal, "data") ||
	    field(internal, "data")->off != 0 || !keys || keys->kind != RK_ARRAY || !vals ||
	    vals->kind != RK_ARRAY || !field(leaf, "len") || !keys->target || !vals->target)
		return;
	t->kind = RK_BTREE;
	t->ptr_off = base + node_off;
	t->head_off = base + height_off;
	t->len_off = base + length->off;
	t->leaf = leaf;
	t->internal_size = internal->size;
	t->node_len_off = field(leaf, "len")->off;
	t->node_keys_off = field(leaf, "keys")->off;
	t->node_vals_off = field(leaf, "vals")->off;
	t->node_edges_off = field(internal, "edges")->off;
	t->count = keys->count;
	/* MaybeUninit<K> { uninit: (), value: ManuallyDrop<K> { value: K } } */
	t->key = keys->target;
	t->val = vals->target;
}

/* The type inside MaybeUninit<T>/ManuallyDrop<T> (same offset: both are transparent). */
static struct rtype *uninit_inner(struct rtype *t)
{
	int depth;

	for (depth = 0; t && depth < 6; depth++) {
		struct rfield *v = field(t, "value");

		if (!v && t->nfields == 1)
			v = &t->fields[0];
		if ((starts(t->name, "core::mem::maybe_uninit::MaybeUninit<") ||
		     starts(t->name, "core::mem::manually_drop::ManuallyDrop<") ||
		     starts(t->name, "core::mem::maybe_dangling::MaybeDangling<")) && v && v->off == 0)
			t = v->type;
		else
			return t;
	}
	return NULL;
}

/* VecDeque, hashbrown's HashMap/HashSet, BTreeMap/BTreeSet. */
static void classify_collection(struct dwarf_index *idx, struct rtype *t)
{
	const char *n = t->name;
	uint64_t off = 0, o2 = 0;
	struct rtype *x;

	if (starts(n, "alloc::collections::vec_deque::VecDeque<")) {
		struct rfield *buf = field(t, "buf"), *head = field(t, "head"), *len = field(t, "len");
		struct rtype *inner;

		if (!buf || !head || !len || !t->target || !t->target->sized)
			return;
		/* RawVec<T> { inner: RawVecInner { ptr, cap: Cap(usize), alloc } } */
		off = buf->off;
		inner = path(buf->type, &off, (const char *const[]){ "inner", NULL });
		if (!inner || !field(inner, "ptr") || !field(inner, "cap"))
			return;
		o2 = off + field(inner, "cap")->off;
		x = leaf_int(field(inner, "cap")->type, &o2, 0);
		if (!x || x->size != 8 || !find_ptr(field(inner, "ptr")->type, off + field(inner, "ptr")->off,
						    &off, 0))
			return;
		t->kind = RK_DEQUE;
		t->ptr_off = off;
		t->cap_off = o2;
		t->head_off = head->off;
		t->len_off = len->off;
	} else if (starts(n, "std::collections::hash::map::HashMap<") ||
		   starts(n, "std::collections::hash::set::HashSet<")) {
		bool set = starts(n, "std::collections::hash::set::");
		struct rtype *raw, *inner;
		struct rfield *ctrl, *mask, *items;

		raw = path(t, &off, set ? (const char *const[]){ "base", "map", "table", NULL }
					: (const char *const[]){ "base", "table", NULL });
		if (!raw || !raw->target || !raw->target->sized)
			return;
		inner = path(raw, &off, (const char *const[]){ "table", NULL });
		ctrl = inner ? field(inner, "ctrl") : NULL;
		mask = inner ? field(inner, "bucket_mask") : NULL;
		items = inner ? field(inner, "items") : NULL;
		if (!ctrl || !mask || !items || !find_ptr(ctrl->type, off + ctrl->off, &o2, 0))
			return;
		x = raw->target; /* (K, V), or (K, ()) for a set */
		if (x->kind != RK_TUPLE || x->nfields != 2)
			return;
		t->kind = RK_HASHMAP;
		t->is_set = set;
		t->target = x;
		t->ptr_off = o2;
		t->cap_off = off + mask->off;
		t->len_off = off + items->off;
		t->key = x->fields[0].type;
		t->key_off = x->fields[0].off;
		t->val = set ? NULL : x->fields[1].type;
		t->val_off = x->fields[1].off;
	} else if (starts(n, "alloc::collections::btree::map::BTreeMap<")) {
		classify_btree(idx, t, t, 0);
	} else if (starts(n, "alloc::collections::btree::set::BTreeSet<")) {
		struct rfield *m = field(t, "map");

		if (m && m->type && m->type->kind == RK_BTREE) {
			t->kind = RK_BTREE;
			t->is_set = true;
			t->ptr_off = m->off + m->type->ptr_off;
			t->head_off = m->off + m->type->head_off;
			t->len_off = m->off + m->type->len_off;
			t->leaf = m->type->leaf;
			t->internal_size = m->type->internal_size;
			t->node_len_off = m->type->node_len_off;
			t->node_keys_off = m->type->node_keys_off;
			t->node_vals_off = m->type->node_vals_off;
			t->node_edges_off = m->type->node_edges_off;
			t->count = m->type->count;
			t->key = m->type->key;
			t->val = NULL;
		}
	}
	if (t->kind == RK_BTREE) {
		t->key = uninit_inner(t->key);
		if (!t->is_set)
			t->val = uninit_inner(t->val);
		if (!t->key || !t->key->sized || (!t->is_set && (!t->val || !t->val->sized)))
			t->kind = RK_STRUCT;

	}
}

static void classify_struct(struct dwarf_index *idx, struct rtype *t, const char *ns)
{
	struct rfield *dp = field(t, "data_ptr"), *len = field(t, "length");
	const char *n = t->name;

	if (t->kind == RK_ENUM)
		return;
	/* trait objects: the concrete type comes from the vtable at run time */
	if (strstr(n, "dyn ")) {
		struct rfield *p = field(t, "pointer"), *vt = field(t, "vtable");

		t->kind = RK_UNKNOWN;
		if (p && vt && t->nfields == 2 && t->size == 16 &&
		    (starts(n, "&dyn ") || starts(n, "&mut dyn ") ||
		     starts(n, "alloc::boxed::Box<dyn "))) {
			t->kind = RK_DYN;
			t->ptr_off = p->off;
			t->len_off = vt->off;
		}
		return;
	}
	if (dp && len && t->nfields == 2 &&
	    (!strcmp(n, "&std::path::Path") || !strcmp(n, "&std::ffi::os_str::OsStr") ||
	     !strcmp(n, "&mut std::path::Path") || !strcmp(n, "&mut std::ffi::os_str::OsStr"))) {
		t->kind = RK_STR;
		t->os_str = true;
		t->ptr_off = dp->off;
		t->len_off = len->off;
		return;
	}
	if (dp && len && t->nfields == 2) {
		t->ptr_off = dp->off;
		t->len_off = len->off;
		t->target = dp->type ? dp->type->target : NULL;
		/* &str, &mut str, Box<str>: the pointee type is u8 but the value is UTF-8. */
		if (strcmp(n, "&str") == 0 || strcmp(n, "&mut str") == 0 || strstr(n, "<str"))
			t->kind = RK_STR;
		else
			t->kind = RK_SLICE;
		return;
	}
	if (strcmp(ns, "alloc::string::") == 0 && strcmp(t->debug_name, "String") == 0) {
		struct rfield *vec = field(t, "vec");

		if (vec && vec->type && vec->type->kind == RK_VEC) {
			t->kind = RK_STRING;
			t->ptr_off = vec->off + vec->type->ptr_off;
			t->len_off = vec->off + vec->type->len_off;
		}
		return;
	}
	if (strcmp(ns, "alloc::vec::") == 0 && strcmp(t->debug_name, "Vec") == 0) {
		struct rfield *buf = field(t, "buf"), *l = field(t, "len");
		uint64_t p;

		if (buf && l && find_ptr(buf->type, buf->off, &p, 0)) {
			t->ptr_off = p;
			t->len_off = l->off;
			return;
		}
		t->kind = RK_STRUCT; /* unknown layout: printed as a plain struct, never guessed */
		return;
	}
	if (n[0] == '(') {
		t->kind = RK_TUPLE;
		return;
	}
	classify_std(idx, t);
	classify_collection(idx, t);
}

/* Enumerators of a fieldless enum; values kept as the low `size` bytes (i8 -1 is 0xff). */
static int load_enumerators(struct dwarf_index *idx, Dwarf_Die die, struct rtype *t)
{
	Dwarf_Die child = NULL, next;
	int cap = 0;
	uint64_t mask;

	if (!t->sized || t->size == 0 || t->size > 8)
		return -EINVAL;
	mask = t->size == 8 ? ~0ull : (1ull << (8 * t->size)) - 1;
	if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
		return 0;
	while (child) {
		Dwarf_Half tag = 0;

		dwarf_tag(child, &tag, NULL);
		if (tag == DW_TAG_enumerator) {
			struct rvariant *v = grow_array(t->variants, &cap, t->nvariants + 1, sizeof(*v));

			if (!v)
				break;
			t->variants = v;
			v = &v[t->nvariants++];
			v->name = die_str(idx, child, DW_AT_name);
			v->has_discr = die_udata(child, DW_AT_const_value, &v->discr);
			v->discr &= mask;
		}
		next = NULL;
		if (dwarf_siblingof_b(idx->dbg, child, 1, &next, NULL) != DW_DLV_OK)
			next = NULL;
		dwarf_dealloc_die(child);
		child = next;
	}
	/* moved into the arena like fields */
	if (t->nvariants) {
		struct rvariant *a = arena_alloc(idx, sizeof(*a) * t->nvariants);

		if (a)
			memcpy(a, t->variants, sizeof(*a) * t->nvariants);
		free(t->variants);
		t->variants = a;
		if (!a) {
			t->nvariants = 0;
			return -ENOMEM;
		}
	}
	return 0;
}

struct rtype *dwarf_types__load(struct dwarf_index *idx, uint64_t off)
{
	struct rtype **slot = type_slot(idx, off), *t;
	Dwarf_Die die;
	Dwarf_Half tag = 0;
	uint64_t toff = 0, enc = 0;
	char nsbuf[1024], full[2048];
	char *name;

	if (!slot)
		return NULL;
	if (*slot)
		return *slot;
	die = die_at(idx, off);
	if (!die)
		return NULL;
	t = arena_alloc(idx, sizeof(*t));
	if (!t) {
		dwarf_dealloc_die(die);
		return NULL;
	}
	t->die = off;
	*slot = t;
	idx->ntypes++;
	dwarf_tag(die, &tag, NULL);
	name = die_str(idx, die, DW_AT_name);
	t->sized = die_udata(die, DW_AT_byte_size, &t->size);
	ns_path(idx, ns_of(idx, off), nsbuf, sizeof(nsbuf));

	switch (tag) {
	case DW_TAG_base_type:
		t->name = name;
		die_udata(die, DW_AT_encoding, &enc);
		if (name && strcmp(name, "()") == 0)
			t->kind = RK_UNIT;
		else if (enc == DW_ATE_boolean)
			t->kind = RK_BOOL;
		else if (enc == DW_ATE_UTF)
			t->kind = RK_CHAR;
		else if (enc == DW_ATE_signed || enc == DW_ATE_signed_char)
			t->kind = RK_INT;
		else if (enc == DW_ATE_unsigned || enc == DW_ATE_unsigned_char)
			t->kind = RK_UINT;
		else if (enc == DW_ATE_float)
			t->kind = RK_FLOAT;
		break;
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
		t->name = name;
		if (!t->sized) {
			t->size = 8;
			t->sized = true;
		}
		if (die_ref(die, DW_AT_type, &toff))
			t->target = dwarf_types__load(idx, toff);
		if (name && (name[0] == '&' || starts(name, "alloc::boxed::Box<")))
			t->kind = RK_REF;
		else
			t->kind = RK_PTR;
		break;
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
		snprintf(full, sizeof(full), "%s%s", name && name[0] != '&' && name[0] != '(' ? nsbuf : "",
			 name ? name : "?");
		t->name = arena_strdup(idx, full);
		t->debug_name = debug_name(idx, name);
		if (tag == DW_TAG_union_type) {
			/* members read for MaybeUninit<T>.value; a union itself is not printable */
			load_members(idx, die, t);
			t->kind = RK_UNKNOWN;
			break;
		}
		t->kind = RK_STRUCT;
		if (strcmp(nsbuf, "alloc::vec::") == 0 && starts(name, "Vec<"))
			t->kind = RK_VEC;
		load_members(idx, die, t);
		classify_struct(idx, t, nsbuf);
		break;
	case DW_TAG_enumeration_type:
		snprintf(full, sizeof(full), "%s%s", nsbuf, name ? name : "?");
		t->name = arena_strdup(idx, full);
		t->debug_name = debug_name(idx, name);
		t->kind = load_enumerators(idx, die, t) ? RK_UNKNOWN : RK_CENUM;
		break;
	case DW_TAG_array_type: {
		Dwarf_Die sub = NULL;
		uint64_t count = 0, ub = 0;

		if (die_ref(die, DW_AT_type, &toff))
			t->target = dwarf_types__load(idx, toff);
		if (dwarf_child(die, &sub, NULL) == DW_DLV_OK) {
			if (die_udata(sub, DW_AT_count, &count))
				t->count = count;
			else if (die_udata(sub, DW_AT_upper_bound, &ub))
				t->count = ub + 1;
			dwarf_dealloc_die(sub);
		}
		t->kind = t->target ? RK_ARRAY : RK_UNKNOWN;
		if (t->target && t->target->sized) {
			t->size = t->count * t->target->size;
			t->sized = true;
		}
		snprintf(full, sizeof(full), "[%s; %llu]", t->target && t->target->name ? t->target->name : "?",
			 (unsigned long long)t->count);
		t->name = arena_strdup(idx, full);
		break;
	}
	case DW_TAG_typedef:
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
		if (die_ref(die, DW_AT_type, &toff)) {
			struct rtype *u = dwarf_types__load(idx, toff);

			if (u) {
				uint64_t keep = t->die;

				*t = *u;
				t->die = keep;
			}
		}
		break;
	default:
		snprintf(full, sizeof(full), "%s%s", nsbuf, name ? name : "?");
		t->name = arena_strdup(idx, full);
		t->kind = RK_UNKNOWN;
		break;
	}
	if (!t->name)
		t->name = "?";
	if (!t->debug_name)
		t->debug_name = t->name;
	dwarf_dealloc_die(die);
	return t;
}

static bool trait_of(const char *name, char *buf, size_t len)
{
	const char *p = strstr(name, "dyn ");
	size_t n = 0;
	int depth = 0;

	if (!p)
		return false;
	for (p += 4; *p && n + 1 < len; p++) {
		if (*p == '<')
			depth++;
		else if (*p == '>' && depth-- == 0)
			break;
		else if ((*p == ',' || *p == '+') && depth == 0)
			break;
		buf[n++] = *p;
	}
	buf[n] = 0;
	/* "dyn A + Send" vtables are named after the principal trait only: do not guess */
	return n && *p != '+' && !strchr(buf, ' ');
}

int dwarf_index__dyn_impls(struct dwarf_index *idx, struct rtype *t)
{
	char trait[512], suffix[600];
	size_t sl;
	int i, cap = 0;

	if (t->kind != RK_DYN || t->impls)
		return 0;
	if (!trait_of(t->name, trait, sizeof(trait)))
		return -ENOENT;
	snprintf(suffix, sizeof(suffix), " as %s>::{vtable}", trait);
	sl = strlen(suffix);
	for (i = 0; i < idx->nvtables; i++) {
		const struct vtable_var *v = &idx->vtables[i];
		size_t nl = strlen(v->name);
		struct rimpl *ni;
		Dwarf_Die die;
		uint64_t ct = 0;

		if (nl <= sl || strcmp(v->name + nl - sl, suffix))
			continue;
		die = die_at(idx, v->type_die);
		if (!die)
			continue;
		if (die_ref(die, DW_AT_containing_type, &ct)) {
			ni = grow_array(t->impls, &cap, t->nimpls + 1, sizeof(*ni));
			if (ni) {
				t->impls = ni;
				ni[t->nimpls].vtable = v->addr;
				ni[t->nimpls].type = dwarf_types__load(idx, ct);
				if (ni[t->nimpls].type)
					t->nimpls++;
			}
		}
		dwarf_dealloc_die(die);
	}
	if (t->nimpls) {
		struct rimpl *a = arena_alloc(idx, sizeof(*a) * t->nimpls);

		if (a)
			memcpy(a, t->impls, sizeof(*a) * t->nimpls);
		free(t->impls);
		t->impls = a;
		if (!a)
			t->nimpls = 0;
	}
	for (i = 0; i < t->nimpls; i++)
		if (t->impls[i].type->sized && t->impls[i].type->size > t->dyn_size)
			t->dyn_size = t->impls[i].type->size;
	return 0;
}

struct rtype *dwarf_index__type_by_name(struct dwarf_index *idx, const char *name)
{
	size_t i;

	for (i = 0; i < idx->captypes; i++)
		if (idx->types[i] && strcmp(idx->types[i]->name, name) == 0)
			return idx->types[i];
	return NULL;
}

