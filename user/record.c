// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "capture.h"
#include "decode.h"
#include "dwarf_index.h"
#include "elf_image.h"
#include "frames.h"
#include "plan.h"
#include "record.h"
#include "store.h"

struct site_ref {
	struct plan_func *pf;
	struct plan_site *site;
};

struct recorder {
	struct record_opts *o;
	struct dwarf_index *idx;
	struct elf_image *img;
	struct plan_func *pfs;
	int npfs;
	struct site_ref *sites;
	int nsites;
	struct store *st;
	struct frames *fr;
	struct capture *cap;
	int64_t mono_to_real;
	struct strbuf sb;
	int err; /* first error of the event callback */
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct recorder *r = ctx;
	struct ev_view v;
	const struct site_ref *sr;
	uint64_t ts;
	int err;

	if (r->err || decode__view(data, size, &v) || v.ev->cookie >= (uint32_t)r->nsites)
		return 0;
	sr = &r->sites[v.ev->cookie];
	ts = v.ev->ts_ns + r->mono_to_real;
	sb_reset(&r->sb);
	if (v.ev->type == RST_REC_ENTRY) {
		decode__args(sr->site, &v, &r->sb);
		err = frames__enter(r->fr, v.ev->tgid, v.ev->tid, sr->pf->func->id, v.ev->cfa, ts,
				    sb_detach(&r->sb));
	} else {
		const char *status = v.ev->site == RST_SITE_TAIL ? "tail_call" : "returned";

		decode__ret(sr->site, &v, &r->sb);
		err = frames__exit(r->fr, v.ev->tid, sr->pf->func->id, v.ev->cfa, ts,
				   sb_detach(&r->sb), status);
	}
	if (err < 0)
		r->err = err;
	return 0;
}

static bool redact_cb(const char *name, void *ctx)
{
	return config__redacted(ctx, name);
}

static bool selected(const struct record_opts *o, const char *main_crate, const struct rfunc *f)
{
	const struct config *c = &o->cfg;
	enum trace_mode m;
	bool in = false;
	int i;

	if (f->crate) {
		m = config__crate_mode(c, f->crate);
		if (m == TRACE_FULL)
			in = true;
		else if (m == TRACE_DEFAULT && main_crate && strcmp(f->crate, main_crate) == 0)
			in = true;
	}
	for (i = 0; !in && i < c->ninclude; i++)
		in = config__glob(c->include[i], f->name);
	for (i = 0; in && i < c->nexclude; i++)
		in = !config__glob(c->exclude[i], f->name);
	return in;
}

/* execvp's lookup, so the probes go on the file that will run. */
static int resolve(const char *cmd, char *out)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(cmd, '/'))
		return realpath(cmd, out) ? 0 : -errno;
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, cmd);
		if (access(buf, X_OK) == 0 && realpath(buf, out))
			return 0;
		path += n + (path[n] == ':');
	}
	return -ENOENT;
}

static int build_plans(struct recorder *r, const char *binary)
{
	const char *main_crate = dwarf_index__main_crate(r->idx);
	struct plan_limits lim = { r->o->cfg.max_array_size, r->o->cfg.max_string_bytes,
				   r->o->cfg.max_depth };
	int n = dwarf_index__nfuncs(r->idx), i, j, skipped = 0;
	char why[256];

	r->pfs = calloc(n ? n : 1, sizeof(*r->pfs));
	if (!r->pfs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct rfunc *f = dwarf_index__func(r->idx, i);
		struct plan_func *pf = &r->pfs[r->npfs];

		if (!selected(r->o, main_crate, f))
			continue;
		if (plan__build(r->idx, r->img, f, &lim, redact_cb, &r->o->cfg, pf, why,
				sizeof(why))) {
			skipped++;
			continue;
		}
		r->npfs++;
		r->nsites += pf->nsites;
	}
	if (skipped && !r->o->quiet)
		fprintf(stderr, "rstrace: %d functions skipped (no usable code or DWARF)\n", skipped);
	if (!r->npfs) {
		fprintf(stderr, "rstrace: no function to trace in %s (crate of main: %s)\n", binary,
			main_crate ? main_crate : "not found: is the binary built with -g?");
		return -ENOENT;
	}
	r->sites = calloc(r->nsites, sizeof(*r->sites));
	if (!r->sites)
		return -ENOMEM;
	r->nsites = 0;
	for (i = 0; i < r->npfs; i++)
		for (j = 0; j < r->pfs[i].nsites; j++)
			r->sites[r->nsites++] = (struct site_ref){ &r->pfs[i], &r->pfs[i].sites[j] };
	return 0;
}

static int attach_all(struct recorder *r, const char *binary, pid_t pid)
{
	struct capture_opts co = { .pid = pid, .nplans = r->nsites, .empty = r->o->empty_probes,
				   .fn = on_event, .ctx = r };
	char err[512];
	int i, e;

	e = capture__open(&co, &r->cap, err, sizeof(err));
	if (e) {
		fprintf(stderr, "rstrace: %s\n", err);
		return e;
	}
	for (i = 0; i < r->nsites; i++) {
		struct plan_site *s = r->sites[i].site;
		uint64_t off;

		if (s->bpf.site == RST_SITE_ENTRY) {
			e = store__add_function(r->st, r->sites[i].pf->func, s->pc);
			if (e)
				return e;
		}
		e = capture__set_plan(r->cap, i, &s->bpf);
		if (!e)
			e = elf_image__offset(r->img, s->pc, &off);
		if (!e)
			e = capture__attach(r->cap, binary, off, i);
		if (e) {
			fprintf(stderr, "rstrace: cannot attach probe to %s at 0x%llx in %s: %s\n",
				r->sites[i].pf->func->name, (unsigned long long)s->pc, binary,
				strerror(-e));
			return e;
		}
	}
	return capture__ready(r->cap);
}

/* Child stops at its first instruction (PTRACE_TRACEME + exec), so no call is missed. */
static pid_t spawn(char **argv, int *err)
{
	pid_t pid = fork();
	int st;

	if (pid < 0) {
		*err = -errno;
		return -1;
	}
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "rstrace: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) {
		*err = -ECHILD;
		return -1;
	}
	return pid;
}

static char *join_args(char **argv)
{
	struct strbuf sb;
	int i;

	sb_init(&sb);
	for (i = 0; argv[i]; i++) {
		if (i)
			sb_putc(&sb, ' ');
		sb_puts(&sb, argv[i]);
	}
	return sb_detach(&sb);
}

int record__run(struct record_opts *o)
{
	struct recorder r = { .o = o };
	struct store_session ss = { .exit_status = -1 };
	char binary[PATH_MAX], err[512];
	uint64_t stats[RST_STAT_NR], last_flush;
	pid_t pid = -1;
	int e, status = 0, pidfd = -1;
	void (*old_int)(int) = SIG_ERR, (*old_term)(int) = SIG_ERR;

	sb_init(&r.sb);
	e = resolve(o->argv[0], binary);
	if (e) {
		fprintf(stderr, "rstrace: cannot find program %s: %s\n", o->argv[0], strerror(-e));
		goto cleanup;
	}
	e = elf_image__open(binary, &r.img);
	if (e) {
		fprintf(stderr, "rstrace: cannot read ELF file %s: %s\n", binary, strerror(-e));
		goto cleanup;
	}
	e = dwarf_index__open(binary, &r.idx);
	if (e) {
		fprintf(stderr, "rstrace: no DWARF debug info in %s: build it with -g (or "
				"debug = true in Cargo's profile)\n", binary);
		goto cleanup;
	}
	e = build_plans(&r, binary);
	if (e)
		goto cleanup;
	e = store__open(o->output, &r.st, err, sizeof(err));
	if (e) {
		fprintf(stderr, "rstrace: %s\n", err);
		goto cleanup;
	}
	e = frames__new(r.st, &r.fr);
	if (e)
		goto cleanup;
	pid = spawn(o->argv, &e);
	if (pid < 0) {
		fprintf(stderr, "rstrace: cannot start %s: %s\n", o->argv[0], strerror(-e));
		goto cleanup;
	}
	r.mono_to_real = (int64_t)(now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC));
	e = attach_all(&r, binary, pid);
	if (e) {
		kill(pid, SIGKILL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		waitpid(pid, NULL, 0);
		pid = -1;
		goto cleanup;
	}
	ss.command = join_args(o->argv);
	ss.binary = binary;
	ss.pid = pid;
	ss.start_ns = now_ns(CLOCK_REALTIME);
	store__session(r.st, &ss);
	store__flush(r.st);
	/* Like strace: a terminal's Ctrl-C reaches the child; we finish the trace. */
	old_int = signal(SIGINT, SIG_IGN);
	old_term = signal(SIGTERM, SIG_IGN);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL)) {
		e = -errno;
		fprintf(stderr, "rstrace: cannot resume %s: %s\n", o->argv[0], strerror(-e));
		goto cleanup;
	}
	last_flush = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		struct pollfd pf[2] = { { capture__epoll_fd(r.cap), POLLIN, 0 }, { pidfd, POLLIN, 0 } };
		bool exited;

		poll(pf, pidfd >= 0 ? 2 : 1, 100);
		capture__consume(r.cap);
		if (r.err) {
			e = r.err;
			fprintf(stderr, "rstrace: cannot write trace: %s\n", strerror(-e));
			break;
		}
		exited = pidfd >= 0 ? (pf[1].revents & POLLIN) : waitpid(pid, &status, WNOHANG) == pid;
		if (exited) {
			if (pidfd >= 0)
				waitpid(pid, &status, 0);
			capture__consume(r.cap);
			break;
		}
		if (now_ns(CLOCK_MONOTONIC) - last_flush >= 200000000ull) {
			e = store__flush(r.st);
			if (e)
				break;
			last_flush = now_ns(CLOCK_MONOTONIC);
		}
	}
	if (!e) {
		frames__finish(r.fr, "open");
		capture__stats(r.cap, stats);
		ss.end_ns = now_ns(CLOCK_REALTIME);
		ss.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		ss.events = stats[RST_STAT_EVENTS];
		ss.events_lost = stats[RST_STAT_LOST];
		ss.events_truncated = stats[RST_STAT_TRUNC];
		store__session(r.st, &ss);
		e = store__flush(r.st);
		if (ss.events_lost)
			fprintf(stderr, "rstrace: %llu events lost (ring buffer full)\n",
				(unsigned long long)ss.events_lost);
		if (!e)
			e = ss.exit_status;
	}
	pid = -1;
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (old_int != SIG_ERR)
		signal(SIGINT, old_int);
	if (old_term != SIG_ERR)
		signal(SIGTERM, old_term);
	capture__free(r.cap);
	frames__free(r.fr);
	store__close(r.st);
	for (int i = 0; i < r.npfs; i++)
		plan__free(&r.pfs[i]);
	free(r.pfs);
	free(r.sites);
	free((char *)ss.command);
	dwarf_index__free(r.idx);
	elf_image__free(r.img);
	sb_free(&r.sb);
	return e;
}
