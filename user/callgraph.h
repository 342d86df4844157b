/* SPDX-License-Identifier: MIT */
/*
 * The direct calls between the functions of one binary, found by decoding
 * all of its code once (function ranges from .eh_frame), and what they prove
 * about a function's return value.
 */
#ifndef CALLGRAPH_H
#define CALLGRAPH_H
#include <stdbool.h>
#include <stdint.h>
#include "dwarf_index.h"
#include "elf_image.h"

struct callgraph;

int callgraph__build(const struct elf_image *img, struct dwarf_index *idx, struct callgraph **out);
void callgraph__free(struct callgraph *cg);

/* The registers a value is returned in (x86-64). */
#define CG_RAX 0x1
#define CG_RDX 0x2
#define CG_XMM0 0x4
#define CG_XMM1 0x8

/* The registers (CG_*) a function returning t leaves its value in; 0: none, or an sret pointer. */
unsigned callgraph__ret_regs(const struct rtype *t);

/*
 * Whether the return registers `regs` (CG_*) of the function starting at addr
 * hold its return value at every ret. LLVM drops a return value no caller
 * uses from a function it sees every call of (IPSCCP makes the ret operand
 * undef, without marking the function DW_CC_nocall), and the registers then
 * hold whatever was left there. That cannot happen to a function with
 * external linkage (a global symbol) or whose address is taken (vtables,
 * function pointers) while its ABI is intact (abi_intact: not DW_CC_nocall),
 * nor when some caller reads the registers after the call. Without such
 * evidence: false.
 */
bool callgraph__returns_value(struct callgraph *cg, uint64_t addr, unsigned regs, bool abi_intact);

/*
 * Why the function at addr must keep its ret probes rather than a uretprobe
 * (which replaces the return address: a Rust panic unwinding through the frame
 * then aborts the process), or NULL if it may use one. A panic can unwind
 * through a function only if it calls, directly or not, code that may start
 * one: anything this graph cannot follow (indirect calls, calls out of the
 * file other than plain C library functions) counts as such. With
 * panic_abort (the binary links std's panic_abort) nothing unwinds. Recursive
 * functions keep ret probes: the kernel nests at most 64 uretprobes per thread.
 */
const char *callgraph__no_uretprobe(struct callgraph *cg, uint64_t addr, bool panic_abort);
#endif
