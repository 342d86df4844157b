/* SPDX-License-Identifier: MIT */
/* Captured bytes + capture plan -> Rust `{:?}` strings in JSON. */
#ifndef DECODE_H
#define DECODE_H
#include <stddef.h>
#include "plan.h"
#include "rustfmt.h"

struct ev_view {
	const struct rst_event *ev;
	const struct rst_blob *blob[RST_MAX_BLOBS];
	const uint8_t *data[RST_MAX_BLOBS];
	int n;
};

/* Validates a ring buffer record and indexes its blobs. */
int decode__view(const void *rec, size_t size, struct ev_view *v);
/* JSON array of the site's parameters: [{"name":…,"type":…,"value":…}, …] */
void decode__args(const struct plan_site *site, const struct ev_view *v, struct strbuf *sb);
/* JSON object of the return value: {"type":…,"value":…} */
void decode__ret(const struct plan_site *site, const struct ev_view *v, struct strbuf *sb);

#endif
