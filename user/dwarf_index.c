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
#include "dwarf_internal.h"
#include "grow.h"
#include "elf_image.h"
#include "demangle.h"

void *arena_alloc(struct dwarf_index *idx, size_t n)
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

char *arena_strdup(struct dwarf_index *idx, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = arena_alloc(idx, n);

	return d ? memcpy(d, s, n) : NULL;
}

char *die_str(struct dwarf_index *idx, Dwarf_Die die, Dwarf_Half at)
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

bool die_udata(Dwarf_Die die, Dwarf_Half at, uint64_t *out)
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

bool die_ref(Dwarf_Die die, Dwarf_Half at, uint64_t *out)
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

bool die_flag(Dwarf_Die die, Dwarf_Half at)
{
	Dwarf_Bool b = 0;

	return dwarf_hasattr(die, at, &b, NULL) == DW_DLV_OK && b;
}

uint64_t die_offset(Dwarf_Die die)
{
	Dwarf_Off off = 0;

	dwarf_dieoffset(die, &off, NULL);
	return off;
}

Dwarf_Die die_at(struct dwarf_index *idx, uint64_t off)
{
	Dwarf_Die die = NULL;

	if (dwarf_offdie_b(idx->dbg, off, 1, &die, NULL) != DW_DLV_OK)
		return NULL;
	return die;
}

/* Innermost namespace containing a DIE offset. */
int ns_of(const struct dwarf_index *idx, uint64_t off)
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

void ns_path(const struct dwarf_index *idx, int ns, char *buf, size_t len)
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

static int row_cmp(const void *a, const void *b)
{
	const struct line_row *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

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
		/* sequences come in any order: sorted, one function's rows are a range */
		qsort(cu->rows, cu->nrows, sizeof(*cu->rows), row_cmp);
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
	int a = 0, b = cu->nrows;

	while (a < b) {
		int mid = (a + b) / 2;

		if (cu->rows[mid].addr <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	for (; a < cu->nrows && cu->rows[a].addr < hi; a++) {
		if (cu->rows[a].prologue_end)
			return cu->rows[a].addr;
		if (cu->rows[a].stmt && !best)
			best = cu->rows[a].addr;
	}
	return best ? best : lo;
}

/* ---- functions ---- */

/*
 * What naming a function needs from DWARF. Its declaration may sit in a CU
 * not walked yet (at opt-level >= 1 a concrete DIE refers to an abstract
 * instance or declaration in another CU), so namespaces, crate, name and
 * file are resolved by name_funcs() once every CU is walked.
 */
struct fn_todo {
	int func;
	int ns; /* namespace around the DIE itself, -1 if none */
	uint64_t decl; /* last DIE of the origin/specification chain */
	uint64_t file_die, decl_file; /* DW_AT_decl_file indexes the files of file_die's CU */
	const char *dwname; /* DW_AT_name */
	const char **tparams; /* template type parameter names (legacy symbols only) */
	int ntparams;
};

struct todo {
	struct fn_todo *v;
	int n, cap;
};

#define MAX_CHAIN 8
#define MAX_TPARAMS 64

/* Names of the DW_TAG_template_type_parameter children of die, in order. */
static void read_tparams(struct dwarf_index *idx, Dwarf_Die die, struct fn_todo *t)
{
	const char *names[MAX_TPARAMS];
	Dwarf_Die child = NULL, next;
	bool ok = true;
	int n = 0;

	if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
		return;
	while (child) {
		Dwarf_Half tag = 0;

		dwarf_tag(child, &tag, NULL);
		if (tag == DW_TAG_template_type_parameter) {
			if (n == MAX_TPARAMS || !(names[n] = die_str(idx, child, DW_AT_name)))
				ok = false; /* then no argument is matched to a name */
			else
				n++;
		}
		next = NULL;
		if (dwarf_siblingof_b(idx->dbg, child, 1, &next, NULL) != DW_DLV_OK)
			next = NULL;
		dwarf_dealloc_die(child);
		child = next;
	}
	if (!ok || !n || !(t->tparams = arena_alloc(idx, sizeof(*names) * n)))
		return;
	memcpy(t->tparams, names, sizeof(*names) * n);
	t->ntparams = n;
}

/*
 * An abstract Debug::fmt (inlined everywhere, no code of its own): remembered
 * so that a type whose fmt was inlined is not taken for one without Debug impl.
 */
static void note_inlined(struct dwarf_index *idx, Dwarf_Die die)
{
	char *linkage = die_str(idx, die, DW_AT_linkage_name), *d;
	struct fn_todo t = { 0 };
	struct dw_fn dw = { 0 };
	char **n;

	if (!linkage || !strstr(linkage, "Debug$GT$3fmt"))
		return;
	/* named like functions with code, so that the same names find it */
	dw.name = die_str(idx, die, DW_AT_name);
	if (dw.name && dw.name[0] && strchr(dw.name + 1, '<'))
		read_tparams(idx, die, &t);
	dw.tparams = t.tparams;
	dw.ntparams = t.ntparams;
	d = demangle__display(linkage, &dw);
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

/*
 * Fills t (and the linkage name) from die and, for what die lacks, from the
 * DIEs it refers to: DW_AT_abstract_origin (a concrete copy of an inlined
 * function) and DW_AT_specification (a definition of a declaration), which
 * may chain: concrete -> abstract instance -> declaration in its struct.
 */
static char *describe(struct dwarf_index *idx, Dwarf_Die die, struct fn_todo *t, uint64_t *line)
{
	Dwarf_Die d = die, od;
	char *linkage = NULL;
	uint64_t ref, off = die_offset(die);
	int hops;

	for (hops = 0; d; hops++) {
		if (!linkage)
			linkage = die_str(idx, d, DW_AT_linkage_name);
		/* rustc puts them beside the name; v0 symbols have no use for them */
		if (!t->dwname && (t->dwname = die_str(idx, d, DW_AT_name)) && t->dwname[0] &&
		    strchr(t->dwname + 1, '<') && !(linkage && !strncmp(linkage, "_R", 2)))
			read_tparams(idx, d, t);
		if (!t->file_die && die_udata(d, DW_AT_decl_file, &t->decl_file))
			t->file_die = off;
		if (!*line)
			die_udata(d, DW_AT_decl_line, line);
		t->decl = off;
		od = NULL;
		if (hops < MAX_CHAIN && (die_ref(d, DW_AT_abstract_origin, &ref) ||
					 die_ref(d, DW_AT_specification, &ref))) {
			od = die_at(idx, ref);
			off = ref;
		}
		if (d != die)
			dwarf_dealloc_die(d);
		d = od;
	}
	return linkage;
}

static int add_func(struct dwarf_index *idx, struct cu_info *cu, Dwarf_Die die, int ns,
		    struct todo *td)
{
	Dwarf_Addr lo = 0, hi = 0;
	Dwarf_Half form;
	enum Dwarf_Form_Class cls;
	uint64_t line = 0;
	struct fn_todo *t;
	struct rfunc *f;

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
	f = grow_array(idx->funcs, &idx->capfuncs, idx->nfuncs + 1, sizeof(*idx->funcs));
	if (!f)
		return -ENOMEM;
	idx->funcs = f;
	t = grow_array(td->v, &td->cap, td->n + 1, sizeof(*td->v));
	if (!t)
		return -ENOMEM;
	td->v = t;
	t = &td->v[td->n++];
	memset(t, 0, sizeof(*t));
	t->func = idx->nfuncs;
	t->ns = ns;
	f = &idx->funcs[idx->nfuncs];
	f->id = idx->nfuncs++;
	f->linkage = describe(idx, die, t, &line);
	f->low_pc = lo;
	f->high_pc = hi;
	f->die = die_offset(die);
	f->line = (int)line;
	f->main = die_flag(die, DW_AT_main_subprogram);
	if (!cu->lines_loaded)
		load_lines(idx, cu);
	f->body_pc = body_pc(cu, lo, hi);
	return 0;
}

struct cu_info *cu_of(struct dwarf_index *idx, uint64_t off)
{
	int lo = 0, hi = idx->ncus - 1, best = -1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (idx->cus[mid].off <= off) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return best >= 0 ? &idx->cus[best] : NULL;
}

static void set_file(struct dwarf_index *idx, struct rfunc *f, const struct fn_todo *t)
{
	struct cu_info *cu = t->file_die ? cu_of(idx, t->file_die) : NULL;
	int fi;

	if (!cu || !t->decl_file)
		return;
	if (!cu->lines_loaded)
		load_lines(idx, cu);
	/* DWARF 5 file indexes are 0-based, earlier ones 1-based. */
	fi = cu->version >= 5 ? (int)t->decl_file : (int)t->decl_file - 1;
	if (fi >= 0 && fi < cu->nfiles)
		f->file = cu->files[fi];
}

/* Crate, name and file of each function, now that every namespace is known. */
static int name_funcs(struct dwarf_index *idx, const struct todo *td)
{
	const char *chain[64];
	char pathbuf[1024];
	int i, n, ns;

	for (i = 0; i < td->n; i++) {
		const struct fn_todo *t = &td->v[i];
		struct rfunc *f = &idx->funcs[t->func];
		struct dw_fn dw = { t->dwname, NULL, 0, t->tparams, t->ntparams };
		char *d = NULL;

		ns = t->ns >= 0 ? t->ns : ns_of(idx, t->decl);
		f->crate = (char *)ns_crate(idx, ns);
		for (n = 0; ns >= 0 && n < 64; ns = idx->ns[ns].parent)
			chain[63 - n++] = idx->ns[ns].name;
		dw.ns = chain + 64 - n;
		dw.nns = ns < 0 ? n : 0; /* deeper than 64: no namespaces rather than wrong ones */
		if (f->linkage)
			d = demangle__display(f->linkage, &dw);
		if (d) {
			f->name = arena_strdup(idx, d);
			free(d);
		} else {
			ns_path(idx, t->ns >= 0 ? t->ns : ns_of(idx, t->decl), pathbuf,
				sizeof(pathbuf));
			strncat(pathbuf, t->dwname ? t->dwname : "?",
				sizeof(pathbuf) - strlen(pathbuf) - 1);
			f->name = arena_strdup(idx, pathbuf);
		}
		if (!f->name)
			return -ENOMEM;
		set_file(idx, f, t);
		if (f->main && f->crate)
			idx->main_crate = f->crate;
	}
	return 0;
}

/* `end`: offset where the parent's DIEs stop, so a namespace ends at its next sibling. */
static int walk(struct dwarf_index *idx, struct cu_info *cu, Dwarf_Die parent, int ns, uint64_t end,
		struct todo *td)
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
			err = walk(idx, cu, child, me, idx->ns[me].end, td);
		} else if (tag == DW_TAG_subprogram) {
			err = add_func(idx, cu, child, ns, td);
		} else if (tag == DW_TAG_variable) {
			note_vtable(idx, child);
		} else if (tag == DW_TAG_structure_type || tag == DW_TAG_enumeration_type ||
			   tag == DW_TAG_union_type) {
			/* older rustc (1.63) nests inherent methods, with code, in their type */
			err = walk(idx, cu, child, ns, end, td);
		}
		dwarf_dealloc_die(child);
		child = next;
	}
	if (child)
		dwarf_dealloc_die(child);
	return err;
}

void dwarf_quiet(Dwarf_Error err, Dwarf_Ptr arg)
{
	(void)err;
	(void)arg;
}

int dwarf_index__open(const char *path, struct dwarf_index **out)
{
	struct dwarf_index *idx;
	Dwarf_Error derr = NULL;
	struct todo td = { 0 };
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
		err = walk(idx, ci, cu, -1, next, &td);
		dwarf_dealloc_die(cu);
		if (err)
			goto cleanup;
	}
	err = name_funcs(idx, &td);
	if (err)
		goto cleanup;
	free(td.v);
	*out = idx;
	return 0;
cleanup:
	free(td.v);
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
		if (!func || !size || !(d = demangle__display(sym, NULL)))
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

