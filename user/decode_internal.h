/* SPDX-License-Identifier: MIT */
/* What decode.c (blobs, the dispatch, JSON) and decode_std.c (std types' Debug) share. */
#ifndef DECODE_INTERNAL_H
#define DECODE_INTERNAL_H
#include "decode.h"

struct dctx {
	const struct plan_site *site;
	const struct ev_view *v;
	const struct plan_value *val;
	int root_blob;
	const char *error;
	/*
	 * The error is about Debug (a custom or unverified impl, a std type
	 * not reproduced), not about missing bytes, or only a part is missing
	 * for redaction's sake: the fields may still show.
	 */
	bool debug_error;
	/*
	 * Printing the "fields" of a value instead of its {:?}: user types as
	 * `Name { field: … }` whatever their Debug, types without a known
	 * Debug as their fields too, anything unprintable as `?`.
	 */
	bool raw;
	/* raw mode: why the whole value is `?` (no byte of it readable) */
	const char *raw_error;
	bool truncated;
	/* a part was printed as PLAN_REDACTED: the text is no longer {:?} */
	bool redacted;
};

/* Sets the error (the first one wins); -1. */
int dec_fail(struct dctx *d, const char *why);
/* A Debug output rstrace cannot reproduce: an error, or `?` in raw mode (returns 0 then). */
int dec_fail_debug(struct dctx *d, const char *why, struct strbuf *sb);
/* n bytes at off of blob, or an error. */
int dec_bytes(struct dctx *d, int blob, uint64_t off, uint64_t n, const uint8_t **out);
uint64_t dec_le(const uint8_t *p, int n);
/* The blob the pointer at off of blob led to (made for type t): its index, or -1 with the error
 * set. */
int dec_child_blob(struct dctx *d, int blob, uint64_t off, const struct rtype *t);
int dec_child_blob_at(struct dctx *d, int blob, uint64_t off, int64_t add, const struct rtype *t);
/* -1: the plan has the step but this event no blob; -2: no such step. */
int dec_find_child(struct dctx *d, int blob, uint64_t off, int64_t add, const struct rtype *t);
/* Any value as {:?} (or as fields in raw mode). */
int dec_fmt(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	    int depth);

/*
 * A map entry's value at voff of vblob, or PLAN_REDACTED when its key (type
 * key at koff of kblob) is named like a redact pattern.
 */
int dec_map_value(struct dctx *d, const struct rtype *key, int kblob, uint64_t koff,
		  const struct rtype *val, int vblob, uint64_t voff, struct strbuf *sb, int depth);

/* decode_std.c: one function per std kind */
int dec_duration(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb);
int dec_deque(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	      int depth);
int dec_hashmap(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
		int depth);
int dec_btree(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	      int depth);
int dec_dyn(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	    int depth);
int dec_range(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	      int depth);
int dec_lock(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
	     int depth);
int dec_fatptr(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb);
int dec_timespec(struct dctx *d, const struct rtype *t, int blob, uint64_t off, struct strbuf *sb,
		 int depth);
#endif
