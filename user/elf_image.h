/* SPDX-License-Identifier: MIT */
/* Loadable segments of an ELF file: virtual address <-> file offset, code bytes. */
#ifndef ELF_IMAGE_H
#define ELF_IMAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_image;

/*
 * -EISDIR: path is a directory; -ENODEV: not a regular file; -ENOEXEC: not an
 * ELF file (or empty); -EBADMSG: an ELF file cut short or corrupt (headers or
 * sections past its end); else open(2)'s or mmap(2)'s error.
 */
int elf_image__open(const char *path, struct elf_image **out);
void elf_image__free(struct elf_image *img);
/* File offset of a virtual address in an executable segment (what uprobes attach by). */
int elf_image__offset(const struct elf_image *img, uint64_t vaddr, uint64_t *off);
/* Copies len bytes of the file image at vaddr; -ERANGE outside the file's segments. */
int elf_image__read(const struct elf_image *img, uint64_t vaddr, void *buf, size_t len);
/* Whether the function symbol at vaddr is STB_LOCAL (1) or not (0); -1: no symbol starts there. */
int elf_image__symbol_local(const struct elf_image *img, uint64_t vaddr);
/* The name of the symbol containing vaddr, or NULL. */
const char *elf_image__symbol_at(const struct elf_image *img, uint64_t vaddr, uint64_t *start);
/*
 * The pointer the dynamic loader stores at vaddr (a GOT slot, a vtable entry):
 * from .rela.dyn, R_X86_64_RELATIVE -> *target, R_X86_64_GLOB_DAT/64 -> the
 * symbol's address (*target, 0 if undefined here) and *name. -ENOENT if no
 * relocation covers vaddr.
 */
/* The relocations of .rela.dyn: how many, and the pointer each stores (0: an undefined symbol). */
size_t elf_image__nrelocs(const struct elf_image *img);
uint64_t elf_image__reloc_target(const struct elf_image *img, size_t i);
int elf_image__reloc_at(const struct elf_image *img, uint64_t vaddr, uint64_t *target,
			const char **name);
/* Whether the file has a section of that name (e.g. ".debug_info"). */
bool elf_image__has_section(const struct elf_image *img, const char *name);
/* GNU build-id note as lowercase hex; -ENOENT if none. */
int elf_image__build_id(const struct elf_image *img, char *hex, size_t len);
/* .gnu_debuglink: the debug file's name and the CRC32 of its contents; -ENOENT if none. */
int elf_image__debuglink(const struct elf_image *img, char *name, size_t len, uint32_t *crc);
/* Symbol i of .symtab, in address order (functions and objects). */
size_t elf_image__nsymbols(const struct elf_image *img);
const char *elf_image__symbol(const struct elf_image *img, size_t i, uint64_t *addr, uint64_t *size,
			      bool *func);
#endif
