// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include "fcode.h"
#include "x86reg.h"
#include "grow.h"

/* Instructions remembered behind the current one (jump table and SSE reload patterns). */
#define RING 16
/* Entries read from one jump table at most. */
#define TABLE_MAX 4096

struct prev {
	uint64_t addr;
	unsigned int id;
	cs_x86 x;
	cs_insn in; /* with detail pointing at det: for cs_regs_access */
	cs_detail det;
};

struct scan {
	const struct elf_image *img;
	struct dwarf_index *idx;
	struct fcode *c;
	int captargets, capexits;
	struct prev ring[RING];
	int nring; /* instructions seen so far (ring index = n % RING) */
};

static const struct prev *back(const struct scan *s, int k)
{
	return k < s->nring && k < RING ? &s->ring[(s->nring - 1 - k) % RING] : NULL;
}

static int add_target(struct scan *s, uint64_t t)
{
	uint64_t *n;

	if (t < s->c->lo || t >= s->c->hi)
		return 0;
	n = grow_array(s->c->targets, &s->captargets, s->c->ntargets + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->c->targets = n;
	n[s->c->ntargets++] = t;
	return 0;
}

static int add_exit(struct scan *s, const struct fexit *e)
{
	struct fexit *n = grow_array(s->c->exits, &s->capexits, s->c->nexits + 1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	s->c->exits = n;
	n[s->c->nexits++] = *e;
	return 0;
}

enum table { NOT_TABLE, TABLE_UNREAD, TABLE_READ };

/*
 * `jmp *%reg` of a switch: LLVM's PIC jump table is `lea TABLE(%rip), %rX;
 * movslq (%rX,%rI,4), %rY; add %rX, %rY; jmp *%rY`, entries relative to
 * TABLE, or at opt-level 0 `add %rY, %rX; jmp *%rX`. The table has no
 * length in the code, so entries are read until one leads outside the
 * function: extra ones are harmless (more targets only shrink where an entry
 * probe may go), none is missed. The lea may have been hoisted out of a
 * loop: then the table is known to be one, not where it is.
 */
static int jump_table(struct scan *s, x86_reg jreg, enum table *found)
{
	const struct prev *add = back(s, 0);
	uint64_t table = 0;
	x86_reg base = X86_REG_INVALID, other = X86_REG_INVALID;
	int k, i, err;

	*found = NOT_TABLE;
	if (add && add->id == X86_INS_ADD && add->x.op_count == 2 &&
	    add->x.operands[0].type == X86_OP_REG && add->x.operands[1].type == X86_OP_REG &&
	    x86reg__full(add->x.operands[0].reg) == jreg)
		other = x86reg__full(add->x.operands[1].reg);
	for (k = 0; k < 8; k++) {
		const struct prev *p = back(s, k);
		x86_reg dst;

		if (!p)
			break;
		if (base == X86_REG_INVALID && p->id == X86_INS_MOVSXD && p->x.op_count == 2 &&
		    p->x.operands[0].type == X86_OP_REG && p->x.operands[1].type == X86_OP_MEM &&
		    p->x.operands[1].mem.scale == 4 &&
		    ((dst = x86reg__full(p->x.operands[0].reg)) == jreg ||
		     (dst == other && p->x.operands[1].mem.base == jreg))) {
			base = p->x.operands[1].mem.base;
			*found = TABLE_UNREAD;
		} else if (base != X86_REG_INVALID && p->id == X86_INS_LEA && p->x.op_count == 2 &&
			   p->x.operands[0].type == X86_OP_REG && p->x.operands[0].reg == base &&
			   p->x.operands[1].type == X86_OP_MEM &&
			   p->x.operands[1].mem.base == X86_REG_RIP) {
			/* lea's rip is the address of the next instruction */
			const struct prev *next = back(s, k - 1);

			table = next->addr + p->x.operands[1].mem.disp;
			break;
		}
	}
	if (!table)
		return 0;
	for (i = 0; i < TABLE_MAX; i++) {
		int32_t rel;
		uint64_t t;

		if (elf_image__read(s->img, table + 4 * (uint64_t)i, &rel, sizeof(rel)))
			break;
		t = table + (int64_t)rel;
		if (t < s->c->lo || t >= s->c->hi)
			break;
		err = add_target(s, t);
		if (err)
			return err;
		*found = TABLE_READ;
	}
	return 0;
}

/*
 * A jmp through a register that is no jump table, with the frame popped
 * (CFA = rsp + 8: the return address on top): LLVM's indirect tail call.
 */
static bool frame_popped(const struct scan *s, uint64_t pc)
{
	int reg;
	int64_t off;

	return s->idx && dwarf_index__cfa(s->idx, pc, &reg, &off) == 0 && reg == 7 && off == 8;
}

static bool epilogue_insn(const struct prev *p)
{
	const cs_x86 *x = &p->x;

	if (p->id == X86_INS_POP && x->op_count == 1 && x->operands[0].type == X86_OP_REG &&
	    x->operands[0].reg != X86_REG_RSP)
		return true;
	return (p->id == X86_INS_ADD || p->id == X86_INS_LEA) && x->op_count == 2 &&
	       x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_RSP &&
	       (x->operands[1].type == X86_OP_IMM ||
		(x->operands[1].type == X86_OP_MEM && x->operands[1].mem.base == X86_REG_RSP &&
		 x->operands[1].mem.index == X86_REG_INVALID));
}

/* Before ret: epilogue instructions, and before them reloads of xmm0/xmm1 from rsp slots. */
static bool sse_reloads(const struct scan *s, struct sse_reload *o)
{
	int k = 0;

	memset(o, 0, sizeof(*o));
	while (back(s, k) && epilogue_insn(back(s, k)))
		k++;
	for (;; k++) {
		const struct prev *p = back(s, k);
		const cs_x86 *x;
		int r;

		if (!p)
			break;
		x = &p->x;
		if ((p->id != X86_INS_MOVSS && p->id != X86_INS_MOVSD && p->id != X86_INS_MOVQ) ||
		    x->op_count != 2 || x->operands[0].type != X86_OP_REG ||
		    x->operands[1].type != X86_OP_MEM || x->operands[1].mem.base != X86_REG_RSP ||
		    x->operands[1].mem.index != X86_REG_INVALID)
			break;
		if (x->operands[0].reg == X86_REG_XMM0)
			r = 0;
		else if (x->operands[0].reg == X86_REG_XMM1)
			r = 1;
		else
			break;
		if (o->have[r])
			break;
		o->have[r] = true;
		o->disp[r] = x->operands[1].mem.disp;
		o->pc = p->addr;
	}
	return o->have[0];
}

/* x86 condition code of a jcc, from its opcode (0x7X rel8, 0x0F 0x8X rel32). */
static int jcc_cond(const cs_insn *in)
{
	const uint8_t *b = in->bytes;
	size_t i = 0;

	while (i < in->size && (b[i] == 0x2e || b[i] == 0x3e || b[i] == 0x66 || b[i] == 0xf2 ||
				b[i] == 0xf3))
		i++; /* branch hints and bnd prefixes */
	if (i < in->size && b[i] >= 0x70 && b[i] <= 0x7f)
		return b[i] & 0xf;
	if (i + 1 < in->size && b[i] == 0x0f && b[i + 1] >= 0x80 && b[i + 1] <= 0x8f)
		return b[i + 1] & 0xf;
	return -2;
}

static int branch(struct scan *s, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *op = &x->operands[0];
	struct fexit e = { .pc = in->address, .kind = FEXIT_TAIL, .cond = -1 };
	enum table table;
	int err;

	if (x->op_count != 1)
		return 0;
	if (op->type == X86_OP_IMM) {
		uint64_t t = (uint64_t)op->imm;

		if (t >= s->c->lo && t < s->c->hi)
			return add_target(s, t);
		e.target = t;
		if (in->id != X86_INS_JMP) {
			e.cond = jcc_cond(in);
			if (e.cond < 0) {
				/* jrcxz/loop to another function: not seen in compiler output */
				s->c->opaque_jumps = true;
				return 0;
			}
		}
		return add_exit(s, &e);
	}
	if (in->id != X86_INS_JMP)
		return 0;
	/* jmp *GOT(%rip) (another object) and jmp *off(%reg) (a vtable slot) leave */
	if (op->type == X86_OP_MEM && op->mem.index == X86_REG_INVALID)
		return add_exit(s, &e);
	if (op->type == X86_OP_REG) {
		err = jump_table(s, x86reg__full(op->reg), &table);
		if (err || table == TABLE_READ)
			return err;
		if (table == NOT_TABLE && frame_popped(s, in->address))
			return add_exit(s, &e);
	}
	/* a table not read, a non-PIC table (jmp *table(,%reg,8)): where it goes is unknown */
	s->c->opaque_jumps = true;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * An SSE reload counts only if no branch lands between it and its ret
 * (another path would bypass it).
 */
static void check_reloads(struct fcode *c)
{
	int i, k;

	for (i = 0; i < c->nexits; i++) {
		struct fexit *e = &c->exits[i];

		if (!e->has_sse)
			continue;
		if (c->opaque_jumps)
			e->has_sse = false;
		for (k = 0; k < c->ntargets && e->has_sse; k++)
			if (c->targets[k] > e->sse.pc && c->targets[k] <= e->pc)
				e->has_sse = false;
	}
}

static int scan_insns(struct scan *s, csh h, const uint8_t *code, size_t len)
{
	const uint8_t *p = code;
	uint64_t addr = s->c->lo;
	cs_insn *in = cs_malloc(h);
	int err = 0;

	if (!in)
		return -ENOMEM;
	while (!err && cs_disasm_iter(h, &p, &len, &addr, in)) {
		struct prev *slot;

		if (in->id == X86_INS_RET) {
			struct fexit e = { .pc = in->address, .kind = FEXIT_RET, .cond = -1 };

			e.has_sse = sse_reloads(s, &e.sse);
			err = add_exit(s, &e);
		} else if (cs_insn_group(h, in, CS_GRP_JUMP)) {
			err = branch(s, in);
		}
		slot = &s->ring[s->nring % RING];
		slot->addr = in->address;
		slot->id = in->id;
		slot->x = in->detail->x86;
		slot->in = *in;
		slot->det = *in->detail;
		slot->in.detail = &slot->det;
		s->nring++;
	}
	cs_free(in, 1);
	return err;
}

int fcode__scan(const struct elf_image *img, struct dwarf_index *idx, uint64_t lo, uint64_t hi,
		struct fcode *out)
{
	struct scan s = { .img = img, .idx = idx, .c = out };
	uint8_t *code = NULL;
	csh h = 0;
	int err, i, n;

	memset(out, 0, sizeof(*out));
	out->lo = lo;
	out->hi = hi;
	if (hi <= lo)
		return -ERANGE;
	code = malloc(hi - lo);
	if (!code)
		return -ENOMEM;
	err = elf_image__read(img, lo, code, hi - lo);
	if (err)
		goto cleanup;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		err = -ENOSYS;
		goto cleanup;
	}
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	err = scan_insns(&s, h, code, hi - lo);
	cs_close(&h);
	if (err)
		goto cleanup;
	qsort(out->targets, out->ntargets, sizeof(*out->targets), cmp_u64);
	for (i = n = 0; i < out->ntargets; i++)
		if (!n || out->targets[n - 1] != out->targets[i])
			out->targets[n++] = out->targets[i];
	out->ntargets = n;
	check_reloads(out);
cleanup:
	free(code);
	if (err)
		fcode__free(out);
	return err;
}

bool fcode__is_target(const struct fcode *c, uint64_t pc)
{
	return c->ntargets && bsearch(&pc, c->targets, c->ntargets, sizeof(pc), cmp_u64);
}

void fcode__free(struct fcode *c)
{
	free(c->targets);
	free(c->exits);
	c->targets = NULL;
	c->exits = NULL;
	c->ntargets = c->nexits = 0;
}

bool fcode__emulated(const uint8_t *b, size_t len)
{
	size_t i = 0;

	if (len && b[0] >= 0x40 && b[0] <= 0x4f)
		i = 1; /* REX: push %r8..%r15 */
	if (i >= len)
		return false;
	if (b[i] >= 0x50 && b[i] <= 0x57)
		return true;
	if (i)
		return false;
	if (b[0] == 0xe8 || b[0] == 0xe9 || b[0] == 0xeb || b[0] == 0x90 ||
	    (b[0] >= 0x70 && b[0] <= 0x7f))
		return true;
	return len > 1 && b[0] == 0x0f && ((b[1] >= 0x80 && b[1] <= 0x8f) || b[1] == 0x1f);
}
