// SPDX-License-Identifier: MIT
/*
 * What the probes need of a function beyond its name: parameters with their
 * location expressions and types, the return type and calling convention, and
 * the call frame rules of .eh_frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dwarf_internal.h"
#include "grow.h"

/* The bytes of DW_OP_implicit_value live in libdwarf's buffers: copied now. */
static void parse_implicit_value(struct rop *op)
{
	const uint8_t *b = (const uint8_t *)(uintptr_t)op->op2;
	uint64_t i;

	op->big = !b || op->op1 > 8;
	for (i = 0; !op->big && i < op->op1; i++)
		op->value |= (uint64_t)b[i] << (8 * i);
}

static void parse_entry_value(struct rop *op)
{
	const uint8_t *b = (const uint8_t *)(uintptr_t)op->op2;

	if (!b || op->op1 == 0)
		return;
	op->sub_atom = b[0];
	if (b[0] == DW_OP_regx && op->op1 >= 2)
		op->sub_op1 = b[1] & 0x7f;
}

static int load_locs(struct dwarf_index *idx, Dwarf_Die die, struct rparam *p)
{
	Dwarf_Attribute attr;
	Dwarf_Loc_Head_c head = NULL;
	Dwarf_Unsigned n = 0, i, j;
	unsigned int kind = 0;
	int err = 0;

	if (dwarf_attr(die, DW_AT_location, &attr, NULL) != DW_DLV_OK)
		return 0; /* optimized out */
	if (dwarf_get_loclist_c(attr, &head, &n, NULL) != DW_DLV_OK) {
		dwarf_dealloc_attribute(attr);
		return 0;
	}
	dwarf_get_loclist_head_kind(head, &kind, NULL);
	p->is_list = kind != DW_LKIND_expression;
	p->locs = arena_alloc(idx, sizeof(*p->locs) * (n ? n : 1));
	for (i = 0; p->locs && i < n; i++) {
		Dwarf_Small lle, src;
		Dwarf_Unsigned rawlo, rawhi, opcount, eoff, doff;
		Dwarf_Bool unavail;
		Dwarf_Addr lo, hi;
		Dwarf_Locdesc_c desc;
		struct rloc *l = &p->locs[p->nlocs];

		if (dwarf_get_locdesc_entry_d(head, i, &lle, &rawlo, &rawhi, &unavail, &lo, &hi,
					      &opcount, &desc, &src, &eoff, &doff,
					      NULL) != DW_DLV_OK)
			continue;
		if (!p->is_list) {
			lo = 0;
			hi = UINT64_MAX;
		}
		if (opcount == 0 || hi <= lo)
			continue;
		l->lo = lo;
		l->hi = hi;
		l->ops = arena_alloc(idx, sizeof(*l->ops) * opcount);
		if (!l->ops) {
			err = -ENOMEM;
			break;
		}
		for (j = 0; j < opcount; j++) {
			Dwarf_Small atom;
			Dwarf_Unsigned o1, o2, o3, r1, r2, r3, br;

			if (dwarf_get_location_op_value_d(desc, j, &atom, &o1, &o2, &o3, &r1, &r2,
							  &r3, &br, NULL) != DW_DLV_OK)
				break;
			l->ops[j] = (struct rop){ .atom = atom, .op1 = o1, .op2 = o2 };
			if (atom == DW_OP_entry_value || atom == DW_OP_GNU_entry_value)
				parse_entry_value(&l->ops[j]);
			else if (atom == DW_OP_implicit_value)
				parse_implicit_value(&l->ops[j]);
		}
		l->nops = (int)j;
		p->nlocs++;
	}
	dwarf_loc_head_c_dealloc(head);
	dwarf_dealloc_attribute(attr);
	return err;
}

/*
 * A parameter LLVM propagated as a constant into this copy of the function
 * (DW_AT_const_value): one location, the value itself (DW_OP_implicit_value).
 * Integer forms count only where their width or signedness is certain.
 */
static int const_value(struct dwarf_index *idx, Dwarf_Die die, struct rparam *p)
{
	Dwarf_Attribute attr;
	Dwarf_Half form = 0;
	Dwarf_Unsigned u = 0, blen = 0;
	Dwarf_Signed sv = 0;
	Dwarf_Block *blk = NULL;
	uint64_t size = p->type && p->type->sized ? p->type->size : 0;
	bool ok = false;
	struct rloc *l;

	if (!size || size > 8 || dwarf_attr(die, DW_AT_const_value, &attr, NULL) != DW_DLV_OK)
		return 0;
	dwarf_whatform(attr, &form, NULL);
	if (form == DW_FORM_sdata && dwarf_formsdata(attr, &sv, NULL) == DW_DLV_OK) {
		u = (Dwarf_Unsigned)sv;
		ok = true;
	} else if ((form == DW_FORM_udata && p->type->kind != RK_INT) ||
		   (form == DW_FORM_data1 && size <= 1) || (form == DW_FORM_data2 && size <= 2) ||
		   (form == DW_FORM_data4 && size <= 4) || (form == DW_FORM_data8 && size <= 8)) {
		ok = dwarf_formudata(attr, &u, NULL) == DW_DLV_OK;
	} else if ((form == DW_FORM_block1 || form == DW_FORM_block) &&
		   dwarf_formblock(attr, &blk, NULL) == DW_DLV_OK) {
		blen = blk->bl_len;
		if (blen == size) {
			memcpy(&u, blk->bl_data, blen);
			ok = true;
		}
		dwarf_dealloc(idx->dbg, blk, DW_DLA_BLOCK);
	}
	dwarf_dealloc_attribute(attr);
	if (!ok)
		return 0;
	l = arena_alloc(idx, sizeof(*l));
	if (!l || !(l->ops = arena_alloc(idx, sizeof(*l->ops))))
		return -ENOMEM;
	l->lo = 0;
	l->hi = UINT64_MAX;
	l->nops = 1;
	l->ops[0] = (struct rop){ .atom = DW_OP_implicit_value, .op1 = size, .value = u };
	p->locs = l;
	p->nlocs = 1;
	return 0;
}

/*
 * rustc emits some arguments (zero-sized ones, macro-generated names) as an
 * unnamed DW_TAG_formal_parameter plus a named DW_TAG_variable of the same
 * type declared on the same line: the variable carries the name.
 */
static void name_unnamed_param(struct dwarf_index *idx, struct rfunc *f, Dwarf_Die var)
{
	uint64_t toff = 0, line = 0;
	struct rtype *t;
	int i;

	if (!die_ref(var, DW_AT_type, &toff) || !die_udata(var, DW_AT_decl_line, &line))
		return;
	t = dwarf_types__load(idx, toff);
	for (i = 0; i < f->nparams; i++) {
		struct rparam *p = &f->params[i];

		if (!p->name && p->type == t && p->decl_line == line) {
			p->name = die_str(idx, var, DW_AT_name);
			return;
		}
	}
}

static int64_t sleb(const uint8_t *p, size_t len, size_t *used)
{
	uint64_t v = 0;
	unsigned shift = 0;
	size_t i = 0;
	uint8_t b = 0x80;

	while (i < len && (b & 0x80) && shift < 64) {
		b = p[i++];
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	}
	if (shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	*used = (b & 0x80) ? 0 : i;
	return (int64_t)v;
}

/*
 * DW_AT_frame_base: a register (DW_OP_regN, DW_OP_bregN k), or the CFA
 * (DW_OP_call_frame_cfa, plus `DW_OP_consts k, DW_OP_plus` in large opt-level
 * 0 frames). Anything else leaves frame-based locations unknown.
 */
static void frame_base(struct rfunc *f, const uint8_t *e, size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	if (len == 1 && e[0] >= DW_OP_reg0 && e[0] <= DW_OP_reg31) {
		f->frame_base_reg = e[0] - DW_OP_reg0;
	} else if (e[0] >= DW_OP_breg0 && e[0] <= DW_OP_breg31) {
		f->frame_base_off = sleb(e + 1, len - 1, &used);
		if (used && 1 + used == len)
			f->frame_base_reg = e[0] - DW_OP_breg0;
	} else if (e[0] == DW_OP_call_frame_cfa && len == 1) {
		f->frame_base_reg = -1;
	} else if (e[0] == DW_OP_call_frame_cfa && len > 2 && e[1] == DW_OP_consts) {
		f->frame_base_off = sleb(e + 2, len - 2, &used);
		if (used && 2 + used + 1 == len && e[len - 1] == DW_OP_plus)
			f->frame_base_reg = -1;
	}
	if (f->frame_base_reg == -2)
		f->frame_base_off = 0;
}

/*
 * An attribute of a function that the concrete DIE may only inherit: along
 * DW_AT_abstract_origin and DW_AT_specification (rustc puts the return type
 * and calling convention on the declaration, at O2 sometimes two links away).
 */
static bool chain_attr(struct dwarf_index *idx, Dwarf_Die die, Dwarf_Half at, bool ref,
		       uint64_t *out)
{
	Dwarf_Die cur = die, next;
	uint64_t origin;
	bool found = false;
	int depth;

	for (depth = 0; cur && depth < 8; depth++) {
		found = ref ? die_ref(cur, at, out) : die_udata(cur, at, out);
		next = NULL;
		if (!found && (die_ref(cur, DW_AT_abstract_origin, &origin) ||
			       die_ref(cur, DW_AT_specification, &origin)))
			next = die_at(idx, origin);
		if (cur != die)
			dwarf_dealloc_die(cur);
		if (found)
			return true;
		cur = next;
	}
	if (cur && cur != die)
		dwarf_dealloc_die(cur);
	return false;
}

static bool chain_ref(struct dwarf_index *idx, Dwarf_Die die, Dwarf_Half at, uint64_t *out)
{
	return chain_attr(idx, die, at, true, out);
}

static bool chain_udata(struct dwarf_index *idx, Dwarf_Die die, Dwarf_Half at, uint64_t *out)
{
	return chain_attr(idx, die, at, false, out);
}

int dwarf_index__load(struct dwarf_index *idx, struct rfunc *f)
{
	Dwarf_Die die, child = NULL, next;
	uint64_t toff = 0, cc = 0;
	Dwarf_Attribute attr;
	int cap = 0, err = 0;

	if (f->loaded)
		return 0;
	die = die_at(idx, f->die);
	if (!die)
		return -ENOENT;
	if (chain_ref(idx, die, DW_AT_type, &toff))
		f->ret = dwarf_types__load(idx, toff);
	if (chain_udata(idx, die, DW_AT_calling_convention, &cc))
		f->nocall = cc == DW_CC_nocall;
	f->frame_base_reg = -2;
	if (dwarf_attr(die, DW_AT_frame_base, &attr, NULL) == DW_DLV_OK) {
		Dwarf_Ptr blk;
		Dwarf_Unsigned len;

		if (dwarf_formexprloc(attr, &len, &blk, NULL) == DW_DLV_OK)
			frame_base(f, blk, len);
		dwarf_dealloc_attribute(attr);
	}
	if (dwarf_child(die, &child, NULL) == DW_DLV_OK) {
		while (child && !err) {
			Dwarf_Half tag = 0;

			dwarf_tag(child, &tag, NULL);
			if (tag == DW_TAG_formal_parameter) {
				struct rparam *np = grow_array(f->params, &cap, f->nparams + 1, sizeof(*np));
				struct rparam *p;
				Dwarf_Die pod = NULL;
				uint64_t po = 0;

				if (!np) {
					err = -ENOMEM;
					break;
				}
				f->params = np;
				p = &np[f->nparams++];
				if (die_ref(child, DW_AT_abstract_origin, &po))
					pod = die_at(idx, po);
				p->name = die_str(idx, child, DW_AT_name);
				if (!p->name && pod)
					p->name = die_str(idx, pod, DW_AT_name);
				if (die_ref(child, DW_AT_type, &toff) || (pod && die_ref(pod, DW_AT_type, &toff)))
					p->type = dwarf_types__load(idx, toff);
				err = load_locs(idx, child, p);
				if (!err && !p->nlocs)
					err = const_value(idx, child, p);
				die_udata(child, DW_AT_decl_line, &p->decl_line);
				if (pod)
					dwarf_dealloc_die(pod);
			} else if (tag == DW_TAG_variable) {
				name_unnamed_param(idx, f, child);
			}
			next = NULL;
			if (dwarf_siblingof_b(idx->dbg, child, 1, &next, NULL) != DW_DLV_OK)
				next = NULL;
			dwarf_dealloc_die(child);
			child = next;
		}
		if (child)
			dwarf_dealloc_die(child);
	}
	/* Parameters live in the arena like everything else. */
	if (f->nparams) {
		struct rparam *ap = arena_alloc(idx, sizeof(*ap) * f->nparams);

		if (ap)
			memcpy(ap, f->params, sizeof(*ap) * f->nparams);
		free(f->params);
		f->params = ap;
		if (!ap)
			err = -ENOMEM;
	}
	dwarf_dealloc_die(die);
	f->loaded = !err;
	return err;
}

int dwarf_index__set_cfi_file(struct dwarf_index *idx, const char *exe)
{
	Dwarf_Error derr = NULL;
	int res;

	idx->cfi_fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (idx->cfi_fd < 0)
		return -errno;
	res = dwarf_init_b(idx->cfi_fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, dwarf_quiet, NULL,
			   &idx->cfi_dbg, &derr);
	if (res != DW_DLV_OK) {
		if (res == DW_DLV_ERROR)
			dwarf_dealloc_error(NULL, derr);
		idx->cfi_dbg = NULL;
		return -ENODATA;
	}
	return 0;
}

static void load_fdes(struct dwarf_index *idx)
{
	if (idx->fdes_loaded)
		return;
	idx->fdes_loaded = true;
	if (dwarf_get_fde_list_eh(idx->cfi_dbg ? idx->cfi_dbg : idx->dbg, &idx->cies, &idx->ncies,
				  &idx->fdes, &idx->nfdes, NULL) != DW_DLV_OK)
		idx->fdes = NULL;
}

size_t dwarf_index__code_ranges(struct dwarf_index *idx, uint64_t (*out)[2])
{
	Dwarf_Signed i;
	size_t n = 0;

	load_fdes(idx);
	for (i = 0; idx->fdes && i < idx->nfdes; i++) {
		Dwarf_Addr lo = 0;
		Dwarf_Unsigned len = 0;
		Dwarf_Ptr bytes;
		Dwarf_Unsigned blen;
		Dwarf_Off cie_off, fde_off;
		Dwarf_Signed cie_idx;

		if (dwarf_get_fde_range(idx->fdes[i], &lo, &len, &bytes, &blen, &cie_off, &cie_idx,
					&fde_off, NULL) != DW_DLV_OK || !len)
			continue;
		if (out) {
			out[n][0] = lo;
			out[n][1] = lo + len;
		}
		n++;
	}
	return n;
}

int dwarf_index__cfa(struct dwarf_index *idx, uint64_t pc, int *reg, int64_t *off)
{
	Dwarf_Fde fde;
	Dwarf_Addr lo, hi, row_pc, next_pc;
	Dwarf_Small vtype;
	Dwarf_Signed rel, r, o;
	Dwarf_Ptr blk;
	Dwarf_Bool more;

	load_fdes(idx);
	if (dwarf_get_fde_at_pc(idx->fdes, pc, &fde, &lo, &hi, NULL) != DW_DLV_OK)
		return -ENOENT;
	if (dwarf_get_fde_info_for_cfa_reg3_b(fde, pc, &vtype, &rel, &r, &o, &blk, &row_pc, &more,
					      &next_pc, NULL) != DW_DLV_OK)
		return -ENOENT;
	if (vtype != DW_EXPR_OFFSET || !rel)
		return -ENOTSUP;
	*reg = (int)r;
	*off = o;
	return 0;
}
