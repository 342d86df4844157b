// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include <dwarf.h>
#include "prologue.h"
#include "symexec.h"

/* Instructions of straight-line code executed symbolically from the first one. */
#define MAX_INSNS 512
/* Probe candidates compared (the first ones: later ones rarely see more values). */
#define MAX_CANDS 64

struct cand {
	uint64_t pc;
	bool emulated;
	enum fexit_kind exit;
	struct sym_state st; /* before the instruction at pc runs */
};

/* Bytes of a value described per byte (longer values: all bytes used, no 0/1 fields). */
#define MASK_BYTES 512

/* A parameter's bytes as symbolic values, found once for all candidates. */
struct param_syms {
	uint8_t need[MASK_BYTES]; /* the byte is part of some field (not padding) */
	uint8_t zero_one[MASK_BYTES]; /* a field of this many bytes starts here, valid values 0 and 1 */
	bool masked; /* need and zero_one describe the value */
	struct sym_piece piece[PARAM_PIECES];
	int npieces;
	const char *error;
	uint64_t unknown_lo, unknown_hi;
	bool done;
};

struct walk {
	const struct rfunc *f;
	const struct elf_image *img;
	const struct fcode *code;
	struct param_syms *ps;
	struct cand *cands;
	int ncands;
	bool prefix_open; /* still in the part where a probe may go */
	struct sym body_rsp; /* rsp at prologue_end (body_pc) */
	bool have_body_rsp;
};

static bool two_valued_tag(const struct rtype *t)
{
	int i;

	if (!t->discr.type || t->nvariants != 2)
		return false;
	for (i = 0; i < t->nvariants; i++)
		if (!t->variants[i].has_discr || t->variants[i].discr > 1)
			return false;
	return true;
}

/*
 * Which bytes of a value of type t (at base) its fields use, and where its
 * 0/1-valued fields (bools, tags of two-variant enums) start.
 */
static void type_masks(const struct rtype *t, uint64_t base, struct param_syms *ps, int depth)
{
	uint64_t end, i;
	int k;

	if (!t || !t->sized || depth > 16 || base >= MASK_BYTES)
		return;
	end = base + t->size > MASK_BYTES ? MASK_BYTES : base + t->size;
	if (t->kind == RK_BOOL) {
		ps->zero_one[base] = 1;
	} else if (t->kind == RK_ENUM) {
		if (t->discr.type && two_valued_tag(t) && base + t->discr.off < MASK_BYTES)
			ps->zero_one[base + t->discr.off] = (uint8_t)t->discr.type->size;
		if (t->discr.type)
			type_masks(t->discr.type, base + t->discr.off, ps, depth + 1);
		/* a fieldless variant's struct has the enum's size but no bytes of its own */
		for (k = 0; k < t->nvariants; k++)
			if (t->variants[k].type && t->variants[k].type->nfields)
				type_masks(t->variants[k].type, base, ps, depth + 1);
		return;
	} else if (t->kind == RK_ARRAY && t->target && t->target->sized && t->target->size) {
		for (i = 0; i < t->count && base + i * t->target->size < MASK_BYTES; i++)
			type_masks(t->target, base + i * t->target->size, ps, depth + 1);
		return;
	} else if (t->nfields && t->kind != RK_CENUM) {
		for (k = 0; k < t->nfields; k++)
			type_masks(t->fields[k].type, base + t->fields[k].off, ps, depth + 1);
		return;
	}
	for (i = base; i < end; i++)
		ps->need[i] = 1;
}

static const struct rloc *loc_at(const struct rparam *p, uint64_t pc)
{
	int i;

	for (i = 0; i < p->nlocs; i++)
		if (pc >= p->locs[i].lo && pc < p->locs[i].hi)
			return &p->locs[i];
	return NULL;
}

static bool wants_value(const struct rparam *p)
{
	return p->type && p->type->sized && p->type->size > 0;
}

/*
 * Where a parameter's location may be read: a location list at the first
 * instruction, or inside the prologue (up to prologue_end: no body code has
 * changed a variable yet). A single expression (an opt-level 0 stack slot)
 * describes the frame as the prologue leaves it: it is read from prologue_end
 * on, while rsp stays where the prologue put it, once all its bytes are
 * stored. Without a prologue end in the line table, frame slots cannot be
 * placed: only locations that name no frame address are read then.
 */
static void try_param(struct walk *w, int i, const struct sym_state *st, uint64_t pc)
{
	const struct rparam *p = &w->f->params[i];
	struct param_syms *ps = &w->ps[i];
	const struct rloc *loc;
	struct sym_loc r;

	if (ps->done || !wants_value(p))
		return;
	if (p->is_list && pc != w->f->low_pc && pc > w->f->body_pc)
		return;
	if (!p->is_list && (pc < w->f->body_pc || !w->have_body_rsp ||
			    memcmp(&st->gpr[7], &w->body_rsp, sizeof(w->body_rsp)) ||
			    (w->f->body_pc == w->f->low_pc && !symexec__frame_free(p->locs))))
		return;
	loc = loc_at(p, pc);
	if (!loc)
		return;
	if (symexec__eval(st, w->f, loc, p->type->size, ps->masked ? ps->need : NULL, &r))
		return; /* not (yet) known here */
	memcpy(ps->piece, r.piece, sizeof(r.piece[0]) * r.npieces);
	ps->npieces = r.npieces;
	ps->unknown_lo = r.unknown_lo;
	ps->unknown_hi = r.unknown_hi;
	ps->error = r.error;
	ps->done = !r.error || r.final;
}

/* List entries that name only entry values (DW_OP_entry_value) hold wherever they apply. */
static void try_entry_values(struct walk *w)
{
	int i, j;

	for (i = 0; i < w->f->nparams; i++) {
		const struct rparam *p = &w->f->params[i];
		struct param_syms *ps = &w->ps[i];
		struct sym_loc r;

		for (j = 0; !ps->done && wants_value(p) && j < p->nlocs; j++) {
			if (symexec__eval(NULL, w->f, &p->locs[j], p->type->size, NULL, &r) || r.error)
				continue;
			memcpy(ps->piece, r.piece, sizeof(r.piece[0]) * r.npieces);
			ps->npieces = r.npieces;
			ps->unknown_lo = r.unknown_lo;
			ps->unknown_hi = r.unknown_hi;
			ps->error = NULL;
			ps->done = true;
		}
	}
}

static void add_cand(struct walk *w, const cs_insn *in, const struct sym_state *st,
		     enum fexit_kind exit)
{
	struct cand *c;

	if (w->ncands >= MAX_CANDS)
		return;
	c = &w->cands[w->ncands++];
	c->pc = in->address;
	c->emulated = fcode__emulated(in->bytes, in->size);
	c->exit = exit;
	c->st = *st;
}

/*
 * Whether a probe may sit on this instruction (it has not run yet when the
 * probe fires), and whether the part where probes may go ends after it.
 */
static void candidate(struct walk *w, csh h, const cs_insn *in, const struct sym_state *st,
		      const struct sym_effect *eff)
{
	bool first = in->address == w->f->low_pc;
	bool is_jmp = in->id == X86_INS_JMP, is_ret = in->id == X86_INS_RET, cond_exit = false;
	enum fexit_kind exit = FEXIT_NONE;
	int i;

	if (!w->prefix_open)
		return;
	/* a branch landing here would run the probe again within one call */
	if (fcode__is_target(w->code, in->address)) {
		w->prefix_open = false;
		return;
	}
	for (i = 0; i < w->code->nexits; i++)
		if (w->code->exits[i].pc == in->address) {
			exit = w->code->exits[i].kind;
			cond_exit = w->code->exits[i].cond >= 0;
		}
	/*
	 * Never on a ret or a jmp, where an exit probe fires too, except as the
	 * function's only instruction run: then one probe is the entry and the
	 * exit. (Not a conditional tail call: whether it leaves is not known here.)
	 */
	if ((!is_ret && !is_jmp && exit == FEXIT_NONE) ||
	    (first && (is_ret || exit != FEXIT_NONE) && !cond_exit))
		add_cand(w, in, st, first ? exit : FEXIT_NONE);
	if (eff->ends_prefix || eff->wrote_outside || cs_insn_group(h, in, CS_GRP_JUMP) ||
	    cs_insn_group(h, in, CS_GRP_CALL) || is_ret)
		w->prefix_open = false;
}

/* The last instructions walked: LLVM's stack probe loop is four of them. */
struct recent {
	cs_insn in[4];
	cs_detail det[4];
	int n;
};

static void remember(struct recent *r, const cs_insn *in)
{
	int k = r->n++ % 4;

	r->in[k] = *in;
	r->det[k] = *in->detail;
	r->in[k].detail = &r->det[k];
}

/*
 * Frames over a page are probed page by page before use (LLVM's inline stack
 * probes): a loop that moves rsp down to a precomputed bound. Walking on past
 * it needs where it leaves rsp.
 */
static bool probe_loop(struct sym_state *st, const struct recent *r)
{
	const cs_insn *loop[4];
	int k;

	if (r->n < 4)
		return false;
	for (k = 0; k < 4; k++)
		loop[k] = &r->in[(r->n - 4 + k) % 4];
	return symexec__stack_probe(st, loop);
}

static int walk_code(struct walk *w, csh h, const uint8_t *code, size_t len)
{
	const uint8_t *p = code;
	uint64_t addr = w->f->low_pc;
	struct sym_state *st = malloc(2 * sizeof(*st)), *before;
	struct recent *recent = calloc(1, sizeof(*recent));
	cs_insn *in = cs_malloc(h);
	int n, i, err = 0;

	if (!in || !st || !recent) {
		err = -ENOMEM;
		goto cleanup;
	}
	before = st + 1;
	symexec__init(st);
	for (n = 0; n < MAX_INSNS && cs_disasm_iter(h, &p, &len, &addr, in); n++) {
		struct sym_effect eff;

		if (in->address == w->f->body_pc) {
			w->body_rsp = st->gpr[7];
			w->have_body_rsp = true;
		}
		for (i = 0; i < w->f->nparams; i++)
			try_param(w, i, st, in->address);
		*before = *st;
		symexec__step(st, h, in, w->img, &eff);
		candidate(w, h, in, before, &eff);
		remember(recent, in);
		if (eff.stop && !probe_loop(st, recent))
			break;
	}
cleanup:
	if (in)
		cs_free(in, 1);
	free(recent);
	free(st);
	return err;
}

/* One parameter at one candidate: its pieces as registers and memory there. */
static int map_param(const struct cand *c, const struct entry_point *ep, const struct rparam *p,
		     const struct param_syms *ps, struct param_src *out)
{
	uint64_t at;
	int i;

	memset(out, 0, sizeof(*out));
	out->unknown_lo = ps->unknown_lo;
	out->unknown_hi = ps->unknown_hi;
	if (!ps->done || ps->error) {
		out->error = ps->error ? ps->error : "optimized out at the function's entry";
		return -1;
	}
	for (i = 0, at = 0; i < ps->npieces; at += ps->piece[i++].len) {
		const char *why = NULL;

		if (at >= ps->unknown_lo && at < ps->unknown_hi)
			out->piece[i] = (struct src_piece){ .kind = SRC_GAP, .len = ps->piece[i].len };
		else
			why = symexec__locate(&c->st, &ps->piece[i],
					      ps->masked && at < MASK_BYTES &&
						      ps->zero_one[at] == ps->piece[i].len,
					      c->pc, ep->cfa_reg, ep->cfa_off, &out->piece[i]);
		if (why) {
			out->error = why;
			out->npieces = 0;
			return -1;
		}
	}
	out->npieces = ps->npieces;
	/* a pointed-to piece cannot be appended to register bytes (BPF copies it separately) */
	for (i = 0; i < out->npieces && out->npieces > 1; i++)
		if (out->piece[i].kind == SRC_DEREF) {
			out->error = "value assembled from pointed-to memory and registers";
			out->npieces = 0;
			return -1;
		}
	return 0;
}

static int score(struct dwarf_index *idx, const struct cand *c, const struct rfunc *f,
		 const struct param_syms *ps, struct entry_point *ep, bool fill)
{
	int i, n = 0, reg;
	int64_t off;

	ep->pc = c->pc;
	ep->exit = c->exit;
	ep->cfa_reg = -1;
	ep->cfa_off = 0;
	if (dwarf_index__cfa(idx, c->pc, &reg, &off) == 0 && reg >= 0 && reg <= 16) {
		ep->cfa_reg = reg;
		ep->cfa_off = off;
	}
	for (i = 0; i < f->nparams; i++) {
		struct param_src tmp, *o = fill ? &ep->params[i] : &tmp;

		if (!wants_value(&f->params[i])) {
			memset(o, 0, sizeof(*o));
			continue;
		}
		n += map_param(c, ep, &f->params[i], &ps[i], o) == 0;
	}
	return n;
}

/* Most parameters known; then an instruction the kernel emulates; then the earliest. */
static const struct cand *best(struct dwarf_index *idx, const struct walk *w, struct entry_point *ep)
{
	const struct cand *b = NULL;
	int i, bs = -1;

	for (i = 0; i < w->ncands; i++) {
		int s = score(idx, &w->cands[i], w->f, w->ps, ep, false);

		if (s > bs || (s == bs && w->cands[i].emulated && !b->emulated)) {
			b = &w->cands[i];
			bs = s;
		}
	}
	return b;
}

/* Where the entry value of rdi (DWARF register 5) is at the chosen probe. */
static void locate_entry_rdi(const struct cand *c, struct entry_point *ep)
{
	struct sym_piece rdi = { .s = { .kind = SYM_REG, .reg = 5, .size = 8 }, .len = 8 };

	ep->have_entry_rdi = !symexec__locate(&c->st, &rdi, false, c->pc, ep->cfa_reg, ep->cfa_off,
					      &ep->entry_rdi);
}

int prologue__entry(struct dwarf_index *idx, const struct elf_image *img, const struct fcode *code,
		    const struct rfunc *f, struct entry_point *out, char *why, size_t whylen)
{
	struct walk w = { .f = f, .img = img, .code = code, .prefix_open = true };
	size_t len = f->high_pc - f->low_pc;
	uint8_t *bytes = NULL;
	const struct cand *c;
	csh h = 0;
	int err, i;

	memset(out, 0, sizeof(*out));
	if (len > (size_t)MAX_INSNS * 15)
		len = (size_t)MAX_INSNS * 15;
	bytes = malloc(len);
	w.ps = calloc(f->nparams + 1, sizeof(*w.ps));
	w.cands = calloc(MAX_CANDS, sizeof(*w.cands));
	out->params = calloc(f->nparams + 1, sizeof(*out->params));
	err = -ENOMEM;
	if (!bytes || !w.ps || !w.cands || !out->params)
		goto cleanup;
	for (i = 0; i < f->nparams; i++) {
		const struct rtype *t = f->params[i].type;

		w.ps[i].masked = t && t->sized && t->size <= MASK_BYTES;
		if (w.ps[i].masked)
			type_masks(t, 0, &w.ps[i], 0);
	}
	err = elf_image__read(img, f->low_pc, bytes, len);
	if (err)
		goto cleanup;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		err = -ENOSYS;
		goto cleanup;
	}
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	err = walk_code(&w, h, bytes, len);
	cs_close(&h);
	if (err)
		goto cleanup;
	try_entry_values(&w);
	c = best(idx, &w, out);
	if (!c) {
		snprintf(why, whylen, "%s: its first instruction is a jump target (a loop head), so "
			 "no instruction runs once per call", f->name);
		err = -ENOENT;
		goto cleanup;
	}
	score(idx, c, f, w.ps, out, true);
	locate_entry_rdi(c, out);
cleanup:
	free(bytes);
	free(w.ps);
	free(w.cands);
	if (err)
		prologue__free(out);
	return err;
}

void prologue__free(struct entry_point *e)
{
	free(e->params);
	e->params = NULL;
}
