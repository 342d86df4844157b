// SPDX-License-Identifier: MIT
/*
 * The symbolic executor on hand-assembled prologues (bytes from `as`): where a
 * parameter's DWARF location leads back to at the function's first
 * instruction, and what makes a value unknown rather than wrong.
 */
#include <dwarf.h>
#include "unit.h"
#include "symexec.h"

static csh h;

/* Runs code (starting at address 0) through st; returns the effects OR-ed together. */
static struct sym_effect run(struct sym_state *st, const uint8_t *code, size_t len)
{
	struct sym_effect all = { 0 }, eff;
	const uint8_t *p = code;
	uint64_t addr = 0;
	cs_insn *in = cs_malloc(h);

	while (cs_disasm_iter(h, &p, &len, &addr, in)) {
		symexec__step(st, h, in, NULL, &eff);
		all.wrote_outside |= eff.wrote_outside;
		all.ends_prefix |= eff.ends_prefix;
		all.stop |= eff.stop;
	}
	cs_free(in, 1);
	return all;
}

static struct rloc loc1(struct rop *ops, int n)
{
	return (struct rloc){ 0, UINT64_MAX, ops, n };
}

static const struct rfunc rsp_frame = { .frame_base_reg = 7 };

/* sub $0x18,%rsp; mov %edi,0x10(%rsp): a u32 spilled by an opt-level 0 prologue. */
static void test_spill(void)
{
	static const uint8_t code[] = { 0x48, 0x83, 0xec, 0x18, 0x89, 0x7c, 0x24, 0x10 };
	struct rop ops[] = { { .atom = DW_OP_fbreg, .op1 = 0x10 } };
	struct rloc l = loc1(ops, 1);
	struct sym_state st, entry;
	struct sym_loc r;
	struct src_piece sp;

	symexec__init(&st);
	entry = st;
	run(&st, code, 4);
	CHECK(symexec__eval(&st, &rsp_frame, &l, 4, NULL, &r) == -1); /* not stored yet */
	run(&st, code + 4, sizeof(code) - 4);
	CHECK(symexec__eval(&st, &rsp_frame, &l, 4, NULL, &r) == 0 && !r.error);
	CHECK(r.npieces == 1 && r.piece[0].s.kind == SYM_REG && r.piece[0].s.reg == 5 &&
	      r.piece[0].len == 4);
	/* at the first instruction it is rdi itself */
	CHECK(symexec__locate(&entry, &r.piece[0], false, 0, 7, 8, &sp) == NULL);
	CHECK(sp.kind == SRC_REG && sp.reg == 5 && sp.len == 4 && sp.off == 0);
	/* after the spill, rsp-relative memory (CFA = rsp + 0x20) holds it as well */
	st.gpr[5].kind = SYM_NONE;
	CHECK(symexec__locate(&st, &r.piece[0], false, 0, 7, 0x20, &sp) == NULL);
	CHECK(sp.kind == SRC_MEM && sp.reg == 7 && sp.off == 0x10);
}

/* A &str in two slots, a register shuffled through a slot, a stack argument copied. */
static void test_pieces(void)
{
	static const uint8_t code[] = {
		0x48, 0x83, 0xec, 0x18, /* sub $0x18,%rsp */
		0x48, 0x89, 0x7c, 0x24, 0x10, /* mov %rdi,0x10(%rsp) */
		0x48, 0x89, 0x74, 0x24, 0x18, /* mov %rsi,0x18(%rsp): CFA - 8, the return address */
	};
	static const uint8_t shuffle[] = {
		0x48, 0x89, 0x54, 0x24, 0x40, /* mov %rdx,0x40(%rsp) */
		0x48, 0x8b, 0x74, 0x24, 0x40, /* mov 0x40(%rsp),%rsi */
		0x48, 0x8b, 0x8c, 0x24, 0xa8, 0, 0, 0, /* mov 0xa8(%rsp),%rcx */
		0x48, 0x89, 0x4c, 0x24, 0x50, /* mov %rcx,0x50(%rsp) */
	};
	static const uint8_t sub98[] = { 0x48, 0x81, 0xec, 0x98, 0, 0, 0 };
	struct rop ops[] = { { .atom = DW_OP_fbreg, .op1 = 0x10 } };
	struct rop ops2[] = { { .atom = DW_OP_fbreg, .op1 = 0x50 } };
	struct rloc l = loc1(ops, 1), l2 = loc1(ops2, 1);
	struct sym_state st;
	struct sym_effect eff;
	struct sym_loc r;

	symexec__init(&st);
	eff = run(&st, code, sizeof(code));
	/* the second store hit the return address: outside the new frame */
	CHECK(eff.wrote_outside);
	CHECK(symexec__eval(&st, &rsp_frame, &l, 16, NULL, &r) == -1);

	symexec__init(&st);
	run(&st, sub98, sizeof(sub98));
	run(&st, shuffle, sizeof(shuffle));
	CHECK(st.gpr[4].kind == SYM_REG && st.gpr[4].reg == 1); /* rsi = entry rdx */
	CHECK(symexec__eval(&st, &rsp_frame, &l2, 8, NULL, &r) == 0 && !r.error);
	/* 0xa8(%rsp) after sub $0x98 is CFA + 8: the first stack argument */
	CHECK(r.npieces == 1 && r.piece[0].s.kind == SYM_MEM && r.piece[0].s.off == 8);
}

/* mov %dil,%al; and $1,%al; mov %al,0xf(%rsp): how rustc spills a bool at opt-level 0. */
static void test_bool(void)
{
	static const uint8_t code[] = { 0x48, 0x83, 0xec, 0x18, 0x40, 0x88, 0xf8,
					0x24, 0x01, 0x88, 0x44, 0x24, 0x0f };
	struct rop ops[] = { { .atom = DW_OP_fbreg, .op1 = 0xf } };
	struct rloc l = loc1(ops, 1);
	struct sym_state st, entry;
	struct sym_loc r;
	struct src_piece sp;

	symexec__init(&st);
	entry = st;
	run(&st, code, sizeof(code));
	CHECK(symexec__eval(&st, &rsp_frame, &l, 1, NULL, &r) == 0 && r.npieces == 1);
	CHECK(r.piece[0].s.bool_mask);
	CHECK(symexec__locate(&entry, &r.piece[0], true, 0, 7, 8, &sp) == NULL && sp.reg == 5);
	/* for a u8 the mask changes the value: never read as the register */
	CHECK(symexec__locate(&entry, &r.piece[0], false, 0, 7, 8, &sp) != NULL);
}

/* Unknown instructions make what they write unknown; writes through pointers leave the frame. */
static void test_clobber(void)
{
	static const uint8_t store[] = { 0x48, 0x89, 0x07 }; /* mov %rax,(%rdi) */
	static const uint8_t imul[] = { 0x48, 0x0f, 0xaf, 0xfe }; /* imul %rsi,%rdi */
	static const uint8_t call[] = { 0xe8, 0, 0, 0, 0 };
	struct sym_state st;
	struct sym_effect eff;

	symexec__init(&st);
	eff = run(&st, store, sizeof(store));
	CHECK(eff.wrote_outside && !eff.stop);
	eff = run(&st, imul, sizeof(imul));
	CHECK(st.gpr[5].kind == SYM_NONE && st.gpr[4].kind == SYM_REG);
	eff = run(&st, call, sizeof(call));
	CHECK(eff.stop && eff.ends_prefix);
}

/* movsd %xmm0,0x8(%rsp): a float argument BPF can read only once it is in memory. */
static void test_xmm(void)
{
	static const uint8_t code[] = { 0x48, 0x83, 0xec, 0x18, 0xf2, 0x0f, 0x11, 0x44, 0x24, 0x08 };
	struct rop ops[] = { { .atom = DW_OP_reg0 + 17 } };
	struct rloc l = loc1(ops, 1);
	struct sym_state st, entry;
	struct sym_loc r;
	struct src_piece sp;

	symexec__init(&st);
	entry = st;
	CHECK(symexec__eval(&entry, &rsp_frame, &l, 8, NULL, &r) == 0 && r.piece[0].s.kind == SYM_XMM);
	CHECK(symexec__locate(&entry, &r.piece[0], false, 0, 7, 8, &sp) != NULL);
	run(&st, code, sizeof(code));
	CHECK(symexec__locate(&st, &r.piece[0], false, 0, 7, 0x20, &sp) == NULL);
	CHECK(sp.kind == SRC_MEM && sp.reg == 7 && sp.off == 0x8);
}

/* Constants, entry values, a pointer spilled to a slot (the value lies behind it). */
static void test_expressions(void)
{
	static const uint8_t code[] = { 0x48, 0x83, 0xec, 0x18, 0x48, 0x89, 0x7c, 0x24, 0x08 };
	struct rop lit[] = { { .atom = DW_OP_lit3 }, { .atom = DW_OP_stack_value } };
	struct rop ev[] = { { .atom = DW_OP_entry_value, .op1 = 1, .sub_atom = DW_OP_reg4 },
			    { .atom = DW_OP_stack_value } };
	struct rop str[] = { { .atom = DW_OP_reg5 }, { .atom = DW_OP_piece, .op1 = 8 },
			     { .atom = DW_OP_lit3 }, { .atom = DW_OP_stack_value },
			     { .atom = DW_OP_piece, .op1 = 8 } };
	struct rop spilled[] = { { .atom = DW_OP_fbreg, .op1 = 8 }, { .atom = DW_OP_deref } };
	struct rop arith[] = { { .atom = DW_OP_breg5 }, { .atom = DW_OP_breg4 },
			       { .atom = DW_OP_minus }, { .atom = DW_OP_stack_value } };
	struct rloc l;
	struct sym_state st, entry;
	struct sym_loc r;
	struct src_piece sp;

	symexec__init(&st);
	entry = st;
	l = loc1(lit, 2);
	CHECK(symexec__eval(NULL, &rsp_frame, &l, 8, NULL, &r) == 0 && r.piece[0].s.kind == SYM_CONST &&
	      r.piece[0].s.off == 3);
	l = loc1(ev, 2);
	CHECK(symexec__eval(NULL, &rsp_frame, &l, 8, NULL, &r) == 0 && r.piece[0].s.kind == SYM_REG &&
	      r.piece[0].s.reg == 4);
	l = loc1(str, 5); /* a &str of length 3: pointer in rdi, length a constant */
	CHECK(symexec__eval(&entry, &rsp_frame, &l, 16, NULL, &r) == 0 && r.npieces == 2 &&
	      r.piece[1].s.kind == SYM_CONST && r.piece[1].len == 8);
	CHECK(symexec__locate(&entry, &r.piece[1], false, 0, 7, 8, &sp) == NULL &&
	      sp.kind == SRC_CONST && sp.off == 3);
	run(&st, code, sizeof(code));
	l = loc1(spilled, 2);
	CHECK(symexec__eval(&st, &rsp_frame, &l, 24, NULL, &r) == 0 && r.npieces == 1 &&
	      r.piece[0].s.kind == SYM_DEREF && r.piece[0].s.reg == 5 && r.piece[0].len == 24);
	CHECK(symexec__locate(&entry, &r.piece[0], false, 0, 7, 8, &sp) == NULL &&
	      sp.kind == SRC_DEREF && !sp.ptr_mem && sp.reg == 5);
	l = loc1(arith, 4); /* rdi - rsi: not one register plus a constant */
	CHECK(symexec__eval(&entry, &rsp_frame, &l, 8, NULL, &r) == 0 && r.error && r.final);
}

int main(void)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 1;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	test_spill();
	test_pieces();
	test_bool();
	test_clobber();
	test_xmm();
	test_expressions();
	cs_close(&h);
	return unit_done("test_symexec");
}
