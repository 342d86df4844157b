// SPDX-License-Identifier: MIT
/*
 * Reads the functions of a Rust binary and, on demand, the types of their
 * parameters. rustc nests every item in DW_TAG_namespace DIEs whose first
 * level is the crate, which is how functions are attributed to crates.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dwarf.h>
#include <libdwarf.h>
#include "dwarf_index.h"
#include "grow.h"
#include "elf_image.h"
#include "demangle.h"

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

static void *arena_alloc(struct dwarf_index *idx, size_t n)
{
	struct chunk *c = idx->arena;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->used + n > c->cap) {
		size_t cap = n > 65536 ? n : 65536;

		c = calloc(1, sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->next = idx->arena;
		idx->arena = c;
	}
	c->used += n;
	return memset(c->data + c->used - n, 0, n);
}

static char *arena_strdup(struct dwarf_index *idx, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = arena_alloc(idx, n);

	return d ? memcpy(d, s, n) : NULL;
}

static char *die_str(struct dwarf_index *idx, Dwarf_Die die, Dwarf_Half at)
{
	Dwarf_Attribute attr;
	char *s = NULL, *r = NULL;

	if (dwarf_attr(die, at, &attr, NULL) != DW_DLV_OK)
		return NULL;
	if (dwarf_formstring(attr, &s, NULL) == DW_DLV_OK)
		r = arena_strdup(idx, s);
	dwarf_dealloc_attribute(attr);
	return r;
}

static bool die_udata(Dwarf_Die die, Dwarf_Half at, uint64_t *out)
{
	Dwarf_Attribute attr;
	Dwarf_Unsigned u;
	Dwarf_Signed s;
	bool ok = false;

	if (dwarf_attr(die, at, &attr, NULL) != DW_DLV_OK)
		return false;
	if (dwarf_formudata(attr, &u, NULL) == DW_DLV_OK) {
		*out = u;
		ok = true;
	} else if (dwarf_formsdata(attr, &s, NULL) == DW_DLV_OK) {
		*out = (uint64_t)s;
		ok = true;
	}
	dwarf_dealloc_attribute(attr);
	return ok;
}

static bool die_ref(Dwarf_Die die, Dwarf_Half at, uint64_t *out)
{
	Dwarf_Attribute attr;
	Dwarf_Off off;
	bool ok;

	if (dwarf_attr(die, at, &attr, NULL) != DW_DLV_OK)
		return false;
	ok = dwarf_global_formref(attr, &off, NULL) == DW_DLV_OK;
	dwarf_dealloc_attribute(attr);
	if (ok)
		*out = off;
	return ok;
}

static bool die_flag(Dwarf_Die die, Dwarf_Half at)
{
	Dwarf_Bool b = 0;

	return dwarf_hasattr(die, at, &b, NULL) == DW_DLV_OK && b;
}

static uint64_t die_offset(Dwarf_Die die)
{
	Dwarf_Off off = 0;

	dwarf_dieoffset(die, &off, NULL);
	return off;
}

static Dwarf_Die die_at(struct dwarf_index *idx, uint64_t off)
{
	Dwarf_Die die = NULL;

	if (dwarf_offdie_b(idx->dbg, off, 1, &die, NULL) != DW_DLV_OK)
		return NULL;
	return die;
}

/* Innermost namespace containing a DIE offset. */
static int ns_of(const struct dwarf_index *idx, uint64_t off)
{
	int lo = 0, hi = idx->nns - 1, best = -1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (idx->ns[mid].start < off) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	while (best >= 0 && idx->ns[best].end <= off)
		best = idx->ns[best].parent;
	return best;
}

static void ns_path(const struct dwarf_index *idx, int ns, char *buf, size_t len)
{
	int chain[64], n = 0;
	size_t pos = 0;

	buf[0] = 0;
	for (; ns >= 0 && n < 64; ns = idx->ns[ns].parent)
		chain[n++] = ns;
	while (n-- > 0 && pos < len)
		pos += snprintf(buf + pos, len - pos, "%s::", idx->ns[chain[n]].name);
}

static const char *ns_crate(const struct dwarf_index *idx, int ns)
{
	while (ns >= 0 && idx->ns[ns].parent >= 0)
		ns = idx->ns[ns].parent;
	return ns >= 0 ? idx->ns[ns].name : NULL;
}

/* ---- line tables ---- */

static int load_lines(struct dwarf_index *idx, struct cu_info *cu)
{
	Dwarf_Die cudie = die_at(idx, cu->off);
	Dwarf_Line_Context ctx = NULL;
	Dwarf_Unsigned ver;
	Dwarf_Small tcount;
	Dwarf_Line *lines;
	Dwarf_Signed n, i;
	char **files;
	Dwarf_Signed nfiles;

	cu->lines_loaded = true;
	if (!cudie)
		return -ENOENT;
	if (dwarf_srcfiles(cudie, &files, &nfiles, NULL) == DW_DLV_OK) {
		cu->files = arena_alloc(idx, sizeof(char *) * (nfiles + 1));
		for (i = 0; cu->files && i < nfiles; i++) {
			cu->files[i] = arena_strdup(idx, files[i]);
			dwarf_dealloc(idx->dbg, files[i], DW_DLA_STRING);
		}
		cu->nfiles = cu->files ? nfiles : 0;
		dwarf_dealloc(idx->dbg, files, DW_DLA_LIST);
	}
	if (dwarf_srclines_b(cudie, &ver, &tcount, &ctx, NULL) != DW_DLV_OK)
		goto out;
	if (dwarf_srclines_from_linecontext(ctx, &lines, &n, NULL) == DW_DLV_OK && n > 0) {
		cu->rows = arena_alloc(idx, sizeof(*cu->rows) * n);
		for (i = 0; cu->rows && i < n; i++) {
			Dwarf_Addr a = 0;
			Dwarf_Unsigned ln = 0, isa, disc;
			Dwarf_Bool stmt = 0, pe = 0, ee = 0;

			dwarf_lineaddr(lines[i], &a, NULL);
			dwarf_lineno(lines[i], &ln, NULL);
			dwarf_linebeginstatement(lines[i], &stmt, NULL);
			dwarf_prologue_end_etc(lines[i], &pe, &ee, &isa, &disc, NULL);
			cu->rows[i] = (struct line_row){ a, (int)ln, stmt, pe };
		}
		cu->nrows = cu->rows ? n : 0;
	}
	dwarf_srclines_dealloc_b(ctx);
out:
	dwarf_dealloc_die(cudie);
	return 0;
}

/*
 * First address after the prologue, where DW_OP_fbreg slots hold the
 * arguments: the row flagged prologue_end, else the first statement row past
 * low_pc (gdb's rule).
 */
static uint64_t body_pc(const struct cu_info *cu, uint64_t lo, uint64_t hi)
{
	uint64_t best = 0;
	int i;

	for (i = 0; i < cu->nrows; i++) {
		const struct line_row *r = &cu->rows[i];

		if (r->addr <= lo || r->addr >= hi)
			continue;
		if (r->prologue_end)
			return r->addr;
		if (r->stmt && (!best || r->addr < best))
			best = r->addr;
	}
	return best ? best : lo;
}

/* ---- functions ---- */

/*
 * An abstract Debug::fmt (inlined everywhere, no code of its own): remembered
 * so that a type whose fmt was inlined is not taken for one without Debug impl.
 */
static void note_inlined(struct dwarf_index *idx, Dwarf_Die die)
{
	char *linkage = die_str(idx, die, DW_AT_linkage_name), *d;
	char **n;

	if (!linkage || !strstr(linkage, "Debug$GT$3fmt"))
		return;
	d = demangle__rust(linkage);
	if (!d)
		return;
	n = grow_array(idx->inlined, &idx->capinlined, idx->ninlined + 1, sizeof(*n));
	if (n) {
		idx->inlined = n;
		n[idx->ninlined] = arena_strdup(idx, d);
		if (n[idx->ninlined])
			idx->ninlined++;
	}
	free(d);
}

/* "<T as Trait>::{vtable}" variables: where each concrete type's vtable is. */
static void note_vtable(struct dwarf_index *idx, Dwarf_Die die)
{
	char *name = die_str(idx, die, DW_AT_name);
	struct vtable_var *v;
	Dwarf_Attribute attr;
	Dwarf_Ptr blk;
	Dwarf_Unsigned len;
	uint64_t toff = 0, addr = 0;
	bool ok = false;

	if (!name || !strstr(name, "::{vtable}") || !die_ref(die, DW_AT_type, &toff))
		return;
	if (dwarf_attr(die, DW_AT_location, &attr, NULL) != DW_DLV_OK)
		return;
	if (dwarf_formexprloc(attr, &len, &blk, NULL) == DW_DLV_OK && len >= 2) {
		const uint8_t *e = blk;

		if (e[0] == DW_OP_addr && len == 9) {
			memcpy(&addr, e + 1, 8);
			ok = true;
		} else if (e[0] == DW_OP_addrx || e[0] == DW_OP_GNU_addr_index) {
			/* DWARF 5: an index into .debug_addr (ULEB128) */
			Dwarf_Unsigned ix = 0;
			Dwarf_Addr a = 0;
			unsigned shift = 0;
			size_t i;

			for (i = 1; i < len && shift < 64; i++, shift += 7) {
				ix |= (Dwarf_Unsigned)(e[i] & 0x7f) << shift;
				if (!(e[i] & 0x80))
					break;
			}
			if (i < len && dwarf_debug_addr_index_to_addr(die, ix, &a, NULL) == DW_DLV_OK) {
				addr = a;
				ok = true;
			}
		}
	}
	dwarf_dealloc_attribute(attr);
	if (!ok)
		return;
	v = grow_array(idx->vtables, &idx->capvtables, idx->nvtables + 1, sizeof(*v));
	if (!v)
		return;
	idx->vtables = v;
	idx->vtables[idx->nvtables++] = (struct vtable_var){ name, addr, toff };
}

static int add_func(struct dwarf_index *idx, struct cu_info *cu, Dwarf_Die die, int ns)
{
	Dwarf_Addr lo = 0, hi = 0;
	Dwarf_Half form;
	enum Dwarf_Form_Class cls;
	uint64_t origin = 0, decl_file = 0, decl_line = 0;
	Dwarf_Die odie = NULL;
	struct rfunc *f;
	char *linkage, *name;
	char pathbuf[1024];

	if (dwarf_lowpc(die, &lo, NULL) != DW_DLV_OK) {
		note_inlined(idx, die);
		return 0;
	}
	/* low_pc 0: code the linker discarded (--gc-sections) but DWARF kept */
	if (lo == 0)
		return 0;
	if (dwarf_highpc_b(die, &hi, &form, &cls, NULL) != DW_DLV_OK)
		return 0;
	if (cls == DW_FORM_CLASS_CONSTANT)
		hi += lo;
	if (hi <= lo)
		return 0;
	if (die_ref(die, DW_AT_abstract_origin, &origin) || die_ref(die, DW_AT_specification, &origin))
		odie = die_at(idx, origin);
	linkage = die_str(idx, die, DW_AT_linkage_name);
	if (!linkage && odie)
		linkage = die_str(idx, odie, DW_AT_linkage_name);
	name = die_str(idx, die, DW_AT_name);
	if (!name && odie)
		name = die_str(idx, odie, DW_AT_name);
	if (!die_udata(die, DW_AT_decl_file, &decl_file) && odie)
		die_udata(odie, DW_AT_decl_file, &decl_file);
	if (!die_udata(die, DW_AT_decl_line, &decl_line) && odie)
		die_udata(odie, DW_AT_decl_line, &decl_line);
	if (ns < 0 && odie)
		ns = ns_of(idx, origin);

	idx->funcs = grow_array(idx->funcs, &idx->capfuncs, idx->nfuncs + 1, sizeof(*idx->funcs));
	if (!idx->funcs) {
		if (odie)
			dwarf_dealloc_die(odie);
		return -ENOMEM;
	}
	f = &idx->funcs[idx->nfuncs];
	f->id = idx->nfuncs++;
	f->linkage = linkage;
	f->low_pc = lo;
	f->high_pc = hi;
	f->die = die_offset(die);
	f->line = (int)decl_line;
	f->crate = (char *)ns_crate(idx, ns);
	f->main = die_flag(die, DW_AT_main_subprogram);
	if (linkage) {
		char *d = demangle__rust(linkage);

		if (d) {
			f->name = arena_strdup(idx, d);
			free(d);
		}
	}
	if (!f->name) {
		ns_path(idx, ns, pathbuf, sizeof(pathbuf));
		strncat(pathbuf, name ? name : "?", sizeof(pathbuf) - strlen(pathbuf) - 1);
		f->name = arena_strdup(idx, pathbuf);
	}
	if (!cu->lines_loaded)
		load_lines(idx, cu);
	f->body_pc = body_pc(cu, lo, hi);
	if (decl_file) {
		/* DWARF 5 file indexes are 0-based, earlier ones 1-based. */
		int fi = cu->version >= 5 ? (int)decl_file : (int)decl_file - 1;

		if (fi >= 0 && fi < cu->nfiles)
			f->file = cu->files[fi];
	}
	if (f->main && f->crate)
		idx->main_crate = f->crate;
	if (odie)
		dwarf_dealloc_die(odie);
	return 0;
}

/* `end`: offset where the parent's DIEs stop, so a namespace ends at its next sibling. */
static int walk(struct dwarf_index *idx, struct cu_info *cu, Dwarf_Die parent, int ns, uint64_t end)
{
	Dwarf_Die child = NULL, next;
	int err = 0;

	if (dwarf_child(parent, &child, NULL) != DW_DLV_OK)
		return 0;
	while (child && !err) {
		Dwarf_Half tag = 0;

		next = NULL;
		if (dwarf_siblingof_b(idx->dbg, child, 1, &next, NULL) != DW_DLV_OK)
			next = NULL;
		dwarf_tag(child, &tag, NULL);
		if (tag == DW_TAG_namespace) {
			int me;

			idx->ns = grow_array(idx->ns, &idx->capns, idx->nns + 1, sizeof(*idx->ns));
			if (!idx->ns) {
				err = -ENOMEM;
				break;
			}
			me = idx->nns++;
			idx->ns[me].start = die_offset(child);
			idx->ns[me].end = next ? die_offset(next) : end;
			idx->ns[me].parent = ns;
			idx->ns[me].name = die_str(idx, child, DW_AT_name);
			if (!idx->ns[me].name)
				idx->ns[me].name = "{anon}";
			err = walk(idx, cu, child, me, idx->ns[me].end);
		} else if (tag == DW_TAG_subprogram) {
			err = add_func(idx, cu, child, ns);
		} else if (tag == DW_TAG_variable) {
			note_vtable(idx, child);
		}
		dwarf_dealloc_die(child);
		child = next;
	}
	if (child)
		dwarf_dealloc_die(child);
	return err;
}

/*
 * Without a handler libdwarf abort()s on any error reported to a NULL
 * Dwarf_Error (e.g. a debug-only file whose .eh_frame is NOBITS).
 */
static void dwarf_quiet(Dwarf_Error err, Dwarf_Ptr arg)
{
	(void)err;
	(void)arg;
}

int dwarf_index__open(const char *path, struct dwarf_index **out)
{
	struct dwarf_index *idx;
	Dwarf_Error derr = NULL;
	int err = 0, res;

	idx = calloc(1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	idx->cfi_fd = -1;
	idx->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (idx->fd < 0) {
		err = -errno;
		goto cleanup;
	}
	res = dwarf_init_b(idx->fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, dwarf_quiet, NULL, &idx->dbg,
			   &derr);
	if (res != DW_DLV_OK) {
		if (res == DW_DLV_ERROR)
			dwarf_dealloc_error(NULL, derr);
		idx->dbg = NULL;
		err = -ENODATA;
		goto cleanup;
	}
	for (;;) {
		Dwarf_Unsigned hlen, typeoff, next;
		Dwarf_Half ver, asz, lsz, esz, cutype;
		Dwarf_Off abbr;
		Dwarf_Sig8 sig;
		Dwarf_Die cu = NULL;
		struct cu_info *ci;

		res = dwarf_next_cu_header_d(idx->dbg, 1, &hlen, &ver, &abbr, &asz, &lsz, &esz,
					     &sig, &typeoff, &next, &cutype, NULL);
		if (res != DW_DLV_OK)
			break;
		if (dwarf_siblingof_b(idx->dbg, NULL, 1, &cu, NULL) != DW_DLV_OK)
			continue;
		ci = realloc(idx->cus, sizeof(*idx->cus) * (idx->ncus + 1));
		if (!ci) {
			dwarf_dealloc_die(cu);
			err = -ENOMEM;
			goto cleanup;
		}
		idx->cus = ci;
		ci = &idx->cus[idx->ncus++];
		memset(ci, 0, sizeof(*ci));
		ci->off = die_offset(cu);
		ci->version = ver;
		err = walk(idx, ci, cu, -1, next);
		dwarf_dealloc_die(cu);
		if (err)
			goto cleanup;
	}
	*out = idx;
	return 0;
cleanup:
	dwarf_index__free(idx);
	return err;
}

/*
 * No DWARF at all: functions from the ELF symbol table, Rust ones only
 * (demangled), crate = first path component; no parameters or types.
 */
int dwarf_index__from_symbols(const struct elf_image *img, struct dwarf_index **out)
{
	struct dwarf_index *idx = calloc(1, sizeof(*idx));
	size_t i, n = elf_image__nsymbols(img);
	int err = 0;

	if (!idx)
		return -ENOMEM;
	idx->fd = idx->cfi_fd = -1;
	for (i = 0; i < n && !err; i++) {
		uint64_t addr, size;
		const char *sym;
		char *d, *crate, *sep = NULL;
		struct rfunc *f;
		bool func;

		sym = elf_image__symbol(img, i, &addr, &size, &func);
		if (!func || !size || !(d = demangle__rust(sym)))
			continue;
		idx->funcs = grow_array(idx->funcs, &idx->capfuncs, idx->nfuncs + 1, sizeof(*idx->funcs));
		if (!idx->funcs) {
			free(d);
			err = -ENOMEM;
			break;
		}
		f = &idx->funcs[idx->nfuncs];
		f->id = idx->nfuncs++;
		f->linkage = arena_strdup(idx, sym);
		f->name = arena_strdup(idx, d);
		crate = arena_strdup(idx, d[0] == '<' ? d + 1 : d);
		if (crate && (sep = strstr(crate, "::")))
			*sep = 0;
		f->crate = crate;
		f->low_pc = f->body_pc = addr;
		f->high_pc = addr + size;
		f->frame_base_reg = -2;
		f->loaded = true;
		/* the Rust main: crate::main with nothing in between */
		if (!idx->main_crate && crate && sep && strcmp(sep + 2, "main") == 0)
			idx->main_crate = crate;
		free(d);
		if (!f->linkage || !f->name || !f->crate)
			err = -ENOMEM;
	}
	if (err) {
		dwarf_index__free(idx);
		return err;
	}
	*out = idx;
	return 0;
}

void dwarf_index__free(struct dwarf_index *idx)
{
	struct chunk *c, *n;

	if (!idx)
		return;
	if (idx->dbg) {
		if (idx->fdes_loaded && idx->fdes)
			dwarf_fde_cie_list_dealloc(idx->cfi_dbg ? idx->cfi_dbg : idx->dbg, idx->cies,
						   idx->ncies, idx->fdes, idx->nfdes);
		dwarf_finish(idx->dbg, NULL);
	}
	if (idx->cfi_dbg)
		dwarf_finish(idx->cfi_dbg, NULL);
	if (idx->cfi_fd >= 0)
		close(idx->cfi_fd);
	if (idx->fd >= 0)
		close(idx->fd);
	for (c = idx->arena; c; c = n) {
		n = c->next;
		free(c);
	}
	free(idx->funcs);
	free(idx->ns);
	free(idx->cus);
	free(idx->types);
	free(idx->vtables);
	free(idx->inlined);
	free(idx);
}

int dwarf_index__nfuncs(const struct dwarf_index *idx)
{
	return idx->nfuncs;
}

struct rfunc *dwarf_index__func(struct dwarf_index *idx, int i)
{
	return i >= 0 && i < idx->nfuncs ? &idx->funcs[i] : NULL;
}

const char *dwarf_index__main_crate(const struct dwarf_index *idx)
{
	return idx->main_crate;
}

/* ---- types ---- */

static struct rtype **type_slot(struct dwarf_index *idx, uint64_t die)
{
	size_t i;

	if (idx->ntypes * 2 >= idx->captypes) {
		size_t ncap = idx->captypes ? idx->captypes * 2 : 1024, k;
		struct rtype **nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return NULL;
		for (k = 0; k < idx->captypes; k++) {
			struct rtype *t = idx->types[k];

			if (!t)
				continue;
			for (i = (t->die * 11400714819323198485ull) & (ncap - 1); nt[i];
			     i = (i + 1) & (ncap - 1))
				;
			nt[i] = t;
		}
		free(idx->types);
		idx->types = nt;
		idx->captypes = ncap;
	}
	for (i = (die * 11400714819323198485ull) & (idx->captypes - 1); idx->types[i];
	     i = (i + 1) & (idx->captypes - 1))
		if (idx->types[i]->die == die)
			break;
	return &idx->types[i];
}

static struct rtype *load_type(struct dwarf_index *idx, uint64_t off);

static bool starts(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

/* "Wrapper<i32>" -> "Wrapper": derived Debug prints the bare identifier. */
static char *debug_name(struct dwarf_index *idx, const char *name)
{
	char *d = arena_strdup(idx, name ? name : "?"), *lt = strchr(d, '<');

	if (lt)
		*lt = 0;
	return d;
}

static struct rfield *field(const struct rtype *t, const char *name)
{
	int i;

	for (i = 0; i < t->nfields; i++)
		if (t->fields[i].name && strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}

/* Offset of the first data pointer inside a RawVec-like struct, searched depth-first. */
static bool find_ptr(const struct rtype *t, uint64_t base, uint64_t *off, int depth)
{
	int i;

	if (!t || depth > 8)
		return false;
	if (t->kind == RK_PTR || t->kind == RK_REF) {
		*off = base;
		return true;
	}
	if (t->kind != RK_STRUCT && t->kind != RK_TUPLE)
		return false;
	for (i = 0; i < t->nfields; i++)
		if (find_ptr(t->fields[i].type, base + t->fields[i].off, off, depth + 1))
			return true;
	return false;
}

static int load_members(struct dwarf_index *idx, Dwarf_Die die, struct rtype *t)
{
	Dwarf_Die child = NULL, next;
	int cap = 0, n = 0;
	struct rfield *fs = NULL;
	uint64_t tmpl = 0;

	if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
		return 0;
	while (child) {
		Dwarf_Half tag = 0;
		uint64_t toff = 0;

		dwarf_tag(child, &tag, NULL);
		if (tag == DW_TAG_member && !die_flag(child, DW_AT_declaration) &&
		    !die_flag(child, DW_AT_external)) {
			struct rfield *nf = grow_array(fs, &cap, n + 1, sizeof(*fs));

			if (!nf)
				break;
			fs = nf;
			fs[n].name = die_str(idx, child, DW_AT_name);
			die_udata(child, DW_AT_data_member_location, &fs[n].off);
			if (die_ref(child, DW_AT_type, &toff))
				fs[n].type = load_type(idx, toff);
			n++;
		} else if (tag == DW_TAG_template_type_parameter && !tmpl) {
			die_ref(child, DW_AT_type, &tmpl);
		} else if (tag == DW_TAG_variant_part) {
			uint64_t discr_off = 0;
			Dwarf_Die v = NULL, vn;
			int vcap = 0;

			t->kind = RK_ENUM;
			die_ref(child, DW_AT_discr, &discr_off);
			if (dwarf_child(child, &v, NULL) == DW_DLV_OK) {
				while (v) {
					Dwarf_Half vt = 0;

					dwarf_tag(v, &vt, NULL);
					if (vt == DW_TAG_member && die_offset(v) == discr_off) {
						t->discr.name = die_str(idx, v, DW_AT_name);
						die_udata(v, DW_AT_data_member_location, &t->discr.off);
						if (die_ref(v, DW_AT_type, &toff))
							t->discr.type = load_type(idx, toff);
					} else if (vt == DW_TAG_variant) {
						struct rvariant *nv = grow_array(t->variants, &vcap,
									   t->nvariants + 1,
									   sizeof(*nv));
						Dwarf_Die m = NULL;

						if (!nv)
							break;
						t->variants = nv;
						nv = &nv[t->nvariants++];
						nv->has_discr = die_udata(v, DW_AT_discr_value,
									  &nv->discr);
						if (dwarf_child(v, &m, NULL) == DW_DLV_OK) {
							nv->name = die_str(idx, m, DW_AT_name);
							if (die_ref(m, DW_AT_type, &toff))
								nv->type = load_type(idx, toff);
							dwarf_dealloc_die(m);
						}
					}
					vn = NULL;
					if (dwarf_siblingof_b(idx->dbg, v, 1, &vn, NULL) != DW_DLV_OK)
						vn = NULL;
					dwarf_dealloc_die(v);
					v = vn;
				}
			}
		}
		next = NULL;
		if (dwarf_siblingof_b(idx->dbg, child, 1, &next, NULL) != DW_DLV_OK)
			next = NULL;
		dwarf_dealloc_die(child);
		child = next;
	}
	if (n) {
		t->fields = arena_alloc(idx, sizeof(*fs) * n);
		if (t->fields)
			memcpy(t->fields, fs, sizeof(*fs) * n);
		t->nfields = t->fields ? n : 0;
	}
	free(fs);
	t->tuple_fields = t->nfields > 0 && t->fields[0].name && strcmp(t->fields[0].name, "__0") == 0;
	/* element types that no member's type names */
	if (tmpl && (t->kind == RK_VEC || starts(t->debug_name, "VecDeque") ||
		     starts(t->debug_name, "RawTable")))
		t->target = load_type(idx, tmpl);
	return 0;
}

/* Follows a path of named fields ("inner", "inner", …); NULL if one is missing. */
static struct rtype *path(struct rtype *t, uint64_t *off, const char *const *names)
{
	for (; t && *names; names++) {
		struct rfield *f = field(t, *names);

		if (!f)
			return NULL;
		*off += f->off;
		t = f->type;
	}
	return t;
}

/* Newtypes down to one integer (NonZero<u32> -> NonZeroU32Inner -> u32). */
static struct rtype *leaf_int(struct rtype *t, uint64_t *off, int depth)
{
	if (!t || depth > 8)
		return NULL;
	if (t->kind == RK_INT || t->kind == RK_UINT)
		return t;
	if (t->kind != RK_STRUCT || t->nfields != 1)
		return NULL;
	*off += t->fields[0].off;
	return leaf_int(t->fields[0].type, off, depth + 1);
}

/* The pointee of the thin pointer at the bottom of NonNull/Unique wrappers. */
static struct rtype *thin_target(struct rtype *t, uint64_t *off, int depth)
{
	if (!t || depth > 8)
		return NULL;
	if (t->kind == RK_PTR || t->kind == RK_REF)
		return t->size == 8 ? t->target : NULL;
	if (t->kind != RK_STRUCT)
		return NULL;
	if (t->nfields == 1 || field(t, "pointer")) {
		struct rfield *f = t->nfields == 1 ? &t->fields[0] : field(t, "pointer");

		*off += f->off;
		return thin_target(f->type, off, depth + 1);
	}
	return NULL;
}

/*
 * std types whose Debug output is known (all std Debug impls of these are
 * fixed by std's source, not derived from user code). The layout comes from
 * DWARF; anything unexpected leaves the type a plain std struct, which the
 * decoder reports as unknown.
 */
static void classify_std(struct dwarf_index *idx, struct rtype *t)
{
	const char *n = t->name;
	uint64_t off = 0, o2 = 0;
	struct rtype *x, *y;

	if (starts(n, "core::num::nonzero::NonZero<")) {
		x = leaf_int(t, &off, 0);
		if (x && x->size == t->size) {
			t->kind = RK_NONZERO;
			t->inner = x;
			t->inner_off = off;
		}
	} else if (starts(n, "core::cell::Cell<")) {
		x = path(t, &off, (const char *const[]){ "value", "value", NULL });
		if (x) {
			t->kind = RK_CELL;
			t->inner = x;
			t->inner_off = off;
		}
	} else if (starts(n, "core::cell::RefCell<")) {
		x = path(t, &off, (const char *const[]){ "value", "value", NULL });
		y = path(t, &o2, (const char *const[]){ "borrow", "value", "value", NULL });
		if (x && y && y->kind == RK_INT && y->size == 8) {
			t->kind = RK_REFCELL;
			t->inner = x;
			t->inner_off = off;
			t->len_off = o2;
		}
	} else if (starts(n, "alloc::rc::Rc<") || starts(n, "alloc::sync::Arc<")) {
		struct rfield *p = field(t, "ptr");

		x = p ? thin_target(p->type, &off, 0) : NULL;
		if (x && x->kind == RK_STRUCT && x->sized) {
			y = path(x, &o2, (const char *const[]){ n[7] == 'r' ? "value" : "data", NULL });
			if (y && y->sized) {
				t->kind = RK_RC;
				t->ptr_off = p->off + off;
				t->target = x;
				t->inner = y;
				t->inner_off = o2;
			}
		}
	} else if (!strcmp(n, "std::path::PathBuf") || !strcmp(n, "std::ffi::os_str::OsString")) {
		/* PathBuf { inner: OsString { inner: Buf { inner: Vec<u8> } } } (unix) */
		x = path(t, &off, (const char *const[]){ "inner", "inner", NULL });
		if (x && !strcmp(n, "std::path::PathBuf"))
			x = path(x, &off, (const char *const[]){ "inner", NULL });
		if (x && x->kind == RK_VEC && x->target && x->target->size == 1) {
			t->kind = RK_STRING;
			t->os_str = true;
			t->ptr_off = off + x->ptr_off;
			t->len_off = off + x->len_off;
		}
	} else if (!strcmp(n, "core::time::Duration")) {
		struct rfield *secs = field(t, "secs"), *nanos = field(t, "nanos");

		o2 = nanos ? nanos->off : 0;
		x = nanos ? leaf_int(nanos->type, &o2, 0) : NULL;
		if (secs && secs->type && secs->type->kind == RK_UINT && secs->type->size == 8 && x &&
		    x->size == 4) {
			t->kind = RK_DURATION;
			t->ptr_off = secs->off;
			t->len_off = o2;
		}
	}
}

/* The payload of Option<X>'s Some variant: its offset in the Option. */
static struct rtype *some_payload(struct rtype *opt, uint64_t *off)
{
	int i;

	if (!opt || opt->kind != RK_ENUM || !starts(opt->name, "core::option::Option<"))
		return NULL;
	for (i = 0; i < opt->nvariants; i++) {
		struct rtype *v = opt->variants[i].type;

		if (opt->variants[i].name && !strcmp(opt->variants[i].name, "Some") && v &&
		    v->nfields == 1) {
			*off += v->fields[0].off;
			return v->fields[0].type;
		}
	}
	return NULL;
}

/* BTreeMap<K, V> { root: Option<NodeRef { node, height }>, length } and its node layouts. */
static void classify_btree(struct dwarf_index *idx, struct rtype *t, struct rtype *map, uint64_t base)
{
	struct rfield *root = field(map, "root"), *length = field(map, "length"), *f;
	struct rtype *nr, *leaf, *internal, *keys, *vals;
	uint64_t off = 0, node_off, height_off, poff = 0;
	struct rfield *node, *height;

	if (!root || !length)
		return;
	off = root->off;
	nr = some_payload(root->type, &off);
	node = nr ? field(nr, "node") : NULL;
	height = nr ? field(nr, "height") : NULL;
	if (!node || !height)
		return;
	node_off = off + node->off;
	height_off = off + height->off;
	poff = 0;
	leaf = thin_target(node->type, &poff, 0);
	if (!leaf || !leaf->sized || poff)
		return;
	/* LeafNode.parent: Option<NonNull<InternalNode<K, V>>> names the internal node type */
	f = field(leaf, "parent");
	poff = 0;
	internal = f ? some_payload(f->type, &poff) : NULL;
	poff = 0;
	internal = internal ? thin_target(internal, &poff, 0) : NULL;
	keys = field(leaf, "keys") ? field(leaf, "keys")->type : NULL;
	vals = field(leaf, "vals") ? field(leaf, "vals")->type : NULL;
	if (!internal || !internal->sized || !field(internal, "edges") || !field(internal, "data") ||
	    field(internal, "data")->off != 0 || !keys || keys->kind != RK_ARRAY || !vals ||
	    vals->kind != RK_ARRAY || !field(leaf, "len") || !keys->target || !vals->target)
		return;
	t->kind = RK_BTREE;
	t->ptr_off = base + node_off;
	t->head_off = base + height_off;
	t->len_off = base + length->off;
	t->leaf = leaf;
	t->internal_size = internal->size;
	t->node_len_off = field(leaf, "len")->off;
	t->node_keys_off = field(leaf, "keys")->off;
	t->node_vals_off = field(leaf, "vals")->off;
	t->node_edges_off = field(internal, "edges")->off;
	t->count = keys->count;
	/* MaybeUninit<K> { uninit: (), value: ManuallyDrop<K> { value: K } } */
	t->key = keys->target;
	t->val = vals->target;
}

/* The type inside MaybeUninit<T>/ManuallyDrop<T> (same offset: both are transparent). */
static struct rtype *uninit_inner(struct rtype *t)
{
	int depth;

	for (depth = 0; t && depth < 6; depth++) {
		struct rfield *v = field(t, "value");

		if (!v && t->nfields == 1)
			v = &t->fields[0];
		if ((starts(t->name, "core::mem::maybe_uninit::MaybeUninit<") ||
		     starts(t->name, "core::mem::manually_drop::ManuallyDrop<") ||
		     starts(t->name, "core::mem::maybe_dangling::MaybeDangling<")) && v && v->off == 0)
			t = v->type;
		else
			return t;
	}
	return NULL;
}

/* VecDeque, hashbrown's HashMap/HashSet, BTreeMap/BTreeSet. */
static void classify_collection(struct dwarf_index *idx, struct rtype *t)
{
	const char *n = t->name;
	uint64_t off = 0, o2 = 0;
	struct rtype *x;

	if (starts(n, "alloc::collections::vec_deque::VecDeque<")) {
		struct rfield *buf = field(t, "buf"), *head = field(t, "head"), *len = field(t, "len");
		struct rtype *inner;

		if (!buf || !head || !len || !t->target || !t->target->sized)
			return;
		/* RawVec<T> { inner: RawVecInner { ptr, cap: Cap(usize), alloc } } */
		off = buf->off;
		inner = path(buf->type, &off, (const char *const[]){ "inner", NULL });
		if (!inner || !field(inner, "ptr") || !field(inner, "cap"))
			return;
		o2 = off + field(inner, "cap")->off;
		x = leaf_int(field(inner, "cap")->type, &o2, 0);
		if (!x || x->size != 8 || !find_ptr(field(inner, "ptr")->type, off + field(inner, "ptr")->off,
						    &off, 0))
			return;
		t->kind = RK_DEQUE;
		t->ptr_off = off;
		t->cap_off = o2;
		t->head_off = head->off;
		t->len_off = len->off;
	} else if (starts(n, "std::collections::hash::map::HashMap<") ||
		   starts(n, "std::collections::hash::set::HashSet<")) {
		bool set = starts(n, "std::collections::hash::set::");
		struct rtype *raw, *inner;
		struct rfield *ctrl, *mask, *items;

		raw = path(t, &off, set ? (const char *const[]){ "base", "map", "table", NULL }
					: (const char *const[]){ "base", "table", NULL });
		if (!raw || !raw->target || !raw->target->sized)
			return;
		inner = path(raw, &off, (const char *const[]){ "table", NULL });
		ctrl = inner ? field(inner, "ctrl") : NULL;
		mask = inner ? field(inner, "bucket_mask") : NULL;
		items = inner ? field(inner, "items") : NULL;
		if (!ctrl || !mask || !items || !find_ptr(ctrl->type, off + ctrl->off, &o2, 0))
			return;
		x = raw->target; /* (K, V), or (K, ()) for a set */
		if (x->kind != RK_TUPLE || x->nfields != 2)
			return;
		t->kind = RK_HASHMAP;
		t->is_set = set;
		t->target = x;
		t->ptr_off = o2;
		t->cap_off = off + mask->off;
		t->len_off = off + items->off;
		t->key = x->fields[0].type;
		t->key_off = x->fields[0].off;
		t->val = set ? NULL : x->fields[1].type;
		t->val_off = x->fields[1].off;
	} else if (starts(n, "alloc::collections::btree::map::BTreeMap<")) {
		classify_btree(idx, t, t, 0);
	} else if (starts(n, "alloc::collections::btree::set::BTreeSet<")) {
		struct rfield *m = field(t, "map");

		if (m && m->type && m->type->kind == RK_BTREE) {
			t->kind = RK_BTREE;
			t->is_set = true;
			t->ptr_off = m->off + m->type->ptr_off;
			t->head_off = m->off + m->type->head_off;
			t->len_off = m->off + m->type->len_off;
			t->leaf = m->type->leaf;
			t->internal_size = m->type->internal_size;
			t->node_len_off = m->type->node_len_off;
			t->node_keys_off = m->type->node_keys_off;
			t->node_vals_off = m->type->node_vals_off;
			t->node_edges_off = m->type->node_edges_off;
			t->count = m->type->count;
			t->key = m->type->key;
			t->val = NULL;
		}
	}
	if (t->kind == RK_BTREE) {
		t->key = uninit_inner(t->key);
		if (!t->is_set)
			t->val = uninit_inner(t->val);
		if (!t->key || !t->key->sized || (!t->is_set && (!t->val || !t->val->sized)))
			t->kind = RK_STRUCT;

	}
}

static void classify_struct(struct dwarf_index *idx, struct rtype *t, const char *ns)
{
	struct rfield *dp = field(t, "data_ptr"), *len = field(t, "length");
	const char *n = t->name;

	if (t->kind == RK_ENUM)
		return;
	/* trait objects: the concrete type comes from the vtable at run time */
	if (strstr(n, "dyn ")) {
		struct rfield *p = field(t, "pointer"), *vt = field(t, "vtable");

		t->kind = RK_UNKNOWN;
		if (p && vt && t->nfields == 2 && t->size == 16 &&
		    (starts(n, "&dyn ") || starts(n, "&mut dyn ") ||
		     starts(n, "alloc::boxed::Box<dyn "))) {
			t->kind = RK_DYN;
			t->ptr_off = p->off;
			t->len_off = vt->off;
		}
		return;
	}
	if (dp && len && t->nfields == 2 &&
	    (!strcmp(n, "&std::path::Path") || !strcmp(n, "&std::ffi::os_str::OsStr") ||
	     !strcmp(n, "&mut std::path::Path") || !strcmp(n, "&mut std::ffi::os_str::OsStr"))) {
		t->kind = RK_STR;
		t->os_str = true;
		t->ptr_off = dp->off;
		t->len_off = len->off;
		return;
	}
	if (dp && len && t->nfields == 2) {
		t->ptr_off = dp->off;
		t->len_off = len->off;
		t->target = dp->type ? dp->type->target : NULL;
		/* &str, &mut str, Box<str>: the pointee type is u8 but the value is UTF-8. */
		if (strcmp(n, "&str") == 0 || strcmp(n, "&mut str") == 0 || strstr(n, "<str"))
			t->kind = RK_STR;
		else
			t->kind = RK_SLICE;
		return;
	}
	if (strcmp(ns, "alloc::string::") == 0 && strcmp(t->debug_name, "String") == 0) {
		struct rfield *vec = field(t, "vec");

		if (vec && vec->type && vec->type->kind == RK_VEC) {
			t->kind = RK_STRING;
			t->ptr_off = vec->off + vec->type->ptr_off;
			t->len_off = vec->off + vec->type->len_off;
		}
		return;
	}
	if (strcmp(ns, "alloc::vec::") == 0 && strcmp(t->debug_name, "Vec") == 0) {
		struct rfield *buf = field(t, "buf"), *l = field(t, "len");
		uint64_t p;

		if (buf && l && find_ptr(buf->type, buf->off, &p, 0)) {
			t->ptr_off = p;
			t->len_off = l->off;
			return;
		}
		t->kind = RK_STRUCT; /* unknown layout: printed as a plain struct, never guessed */
		return;
	}
	if (n[0] == '(') {
		t->kind = RK_TUPLE;
		return;
	}
	classify_std(idx, t);
	classify_collection(idx, t);
}

/* Enumerators of a fieldless enum; values kept as the low `size` bytes (i8 -1 is 0xff). */
static int load_enumerators(struct dwarf_index *idx, Dwarf_Die die, struct rtype *t)
{
	Dwarf_Die child = NULL, next;
	int cap = 0;
	uint64_t mask;

	if (!t->sized || t->size == 0 || t->size > 8)
		return -EINVAL;
	mask = t->size == 8 ? ~0ull : (1ull << (8 * t->size)) - 1;
	if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
		return 0;
	while (child) {
		Dwarf_Half tag = 0;

		dwarf_tag(child, &tag, NULL);
		if (tag == DW_TAG_enumerator) {
			struct rvariant *v = grow_array(t->variants, &cap, t->nvariants + 1, sizeof(*v));

			if (!v)
				break;
			t->variants = v;
			v = &v[t->nvariants++];
			v->name = die_str(idx, child, DW_AT_name);
			v->has_discr = die_udata(child, DW_AT_const_value, &v->discr);
			v->discr &= mask;
		}
		next = NULL;
		if (dwarf_siblingof_b(idx->dbg, child, 1, &next, NULL) != DW_DLV_OK)
			next = NULL;
		dwarf_dealloc_die(child);
		child = next;
	}
	/* moved into the arena like fields */
	if (t->nvariants) {
		struct rvariant *a = arena_alloc(idx, sizeof(*a) * t->nvariants);

		if (a)
			memcpy(a, t->variants, sizeof(*a) * t->nvariants);
		free(t->variants);
		t->variants = a;
		if (!a) {
			t->nvariants = 0;
			return -ENOMEM;
		}
	}
	return 0;
}

static struct rtype *load_type(struct dwarf_index *idx, uint64_t off)
{
	struct rtype **slot = type_slot(idx, off), *t;
	Dwarf_Die die;
	Dwarf_Half tag = 0;
	uint64_t toff = 0, enc = 0;
	char nsbuf[1024], full[2048];
	char *name;

	if (!slot)
		return NULL;
	if (*slot)
		return *slot;
	die = die_at(idx, off);
	if (!die)
		return NULL;
	t = arena_alloc(idx, sizeof(*t));
	if (!t) {
		dwarf_dealloc_die(die);
		return NULL;
	}
	t->die = off;
	*slot = t;
	idx->ntypes++;
	dwarf_tag(die, &tag, NULL);
	name = die_str(idx, die, DW_AT_name);
	t->sized = die_udata(die, DW_AT_byte_size, &t->size);
	ns_path(idx, ns_of(idx, off), nsbuf, sizeof(nsbuf));

	switch (tag) {
	case DW_TAG_base_type:
		t->name = name;
		die_udata(die, DW_AT_encoding, &enc);
		if (name && strcmp(name, "()") == 0)
			t->kind = RK_UNIT;
		else if (enc == DW_ATE_boolean)
			t->kind = RK_BOOL;
		else if (enc == DW_ATE_UTF)
			t->kind = RK_CHAR;
		else if (enc == DW_ATE_signed || enc == DW_ATE_signed_char)
			t->kind = RK_INT;
		else if (enc == DW_ATE_unsigned || enc == DW_ATE_unsigned_char)
			t->kind = RK_UINT;
		else if (enc == DW_ATE_float)
			t->kind = RK_FLOAT;
		break;
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
		t->name = name;
		if (!t->sized) {
			t->size = 8;
			t->sized = true;
		}
		if (die_ref(die, DW_AT_type, &toff))
			t->target = load_type(idx, toff);
		if (name && (name[0] == '&' || starts(name, "alloc::boxed::Box<")))
			t->kind = RK_REF;
		else
			t->kind = RK_PTR;
		break;
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
		snprintf(full, sizeof(full), "%s%s", name && name[0] != '&' && name[0] != '(' ? nsbuf : "",
			 name ? name : "?");
		t->name = arena_strdup(idx, full);
		t->debug_name = debug_name(idx, name);
		if (tag == DW_TAG_union_type) {
			/* members read for MaybeUninit<T>.value; a union itself is not printable */
			load_members(idx, die, t);
			t->kind = RK_UNKNOWN;
			break;
		}
		t->kind = RK_STRUCT;
		if (strcmp(nsbuf, "alloc::vec::") == 0 && starts(name, "Vec<"))
			t->kind = RK_VEC;
		load_members(idx, die, t);
		classify_struct(idx, t, nsbuf);
		break;
	case DW_TAG_enumeration_type:
		snprintf(full, sizeof(full), "%s%s", nsbuf, name ? name : "?");
		t->name = arena_strdup(idx, full);
		t->debug_name = debug_name(idx, name);
		t->kind = load_enumerators(idx, die, t) ? RK_UNKNOWN : RK_CENUM;
		break;
	case DW_TAG_array_type: {
		Dwarf_Die sub = NULL;
		uint64_t count = 0, ub = 0;

		if (die_ref(die, DW_AT_type, &toff))
			t->target = load_type(idx, toff);
		if (dwarf_child(die, &sub, NULL) == DW_DLV_OK) {
			if (die_udata(sub, DW_AT_count, &count))
				t->count = count;
			else if (die_udata(sub, DW_AT_upper_bound, &ub))
				t->count = ub + 1;
			dwarf_dealloc_die(sub);
		}
		t->kind = t->target ? RK_ARRAY : RK_UNKNOWN;
		if (t->target && t->target->sized) {
			t->size = t->count * t->target->size;
			t->sized = true;
		}
		snprintf(full, sizeof(full), "[%s; %llu]", t->target && t->target->name ? t->target->name : "?",
			 (unsigned long long)t->count);
		t->name = arena_strdup(idx, full);
		break;
	}
	case DW_TAG_typedef:
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
		if (die_ref(die, DW_AT_type, &toff)) {
			struct rtype *u = load_type(idx, toff);

			if (u) {
				uint64_t keep = t->die;

				*t = *u;
				t->die = keep;
			}
		}
		break;
	default:
		snprintf(full, sizeof(full), "%s%s", nsbuf, name ? name : "?");
		t->name = arena_strdup(idx, full);
		t->kind = RK_UNKNOWN;
		break;
	}
	if (!t->name)
		t->name = "?";
	if (!t->debug_name)
		t->debug_name = t->name;
	dwarf_dealloc_die(die);
	return t;
}

int dwarf_index__funcs_named(struct dwarf_index *idx, const char *name, struct rfunc **out, int max)
{
	int i, n = 0;

	for (i = 0; i < idx->nfuncs; i++) {
		if (!idx->funcs[i].name || strcmp(idx->funcs[i].name, name))
			continue;
		if (n < max)
			out[n] = &idx->funcs[i];
		n++;
	}
	return n;
}

bool dwarf_index__inlined_named(struct dwarf_index *idx, const char *name)
{
	int i;

	for (i = 0; i < idx->ninlined; i++)
		if (!strcmp(idx->inlined[i], name))
			return true;
	return false;
}

/* "&dyn a::T", "&mut dyn a::T", "alloc::boxed::Box<dyn a::T, A>" -> "a::T"; NULL if more than one trait. */
static bool trait_of(const char *name, char *buf, size_t len)
{
	const char *p = strstr(name, "dyn ");
	size_t n = 0;
	int depth = 0;

	if (!p)
		return false;
	for (p += 4; *p && n + 1 < len; p++) {
		if (*p == '<')
			depth++;
		else if (*p == '>' && depth-- == 0)
			break;
		else if ((*p == ',' || *p == '+') && depth == 0)
			break;
		buf[n++] = *p;
	}
	buf[n] = 0;
	/* "dyn A + Send" vtables are named after the principal trait only: do not guess */
	return n && *p != '+' && !strchr(buf, ' ');
}

int dwarf_index__dyn_impls(struct dwarf_index *idx, struct rtype *t)
{
	char trait[512], suffix[600];
	size_t sl;
	int i, cap = 0;

	if (t->kind != RK_DYN || t->impls)
		return 0;
	if (!trait_of(t->name, trait, sizeof(trait)))
		return -ENOENT;
	snprintf(suffix, sizeof(suffix), " as %s>::{vtable}", trait);
	sl = strlen(suffix);
	for (i = 0; i < idx->nvtables; i++) {
		const struct vtable_var *v = &idx->vtables[i];
		size_t nl = strlen(v->name);
		struct rimpl *ni;
		Dwarf_Die die;
		uint64_t ct = 0;

		if (nl <= sl || strcmp(v->name + nl - sl, suffix))
			continue;
		die = die_at(idx, v->type_die);
		if (!die)
			continue;
		if (die_ref(die, DW_AT_containing_type, &ct)) {
			ni = grow_array(t->impls, &cap, t->nimpls + 1, sizeof(*ni));
			if (ni) {
				t->impls = ni;
				ni[t->nimpls].vtable = v->addr;
				ni[t->nimpls].type = load_type(idx, ct);
				if (ni[t->nimpls].type)
					t->nimpls++;
			}
		}
		dwarf_dealloc_die(die);
	}
	if (t->nimpls) {
		struct rimpl *a = arena_alloc(idx, sizeof(*a) * t->nimpls);

		if (a)
			memcpy(a, t->impls, sizeof(*a) * t->nimpls);
		free(t->impls);
		t->impls = a;
		if (!a)
			t->nimpls = 0;
	}
	for (i = 0; i < t->nimpls; i++)
		if (t->impls[i].type->sized && t->impls[i].type->size > t->dyn_size)
			t->dyn_size = t->impls[i].type->size;
	return 0;
}

struct rtype *dwarf_index__type_by_name(struct dwarf_index *idx, const char *name)
{
	size_t i;

	for (i = 0; i < idx->captypes; i++)
		if (idx->types[i] && strcmp(idx->types[i]->name, name) == 0)
			return idx->types[i];
	return NULL;
}

/* ---- parameters and locations ---- */

static void parse_entry_value(struct rop *op)
{
	const uint8_t *b = (const uint8_t *)(uintptr_t)op->op2;

	if (!b || op->op1 == 0)
		return;
	op->sub_atom = b[0];
	if (b[0] == DW_OP_regx && op->op1 >= 2)
		op->sub_op1 = b[1] & 0x7f;
}

static int load_locs(struct dwarf_index *idx, Dwarf_Die die, struct rparam *p)
{
	Dwarf_Attribute attr;
	Dwarf_Loc_Head_c head = NULL;
	Dwarf_Unsigned n = 0, i, j;
	unsigned int kind = 0;
	int err = 0;

	if (dwarf_attr(die, DW_AT_location, &attr, NULL) != DW_DLV_OK)
		return 0; /* optimized out */
	if (dwarf_get_loclist_c(attr, &head, &n, NULL) != DW_DLV_OK) {
		dwarf_dealloc_attribute(attr);
		return 0;
	}
	dwarf_get_loclist_head_kind(head, &kind, NULL);
	p->is_list = kind != DW_LKIND_expression;
	p->locs = arena_alloc(idx, sizeof(*p->locs) * (n ? n : 1));
	for (i = 0; p->locs && i < n; i++) {
		Dwarf_Small lle, src;
		Dwarf_Unsigned rawlo, rawhi, opcount, eoff, doff;
		Dwarf_Bool unavail;
		Dwarf_Addr lo, hi;
		Dwarf_Locdesc_c desc;
		struct rloc *l = &p->locs[p->nlocs];

		if (dwarf_get_locdesc_entry_d(head, i, &lle, &rawlo, &rawhi, &unavail, &lo, &hi,
					      &opcount, &desc, &src, &eoff, &doff,
					      NULL) != DW_DLV_OK)
			continue;
		if (!p->is_list) {
			lo = 0;
			hi = UINT64_MAX;
		}
		if (opcount == 0 || hi <= lo)
			continue;
		l->lo = lo;
		l->hi = hi;
		l->ops = arena_alloc(idx, sizeof(*l->ops) * opcount);
		if (!l->ops) {
			err = -ENOMEM;
			break;
		}
		for (j = 0; j < opcount; j++) {
			Dwarf_Small atom;
			Dwarf_Unsigned o1, o2, o3, r1, r2, r3, br;

			if (dwarf_get_location_op_value_d(desc, j, &atom, &o1, &o2, &o3, &r1, &r2,
							  &r3, &br, NULL) != DW_DLV_OK)
				break;
			l->ops[j] = (struct rop){ .atom = atom, .op1 = o1, .op2 = o2 };
			if (atom == DW_OP_entry_value || atom == DW_OP_GNU_entry_value)
				parse_entry_value(&l->ops[j]);
		}
		l->nops = (int)j;
		p->nlocs++;
	}
	dwarf_loc_head_c_dealloc(head);
	dwarf_dealloc_attribute(attr);
	return err;
}

/*
 * rustc emits some arguments (zero-sized ones, macro-generated names) as an
 * unnamed DW_TAG_formal_parameter plus a named DW_TAG_variable of the same
 * type declared on the same line: the variable carries the name.
 */
static void name_unnamed_param(struct dwarf_index *idx, struct rfunc *f, Dwarf_Die var)
{
	uint64_t toff = 0, line = 0;
	struct rtype *t;
	int i;

	if (!die_ref(var, DW_AT_type, &toff) || !die_udata(var, DW_AT_decl_line, &line))
		return;
	t = load_type(idx, toff);
	for (i = 0; i < f->nparams; i++) {
		struct rparam *p = &f->params[i];

		if (!p->name && p->type == t && p->decl_line == line) {
			p->name = die_str(idx, var, DW_AT_name);
			return;
		}
	}
}

int dwarf_index__load(struct dwarf_index *idx, struct rfunc *f)
{
	Dwarf_Die die, child = NULL, next, odie = NULL;
	uint64_t toff = 0, origin = 0;
	Dwarf_Attribute attr;
	int cap = 0, err = 0;

	if (f->loaded)
		return 0;
	die = die_at(idx, f->die);
	if (!die)
		return -ENOENT;
	if (die_ref(die, DW_AT_abstract_origin, &origin) || die_ref(die, DW_AT_specification, &origin))
		odie = die_at(idx, origin);
	if (die_ref(die, DW_AT_type, &toff) || (odie && die_ref(odie, DW_AT_type, &toff)))
		f->ret = load_type(idx, toff);
	f->frame_base_reg = -2;
	if (dwarf_attr(die, DW_AT_frame_base, &attr, NULL) == DW_DLV_OK) {
		Dwarf_Ptr blk;
		Dwarf_Unsigned len;

		if (dwarf_formexprloc(attr, &len, &blk, NULL) == DW_DLV_OK && len >= 1) {
			uint8_t op = *(uint8_t *)blk;

			if (op >= DW_OP_reg0 && op <= DW_OP_reg31)
				f->frame_base_reg = op - DW_OP_reg0;
			else if (op == DW_OP_call_frame_cfa)
				f->frame_base_reg = -1;
		}
		dwarf_dealloc_attribute(attr);
	}
	if (dwarf_child(die, &child, NULL) == DW_DLV_OK) {
		while (child && !err) {
			Dwarf_Half tag = 0;

			dwarf_tag(child, &tag, NULL);
			if (tag == DW_TAG_formal_parameter) {
				struct rparam *np = grow_array(f->params, &cap, f->nparams + 1, sizeof(*np));
				struct rparam *p;
				Dwarf_Die pod = NULL;
				uint64_t po = 0;

				if (!np) {
					err = -ENOMEM;
					break;
				}
				f->params = np;
				p = &np[f->nparams++];
				if (die_ref(child, DW_AT_abstract_origin, &po))
					pod = die_at(idx, po);
				p->name = die_str(idx, child, DW_AT_name);
				if (!p->name && pod)
					p->name = die_str(idx, pod, DW_AT_name);
				if (die_ref(child, DW_AT_type, &toff) || (pod && die_ref(pod, DW_AT_type, &toff)))
					p->type = load_type(idx, toff);
				err = load_locs(idx, child, p);
				die_udata(child, DW_AT_decl_line, &p->decl_line);
				if (pod)
					dwarf_dealloc_die(pod);
			} else if (tag == DW_TAG_variable) {
				name_unnamed_param(idx, f, child);
			}
			next = NULL;
			if (dwarf_siblingof_b(idx->dbg, child, 1, &next, NULL) != DW_DLV_OK)
				next = NULL;
			dwarf_dealloc_die(child);
			child = next;
		}
		if (child)
			dwarf_dealloc_die(child);
	}
	/* Parameters live in the arena like everything else. */
	if (f->nparams) {
		struct rparam *ap = arena_alloc(idx, sizeof(*ap) * f->nparams);

		if (ap)
			memcpy(ap, f->params, sizeof(*ap) * f->nparams);
		free(f->params);
		f->params = ap;
		if (!ap)
			err = -ENOMEM;
	}
	if (odie)
		dwarf_dealloc_die(odie);
	dwarf_dealloc_die(die);
	f->loaded = !err;
	return err;
}

int dwarf_index__set_cfi_file(struct dwarf_index *idx, const char *exe)
{
	Dwarf_Error derr = NULL;
	int res;

	idx->cfi_fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (idx->cfi_fd < 0)
		return -errno;
	res = dwarf_init_b(idx->cfi_fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, dwarf_quiet, NULL,
			   &idx->cfi_dbg, &derr);
	if (res != DW_DLV_OK) {
		if (res == DW_DLV_ERROR)
			dwarf_dealloc_error(NULL, derr);
		idx->cfi_dbg = NULL;
		return -ENODATA;
	}
	return 0;
}

int dwarf_index__cfa(struct dwarf_index *idx, uint64_t pc, int *reg, int64_t *off)
{
	Dwarf_Fde fde;
	Dwarf_Addr lo, hi, row_pc, next_pc;
	Dwarf_Small vtype;
	Dwarf_Signed rel, r, o;
	Dwarf_Ptr blk;
	Dwarf_Bool more;

	if (!idx->fdes_loaded) {
		idx->fdes_loaded = true;
		if (dwarf_get_fde_list_eh(idx->cfi_dbg ? idx->cfi_dbg : idx->dbg, &idx->cies, &idx->ncies, &idx->fdes, &idx->nfdes,
					  NULL) != DW_DLV_OK)
			idx->fdes = NULL;
	}
	if (!idx->fdes)
		return -ENOENT;
	if (dwarf_get_fde_at_pc(idx->fdes, pc, &fde, &lo, &hi, NULL) != DW_DLV_OK)
		return -ENOENT;
	if (dwarf_get_fde_info_for_cfa_reg3_b(fde, pc, &vtype, &rel, &r, &o, &blk, &row_pc, &more,
					      &next_pc, NULL) != DW_DLV_OK)
		return -ENOENT;
	if (vtype != DW_EXPR_OFFSET || !rel)
		return -ENOTSUP;
	*reg = (int)r;
	*off = o;
	return 0;
}
