// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include "abi.h"
#include "callgraph.h"

/* Instructions after a call searched for a read of the returned registers. */
#define USE_WINDOW 16
/* Callers followed through `call f; ret` and tail calls. */
#define USE_DEPTH 8
#define USE_PATHS 8

enum ret_state { RS_UNKNOWN = 0, RS_BUSY, RS_YES, RS_NO };

struct func {
	uint64_t lo, hi;
	bool taken; /* its address is stored somewhere: callers LLVM cannot see */
	/* calls code this graph cannot follow (indirect, or outside: may unwind, may recurse) */
	bool opaque;
	bool may_unwind; /* opaque, or calls (directly or not) a function that is */
	bool recursive; /* in a cycle of direct calls */
	struct rfunc *rf; /* its DWARF description, if any */
	uint8_t ret[16]; /* enum ret_state, per mask of returned registers */
};

/* A direct call or tail jump to `target`; the returned value arrives at `next`. */
struct site {
	uint64_t target, next;
	uint32_t from; /* index of the calling function */
	bool tail;
};

struct callgraph {
	const struct elf_image *img;
	struct dwarf_index *idx;
	unsigned int prev_id[2]; /* the two instructions before the current one (jump tables) */
	csh h; /* with instruction details, for the code after call sites */
	struct func *funcs;
	size_t nfuncs;
	struct site *sites;
	size_t nsites, capsites;
	uint64_t *refs; /* addresses code takes with lea: function pointers */
	size_t nrefs, caprefs;
};

static int cmp_func(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_site(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	return x->target < y->target ? -1 : x->target > y->target;
}


static struct func *func_at(const struct callgraph *cg, uint64_t addr)
{
	struct func key = { .lo = addr };

	return bsearch(&key, cg->funcs, cg->nfuncs, sizeof(key), cmp_func);
}

static int add_site(struct callgraph *cg, uint64_t target, uint64_t next, size_t from, bool tail)
{
	if (cg->nsites == cg->capsites) {
		size_t cap = cg->capsites ? cg->capsites * 2 : 4096;
		struct site *n = realloc(cg->sites, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		cg->sites = n;
		cg->capsites = cap;
	}
	cg->sites[cg->nsites++] = (struct site){ target, next, (uint32_t)from, tail };
	return 0;
}

static int add_ref(struct callgraph *cg, uint64_t addr)
{
	if (cg->nrefs == cg->caprefs) {
		size_t cap = cg->caprefs ? cg->caprefs * 2 : 4096;
		uint64_t *n = realloc(cg->refs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		cg->refs = n;
		cg->caprefs = cap;
	}
	cg->refs[cg->nrefs++] = addr;
	return 0;
}

static int32_t rel32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * One instruction's control transfer or address reference, from its bytes:
 * call/jmp/jcc rel, call *GOT(%rip), lea rel(%rip).
 */
/* Functions of the C library that neither unwind nor call back into the program. */
static bool safe_external(const char *name)
{
	static const char *const safe[] = {
		"memcpy", "memmove", "memset", "memcmp", "bcmp", "strlen", "malloc", "calloc",
		"realloc", "free", "posix_memalign", "aligned_alloc", "write", "writev", "read",
		"readv", "open", "open64", "close", "lseek", "lseek64", "fstat", "fstat64",
		"statx", "getpid", "gettid", "syscall", "clock_gettime", "nanosleep",
		"sched_yield", "__errno_location", "abort", "exit", "_exit", "getenv",
		"pthread_self", "pthread_getspecific", "pthread_setspecific", "sysconf",
		"getcwd", "mmap", "mmap64", "munmap", "mprotect", "madvise", "isatty", "poll",
		"sigaction", "sigaltstack", "signal", "strerror_r", "__xpg_strerror_r",
	};
	size_t i;

	for (i = 0; name && i < sizeof(safe) / sizeof(safe[0]); i++)
		if (!strcmp(name, safe[i]))
			return true;
	return false;
}

/* call/jmp *slot(%rip) through the GOT: into this file (a site), or out of it. */
static int got_call(struct callgraph *cg, uint64_t slot, uint64_t next, size_t fi, bool tail)
{
	const char *name = NULL;
	uint64_t target = 0;

	if (!elf_image__reloc_at(cg->img, slot, &target, &name) && target)
		return add_site(cg, target, next, fi, tail);
	if (!safe_external(name))
		cg->funcs[fi].opaque = true;
	return 0;
}

/*
 * One instruction's control transfer or address reference, from its bytes:
 * call/jmp/jcc rel, call/jmp through the GOT or a register, lea rel(%rip).
 */
static int classify(struct callgraph *cg, const cs_insn *in, size_t fi)
{
	struct func *f = &cg->funcs[fi];
	const uint8_t *b = in->bytes;
	uint64_t next = in->address + in->size, t;
	size_t i = 0, n = in->size;

	while (i < n && (b[i] == 0x3e || b[i] == 0x2e || b[i] == 0xf2))
		i++; /* notrack, branch hints, bnd */
	if (n - i == 5 && b[i] == 0xe8)
		return add_site(cg, next + rel32(b + i + 1), next, fi, false);
	if (n - i == 5 && b[i] == 0xe9)
		t = next + rel32(b + i + 1);
	else if (n - i == 2 && b[i] == 0xeb)
		t = next + (int8_t)b[i + 1];
	else if (n - i == 6 && b[i] == 0x0f && b[i + 1] >= 0x80 && b[i + 1] <= 0x8f)
		t = next + rel32(b + i + 2);
	else if (n - i == 2 && b[i] >= 0x70 && b[i] <= 0x7f)
		t = next + (int8_t)b[i + 1];
	else if (n - i == 6 && b[i] == 0xff && (b[i + 1] == 0x15 || b[i + 1] == 0x25))
		return got_call(cg, next + rel32(b + i + 2), next, fi, b[i + 1] == 0x25);
	else if (n - i == 7 && (b[i] & 0xf8) == 0x48 && b[i + 1] == 0x8d && (b[i + 2] & 0xc7) == 0x05)
		return add_ref(cg, next + rel32(b + i + 3)); /* lea rel(%rip), %reg */
	else {
		if (i < n && b[i] >= 0x40 && b[i] <= 0x4f)
			i++; /* REX */
		/* call *x (ff /2); jmp *x (ff /4), unless a jump table: movslq; add; jmp *reg */
		if (i + 1 < n && b[i] == 0xff && (((b[i + 1] >> 3) & 7) == 2 ||
						 (((b[i + 1] >> 3) & 7) == 4 &&
						  !(cg->prev_id[0] == X86_INS_ADD &&
						    cg->prev_id[1] == X86_INS_MOVSXD))))
			f->opaque = true;
		return 0;
	}
	if (t >= f->lo && t < f->hi)
		return 0;
	return add_site(cg, t, next, fi, true);
}

static int scan(struct callgraph *cg, csh fast, size_t fi)
{
	struct func *f = &cg->funcs[fi];
	size_t len = f->hi - f->lo;
	uint8_t *code = malloc(len);
	const uint8_t *p = code;
	uint64_t addr = f->lo;
	cs_insn *in;
	int err = 0;

	if (!code)
		return -ENOMEM;
	if (elf_image__read(cg->img, f->lo, code, len)) {
		free(code);
		return 0; /* not in the file (an FDE for discarded code) */
	}
	in = cs_malloc(fast);
	if (!in) {
		free(code);
		return -ENOMEM;
	}
	cg->prev_id[0] = cg->prev_id[1] = 0;
	while (!err && cs_disasm_iter(fast, &p, &len, &addr, in)) {
		err = classify(cg, in, fi);
		cg->prev_id[1] = cg->prev_id[0];
		cg->prev_id[0] = in->id;
	}
	cs_free(in, 1);
	free(code);
	return err;
}

static int load_funcs(struct callgraph *cg, struct dwarf_index *idx)
{
	size_t n = dwarf_index__code_ranges(idx, NULL), i, k;
	uint64_t(*r)[2] = calloc(n ? n : 1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	n = dwarf_index__code_ranges(idx, r);
	cg->funcs = calloc(n ? n : 1, sizeof(*cg->funcs));
	if (!cg->funcs) {
		free(r);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		cg->funcs[i] = (struct func){ .lo = r[i][0], .hi = r[i][1] };
	free(r);
	qsort(cg->funcs, n, sizeof(*cg->funcs), cmp_func);
	for (i = k = 0; i < n; i++)
		if (!k || cg->funcs[k - 1].lo != cg->funcs[i].lo)
			cg->funcs[k++] = cg->funcs[i];
	cg->nfuncs = k;
	for (i = 0; i < (size_t)dwarf_index__nfuncs(idx); i++) {
		struct rfunc *rf = dwarf_index__func(idx, (int)i);
		struct func *f = rf->inlined_only ? NULL : func_at(cg, rf->low_pc);

		if (f && !f->rf)
			f->rf = rf;
	}
	return 0;
}

/* Function pointers: lea in code, and pointers the loader stores (vtables, tables of fns). */
static void mark_taken(struct callgraph *cg)
{
	size_t i, n = elf_image__nrelocs(cg->img);
	struct func *f;

	for (i = 0; i < cg->nrefs; i++)
		if ((f = func_at(cg, cg->refs[i])))
			f->taken = true;
	for (i = 0; i < n; i++)
		if ((f = func_at(cg, elf_image__reloc_target(cg->img, i))))
			f->taken = true;
	free(cg->refs);
	cg->refs = NULL;
	cg->nrefs = cg->caprefs = 0;
}

/* Sites of calls to the function at index g: a range of the target-sorted sites. */
static struct site *callers(const struct callgraph *cg, size_t g, struct site **end)
{
	struct site key = { .target = cg->funcs[g].lo }, *s;

	s = bsearch(&key, cg->sites, cg->nsites, sizeof(key), cmp_site);
	*end = s;
	if (!s)
		return NULL;
	while (s > cg->sites && s[-1].target == key.target)
		s--;
	while (*end < cg->sites + cg->nsites && (*end)->target == key.target)
		(*end)++;
	return s;
}

/* Whoever calls, directly or not, a function that may unwind may unwind too. */
static int propagate_unwind(struct callgraph *cg)
{
	uint32_t *queue = malloc(sizeof(*queue) * (cg->nfuncs + 1));
	size_t head = 0, tail = 0, i;

	if (!queue)
		return -ENOMEM;
	for (i = 0; i < cg->nfuncs; i++)
		if (cg->funcs[i].opaque) {
			cg->funcs[i].may_unwind = true;
			queue[tail++] = (uint32_t)i;
		}
	while (head < tail) {
		struct site *end, *s = callers(cg, queue[head++], &end);

		for (; s && s < end; s++)
			if (!cg->funcs[s->from].may_unwind) {
				cg->funcs[s->from].may_unwind = true;
				queue[tail++] = s->from;
			}
	}
	free(queue);
	return 0;
}

struct tarjan {
	uint32_t *index, *low, *stack, *start, *out, *call_stack, *edge_pos;
	bool *on;
	uint32_t next, sp;
};

/* Functions in a cycle of direct calls (strongly connected components, without recursion). */
static void mark_cycles(struct callgraph *cg, struct tarjan *t, uint32_t root)
{
	uint32_t depth = 0;

	t->call_stack[depth] = root;
	t->edge_pos[depth] = t->start[root];
	t->index[root] = t->low[root] = ++t->next;
	t->stack[t->sp++] = root;
	t->on[root] = true;
	while (depth != UINT32_MAX) {
		uint32_t v = t->call_stack[depth];

		if (t->edge_pos[depth] < t->start[v + 1]) {
			uint32_t w = t->out[t->edge_pos[depth]++];

			if (w == v)
				cg->funcs[v].recursive = true;
			if (!t->index[w]) {
				t->index[w] = t->low[w] = ++t->next;
				t->stack[t->sp++] = w;
				t->on[w] = true;
				depth++;
				t->call_stack[depth] = w;
				t->edge_pos[depth] = t->start[w];
			} else if (t->on[w] && t->index[w] < t->low[v]) {
				t->low[v] = t->index[w];
			}
			continue;
		}
		if (t->low[v] == t->index[v]) {
			uint32_t w, n = 0, first = t->sp;

			do {
				w = t->stack[--first];
				n++;
			} while (w != v);
			for (; t->sp > first; t->sp--) {
				t->on[t->stack[t->sp - 1]] = false;
				if (n > 1)
					cg->funcs[t->stack[t->sp - 1]].recursive = true;
			}
		}
		depth--;
		if (depth != UINT32_MAX && t->low[v] < t->low[t->call_stack[depth]])
			t->low[t->call_stack[depth]] = t->low[v];
	}
}

static int find_cycles(struct callgraph *cg)
{
	size_t n = cg->nfuncs, i;
	struct tarjan t = { 0 };
	uint32_t *fill;
	int err = -ENOMEM;

	t.index = calloc(n + 1, sizeof(uint32_t));
	t.low = calloc(n + 1, sizeof(uint32_t));
	t.stack = calloc(n + 1, sizeof(uint32_t));
	t.call_stack = calloc(n + 1, sizeof(uint32_t));
	t.edge_pos = calloc(n + 1, sizeof(uint32_t));
	t.start = calloc(n + 2, sizeof(uint32_t));
	t.out = calloc(cg->nsites + 1, sizeof(uint32_t));
	t.on = calloc(n + 1, sizeof(bool));
	fill = calloc(n + 1, sizeof(uint32_t));
	if (!t.index || !t.low || !t.stack || !t.call_stack || !t.edge_pos || !t.start || !t.out ||
	    !t.on || !fill)
		goto cleanup;
	/* edges grouped by caller (CSR); calls to unknown code end nowhere */
	for (i = 0; i < cg->nsites; i++) {
		struct func *g = func_at(cg, cg->sites[i].target);

		if (g)
			t.start[cg->sites[i].from + 1]++;
		else
			cg->funcs[cg->sites[i].from].opaque = true;
	}
	for (i = 0; i < n; i++)
		t.start[i + 1] += t.start[i];
	for (i = 0; i < cg->nsites; i++) {
		struct func *g = func_at(cg, cg->sites[i].target);
		uint32_t from = cg->sites[i].from;

		if (g)
			t.out[t.start[from] + fill[from]++] = (uint32_t)(g - cg->funcs);
	}
	for (i = 0; i < n; i++)
		if (!t.index[i])
			mark_cycles(cg, &t, (uint32_t)i);
	err = 0;
cleanup:
	free(t.index);
	free(t.low);
	free(t.stack);
	free(t.call_stack);
	free(t.edge_pos);
	free(t.start);
	free(t.out);
	free(t.on);
	free(fill);
	return err;
}

int callgraph__build(const struct elf_image *img, struct dwarf_index *idx, struct callgraph **out)
{
	struct callgraph *cg = calloc(1, sizeof(*cg));
	csh fast = 0;
	size_t i;
	int err;

	if (!cg)
		return -ENOMEM;
	cg->img = img;
	cg->idx = idx;
	err = load_funcs(cg, idx);
	if (err)
		goto cleanup;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &fast) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_64, &cg->h) != CS_ERR_OK) {
		err = -ENOSYS;
		goto cleanup;
	}
	cs_option(cg->h, CS_OPT_DETAIL, CS_OPT_ON);
	for (i = 0; !err && i < cg->nfuncs; i++)
		err = scan(cg, fast, i);
	if (err)
		goto cleanup;
	qsort(cg->sites, cg->nsites, sizeof(*cg->sites), cmp_site);
	mark_taken(cg);
	err = find_cycles(cg);
	if (!err)
		err = propagate_unwind(cg);
	if (err)
		goto cleanup;
	*out = cg;
cleanup:
	if (fast)
		cs_close(&fast);
	if (err)
		callgraph__free(cg);
	return err;
}

void callgraph__free(struct callgraph *cg)
{
	if (!cg)
		return;
	if (cg->h)
		cs_close(&cg->h);
	free(cg->funcs);
	free(cg->sites);
	free(cg->refs);
	free(cg);
}

static bool ret_reg(x86_reg r, unsigned regs)
{
	switch (r) {
	case X86_REG_RAX:
	case X86_REG_EAX:
	case X86_REG_AX:
	case X86_REG_AL:
	case X86_REG_AH:
		return regs & CG_RAX;
	case X86_REG_RDX:
	case X86_REG_EDX:
	case X86_REG_DX:
	case X86_REG_DL:
	case X86_REG_DH:
		return regs & CG_RDX;
	case X86_REG_XMM0:
	case X86_REG_YMM0:
		return regs & CG_XMM0;
	case X86_REG_XMM1:
	case X86_REG_YMM1:
		return regs & CG_XMM1;
	default:
		return false;
	}
}

static bool returns_value(struct callgraph *cg, uint64_t addr, unsigned regs, bool abi_intact,
			  int depth);

static bool zeroing(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	switch (in->id) {
	case X86_INS_XOR:
	case X86_INS_SUB:
	case X86_INS_PXOR:
	case X86_INS_XORPS:
	case X86_INS_XORPD:
		return x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		       x->operands[1].type == X86_OP_REG && x->operands[0].reg == x->operands[1].reg;
	default:
		return false;
	}
}

unsigned callgraph__ret_regs(const struct rtype *t)
{
	struct abi a;

	if (!t || !t->sized || !t->size)
		return 0;
	a = abi__of(t);
	if (a.kind == ABI_ZST || (a.kind == ABI_MEMORY && t->size > 8) || t->size > 16)
		return 0;
	if (a.kind == ABI_PAIR)
		return (a.prim[0] == PRIM_FLOAT ? CG_XMM0 : CG_RAX) |
		       (a.prim[1] == PRIM_FLOAT ? (a.prim[0] == PRIM_FLOAT ? CG_XMM1 : CG_XMM0)
						: (a.prim[0] == PRIM_FLOAT ? CG_RAX : CG_RDX));
	if (a.kind == ABI_SCALAR && a.prim[0] == PRIM_FLOAT)
		return CG_XMM0;
	return t->size > 8 ? CG_RAX | CG_RDX : CG_RAX;
}

/*
 * The callee's registers reach the callers of f, which returns right after
 * the call (or tail-calls): only those of them f's own return value is in.
 * f returning () leaves the callee's rax there as garbage: `call g; ret` in
 * a unit `main` says nothing about g.
 */
static unsigned passed_on(struct callgraph *cg, struct func *f, unsigned regs)
{
	struct rfunc *rf = f->rf;

	if (!rf || (!rf->loaded && dwarf_index__load(cg->idx, rf)) || rf->nocall)
		return 0;
	return regs & callgraph__ret_regs(rf->ret);
}

/*
 * Whether the function at addr takes a float argument: the first one
 * arrives in xmm0, so a call to it right after another call passes that
 * call's float result on. Not with DW_CC_nocall (arguments may be gone).
 */
static bool float_arg(struct callgraph *cg, uint64_t addr)
{
	struct func *g = func_at(cg, addr);
	struct rfunc *rf = g ? g->rf : NULL;
	int i;

	if (!rf || (!rf->loaded && dwarf_index__load(cg->idx, rf)) || rf->nocall)
		return false;
	for (i = 0; i < rf->nparams; i++) {
		struct abi a = abi__of(rf->params[i].type);

		if ((a.kind == ABI_SCALAR || a.kind == ABI_PAIR) &&
		    (a.prim[0] == PRIM_FLOAT || (a.kind == ABI_PAIR && a.prim[1] == PRIM_FLOAT)))
			return true;
	}
	return false;
}

/* The direct target of a jmp/jcc/call, or 0. */
static uint64_t jump_target(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	return x->op_count == 1 && x->operands[0].type == X86_OP_IMM ? (uint64_t)x->operands[0].imm
								      : 0;
}

/*
 * Whether the code after one call site uses what the callee returned: on
 * some path (direct jumps followed, at most USE_PATHS of them and
 * USE_WINDOW instructions each) it reads the registers before writing them,
 * or returns them to its own callers, which use them. Anything else ends a
 * path as "not used": an unknown only costs a value, a wrong "used" would
 * show what an optimizer left in a dead register.
 */
static bool used_at(struct callgraph *cg, const struct site *s, unsigned regs, int depth)
{
	struct func *caller = &cg->funcs[s->from];
	unsigned on;
	uint64_t todo[USE_PATHS], seen[USE_PATHS];
	int ntodo = 0, nseen = 0;
	bool used = false;
	cs_insn *in;

	if (s->tail)
		return (on = passed_on(cg, caller, regs)) &&
		       returns_value(cg, caller->lo, on, true, depth + 1);
	if (!(in = cs_malloc(cg->h)))
		return false;
	todo[ntodo++] = s->next;
	while (ntodo && !used) {
		uint8_t code[USE_WINDOW * 15];
		const uint8_t *p = code;
		uint64_t addr = todo[--ntodo], t;
		size_t len = sizeof(code);
		bool done = false;
		int n, k;

		for (k = 0; k < nseen && seen[k] != addr; k++)
			;
		if (k < nseen || nseen == USE_PATHS || addr < caller->lo || addr >= caller->hi)
			continue;
		seen[nseen++] = addr;
		if (addr + len > caller->hi)
			len = caller->hi - addr;
		if (elf_image__read(cg->img, addr, code, len))
			continue;
		for (n = 0; !done && n < USE_WINDOW && cs_disasm_iter(cg->h, &p, &len, &addr, in); n++) {
			cs_regs rd, wr;
			uint8_t nrd = 0, nwr = 0, i;

			if (in->id == X86_INS_RET) {
				on = passed_on(cg, caller, regs);
				used = on && returns_value(cg, caller->lo, on, true, depth + 1);
				break;
			}
			if (cs_insn_group(cg->h, in, CS_GRP_JUMP)) {
				t = jump_target(in);
				if (t && ntodo < USE_PATHS)
					todo[ntodo++] = t;
				if (in->id == X86_INS_JMP || !t)
					break;
				continue; /* jcc: on along the fall-through too */
			}
			if (cs_insn_group(cg->h, in, CS_GRP_CALL)) {
				used = (regs & CG_XMM0) && (t = jump_target(in)) && float_arg(cg, t);
				break;
			}
			if (cs_regs_access(cg->h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
				break;
			/* push %rax may only make room on the stack: not a use */
			if (in->id == X86_INS_PUSH)
				continue;
			/* xor %eax,%eax and the like only write, whatever the register list says */
			if (zeroing(in)) {
				for (i = 0; i < nwr; i++)
					done |= ret_reg(wr[i], regs);
				continue;
			}
			for (i = 0; i < nrd && !used; i++)
				used = ret_reg(rd[i], regs);
			for (i = 0; i < nwr && !used; i++)
				done |= ret_reg(wr[i], regs);
			done |= used;
		}
	}
	cs_free(in, 1);
	return used;
}

static bool returns_value(struct callgraph *cg, uint64_t addr, unsigned regs, bool abi_intact,
			  int depth)
{
	struct func *f = func_at(cg, addr);
	struct site key = { .target = addr }, *s;
	bool yes = false;

	if (!f || depth > USE_DEPTH)
		return false;
	if (abi_intact && (elf_image__symbol_local(cg->img, addr) == 0 || f->taken))
		return true;
	if (f->ret[regs & 15] == RS_YES || f->ret[regs & 15] == RS_NO)
		return f->ret[regs & 15] == RS_YES;
	if (f->ret[regs & 15] == RS_BUSY)
		return false; /* a cycle of tail calls proves nothing */
	f->ret[regs & 15] = RS_BUSY;
	s = bsearch(&key, cg->sites, cg->nsites, sizeof(key), cmp_site);
	while (s && s > cg->sites && s[-1].target == addr)
		s--;
	for (; s && s < cg->sites + cg->nsites && s->target == addr && !yes; s++)
		yes = used_at(cg, s, regs, depth);
	f->ret[regs & 15] = yes ? RS_YES : RS_NO;
	return yes;
}

bool callgraph__returns_value(struct callgraph *cg, uint64_t addr, unsigned regs, bool abi_intact)
{
	return returns_value(cg, addr, regs, abi_intact, 0);
}

const char *callgraph__no_uretprobe(struct callgraph *cg, uint64_t addr, bool panic_abort)
{
	const struct func *f = func_at(cg, addr);

	if (!f)
		return "not in the call graph";
	if (f->recursive)
		return "recursive: the kernel keeps at most 64 nested uretprobes";
	if (!panic_abort && f->may_unwind)
		return "a panic may unwind through it (it calls code that may panic, or indirect calls)";
	return NULL;
}
