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
	t = dwarf_types__load(idx, toff);
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
	uint64_t toff = 0, origin = 0, cc = 0;
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
		f->ret = dwarf_types__load(idx, toff);
	if (die_udata(die, DW_AT_calling_convention, &cc) ||
	    (odie && die_udata(odie, DW_AT_calling_convention, &cc)))
		f->nocall = cc == DW_CC_nocall;
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
					p->type = dwarf_types__load(idx, toff);
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
