/* SPDX-License-Identifier: MIT */
/* x86-64 general-purpose registers as capstone names them, in DWARF's numbering. */
#ifndef X86REG_H
#define X86REG_H
#include <stdbool.h>
#include <capstone/capstone.h>

/*
 * Whether r is (part of) a general-purpose register: its DWARF number (0 rax,
 * 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-15 r8-r15) and how many
 * of its bytes r names.
 */
bool x86reg__gpr(x86_reg r, int *num, int *size);
/* The 64-bit register r is part of; r itself if it is none. */
x86_reg x86reg__full(x86_reg r);
#endif
