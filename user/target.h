/* SPDX-License-Identifier: MIT */
/*
 * The program to trace: its ELF file (probes go there), the file holding its
 * DWARF (itself, or a separate debug file found the way gdb finds it), and
 * which of its functions the configuration selects.
 */
#ifndef TARGET_H
#define TARGET_H
#include <limits.h>
#include <stdbool.h>
#include "config.h"
#include "dwarf_index.h"
#include "elf_image.h"

struct target {
	char exe[PATH_MAX]; /* the file uprobes attach to */
	char debug[PATH_MAX]; /* the file DWARF is read from */
	struct elf_image *img;
	struct dwarf_index *idx;
	struct callgraph *cg; /* NULL with --symbols-only, or when the code could not be read */
	bool panic_abort; /* built with panic = "abort": std's panic_abort linked, not panic_unwind */
	const char *main_crate;
	bool symbols_only; /* functions from ELF symbols: no argument values */
};

/*
 * exe: path of the binary as the tracer sees it (e.g. /proc/PID/exe);
 * path_in_root: its path inside `root` ("" for the tracer's own filesystem,
 * "/proc/PID/root" for a process in another mount namespace), used to look
 * for .gnu_debuglink files beside it; debuginfo: --debuginfo FILE|DIR or NULL.
 */
int target__open(struct target *t, const char *exe, const char *root, const char *path_in_root,
		 const char *debuginfo, bool symbols_only, char *err, size_t errlen);
void target__close(struct target *t);
bool target__selected(const struct target *t, const struct config *c, const struct rfunc *f);
/* A function name glob: "a::top_n" also matches every "a::top_n<T>" (generic arguments ignored). */
bool target__glob(const char *pattern, const char *name);
#endif
