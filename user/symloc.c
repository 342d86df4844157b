// SPDX-License-Identifier: MIT
/*
 * DWARF location expressions over the symbolic state, and where the values
 * they name are at the probe (symexec.h).
 */
#include <string.h>
#include <dwarf.h>
#include "rstrace.h"
#include "symexec_int.h"

#define STACK 8

struct machine {
	const struct sym_state *st;
	const struct rfunc *f;
	struct sym stack[STACK];
	int sp;
	bool unknown; /* a register or memory value this state does not know */
	const char *error; /* unsupported: final */
};

static void push(struct machine *m, struct sym v)
{
	if (v.kind == SYM_NONE)
		m->unknown = true;
	if (m->sp == STACK) {
		m->error = "location expression too deep";
		return;
	}
	m->stack[m->sp++] = v;
}

static struct sym pop(struct machine *m)
{
	if (!m->sp) {
		m->error = "malformed location expression";
		return sym_none;
	}
	return m->stack[--m->sp];
}

/* DWARF register n (0-15 general, 17-32 xmm0-15) as a value, in state st. */
static struct sym dwarf_reg(const struct sym_state *st, uint64_t n)
{
	if (!st)
		return sym_none;
	if (n < 16)
		return st->gpr[n];
	if (n >= 17 && n <= 32)
		return st->xmm[n - 17];
	return sym_none;
}

static struct sym entry_reg(uint64_t n)
{
	if (n < 16)
		return n == RSP ? sym_mk(SYM_ADDR, 0, 8, 0) : sym_mk(SYM_REG, (uint8_t)n, 8, 0);
	if (n >= 17 && n <= 32)
		return sym_mk(SYM_XMM, (uint8_t)(n - 17), 16, 0);
	return sym_none;
}

static void frame_base(struct machine *m, int64_t k)
{
	k += m->f->frame_base_off;
	if (m->f->frame_base_reg >= 0)
		push(m, sym_add(dwarf_reg(m->st, m->f->frame_base_reg), k));
	else if (m->f->frame_base_reg == -1)
		push(m, sym_mk(SYM_ADDR, 0, 8, k)); /* DW_OP_call_frame_cfa */
	else
		m->error = "frame base not supported";
}

static void binary(struct machine *m, uint8_t atom)
{
	struct sym b = pop(m), a = pop(m);

	if (a.kind == SYM_CONST && b.kind == SYM_CONST) {
		uint64_t x = (uint64_t)a.off, y = (uint64_t)b.off, r = 0;

		switch (atom) {
		case DW_OP_plus: r = x + y; break;
		case DW_OP_minus: r = x - y; break;
		case DW_OP_and: r = x & y; break;
		case DW_OP_or: r = x | y; break;
		case DW_OP_xor: r = x ^ y; break;
		case DW_OP_mul: r = x * y; break;
		case DW_OP_shl: r = y < 64 ? x << y : 0; break;
		case DW_OP_shr: r = y < 64 ? x >> y : 0; break;
		}
		push(m, sym_mk(SYM_CONST, 0, 8, (int64_t)r));
	} else if (atom == DW_OP_plus && b.kind == SYM_CONST) {
		push(m, sym_add(a, b.off));
	} else if (atom == DW_OP_plus && a.kind == SYM_CONST) {
		push(m, sym_add(b, a.off));
	} else if (atom == DW_OP_minus && b.kind == SYM_CONST) {
		push(m, sym_add(a, -b.off));
	} else {
		m->error = "location arithmetic not computable from captured registers";
	}
}

static void deref(struct machine *m, uint64_t size)
{
	struct sym a = pop(m);

	if (size == 0 || size > 8) {
		m->error = "location expression not supported";
		return;
	}
	if (a.kind == SYM_ADDR && !m->st) {
		m->unknown = true;
		push(m, sym_none);
		return;
	}
	push(m, m->st ? sym_load_one(m->st, &a, size) : sym_none);
	if (m->sp && m->stack[m->sp - 1].kind != SYM_NONE && size < 8)
		m->stack[m->sp - 1].zext = true;
}

/* One operation of the stack machine; false when the expression cannot go on. */
static void op(struct machine *m, const struct rop *o)
{
	uint8_t a = o->atom;

	if (a >= DW_OP_lit0 && a <= DW_OP_lit31)
		push(m, sym_mk(SYM_CONST, 0, 8, a - DW_OP_lit0));
	else if (a >= DW_OP_breg0 && a <= DW_OP_breg15)
		push(m, sym_add(dwarf_reg(m->st, a - DW_OP_breg0), (int64_t)o->op1));
	else if (a == DW_OP_bregx && o->op1 < 16)
		push(m, sym_add(dwarf_reg(m->st, o->op1), (int64_t)o->op2));
	else if (a == DW_OP_fbreg)
		frame_base(m, (int64_t)o->op1);
	else if (a == DW_OP_addr)
		push(m, sym_mk(SYM_LINK, 0, 8, (int64_t)o->op1));
	else if (a == DW_OP_call_frame_cfa)
		push(m, sym_mk(SYM_ADDR, 0, 8, 0));
	else if (a == DW_OP_const1u || a == DW_OP_const2u || a == DW_OP_const4u ||
		 a == DW_OP_const8u || a == DW_OP_constu || a == DW_OP_const1s ||
		 a == DW_OP_const2s || a == DW_OP_const4s || a == DW_OP_const8s ||
		 a == DW_OP_consts)
		push(m, sym_mk(SYM_CONST, 0, 8, (int64_t)o->op1));
	else if (a == DW_OP_plus_uconst)
		push(m, sym_add(pop(m), (int64_t)o->op1));
	else if (a == DW_OP_plus || a == DW_OP_minus || a == DW_OP_and || a == DW_OP_or ||
		 a == DW_OP_xor || a == DW_OP_mul || a == DW_OP_shl || a == DW_OP_shr)
		binary(m, a);
	else if (a == DW_OP_deref)
		deref(m, 8);
	else if (a == DW_OP_deref_size)
		deref(m, o->op1);
	else if ((a == DW_OP_entry_value || a == DW_OP_GNU_entry_value) &&
		 o->sub_atom >= DW_OP_reg0 && o->sub_atom <= DW_OP_reg31)
		push(m, entry_reg(o->sub_atom - DW_OP_reg0)); /* the value at entry, by definition */
	else if ((a == DW_OP_entry_value || a == DW_OP_GNU_entry_value) &&
		 o->sub_atom == DW_OP_regx)
		push(m, entry_reg(o->sub_op1));
	else if (a == DW_OP_dup && m->sp)
		push(m, m->stack[m->sp - 1]);
	else if (a == DW_OP_drop)
		pop(m);
	else if (a == DW_OP_swap && m->sp >= 2) {
		struct sym t = m->stack[m->sp - 1];

		m->stack[m->sp - 1] = m->stack[m->sp - 2];
		m->stack[m->sp - 2] = t;
	} else
		m->error = "location expression not supported";
}

/* Whether b continues a in the same register or memory (one capture reads both). */
static bool adjacent(const struct sym *a, uint32_t alen, const struct sym *b)
{
	if (a->kind != b->kind || a->reg != b->reg || a->bool_mask || b->bool_mask)
		return false;
	switch (a->kind) {
	case SYM_REG:
	case SYM_XMM:
		return !a->off && !b->off && a->byte + alen == b->byte;
	case SYM_MEM:
	case SYM_DEREF:
		return a->off + (int64_t)alen == b->off;
	default:
		return false;
	}
}

static int add_piece(struct sym_loc *out, struct sym v, uint32_t len)
{
	struct sym_piece *last = out->npieces ? &out->piece[out->npieces - 1] : NULL;

	if (last && adjacent(&last->s, last->len, &v)) {
		last->len += len;
		last->s.size = last->len;
		return 0;
	}
	if (out->npieces == PARAM_PIECES) {
		out->error = "value assembled from more pieces than a plan holds";
		out->final = true;
		return 1;
	}
	out->piece[out->npieces++] = (struct sym_piece){ v, len };
	return 0;
}

/* A register's first len bytes: a zero-extended value brings its zero bytes along. */
static int reg_piece(struct sym_loc *out, struct sym r, uint32_t len)
{
	if (r.kind == SYM_NONE)
		return -1;
	if (len <= r.size)
		return add_piece(out, sym_sub(r, 0, len), len);
	if (!r.zext)
		return -1;
	if (add_piece(out, sym_sub(r, 0, r.size), r.size))
		return 1;
	return add_piece(out, sym_mk(SYM_CONST, 0, len - r.size, 0), len - r.size);
}

/* Ops [0, n) of one piece of psize bytes: -1 unknown in this state, 0 done, 1 error (final). */
static int eval_piece(const struct sym_state *st, const struct rfunc *f, const struct rop *ops,
		      int n, uint64_t psize, const uint8_t *need, struct sym_loc *out)
{
	struct machine m = { .st = st, .f = f };
	bool value = false;
	struct sym top;
	int i, k;

	if (n == 1 && ops[0].atom >= DW_OP_reg0 && ops[0].atom <= DW_OP_reg31)
		return reg_piece(out, dwarf_reg(st, ops[0].atom - DW_OP_reg0), psize);
	if (n == 1 && ops[0].atom == DW_OP_regx)
		return reg_piece(out, dwarf_reg(st, ops[0].op1), psize);
	if (n == 1 && ops[0].atom == DW_OP_implicit_value) {
		if (ops[0].big || ops[0].op1 < psize) {
			out->error = "implicit value wider than 8 bytes";
			return 1;
		}
		return add_piece(out, sym_mk(SYM_CONST, 0, (uint32_t)psize, (int64_t)ops[0].value), psize);
	}
	for (i = 0; i < n && !m.error; i++) {
		if (ops[i].atom == DW_OP_stack_value) {
			value = true;
			break;
		}
		op(&m, &ops[i]);
	}
	if (m.error || m.sp != 1 || (value && i != n - 1)) {
		out->error = m.error ? m.error : "location expression not supported";
		return 1;
	}
	if (m.unknown)
		return -1;
	top = m.stack[0];
	if (value)
		return psize > 8 || psize > top.size ? (out->error = "value wider than its expression", 1)
						    : add_piece(out, sym_sub(top, 0, psize), psize);
	/* a memory location: the bytes at address top */
	if (top.kind == SYM_ADDR || top.kind == SYM_RADDR) {
		struct sym_piece p[PARAM_PIECES];

		k = st ? sym_load(st, top.kind == SYM_RADDR, top.off, psize, need, p, PARAM_PIECES) : -1;
		for (i = 0; i < k; i++)
			if (add_piece(out, p[i].s, p[i].len))
				return 1;
		return k < 0 ? -1 : 0;
	}
	if (top.kind == SYM_REG && sym_whole(&top)) {
		if (st && st->outside_written)
			return -1;
		return add_piece(out, sym_mk(SYM_DEREF, top.reg, (uint32_t)psize, top.off), psize);
	}
	return -1;
}

int symexec__eval(const struct sym_state *st, const struct rfunc *f, const struct rloc *loc,
		  uint64_t size, const uint8_t *need, struct sym_loc *out)
{
	uint64_t done = 0;
	bool gap = false;
	int i = 0, r;

	memset(out, 0, sizeof(*out));
	while (i < loc->nops && done < size) {
		int j = i;
		bool is_piece;
		uint64_t psize;

		while (j < loc->nops && loc->ops[j].atom != DW_OP_piece)
			j++;
		is_piece = j < loc->nops;
		psize = is_piece ? loc->ops[j].op1 : size - done;
		if (j == i) {
			/* an empty piece: DWARF says these bytes are unavailable */
			if (gap && out->unknown_hi != done) {
				out->error = "value split with several unavailable pieces";
				out->final = true;
				return 0;
			}
			if (!gap)
				out->unknown_lo = done;
			gap = true;
			out->unknown_hi = done + psize;
			r = add_piece(out, sym_mk(SYM_CONST, 0, 0, 0), psize);
		} else {
			r = eval_piece(st, f, &loc->ops[i], j - i, psize, need ? need + done : NULL,
				       out);
		}
		if (r < 0)
			return -1;
		if (r > 0) {
			out->final = true;
			return 0;
		}
		done += psize;
		i = is_piece ? j + 1 : j;
	}
	if (done < size) {
		if (gap) {
			out->error = "value split with several unavailable pieces";
			out->final = true;
			return 0;
		}
		out->unknown_lo = done;
		out->unknown_hi = size;
		add_piece(out, sym_mk(SYM_CONST, 0, 0, 0), size - done);
	}
	return 0;
}

bool symexec__frame_free(const struct rloc *loc)
{
	int i;

	for (i = 0; loc && i < loc->nops; i++) {
		const struct rop *o = &loc->ops[i];

		if (o->atom == DW_OP_fbreg || o->atom == DW_OP_call_frame_cfa ||
		    o->atom == DW_OP_breg0 + 6 || o->atom == DW_OP_breg0 + RSP ||
		    (o->atom == DW_OP_bregx && (o->op1 == 6 || o->op1 == RSP)))
			return false;
	}
	return loc != NULL;
}

/* ---- the probe's view ---- */

static bool holds_entry(const struct sym *v, int reg, uint32_t need)
{
	return v->kind == SYM_REG && v->reg == reg && v->byte == 0 && v->off == 0 &&
	       !v->bool_mask && v->size >= need;
}

/*
 * A frame slot (CFA- or R-relative) as register + offset in state st, if it
 * is still allocated there (at or above rsp, or in its red zone).
 */
static bool slot_at(const struct sym_state *st, bool realigned, int64_t off, int cfa_reg,
		    int64_t cfa_off, uint8_t *reg, int64_t *roff)
{
	const struct sym *rsp = &st->gpr[RSP];

	if (!realigned) {
		/* with rsp realigned, its highest possible value bounds it */
		int64_t top = rsp->kind == SYM_ADDR ? rsp->off
			      : rsp->kind == SYM_RADDR ? st->realign_from + rsp->off : INT64_MAX;

		if (cfa_reg < 0 || top == INT64_MAX || off < top - RED_ZONE)
			return false;
		*reg = (uint8_t)cfa_reg;
		*roff = cfa_off + off;
		return true;
	}
	if (rsp->kind != SYM_RADDR || off < rsp->off - RED_ZONE)
		return false;
	*reg = RSP;
	*roff = off - rsp->off;
	return true;
}

/* Where entry register `reg` (its first `need` bytes) is in state st: a register or a slot. */
static bool find_entry(const struct sym_state *st, int reg, uint32_t need, int cfa_reg,
		       int64_t cfa_off, struct src_piece *o)
{
	int i;

	if (holds_entry(&st->gpr[reg], reg, need)) {
		o->kind = SRC_REG;
		o->reg = (uint8_t)reg;
		return true;
	}
	for (i = 0; i < 16; i++)
		if (holds_entry(&st->gpr[i], reg, need)) {
			o->kind = SRC_REG;
			o->reg = (uint8_t)i;
			return true;
		}
	for (i = 0; i < st->nst; i++)
		if (st->st[i].size >= need && holds_entry(&st->st[i].v, reg, need) &&
		    slot_at(st, st->st[i].realigned, st->st[i].off, cfa_reg, cfa_off, &o->reg,
			    &o->off)) {
			o->kind = SRC_MEM;
			return true;
		}
	return false;
}

const char *symexec__locate(const struct sym_state *st, const struct sym_piece *p, bool zero_one,
			    uint64_t pc, int cfa_reg, int64_t cfa_off, struct src_piece *o)
{
	const struct sym *s = &p->s;
	const struct sym *rsp = &st->gpr[RSP];
	int i;

	memset(o, 0, sizeof(*o));
	o->len = p->len;
	/* a bool or a two-valued tag is 0 or 1 (anything else is UB): `and $1` leaves it as it was */
	if (s->bool_mask && !zero_one)
		return "value masked by the prologue";
	switch (s->kind) {
	case SYM_PAD:
		o->kind = SRC_GAP;
		return NULL;
	case SYM_CONST:
		o->kind = SRC_CONST;
		o->reg = RST_REG_NONE;
		o->off = s->off;
		return NULL;
	case SYM_REG:
		if (s->byte)
			return "upper bytes of a register";
		if (!find_entry(st, s->reg, s->off ? 8 : p->len, cfa_reg, cfa_off, o) ||
		    (o->kind == SRC_MEM && s->off))
			return "entry value no longer in a register at the probe point";
		if (o->kind == SRC_REG)
			o->off = s->off;
		return NULL;
	case SYM_XMM:
		for (i = 0; i < st->nst; i++) {
			const struct sym_store *x = &st->st[i];

			if (x->v.kind == SYM_XMM && x->v.reg == s->reg && x->v.byte == s->byte &&
			    x->v.size >= p->len && x->size >= p->len &&
			    slot_at(st, x->realigned, x->off, cfa_reg, cfa_off, &o->reg, &o->off)) {
				o->kind = SRC_MEM;
				return NULL;
			}
		}
		return "passed in an SSE register, which BPF cannot read";
	case SYM_ADDR:
	case SYM_MEM:
		if (cfa_reg < 0)
			return "no frame address (.eh_frame) at the probe point";
		o->kind = s->kind == SYM_ADDR ? SRC_REG : SRC_MEM;
		o->reg = (uint8_t)cfa_reg;
		o->off = cfa_off + s->off;
		return NULL;
	case SYM_LINK:
		/* rip at the probe is pc plus the load bias */
		o->kind = SRC_REG;
		o->reg = 16;
		o->off = s->off - (int64_t)pc;
		return NULL;
	case SYM_RADDR:
		if (rsp->kind != SYM_RADDR)
			return "frame realigned after the probe point";
		o->kind = SRC_REG;
		o->reg = RSP;
		o->off = s->off - rsp->off;
		return NULL;
	case SYM_DEREF:
		if (!find_entry(st, s->reg, 8, cfa_reg, cfa_off, o))
			return "pointer no longer in a register at the probe point";
		o->ptr_mem = o->kind == SRC_MEM;
		o->kind = SRC_DEREF;
		o->add = s->off;
		return NULL;
	}
	return "not known at the function's entry";
}

