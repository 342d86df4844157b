// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "callgraph.h"
#include "debug_impl.h"
#include "demangle.h"
#include "dwarf_types.h"
#include "fcode.h"
#include "plan.h"
#include "plan_follow.h"
#include "prologue.h"

#define RAX 0
#define RDX 1
#define RSP 7

struct builder {
	struct step_builder sb;
	const struct fexit *exit; /* the ret probed (NULL at an entry that is also the exit) */
	const struct sse_reload *sse;
	struct rfunc *f;
	struct callgraph *cg;
};

static int reg_step(struct builder *b, int reg, uint64_t len, bool append)
{
	struct rst_step st = { .op = RST_OP_REG, .reg = reg, .max_len = len,
			       .flags = append ? RST_STEP_APPEND : 0 };

	return steps__add(&b->sb, &st, NULL);
}

/*
 * Why the return registers may not hold the value, or NULL. LLVM may have
 * dropped it: IPSCCP when no caller reads it, DAE (DW_CC_nocall, which also
 * marks functions that only lost arguments). The registers at the ret are
 * then whatever the body left there, even a definition right before it (an
 * inline asm operand such as black_box's). Evidence that the value is there:
 * the function can be called from code LLVM did not see, or a caller reads
 * the registers (callgraph.h). An sret pointer stays while the ABI is intact.
 */
static const char *ret_missing(const struct builder *b, const struct abi *a, const struct rtype *t)
{
	if (a->kind == ABI_MEMORY && t->size > 8 && !b->f->nocall)
		return NULL;
	if (b->cg && callgraph__returns_value(b->cg, b->f->low_pc, callgraph__ret_regs(t),
					      !b->f->nocall))
		return NULL;
	return b->f->nocall ? "return value removed by the optimizer (DW_CC_nocall)"
			    : "no caller reads the return value: the optimizer may have dropped it";
}

/*
 * A float or pair of floats that opt-level 0 code reloads from its frame
 * right before the ret (fcode.h): read there, since BPF cannot read SSE
 * registers. -2: not such a value.
 */
static int sse_steps(struct builder *b, const struct abi *a, const struct rtype *t,
		     struct plan_value *v)
{
	const struct sse_reload *r = b->sse;
	struct rst_step st = { .op = RST_OP_MEM, .reg = RSP };
	int root;

	if (!r || !r->have[0] || a->prim[0] != PRIM_FLOAT)
		return -2;
	if (a->kind == ABI_SCALAR && !r->have[1]) {
		st.off = r->disp[0];
		st.max_len = t->size;
		return steps__add(&b->sb, &st, NULL);
	}
	if (a->kind != ABI_PAIR || a->prim[1] != PRIM_FLOAT || !r->have[1])
		return -2;
	st.off = r->disp[0];
	st.max_len = a->off[1];
	root = steps__add(&b->sb, &st, NULL);
	st.off = r->disp[1];
	st.max_len = t->size - a->off[1];
	st.flags = RST_STEP_APPEND;
	if (root >= 0 && steps__add(&b->sb, &st, NULL) < 0)
		return -1;
	if (a->off[1] > a->size[0]) {
		v->unknown_lo = a->size[0];
		v->unknown_hi = a->off[1];
	}
	return root;
}

/*
 * Where the Rust ABI leaves a returned value (x86-64), from the type's
 * representation: nothing for a ZST; a scalar in rax (128-bit integers in
 * rax:rdx); a scalar pair in rax and rdx; an aggregate in memory of at most 8
 * bytes as its image in rax (rustc casts it to an integer), a larger one
 * through the hidden sret pointer, which the callee returns in rax. Floats go
 * to SSE registers, which BPF cannot read.
 */
static int ret_root(struct builder *b, const struct abi *a, const struct rtype *t,
		    struct plan_value *v)
{
	struct rst_step mem = { .op = RST_OP_MEM, .reg = RAX, .max_len = t->size };
	int root;

	switch (a->kind) {
	case ABI_SCALAR:
		if (a->prim[0] == PRIM_FLOAT)
			break;
		root = reg_step(b, RAX, t->size > 8 ? 8 : t->size, false);
		if (root >= 0 && t->size > 8 && reg_step(b, RDX, t->size - 8, true) < 0)
			return -1;
		return root;
	case ABI_PAIR:
		if (a->prim[0] == PRIM_FLOAT || a->prim[1] == PRIM_FLOAT)
			break;
		/* the second scalar comes in rdx, not in rax's upper bytes */
		root = reg_step(b, RAX, a->off[1], false);
		if (root >= 0 && reg_step(b, RDX, t->size - a->off[1], true) < 0)
			return -1;
		if (a->off[1] > a->size[0]) {
			v->unknown_lo = a->size[0];
			v->unknown_hi = a->off[1];
		}
		return root;
	case ABI_MEMORY:
		/* rustc returns an aggregate of up to 8 bytes cast to an integer, floats or not */
		if (t->size <= 8)
			return reg_step(b, RAX, t->size, false);
		if (t->size > RST_READ_MAX) {
			v->error = "returned value larger than one read";
			return -2;
		}
		if (!b->exit) {
			v->error = "returned through memory by the function's first instruction";
			return -2;
		}
		/*
		 * rax as well: optimized code does not always leave the sret
		 * pointer there (frames.c keeps the value only if rax is the
		 * pointer the entry got in rdi)
		 */
		b->sb.site->rax_step = reg_step(b, RAX, 8, false);
		if (b->sb.site->rax_step < 0)
			return -1;
		b->sb.site->bpf.sret_at_ret = 1;
		return steps__add(&b->sb, &mem, NULL);
	default:
		v->error = "return registers of this layout not derived";
		return -2;
	}
	v->error = "returned in SSE registers, which BPF cannot read";
	return -2;
}

/* Where the Rust ABI returns t, ABI_MEMORY over 8 bytes meaning through a hidden pointer. */
static struct abi ret_abi(const struct rtype *t)
{
	struct abi a = abi__of(t);

	if (a.kind == ABI_UNKNOWN && t->size > 16 && !a.wide_pair)
		a.kind = ABI_MEMORY; /* too big for registers whatever its representation */
	return a;
}

static int ret_steps(struct builder *b, struct plan_value *v)
{
	struct rtype *t = v->type;
	struct abi a;
	int root;

	if (!t->sized) {
		v->error = "return type has no known size";
		return -1;
	}
	a = ret_abi(t);
	if (a.wide_pair) {
		v->error = "a pair with a 128-bit integer: its return registers not derived for "
			   "this rustc";
		return -1;
	}
	v->error = ret_missing(b, &a, t);
	if (v->error)
		return -1;
	root = sse_steps(b, &a, t, v);
	if (root == -2)
		root = ret_root(b, &a, t, v);
	if (root == -2)
		return -1;
	if (root < 0) {
		v->error = "capture plan full";
		return -1;
	}
	v->root = root;
	b->sb.redact_cut = false;
	steps__follow(&b->sb, t, root, 0, 0);
	v->redact_cut = b->sb.redact_cut;
	return 0;
}

static struct plan_site *new_site(struct plan_func *pf, uint64_t pc, enum rst_site kind,
				  int nvalues)
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
	s->bpf.cond = RST_COND_NONE;
	s->bpf.sret_reg = RST_NO_SRET;
	s->ip_step = -1;
	s->sret_step = s->rax_step = -1;
	s->values = calloc(nvalues ? nvalues : 1, sizeof(*s->values));
	return s->values ? s : NULL;
}

static void site_cfa(struct dwarf_index *idx, struct plan_site *site)
{
	int reg;
	int64_t off;
	bool ok = dwarf_index__cfa(idx, site->pc, &reg, &off) == 0 && reg >= 0 && reg <= 16;

	site->bpf.cfa_reg = ok ? reg : 0xff;
	site->bpf.cfa_off = ok ? off : 0;
}

/* The steps copying one piece of a parameter, appended to the value's blob. */
static int piece_steps(struct builder *b, const struct src_piece *p, bool append)
{
	struct rst_step st = { .max_len = p->len, .flags = append ? RST_STEP_APPEND : 0 };
	int ptr;

	switch (p->kind) {
	case SRC_REG:
	case SRC_CONST:
		st.op = RST_OP_REG;
		st.reg = p->kind == SRC_CONST ? RST_REG_NONE : p->reg;
		st.off = p->off;
		if (p->len > 8)
			return -1;
		break;
	case SRC_MEM:
		st.op = RST_OP_MEM;
		st.reg = p->reg;
		st.off = p->off;
		break;
	case SRC_GAP:
		/* any readable bytes keep the later pieces at their offsets; never decoded */
		st.op = RST_OP_MEM;
		st.reg = RSP;
		break;
	case SRC_DEREF:
		/* the pointer (a hidden step), then what it points to */
		st.op = p->ptr_mem ? RST_OP_MEM : RST_OP_REG;
		st.reg = p->reg;
		st.off = p->off;
		st.max_len = 8;
		ptr = steps__add(&b->sb, &st, NULL);
		if (ptr < 0)
			return -1;
		ptr = steps__deref(&b->sb, ptr, 0, -1, 1, p->len, NULL);
		if (ptr >= 0)
			b->sb.site->bpf.steps[ptr].off = p->add;
		return ptr;
	default:
		return -1;
	}
	if (st.max_len > RST_READ_MAX)
		return -1;
	return steps__add(&b->sb, &st, NULL);
}

/* A parameter's root: the steps that copy its bytes, whatever pointers they hold. */
static void param_root(struct builder *b, struct plan_value *v, const struct param_src *src)
{
	int i, s;

	v->unknown_lo = src->unknown_lo;
	v->unknown_hi = src->unknown_hi;
	if (src->error) {
		v->error = src->error;
		return;
	}
	for (i = 0; i < src->npieces; i++) {
		s = piece_steps(b, &src->piece[i], i > 0);
		if (s < 0) {
			v->error = src->piece[i].len > RST_READ_MAX ? "value larger than one read"
								     : "capture plan full";
			v->root = -1;
			return;
		}
		if (i == 0)
			v->root = s;
	}
}

/*
 * Pointers inside the parameters, with a fair share of the steps left after
 * every parameter's own bytes: one large argument (a &Regex, a map) never
 * starves the plain ones after it. Shares are filled smallest need first, so
 * what a small parameter does not use goes to the larger ones.
 */
static void follow_params(struct builder *b, struct plan_site *site)
{
	int need[RST_MAX_STEPS > 64 ? RST_MAX_STEPS : 64] = { 0 }, order[64], n = 0, i, j;
	int left = RST_MAX_STEPS - site->bpf.nsteps;

	for (i = 0; i < site->nvalues && n < 64; i++) {
		struct plan_value *v = &site->values[i];
		struct plan_site *dry;
		struct step_builder sb;

		if (v->root < 0 || !v->type)
			continue;
		/* a dry run on a copy says how many steps this value would take */
		dry = malloc(sizeof(*dry));
		if (!dry)
			return;
		*dry = *site;
		sb = b->sb;
		sb.site = dry;
		sb.limit = 0;
		steps__follow(&sb, v->type, v->root, 0, 0);
		need[i] = dry->bpf.nsteps - site->bpf.nsteps + (dry->steps_dropped ? 1 : 0);
		free(dry);
		order[n++] = i;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && need[order[j]] < need[order[j - 1]]; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		struct plan_value *v = &site->values[order[i]];
		int share = left / (n - i), before = site->bpf.nsteps;

		site->steps_dropped = false;
		b->sb.redact_cut = false;
		b->sb.limit = site->bpf.nsteps + share;
		steps__follow(&b->sb, v->type, v->root, 0, 0);
		v->budget_cut = site->steps_dropped;
		v->redact_cut = b->sb.redact_cut;
		left -= site->bpf.nsteps - before;
	}
	b->sb.limit = 0;
	site->steps_dropped = false;
	for (i = 0; i < site->nvalues; i++)
		site->steps_dropped |= site->values[i].budget_cut;
}

/*
 * A function's own name, as the redact globs see it: the last segment of
 * its path without generic arguments ("get_token" of
 * "app::Vault<u8>::get_token<u32>"); a closure's or an async body's
 * ("…::get_token::{closure#0}", "…::{async_fn#0}") is the enclosing
 * function's: hiding more is safe. A path too long for the buffer counts as
 * named like a pattern (its last segment is unknown).
 */
static bool fn_redacted(const struct plan_redact *r, const char *path)
{
	char buf[1024];
	const char *end, *seg, *p;
	size_t n;

	if (!r || !path)
		return false;
	demangle__strip_args(path, buf, sizeof(buf));
	end = buf + strlen(buf);
	if (end - buf >= (ptrdiff_t)sizeof(buf) - 1)
		return true;
	for (;;) {
		seg = buf;
		for (p = buf; p + 2 <= end; p++)
			if (p[0] == ':' && p[1] == ':')
				seg = p + 2;
		n = (size_t)(end - seg);
		if (seg[0] != '{' || seg == buf)
			break;
		end = seg - 2; /* the enclosing function's segment */
	}
	return r->text(r->ctx, seg, n, false);
}

/* The return value: not read at all when the function is named like a redact pattern. */
static void ret_value(struct builder *b, struct plan_value *v, bool tail)
{
	v->name = "return";
	v->root = -1;
	v->type = b->f->ret ? b->f->ret : dwarf_types__unit_return(b->sb.idx, b->f);
	if (fn_redacted(b->sb.site->redact, b->f->name)) {
		v->redacted = true;
		return;
	}
	if (tail) {
		v->error = "returned through a tail call";
		return;
	}
	if (v->type && v->type->size)
		ret_steps(b, v);
}

static int build_entry(const struct plan_ctx *c, struct plan_func *pf, const struct entry_point *ep)
{
	struct rfunc *f = pf->func;
	struct plan_site *site = new_site(pf, ep->pc, RST_SITE_ENTRY, f->nparams + 1);
	struct builder b = { .sb = { .idx = c->idx, .lim = c->lim }, .f = f, .cg = c->cg };
	int i;

	if (!site)
		return -ENOMEM;
	b.sb.site = site;
	site->redact = c->redact;
	site->max_array = c->lim->max_array;
	site_cfa(c->idx, site);
	site->nvalues = f->nparams;
	for (i = 0; i < f->nparams; i++) {
		struct plan_value *v = &site->values[i];

		v->name = f->params[i].name ? f->params[i].name : "_";
		v->type = f->params[i].type;
		v->root = -1;
		if (c->redact && c->redact->name(c->redact->ctx, v->name))
			v->redacted = true;
		else if (!v->type || !v->type->sized)
			v->error = "type not described in DWARF";
		else if (v->type->size) /* ZST: nothing to read, decoded from the type */
			param_root(&b, v, &ep->params[i]);
	}
	/* the pointer a memory return will be written through, to check rax against */
	if (f->ret && f->ret->sized && f->ret->size > 8 && ret_abi(f->ret).kind == ABI_MEMORY &&
	    ep->have_entry_rdi) {
		site->sret_step = piece_steps(&b, &ep->entry_rdi, false);
		/* BPF keeps it for the ret, where rax need not be it */
		if (ep->entry_rdi.kind == SRC_REG && !ep->entry_rdi.off && ep->entry_rdi.len == 8)
			site->bpf.sret_reg = ep->entry_rdi.reg;
	}
	follow_params(&b, site);
	site->exit_kind = ep->exit;
	if (ep->exit == FEXIT_TAIL || ep->exit == FEXIT_RET) {
		site->ret = &site->values[f->nparams];
		ret_value(&b, site->ret, ep->exit == FEXIT_TAIL);
	}
	return 0;
}

static int build_exit(const struct plan_ctx *c, struct plan_func *pf, const struct fexit *e)
{
	struct builder b = { .sb = { .idx = c->idx, .lim = c->lim }, .f = pf->func, .cg = c->cg };
	uint64_t pc = e->kind == FEXIT_RET && e->has_sse ? e->sse.pc : e->pc;
	struct plan_site *site = new_site(pf, pc, e->kind == FEXIT_RET ? RST_SITE_RET : RST_SITE_TAIL, 1);

	if (!site)
		return -ENOMEM;
	b.sb.site = site;
	b.sse = e->kind == FEXIT_RET && e->has_sse ? &e->sse : NULL;
	b.exit = e;
	site->redact = c->redact;
	site->max_array = c->lim->max_array;
	site_cfa(c->idx, site);
	site->nvalues = 1;
	site->ret = &site->values[0];
	if (e->kind == FEXIT_TAIL && e->cond >= 0)
		site->bpf.cond = (uint8_t)e->cond;
	if (e->kind == FEXIT_TAIL)
		site->tail_to = e->target;
	ret_value(&b, site->ret, e->kind == FEXIT_TAIL);
	return 0;
}

/*
 * Why the function's returns need probes on each ret, or NULL when one
 * uretprobe may see them: it replaces the return address, which a Rust
 * panic unwinding through the frame cannot get past (the process aborts).
 */
static const char *ret_mechanism(const struct plan_ctx *c, const struct rfunc *f,
				 const struct fcode *code, const struct entry_point *ep)
{
	int i;

	if (c->no_uretprobes)
		return "uretprobes not used";
	if (!c->cg)
		return "no call graph";
	if (ep->exit)
		return "its entry instruction is also its exit";
	for (i = 0; i < code->nexits; i++) {
		if (code->exits[i].kind != FEXIT_RET)
			return "leaves by tail calls (a uretprobe would see the callee's return)";
		if (code->exits[i].has_sse)
			return "float return reloaded from the stack before ret (read there)";
	}
	if (!code->nexits)
		return "no ret";
	if (code->opaque_jumps)
		return "an indirect jmp that may be a tail call";
	return callgraph__no_uretprobe(c->cg, f->low_pc, c->panic_abort);
}

int plan__build(const struct plan_ctx *c, struct rfunc *f, struct plan_func *out, char *why,
		size_t whylen)
{
	struct entry_point ep = { 0 };
	struct fcode code = { 0 };
	int err, i, j;

	memset(out, 0, sizeof(*out));
	out->func = f;
	err = dwarf_index__load(c->idx, f);
	if (err) {
		snprintf(why, whylen, "cannot read DWARF of %s", f->name);
		goto cleanup;
	}
	err = fcode__scan(c->img, c->idx, f->low_pc, f->high_pc, &code);
	if (err) {
		snprintf(why, whylen, "%s: code not readable in the file (%s)", f->name, strerror(-err));
		goto cleanup;
	}
	err = prologue__entry(c->idx, c->img, &code, f, &ep, why, whylen);
	if (err)
		goto cleanup;
	err = build_entry(c, out, &ep);
	for (i = 0; !err && ep.exit == FEXIT_TAIL && i < code.nexits; i++)
		if (code.exits[i].pc == ep.pc)
			out->sites[0].tail_to = code.exits[i].target;
	out->ret_why = ret_mechanism(c, f, &code, &ep);
	out->uretprobe = !out->ret_why;
	if (out->uretprobe && !err) {
		struct fexit ret = { .pc = f->low_pc, .kind = FEXIT_RET, .cond = -1 };

		err = build_exit(c, out, &ret);
		if (!err)
			out->sites[out->nsites - 1].retprobe = true;
	}
	for (i = 0; !err && !out->uretprobe && i < code.nexits; i++)
		if (code.exits[i].pc != ep.pc)
			err = build_exit(c, out, &code.exits[i]);
	/* the decoder prints user types only where their Debug is the derived one */
	for (i = 0; !err && i < out->nsites; i++) {
		for (j = 0; j < out->sites[i].nvalues; j++)
			debug_impl__check(c->idx, c->img, out->sites[i].values[j].type);
		if (out->sites[i].ret)
			debug_impl__check(c->idx, c->img, out->sites[i].ret->type);
	}
cleanup:
	prologue__free(&ep);
	fcode__free(&code);
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
