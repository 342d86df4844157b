// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include "fn_scan.h"

#define MAX_FN_BYTES (64 * 1024)
#define NREGS 16
#define NV 4 /* values a register may hold before it is "any" */
#define TOP 0xff
#define MAX_TABLE 512 /* jump table entries read */

/* A register's possible values: RIP-relative addresses or immediates (tagged), or any (TOP). */
struct vset {
	uint8_t n;
	uint64_t v[NV];
	bool imm[NV];
};

struct rstate {
	bool reached;
	struct vset r[NREGS];
};

struct block {
	size_t start, end; /* instructions [start, end) */
	int *preds, npreds, cappreds;
	struct rstate in, out;
};

struct scan {
	const struct elf_image *img;
	const struct rfunc *f;
	csh h;
	cs_insn *insn;
	size_t n;
	int *block_of; /* per instruction */
	struct block *b;
	int nb;
	/* per register: the one address the function ever loads into it, ~0 several (function
	 * pointers) */
	uint64_t def[NREGS];
};

static int reg_index(x86_reg r)
{
	static const x86_reg groups[NREGS][5] = {
	    {X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH},
	    {X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH},
	    {X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH},
	    {X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH},
	    {X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL, X86_REG_SIL},
	    {X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL, X86_REG_DIL},
	    {X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL, X86_REG_BPL},
	    {X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL, X86_REG_SPL},
	    {X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B, X86_REG_R8B},
	    {X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B, X86_REG_R9B},
	    {X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B, X86_REG_R10B},
	    {X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B, X86_REG_R11B},
	    {X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B, X86_REG_R12B},
	    {X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B, X86_REG_R13B},
	    {X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B, X86_REG_R14B},
	    {X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B, X86_REG_R15B},
	};
	int i, k;

	for (i = 0; i < NREGS; i++)
		for (k = 0; k < 5; k++)
			if (groups[i][k] == r)
				return i;
	return -1;
}

enum { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP, R_R8, R_R9, R_R10, R_R11 };

static void vset_one(struct vset *s, uint64_t v, bool imm)
{
	s->n = 1;
	s->v[0] = v;
	s->imm[0] = imm;
}

/* Adds b's values to a; true if a changed. */
static bool vset_join(struct vset *a, const struct vset *b)
{
	int i, k;
	bool changed = false;

	if (a->n == TOP)
		return false;
	if (b->n == TOP) {
		a->n = TOP;
		return true;
	}
	for (i = 0; i < b->n; i++) {
		for (k = 0; k < a->n; k++)
			if (a->v[k] == b->v[i] && a->imm[k] == b->imm[i])
				break;
		if (k < a->n)
			continue;
		changed = true;
		if (a->n == NV) {
			a->n = TOP;
			return true;
		}
		a->v[a->n] = b->v[i];
		a->imm[a->n++] = b->imm[i];
	}
	return changed;
}

/* `lea X(%rip), reg` or `mov X(%rip), reg` of a GOT slot (the pointer stored there). */
static bool rip_load(const struct scan *s, const cs_insn *in, int *dst, uint64_t *addr)
{
	const cs_x86 *x = &in->detail->x86;
	uint64_t a, target;
	const char *name;

	if ((in->id != X86_INS_LEA && in->id != X86_INS_MOV) || x->op_count != 2 ||
	    x->operands[0].type != X86_OP_REG || x->operands[1].type != X86_OP_MEM ||
	    x->operands[1].mem.base != X86_REG_RIP || x->operands[1].mem.index != X86_REG_INVALID)
		return false;
	a = in->address + in->size + x->operands[1].mem.disp;
	*dst = reg_index(x->operands[0].reg);
	if (in->id == X86_INS_LEA) {
		*addr = a;
		return *dst >= 0;
	}
	if (x->operands[0].size != 8 || elf_image__reloc_at(s->img, a, &target, &name) || !target)
		return false;
	*addr = target;
	return *dst >= 0;
}

static int written(const struct scan *s, cs_insn *in, int *out)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0, i;
	int n = 0;

	if (cs_regs_access(s->h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return -1;
	for (i = 0; i < nwr; i++) {
		int r = reg_index(wr[i]);

		if (r >= 0)
			out[n++] = r;
	}
	return n;
}

static void transfer(const struct scan *s, cs_insn *in, struct rstate *st)
{
	static const int clobbered[] = {R_RAX, R_RCX, R_RDX, R_RSI, R_RDI,
					R_R8,  R_R9,  R_R10, R_R11};
	cs_x86 *x = &in->detail->x86;
	int w[64], nw, j, d, sreg;
	uint64_t a;
	size_t k;

	if (rip_load(s, in, &d, &a)) {
		vset_one(&st->r[d], a, false);
		return;
	}
	if (in->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[1].type == X86_OP_REG && x->operands[0].size == 8 &&
	    (d = reg_index(x->operands[0].reg)) >= 0 &&
	    (sreg = reg_index(x->operands[1].reg)) >= 0) {
		st->r[d] = st->r[sreg];
		return;
	}
	/* `mov $n, %edx`: a str's length (zero-extended into rdx) */
	if (in->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[1].type == X86_OP_IMM && x->operands[0].size >= 4 &&
	    x->operands[1].imm >= 0 && (d = reg_index(x->operands[0].reg)) >= 0) {
		vset_one(&st->r[d], (uint64_t)x->operands[1].imm, true);
		return;
	}
	nw = written(s, in, w);
	for (j = 0; j < nw; j++)
		st->r[w[j]].n = TOP;
	if (nw < 0 || in->id == X86_INS_CALL)
		for (k = 0; k < sizeof(clobbered) / sizeof(clobbered[0]); k++)
			st->r[clobbered[k]].n = TOP;
}

/* A register's one address (or, in a register the function only ever loads one into, that one). */
static uint64_t addr_in(const struct scan *s, const struct rstate *st, int r)
{
	if (st->r[r].n == 1 && !st->r[r].imm[0])
		return st->r[r].v[0];
	return s->def[r] != ~0ull ? s->def[r] : 0;
}

static int64_t imm_in(const struct rstate *st, int r)
{
	return st->r[r].n == 1 && st->r[r].imm[0] ? (int64_t)st->r[r].v[0] : -1;
}

/*
 * A `jmp *%reg` of a match's jump table (PIC: lea table(%rip); movslq
 * (table,idx,4); add table; jmp): the table's first entry leads back into the
 * function. Its address, 0 if not such a jump (a call through a vtable).
 */
static uint64_t jump_table(const struct scan *s, size_t i)
{
	size_t k;

	for (k = i; k-- > 0 && i - k <= 8;) {
		cs_x86 *x = &s->insn[k].detail->x86;
		uint64_t table;
		int32_t rel;

		if (s->insn[k].id != X86_INS_LEA || x->op_count != 2 ||
		    x->operands[1].type != X86_OP_MEM || x->operands[1].mem.base != X86_REG_RIP)
			continue;
		table = s->insn[k].address + s->insn[k].size + x->operands[1].mem.disp;
		if (elf_image__read(s->img, table, &rel, sizeof(rel)))
			continue;
		if (table + rel >= s->f->low_pc && table + rel < s->f->high_pc)
			return table;
	}
	return 0;
}

static bool in_fn(const struct scan *s, uint64_t a)
{
	return a >= s->f->low_pc && a < s->f->high_pc;
}

static size_t insn_at(const struct scan *s, uint64_t a)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->insn[mid].address < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->insn[lo].address == a ? lo : s->n;
}

/* Calls f(s, i, target_insn) for each in-function successor of the branch at i (jump tables too).
 */
static void branch_targets(const struct scan *s, size_t i,
			   void (*fn)(struct scan *, size_t, size_t), struct scan *m)
{
	cs_insn *in = &s->insn[i];
	cs_x86 *x = &in->detail->x86;
	uint64_t table;
	int32_t rel;
	size_t k, t;

	if (!cs_insn_group(s->h, in, CS_GRP_JUMP) || x->op_count != 1)
		return;
	if (x->operands[0].type == X86_OP_IMM) {
		t = insn_at(s, (uint64_t)x->operands[0].imm);
		if (t < s->n)
			fn(m, i, t);
		return;
	}
	if (x->operands[0].type != X86_OP_REG || !(table = jump_table(s, i)))
		return;
	for (k = 0; k < MAX_TABLE && !elf_image__read(s->img, table + 4 * k, &rel, 4); k++) {
		if (!in_fn(s, table + rel) || (t = insn_at(s, table + rel)) == s->n)
			break;
		fn(m, i, t);
	}
}

static bool ends_block(const struct scan *s, size_t i)
{
	cs_insn *in = &s->insn[i];

	return cs_insn_group(s->h, in, CS_GRP_JUMP) || cs_insn_group(s->h, in, CS_GRP_RET) ||
	       in->id == X86_INS_UD2 || in->id == X86_INS_INT3;
}

static bool falls_through(const struct scan *s, size_t i)
{
	cs_insn *in = &s->insn[i];

	return !(in->id == X86_INS_JMP || cs_insn_group(s->h, in, CS_GRP_RET) ||
		 in->id == X86_INS_UD2);
}

static void mark_leader(struct scan *s, size_t from, size_t t)
{
	(void)from;
	s->block_of[t] = 1;
}

static void add_pred(struct scan *s, size_t from, size_t t)
{
	struct block *b = &s->b[s->block_of[t]];
	int *np;

	if (b->start != t)
		return; /* not a leader: cannot happen, leaders were marked first */
	if (b->npreds == b->cappreds) {
		np = realloc(b->preds, sizeof(*np) * (b->cappreds ? b->cappreds * 2 : 4));
		if (!np)
			return;
		b->preds = np;
		b->cappreds = b->cappreds ? b->cappreds * 2 : 4;
	}
	b->preds[b->npreds++] = s->block_of[from];
}

/* Basic blocks, their predecessors, and the one-address registers. */
static int build_blocks(struct scan *s)
{
	uint8_t *leader = calloc(s->n, 1);
	int w[64], nw, j, d;
	size_t i;
	uint64_t a;

	s->block_of = calloc(s->n, sizeof(*s->block_of));
	if (!leader || !s->block_of) {
		free(leader);
		return -ENOMEM;
	}
	s->block_of[0] = 0;
	leader[0] = 1;
	for (i = 0; i < s->n; i++) {
		if (ends_block(s, i) && i + 1 < s->n)
			leader[i + 1] = 1;
		/* mark_leader writes block_of[t] = 1 as a flag; copied into leader[] below */
		branch_targets(s, i, mark_leader, s);
	}
	for (i = 0; i < s->n; i++)
		if (s->block_of[i])
			leader[i] = 1;
	s->b = calloc(s->n, sizeof(*s->b));
	if (!s->b) {
		free(leader);
		return -ENOMEM;
	}
	for (i = 0; i < s->n; i++) {
		if (leader[i]) {
			if (s->nb)
				s->b[s->nb - 1].end = i;
			s->b[s->nb++].start = i;
		}
		s->block_of[i] = s->nb - 1;
	}
	s->b[s->nb - 1].end = s->n;
	free(leader);
	for (j = 0; j < s->nb; j++) {
		size_t last = s->b[j].end - 1;

		if ((!ends_block(s, last) || falls_through(s, last)) && last + 1 < s->n)
			add_pred(s, last, last + 1);
		branch_targets(s, last, add_pred, s);
	}
	for (j = 0; j < NREGS; j++)
		s->def[j] = 0;
	for (i = 0; i < s->n; i++) {
		if (s->insn[i].id == X86_INS_POP)
			continue; /* restores the caller's value */
		if (rip_load(s, &s->insn[i], &d, &a)) {
			s->def[d] = !s->def[d] || s->def[d] == a ? a : ~0ull;
			continue;
		}
		nw = written(s, &s->insn[i], w);
		for (j = 0; j < nw; j++)
			if (w[j] != R_RSP)
				s->def[w[j]] = ~0ull;
	}
	return 0;
}

static bool state_join(struct rstate *a, const struct rstate *b)
{
	bool changed = !a->reached;
	int r;

	if (!a->reached) {
		*a = *b;
		return true;
	}
	for (r = 0; r < NREGS; r++)
		changed |= vset_join(&a->r[r], &b->r[r]);
	return changed;
}

static void out_of(const struct scan *s, const struct block *b, struct rstate *st)
{
	size_t i;

	*st = b->in;
	for (i = b->start; i < b->end; i++)
		transfer(s, &s->insn[i], st);
}

/* Forward dataflow to a fixpoint (sets are bounded, so it ends). */
static void solve(struct scan *s)
{
	struct rstate top = {.reached = true};
	bool changed = true;
	int j, k, r, pass;

	for (r = 0; r < NREGS; r++)
		top.r[r].n = TOP;
	for (j = 0; j < s->nb; j++)
		if (j == 0 || !s->b[j].npreds)
			s->b[j].in = top; /* the entry, or reached in ways not followed */
	for (pass = 0; changed && pass < 64; pass++) {
		changed = false;
		for (j = 0; j < s->nb; j++) {
			struct block *b = &s->b[j];

			if (!b->in.reached)
				continue;
			out_of(s, b, &b->out);
			b->out.reached = true;
		}
		for (j = 0; j < s->nb; j++)
			for (k = 0; k < s->b[j].npreds; k++)
				if (s->b[s->b[j].preds[k]].out.reached)
					changed |=
					    state_join(&s->b[j].in, &s->b[s->b[j].preds[k]].out);
	}
	if (changed) /* did not settle: know nothing */
		for (j = 0; j < s->nb; j++)
			s->b[j].in = top;
}

static void args_of(const struct rstate *st, const struct scan *s, struct fs_args *a)
{
	a->rsi = addr_in(s, st, R_RSI);
	a->rdx = addr_in(s, st, R_RDX);
	a->rcx = addr_in(s, st, R_RCX);
	a->r8 = addr_in(s, st, R_R8);
	a->rdx_imm = imm_in(st, R_RDX);
}

static bool single(const struct rstate *st, int r)
{
	return st->r[r].n == 1;
}

/* The symbol a call/jmp leads to: direct, through a GOT slot, or through a register holding one. */
static const char *target_of(const struct scan *s, cs_insn *in, const struct rstate *st,
			     bool *local)
{
	cs_x86 *x = &in->detail->x86;
	uint64_t target = 0, start = 0;
	const char *name = NULL;
	int r;

	*local = false;
	if (x->op_count != 1)
		return NULL;
	if (x->operands[0].type == X86_OP_IMM) {
		target = (uint64_t)x->operands[0].imm;
		if (in_fn(s, target)) {
			*local = true;
			return NULL;
		}
	} else if (x->operands[0].type == X86_OP_MEM && x->operands[0].mem.base == X86_REG_RIP &&
		   x->operands[0].mem.index == X86_REG_INVALID) {
		uint64_t slot = in->address + in->size + x->operands[0].mem.disp;

		if (elf_image__reloc_at(s->img, slot, &target, &name))
			return NULL;
		if (!target)
			return name;
	} else if (x->operands[0].type == X86_OP_REG && (r = reg_index(x->operands[0].reg)) >= 0) {
		target = addr_in(s, st, r);
		if (!target)
			return NULL;
	} else {
		return NULL;
	}
	name = elf_image__symbol_at(s->img, target, &start);
	return name && start == target ? name : NULL;
}

/* One call or tail jump at instruction i of block b, state st just before it. */
static void report_exit(struct scan *s, const struct block *b, size_t i, const struct rstate *st,
			void (*exit)(void *, const struct fs_exit *), void *ctx)
{
	struct fs_exit e = {.addr = s->insn[i].address, .is_call = s->insn[i].id == X86_INS_CALL};
	bool local;
	int k;

	e.sym = target_of(s, &s->insn[i], st, &local);
	if (local)
		return;
	if (!e.is_call && !e.sym && s->insn[i].detail->x86.op_count == 1 &&
	    s->insn[i].detail->x86.operands[0].type == X86_OP_REG && jump_table(s, i))
		return;
	if (!e.is_call && !e.sym && s->insn[i].detail->x86.operands[0].type == X86_OP_IMM)
		return; /* a jump to an address without symbol: not a call of anything we know */
	if ((single(st, R_RSI) && single(st, R_RDX) && single(st, R_R8)) || b->npreds < 2) {
		e.npaths = 1;
		args_of(st, s, &e.paths[0]);
	} else if (b->npreds <= FS_MAX_PATHS) {
		/* joined branches: the arguments along each incoming one */
		for (k = 0; k < b->npreds; k++) {
			struct rstate p = s->b[b->preds[k]].out;
			size_t j;

			for (j = b->start; j < i; j++)
				transfer(s, &s->insn[j], &p);
			args_of(&p, s, &e.paths[e.npaths++]);
		}
	}
	exit(ctx, &e);
}

int fn_scan__run(const struct elf_image *img, const struct rfunc *f,
		 void (*exit)(void *ctx, const struct fs_exit *e),
		 void (*lea)(void *ctx, uint64_t addr), void *ctx)
{
	struct scan s = {.img = img, .f = f};
	size_t len = f->high_pc - f->low_pc, i;
	uint8_t *code = NULL;
	int err = -ENOMEM, j;

	if (!len || len > MAX_FN_BYTES)
		return -ERANGE;
	code = malloc(len);
	if (!code || elf_image__read(img, f->low_pc, code, len)) {
		free(code);
		return code ? -EIO : -ENOMEM;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &s.h) != CS_ERR_OK) {
		free(code);
		return -EIO;
	}
	cs_option(s.h, CS_OPT_DETAIL, CS_OPT_ON);
	s.n = cs_disasm(s.h, code, len, f->low_pc, 0, &s.insn);
	if (s.n && !(err = build_blocks(&s))) {
		solve(&s);
		for (j = 0; j < s.nb; j++) {
			struct rstate st = s.b[j].in;

			for (i = s.b[j].start; i < s.b[j].end; i++) {
				cs_insn *in = &s.insn[i];
				cs_x86 *x = &in->detail->x86;

				if (in->id == X86_INS_LEA && x->op_count == 2 &&
				    x->operands[1].type == X86_OP_MEM &&
				    x->operands[1].mem.base == X86_REG_RIP)
					lea(ctx, in->address + in->size + x->operands[1].mem.disp);
				if (in->id == X86_INS_CALL || cs_insn_group(s.h, in, CS_GRP_JUMP))
					report_exit(&s, &s.b[j], i, &st, exit, ctx);
				transfer(&s, in, &st);
			}
		}
	}
	for (j = 0; j < s.nb; j++)
		free(s.b[j].preds);
	free(s.b);
	free(s.block_of);
	if (s.n)
		cs_free(s.insn, s.n);
	cs_close(&s.h);
	free(code);
	return s.n ? err : -EIO;
}
