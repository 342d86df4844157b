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
	RK_CENUM, /* DW_TAG_enumeration_type: fieldless enum, `variants` are the enumerators */
	/* std types whose Debug is known, recognised by path (layouts from DWARF) */
	RK_INNER, /* Debug is the `inner` value's at inner_off: NonZero, Pin, Wrapping, atomics */
	RK_CELL, /* core::cell::Cell<T>: "Cell { value: T }" */
	RK_REFCELL, /* core::cell::RefCell<T>: borrow flag (isize) at len_off */
	RK_RC, /* Rc<T>/Arc<T>: pointer at ptr_off to `target` (RcInner/ArcInner), T at inner_off there */
	RK_DURATION, /* core::time::Duration: secs u64 at ptr_off, nanos u32 at len_off */
	RK_DEQUE, /* VecDeque<T>: buffer pointer at ptr_off, cap at cap_off, head at head_off, len at len_off */
	RK_HASHMAP, /* hashbrown table: ctrl at ptr_off, bucket_mask at cap_off, items at len_off; `target` = (K, V) or K */
	RK_BTREE, /* BTreeMap/BTreeSet: root node at ptr_off, height at head_off, length at len_off */
	RK_DYN, /* &dyn Trait / Box<dyn Trait>: data pointer at ptr_off, vtable at len_off */
	RK_FATPTR, /* *const [T], *const dyn T (NonNull too): address at ptr_off, metadata at len_off */
	RK_RANGE, /* core::ops ranges (`sub`): start at ptr_off, end at len_off, both `inner`;
		     RangeInclusive's exhausted flag at head_off */
	RK_LOCK, /* futex Mutex/RwLock (`sub`): u32 state at head_off, poison flag at len_off,
		    the data `inner` at inner_off */
	RK_TIMESPEC, /* Instant/SystemTime: tv_sec i64 at ptr_off, tv_nsec u32 at len_off */
	RK_FIXED, /* Debug prints a fixed text, debug_name ("Sender { .. }", "PhantomData<u8>") */
};

/* RK_RANGE, RK_LOCK, RK_DEQUE variants */
enum rsub {
	RSUB_RANGE = 0, /* a..b */
	RSUB_RANGE_INCL, /* a..=b */
	RSUB_RANGE_FROM, /* a.. */
	RSUB_RANGE_TO, /* ..b */
	RSUB_RANGE_TO_INCL, /* ..=b */
	RSUB_MUTEX = 0,
	RSUB_RWLOCK,
	RSUB_DEQUE_HEAD_LEN = 0, /* head at head_off, len at len_off (rustc >= 1.67) */
	RSUB_DEQUE_TAIL_HEAD, /* ring from tail (head_off) to head (len_off), cap a power of 2 */
	RSUB_RC_SIZED = 0,
	/*
	 * Rc<str>/Arc<str> (RC_STR), Rc<[T]>/Arc<[T]> (RC_SLICE): the fat
	 * pointer's address at ptr_off and length at len_off; the elements
	 * (`target`) at inner_off behind the address, after the counts
	 */
	RSUB_RC_STR,
	RSUB_RC_SLICE,
};

/* Whether a user type's Debug is the derived one (see debug_impl.h). */
enum rdebug {
	RDBG_UNCHECKED = 0,
	RDBG_DERIVED, /* <T as Debug>::fmt calls only what #[derive(Debug)] calls */
	RDBG_NONE, /* not a user struct/enum: no verdict needed */
	RDBG_CUSTOM, /* a manual impl: its output is not derivable from the layout */
	RDBG_UNKNOWN, /* could not be checked (inlined, unreadable code) */
	/*
	 * No code of a Debug impl in the binary: the program never formats the
	 * type, or it has no impl. Absence proves nothing about which impl it
	 * would be (an unused manual impl is not linked either).
	 */
	RDBG_ABSENT,
};

/* One concrete type behind a trait object: its vtable's address in the ELF file. */
struct rimpl {
	uint64_t vtable;
	struct rtype *type;
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
	uint64_t cap_off, head_off; /* RK_DEQUE, RK_HASHMAP, RK_BTREE */
	bool os_str; /* RK_STR/RK_STRING holding an OsStr/Path: Debug escapes invalid UTF-8 */
	bool is_set; /* RK_HASHMAP/RK_BTREE: a set, elements are keys only */
	/* RK_NONZERO/RK_CELL/RK_REFCELL/RK_RC: the wrapped value */
	struct rtype *inner;
	uint64_t inner_off;
	/* RK_HASHMAP/RK_BTREE: key and value types (value NULL for sets) and offsets in one element */
	struct rtype *key, *val;
	uint64_t key_off, val_off;
	/* RK_BTREE: LeafNode<K, V> and InternalNode<K, V> layouts */
	struct rtype *leaf;
	uint64_t node_len_off, node_keys_off, node_vals_off, node_edges_off, internal_size;
	/* RK_DYN: the concrete types that have a vtable for this trait */
	struct rimpl *impls;
	int nimpls;
	uint64_t dyn_size; /* bytes to read at the data pointer: the largest impl */
	uint8_t debug; /* enum rdebug, filled by debug_impl__check() */
	uint8_t sub; /* enum rsub */
	/* minor version of the rustc that built the type (1.x; std's Debug output varies), 0: unknown */
	uint16_t rustc;
	/* a std type whose Debug cannot be reproduced: why (the decoder shows its fields instead) */
	const char *nodebug;
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
	/* DW_OP_implicit_value of op1 <= 8 bytes: the bytes (little endian), else 0 with big */
	uint64_t value;
	bool big;
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
	/* DW_AT_frame_base = register (-1: the CFA, -2: not understood) + frame_base_off */
	int frame_base_reg;
	int64_t frame_base_off;
	struct rparam *params;
	int nparams;
	struct rtype *ret; /* NULL: () */
	/*
	 * DW_CC_nocall: LLVM changed the signature (dead argument or return
	 * value elimination, argument promotion), so the return registers need
	 * not hold the declared return value.
	 */
	bool nocall;
};

struct dwarf_index;

int dwarf_index__open(const char *path, struct dwarf_index **out);
struct elf_image;
/* --symbols-only: functions from ELF symbols, no parameters or types. */
int dwarf_index__from_symbols(const struct elf_image *img, struct dwarf_index **out);
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
/* Code ranges [lo, hi) of .eh_frame FDEs (Rust emits one per function): how many; fills out if given. */
size_t dwarf_index__code_ranges(struct dwarf_index *idx, uint64_t (*out)[2]);
/* CFA rule at pc from .eh_frame: CFA = reg + off. */
int dwarf_index__cfa(struct dwarf_index *idx, uint64_t pc, int *reg, int64_t *off);
/* Functions (with code) whose demangled name is `name`; returns how many, fills up to max. */
int dwarf_index__funcs_named(struct dwarf_index *idx, const char *name, struct rfunc **out, int max);
/* True if a subprogram named `name` exists only inlined (no out-of-line copy). */
bool dwarf_index__inlined_named(struct dwarf_index *idx, const char *name);
/* Fills the concrete types of a trait object type (RK_DYN) from the DWARF vtable variables. */
int dwarf_index__dyn_impls(struct dwarf_index *idx, struct rtype *t);
/* A type by name among those already loaded (tests). */
struct rtype *dwarf_index__type_by_name(struct dwarf_index *idx, const char *name);

#endif
