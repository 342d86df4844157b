// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include "callsite.h"

/* Bytes scanned at most: std's writer functions are a few dozen instructions. */
#define SCAN_MAX 4096

/* A memory operand [rip + disp] of insn: the slot's address. */
static bool rip_slot(const cs_insn *insn, uint64_t *slot)
{
	const cs_x86 *x = &insn->detail->x86;

	if (x->op_count != 1 || x->operands[0].type != X86_OP_MEM ||
	    x->operands[0].mem.base != X86_REG_RIP || x->operands[0].mem.index != X86_REG_INVALID)
		return false;
	*slot = insn->address + insn->size + x->operands[0].mem.disp;
	return true;
}

static bool slot_is(const struct elf_image *img, uint64_t slot, const char *name)
{
	const char *n = NULL;
	uint64_t target;

	return elf_image__reloc_at(img, slot, &target, &n) == 0 && n && !strcmp(n, name);
}

/* A PLT stub: [endbr64] [bnd] jmp *slot(%rip). */
static bool stub_is(csh h, const struct elf_image *img, uint64_t at, const char *name)
{
	uint8_t code[32];
	cs_insn *insn;
	uint64_t slot;
	size_t n, i;
	bool ok = false;

	if (elf_image__read(img, at, code, sizeof(code)))
		return false;
	n = cs_disasm(h, code, sizeof(code), at, 3, &insn);
	for (i = 0; i < n && !ok; i++) {
		if (insn[i].id == X86_INS_ENDBR64)
			continue;
		ok = insn[i].id == X86_INS_JMP && rip_slot(&insn[i], &slot) && slot_is(img, slot, name);
		break;
	}
	cs_free(insn, n);
	return ok;
}

/* capstone's register id to a bit (0: not a general-purpose 64-bit register). */
static uint32_t reg_bit(x86_reg r)
{
	static const x86_reg gp[] = { X86_REG_RAX, X86_REG_RBX, X86_REG_RCX, X86_REG_RDX,
				      X86_REG_RSI, X86_REG_RDI, X86_REG_RBP, X86_REG_R8,
				      X86_REG_R9,  X86_REG_R10, X86_REG_R11, X86_REG_R12,
				      X86_REG_R13, X86_REG_R14, X86_REG_R15 };
	size_t i;

	for (i = 0; i < sizeof(gp) / sizeof(gp[0]); i++)
		if (gp[i] == r)
			return 1u << i;
	return 0;
}

int callsite__find(const struct elf_image *img, uint64_t lo, uint64_t hi, const char *name,
		   uint64_t *pcs, int max)
{
	size_t len = hi > lo ? hi - lo : 0, n = 0, i;
	uint32_t holds = 0; /* registers loaded from the slot somewhere before */
	uint8_t *code = NULL;
	cs_insn *insn = NULL;
	int found = 0;
	csh h;

	if (len > SCAN_MAX)
		len = SCAN_MAX;
	if (!len)
		return 0;
	code = malloc(len);
	if (!code)
		return -ENOMEM;
	if (elf_image__read(img, lo, code, len) || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		free(code);
		return -EIO;
	}
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(h, code, len, lo, 0, &insn);
	for (i = 0; i < n && found < max; i++) {
		const cs_x86 *x = &insn[i].detail->x86;
		const cs_x86_op *op = x->operands;
		uint64_t slot;
		bool hit = false;

		if (insn[i].id == X86_INS_MOV && x->op_count == 2 && op[0].type == X86_OP_REG &&
		    op[1].type == X86_OP_MEM && op[1].mem.base == X86_REG_RIP &&
		    op[1].mem.index == X86_REG_INVALID &&
		    slot_is(img, insn[i].address + insn[i].size + op[1].mem.disp, name)) {
			holds |= reg_bit(op[0].reg);
			continue;
		}
		if (insn[i].id != X86_INS_CALL || x->op_count != 1)
			continue;
		if (op[0].type == X86_OP_MEM)
			hit = rip_slot(&insn[i], &slot) && slot_is(img, slot, name);
		else if (op[0].type == X86_OP_REG)
			hit = reg_bit(op[0].reg) & holds;
		else if (op[0].type == X86_OP_IMM)
			hit = stub_is(h, img, (uint64_t)op[0].imm, name);
		if (hit)
			pcs[found++] = insn[i].address;
	}
	cs_free(insn, n);
	cs_close(&h);
	free(code);
	return found;
}
