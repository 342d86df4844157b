// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf_image.h"

struct segment {
	uint64_t vaddr, memsz, offset, filesz;
	bool exec;
};

struct sym {
	uint64_t addr, size;
	const char *name;
	bool func;
	bool local; /* STB_LOCAL */
};

struct elf_image {
	Elf *elf;
	void *map;
	size_t size;
	struct segment *segs;
	int nsegs;
	struct sym *syms;
	size_t nsyms;
	/* .rela.dyn, sorted by r_offset; loaded on first use */
	struct reloc {
		uint64_t off, target;
		const char *name;
	} *relocs;
	size_t nrelocs;
	bool relocs_loaded;
};

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int load_symbols(struct elf_image *img, Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t cap = 0;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(data, i, &s) || !s.st_value)
				continue;
			if (GELF_ST_TYPE(s.st_info) != STT_FUNC && GELF_ST_TYPE(s.st_info) != STT_OBJECT)
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name)
				continue;
			if (img->nsyms == cap) {
				struct sym *ns;

				cap = cap ? cap * 2 : 4096;
				ns = realloc(img->syms, cap * sizeof(*ns));
				if (!ns)
					return -ENOMEM;
				img->syms = ns;
			}
			/* Names point into the mapping, which lives as long as img. */
			img->syms[img->nsyms++] = (struct sym){ s.st_value, s.st_size, name,
								GELF_ST_TYPE(s.st_info) == STT_FUNC,
								GELF_ST_BIND(s.st_info) == STB_LOCAL };
		}
	}
	qsort(img->syms, img->nsyms, sizeof(*img->syms), sym_cmp);
	return 0;
}

/*
 * libelf reads headers lazily and past the end of a cut file as zeros: check
 * that the program and section header tables and every section with contents
 * lie inside the file (a cut file loses its section headers, at the end).
 */
static bool within_file(Elf *elf, size_t size)
{
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t i, n, np;

	if (!gelf_getehdr(elf, &eh) || elf_getshdrnum(elf, &n) || elf_getphdrnum(elf, &np))
		return false;
	if (eh.e_phoff > size || (uint64_t)np * eh.e_phentsize > size - eh.e_phoff ||
	    eh.e_shoff > size || (uint64_t)n * eh.e_shentsize > size - eh.e_shoff)
		return false;
	for (i = 0; i < n && (scn = elf_nextscn(elf, scn)); i++) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			return false;
		if (sh.sh_type != SHT_NOBITS &&
		    (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset))
			return false;
	}
	/* not PT_LOAD's p_filesz: a separate debug file keeps the binary's, without the bytes */
	return true;
}

int elf_image__open(const char *path, struct elf_image **out)
{
	struct elf_image *img;
	struct stat st;
	Elf *elf = NULL;
	size_t i, n;
	int fd, err = 0;

	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	/* O_NONBLOCK: a FIFO must not block the open; it is refused below */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -ENODEV;
		goto cleanup;
	}
	if (st.st_size == 0) {
		err = -ENOEXEC;
		goto cleanup;
	}
	img->size = st.st_size;
	img->map = mmap(NULL, img->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (img->map == MAP_FAILED) {
		img->map = NULL;
		err = -errno;
		goto cleanup;
	}
	elf_version(EV_CURRENT);
	elf = elf_memory(img->map, img->size);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto cleanup;
	}
	if (elf_getphdrnum(elf, &n) || !within_file(elf, img->size)) {
		err = -EBADMSG;
		goto cleanup;
	}
	img->segs = calloc(n ? n : 1, sizeof(*img->segs));
	if (!img->segs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		img->segs[img->nsegs++] = (struct segment){ ph.p_vaddr, ph.p_memsz, ph.p_offset,
							    ph.p_filesz, ph.p_flags & PF_X };
	}
	err = load_symbols(img, elf);
	img->elf = elf;
	elf = NULL;
cleanup:
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	if (err) {
		elf_image__free(img);
		return err;
	}
	*out = img;
	return 0;
}

void elf_image__free(struct elf_image *img)
{
	if (!img)
		return;
	if (img->elf)
		elf_end(img->elf);
	if (img->map)
		munmap(img->map, img->size);
	free(img->segs);
	free(img->syms);
	free(img->relocs);
	free(img);
}

static const struct segment *seg_of(const struct elf_image *img, uint64_t vaddr)
{
	int i;

	for (i = 0; i < img->nsegs; i++)
		if (vaddr >= img->segs[i].vaddr && vaddr < img->segs[i].vaddr + img->segs[i].filesz)
			return &img->segs[i];
	return NULL;
}

int elf_image__offset(const struct elf_image *img, uint64_t vaddr, uint64_t *off)
{
	const struct segment *s = seg_of(img, vaddr);

	if (!s || !s->exec)
		return -ERANGE;
	*off = vaddr - s->vaddr + s->offset;
	return 0;
}

int elf_image__read(const struct elf_image *img, uint64_t vaddr, void *buf, size_t len)
{
	const struct segment *s = seg_of(img, vaddr);

	if (!s || vaddr + len > s->vaddr + s->filesz)
		return -ERANGE;
	memcpy(buf, (const char *)img->map + (vaddr - s->vaddr + s->offset), len);
	return 0;
}

const char *elf_image__symbol_at(const struct elf_image *img, uint64_t vaddr, uint64_t *start)
{
	size_t lo = 0, hi = img->nsyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (img->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	lo--;
	if (vaddr >= img->syms[lo].addr + (img->syms[lo].size ? img->syms[lo].size : 1))
		return NULL;
	if (start)
		*start = img->syms[lo].addr;
	return img->syms[lo].name;
}

int elf_image__symbol_local(const struct elf_image *img, uint64_t vaddr)
{
	uint64_t start = 0;
	size_t lo = 0, hi = img->nsyms;
	int local = -1;

	if (!elf_image__symbol_at(img, vaddr, &start) || start != vaddr)
		return -1;
	/* aliases at one address: global if any of them is */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (img->syms[mid].addr < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < img->nsyms && img->syms[lo].addr == vaddr; lo++)
		if (img->syms[lo].func)
			local = local == 0 ? 0 : img->syms[lo].local;
	return local;
}

static Elf_Scn *section(const struct elf_image *img, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(img->elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(img->elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, sh))
			continue;
		n = elf_strptr(img->elf, shstrndx, sh->sh_name);
		if (n && strcmp(n, name) == 0)
			return scn;
	}
	return NULL;
}

static int reloc_cmp(const void *a, const void *b)
{
	const struct reloc *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static void load_relocs(struct elf_image *img)
{
	Elf_Scn *scn = NULL;

	img->relocs_loaded = true;
	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh, symsh;
		Elf_Data *data, *syms;
		Elf_Scn *symscn;
		size_t i, n;
		struct reloc *r;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize ||
		    (sh.sh_flags & SHF_ALLOC) == 0)
			continue;
		data = elf_getdata(scn, NULL);
		symscn = elf_getscn(img->elf, sh.sh_link);
		syms = symscn ? elf_getdata(symscn, NULL) : NULL;
		if (!data || !symscn || !gelf_getshdr(symscn, &symsh))
			continue;
		n = sh.sh_size / sh.sh_entsize;
		r = realloc(img->relocs, (img->nrelocs + n) * sizeof(*r));
		if (!r)
			return;
		img->relocs = r;
		for (i = 0; i < n; i++) {
			GElf_Rela ra;
			GElf_Sym s;
			unsigned type;
			struct reloc *o = &img->relocs[img->nrelocs];

			if (!gelf_getrela(data, i, &ra))
				continue;
			type = GELF_R_TYPE(ra.r_info);
			o->off = ra.r_offset;
			o->name = NULL;
			if (type == R_X86_64_RELATIVE) {
				o->target = ra.r_addend;
			} else if ((type == R_X86_64_GLOB_DAT || type == R_X86_64_64 ||
				    type == R_X86_64_JUMP_SLOT) && syms &&
				   gelf_getsym(syms, GELF_R_SYM(ra.r_info), &s)) {
				o->target = s.st_value ? s.st_value + (type == R_X86_64_64 ? ra.r_addend : 0) : 0;
				o->name = elf_strptr(img->elf, symsh.sh_link, s.st_name);
			} else {
				continue;
			}
			img->nrelocs++;
		}
	}
	qsort(img->relocs, img->nrelocs, sizeof(*img->relocs), reloc_cmp);
}

size_t elf_image__nrelocs(const struct elf_image *img)
{
	struct elf_image *m = (struct elf_image *)img;

	if (!m->relocs_loaded)
		load_relocs(m);
	return m->nrelocs;
}

uint64_t elf_image__reloc_target(const struct elf_image *img, size_t i)
{
	return i < img->nrelocs ? img->relocs[i].target : 0;
}

int elf_image__reloc_at(const struct elf_image *img, uint64_t vaddr, uint64_t *target,
			const char **name)
{
	/* the table is a cache filled on first use; the image is otherwise immutable */
	struct elf_image *m = (struct elf_image *)img;
	size_t lo = 0, hi;

	if (!m->relocs_loaded)
		load_relocs(m);
	hi = m->nrelocs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->relocs[mid].off < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= m->nrelocs || m->relocs[lo].off != vaddr)
		return -ENOENT;
	*target = m->relocs[lo].target;
	if (name)
		*name = m->relocs[lo].name;
	return 0;
}

bool elf_image__has_section(const struct elf_image *img, const char *name)
{
	GElf_Shdr sh;
	Elf_Scn *scn = section(img, name, &sh);

	/* a stripped file keeps the header with SHT_NOBITS */
	return scn && sh.sh_type != SHT_NOBITS && sh.sh_size > 0;
}

int elf_image__build_id(const struct elf_image *img, char *hex, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const uint8_t *desc = (const uint8_t *)d->d_buf + doff;
			size_t i;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((const char *)d->d_buf + noff, "GNU", 4) || 2 * nh.n_descsz + 1 > len)
				continue;
			for (i = 0; i < nh.n_descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", desc[i]);
			return 0;
		}
	}
	return -ENOENT;
}

int elf_image__debuglink(const struct elf_image *img, char *name, size_t len, uint32_t *crc)
{
	GElf_Shdr sh;
	Elf_Scn *scn = section(img, ".gnu_debuglink", &sh);
	Elf_Data *d;
	size_t n;

	if (!scn || !(d = elf_getdata(scn, NULL)) || d->d_size < 8)
		return -ENOENT;
	n = strnlen(d->d_buf, d->d_size);
	if (n + 1 > len || n + 4 > d->d_size)
		return -ENOENT;
	memcpy(name, d->d_buf, n + 1);
	/* the CRC follows the name, padded to 4 bytes */
	memcpy(crc, (const char *)d->d_buf + ((n + 4) & ~(size_t)3), 4);
	return 0;
}

size_t elf_image__nsymbols(const struct elf_image *img)
{
	return img->nsyms;
}

const char *elf_image__symbol(const struct elf_image *img, size_t i, uint64_t *addr, uint64_t *size,
			      bool *func)
{
	if (i >= img->nsyms)
		return NULL;
	*addr = img->syms[i].addr;
	*size = img->syms[i].size;
	*func = img->syms[i].func;
	return img->syms[i].name;
}
