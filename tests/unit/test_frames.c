// SPDX-License-Identifier: MIT
/*
 * frames.c following BPF's links when events are lost, and the consumer's
 * pipeline keeping arrival order: no BPF here, the events are written by hand.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "consumer.h"
#include "frames.h"
#include "store.h"
#include "unit.h"

static char path[] = "/tmp/rstrace-test-frames-XXXXXX";
static char buf_tail[256];

static struct store *open_store(void)
{
	struct store_opts so = { .force = true };
	struct store *st = NULL;
	char err[256];

	if (store__open(path, &so, &st, err, sizeof(err)) || store__publish(st, err, sizeof(err))) {
		fprintf(stderr, "cannot open %s: %s\n", path, err);
		exit(1);
	}
	return st;
}

/* The end of a test: open frames closed as "open", everything written, the database read back. */
static sqlite3 *close_frames(struct frames *fr, struct store *st)
{
	sqlite3 *db = NULL;

	CHECK(frames__finish(fr, FS_OPEN) == 0);
	CHECK(store__flush(st) == 0);
	frames__free(fr);
	store__close(st);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	return db;
}

/* One row as "parent|parent_lost|ancestor|status|ret" (NULLs as -). */
static const char *row(sqlite3 *db, int64_t id)
{
	static char buf[256];
	sqlite3_stmt *q;

	snprintf(buf, sizeof(buf), "none");
	sqlite3_prepare_v2(db,
			   "SELECT coalesce(parent_id, '-') || '|' || coalesce(parent_lost, '-')"
			   " || '|' || coalesce(ancestor_id, '-') || '|' || status || '|'"
			   " || coalesce(ret, '-') FROM frame WHERE id = ?",
			   -1, &q, NULL);
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW)
		snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return buf;
}

static int64_t one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	int64_t v = -1;

	sqlite3_prepare_v2(db, sql, -1, &q, NULL);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static struct frames_ev ev(uint64_t seq, uint64_t link, uint64_t anc, uint32_t depth, int func,
			   uint64_t cfa)
{
	return (struct frames_ev){ .tid = 7, .func_id = func, .cfa = cfa, .ts_ns = seq * 10,
				   .seq = seq, .link = link, .anc = anc, .depth = depth };
}

/* Thread 7's first events in these tests: 1: a (function 1) at depth 0; 2: b (2) under a. */
static void enter_a_b(struct frames *fr)
{
	struct frames_ev e = ev(1, 0, 0, 0, 1, 0x1000);

	CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
	e = ev(2, 1, 1, 1, 2, 0x0f00);
	CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
}

/*
 * One thread's events as BPF numbers and links them (seq, link, anc,
 * depth), some of them lost: functions a (1), b (2), c (3), d (4).
 */
static void links(void)
{
	struct store *st = open_store();
	struct frames *fr;
	struct frames_ev e;
	sqlite3 *db;

	CHECK(frames__new(st, &fr) == 0);
	/* 1: a at depth 0; 2: b under a; 3: b returns */
	enter_a_b(fr);
	e = ev(3, 2, 0, 1, 2, 0x0f00);
	CHECK(frames__exit(fr, &e, strdup("{\"v\":3}"), FS_RETURNED) == 0);
	/* 4: b again under a; 5, 6 lost: c entered under b, then something else */
	e = ev(4, 1, 1, 1, 2, 0x0f00);
	CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
	/* 7: d entered under c (5, lost): c's entry lost, b the nearest recorded */
	e = ev(7, 5, 4, 3, 4, 0x0d00);
	CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
	/* 8: d returns; 9: c returns (entry lost: no frame of its own) */
	e = ev(8, 7, 0, 3, 4, 0x0d00);
	CHECK(frames__exit(fr, &e, strdup("{\"v\":8}"), FS_RETURNED) == 0);
	e = ev(9, 5, 0, 2, 3, 0x0e00);
	CHECK(frames__exit(fr, &e, strdup("{\"v\":9}"), FS_RETURNED) == 1);
	/* 10, 11 lost: b's exit (10), b entered again at the same CFA (11) */
	/* 12: that second b returns: it must not close the first one */
	e = ev(12, 11, 0, 1, 2, 0x0f00);
	CHECK(frames__exit(fr, &e, strdup("{\"v\":12}"), FS_RETURNED) == 1);
	/* 13: a returns */
	e = ev(13, 1, 0, 0, 1, 0x1000);
	CHECK(frames__exit(fr, &e, strdup("{\"v\":13}"), FS_RETURNED) == 0);
	/* 14: a NOLINK entry (beyond the shadow stack) with no gap since: by CFA */
	e = ev(14, 0, 0, 0, 1, 0x1000);
	CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
	e = ev(15, 0, 0, 0, 2, 0x0f00);
	e.nolink = true;
	CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
	/* 16 lost; 17: a NOLINK exit of that function at that CFA: maybe another call's */
	e = ev(17, 0, 0, 0, 2, 0x0f00);
	e.nolink = true;
	CHECK(frames__exit(fr, &e, strdup("{\"v\":17}"), FS_RETURNED) == 1);
	CHECK(frames__final_count(fr, 7, 20) == 0);
	db = close_frames(fr, st);
	CHECK_STR(row(db, 1), "-|-|-|returned|{\"v\":13}"); /* a */
	CHECK_STR(row(db, 2), "1|-|-|returned|{\"v\":3}"); /* b */
	/* the second b: its exit (10) was lost; 12 is another call's */
	CHECK_STR(row(db, 3), "1|-|-|lost|-");
	/* d: caller c's entry lost: no parent, 1 caller lost, ancestor b */
	CHECK_STR(row(db, 4), "-|1|3|returned|{\"v\":8}");
	CHECK_STR(row(db, 5), "-|-|-|lost|-"); /* a again: the tail (18..20) was lost */
	CHECK_STR(row(db, 6), "5|-|-|lost|-"); /* by CFA, then a gap: not closed by 17 */
	/* received: 1-4, 7-9, 12-15, 17; lost: 5-6, 10-11, 16, 18-20 */
	CHECK(one(db, "SELECT events FROM thread WHERE tid = 7") == 12);
	CHECK(one(db, "SELECT events_lost FROM thread WHERE tid = 7") == 8);
	CHECK(one(db, "SELECT sum(events) FROM gap WHERE thread_id = 7") == 8);
	CHECK(one(db, "SELECT count(*) FROM gap WHERE thread_id = 7 AND before_ns IS NULL") == 1);
	sqlite3_close(db);
}

/*
 * Frames a panic leaves open: unwound while nothing was lost since it
 * started; lost once events were (the catch that ended it may be one).
 */
static void panics(void)
{
	struct store *st = open_store();
	struct frames *fr;
	struct frames_ev e;
	sqlite3 *db;

	CHECK(frames__new(st, &fr) == 0);
	/* thread 7: a, b under a, a panic in b; nothing lost */
	enter_a_b(fr);
	e = ev(3, 2, 0, 2, 0, 0x0e00);
	CHECK(frames__panic(fr, &e, "boom", "src/x.rs:1:1") == 0);
	CHECK(!frames__lost_since(fr, 7, 1, 4));
	/* thread 8: a; a panic; 3-4 lost (the catch among them); c entered after */
	e = ev(1, 0, 0, 0, 1, 0x1000);
	e.tid = 8;
	CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
	e = ev(2, 1, 0, 1, 0, 0x0f00);
	e.tid = 8;
	CHECK(frames__panic(fr, &e, NULL, NULL) == 0);
	e = ev(5, 0, 0, 0, 3, 0x1000);
	e.tid = 8;
	CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
	CHECK(frames__lost_since(fr, 8, 2, 6));
	CHECK(!frames__lost_since(fr, 8, 5, 6));
	CHECK(frames__lost_since(fr, 8, 5, 7)); /* 6 not received before 7 */
	db = close_frames(fr, st);
	CHECK_STR(row(db, 1), "-|-|-|unwound|-"); /* a, thread 7 */
	CHECK_STR(row(db, 2), "1|-|-|unwound|-"); /* b */
	CHECK_STR(row(db, 3), "-|-|-|lost|-"); /* a, thread 8: entered before the loss */
	CHECK_STR(row(db, 4), "-|-|-|lost|-"); /* c: after it, but the catch may be lost */
	sqlite3_close(db);
}

struct order {
	int next, bad, committed;
};

static void decode_n(void *ctx, struct cons_item *it, struct strbuf *sb)
{
	(void)ctx;
	sb_reset(sb);
	sb_printf(sb, "%d", *(const int *)it->data);
	it->out[0] = sb_detach(sb);
}

static int apply_n(void *ctx, struct cons_item *it)
{
	struct order *o = ctx;

	if (!it->out[0] || atoi(it->out[0]) != o->next)
		o->bad++;
	o->next++;
	return o->next == 5000 ? -ENOSPC : 0;
}

static int commit_n(void *ctx)
{
	((struct order *)ctx)->committed++;
	return 0;
}

/* Three decoders, one writer: applied in push order; after an error nothing more is. */
static void pipeline(void)
{
	struct consumer_opts co = { .decoders = 3, .max_bytes = 1 << 16, .period_ns = 1000000 };
	struct order o = { 0 };
	struct consumer_ops ops = { decode_n, apply_n, commit_n, &o };
	struct consumer_stats cs;
	struct consumer *c;
	int i;

	CHECK(consumer__new(&co, &ops, &c) == 0);
	CHECK(consumer__start(c) == 0);
	for (i = 0; i < 20000; i++)
		consumer__push(c, CONS_EVENT, &i, sizeof(i));
	CHECK(consumer__finish(c) == -ENOSPC);
	consumer__stats(c, &cs);
	CHECK(o.bad == 0);
	CHECK(o.next == 5000);
	CHECK(cs.items == 20000);
	CHECK(cs.peak_bytes <= co.max_bytes);
	consumer__free(c);
}

/*
 * A thread exits (BPF's last number for it) and a new thread gets its tid:
 * numbered from 1 again, which must not read as events seen already.
 */
static void thread_end(void)
{
	struct store *st = open_store();
	struct frames *fr;
	struct frames_ev e;
	sqlite3 *db;

	CHECK(frames__new(st, &fr) == 0);
	/* 1: a; 2: b under a; the thread ends after 2 (killed: exit_group elsewhere) */
	enter_a_b(fr);
	e = ev(2, 0, 0, 0, 0, 0);
	CHECK(frames__thread_end(fr, &e) == 0);
	/* the tid again, a new thread: 1: c; 2 lost; it ends after 2 */
	e = ev(1, 0, 0, 0, 3, 0x2000);
	CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
	e = ev(2, 0, 0, 0, 0, 0);
	CHECK(frames__thread_end(fr, &e) == 0);
	/* and a third: 1: d; 2: d returns */
	e = ev(1, 0, 0, 0, 4, 0x2000);
	CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
	e = ev(2, 1, 0, 0, 4, 0x2000);
	CHECK(frames__exit(fr, &e, strdup("{\"v\":2}"), FS_RETURNED) == 0);
	db = close_frames(fr, st);
	/* running when their thread ended */
	CHECK_STR(row(db, 1), "-|-|-|open|-");
	CHECK_STR(row(db, 2), "1|-|-|open|-");
	/* its exit may be the lost event */
	CHECK_STR(row(db, 3), "-|-|-|lost|-");
	CHECK_STR(row(db, 4), "-|-|-|returned|{\"v\":2}");
	/* one row per tid: the three threads' events, the one lost */
	CHECK(one(db, "SELECT events FROM thread WHERE tid = 7") == 5);
	CHECK(one(db, "SELECT events_lost FROM thread WHERE tid = 7") == 1);
	sqlite3_close(db);
}

/*
 * A frame left by a tail call returns what the jmp's target returns: given
 * to it when the target is the thread's next event, at its CFA, and returns
 * a value of the same type; never to a frame whose jmp went elsewhere.
 */
static void tail_calls(void)
{
	static const char tail[] = "{\"type\":\"u32\",\"value\":null,\"error\":\"returned through a tail call\"}";
	struct store *st = open_store();
	struct frames *fr;
	struct frames_ev e;
	sqlite3 *db;
	uint64_t seq = 1;
	int i;
	/* F (2) jmps to 0x300; then: G (0x300) returns u32 7; K (0x400) returns 9; G returns a u64 */
	static const struct {
		int func;
		uint64_t addr;
		const char *type, *ret;
		bool skip; /* one event lost between F's jmp and the next entry */
	} next[] = {
		{ 3, 0x300, "u32", "{\"type\":\"u32\",\"value\":\"7\"}", false },
		{ 4, 0x400, "u32", "{\"type\":\"u32\",\"value\":\"9\"}", false },
		{ 3, 0x300, "u64", "{\"type\":\"u64\",\"value\":\"5\"}", false },
		{ 3, 0x300, "u32", "{\"type\":\"u32\",\"value\":\"6\"}", true },
	};

	CHECK(frames__new(st, &fr) == 0);
	e = ev(seq++, 0, 0, 0, 1, 0x1000); /* P, the caller: frame 1 */
	CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
	for (i = 0; i < 4; i++) {
		uint64_t f_seq = seq;

		e = ev(seq++, 1, 1, 1, 2, 0x0f00); /* F */
		e.fn_addr = 0x200;
		CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
		e = ev(seq++, f_seq, 0, 1, 2, 0x0f00);
		e.fn_addr = 0x200;
		e.tail_to = 0x300;
		e.ret_type = "u32";
		CHECK(frames__exit(fr, &e, strdup(tail), FS_TAIL_CALL) == 0);
		seq += next[i].skip;
		e = ev(seq, 1, 1, 1, next[i].func, 0x0f00);
		e.fn_addr = next[i].addr;
		CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
		e = ev(seq + 1, seq, 0, 1, next[i].func, 0x0f00);
		e.fn_addr = next[i].addr;
		e.ret_type = next[i].type;
		CHECK(frames__exit(fr, &e, strdup(next[i].ret), FS_RETURNED) == 0);
		seq += 2;
	}
	db = close_frames(fr, st);
	/* frames: P 1; then F, target: 2, 3; 4, 5; 6, 7; 8, 9 */
	CHECK_STR(row(db, 2), "1|-|-|tail_call|{\"type\":\"u32\",\"value\":\"7\"}");
	CHECK_STR(row(db, 3), "1|-|-|returned|{\"type\":\"u32\",\"value\":\"7\"}");
	snprintf(buf_tail, sizeof(buf_tail), "1|-|-|tail_call|%s", tail);
	CHECK_STR(row(db, 4), buf_tail); /* K is not where the jmp went */
	CHECK_STR(row(db, 6), buf_tail); /* a u64 is no u32 */
	CHECK_STR(row(db, 8), buf_tail); /* an event lost between */
	sqlite3_close(db);
}

/*
 * A value returned through memory is read at rax: kept only if rax is the
 * pointer the call got in rdi (optimized code may leave anything in rax).
 */
static void sret_check(void)
{
	static const uint64_t entry_sret[] = { 0x5000, 0x5000, 0 }, ret_rax[] = { 0x5000, 0x6000, 0x5000 };
	struct store *st = open_store();
	struct frames *fr;
	struct frames_ev e;
	sqlite3 *db;
	int i;

	CHECK(frames__new(st, &fr) == 0);
	for (i = 0; i < 3; i++) {
		e = ev(2 * i + 1, 0, 0, 0, 1, 0x1000);
		e.sret = entry_sret[i];
		CHECK(frames__enter(fr, &e, strdup("[]")) == 0);
		e = ev(2 * i + 2, 2 * i + 1, 0, 0, 1, 0x1000);
		e.ret_ptr_read = true;
		e.ret_ptr = ret_rax[i];
		e.ret_type = "S";
		CHECK(frames__exit(fr, &e, strdup("{\"type\":\"S\",\"value\":\"S { a: 1 }\"}"),
				   FS_RETURNED) == 0);
	}
	db = close_frames(fr, st);
	CHECK_STR(row(db, 1), "-|-|-|returned|{\"type\":\"S\",\"value\":\"S { a: 1 }\"}");
	CHECK(strstr(row(db, 2), "{\"type\":\"S\",\"value\":null,\"error\":\"returned through memory"));
	CHECK(strstr(row(db, 3), "{\"type\":\"S\",\"value\":null,\"error\":\"returned through memory"));
	sqlite3_close(db);
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	links();
	unlink(path);
	panics();
	pipeline();
	unlink(path);
	thread_end();
	unlink(path);
	tail_calls();
	unlink(path);
	sret_check();
	unlink(path);
	return unit_done("test_frames");
}
