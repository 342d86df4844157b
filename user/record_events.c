// SPDX-License-Identifier: MIT
/* The consumer's callbacks: ring buffer records to frames and the database. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "decode.h"
#include "fcode.h"
#include "record_internal.h"

static struct panic_text *panic_text(struct recorder *r, uint32_t tid)
{
	struct panic_text *nt;
	int i;

	for (i = 0; i < r->ntexts; i++)
		if (r->texts[i].tid == tid)
			return &r->texts[i];
	nt = realloc(r->texts, sizeof(*nt) * (r->ntexts + 1));
	if (!nt)
		return NULL;
	r->texts = nt;
	nt[r->ntexts] = (struct panic_text){ .tid = tid };
	sb_init(&nt[r->ntexts].text);
	return &nt[r->ntexts++];
}

/*
 * std's default hook writes "thread 'NAME' panicked at FILE:LINE:COL:\nMESSAGE\n"
 * (Rust >= 1.73; newer ones add " (TID)" after the name), then possibly a
 * "note: run with `RUST_BACKTRACE=1`…" line or a backtrace.
 */
static void parse_panic(char *text, char **message, char **location)
{
	char *at = strstr(text, " panicked at "), *nl, *note;

	*message = *location = NULL;
	if (!at)
		return;
	at += strlen(" panicked at ");
	nl = strstr(at, ":\n");
	if (!nl)
		return;
	*nl = 0;
	*location = at;
	*message = nl + 2;
	note = strstr(*message, "\nnote: ");
	if (note)
		*note = 0;
	note = strstr(*message, "\nstack backtrace:");
	if (note)
		*note = 0;
	nl = *message + strlen(*message);
	while (nl > *message && nl[-1] == '\n')
		*--nl = 0;
}

/* What frames.c needs of an event. */
static void frames_ev(const struct recorder *r, const struct rst_event *ev, int func_id,
		      struct frames_ev *e)
{
	*e = (struct frames_ev){ .tid = ev->tid, .ns_tid = ev->ns_tid, .comm = ev->comm,
				 .func_id = func_id, .cfa = ev->cfa,
				 .ts_ns = ev->ts_ns + r->mono_to_real, .seq = ev->seq,
				 .link = ev->link, .anc = ev->anc, .depth = ev->depth,
				 .nolink = ev->flags & RST_EV_NOLINK };
}

/*
 * The text goes with the panic only if none of the thread's events since its
 * first part was lost: a part may be missing, or the text is an earlier
 * panic's whose own panic event was lost.
 */
static int on_panic(struct recorder *r, const struct ev_view *v, const struct frames_ev *e)
{
	struct panic_text *pt = panic_text(r, v->ev->tid);
	char *msg = NULL, *loc = NULL;
	int err;

	if (v->ev->type == RST_REC_PANIC_TEXT) {
		if (pt && v->n == 1) {
			if (!pt->text.len)
				pt->first_seq = e->seq;
			sb_putn(&pt->text, (const char *)v->data[0], v->blob[0]->len);
		}
		return frames__note(r->fr, e);
	}
	if (pt && pt->text.len && !frames__lost_since(r->fr, e->tid, pt->first_seq, e->seq))
		parse_panic(pt->text.s, &msg, &loc);
	err = frames__panic(r->fr, e, msg, loc);
	if (pt)
		sb_reset(&pt->text);
	return err;
}

/* The frame's args (JSON array) or return value (JSON object) from one event. */
static char *values_json(struct recorder *r, struct strbuf *sb, const struct plan_site *site,
			 const struct ev_view *v, bool args)
{
	sb_reset(sb);
	if (r->t.symbols_only) /* no DWARF, so no types: the call tree and timings only */
		sb_puts(sb, args ? "[]" : "{\"type\":null,\"value\":null,"
					  "\"error\":\"traced by symbol: no DWARF\"}");
	else if (args)
		decode__args(site, v, sb);
	else
		decode__ret(site, v, sb);
	return sb_detach(sb);
}

/*
 * The ring buffer's callback, on the consumer's reader thread: a copy of the
 * record goes into its queue, and the ring buffer space is free again.
 */
int rec_on_event(void *ctx, void *data, size_t size)
{
	struct recorder *r = ctx;

	return consumer__push(r->cons, CONS_EVENT, data, size);
}

/* Decoder threads: the values, from the record and the (read-only) plans alone. */
static void decode_item(void *ctx, struct cons_item *it, struct strbuf *sb)
{
	struct recorder *r = ctx;
	const struct site_ref *sr;
	struct ev_view v;

	if (it->kind != CONS_EVENT || decode__view(it->data, it->size, &v))
		return;
	if ((v.ev->type != RST_REC_ENTRY && v.ev->type != RST_REC_EXIT) ||
	    v.ev->cookie >= (uint32_t)r->nsites)
		return;
	sr = &r->sites[v.ev->cookie];
	if (v.ev->type == RST_REC_ENTRY)
		it->out[0] = values_json(r, sb, sr->site, &v, true);
	if (v.ev->type == RST_REC_EXIT || sr->site->exit_kind)
		it->out[1] = values_json(r, sb, sr->site, &v, false);
}

/* The 8 bytes a register step captured, 0 if it did not (or step < 0). */
static uint64_t step_u64(const struct ev_view *v, int step)
{
	uint64_t x = 0;
	int i;

	for (i = 0; step >= 0 && i < v->n; i++)
		if (v->blob[i]->step == step && v->blob[i]->len >= 8) {
			memcpy(&x, v->data[i], 8);
			break;
		}
	return x;
}

/* The writer thread, in ring buffer order: frames and the database. */
static int apply_item(void *ctx, struct cons_item *it)
{
	struct recorder *r = ctx;
	const struct site_ref *sr;
	struct frames_ev e;
	struct ev_view v;
	char *args = it->out[0], *ret = it->out[1];
	int err;

	it->out[0] = it->out[1] = NULL;
	if (it->kind == CONS_LIMIT) {
		const struct capture_limit *l = it->data;

		return store__rate_limit(r->st, (int)l->func_id, l->ts_ns + r->mono_to_real,
					 l->calls, l->window_ns, r->o->cfg.max_calls_per_sec,
					 l->removed_ns ? l->removed_ns + r->mono_to_real : 0);
	}
	if (decode__view(it->data, it->size, &v) ||
	    ((v.ev->type == RST_REC_ENTRY || v.ev->type == RST_REC_EXIT) &&
	     v.ev->cookie >= (uint32_t)r->nsites)) {
		free(args);
		free(ret);
		return 0;
	}
	if (v.ev->type == RST_REC_CAUGHT) {
		/*
		 * cleanup is called by the catching frame itself, from the rsp it
		 * called the now unwound frames with: equal CFAs are gone too.
		 */
		frames_ev(r, v.ev, 0, &e);
		return frames__caught(r->fr, &e, v.ev->site == RST_SITE_CLEANUP);
	}
	if (v.ev->type == RST_REC_THREAD_END) {
		frames_ev(r, v.ev, 0, &e);
		return frames__thread_end(r->fr, &e);
	}
	if (v.ev->type == RST_REC_PANIC || v.ev->type == RST_REC_PANIC_TEXT) {
		frames_ev(r, v.ev, 0, &e);
		return on_panic(r, &v, &e);
	}
	sr = &r->sites[v.ev->cookie];
	frames_ev(r, v.ev, sr->pf->func->id, &e);
	e.fn_addr = sr->pf->func->low_pc;
	/* a redacted function's frame never gets its tail call's value */
	e.tail_to = sr->site->ret && !sr->site->ret->redacted ? sr->site->tail_to : 0;
	e.ret_type = sr->site->ret && sr->site->ret->type ? sr->site->ret->type->name : NULL;
	if (v.ev->type == RST_REC_ENTRY)
		e.sret = step_u64(&v, sr->site->sret_step);
	e.ret_ptr_read = sr->site->rax_step >= 0;
	e.ret_ptr = step_u64(&v, sr->site->rax_step);
	if (v.ev->type == RST_REC_ENTRY) {
		err = frames__enter(r->fr, &e, args);
		/* the probed instruction also leaves: a lone ret, a tail jmp as first instruction */
		if (err >= 0 && sr->site->exit_kind) {
			e.link = e.seq;
			err = frames__exit(r->fr, &e, ret,
					   sr->site->exit_kind == FEXIT_TAIL ? FS_TAIL_CALL : FS_RETURNED);
		} else {
			free(ret);
		}
	} else {
		free(args);
		err = frames__exit(r->fr, &e, ret,
				   v.ev->site == RST_SITE_TAIL ? FS_TAIL_CALL : FS_RETURNED);
	}
	return err < 0 ? err : 0;
}

/*
 * The writer thread, every 200 ms: thread rows and counters with the frames,
 * so a trace cut short (kill -9, a second Ctrl-C) has them as of then.
 */
static int commit_items(void *ctx)
{
	struct recorder *r = ctx;
	uint64_t stats[RST_STAT_NR];
	int err;

	capture__stats(r->cap, stats);
	err = frames__sync(r->fr);
	if (!err && (stats[RST_STAT_EVENTS] != r->ss.events ||
		     stats[RST_STAT_LOST] != r->ss.events_lost)) {
		r->ss.events = stats[RST_STAT_EVENTS];
		r->ss.events_lost = stats[RST_STAT_LOST];
		r->ss.events_truncated = stats[RST_STAT_TRUNC];
		err = store__session(r->st, &r->ss);
	}
	if (!err)
		err = store__flush(r->st);
	return err;
}

/* A function went over the call-rate limit: say so, and keep the decision in the trace. */
void rec_on_limit(void *ctx, const struct capture_limit *l)
{
	struct recorder *r = ctx;
	struct rfunc *f = dwarf_index__func(r->t.idx, (int)l->func_id);

	/* the writer records it, in order with the events (this is the reader thread) */
	consumer__push(r->cons, CONS_LIMIT, l, sizeof(*l));
	if (!r->o->quiet)
		fprintf(stderr, "%srstrace: %s: %llu calls in %.2f s, over --max-rate %d/s: "
			"no longer traced\n", isatty(2) ? "\r\033[K" : "", f ? f->name : "?",
			(unsigned long long)l->calls, l->window_ns / 1e9,
			r->o->cfg.max_calls_per_sec);
}

/* The consumer's threads never take the stop signals: the main thread's poll does. */
int rec_start_consumer(struct recorder *r)
{
	const char *env = getenv("RSTRACE_DECODERS");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	/*
	 * At the target's priority: above it (nice -10 lost half as many
	 * events in test_faults.py's stress test on 2 saturated cores) the
	 * consumer took the CPU from the program, ~0.8 us more per traced call
	 * in make bench. A production process comes first; losses are
	 * counted, and the rate limit keeps them rare.
	 */
	struct consumer_opts co = { .cap = r->cap, .max_bytes = 32 << 20,
				    .period_ns = 200000000ull, .nice = 0 };
	struct consumer_ops ops = { decode_item, apply_item, commit_items, r };
	sigset_t block, old;
	int e;

	/*
	 * The values are most of the work; a second decoder cut the losses by
	 * half or more even on 2 cores (the stress test of test_faults.py).
	 */
	co.decoders = env ? atoi(env) : ncpu >= 3 ? 3 : ncpu == 2 ? 2 : 1;
	if (co.decoders < 0 || co.decoders > 16)
		co.decoders = 1;
	/* RSTRACE_DECODERS and RSTRACE_CONSUMER_NICE: for measuring (bench, test_faults.py) */
	env = getenv("RSTRACE_CONSUMER_NICE");
	if (env)
		co.nice = atoi(env);
	e = consumer__new(&co, &ops, &r->cons);
	if (e)
		return e;
	rec_stop_sigset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	e = consumer__start(r->cons);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

void rec_final_count(void *ctx, uint32_t tid, uint64_t events)
{
	struct recorder *r = ctx;
	int e = frames__final_count(r->fr, tid, events);

	if (e && !r->err)
		r->err = e;
}
