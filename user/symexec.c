// SPDX-License-Identifier: MIT
#include <string.h>
#include <dwarf.h>
#include "rstrace.h"
#include "symexec_int.h"

const struct sym sym_none;

static bool xmm_of(x86_reg r, int *num)
{
	if (r < X86_REG_XMM0 || r > X86_REG_XMM15)
		return false;
	*num = r - X86_REG_XMM0;
	return true;
}

struct sym sym_mk(uint8_t kind, uint8_t reg, uint32_t size, int64_t off)
{
	return (struct sym){ .kind = kind, .reg = reg, .size = size, .off = off };
}

bool sym_whole(const struct sym *s)
{
	return (s->kind == SYM_ADDR || s->kind == SYM_RADDR || s->kind == SYM_CONST ||
		s->kind == SYM_LINK ||
		(s->kind == SYM_REG && s->byte == 0)) &&
	       s->size == 8 && !s->bool_mask;
}

struct sym sym_add(struct sym s, int64_t k)
{
	if (!sym_whole(&s))
		return sym_none;
	s.off += k;
	return s;
}

struct sym sym_sub(struct sym s, unsigned b, unsigned n)
{
	if (s.kind == SYM_NONE || b + n > s.size || n == 0)
		return sym_none;
	if (b && s.bool_mask)
		return sym_none;
	switch (s.kind) {
	case SYM_REG:
		/* reg + off: its low bytes are BPF's (reg + off) truncated; higher ones are not */
		if (b && s.off)
			return sym_none;
		s.byte += b;
		break;
	case SYM_XMM:
		s.byte += b;
		break;
	case SYM_ADDR:
	case SYM_RADDR:
	case SYM_LINK:
		if (b)
			return sym_none;
		break;
	case SYM_MEM:
	case SYM_DEREF:
		s.off += b;
		break;
	case SYM_CONST:
		s.off = b >= 8 ? 0 : (int64_t)((uint64_t)s.off >> (8 * b));
		if (n < 8)
			s.off = (int64_t)((uint64_t)s.off & ((1ull << (8 * n)) - 1));
		break;
	}
	s.size = n;
	s.zext = false;
	return s;
}

void symexec__init(struct sym_state *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < 16; i++) {
		st->gpr[i] = sym_mk(SYM_REG, i, 8, 0);
		st->xmm[i] = sym_mk(SYM_XMM, i, 16, 0);
	}
	/* at the first instruction rsp points at the return address: CFA - 8 */
	st->gpr[RSP] = sym_mk(SYM_ADDR, 0, 8, -8);
}

/* ---- the stack frame ---- */

/* Whether [a, a+n) of domain `realigned` and store s may share bytes. */
static bool may_overlap(const struct sym_state *st, bool realigned, int64_t a, uint64_t n,
			const struct sym_store *s)
{
	int64_t lo = a, hi = a + (int64_t)n;

	if (s->realigned != realigned) {
		/* R lies in [from - align + 1, from]: widen the range by that uncertainty */
		if (realigned) {
			lo += st->realign_from - st->align + 1;
			hi += st->realign_from;
		} else {
			lo -= st->realign_from;
			hi -= st->realign_from - st->align + 1;
		}
	}
	return s->off < hi && s->off + (int64_t)s->size > lo;
}

static void kill(struct sym_state *st, bool realigned, int64_t off, uint64_t size)
{
	int i, n = 0;

	for (i = 0; i < st->nst; i++)
		if (!may_overlap(st, realigned, off, size, &st->st[i]))
			st->st[n++] = st->st[i];
	st->nst = n;
}

static void put1(struct sym_state *st, bool realigned, int64_t off, uint32_t size, struct sym v)
{
	kill(st, realigned, off, size);
	if (v.kind == SYM_NONE)
		return;
	if (st->nst == SYM_STORES) {
		/* forgetting the oldest slot loses a value, never makes one wrong */
		memmove(&st->st[0], &st->st[1], sizeof(st->st[0]) * (SYM_STORES - 1));
		st->nst--;
	}
	st->st[st->nst++] = (struct sym_store){ off, size, realigned, v };
}

/* A register's value stored: a zero-extended one stores its zero bytes too. */
static void put(struct sym_state *st, bool realigned, int64_t off, uint32_t size, struct sym v)
{
	if (v.kind != SYM_NONE && v.size < size && v.zext) {
		put1(st, realigned, off, v.size, sym_sub(v, 0, v.size));
		put1(st, realigned, off + v.size, size - v.size, sym_mk(SYM_CONST, 0, size - v.size, 0));
		return;
	}
	put1(st, realigned, off, size, v.kind != SYM_NONE && v.size >= size ? sym_sub(v, 0, size) : sym_none);
}

int sym_load(const struct sym_state *st, bool realigned, int64_t off, uint64_t size,
		const uint8_t *need, struct sym_piece *out, int max)
{
	int64_t cur = off, end = off + (int64_t)size;
	int n = 0, i;

	while (cur < end) {
		const struct sym_store *s = NULL;
		int64_t next = end;
		struct sym v;

		for (i = 0; i < st->nst; i++) {
			if (st->st[i].realigned != realigned)
				continue;
			if (st->st[i].off <= cur && cur < st->st[i].off + (int64_t)st->st[i].size)
				s = &st->st[i];
			else if (st->st[i].off > cur && st->st[i].off < next)
				next = st->st[i].off;
		}
		if (n == max)
			return -1;
		if (s) {
			int64_t run = s->off + (int64_t)s->size < end ? s->off + (int64_t)s->size - cur
								       : end - cur;

			v = sym_sub(s->v, (unsigned)(cur - s->off), (unsigned)run);
			cur += run;
		} else if (cur >= 0 && !realigned && !st->outside_written) {
			/* the caller's frame (stack arguments), untouched so far */
			v = sym_mk(SYM_MEM, 0, (uint32_t)(next - cur), cur);
			cur += v.size;
		} else if (need) {
			/* padding the value never uses may stay unwritten */
			int64_t run = 0;

			while (cur + run < next && !need[cur + run - off])
				run++;
			if (!run)
				return -1; /* not written yet: garbage */
			v = sym_mk(SYM_PAD, 0, (uint32_t)run, 0);
			cur += run;
		} else {
			return -1;
		}
		if (v.kind == SYM_NONE)
			return -1;
		out[n++] = (struct sym_piece){ v, v.size };
	}
	return n;
}

struct sym sym_load_one(const struct sym_state *st, const struct sym *addr, uint64_t size)
{
	struct sym_piece p[1];

	if (addr->kind == SYM_ADDR || addr->kind == SYM_RADDR)
		return sym_load(st, addr->kind == SYM_RADDR, addr->off, size, NULL, p, 1) == 1 ? p[0].s
											  : sym_none;
	if (addr->kind == SYM_REG && sym_whole(addr) && !st->outside_written)
		return sym_mk(SYM_DEREF, addr->reg, (uint32_t)size, addr->off);
	return sym_none;
}

/* ---- instructions ---- */

static struct sym addr_of(const struct sym_state *st, const cs_x86_op *op)
{
	int num, size;

	if (op->type != X86_OP_MEM || op->mem.segment != X86_REG_INVALID ||
	    op->mem.index != X86_REG_INVALID || !x86reg__gpr(op->mem.base, &num, &size) || size != 8)
		return sym_none;
	return sym_add(st->gpr[num], op->mem.disp);
}

static void write_mem(struct sym_state *st, const struct sym *a, uint32_t size, struct sym v,
		      struct sym_effect *eff)
{
	/* the new frame lies below the return address at CFA - 8 (and R is at most realign_from) */
	if ((a->kind == SYM_ADDR && a->off + (int64_t)size <= -8) ||
	    (a->kind == SYM_RADDR && st->realign_from + a->off + (int64_t)size <= -8)) {
		put(st, a->kind == SYM_RADDR, a->off, size, v);
		return;
	}
	eff->wrote_outside = true;
	st->outside_written = true;
	/* entry pointers cannot point into a frame that did not exist yet; anything else might */
	if (a->kind != SYM_REG && a->kind != SYM_ADDR && a->kind != SYM_RADDR)
		st->nst = 0;
}

static struct sym read_op(const struct sym_state *st, const cs_x86_op *op)
{
	int num, size;

	switch (op->type) {
	case X86_OP_REG:
		if (x86reg__gpr(op->reg, &num, &size)) {
			const struct sym *g = &st->gpr[num];

			if ((uint32_t)size <= g->size)
				return sym_sub(*g, 0, size);
			/* fewer bytes known, but those above are zero */
			return g->zext ? *g : sym_none;
		}
		if (xmm_of(op->reg, &num))
			return sym_sub(st->xmm[num], 0, op->size <= 16 ? op->size : 16);
		return sym_none;
	case X86_OP_IMM:
		return sym_mk(SYM_CONST, 0, op->size ? op->size : 8, op->size == 8 ? op->imm :
			  (int64_t)((uint64_t)op->imm & ((1ull << (8 * op->size)) - 1)));
	case X86_OP_MEM: {
		struct sym a = addr_of(st, op);

		return sym_load_one(st, &a, op->size);
	}
	default:
		return sym_none;
	}
}

/* Writes v to a register operand with x86's rules: 32-bit writes zero the upper half. */
static void write_reg(struct sym_state *st, x86_reg r, struct sym v, struct sym_effect *eff)
{
	int num, size;

	if (xmm_of(r, &num)) {
		st->xmm[num] = v;
		return;
	}
	if (!x86reg__gpr(r, &num, &size))
		return;
	if (num == RSP && !((v.kind == SYM_ADDR || v.kind == SYM_RADDR) && size == 8)) {
		/* the frame can no longer be followed */
		eff->ends_prefix = eff->stop = true;
	}
	if (size == 8 || v.kind == SYM_NONE) {
		st->gpr[num] = v;
	} else if (size == 4) {
		st->gpr[num] = v.size > 4 ? sym_sub(v, 0, 4) : v;
		st->gpr[num].zext = true;
	} else {
		/* a 16/8-bit write keeps the old upper bytes: only the low ones are known */
		st->gpr[num] = v.size >= (uint32_t)size ? sym_sub(v, 0, size) : sym_none;
	}
}

/* Every register and memory operand the instruction writes becomes unknown. */
static void clobber(struct sym_state *st, csh h, const cs_insn *in, struct sym_effect *eff)
{
	const cs_x86 *x = &in->detail->x86;
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0, i;

	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) == CS_ERR_OK) {
		for (i = 0; i < nwr; i++)
			write_reg(st, wr[i], sym_none, eff);
	} else {
		eff->ends_prefix = eff->stop = true;
	}
	for (i = 0; i < x->op_count; i++) {
		struct sym a;

		if (x->operands[i].type != X86_OP_MEM || !(x->operands[i].access & CS_AC_WRITE))
			continue;
		a = addr_of(st, &x->operands[i]);
		write_mem(st, &a, x->operands[i].size, sym_none, eff);
	}
}

static void mov(struct sym_state *st, const cs_x86 *x, struct sym_effect *eff, bool zx)
{
	const cs_x86_op *d = &x->operands[0], *s = &x->operands[1];
	struct sym v = read_op(st, s);

	if (zx && v.kind != SYM_NONE)
		v.zext = true;
	if (d->type == X86_OP_REG) {
		write_reg(st, d->reg, v, eff);
	} else if (d->type == X86_OP_MEM) {
		struct sym a = addr_of(st, d);

		write_mem(st, &a, d->size, v, eff);
	}
}

static void arith(struct sym_state *st, const cs_insn *in, struct sym_effect *eff)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *d = &x->operands[0], *s = &x->operands[1];
	struct sym v = sym_none, src = read_op(st, s);
	int num, size;

	if (d->type != X86_OP_REG || !x86reg__gpr(d->reg, &num, &size))
		return;
	if (in->id == X86_INS_AND && num == RSP && src.kind == SYM_CONST && src.off < 0 &&
	    !(src.off & (-src.off - 1)) && st->gpr[RSP].kind == SYM_ADDR && !st->realigned) {
		/* the frame is realigned for over-aligned locals: slots become R-relative */
		st->realigned = true;
		st->realign_from = st->gpr[RSP].off;
		st->align = -src.off;
		write_reg(st, d->reg, sym_mk(SYM_RADDR, 0, 8, 0), eff);
		return;
	}
	if (in->id == X86_INS_SHR && (size == 8 || size == 4) && src.kind == SYM_CONST &&
	    src.off % 8 == 0 && src.off > 0 && src.off < 8 * size && st->gpr[num].kind == SYM_REG &&
	    !st->gpr[num].off && !st->gpr[num].bool_mask && !st->gpr[num].byte &&
	    st->gpr[num].size >= (uint32_t)size) {
		/* upper bytes moved down: a small aggregate taken apart from one register */
		v = st->gpr[num];
		v.byte = (uint8_t)(src.off / 8);
		v.size = (uint32_t)size - v.byte;
		v.zext = true;
		write_reg(st, d->reg, v, eff);
		return;
	}
	if (in->id == X86_INS_XOR && s->type == X86_OP_REG && s->reg == d->reg)
		v = sym_mk(SYM_CONST, 0, 8, 0);
	else if ((in->id == X86_INS_ADD || in->id == X86_INS_SUB) && size == 8 &&
		 src.kind == SYM_CONST)
		v = sym_add(st->gpr[num], in->id == X86_INS_ADD ? src.off : -src.off);
	else if (in->id == X86_INS_AND && src.kind == SYM_CONST && st->gpr[num].kind != SYM_NONE) {
		/* the bytes of the operand that are known */
		uint32_t w = (uint32_t)size < st->gpr[num].size ? (uint32_t)size : st->gpr[num].size;
		uint64_t keep = w >= 8 ? ~0ull : (1ull << (8 * w)) - 1;

		v = sym_sub(st->gpr[num], 0, w);
		if (((uint64_t)src.off & keep) == 1)
			v.bool_mask = true; /* `and $1`: a bool normalised (see symexec__locate) */
		else if (((uint64_t)src.off & keep) != keep)
			v = sym_none;
	}
	write_reg(st, d->reg, v, eff);
}

static void push_pop(struct sym_state *st, const cs_insn *in, struct sym_effect *eff)
{
	const cs_x86 *x = &in->detail->x86;
	struct sym *rsp = &st->gpr[RSP], a;

	if ((rsp->kind != SYM_ADDR && rsp->kind != SYM_RADDR) || x->op_count != 1) {
		eff->ends_prefix = eff->stop = true;
		return;
	}
	if (in->id == X86_INS_PUSH) {
		struct sym v = x->operands[0].type == X86_OP_MEM ? sym_none : read_op(st, &x->operands[0]);

		rsp->off -= 8;
		a = *rsp;
		write_mem(st, &a, 8, v, eff);
		return;
	}
	a = *rsp;
	rsp->off += 8;
	if (x->operands[0].type == X86_OP_REG)
		write_reg(st, x->operands[0].reg, sym_load_one(st, &a, 8), eff);
	else
		eff->ends_prefix = eff->stop = true; /* pop to memory: not in compiler output */
}

static bool is_probestack(const cs_insn *in, const struct elf_image *img)
{
	const cs_x86 *x = &in->detail->x86;
	uint64_t start = 0;
	const char *name;

	if (!img || x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return false;
	name = elf_image__symbol_at(img, (uint64_t)x->operands[0].imm, &start);
	return name && start == (uint64_t)x->operands[0].imm && !strcmp(name, "__rust_probestack");
}

/* SSE moves whose operand sizes are those of their mnemonic (not the string movsd). */
static bool sse_mov(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	int num, i;

	switch (in->id) {
	case X86_INS_MOVUPS:
	case X86_INS_MOVAPS:
	case X86_INS_MOVUPD:
	case X86_INS_MOVAPD:
	case X86_INS_MOVDQU:
	case X86_INS_MOVDQA:
	case X86_INS_MOVSD:
	case X86_INS_MOVSS:
	case X86_INS_MOVQ:
	case X86_INS_MOVD:
		break;
	default:
		return false;
	}
	if (x->op_count != 2)
		return false;
	for (i = 0; i < 2; i++)
		if (x->operands[i].type == X86_OP_REG && xmm_of(x->operands[i].reg, &num))
			return true;
	return false;
}

void symexec__step(struct sym_state *st, csh h, const cs_insn *in, const struct elf_image *img,
		   struct sym_effect *eff)
{
	const cs_x86 *x = &in->detail->x86;

	memset(eff, 0, sizeof(*eff));
	if (cs_insn_group(h, in, CS_GRP_JUMP) || cs_insn_group(h, in, CS_GRP_RET) ||
	    cs_insn_group(h, in, CS_GRP_INT) || cs_insn_group(h, in, CS_GRP_IRET) ||
	    in->id == X86_INS_SYSCALL || in->id == X86_INS_UD2 || in->id == X86_INS_HLT) {
		eff->ends_prefix = eff->stop = true;
		return;
	}
	if (cs_insn_group(h, in, CS_GRP_CALL)) {
		eff->ends_prefix = true;
		/* __rust_probestack touches the new stack pages and clobbers r11 only */
		if (is_probestack(in, img))
			st->gpr[11] = sym_none;
		else
			eff->stop = true;
		return;
	}
	switch (in->id) {
	case X86_INS_PUSH:
	case X86_INS_POP:
		push_pop(st, in, eff);
		return;
	case X86_INS_MOV:
	case X86_INS_MOVABS:
		if (x->op_count == 2)
			mov(st, x, eff, false);
		return;
	case X86_INS_MOVZX:
		if (x->op_count == 2)
			mov(st, x, eff, true);
		return;
	case X86_INS_LEA:
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    x->operands[0].size == 8 && x->operands[1].mem.base == X86_REG_RIP &&
		    x->operands[1].mem.index == X86_REG_INVALID)
			write_reg(st, x->operands[0].reg,
				  sym_mk(SYM_LINK, 0, 8,
				     (int64_t)(in->address + in->size) + x->operands[1].mem.disp),
				  eff);
		else if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
			 x->operands[0].size == 8)
			write_reg(st, x->operands[0].reg, addr_of(st, &x->operands[1]), eff);
		else
			clobber(st, h, in, eff);
		return;
	case X86_INS_ADD:
	case X86_INS_SUB:
	case X86_INS_XOR:
	case X86_INS_AND:
	case X86_INS_SHR:
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG)
			arith(st, in, eff);
		else
			clobber(st, h, in, eff);
		return;
	case X86_INS_CMP:
	case X86_INS_TEST:
	case X86_INS_NOP:
	case X86_INS_ENDBR64:
		return; /* flags only */
	}
	if (sse_mov(in)) {
		/* a scalar load into xmm zeroes the rest: the loaded bytes are what is known */
		mov(st, x, eff, false);
		return;
	}
	switch (in->id) {
	case X86_INS_STOSB:
	case X86_INS_STOSW:
	case X86_INS_STOSD:
	case X86_INS_STOSQ:
	case X86_INS_MOVSB:
	case X86_INS_MOVSW:
	case X86_INS_MOVSD: /* the string move: the SSE one was handled above */
	case X86_INS_MOVSQ:
		/* writes at rdi, repeated rcx times: anywhere as far as we know */
		eff->wrote_outside = true;
		st->outside_written = true;
		st->nst = 0;
		break;
	}
	clobber(st, h, in, eff);
}

bool symexec__stack_probe(struct sym_state *st, const cs_insn *const loop[4])
{
	const cs_x86 *sub = &loop[0]->detail->x86, *mov = &loop[1]->detail->x86;
	const cs_x86 *cmp = &loop[2]->detail->x86, *jne = &loop[3]->detail->x86;
	x86_reg bound;
	int num, size;
	int64_t page;

	if (loop[0]->id != X86_INS_SUB || sub->op_count != 2 || sub->operands[0].type != X86_OP_REG ||
	    sub->operands[0].reg != X86_REG_RSP || sub->operands[1].type != X86_OP_IMM ||
	    (page = sub->operands[1].imm) <= 0)
		return false;
	if (loop[1]->id != X86_INS_MOV || mov->op_count != 2 || mov->operands[0].type != X86_OP_MEM ||
	    mov->operands[0].mem.base != X86_REG_RSP || mov->operands[0].mem.index != X86_REG_INVALID ||
	    mov->operands[0].mem.disp != 0 || mov->operands[1].type != X86_OP_IMM)
		return false;
	if (loop[2]->id != X86_INS_CMP || cmp->op_count != 2 || cmp->operands[0].type != X86_OP_REG ||
	    cmp->operands[1].type != X86_OP_REG)
		return false;
	bound = cmp->operands[0].reg == X86_REG_RSP ? cmp->operands[1].reg : cmp->operands[0].reg;
	if ((cmp->operands[0].reg != X86_REG_RSP && cmp->operands[1].reg != X86_REG_RSP) ||
	    !x86reg__gpr(bound, &num, &size) || size != 8)
		return false;
	if (loop[3]->id != X86_INS_JNE || jne->op_count != 1 || jne->operands[0].type != X86_OP_IMM ||
	    (uint64_t)jne->operands[0].imm != loop[0]->address)
		return false;
	/* one iteration ran: rsp steps down by pages until it reaches the bound */
	if ((st->gpr[RSP].kind != SYM_ADDR && st->gpr[RSP].kind != SYM_RADDR) ||
	    st->gpr[num].kind != st->gpr[RSP].kind ||
	    st->gpr[num].size != 8 || st->gpr[num].off > st->gpr[RSP].off ||
	    (st->gpr[RSP].off - st->gpr[num].off) % page)
		return false;
	st->gpr[RSP].off = st->gpr[num].off;
	return true;
}
