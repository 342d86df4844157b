/* SPDX-License-Identifier: MIT */
/*
 * What the two halves of the DWARF reader share: the index itself and DIE
 * helpers. dwarf_index.c reads functions, line tables and parameter
 * locations; dwarf_types.c reads Rust types and recognises std's.
 */
#ifndef DWARF_INTERNAL_H
#define DWARF_INTERNAL_H
#include <dwarf.h>
#include <libdwarf.h>
#include "dwarf_index.h"

struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

/* A namespace DIE and the DIE offsets it spans. */
struct ns {
	uint64_t start, end;
	int parent;
	char *name;
};

struct line_row {
	uint64_t addr;
	int line;
	bool stmt, prologue_end;
};

struct cu_info {
	uint64_t off;
	int version;
	char **files;
	int nfiles;
	struct line_row *rows;
	int nrows;
	bool lines_loaded;
};

struct dwarf_index {
	int fd;
	Dwarf_Debug dbg;
	struct chunk *arena;
	struct rfunc *funcs;
	int nfuncs, capfuncs;
	struct ns *ns;
	int nns, capns;
	struct cu_info *cus;
	int ncus;
	/* type cache: open addressing on DIE offset */
	struct rtype **types;
	size_t ntypes, captypes;
	Dwarf_Fde *fdes;
	Dwarf_Cie *cies;
	Dwarf_Signed nfdes, ncies;
	bool fdes_loaded;
	/* .eh_frame of the executable when DWARF comes from a separate debug file */
	int cfi_fd;
	Dwarf_Debug cfi_dbg;
	const char *main_crate;
	/* DW_TAG_variable "<T as Trait>::{vtable}": name, address, DIE of its type */
	struct vtable_var {
		char *name;
		uint64_t addr, type_die;
	} *vtables;
	int nvtables, capvtables;
	/* demangled names of Debug::fmt subprograms that have no code of their own */
	char **inlined;
	int ninlined, capinlined;
};

void *arena_alloc(struct dwarf_index *idx, size_t n);
char *arena_strdup(struct dwarf_index *idx, const char *s);
char *die_str(struct dwarf_index *idx, Dwarf_Die die, Dwarf_Half at);
bool die_udata(Dwarf_Die die, Dwarf_Half at, uint64_t *out);
bool die_ref(Dwarf_Die die, Dwarf_Half at, uint64_t *out);
bool die_flag(Dwarf_Die die, Dwarf_Half at);
uint64_t die_offset(Dwarf_Die die);
/* The CU holding a DIE offset (cus are in offset order), or NULL. */
struct cu_info *cu_of(struct dwarf_index *idx, uint64_t off);
Dwarf_Die die_at(struct dwarf_index *idx, uint64_t off);
/* Innermost namespace containing a DIE offset, -1 if none. */
int ns_of(const struct dwarf_index *idx, uint64_t off);
/* "crate::module::" of a namespace. */
void ns_path(const struct dwarf_index *idx, int ns, char *buf, size_t len);
/*
 * libdwarf's error handler: without one it abort()s on any error reported to a
 * NULL Dwarf_Error (e.g. a debug-only file whose .eh_frame is NOBITS).
 */
void dwarf_quiet(Dwarf_Error err, Dwarf_Ptr arg);
/* The type at a DIE offset, loaded once (cached). */
struct rtype *dwarf_types__load(struct dwarf_index *idx, uint64_t off);
#endif
