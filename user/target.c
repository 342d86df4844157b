// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "callgraph.h"
#include "demangle.h"
#include "target.h"

static bool is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int file_crc(const char *path, uint32_t *out)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, NULL, 0);
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crc = crc32(crc, buf, (uInt)n);
	close(fd);
	if (n < 0)
		return -EIO;
	*out = (uint32_t)crc;
	return 0;
}

/* A candidate debug file: has DWARF and, when both have one, the same build-id. */
static int check_debug(const char *path, const char *want_id, char *err, size_t errlen)
{
	struct elf_image *img;
	char id[128];
	int e;

	if (!is_file(path))
		return -ENOENT;
	e = elf_image__open(path, &img);
	if (e)
		return e;
	if (!elf_image__has_section(img, ".debug_info")) {
		elf_image__free(img);
		return -ENODATA;
	}
	if (want_id[0] && elf_image__build_id(img, id, sizeof(id)) == 0 && strcmp(id, want_id)) {
		snprintf(err, errlen,
			 "debug file %s belongs to another build (build-id %s, the binary has %s)",
			 path, id, want_id);
		elf_image__free(img);
		return -ESTALE;
	}
	elf_image__free(img);
	return 0;
}

static int try_path(char *out, const char *path, const char *id, char *err, size_t errlen)
{
	int e = check_debug(path, id, err, errlen);

	if (e == 0)
		snprintf(out, PATH_MAX, "%s", path);
	return e;
}

/*
 * gdb's order: the binary itself; build-id under .build-id/; .gnu_debuglink
 * beside the binary, in .debug/, under /usr/lib/debug/<dir>/ (CRC checked).
 */
static int find_debug(struct target *t, const char *root, const char *path_in_root,
		      const char *debuginfo, char *err, size_t errlen)
{
	char id[128] = "", link[256] = "", dir[PATH_MAX], p[PATH_MAX + 512], tmp[PATH_MAX];
	uint32_t crc = 0, got = 0;
	bool has_link;
	int e, stale = 0;

	if (elf_image__has_section(t->img, ".debug_info") && !debuginfo) {
		snprintf(t->debug, sizeof(t->debug), "%s", t->exe);
		return 0;
	}
	elf_image__build_id(t->img, id, sizeof(id));
	has_link = elf_image__debuglink(t->img, link, sizeof(link), &crc) == 0;
	snprintf(tmp, sizeof(tmp), "%s", path_in_root);
	snprintf(dir, sizeof(dir), "%s", dirname(tmp));

	if (debuginfo && is_file(debuginfo)) {
		e = try_path(t->debug, debuginfo, id, err, errlen);
		if (e && e != -ESTALE)
			snprintf(err, errlen, "--debuginfo %s has no DWARF (.debug_info)", debuginfo);
		return e;
	}
	if (debuginfo) {
		if (id[0]) {
			snprintf(p, sizeof(p), "%s/.build-id/%.2s/%s.debug", debuginfo, id, id + 2);
			if ((e = try_path(t->debug, p, id, err, errlen)) == 0 || e == -ESTALE)
				return e;
			snprintf(p, sizeof(p), "%s/%.2s/%s.debug", debuginfo, id, id + 2);
			if ((e = try_path(t->debug, p, id, err, errlen)) == 0 || e == -ESTALE)
				return e;
		}
		if (has_link) {
			snprintf(p, sizeof(p), "%s/%s", debuginfo, link);
			if ((e = try_path(t->debug, p, id, err, errlen)) == 0 || e == -ESTALE)
				return e;
		}
	}
	if (id[0]) {
		snprintf(p, sizeof(p), "%s/usr/lib/debug/.build-id/%.2s/%s.debug", root, id, id + 2);
		if ((e = try_path(t->debug, p, id, err, errlen)) == 0)
			return 0;
		stale |= e == -ESTALE;
	}
	if (has_link) {
		const char *fmts[] = { "%s%s/%s", "%s%s/.debug/%s", "%s/usr/lib/debug%s/%s" };
		int i;

		for (i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), fmts[i], root, dir, link);
			if (!is_file(p))
				continue;
			if (file_crc(p, &got) == 0 && got != crc) {
				snprintf(err, errlen, "debug file %s does not match the binary (CRC %08x, "
					 "the binary's .gnu_debuglink expects %08x)", p, got, crc);
				stale = 1;
				continue;
			}
			if ((e = try_path(t->debug, p, id, err, errlen)) == 0)
				return 0;
			stale |= e == -ESTALE;
		}
	}
	if (stale)
		return -ESTALE;
	snprintf(err, errlen,
		 "no DWARF for %s: not in the binary, not found by build-id%s%s nor by "
		 ".gnu_debuglink%s%s; build with -g (debug = true in the Cargo profile), pass "
		 "--debuginfo FILE|DIR, or trace calls without values with --symbols-only",
		 path_in_root, id[0] ? " " : "", id, has_link ? " " : "", link);
	return -ENODATA;
}

/* std links exactly one panic runtime: panic_abort (panic = "abort") or panic_unwind. */
static bool panic_strategy_abort(struct dwarf_index *idx)
{
	bool abort_rt = false;
	int i, n = dwarf_index__nfuncs(idx);

	for (i = 0; i < n; i++) {
		const char *crate = dwarf_index__func(idx, i)->crate;

		if (crate && !strcmp(crate, "panic_unwind"))
			return false;
		abort_rt |= crate && !strcmp(crate, "panic_abort");
	}
	return abort_rt;
}

static void elf_error(const char *exe, int e, char *err, size_t errlen)
{
	switch (e) {
	case -EISDIR:
		snprintf(err, errlen, "cannot trace %s: it is a directory, not a program", exe);
		break;
	case -ENODEV:
		snprintf(err, errlen, "cannot trace %s: not a regular file (a device, FIFO or "
			 "socket), not a program", exe);
		break;
	case -ENOEXEC:
		snprintf(err, errlen, "cannot trace %s: not an ELF executable (a script? trace the "
			 "program it runs)", exe);
		break;
	case -EBADMSG:
		snprintf(err, errlen, "cannot trace %s: the ELF file is truncated or corrupt "
			 "(its section headers or sections lie past its end): rebuild it or copy "
			 "it again", exe);
		break;
	default:
		snprintf(err, errlen, "cannot read ELF file %s: %s", exe, strerror(-e));
	}
}

int target__open(struct target *t, const char *exe, const char *root, const char *path_in_root,
		 const char *debuginfo, bool symbols_only, char *err, size_t errlen)
{
	int e;

	memset(t, 0, sizeof(*t));
	snprintf(t->exe, sizeof(t->exe), "%s", exe);
	e = elf_image__open(exe, &t->img);
	if (e) {
		elf_error(exe, e, err, errlen);
		goto cleanup;
	}
	/* --symbols-only: by symbol even where some DWARF exists (std's, in a release build) */
	e = symbols_only ? -ENODATA : find_debug(t, root, path_in_root, debuginfo, err, errlen);
	if (e == -ENODATA && symbols_only) {
		t->symbols_only = true;
		snprintf(t->debug, sizeof(t->debug), "%s", exe);
		e = dwarf_index__from_symbols(t->img, &t->idx);
		if (!e && dwarf_index__set_cfi_file(t->idx, exe))
			fprintf(stderr, "rstrace: no .eh_frame in %s: call tree less robust to panics\n",
				exe);
		if (e)
			snprintf(err, errlen, "cannot read the symbols of %s: %s", exe, strerror(-e));
		else
			t->main_crate = dwarf_index__main_crate(t->idx);
		if (e)
			goto cleanup;
		return 0;
	}
	if (e)
		goto cleanup;
	e = dwarf_index__open(t->debug, &t->idx);
	if (e) {
		snprintf(err, errlen, "cannot read DWARF of %s: %s", t->debug, strerror(-e));
		goto cleanup;
	}
	if (strcmp(t->debug, t->exe) != 0 && dwarf_index__set_cfi_file(t->idx, t->exe) != 0) {
		/* without .eh_frame frames cannot be matched by CFA: say so, trace anyway */
		fprintf(stderr, "rstrace: no .eh_frame in %s: call tree less robust to panics\n",
			t->exe);
	}
	t->main_crate = dwarf_index__main_crate(t->idx);
	/* without it returns in registers are reported unknown: trace anyway */
	if (callgraph__build(t->img, t->idx, &t->cg))
		t->cg = NULL;
	t->panic_abort = panic_strategy_abort(t->idx);
	return 0;
cleanup:
	target__close(t);
	return e;
}

void target__close(struct target *t)
{
	callgraph__free(t->cg);
	t->cg = NULL;
	dwarf_index__free(t->idx);
	elf_image__free(t->img);
	t->idx = NULL;
	t->img = NULL;
}

bool target__selected(const struct target *t, const struct config *c, const struct rfunc *f)
{
	enum trace_mode m;
	bool in = false;
	int i;

	if (f->crate) {
		m = config__crate_mode(c, f->crate);
		if (m == TRACE_FULL)
			in = true;
		else if (m == TRACE_DEFAULT && t->main_crate && strcmp(f->crate, t->main_crate) == 0)
			in = true;
	}
	for (i = 0; !in && i < c->ninclude; i++)
		in = target__glob(c->include[i], f->name);
	for (i = 0; in && i < c->nexclude; i++)
		in = !target__glob(c->exclude[i], f->name);
	return in;
}

bool target__glob(const char *pattern, const char *name)
{
	char bare[1024];

	if (config__glob(pattern, name))
		return true;
	demangle__strip_args(name, bare, sizeof(bare));
	return strcmp(bare, name) && config__glob(pattern, bare);
}
