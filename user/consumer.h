/* SPDX-License-Identifier: MIT */
/*
 * The ring buffer's consumer, off the main thread and in three stages, so
 * that the ring buffer is emptied as fast as records can be copied:
 *
 *   reader   one thread: capture__consume(), whose callbacks copy each record
 *            into a bounded queue (consumer__push); when the queue is full it
 *            waits, the ring buffer fills and BPF counts what it drops
 *   decoders N threads: turn records into strings (ops->decode), any order
 *   writer   one thread: takes the decoded records in arrival order
 *            (ops->apply) and commits periodically (ops->commit)
 *
 * Arrival order is ring buffer order, so each target thread's events stay in
 * the order they happened. Memory is bounded by max_bytes of records and
 * the queue's slots, whatever the target does.
 *
 * The first error of apply/commit stops all writing: later records are
 * dropped and consumer__error() returns it.
 */
#ifndef CONSUMER_H
#define CONSUMER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capture.h"
#include "rustfmt.h"

struct consumer;

enum cons_kind {
	CONS_EVENT = 1, /* a ring buffer record */
	CONS_LIMIT, /* a struct capture_limit */
};

struct cons_item {
	void *data;
	uint32_t size;
	uint8_t kind;
	uint8_t state; /* consumer.c's */
	uint16_t pad;
	uint64_t end; /* consumer.c's: where its bytes end in the queue */
	/* what decode made; apply takes them over (sets them NULL) or they are freed */
	char *out[2];
};

struct consumer_ops {
	/* A decoder thread, any order, several at once: fill it->out from it->data only. */
	void (*decode)(void *ctx, struct cons_item *it, struct strbuf *sb);
	/* The writer thread, in arrival order: 0 or -errno (stops all writing). */
	int (*apply)(void *ctx, struct cons_item *it);
	/* The writer thread, every period while there is work, and once after the last item. */
	int (*commit)(void *ctx);
	void *ctx;
};

struct consumer_opts {
	struct capture *cap; /* NULL: no reader thread, the caller pushes */
	int decoders; /* 0: the writer decodes too */
	size_t max_bytes; /* records queued at most */
	uint64_t period_ns; /* between commits */
	int nice; /* of the consumer's threads (setpriority), 0: unchanged */
};

struct consumer_stats {
	uint64_t items; /* records taken from the ring buffer */
	uint64_t dropped; /* taken but not written (after an error) */
	uint64_t full_waits; /* times the reader waited for room */
	size_t peak_bytes; /* most bytes queued at once */
};

int consumer__new(const struct consumer_opts *o, const struct consumer_ops *ops,
		  struct consumer **out);
/* Starts the threads; signals should be blocked by the caller around it (they inherit the mask). */
int consumer__start(struct consumer *c);
/* From capture's callbacks (the reader thread): copies the record in. */
int consumer__push(struct consumer *c, enum cons_kind kind, const void *data, size_t size);
/*
 * Once nothing writes into the ring buffer any more (capture__detach or
 * capture__mute): a last pass over it, then waits until every record is
 * applied and the last commit made, and stops the threads. Returns the first
 * error.
 */
int consumer__finish(struct consumer *c);
/* The first error of apply/commit, 0 while none. Any thread. */
int consumer__error(struct consumer *c);
void consumer__stats(struct consumer *c, struct consumer_stats *out);
void consumer__free(struct consumer *c);
#endif
