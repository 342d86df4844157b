// SPDX-License-Identifier: MIT
/* `rstrace record`: the session, from opening the trace to its last row. */
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "record_internal.h"

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t file_size(const char *path)
{
	char wal[PATH_MAX + 8];
	struct stat st;
	uint64_t n = 0;

	if (stat(path, &st) == 0)
		n += st.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &st) == 0)
		n += st.st_size;
	return n;
}

/* One line, rewritten in place ~2x/s; only on a terminal. */
static void status_line(struct recorder *r, bool final)
{
	uint64_t stats[RST_STAT_NR], now = now_ns(CLOCK_MONOTONIC);
	double dt = (now - r->status_ns) / 1e9;

	capture__stats(r->cap, stats);
	if (final)
		fprintf(stderr, "%srstrace: %.1fs, %llu events, %lld frames, %llu lost, %.1f MiB in %s\n",
			isatty(2) ? "\r\033[K" : "", (now - r->start_ns) / 1e9,
			(unsigned long long)stats[RST_STAT_EVENTS], (long long)frames__count(r->fr),
			(unsigned long long)stats[RST_STAT_LOST], file_size(r->o->output) / 1048576.0,
			r->o->output);
	else
		fprintf(stderr, "\r\033[Krstrace: %.1fs  %.0f events/s  %lld frames  %llu lost  %.1f MiB",
			(now - r->start_ns) / 1e9,
			dt > 0 ? (stats[RST_STAT_EVENTS] - r->status_events) / dt : 0.0,
			(long long)frames__count(r->fr), (unsigned long long)stats[RST_STAT_LOST],
			file_size(r->o->output) / 1048576.0);
	r->status_events = stats[RST_STAT_EVENTS];
	r->status_ns = now;
}

static void report_losses(const struct store_session *ss)
{
	uint64_t all = ss->events + ss->events_lost;

	fprintf(stderr, "rstrace: %llu events lost (ring buffer full: %.1f%% of %llu); the trace "
		"marks where (table gap, frames with parent_lost or status 'lost'), thread rows "
		"count them per thread\n", (unsigned long long)ss->events_lost,
		all ? 100.0 * ss->events_lost / all : 0.0, (unsigned long long)all);
}

/* The program's exit status as a shell gives it. */
static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * The trace cannot be written (a full disk): the probes are already gone.
 * The program is not stopped for it, as strace and uftrace do not stop it
 * when their output fails: a launched one runs on and rstrace still passes
 * its exit status; an attached one is left as after any detach.
 */
static void write_failed(struct recorder *r, bool running)
{
	int e = consumer__error(r->cons);
	const char *why = store__errmsg(r->st);

	if (!e)
		e = r->err;
	fprintf(stderr, "rstrace: cannot write %s: %s%s%s%s\n", r->o->output, strerror(-e),
		why ? " (" : "", why ? why : "", why ? ")" : "");
	if (running)
		fprintf(stderr, "rstrace: probes removed: pid %d runs on untraced, and rstrace "
			"exits with its status when it ends; ", r->pid);
	else
		fprintf(stderr, "rstrace: probes removed; ");
	fprintf(stderr, "%s keeps the trace as of its last commit (at most 200 ms before the "
		"error), marked unfinished (session.state 'recording')\n", r->o->output);
}

/* The trace never replaces the program it traces. */
static int open_output(struct recorder *r)
{
	struct store_opts so = { .force = r->o->force };
	struct stat exe_st;
	char err[512];
	int e;

	if (stat(r->t.exe, &exe_st) == 0) {
		so.keep_dev = exe_st.st_dev;
		so.keep_ino = exe_st.st_ino;
	}
	e = store__open(r->o->output, &so, &r->st, err, sizeof(err));
	if (e) {
		fprintf(stderr, "rstrace: %s\n", err);
		return e;
	}
	return frames__new(r->st, &r->fr);
}

/* The session row, "recording" until the end. */
static int begin_session(struct recorder *r)
{
	struct store_session *ss = &r->ss;
	char err[512];
	int e;

	ss->attach_mode = capture__mode_name(r->cap);
	ss->kernel = uname(&r->kernel) == 0 ? r->kernel.release : NULL;
	ss->kernel_features = capture__features(r->cap);
	ss->probes = capture__nsites(r->cap);
	ss->attach_ns = capture__attach_ns(r->cap);
	ss->max_calls_per_sec = r->o->empty_probes ? 0 : (uint64_t)r->o->cfg.max_calls_per_sec;
	ss->command = rec_command(r);
	ss->binary = r->t.exe;
	ss->pid = r->pid;
	ss->start_ns = now_ns(CLOCK_REALTIME);
	ss->state = "recording";
	e = store__session(r->st, ss);
	if (!e)
		e = store__flush(r->st);
	if (e) {
		fprintf(stderr, "rstrace: cannot write %s: %s\n", r->o->output,
			store__errmsg(r->st) ? store__errmsg(r->st) : strerror(-e));
		return e;
	}
	/* tracing has started: the trace replaces what was at o->output */
	e = store__publish(r->st, err, sizeof(err));
	if (e)
		fprintf(stderr, "rstrace: %s\n", err);
	return e;
}

/* Program started or found, probes in, session begun; then the consumer and the program run. */
static int start_tracing(struct recorder *r)
{
	int e;

	e = rec_start_target(r);
	if (e)
		return e;
	r->mono_to_real = (int64_t)(now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC));
	e = rec_attach(r);
	if (!e)
		e = begin_session(r);
	if (e)
		return e;
	e = rec_start_consumer(r);
	if (e) {
		fprintf(stderr, "rstrace: cannot start the consumer threads: %s\n", strerror(-e));
		return e;
	}
	e = rec_resume_target(r);
	if (e)
		return e;
	if (!r->launched && !r->o->quiet)
		fprintf(stderr, "rstrace: tracing pid %d (%d probes); Ctrl-C to stop\n", r->pid,
			capture__nsites(r->cap));
	return 0;
}

/* Until the program ends, a stop signal, --duration, or a write error. */
static void wait_for_end(struct recorder *r)
{
	uint64_t deadline = 0;

	r->start_ns = r->status_ns = now_ns(CLOCK_MONOTONIC);
	if (r->o->duration > 0)
		deadline = r->start_ns + (uint64_t)(r->o->duration * 1e9);
	for (;;) {
		struct pollfd pf = { r->pidfd, POLLIN, 0 };

		/* the consumer threads read the ring buffer; here: the target, signals, the clock */
		poll(&pf, r->pidfd >= 0 ? 1 : 0, 100);
		if (consumer__error(r->cons))
			break;
		if (rec_target_exited(r, pf.revents & POLLIN))
			break;
		if (rec_stop_requested() || (deadline && now_ns(CLOCK_MONOTONIC) >= deadline))
			break;
		if (!r->o->quiet && isatty(2) && now_ns(CLOCK_MONOTONIC) - r->status_ns >= 500000000ull)
			status_line(r, false);
	}
}

/* The session row "complete"; the probes removed if still there. */
static int complete_session(struct recorder *r, bool gone, bool slow)
{
	struct store_session *ss = &r->ss;
	uint64_t stats[RST_STAT_NR];
	int e;

	capture__stats(r->cap, stats);
	if (!r->o->quiet)
		status_line(r, true);
	e = frames__finish(r->fr, gone ? FS_OPEN : FS_DETACHED);
	ss->detach_ns = capture__detach_ns(r->cap);
	ss->end_ns = now_ns(CLOCK_REALTIME);
	if (r->launched)
		ss->exit_status = exit_code(r->status);
	ss->events = stats[RST_STAT_EVENTS];
	ss->events_lost = stats[RST_STAT_LOST];
	ss->events_truncated = stats[RST_STAT_TRUNC];
	ss->state = "complete";
	if (!e)
		e = store__session(r->st, ss);
	if (!e)
		e = store__flush(r->st);
	if (e) {
		write_failed(r, false);
		return r->launched ? ss->exit_status : e;
	}
	if (ss->events_lost)
		report_losses(ss);
	if (slow && capture__nsites(r->cap)) {
		if (!r->o->quiet && capture__nsites(r->cap) > 10)
			fprintf(stderr, "rstrace: trace complete; removing %d probes one at a time "
				"(no uprobe_multi in this kernel, ~0.3 s each); Ctrl-C again "
				"leaves now\n", capture__nsites(r->cap));
		capture__detach(r->cap);
		ss->detach_ns = capture__detach_ns(r->cap);
		e = store__session(r->st, ss);
		if (!e)
			e = store__flush(r->st);
	}
	if (!e && r->launched)
		e = ss->exit_status;
	return e;
}

/*
 * Probes first: from here the target runs untraced and no handler
 * writes any more. Then what the ring buffer still holds, then the
 * frames left open and the session row. Per-probe perf events take
 * ~0.3 s each to remove: those programs are muted instead, the
 * database completed, and the probes removed last.
 */
static int finish(struct recorder *r)
{
	bool gone = r->waited || (!r->launched && kill(r->pid, 0) != 0);
	bool slow = capture__mode(r->cap) == CAPTURE_PERF && !consumer__error(r->cons);
	int e;

	if (slow)
		capture__mute(r->cap);
	else
		capture__detach(r->cap);
	e = consumer__finish(r->cons);
	if (!e)
		e = capture__thread_counts(r->cap, rec_final_count, r);
	if (!e)
		e = r->err;
	if (e) {
		capture__detach(r->cap);
		write_failed(r, r->launched && !r->waited);
		rec_reap_target(r);
		return r->launched ? exit_code(r->status) : e;
	}
	return complete_session(r, gone, slow);
}

static void recorder_free(struct recorder *r)
{
	int i;

	consumer__free(r->cons);
	capture__free(r->cap);
	frames__free(r->fr);
	store__close(r->st);
	for (i = 0; i < r->npfs; i++)
		plan__free(&r->pfs[i]);
	free(r->pfs);
	free(r->sites);
	free(r->panic_pf.sites);
	for (i = 0; i < r->ntexts; i++)
		sb_free(&r->texts[i].text);
	free(r->texts);
	free((char *)r->ss.command);
	target__close(&r->t);
}

int record__run(struct record_opts *o)
{
	struct recorder r = { .o = o, .launched = !o->pid, .pid = -1, .pidfd = -1,
			      .ss = { .exit_status = -1 } };
	char err[512];
	int e;

	e = capture__check_kernel(err, sizeof(err));
	if (e) {
		fprintf(stderr, "rstrace: %s\n", err);
		goto cleanup;
	}
	e = rec_open_target(&r);
	if (!e)
		e = rec_build_plans(&r);
	if (!e)
		e = open_output(&r);
	if (!e)
		e = start_tracing(&r);
	if (e)
		goto cleanup;
	wait_for_end(&r);
	e = finish(&r);
cleanup:
	rec_release_target(&r);
	recorder_free(&r);
	return e;
}
