// SPDX-License-Identifier: MIT
/*
 * std types whose Debug output std's source fixes, recognised by path. The
 * layout always comes from the DWARF: anything unexpected leaves the type a
 * plain std struct, whose Debug the decoder then reports as unknown (and
 * whose fields it shows). Output that changed between rustc releases is
 * chosen by the release that built the type (t->rustc), verified against
 * rustc 1.63 and 1.95 (tests/fixtures/stdtypes.rs, tools/gen_std_golden.rs).
 */
#include <stdio.h>
#include <string.h>
#include "dwarf_internal.h"
#include "dwarf_types.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void set_inner(struct rtype *t, struct rtype *inner, uint64_t off)
{
	t->kind = RK_INNER;
	t->inner = inner;
	t->inner_off = off;
}

/* The one scalar inside single-field wrappers (AtomicPtr<T> -> UnsafeCell<*mut T> -> *mut T). */
static struct rtype *leaf_scalar(struct rtype *t, uint64_t *off, int depth)
{
	if (!t || depth > 8)
		return NULL;
	if (t->kind == RK_PTR || t->kind == RK_BOOL || t->kind == RK_INT || t->kind == RK_UINT)
		return t;
	if (t->nfields != 1 || t->kind == RK_ENUM)
		return NULL;
	*off += t->fields[0].off;
	return leaf_scalar(t->fields[0].type, off, depth + 1);
}

static struct rtype *bool_type(struct dwarf_index *idx)
{
	struct rtype *b = arena_alloc(idx, sizeof(*b));

	if (b) {
		b->kind = RK_BOOL;
		b->name = b->debug_name = (char *)"bool";
		b->size = 1;
		b->sized = true;
		b->debug = RDBG_NONE;
	}
	return b;
}

/* Debug prints a wrapped value: NonZero, Pin, NonNull, Wrapping, atomics (their load). */
static bool classify_wrapper(struct dwarf_index *idx, struct rtype *t)
{
	const char *n = t->name;
	struct rfield *f;
	struct rtype *x;
	uint64_t off = 0;

	if (dt_starts(n, "core::num::nonzero::NonZero")) {
		/* NonZero<u32> (rustc >= 1.79), NonZeroU32 before */
		x = dt_leaf_int(t, &off, 0);
		if (x && x->size == t->size)
			set_inner(t, x, off);
		return true;
	}
	if (dt_starts(n, "core::pin::Pin<") || dt_starts(n, "core::ptr::non_null::NonNull<")) {
		/* Pin's Debug is its pointer's; NonNull's is the pointer's address (`Pointer`) */
		bool pin = dt_starts(n, "core::pin::");

		f = dt_field(t, "pointer");
		if (f && f->type && f->off == 0 && t->nfields == 1 &&
		    (pin || f->type->kind == RK_PTR || f->type->kind == RK_FATPTR))
			set_inner(t, f->type, 0);
		return true;
	}
	if (dt_starts(n, "core::num::wrapping::Wrapping<")) {
		f = dt_field(t, "__0");
		if (f && t->nfields == 1)
			set_inner(t, f->type, f->off);
		return true;
	}
	if (dt_starts(n, "core::sync::atomic::Atomic")) {
		/* Debug loads the value (Relaxed) and prints it; AtomicBool holds a u8 */
		x = leaf_scalar(t, &off, 0);
		if (!x || x->size != t->size)
			return true;
		if (!strcmp(n, "core::sync::atomic::AtomicBool")) {
			if (x->size != 1 || !(x = bool_type(idx)))
				return true;
		}
		set_inner(t, x, off);
		return true;
	}
	return false;
}

/*
 * Rc<str>, Arc<[T]>: ptr is NonNull { pointer: *const RcInner<str> }, a
 * (data_ptr, length) pair; RcInner<str> { strong, weak, value } describes
 * `value` by its element type (u8 for str), at the offset the elements
 * start. arg: the type argument, "str, …" or "[T], …".
 */
static void classify_rc_unsized(struct rtype *t, const struct rfield *p, const char *arg)
{
	struct rfield *fat = p->type ? dt_field(p->type, "pointer") : NULL;
	struct rfield *dp = fat && fat->type ? dt_field(fat->type, "data_ptr") : NULL;
	struct rfield *len = fat && fat->type ? dt_field(fat->type, "length") : NULL;
	struct rtype *inner = dp && dp->type ? dp->type->target : NULL;
	struct rfield *v = inner ? dt_field(inner, "value") : NULL;
	bool str = !strncmp(arg, "str,", 4) || !strncmp(arg, "str>", 4);

	if (!v && inner)
		v = dt_field(inner, "data");
	if (!dp || !len || !len->type || !v || !v->type || !v->type->sized ||
	    (!str && arg[0] != '[') || (str && v->type->size != 1) || dp->type->size != 8 ||
	    len->type->size != 8)
		return;
	t->kind = RK_RC;
	t->sub = str ? RSUB_RC_STR : RSUB_RC_SLICE;
	t->ptr_off = p->off + fat->off + dp->off;
	t->len_off = p->off + fat->off + len->off;
	t->target = v->type;
	t->inner = NULL;
	t->inner_off = v->off;
}

/* Cell, RefCell, Rc/Arc, PathBuf/OsString, Duration. */
static bool classify_cells(struct dwarf_index *idx, struct rtype *t)
{
	const char *n = t->name;
	uint64_t off = 0, o2 = 0;
	struct rtype *x, *y;

	if (dt_starts(n, "core::cell::Cell<")) {
		x = dt_path(t, &off, NAMES("value", "value"));
		if (x) {
			t->kind = RK_CELL;
			t->inner = x;
			t->inner_off = off;
		}
	} else if (dt_starts(n, "core::cell::RefCell<")) {
		x = dt_path(t, &off, NAMES("value", "value"));
		y = dt_path(t, &o2, NAMES("borrow", "value", "value"));
		if (x && y && y->kind == RK_INT && y->size == 8) {
			t->kind = RK_REFCELL;
			t->inner = x;
			t->inner_off = off;
			t->len_off = o2;
		}
	} else if (dt_starts(n, "alloc::rc::Rc<") || dt_starts(n, "alloc::sync::Arc<")) {
		struct rfield *p = dt_field(t, "ptr");

		x = p ? dt_thin_target(p->type, &off, 0) : NULL;
		if (!x && p)
			classify_rc_unsized(t, p, n + (n[7] == 'r' ? strlen("alloc::rc::Rc<")
								  : strlen("alloc::sync::Arc<")));
		if (x && x->kind == RK_STRUCT && x->sized) {
			y = dt_path(x, &o2, n[7] == 'r' ? NAMES("value") : NAMES("data"));
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
		x = dt_path(t, &off, NAMES("inner", "inner"));
		if (x && !strcmp(n, "std::path::PathBuf"))
			x = dt_path(x, &off, NAMES("inner"));
		if (x && x->kind == RK_VEC && x->target && x->target->size == 1) {
			t->kind = RK_STRING;
			t->os_str = true;
			t->ptr_off = off + x->ptr_off;
			t->len_off = off + x->len_off;
		}
	} else if (!strcmp(n, "core::time::Duration")) {
		struct rfield *secs = dt_field(t, "secs"), *nanos = dt_field(t, "nanos");

		o2 = nanos ? nanos->off : 0;
		x = nanos ? dt_leaf_int(nanos->type, &o2, 0) : NULL;
		if (secs && secs->type && secs->type->kind == RK_UINT && secs->type->size == 8 &&
		    x && x->size == 4) {
			t->kind = RK_DURATION;
			t->ptr_off = secs->off;
			t->len_off = o2;
		}
	} else {
		return false;
	}
	return true;
}

/* core::ops ranges: start at ptr_off, end at len_off (type `inner`), RangeInclusive's flag at
 * head_off. */
static bool classify_range(struct rtype *t)
{
	static const struct {
		const char *prefix;
		enum rsub sub;
		bool start, end;
	} kinds[] = {
	    {"core::ops::range::Range<", RSUB_RANGE, true, true},
	    {"core::ops::range::RangeInclusive<", RSUB_RANGE_INCL, true, true},
	    {"core::ops::range::RangeFrom<", RSUB_RANGE_FROM, true, false},
	    {"core::ops::range::RangeTo<", RSUB_RANGE_TO, false, true},
	    {"core::ops::range::RangeToInclusive<", RSUB_RANGE_TO_INCL, false, true},
	};
	struct rfield *s, *e, *x;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (dt_starts(t->name, kinds[i].prefix))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return false;
	s = dt_field(t, "start");
	e = dt_field(t, "end");
	x = dt_field(t, "exhausted");
	if ((kinds[i].start && !s) || (kinds[i].end && !e) || (s && e && s->type != e->type) ||
	    t->nfields != kinds[i].start + kinds[i].end + (kinds[i].sub == RSUB_RANGE_INCL))
		return true;
	if (kinds[i].sub == RSUB_RANGE_INCL && (!x || !x->type || x->type->kind != RK_BOOL))
		return true;
	t->kind = RK_RANGE;
	t->sub = kinds[i].sub;
	t->inner = s ? s->type : e->type;
	t->ptr_off = s ? s->off : 0;
	t->len_off = e ? e->off : 0;
	t->head_off = x ? x->off : 0;
	return true;
}

/*
 * std::any::type_name::<T>() as it would be for T's DWARF name: the same
 * path syntax, minus std's defaulted allocator/hasher parameters. Names that
 * may differ (user generics, whose defaults DWARF does not record; closures;
 * `dyn` with Output= or several traits) give false.
 */
static bool type_name_of(const char *dw, char *buf, size_t len)
{
	static const char *const defaults[] = {", alloc::alloc::Global>",
					       ", std::hash::random::RandomState>",
					       ", std::collections::hash::map::RandomState>"};
	size_t n = 0, i, k;
	const char *p;

	if (strchr(dw, '{') || strstr(dw, "Output=") || (strstr(dw, "dyn ") && strchr(dw, '+')))
		return false;
	for (p = dw; *p; p++) {
		/* a generic outside std: its parameters may have defaults type_name omits */
		if (*p == '<' && !(dt_starts(dw, "alloc::") || dt_starts(dw, "core::") ||
				   dt_starts(dw, "std::")))
			return false;
		if (*p == '<') {
			/* the path before '<' must be std's too */
			for (k = (size_t)(p - dw);
			     k > 0 && dw[k - 1] != ' ' && dw[k - 1] != '(' && dw[k - 1] != '<' &&
			     dw[k - 1] != '&' && dw[k - 1] != '[';
			     k--)
				;
			if (!dt_starts(dw + k, "alloc::") && !dt_starts(dw + k, "core::") &&
			    !dt_starts(dw + k, "std::"))
				return false;
		}
		for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			if (dt_starts(p, defaults[i]))
				break;
		if (i < sizeof(defaults) / sizeof(defaults[0])) {
			p += strlen(defaults[i]) - 2; /* keep the '>' */
			continue;
		}
		if (n + 1 >= len)
			return false;
		buf[n++] = *p;
	}
	buf[n] = 0;
	return n > 0;
}

int dwarf_std__phantom_text(unsigned rustc, const char *tname, char *buf, size_t len,
			    const char **why)
{
	char tn[1024];

	/* "PhantomData" up to rustc 1.63, "PhantomData<type_name>" from 1.65 (rust-lang/rust#99099)
	 */
	if (rustc && rustc <= 63) {
		snprintf(buf, len, "PhantomData");
		return 0;
	}
	if (rustc < 65) {
		*why = "PhantomData's Debug changed in rustc 1.64: not known for this release";
		return -1;
	}
	if (!tname || !type_name_of(tname, tn, sizeof(tn))) {
		*why = "PhantomData<T>: type_name of T not derivable from DWARF";
		return -1;
	}
	snprintf(buf, len, "PhantomData<%s>", tn);
	return 0;
}

static void classify_phantom(struct dwarf_index *idx, struct rtype *t)
{
	char text[1100];

	t->kind = RK_FIXED;
	if (dwarf_std__phantom_text(t->rustc, t->target ? t->target->name : NULL, text,
				    sizeof(text), &t->nodebug))
		return;
	t->debug_name = arena_strdup(idx, text);
	if (!t->debug_name)
		t->nodebug = "out of memory";
}

/*
 * futex Mutex/RwLock (Linux, rustc >= 1.62): the lock word, the poison flag
 * and the data. Other layouts (pthread) stay plain structs.
 */
static bool classify_lock(struct rtype *t)
{
	const char *n = t->name;
	bool rw = dt_starts(n, "std::sync::rwlock::RwLock<") ||
		  dt_starts(n, "std::sync::poison::rwlock::RwLock<");
	struct rfield *inner = dt_field(t, "inner"), *poison = dt_field(t, "poison"),
		      *data = dt_field(t, "data");
	struct rtype *word, *flag, *x, *sys;
	uint64_t woff = 0, foff = 0, doff = 0;

	if (!rw && !dt_starts(n, "std::sync::mutex::Mutex<") &&
	    !dt_starts(n, "std::sync::poison::mutex::Mutex<"))
		return false;
	if (!inner || !poison || !data || t->nfields != 3)
		return true;
	/* MovableMutex(Mutex { futex }) in 1.63, Mutex { futex } later */
	sys = inner->type;
	woff = inner->off;
	while (sys && sys->nfields == 1 && !dt_field(sys, rw ? "state" : "futex")) {
		woff += sys->fields[0].off;
		sys = sys->fields[0].type;
	}
	word = sys ? dt_path(sys, &woff, rw ? NAMES("state") : NAMES("futex")) : NULL;
	word = dt_leaf_int(word, &woff, 0);
	foff = poison->off;
	flag = dt_path(poison->type, &foff, NAMES("failed"));
	flag = flag ? leaf_scalar(flag, &foff, 0) : NULL;
	doff = data->off;
	x = dt_path(data->type, &doff, NAMES("value"));
	if (!word || word->size != 4 || !flag || flag->size != 1 || !x)
		return true;
	t->kind = RK_LOCK;
	t->sub = rw ? RSUB_RWLOCK : RSUB_MUTEX;
	t->head_off = woff;
	t->len_off = foff;
	t->inner = x;
	t->inner_off = doff;
	return true;
}

/* Instant/SystemTime: newtypes down to Timespec { tv_sec, tv_nsec }. */
static bool classify_time(struct rtype *t)
{
	struct rtype *x = t, *sec, *nsec;
	struct rfield *s, *ns;
	uint64_t off = 0, so, no;
	int depth;

	if (strcmp(t->name, "std::time::Instant") && strcmp(t->name, "std::time::SystemTime"))
		return false;
	for (depth = 0; x && x->nfields == 1 && depth < 4; depth++) {
		off += x->fields[0].off;
		x = x->fields[0].type;
	}
	s = x ? dt_field(x, "tv_sec") : NULL;
	ns = x ? dt_field(x, "tv_nsec") : NULL;
	if (!s || !ns || x->nfields != 2)
		return true;
	so = off + s->off;
	no = off + ns->off;
	sec = dt_leaf_int(s->type, &so, 0);
	nsec = dt_leaf_int(ns->type, &no, 0);
	if (!sec || !nsec || sec->kind != RK_INT || sec->size != 8)
		return true;
	t->kind = RK_TIMESPEC;
	t->debug_name = (char *)(t->name[11] == 'I' ? "Instant" : "SystemTime");
	t->key = sec;
	t->key_off = so;
	t->val = nsec;
	t->val_off = no;
	return true;
}

/* Types whose Debug is a fixed text, the same in rustc 1.63 and 1.95 (tools/gen_std_golden.rs). */
const char *dwarf_std__fixed_text(const char *name)
{
	static const struct {
		const char *prefix, *text;
	} fixed[] = {
	    {"std::sync::mpsc::Sender<", "Sender { .. }"},
	    {"std::sync::mpsc::SyncSender<", "SyncSender { .. }"},
	    {"std::sync::mpsc::Receiver<", "Receiver { .. }"},
	    {"alloc::rc::Weak<", "(Weak)"},
	    {"alloc::sync::Weak<", "(Weak)"},
	    {"core::cell::UnsafeCell<", "UnsafeCell { .. }"},
	    {"core::ops::range::RangeFull", ".."},
	};
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		size_t l = strlen(fixed[i].prefix);

		if (!strncmp(name, fixed[i].prefix, l) &&
		    (fixed[i].prefix[l - 1] == '<' || !name[l]))
			return fixed[i].text;
	}
	return NULL;
}

/* ... and ones without Debug. */
static bool classify_fixed(struct dwarf_index *idx, struct rtype *t)
{
	const char *text = dwarf_std__fixed_text(t->name);

	if (dt_starts(t->name, "core::marker::PhantomData<")) {
		classify_phantom(idx, t);
		return true;
	}
	if (!strcmp(t->name, "core::fmt::Formatter")) {
		t->nodebug = "core::fmt::Formatter does not implement Debug";
		return true;
	}
	if (!text)
		return false;
	t->kind = RK_FIXED;
	t->debug_name = (char *)text;
	return true;
}

/* The payload of Option<X>'s Some variant: its offset in the Option. */
static struct rtype *some_payload(struct rtype *opt, uint64_t *off)
{
	int i;

	if (!opt || opt->kind != RK_ENUM || !dt_starts(opt->name, "core::option::Option<"))
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
static void classify_btree(struct dwarf_index *idx, struct rtype *t, struct rtype *map,
			   uint64_t base)
{
	struct rfield *root = dt_field(map, "root"), *length = dt_field(map, "length"), *f;
	struct rtype *nr, *leaf, *internal, *keys, *vals;
	uint64_t off = 0, node_off, height_off, poff = 0;
	struct rfield *node, *height;

	if (!root || !length)
		return;
	off = root->off;
	nr = some_payload(root->type, &off);
	node = nr ? dt_field(nr, "node") : NULL;
	height = nr ? dt_field(nr, "height") : NULL;
	if (!node || !height)
		return;
	node_off = off + node->off;
	height_off = off + height->off;
	poff = 0;
	leaf = dt_thin_target(node->type, &poff, 0);
	if (!leaf || !leaf->sized || poff)
		return;
	/* LeafNode.parent: Option<NonNull<InternalNode<K, V>>> names the internal node type */
	f = dt_field(leaf, "parent");
	poff = 0;
	internal = f ? some_payload(f->type, &poff) : NULL;
	poff = 0;
	internal = internal ? dt_thin_target(internal, &poff, 0) : NULL;
	keys = dt_field(leaf, "keys") ? dt_field(leaf, "keys")->type : NULL;
	vals = dt_field(leaf, "vals") ? dt_field(leaf, "vals")->type : NULL;
	if (!internal || !internal->sized || !dt_field(internal, "edges") ||
	    !dt_field(internal, "data") || dt_field(internal, "data")->off != 0 || !keys ||
	    keys->kind != RK_ARRAY || !vals || vals->kind != RK_ARRAY || !dt_field(leaf, "len") ||
	    !keys->target || !vals->target)
		return;
	t->kind = RK_BTREE;
	t->ptr_off = base + node_off;
	t->head_off = base + height_off;
	t->len_off = base + length->off;
	t->leaf = leaf;
	t->internal_size = internal->size;
	t->node_len_off = dt_field(leaf, "len")->off;
	t->node_keys_off = dt_field(leaf, "keys")->off;
	t->node_vals_off = dt_field(leaf, "vals")->off;
	t->node_edges_off = dt_field(internal, "edges")->off;
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
		struct rfield *v = dt_field(t, "value");

		if (!v && t->nfields == 1)
			v = &t->fields[0];
		if ((dt_starts(t->name, "core::mem::maybe_uninit::MaybeUninit<") ||
		     dt_starts(t->name, "core::mem::manually_drop::ManuallyDrop<") ||
		     dt_starts(t->name, "core::mem::maybe_dangling::MaybeDangling<")) &&
		    v && v->off == 0)
			t = v->type;
		else
			return t;
	}
	return NULL;
}

/*
 * VecDeque: { head, len, buf } from rustc 1.67, { tail, head, buf } before
 * (elements tail..head, capacity a power of two). buf is a RawVec { ptr, cap }
 * (RawVec { inner: RawVecInner { ptr, cap: Cap(usize) } } in recent ones).
 */
static void classify_deque(struct rtype *t)
{
	struct rfield *buf = dt_field(t, "buf"), *head = dt_field(t, "head"),
		      *len = dt_field(t, "len");
	struct rfield *tail = dt_field(t, "tail"), *ptr, *cap;
	struct rtype *raw, *x;
	uint64_t off, o2;

	if (!buf || !head || (!len == !tail) || !t->target || !t->target->sized)
		return;
	off = buf->off;
	raw = buf->type;
	if (raw && dt_field(raw, "inner"))
		raw = dt_path(raw, &off, (const char *const[]){"inner", NULL});
	ptr = raw ? dt_field(raw, "ptr") : NULL;
	cap = raw ? dt_field(raw, "cap") : NULL;
	if (!ptr || !cap)
		return;
	o2 = off + cap->off;
	x = dt_leaf_int(cap->type, &o2, 0);
	if (!x || x->size != 8 || !dt_find_ptr(ptr->type, off + ptr->off, &off, 0))
		return;
	t->kind = RK_DEQUE;
	t->ptr_off = off;
	t->cap_off = o2;
	if (len) {
		t->sub = RSUB_DEQUE_HEAD_LEN;
		t->head_off = head->off;
		t->len_off = len->off;
	} else {
		t->sub = RSUB_DEQUE_TAIL_HEAD;
		t->head_off = tail->off;
		t->len_off = head->off;
	}
}

/* VecDeque, hashbrown's HashMap/HashSet, BTreeMap/BTreeSet. */
static void classify_collection(struct dwarf_index *idx, struct rtype *t)
{
	const char *n = t->name;
	uint64_t off = 0, o2 = 0;
	struct rtype *x;

	if (dt_starts(n, "alloc::collections::vec_deque::VecDeque<")) {
		classify_deque(t);
	} else if (dt_starts(n, "std::collections::hash::map::HashMap<") ||
		   dt_starts(n, "std::collections::hash::set::HashSet<")) {
		bool set = dt_starts(n, "std::collections::hash::set::");
		struct rtype *raw, *inner;
		struct rfield *ctrl, *mask, *items;

		raw = dt_path(t, &off,
			      set ? (const char *const[]){"base", "map", "table", NULL}
				  : (const char *const[]){"base", "table", NULL});
		if (!raw || !raw->target || !raw->target->sized)
			return;
		inner = dt_path(raw, &off, (const char *const[]){"table", NULL});
		ctrl = inner ? dt_field(inner, "ctrl") : NULL;
		mask = inner ? dt_field(inner, "bucket_mask") : NULL;
		items = inner ? dt_field(inner, "items") : NULL;
		if (!ctrl || !mask || !items || !dt_find_ptr(ctrl->type, off + ctrl->off, &o2, 0))
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
	} else if (dt_starts(n, "alloc::collections::btree::map::BTreeMap<")) {
		classify_btree(idx, t, t, 0);
	} else if (dt_starts(n, "alloc::collections::btree::set::BTreeSet<")) {
		struct rfield *m = dt_field(t, "map");

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

void dwarf_std__classify(struct dwarf_index *idx, struct rtype *t)
{
	if (!dt_starts(t->name, "core::") && !dt_starts(t->name, "alloc::") &&
	    !dt_starts(t->name, "std::"))
		return;
	if (classify_wrapper(idx, t) || classify_cells(idx, t) || classify_range(t) ||
	    classify_fixed(idx, t) || classify_lock(t) || classify_time(t))
		return;
	classify_collection(idx, t);
}
