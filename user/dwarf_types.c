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
#include "dwarf_types.h"
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


bool dt_starts(const char *s, const char *p)
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

struct rfield *dt_field(const struct rtype *t, const char *name)
{
	int i;

	for (i = 0; i < t->nfields; i++)
		if (t->fields[i].name && strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}

bool dt_find_ptr(const struct rtype *t, uint64_t base, uint64_t *off, int depth)
{
	int i;

	if (!t || depth > 8)
		return false;
	if (t->kind == RK_PTR || t->kind == RK_REF) {
		*off = base;
		return true;
	}
	/* NonNull/Unique are RK_INNER by now: std wrappers keep their fields */
	if (t->kind != RK_STRUCT && t->kind != RK_TUPLE && t->kind != RK_INNER)
		return false;
	for (i = 0; i < t->nfields; i++)
		if (dt_find_ptr(t->fields[i].type, base + t->fields[i].off, off, depth + 1))
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
	if (tmpl && (t->kind == RK_VEC || dt_starts(t->debug_name, "VecDeque") ||
		     dt_starts(t->debug_name, "RawTable") ||
		     dt_starts(t->name, "core::marker::PhantomData<")))
		t->target = dwarf_types__load(idx, tmpl);
	return 0;
}

struct rtype *dt_path(struct rtype *t, uint64_t *off, const char *const *names)
{
	for (; t && *names; names++) {
		struct rfield *f = dt_field(t, *names);

		if (!f)
			return NULL;
		*off += f->off;
		t = f->type;
	}
	return t;
}

struct rtype *dt_leaf_int(struct rtype *t, uint64_t *off, int depth)
{
	if (!t || depth > 8)
		return NULL;
	if (t->kind == RK_INT || t->kind == RK_UINT)
		return t;
	/* std wrappers keep their fields whatever kind they were given */
	if (t->nfields != 1 || t->kind == RK_ENUM || t->kind == RK_TUPLE)
		return NULL;
	*off += t->fields[0].off;
	return dt_leaf_int(t->fields[0].type, off, depth + 1);
}

struct rtype *dt_thin_target(struct rtype *t, uint64_t *off, int depth)
{
	if (!t || depth > 8)
		return NULL;
	if (t->kind == RK_PTR || t->kind == RK_REF)
		return t->size == 8 ? t->target : NULL;
	if (t->kind != RK_STRUCT && t->kind != RK_INNER)
		return NULL;
	if (t->nfields == 1 || dt_field(t, "pointer")) {
		struct rfield *f = t->nfields == 1 ? &t->fields[0] : dt_field(t, "pointer");

		*off += f->off;
		return dt_thin_target(f->type, off, depth + 1);
	}
	return NULL;
}

static void classify_struct(struct dwarf_index *idx, struct rtype *t, const char *ns)
{
	struct rfield *dp = dt_field(t, "data_ptr"), *len = dt_field(t, "length");
	const char *n = t->name;

	if (t->kind == RK_ENUM)
		return;
	/* trait objects: the concrete type comes from the vtable at run time */
	if (dt_starts(n, "&dyn ") || dt_starts(n, "&mut dyn ") || dt_starts(n, "&(dyn ") ||
	    dt_starts(n, "&mut (dyn ") || dt_starts(n, "alloc::boxed::Box<dyn ") ||
	    dt_starts(n, "alloc::boxed::Box<(dyn ")) {
		struct rfield *p = dt_field(t, "pointer"), *vt = dt_field(t, "vtable");

		t->kind = RK_UNKNOWN;
		if (p && vt && t->nfields == 2 && t->size == 16) {
			t->kind = RK_DYN;
			t->ptr_off = p->off;
			t->len_off = vt->off;
		}
		return;
	}
	/* raw pointers to unsized types: Debug shows the address (and, lately, the metadata) */
	if (dt_starts(n, "*const ") || dt_starts(n, "*mut ")) {
		struct rfield *a = dp ? dp : dt_field(t, "pointer"), *m = dp ? len : dt_field(t, "vtable");

		t->kind = RK_UNKNOWN;
		if (a && m && t->nfields == 2 && t->size == 16 && a->type && a->type->size == 8 &&
		    m->type && m->type->size == 8) {
			t->kind = RK_FATPTR;
			t->sub = !dp; /* 1: the metadata is a vtable */
			t->ptr_off = a->off;
			t->len_off = m->off;
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
		/*
		 * &str and Box<str>: the pointee type is u8 but the value is UTF-8;
		 * &[T] and Box<[T]>: len elements. A pointer to a struct ending in
		 * one (`&Named<str>`) has the same fields, but its bytes start with
		 * the struct's others: not read as either.
		 */
		if (!strcmp(n, "&str") || !strcmp(n, "&mut str") ||
		    !strcmp(n, "alloc::boxed::Box<str>") || dt_starts(n, "alloc::boxed::Box<str, "))
			t->kind = RK_STR;
		else if (dt_starts(n, "&[") || dt_starts(n, "&mut [") ||
			 dt_starts(n, "alloc::boxed::Box<["))
			t->kind = RK_SLICE;
		else
			t->kind = RK_UNKNOWN;
		return;
	}
	if (strcmp(ns, "alloc::string::") == 0 && strcmp(t->debug_name, "String") == 0) {
		struct rfield *vec = dt_field(t, "vec");

		if (vec && vec->type && vec->type->kind == RK_VEC) {
			t->kind = RK_STRING;
			t->ptr_off = vec->off + vec->type->ptr_off;
			t->len_off = vec->off + vec->type->len_off;
		}
		return;
	}
	if (strcmp(ns, "alloc::vec::") == 0 && strcmp(t->debug_name, "Vec") == 0) {
		struct rfield *buf = dt_field(t, "buf"), *l = dt_field(t, "len");
		uint64_t p;

		if (buf && l && dt_find_ptr(buf->type, buf->off, &p, 0)) {
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
	dwarf_std__classify(idx, t);
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

/* [T; N]: element type and count (DW_AT_count or DW_AT_upper_bound of the subrange). */
static void load_array(struct dwarf_index *idx, Dwarf_Die die, struct rtype *t)
{
	char full[2048];
	Dwarf_Die sub = NULL;
	uint64_t count = 0, ub = 0, toff = 0;

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
	t->rustc = (uint16_t)dwarf_types__rustc(idx, off);
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
		if (name && (name[0] == '&' || dt_starts(name, "alloc::boxed::Box<")))
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
		if (strcmp(nsbuf, "alloc::vec::") == 0 && dt_starts(name, "Vec<"))
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
	case DW_TAG_array_type:
		load_array(idx, die, t);
		break;
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


bool dwarf_types__vtable_named(struct dwarf_index *idx, uint64_t addr, const char *name)
{
	int i;

	for (i = 0; i < idx->nvtables; i++)
		if (idx->vtables[i].addr == addr && !strcmp(idx->vtables[i].name, name))
			return true;
	return false;
}

/* "clang LLVM (rustc version 1.63.0)" -> 63; 0 if not rustc 1.x. */
static unsigned producer_minor(const char *p)
{
	const char *v = p ? strstr(p, "rustc version 1.") : NULL;
	unsigned m = 0;

	if (!v)
		return 0;
	for (v += 16; *v >= '0' && *v <= '9' && m < 10000; v++)
		m = m * 10 + (unsigned)(*v - '0');
	return *v == '.' ? m : 0;
}

unsigned dwarf_types__rustc(struct dwarf_index *idx, uint64_t off)
{
	struct cu_info *ci = cu_of(idx, off);
	Dwarf_Attribute attr;
	Dwarf_Die cu;
	char *s = NULL;
	unsigned m = 0;

	if (!ci || !(cu = die_at(idx, ci->off)))
		return 0;
	if (dwarf_attr(cu, DW_AT_producer, &attr, NULL) == DW_DLV_OK) {
		if (dwarf_formstring(attr, &s, NULL) == DW_DLV_OK)
			m = producer_minor(s);
		dwarf_dealloc_attribute(attr);
	}
	dwarf_dealloc_die(cu);
	return m;
}
