/* SPDX-License-Identifier: MIT */
/*
 * Capture plans and event records for the decoder tests, without BPF: the
 * steps plan.c would make and the blobs the BPF program would write.
 * Included by tests/unit/test_decode.c and test_stdfmt.c.
 */
#ifndef DECODE_HARNESS_H
#define DECODE_HARNESS_H
#include <string.h>
#include "decode.h"

static struct plan_site site;
static struct plan_value vals[4];

/* One parameter `v` of type t whose root is step 0. */
static void plan1(struct rtype *t)
{
	memset(&site, 0, sizeof(site));
	memset(vals, 0, sizeof(vals));
	site.values = vals;
	site.nvalues = 1;
	site.max_array = 32;
	site.ip_step = -1;
	vals[0].name = "v";
	vals[0].type = t;
	vals[0].root = 0;
	site.bpf.steps[0] =
	    (struct rst_step){.op = RST_OP_REG, .max_len = t->size > 8 ? 8 : t->size};
	site.bpf.nsteps = 1;
}

static int step_deref(int parent, uint16_t ptr_off, uint16_t len_off, uint32_t stride,
		      uint32_t elem_size, uint32_t max_len, struct rtype *t)
{
	int i = site.bpf.nsteps++;

	site.bpf.steps[i] = (struct rst_step){.op = RST_OP_DEREF,
					      .parent = parent,
					      .ptr_off = ptr_off,
					      .len_off = len_off,
					      .stride = stride,
					      .elem_size = elem_size,
					      .max_len = max_len,
					      .max_elems = stride ? 32 : 1};
	site.step_type[i] = t;
	return i;
}

static _Alignas(8) uint8_t rec[8192];
static size_t rec_pos;
static int rec_n;

static void ev_init(void)
{
	memset(rec, 0, sizeof(rec));
	rec_pos = sizeof(struct rst_event);
	rec_n = 0;
}

static void ev_blob(int step, int parent, int elem, int flags, const void *data, uint32_t len,
		    uint32_t want)
{
	struct rst_blob *b = (struct rst_blob *)(rec + rec_pos);

	b->step = step;
	b->parent = parent < 0 ? RST_NO_PARENT : parent;
	b->elem = elem;
	b->flags = flags;
	b->len = len;
	b->want = want;
	if (len)
		memcpy(b + 1, data, len);
	rec_pos += sizeof(*b) + ((len + 7) & ~7u);
	rec_n++;
}

static struct strbuf out;

/* The JSON of the site's parameters for the record built so far. */
static const char *run(void)
{
	struct rst_event *ev = (struct rst_event *)rec;
	struct ev_view v;

	ev->type = RST_REC_ENTRY;
	ev->site = RST_SITE_ENTRY;
	ev->nblobs = rec_n;
	ev->size = rec_pos;
	sb_reset(&out);
	if (decode__view(rec, rec_pos, &v))
		return "(bad record)";
	decode__args(&site, &v, &out);
	return sb_str(&out);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

#endif
