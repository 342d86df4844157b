// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include <dwarf.h>
#include "plan.h"
#include "abi.h"
#include "debug_impl.h"
#include "plan_follow.h"

#define RAX 0
#define RDX 1
#define RSP 7

/*
 * Stack slots the SSE return registers are reloaded from right before a ret
 * (opt-level 0 code: `movss 0x34(%rsp),%xmm0; add $0x108,%rsp; ret`). The
 * exit probe then goes on the first reload, where the slots are still inside
 * the frame: below rsp at the ret, a signal could overwrite them.
 */
struct sse_ret {
	uint64_t pc;
	int64_t disp[2]; /* xmm0, xmm1: rsp-relative at pc */
	bool have[2];
};

struct builder {
	struct step_builder sb;
	const struct sse_ret *sse;
	struct rfunc *f;
	int cfa_reg;
	int64_t cfa_off;
	bool cfa_ok;
};


static const struct rloc *loc_at(const struct rparam *p, uint64_t pc)
{
	int i;

	for (i = 0; i < p->nlocs; i++)
		if (pc >= p->locs[i].lo && pc < p->locs[i].hi)
			return &p->locs[i];
	return NULL;
}

static int reg_of_atom(const struct rop *op, int *reg)
{
	if (op->atom >= DW_OP_reg0 && op->atom <= DW_OP_reg31)
		*reg = op->atom - DW_OP_reg0;
	else if (op->atom == DW_OP_regx)
		*reg = (int)op->op1;
	else
		return -1;
	return *reg <= 16 ? 0 : -1;
}

/* Memory operand: DW_OP_fbreg / DW_OP_bregN / DW_OP_bregx -> register + offset. */
static int mem_of_atom(struct builder *b, const struct rop *op, int *reg, int64_t *off)
{
	if (op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg31) {
		*reg = op->atom - DW_OP_breg0;
		*off = (int64_t)op->op1;
	} else if (op->atom == DW_OP_bregx) {
		*reg = (int)op->op1;
		*off = (int64_t)op->op2;
	} else if (op->atom == DW_OP_fbreg) {
		if (b->f->frame_base_reg >= 0) {
			*reg = b->f->frame_base_reg;
			*off = (int64_t)op->op1;
		} else if (b->f->frame_base_reg == -1 && b->cfa_ok) {
			*reg = b->cfa_reg;
			*off = b->cfa_off + (int64_t)op->op1;
		} else {
			return -1;
		}
	} else {
		return -1;
	}
	return *reg <= 16 ? 0 : -1;
}

/*
 * Turns the location of v at pc into root steps. Pieces (DW_OP_piece) are
 * appended into one blob so the value is contiguous, as in memory.
 */
static int root_steps(struct builder *b, struct plan_value *v, const struct rloc *loc, uint64_t pc)
{
	uint64_t size = v->type->size, done = 0;
	int i = 0, first = -1;
	bool gap = false;

	if (!loc || loc->nops == 0) {
		v->error = "optimized out at the probe point";
		return -1;
	}
	while (i < loc->nops) {
		const struct rop *op = &loc->ops[i];
		struct rst_step st = { .flags = first >= 0 ? RST_STEP_APPEND : 0 };
		uint64_t psize;
		int reg, j = i, s;
		int64_t off;
		bool is_piece;

		/* one simple location: ops up to the next DW_OP_piece */
		while (j < loc->nops && loc->ops[j].atom != DW_OP_piece)
			j++;
		is_piece = j < loc->nops;
		psize = is_piece ? loc->ops[j].op1 : size - done;
		if (j - i == 0) {
			/* empty piece: the bytes are not available */
			if (gap && v->unknown_hi != done) {
				v->error = "value split with several unavailable pieces";
				return -1;
			}
			if (!gap)
				v->unknown_lo = done;
			gap = true;
			v->unknown_hi = done + psize;
			st.op = RST_OP_MEM;
			st.reg = RSP;
			st.max_len = psize;
		} else if (j - i == 1 && reg_of_atom(op, &reg) == 0) {
			if (psize > 8) {
				v->error = "value wider than its register location";
				return -1;
			}
			st.op = RST_OP_REG;
			st.reg = reg;
			st.max_len = psize;
		} else if (j - i == 1 && mem_of_atom(b, op, &reg, &off) == 0) {
			st.op = RST_OP_MEM;
			st.reg = reg;
			st.off = off;
			st.max_len = psize;
		} else if (j - i == 2 && (op->atom == DW_OP_entry_value || op->atom == DW_OP_GNU_entry_value) &&
			   loc->ops[i + 1].atom == DW_OP_stack_value) {
			/* At the function's first instruction the entry value is the register itself. */
			struct rop sub = { .atom = op->sub_atom, .op1 = op->sub_op1 };

			if (pc != b->f->low_pc || reg_of_atom(&sub, &reg) || psize > 8) {
				v->error = "entry value of a register no longer known at the probe point";
				return -1;
			}
			st.op = RST_OP_REG;
			st.reg = reg;
			st.max_len = psize;
		} else if (j - i == 2 && op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg16 &&
			   loc->ops[i + 1].atom == DW_OP_stack_value && psize <= 8) {
			/* the value is an address computed from a register, e.g. &local */
			st.op = RST_OP_REG;
			st.reg = op->atom - DW_OP_breg0;
			st.off = (int64_t)op->op1;
			st.max_len = psize;
		} else if (!is_piece && first < 0 && j - i == 2 && loc->ops[i + 1].atom == DW_OP_deref &&
			   mem_of_atom(b, op, &reg, &off) == 0) {
			/* a spilled pointer to the value: read the pointer, then the value */
			struct rst_step ps = { .op = RST_OP_MEM, .reg = reg, .off = off, .max_len = 8 };
			int p = steps__add(&b->sb, &ps, NULL);

			if (p < 0)
				return -1;
			s = steps__deref(&b->sb, p, 0, -1, 1, size, v->type);
			if (s < 0)
				return -1;
			v->root = s;
			return 0;
		} else {
			v->error = "location expression not supported";
			return -1;
		}
		if (st.max_len > RST_READ_MAX) {
			v->error = "value larger than one read";
			return -1;
		}
		s = steps__add(&b->sb, &st, NULL);
		if (s < 0) {
			v->error = "capture plan full";
			return -1;
		}
		if (first < 0)
			first = s;
		done += psize;
		i = is_piece ? j + 1 : j;
	}
	if (done < size) {
		if (gap) {
			v->error = "value split with several unavailable pieces";
			return -1;
		}
		v->unknown_lo = done;
		v->unknown_hi = size;
	}
	v->root = first;
	return 0;
}


static int reg_step(struct builder *b, int reg, uint64_t len, bool append)
{
	struct rst_step st = { .op = RST_OP_REG, .reg = reg, .max_len = len,
			       .flags = append ? RST_STEP_APPEND : 0 };

	return steps__add(&b->sb, &st, NULL);
}

/*
 * Where the Rust ABI leaves a returned value (x86-64), from the type's
 * representation: nothing for a ZST; a scalar in rax (128-bit integers in
 * rax:rdx); a scalar pair in rax and rdx; an aggregate in memory of at most 8
 * bytes as its image in rax (rustc casts it to an integer), a larger one
 * through the hidden sret pointer, which the callee returns in rax. Floats go
 * to SSE registers, which BPF cannot read.
 */
static int ret_steps(struct builder *b, struct plan_value *v)
{
	struct rtype *t = v->type;
	struct abi a;
	int root = -1;

	if (!t->sized) {
		v->error = "return type has no known size";
		return -1;
	}
	a = abi__of(t);
	if (a.kind == ABI_UNKNOWN && t->size > 16)
		a.kind = ABI_MEMORY; /* too big for registers whatever its representation */
	if (a.kind == ABI_SCALAR && a.prim[0] == PRIM_FLOAT && b->sse && b->sse->have[0] &&
	    !b->sse->have[1]) {
		struct rst_step st = { .op = RST_OP_MEM, .reg = RSP, .off = b->sse->disp[0],
				       .max_len = t->size };

		root = steps__add(&b->sb, &st, NULL);
		goto done;
	}
	if (a.kind == ABI_PAIR && a.prim[0] == PRIM_FLOAT && a.prim[1] == PRIM_FLOAT && b->sse &&
	    b->sse->have[0] && b->sse->have[1]) {
		struct rst_step st = { .op = RST_OP_MEM, .reg = RSP, .off = b->sse->disp[0],
				       .max_len = a.off[1] };

		root = steps__add(&b->sb, &st, NULL);
		st.off = b->sse->disp[1];
		st.max_len = t->size - a.off[1];
		st.flags = RST_STEP_APPEND;
		if (root >= 0 && steps__add(&b->sb, &st, NULL) < 0)
			root = -1;
		if (a.off[1] > a.size[0]) {
			v->unknown_lo = a.size[0];
			v->unknown_hi = a.off[1];
		}
		goto done;
	}
	switch (a.kind) {
	case ABI_SCALAR:
		if (a.prim[0] == PRIM_FLOAT) {
			v->error = "returned in SSE registers, which BPF cannot read";
			return -1;
		}
		root = reg_step(b, RAX, t->size > 8 ? 8 : t->size, false);
		if (root >= 0 && t->size > 8 && reg_step(b, RDX, t->size - 8, true) < 0)
			root = -1;
		break;
	case ABI_PAIR:
		if (a.prim[0] == PRIM_FLOAT || a.prim[1] == PRIM_FLOAT) {
			v->error = "returned in SSE registers, which BPF cannot read";
			return -1;
		}
		/* the second scalar comes in rdx, not in rax's upper bytes */
		root = reg_step(b, RAX, a.off[1], false);
		if (root >= 0 && reg_step(b, RDX, t->size - a.off[1], true) < 0)
			root = -1;
		if (a.off[1] > a.size[0]) {
			v->unknown_lo = a.size[0];
			v->unknown_hi = a.off[1];
		}
		break;
	case ABI_MEMORY:
		if (t->size <= 8) {
			if (abi__has_float(t, 0)) {
				v->error = "return registers of this layout not derived";
				return -1;
			}
			root = reg_step(b, RAX, t->size, false);
			break;
		}
		if (t->size > RST_READ_MAX) {
			v->error = "returned value larger than one read";
			return -1;
		}
		{
			struct rst_step st = { .op = RST_OP_MEM, .reg = RAX, .max_len = t->size };

			root = steps__add(&b->sb, &st, NULL);
		}
		break;
	default:
		v->error = "return registers of this layout not derived";
		return -1;
	}
done:
	if (root < 0) {
		v->error = "capture plan full";
		return -1;
	}
	v->root = root;
	steps__follow(&b->sb, t, root, 0, 0);
	return 0;
}

static int site_cfa(struct dwarf_index *idx, struct builder *b, uint64_t pc)
{
	int reg;
	int64_t off;

	b->cfa_ok = dwarf_index__cfa(idx, pc, &reg, &off) == 0 && reg >= 0 && reg <= 16;
	b->sb.site->bpf.cfa_reg = b->cfa_ok ? reg : 0xff;
	b->sb.site->bpf.cfa_off = b->cfa_ok ? off : 0;
	b->cfa_reg = reg;
	b->cfa_off = off;
	return 0;
}

static struct plan_site *new_site(struct plan_func *pf, uint64_t pc, enum rst_site kind)
{
	struct plan_site *s = realloc(pf->sites, sizeof(*s) * (pf->nsites + 1));

	if (!s)
		return NULL;
	pf->sites = s;
	s = &s[pf->nsites++];
	memset(s, 0, sizeof(*s));
	s->pc = pc;
	s->bpf.func_id = pf->func->id;
	s->bpf.site = kind;
	s->ip_step = -1;
	return s;
}

static int located_at(const struct rfunc *f, uint64_t pc)
{
	int i, n = 0;

	for (i = 0; i < f->nparams; i++) {
		const struct rparam *p = &f->params[i];

		if (!p->type || (p->type->sized && p->type->size == 0))
			continue;
		/* a single expression (stack slot) holds only once the prologue stored it */
		if (p->is_list ? loc_at(p, pc) != NULL : (p->nlocs && pc >= f->body_pc))
			n++;
	}
	return n;
}

/*
 * The entry probe's pc: the one in [low_pc, body_pc] where most parameters
 * have a location, earliest on ties. Location lists are exact per pc, and no
 * code of the function body has run before body_pc, so every location there
 * still holds the entry value. Candidates are low_pc, body_pc and the starts
 * of location list ranges in between (rustc at opt-level 0 describes a
 * by-reference argument from the instruction after `sub rsp`).
 */
static uint64_t entry_pc(const struct rfunc *f)
{
	uint64_t best = f->low_pc;
	int i, j, n, most = located_at(f, f->low_pc);

	n = located_at(f, f->body_pc);
	if (n > most) {
		best = f->body_pc;
		most = n;
	}
	for (i = 0; i < f->nparams; i++) {
		const struct rparam *p = &f->params[i];

		for (j = 0; p->is_list && j < p->nlocs; j++) {
			uint64_t pc = p->locs[j].lo;

			if (pc <= f->low_pc || pc > f->body_pc)
				continue;
			n = located_at(f, pc);
			if (n > most || (n == most && pc < best)) {
				best = pc;
				most = n;
			}
		}
	}
	return best;
}

static int build_entry(struct dwarf_index *idx, struct plan_func *pf, const struct plan_limits *lim,
		       bool (*redact)(const char *, void *), void *rctx)
{
	struct rfunc *f = pf->func;
	struct builder b = { .sb = { .idx = idx, .lim = lim }, .f = f };
	struct plan_site *site = new_site(pf, entry_pc(f), RST_SITE_ENTRY);
	int i;

	if (!site)
		return -ENOMEM;
	b.sb.site = site;
	site->max_array = lim->max_array;
	site_cfa(idx, &b, site->pc);
	site->values = calloc(f->nparams ? f->nparams : 1, sizeof(*site->values));
	if (!site->values)
		return -ENOMEM;
	site->nvalues = f->nparams;
	for (i = 0; i < f->nparams; i++) {
		struct plan_value *v = &site->values[i];
		const struct rparam *p = &f->params[i];

		v->name = p->name ? p->name : "_";
		v->type = p->type;
		v->root = -1;
		if (redact && redact(v->name, rctx)) {
			v->redacted = true;
			continue;
		}
		if (!v->type || !v->type->sized) {
			v->error = "type not described in DWARF";
			continue;
		}
		if (v->type->size == 0)
			continue; /* ZST: nothing to read, decoder prints it from the type */
		if (root_steps(&b, v, loc_at(p, site->pc), site->pc) == 0)
			steps__follow(&b.sb, v->type, v->root, 0, 0);
	}
	return 0;
}

static int build_exit(struct dwarf_index *idx, struct plan_func *pf, uint64_t pc, enum rst_site kind,
		      const struct plan_limits *lim, const struct sse_ret *sse)
{
	struct builder b = { .sb = { .idx = idx, .lim = lim }, .f = pf->func, .sse = sse };
	struct plan_site *site = new_site(pf, pc, kind);
	struct plan_value *v;

	if (!site)
		return -ENOMEM;
	b.sb.site = site;
	site->max_array = lim->max_array;
	site_cfa(idx, &b, pc);
	v = site->values = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	site->nvalues = 1;
	v->name = "return";
	v->type = pf->func->ret;
	v->root = -1;
	if (kind == RST_SITE_TAIL)
		v->error = "returned through a tail call";
	else if (v->type && v->type->size)
		ret_steps(&b, v);
	return 0;
}

static bool writes_reg(csh h, cs_insn *in, x86_reg want)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0, i;

	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return false;
	for (i = 0; i < nwr; i++) {
		x86_reg r = wr[i];

		if (want == X86_REG_RAX && (r == X86_REG_RAX || r == X86_REG_EAX || r == X86_REG_AX || r == X86_REG_AL))
			return true;
		if (want == X86_REG_RDX && (r == X86_REG_RDX || r == X86_REG_EDX || r == X86_REG_DX || r == X86_REG_DL))
			return true;
	}
	return false;
}

/*
 * rustc at opt-level >= 1 may drop a return value nobody uses (LLVM's dead
 * argument elimination) while DWARF still declares it: the register then holds
 * garbage. Trust a register at a ret only if straight-line code before the ret
 * writes it, not a call and with no branch landing in between.
 */
static bool reg_set_before(csh h, cs_insn *insn, size_t ret, const uint64_t *targets, size_t ntargets,
			   x86_reg reg)
{
	size_t i = ret, k;

	while (i-- > 0) {
		if (insn[i].id == X86_INS_CALL)
			return false;
		if (writes_reg(h, &insn[i], reg))
			return true;
		for (k = 0; k < ntargets; k++)
			if (targets[k] == insn[i].address)
				return false;
		if (insn[i].id == X86_INS_RET || insn[i].id == X86_INS_JMP)
			return false;
	}
	return false;
}

static bool epilogue_insn(cs_insn *in)
{
	cs_x86 *x = &in->detail->x86;

	if (in->id == X86_INS_POP && x->op_count == 1 && x->operands[0].type == X86_OP_REG &&
	    x->operands[0].reg != X86_REG_RSP)
		return true;
	return (in->id == X86_INS_ADD || in->id == X86_INS_LEA) && x->op_count == 2 &&
	       x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_RSP &&
	       (x->operands[1].type == X86_OP_IMM ||
		(x->operands[1].type == X86_OP_MEM && x->operands[1].mem.base == X86_REG_RSP &&
		 x->operands[1].mem.index == X86_REG_INVALID));
}

/*
 * Before ret: only epilogue instructions (pop, add/lea rsp), and before them
 * the reloads of xmm0/xmm1 from rsp-based slots; no branch lands in between,
 * so every return through this ret passes the first reload.
 */
static bool sse_reloads(cs_insn *insn, size_t ret, const uint64_t *targets, size_t ntargets,
			struct sse_ret *o)
{
	size_t j = ret, k;

	memset(o, 0, sizeof(*o));
	while (j > 0 && epilogue_insn(&insn[j - 1]))
		j--;
	while (j > 0) {
		cs_insn *in = &insn[j - 1];
		cs_x86 *x = &in->detail->x86;
		int r;

		if ((in->id != X86_INS_MOVSS && in->id != X86_INS_MOVSD && in->id != X86_INS_MOVQ) ||
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
		j--;
	}
	if (!o->have[0] || j == ret)
		return false;
	o->pc = insn[j].address;
	for (k = 0; k < ntargets; k++)
		if (targets[k] > o->pc && targets[k] <= insn[ret].address)
			return false;
	return true;
}

/* ret instructions and jmps leaving the function (tail calls). */
static int exit_sites(struct dwarf_index *idx, const struct elf_image *img, struct plan_func *pf,
		      const struct plan_limits *lim, char *why, size_t whylen)
{
	struct rfunc *f = pf->func;
	size_t len = f->high_pc - f->low_pc, n, i;
	uint8_t *code = malloc(len);
	cs_insn *insn = NULL;
	uint64_t *targets = NULL;
	size_t ntargets = 0;
	bool indirect = false;
	csh h;
	int err = 0;

	if (!code)
		return -ENOMEM;
	if (elf_image__read(img, f->low_pc, code, len)) {
		snprintf(why, whylen, "code of %s not in the file", f->name);
		free(code);
		return -ERANGE;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		free(code);
		snprintf(why, whylen, "capstone unavailable");
		return -ENOSYS;
	}
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(h, code, len, f->low_pc, 0, &insn);
	targets = calloc(n ? n : 1, sizeof(*targets));
	if (!targets)
		err = -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		cs_x86 *x = &insn[i].detail->x86;

		if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM &&
		    cs_insn_group(h, &insn[i], CS_GRP_JUMP))
			targets[ntargets++] = (uint64_t)x->operands[0].imm;
		else if (x->op_count == 1 && insn[i].id == X86_INS_JMP)
			indirect = true; /* jump tables: targets unknown */
	}
	for (i = 0; i < n && !err; i++) {
		cs_x86 *x = &insn[i].detail->x86;

		if (insn[i].id == X86_INS_RET) {
			struct sse_ret sse;
			bool use_sse = !indirect && sse_reloads(insn, i, targets, ntargets, &sse);

			err = build_exit(idx, pf, use_sse ? sse.pc : insn[i].address, RST_SITE_RET, lim,
					 use_sse ? &sse : NULL);
			if (!err) {
				struct plan_site *site = &pf->sites[pf->nsites - 1];
				bool rax = reg_set_before(h, insn, i, targets, ntargets, X86_REG_RAX);
				bool rdx = reg_set_before(h, insn, i, targets, ntargets, X86_REG_RDX);
				int k;

				for (k = 0; k < site->bpf.nsteps; k++) {
					const struct rst_step *st = &site->bpf.steps[k];

					if ((st->op != RST_OP_DEREF && st->reg == RAX && !rax) ||
					    (st->op == RST_OP_REG && st->reg == RDX && !rdx)) {
						site->values[0].root = -1;
						site->values[0].error = "return register not provably set at this ret (value may be optimized away)";
						site->bpf.nsteps = 0;
						break;
					}
				}
			}
		} else if (insn[i].id == X86_INS_JMP && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
			uint64_t t = (uint64_t)x->operands[0].imm;

			if (t < f->low_pc || t >= f->high_pc)
				err = build_exit(idx, pf, insn[i].address, RST_SITE_TAIL, lim, NULL);
		} else if (insn[i].id == X86_INS_JMP && x->op_count == 1 && x->operands[0].type == X86_OP_MEM &&
			   x->operands[0].mem.base == X86_REG_RIP && x->operands[0].mem.index == X86_REG_INVALID) {
			/* jmp *GOT(%rip): a tail call into another object; jump tables index a register */
			err = build_exit(idx, pf, insn[i].address, RST_SITE_TAIL, lim, NULL);
		}
	}
	free(targets);
	if (n)
		cs_free(insn, n);
	cs_close(&h);
	free(code);
	return err;
}

int plan__build(struct dwarf_index *idx, const struct elf_image *img, struct rfunc *f,
		const struct plan_limits *lim, bool (*redact)(const char *name, void *ctx),
		void *redact_ctx, struct plan_func *out, char *why, size_t whylen)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->func = f;
	err = dwarf_index__load(idx, f);
	if (err) {
		snprintf(why, whylen, "cannot read DWARF of %s", f->name);
		goto cleanup;
	}
	err = build_entry(idx, out, lim, redact, redact_ctx);
	if (err)
		goto cleanup;
	err = exit_sites(idx, img, out, lim, why, whylen);
	if (!err) {
		int i, j;

		/* the decoder prints user types only where their Debug is the derived one */
		for (i = 0; i < out->nsites; i++)
			for (j = 0; j < out->sites[i].nvalues; j++)
				debug_impl__check(idx, img, out->sites[i].values[j].type);
	}
cleanup:
	if (err)
		plan__free(out);
	return err;
}

void plan__free(struct plan_func *pf)
{
	int i;

	for (i = 0; i < pf->nsites; i++)
		free(pf->sites[i].values);
	free(pf->sites);
	pf->sites = NULL;
	pf->nsites = 0;
}
