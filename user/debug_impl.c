// SPDX-License-Identifier: MIT
/*
 * A derived Debug impl only calls core::fmt::Formatter's derive helpers
 * (debug_struct_fieldN_finish, debug_tuple_fieldN_finish, their _fields_
 * forms) and, for fieldless structs and variants, write_str with the name.
 * We disassemble every `<T as core::fmt::Debug>::fmt` of the type and accept
 * it as derived only if every call goes to one of those and every name the
 * derived impl would print is referenced by the code. Anything else (a
 * write_fmt, a call through the Formatter's vtable, an unresolvable call)
 * makes the type's Debug custom or unknown: the decoder then reports the
 * value as unknown instead of printing a format the program would not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include "debug_impl.h"
#include "demangle.h"

#define MAX_IMPLS 16
#define MAX_FN_BYTES (64 * 1024)

static bool std_name(const char *n)
{
	return !strncmp(n, "core::", 6) || !strncmp(n, "alloc::", 7) || !strncmp(n, "std::", 5);
}

bool debug_impl__needs_verdict(const struct rtype *t)
{
	if (!t || std_name(t->name))
		return false;
	return t->kind == RK_STRUCT || t->kind == RK_ENUM || t->kind == RK_CENUM;
}

void debug_impl__strip_generics(const char *name, char *buf, size_t len)
{
	size_t n = 0;
	int depth = 0;

	for (; *name && n + 1 < len; name++) {
		if (*name == '<')
			depth++;
		else if (*name == '>' && depth > 0)
			depth--;
		else if (!depth)
			buf[n++] = *name;
	}
	buf[n] = 0;
}

/* "<values::Pair<T> as core::fmt::Debug>::fmt" -> "values::Pair"; false if not such a name. */
static bool impl_type(const char *fn, char *buf, size_t len)
{
	static const char tail[] = " as core::fmt::Debug>::fmt";
	size_t n = strlen(fn), tl = sizeof(tail) - 1;
	char tmp[1024];

	if (fn[0] != '<' || n <= tl + 1 || strcmp(fn + n - tl, tail) || n - tl - 1 >= sizeof(tmp))
		return false;
	memcpy(tmp, fn + 1, n - tl - 1);
	tmp[n - tl - 1] = 0;
	debug_impl__strip_generics(tmp, buf, len);
	return true;
}

/* What a call target is, for the derived-impl check. */
enum callee {
	CALLEE_OTHER,
	CALLEE_HELPER, /* Formatter::debug_{struct,tuple}_field{1..5,s}_finish */
	CALLEE_WRITE_STR, /* Formatter::write_str */
	CALLEE_BENIGN, /* stack probing */
};

static enum callee classify_callee(const char *sym)
{
	static const char *const helpers[] = {
		"debug_struct_field1_finish", "debug_struct_field2_finish",
		"debug_struct_field3_finish", "debug_struct_field4_finish",
		"debug_struct_field5_finish", "debug_struct_fields_finish",
		"debug_tuple_field1_finish",  "debug_tuple_field2_finish",
		"debug_tuple_field3_finish",  "debug_tuple_field4_finish",
		"debug_tuple_field5_finish",  "debug_tuple_fields_finish",
	};
	enum callee r = CALLEE_OTHER;
	char *d;
	const char *m;
	size_t i, ml;

	if (!sym)
		return CALLEE_OTHER;
	if (!strcmp(sym, "__rust_probestack"))
		return CALLEE_BENIGN;
	d = demangle__rust(sym);
	if (!d)
		return CALLEE_OTHER;
	m = strrchr(d, ':');
	if (m && m > d + 1 && m[-1] == ':') {
		/* the method must belong to core::fmt::Formatter itself */
		ml = (size_t)(m - 1 - d);
			if ((ml == 22 && !strncmp(d, "<core::fmt::Formatter>", 22)) ||
		    (ml == 20 && !strncmp(d, "core::fmt::Formatter", 20)) ||
		    (ml == 42 && !strncmp(d, "<core::fmt::Formatter as core::fmt::Write>", 42))) {
			m++;
			for (i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
				if (!strcmp(m, helpers[i]))
					r = CALLEE_HELPER;
			if (!strcmp(m, "write_str"))
				r = CALLEE_WRITE_STR;
		}
	}
	free(d);
	return r;
}

/* The names a derived impl of t prints, which its code must reference. */
static int expected_names(const struct rtype *t, const char **names, int max, bool *fieldless)
{
	int i, n = 0;

	*fieldless = false;
	if (t->kind == RK_STRUCT) {
		names[n++] = t->debug_name;
		*fieldless = t->nfields == 0;
		return n;
	}
	for (i = 0; i < t->nvariants && n < max; i++) {
		const struct rtype *v = t->variants[i].type;

		if (!t->variants[i].name)
			return -1;
		names[n++] = t->variants[i].name;
		if (t->kind == RK_CENUM || !v || v->nfields == 0)
			*fieldless = true;
	}
	return i < t->nvariants ? -1 : n;
}

/* The symbol a call/jmp operand leads to: a direct target, or a GOT slot's relocation. */
static const char *call_target(const struct elf_image *img, const struct rfunc *f, cs_insn *in,
			       bool *local)
{
	cs_x86 *x = &in->detail->x86;
	uint64_t target = 0, start = 0;
	const char *name = NULL;

	*local = false;
	if (x->op_count != 1)
		return NULL;
	if (x->operands[0].type == X86_OP_IMM) {
		target = (uint64_t)x->operands[0].imm;
		if (target >= f->low_pc && target < f->high_pc) {
			*local = true;
			return NULL;
		}
	} else if (x->operands[0].type == X86_OP_MEM && x->operands[0].mem.base == X86_REG_RIP &&
		   x->operands[0].mem.index == X86_REG_INVALID) {
		uint64_t slot = in->address + in->size + x->operands[0].mem.disp;

		if (elf_image__reloc_at(img, slot, &target, &name))
			return NULL;
		if (!target)
			return name;
	} else {
		return NULL;
	}
	name = elf_image__symbol_at(img, target, &start);
	return name && start == target ? name : NULL;
}

/*
 * A `jmp *%reg` of a match's jump table (PIC: lea table(%rip); movslq
 * (table,idx,4); add table; jmp): the table's first entry leads back into the
 * function. Anything else (a call through the Formatter's vtable) is not a
 * jump table.
 */
static bool jump_table(const struct elf_image *img, const struct rfunc *f, cs_insn *insn, size_t i)
{
	size_t k;

	for (k = i; k-- > 0 && i - k <= 8;) {
		cs_x86 *x = &insn[k].detail->x86;
		uint64_t table;
		int32_t rel;

		if (insn[k].id != X86_INS_LEA || x->op_count != 2 || x->operands[1].type != X86_OP_MEM ||
		    x->operands[1].mem.base != X86_REG_RIP)
			continue;
		table = insn[k].address + insn[k].size + x->operands[1].mem.disp;
		if (elf_image__read(img, table, &rel, sizeof(rel)))
			continue;
		if (table + rel >= f->low_pc && table + rel < f->high_pc)
			return true;
	}
	return false;
}

/* Verdict for one out-of-line fmt function. */
static enum rdebug check_fn(const struct elf_image *img, const struct rfunc *f, const struct rtype *t)
{
	const char *names[64];
	bool fieldless, found[64] = { false };
	size_t len = f->high_pc - f->low_pc, n, i;
	int nn, k, calls = 0;
	enum rdebug r = RDBG_DERIVED;
	uint8_t *code;
	cs_insn *insn = NULL;
	csh h;

	nn = expected_names(t, names, 64, &fieldless);
	if (nn < 0 || len == 0 || len > MAX_FN_BYTES)
		return RDBG_UNKNOWN;
	code = malloc(len);
	if (!code)
		return RDBG_UNKNOWN;
	if (elf_image__read(img, f->low_pc, code, len) || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		free(code);
		return RDBG_UNKNOWN;
	}
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(h, code, len, f->low_pc, 0, &insn);
	for (i = 0; i < n && r == RDBG_DERIVED; i++) {
		cs_x86 *x = &insn[i].detail->x86;
		bool is_call = insn[i].id == X86_INS_CALL, local;
		const char *sym;

		if (insn[i].id == X86_INS_LEA && x->op_count == 2 && x->operands[1].type == X86_OP_MEM &&
		    x->operands[1].mem.base == X86_REG_RIP) {
			uint64_t a = insn[i].address + insn[i].size + x->operands[1].mem.disp;
			char buf[256];

			for (k = 0; k < nn; k++) {
				size_t l = strlen(names[k]);

				if (!found[k] && l < sizeof(buf) && !elf_image__read(img, a, buf, l) &&
				    !memcmp(buf, names[k], l))
					found[k] = true;
			}
			continue;
		}
		if (!is_call && !cs_insn_group(h, &insn[i], CS_GRP_JUMP))
			continue;
		sym = call_target(img, f, &insn[i], &local);
		if (local)
			continue;
		if (!is_call && x->op_count == 1 && x->operands[0].type == X86_OP_REG &&
		    jump_table(img, f, insn, i))
			continue;
		if (!is_call && !sym && x->op_count == 1 && x->operands[0].type != X86_OP_IMM) {
			/* a jump table, or a call through a vtable (Formatter's Write): not provable */
			r = RDBG_UNKNOWN;
			break;
		}
		/* calls, and jumps leaving the function (tail calls) */
		calls++;
		switch (classify_callee(sym)) {
		case CALLEE_HELPER:
			/* a fieldless struct prints through write_str alone */
			if (t->kind == RK_STRUCT && t->nfields == 0)
				r = RDBG_CUSTOM;
			break;
		case CALLEE_WRITE_STR:
			if (!fieldless)
				r = RDBG_CUSTOM;
			break;
		case CALLEE_BENIGN:
			calls--;
			break;
		default:
			r = sym ? RDBG_CUSTOM : RDBG_UNKNOWN;
			break;
		}
		if (r != RDBG_DERIVED && getenv("RSTRACE_DEBUG_IMPL"))
			fprintf(stderr, "debug_impl: %s: call at 0x%llx to %s\n", t->name,
				(unsigned long long)insn[i].address, sym ? sym : "?");
	}
	if (r == RDBG_DERIVED && !calls)
		r = RDBG_UNKNOWN;
	for (k = 0; k < nn && r == RDBG_DERIVED; k++)
		if (!found[k])
			r = RDBG_UNKNOWN; /* the name it would print is not in its code */
	if (n)
		cs_free(insn, n);
	cs_close(&h);
	free(code);
	if (getenv("RSTRACE_DEBUG_IMPL"))
		fprintf(stderr, "debug_impl: %s at 0x%llx: %d\n", t->name, (unsigned long long)f->low_pc, r);
	return r;
}

static enum rdebug verdict(struct dwarf_index *idx, const struct elf_image *img, const struct rtype *t)
{
	char want[1024], got[1024], fn[1100];
	struct rfunc *fs[MAX_IMPLS];
	enum rdebug r = RDBG_NONE;
	int i, n, total;

	debug_impl__strip_generics(t->name, want, sizeof(want));
	/* the common case: a non-generic type, its fmt has exactly this name */
	snprintf(fn, sizeof(fn), "<%s as core::fmt::Debug>::fmt", t->name);
	total = dwarf_index__funcs_named(idx, fn, fs, MAX_IMPLS);
	n = total;
	if (!total) {
		/* generic: legacy-mangled names keep the impl's parameters ("Pair<T>") */
		int j, nf = dwarf_index__nfuncs(idx);

		for (j = 0; j < nf; j++) {
			struct rfunc *f = dwarf_index__func(idx, j);

			if (!f->name || f->name[0] != '<' || !impl_type(f->name, got, sizeof(got)) ||
			    strcmp(got, want))
				continue;
			if (n < MAX_IMPLS)
				fs[n] = f;
			n++;
		}
		total = n;
	}
	if (total > MAX_IMPLS)
		return RDBG_UNKNOWN;
	for (i = 0; i < n; i++) {
		enum rdebug v = check_fn(img, fs[i], t);

		if (v == RDBG_CUSTOM)
			return RDBG_CUSTOM;
		if (v == RDBG_UNKNOWN)
			r = RDBG_UNKNOWN;
		else if (r == RDBG_NONE)
			r = RDBG_DERIVED;
	}
	/* inlined into every caller: no code of its own to check */
	if (r == RDBG_NONE && dwarf_index__inlined_named(idx, fn))
		r = RDBG_UNKNOWN;
	return r;
}

static void walk(struct dwarf_index *idx, const struct elf_image *img, struct rtype *t, int depth)
{
	int i;

	if (!t || depth > 64 || t->debug != RDBG_UNCHECKED)
		return;
	/* marks the type visited first: types may refer to themselves */
	t->debug = RDBG_UNKNOWN;
	for (i = 0; i < t->nfields; i++)
		walk(idx, img, t->fields[i].type, depth + 1);
	if (t->kind != RK_CENUM)
		for (i = 0; i < t->nvariants; i++)
			walk(idx, img, t->variants[i].type, depth + 1);
	walk(idx, img, t->target, depth + 1);
	walk(idx, img, t->inner, depth + 1);
	walk(idx, img, t->key, depth + 1);
	walk(idx, img, t->val, depth + 1);
	for (i = 0; i < t->nimpls; i++)
		walk(idx, img, t->impls[i].type, depth + 1);
	t->debug = debug_impl__needs_verdict(t) ? verdict(idx, img, t) : RDBG_NONE;
}

void debug_impl__check(struct dwarf_index *idx, const struct elf_image *img, struct rtype *t)
{
	walk(idx, img, t, 0);
}
