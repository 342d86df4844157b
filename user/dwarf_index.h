/* SPDX-License-Identifier: MIT */
/* Functions and Rust types of one ELF binary, read from its DWARF. */
#ifndef DWARF_INDEX_H
#define DWARF_INDEX_H
#include <stdbool.h>
#include <stdint.h>

enum rkind {
	RK_UNKNOWN = 0,
	RK_UNIT,
	RK_BOOL,
	RK_CHAR,
	RK_INT,
	RK_UINT,
	RK_FLOAT,
	RK_STRUCT, /* named struct, tuple struct or unit struct */
	RK_TUPLE,
	RK_ARRAY, /* [T; N] */
	RK_REF, /* &T, &mut T, Box<T>: printed as the pointee */
	RK_PTR, /* *const T, *mut T: printed as an address */
	RK_STR, /* &str, Box<str>: {data_ptr, length} */
	RK_SLICE, /* &[T], Box<[T]>: {data_ptr, length} */
	RK_STRING, /* alloc::string::String */
	RK_VEC, /* alloc::vec::Vec<T> */
	RK_ENUM, /* has a DW_TAG_variant_part */
};

struct rtype;

struct rfield {
	char *name;
	uint64_t off;
	struct rtype *type;
};

struct rvariant {
	char *name;
	bool has_discr; /* false: the default variant */
	uint64_t discr;
	struct rtype *type; /* struct holding the variant's fields */
};

struct rtype {
	enum rkind kind;
	char *name; /* as in "type": "u8", "&str", "demo::Point" */
	char *debug_name; /* as derived Debug prints it: "Point" */
	uint64_t size;
	bool sized; /* DW_AT_byte_size present */
	struct rtype *target; /* pointee, or element of ARRAY/SLICE/VEC */
	uint64_t count; /* ARRAY */
	struct rfield *fields;
	int nfields;
	bool tuple_fields; /* members are __0, __1, … */
	/* RK_STR/RK_SLICE/RK_STRING/RK_VEC: where the data pointer and length live */
	uint64_t ptr_off, len_off;
	/* RK_ENUM */
	struct rfield discr; /* type NULL: single variant, no discriminant */
	struct rvariant *variants;
	int nvariants;
	uint64_t die;
	bool loading;
};

/* One operation of a DWARF location expression. */
struct rop {
	uint8_t atom;
	uint64_t op1, op2;
	/* DW_OP_entry_value: the nested expression's first op */
	uint8_t sub_atom;
	uint64_t sub_op1;
};

/* A location expression valid for pc in [lo, hi). */
struct rloc {
	uint64_t lo, hi;
	struct rop *ops;
	int nops;
};

struct rparam {
	char *name;
	struct rtype *type;
	struct rloc *locs;
	int nlocs;
	bool is_list; /* a location list (precise per pc) rather than one expression */
	uint64_t decl_line;
};

struct rfunc {
	int id;
	char *linkage;
	char *name; /* demangled, no hash */
	char *crate;
	char *file;
	int line;
	uint64_t low_pc, high_pc;
	uint64_t body_pc; /* after the prologue */
	bool inlined_only;
	bool main;
	uint64_t die; /* concrete DIE */
	/* filled by dwarf_index__load() */
	bool loaded;
	int frame_base_reg; /* DWARF register, or -1 for DW_OP_call_frame_cfa, -2 unknown */
	struct rparam *params;
	int nparams;
	struct rtype *ret; /* NULL: () */
};

struct dwarf_index;

int dwarf_index__open(const char *path, struct dwarf_index **out);
void dwarf_index__free(struct dwarf_index *idx);
int dwarf_index__nfuncs(const struct dwarf_index *idx);
struct rfunc *dwarf_index__func(struct dwarf_index *idx, int i);
/* Crate owning the function marked DW_AT_main_subprogram, or NULL. */
const char *dwarf_index__main_crate(const struct dwarf_index *idx);
/* Reads parameters, their locations and types. */
int dwarf_index__load(struct dwarf_index *idx, struct rfunc *f);
/*
 * Reads .eh_frame from exe instead: a separate debug file (objcopy
 * --only-keep-debug) keeps .eh_frame only as an empty NOBITS section.
 */
int dwarf_index__set_cfi_file(struct dwarf_index *idx, const char *exe);
/* CFA rule at pc from .eh_frame: CFA = reg + off. */
int dwarf_index__cfa(struct dwarf_index *idx, uint64_t pc, int *reg, int64_t *off);
/* A type by name among those already loaded (tests). */
struct rtype *dwarf_index__type_by_name(struct dwarf_index *idx, const char *name);

#endif
