// SPDX-License-Identifier: MIT
/*
 * Consumer throughput without uprobes (make bench): entry and exit records
 * laid out as the BPF program writes them for hot(a: u64, s: &str) -> u64,
 * fed through the stages of `rstrace record`'s event callback: decode__view,
 * argument / return value decoding to JSON, frames (call stacks), the store
 * (SQLite, committed every 200 ms as record does).
 *
 *     ingest DB EVENTS
 *
 * Prints one line per stage: "stage=NAME events=N seconds=S events_per_s=R".
 * Built by bench/bench.py against the library objects of a build.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "decode.h"
#include "frames.h"
#include "store.h"

static struct rtype t_u8 = { .kind = RK_UINT, .name = "u8", .debug_name = "u8", .size = 1, .sized = true };
static struct rtype t_u64 = { .kind = RK_UINT, .name = "u64", .debug_name = "u64", .size = 8,
			      .sized = true };
static struct rtype t_str = { .kind = RK_STR, .name = "&str", .debug_name = "&str", .size = 16,
			      .sized = true, .target = &t_u8, .ptr_off = 0, .len_off = 8 };

static struct plan_value args[2], retv[1];
static struct plan_site entry, exit_site;
static _Alignas(8) uint8_t rec_entry[512], rec_exit[256];
static size_t len_entry, len_exit;

static size_t blob(uint8_t *rec, size_t pos, int step, int parent, const void *data, uint32_t len)
{
	struct rst_blob *b = (struct rst_blob *)(rec + pos);

	b->step = step;
	b->parent = parent < 0 ? RST_NO_PARENT : parent;
	b->len = b->want = len;
	memcpy(b + 1, data, len);
	return pos + sizeof(*b) + ((len + 7) & ~7u);
}

/* The plans plan.c makes for hot, and one record per site as BPF fills it. */
static void setup(void)
{
	struct rst_event *ev;
	uint64_t a = 123456789, fat[2] = { 0x7f0000001000, 5 }, r = 987654321;
	size_t pos;

	entry.values = args;
	entry.nvalues = 2;
	entry.max_array = 32;
	entry.ip_step = -1;
	args[0] = (struct plan_value){ .name = "a", .type = &t_u64, .root = 0 };
	args[1] = (struct plan_value){ .name = "s", .type = &t_str, .root = 1 };
	entry.bpf.site = RST_SITE_ENTRY;
	entry.bpf.steps[0] = (struct rst_step){ .op = RST_OP_REG, .reg = 5, .max_len = 8 };
	entry.bpf.steps[1] = (struct rst_step){ .op = RST_OP_REG, .reg = 4, .max_len = 8 };
	entry.bpf.steps[2] = (struct rst_step){ .op = RST_OP_REG, .reg = 1, .max_len = 8,
						.flags = RST_STEP_APPEND };
	entry.bpf.steps[3] = (struct rst_step){ .op = RST_OP_DEREF, .parent = 1, .ptr_off = 0,
						.len_off = 8, .elem_size = 1, .max_len = 256,
						.max_elems = 1 };
	entry.step_type[3] = &t_str;
	entry.bpf.nsteps = 4;

	exit_site.values = retv;
	exit_site.nvalues = 1;
	exit_site.max_array = 32;
	exit_site.ip_step = -1;
	retv[0] = (struct plan_value){ .name = NULL, .type = &t_u64, .root = 0 };
	exit_site.bpf.site = RST_SITE_RET;
	exit_site.bpf.steps[0] = (struct rst_step){ .op = RST_OP_REG, .reg = 0, .max_len = 8 };
	exit_site.bpf.nsteps = 1;

	pos = sizeof(struct rst_event);
	pos = blob(rec_entry, pos, 0, -1, &a, 8);
	pos = blob(rec_entry, pos, 1, -1, fat, 16);
	pos = blob(rec_entry, pos, 3, 1, "hello", 5);
	ev = (struct rst_event *)rec_entry;
	ev->type = RST_REC_ENTRY;
	ev->site = RST_SITE_ENTRY;
	ev->nblobs = 3;
	ev->size = len_entry = pos;
	ev->tid = ev->tgid = 4242;
	memcpy(ev->comm, "bench", 6);

	pos = sizeof(struct rst_event);
	pos = blob(rec_exit, pos, 0, -1, &r, 8);
	ev = (struct rst_event *)rec_exit;
	ev->type = RST_REC_EXIT;
	ev->site = RST_SITE_RET;
	ev->nblobs = 1;
	ev->size = len_exit = pos;
	ev->tid = ev->tgid = 4242;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* decode only (full == false), or decode + frames + store into db. */
static int run(const char *name, const char *db, long n, bool full)
{
	struct strbuf sb;
	struct store *st = NULL;
	struct frames *fr = NULL;
	struct frames_ev fe;
	struct ev_view v;
	char err[256];
	double t0, last, flush_s = 0, session_s = 0, close_s = 0;
	long i;
	int e = 0;

	sb_init(&sb);
	if (full) {
		e = store__open(db, NULL, &st, err, sizeof(err));
		if (!e)
			e = store__publish(st, err, sizeof(err));
		if (!e)
			e = frames__new(st, &fr);
		if (e) {
			fprintf(stderr, "ingest: %s\n", e == -EIO ? err : strerror(-e));
			goto cleanup;
		}
	}
	t0 = last = now_s();
	/* one thread: a caller frame, then hot entered and left n/2 times below it */
	if (full) {
		struct frames_ev top = { .tid = 4242, .ns_tid = 4242, .comm = "bench", .func_id = 1,
					 .cfa = 0x7ffff000, .ts_ns = 1, .nolink = true };

		e = frames__enter(fr, &top, strdup("[]"));
	}
	for (i = 0; i < n && !e; i++) {
		bool in = !(i & 1);
		struct rst_event *ev = (struct rst_event *)(in ? rec_entry : rec_exit);

		ev->ts_ns = 1000 + i;
		ev->cfa = 0x7fffe000;
		if (decode__view(ev, in ? len_entry : len_exit, &v)) {
			e = -EINVAL;
			break;
		}
		sb_reset(&sb);
		if (in)
			decode__args(&entry, &v, &sb);
		else
			decode__ret(&exit_site, &v, &sb);
		if (!full)
			continue;
		/* unnumbered, unlinked: frames.c matches by CFA (as beyond BPF's shadow stack) */
		fe = (struct frames_ev){ .tid = ev->tid, .ns_tid = ev->ns_tid, .comm = ev->comm,
					 .func_id = 2, .cfa = ev->cfa, .ts_ns = ev->ts_ns,
					 .nolink = true };
		if (in)
			e = frames__enter(fr, &fe, sb_detach(&sb));
		else
			e = frames__exit(fr, &fe, sb_detach(&sb), FS_RETURNED);
		if (e > 0)
			e = 0;
		if ((i & 1023) == 0 && now_s() - last >= 0.2) {
			double f0 = now_s();

			e = store__flush(st);
			last = now_s();
			flush_s += last - f0;
		}
	}
	if (full && !e) {
		double f0 = now_s();

		e = frames__finish(fr, FS_OPEN);
		if (!e)
			e = store__flush(st);
		session_s = now_s();
		flush_s += session_s - f0;
		/* what record does after the session row: indexes, views, WAL checkpoint */
		frames__free(fr);
		store__close(st);
		fr = NULL;
		st = NULL;
		close_s = now_s() - session_s;
	}
	if (!e) {
		double s = (full ? session_s : now_s()) - t0;

		printf("stage=%s events=%ld seconds=%.3f events_per_s=%.0f store_s=%.3f close_s=%.3f\n",
		       name, n, s, n / s, flush_s, close_s);
	}
cleanup:
	frames__free(fr);
	store__close(st);
	sb_free(&sb);
	return e;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 2000000;

	if (argc < 2) {
		fprintf(stderr, "usage: ingest DB [EVENTS]\n");
		return 2;
	}
	setup();
	if (run("decode", NULL, n, false) || run("decode+frames+store", argv[1], n, true))
		return 1;
	return 0;
}
