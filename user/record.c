// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "callsite.h"
#include "capture.h"
#include "decode.h"
#include "demangle.h"
#include "dwarf_index.h"
#include "elf_image.h"
#include "fcode.h"
#include "frames.h"
#include "plan.h"
#include "record.h"
#include "store.h"
#include "target.h"

struct site_ref {
	struct plan_func *pf;
	struct plan_site *site;
};

/* Panic hook output collected per thread until its rust_panic event. */
struct panic_text {
	uint32_t tid;
	struct strbuf text;
};

struct recorder {
	struct record_opts *o;
	struct target t;
	struct plan_func panic_pf; /* sites at std's panic hook, stderr writer, rust_panic, catch_unwind */
	struct panic_text *texts;
	int ntexts;
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

static struct strbuf *panic_text(struct recorder *r, uint32_t tid)
{
	struct panic_text *nt;
	int i;

	for (i = 0; i < r->ntexts; i++)
		if (r->texts[i].tid == tid)
			return &r->texts[i].text;
	nt = realloc(r->texts, sizeof(*nt) * (r->ntexts + 1));
	if (!nt)
		return NULL;
	r->texts = nt;
	nt[r->ntexts].tid = tid;
	sb_init(&nt[r->ntexts].text);
	return &nt[r->ntexts++].text;
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

static int on_panic(struct recorder *r, const struct ev_view *v, uint64_t ts)
{
	struct strbuf *sb = panic_text(r, v->ev->tid);
	char *msg = NULL, *loc = NULL;
	int err;

	if (v->ev->type == RST_REC_PANIC_TEXT) {
		if (sb && v->n == 1)
			sb_putn(sb, (const char *)v->data[0], v->blob[0]->len);
		return 0;
	}
	if (sb && sb->len)
		parse_panic(sb->s, &msg, &loc);
	err = frames__panic(r->fr, v->ev->tid, ts, msg, loc);
	if (sb)
		sb_reset(sb);
	return err;
}

/* The frame's args (JSON array) or return value (JSON object) from one event. */
static char *values_json(struct recorder *r, const struct plan_site *site, const struct ev_view *v,
			 bool args)
{
	sb_reset(&r->sb);
	if (r->t.symbols_only) /* no DWARF, so no types: the call tree and timings only */
		sb_puts(&r->sb, args ? "[]" : "{\"type\":null,\"value\":null,"
					      "\"error\":\"traced by symbol: no DWARF\"}");
	else if (args)
		decode__args(site, v, &r->sb);
	else
		decode__ret(site, v, &r->sb);
	return sb_detach(&r->sb);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct recorder *r = ctx;
	struct ev_view v;
	const struct site_ref *sr;
	uint64_t ts;
	int err;

	if (r->err || decode__view(data, size, &v))
		return 0;
	ts = v.ev->ts_ns + r->mono_to_real;
	if (v.ev->type == RST_REC_CAUGHT) {
		/*
		 * cleanup is called by the catching frame itself, from the rsp it
		 * called the now unwound frames with: equal CFAs are gone too.
		 */
		err = frames__caught(r->fr, v.ev->tid, v.ev->cfa,
				     v.ev->site == RST_SITE_CLEANUP, ts);
		if (err < 0)
			r->err = err;
		return 0;
	}
	if (v.ev->type == RST_REC_PANIC || v.ev->type == RST_REC_PANIC_TEXT) {
		err = on_panic(r, &v, ts);
		if (err < 0)
			r->err = err;
		return 0;
	}
	if (v.ev->cookie >= (uint32_t)r->nsites)
		return 0;
	sr = &r->sites[v.ev->cookie];
	if (v.ev->type == RST_REC_ENTRY) {
		err = frames__enter(r->fr, v.ev->tid, v.ev->ns_tid, v.ev->comm, sr->pf->func->id,
				    v.ev->cfa, ts, values_json(r, sr->site, &v, true));
		/* the probed instruction also leaves: a lone ret, a tail jmp as first instruction */
		if (err >= 0 && sr->site->exit_kind)
			err = frames__exit(r->fr, v.ev->tid, sr->pf->func->id, v.ev->cfa, ts,
					   values_json(r, sr->site, &v, false),
					   sr->site->exit_kind == FEXIT_TAIL ? "tail_call" : "returned");
	} else {
		err = frames__exit(r->fr, v.ev->tid, sr->pf->func->id, v.ev->cfa, ts,
				   values_json(r, sr->site, &v, false),
				   v.ev->site == RST_SITE_TAIL ? "tail_call" : "returned");
	}
	if (err < 0)
		r->err = err;
	return 0;
}

static bool redact_cb(const char *name, void *ctx)
{
	return config__redacted(ctx, name);
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

/*
 * std's rust_panic starts the unwinding once the hook has printed the
 * message; default_hook is where that printing starts; catch_unwind's
 * do_catch runs when a panic is caught. All optional: without them frames
 * left by a panic are still closed, as "no_exit".
 */
static struct plan_site *add_special(struct recorder *r, struct rfunc *f, enum rst_site kind)
{
	struct plan_site *ns = realloc(r->panic_pf.sites, sizeof(*ns) * (r->panic_pf.nsites + 1));

	if (!ns)
		return NULL;
	r->panic_pf.sites = ns;
	ns = &ns[r->panic_pf.nsites++];
	memset(ns, 0, sizeof(*ns));
	r->panic_pf.func = f;
	ns->pc = f->low_pc;
	ns->bpf.func_id = f->id;
	ns->bpf.site = kind;
	/* at a function's first instruction rsp points at the return address */
	ns->bpf.cfa_reg = 7;
	ns->bpf.cfa_off = 8;
	return ns;
}

/*
 * std's stderr writers: "<std::sys::…::Stderr as std::io::Write>::write" and
 * write_all, "<…Adapter<std::sys::…::Stderr> as core::fmt::Write>::write_str"
 * (the module moved between releases: sys::unix::stdio in 1.63,
 * sys::stdio::unix in 1.95). The default hook's bytes reach write(2) through
 * one of them, which one depends on the release and on inlining. Legacy
 * symbols (std of rustc < 1.70 or so) name the default method's copies
 * "std::io::Write::write_all" without the writer: 1.63 writes the panic
 * message there. Other writers' calls in those copies are dropped by the fd
 * check in BPF.
 */
static bool is_stderr_writer(const struct rfunc *f)
{
	static const char wa[] = "std::io::Write::write_all";

	if (!f->crate || strcmp(f->crate, "std"))
		return false;
	return strstr(f->name, "Stderr") ||
	       (!strncmp(f->name, wa, sizeof(wa) - 1) &&
		(!f->name[sizeof(wa) - 1] || f->name[sizeof(wa) - 1] == '<'));
}

/*
 * The probes go on the calls of libc's write() inside them, not on their
 * entries: there the C ABI holds (rdi fd, rsi buffer, rdx length), while
 * rustc passes a slice in other registers when it returns io::Result
 * through memory (1.63: rdx/rcx after the sret pointer; 1.95: rsi/rdx).
 */
static void add_stderr_writes(struct recorder *r, struct rfunc *f)
{
	uint64_t pcs[8];
	int n, i;

	n = callsite__find(r->t.img, f->low_pc, f->high_pc, "write", pcs, 8);
	for (i = 0; i < n; i++) {
		struct plan_site *ns = add_special(r, f, RST_SITE_STDERR);

		if (!ns)
			return;
		ns->pc = pcs[i];
		ns->bpf.cfa_reg = 0xff;
		ns->bpf.cfa_off = 0;
	}
}

static void find_panic_functions(struct recorder *r)
{
	int n = dwarf_index__nfuncs(r->t.idx), i;

	for (i = 0; i < n; i++) {
		struct rfunc *f = dwarf_index__func(r->t.idx, i);

		if (!strcmp(f->name, "__rustc::rust_panic") || !strcmp(f->name, "std::panicking::rust_panic"))
			add_special(r, f, RST_SITE_PANIC);
		/*
		 * do_catch is called from __rust_try's landing pad, like do_call
		 * (which ran the closure) from its body: frames below its CFA
		 * were unwound. Generic: one copy per catch_unwind type.
		 */
		else if (demangle__path_is(f->name, "std::panicking::catch_unwind::do_catch") ||
			 demangle__path_is(f->name, "std::panicking::try::do_catch"))
			add_special(r, f, RST_SITE_CAUGHT);
		/* when do_catch is inlined (opt-level >= 1), only this is left */
		else if (demangle__path_is(f->name, "std::panicking::catch_unwind::cleanup") ||
			 demangle__path_is(f->name, "std::panicking::try::cleanup"))
			add_special(r, f, RST_SITE_CLEANUP);
		else if (!strcmp(f->name, "std::panicking::default_hook"))
			add_special(r, f, RST_SITE_HOOK);
		else if (is_stderr_writer(f))
			add_stderr_writes(r, f);
	}
}

static int build_plans(struct recorder *r)
{
	const char *main_crate = r->t.main_crate;
	struct plan_limits lim = { r->o->cfg.max_array_size, r->o->cfg.max_string_bytes,
				   r->o->cfg.max_depth };
	struct plan_ctx pc = { .idx = r->t.idx, .img = r->t.img, .cg = r->t.cg, .lim = &lim,
			       .redact = redact_cb, .redact_ctx = &r->o->cfg,
			       .panic_abort = r->t.panic_abort,
			       /* RSTRACE_RET_PROBES=1: every return on ret probes (tests compare) */
			       .no_uretprobes = getenv("RSTRACE_RET_PROBES") != NULL };
	int n = dwarf_index__nfuncs(r->t.idx), i, j, skipped = 0;
	char why[256];

	r->pfs = calloc(n ? n : 1, sizeof(*r->pfs));
	if (!r->pfs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct rfunc *f = dwarf_index__func(r->t.idx, i);
		struct plan_func *pf = &r->pfs[r->npfs];

		if (!target__selected(&r->t, &r->o->cfg, f))
			continue;
		if (plan__build(&pc, f, pf, why, sizeof(why))) {
			if (!skipped++ && !r->o->quiet)
				fprintf(stderr, "rstrace: not traced: %s\n", why);
			continue;
		}
		r->npfs++;
		r->nsites += pf->nsites;
	}
	if (skipped && !r->o->quiet)
		fprintf(stderr, "rstrace: %d selected functions not traced (`rstrace functions "
			"--all %s` says why)\n", skipped, r->t.exe);
	if (!r->npfs) {
		fprintf(stderr, "rstrace: no function to trace in %s (crate of main: %s); "
			"check the selection with: rstrace functions %s\n", r->t.exe,
			main_crate ? main_crate : "not found", r->t.exe);
		return -ENOENT;
	}
	find_panic_functions(r);
	r->sites = calloc(r->nsites + r->panic_pf.nsites, sizeof(*r->sites));
	if (!r->sites)
		return -ENOMEM;
	r->nsites = 0;
	for (i = 0; i < r->npfs; i++)
		for (j = 0; j < r->pfs[i].nsites; j++)
			r->sites[r->nsites++] = (struct site_ref){ &r->pfs[i], &r->pfs[i].sites[j] };
	for (j = 0; j < r->panic_pf.nsites; j++)
		r->sites[r->nsites++] = (struct site_ref){ &r->panic_pf, &r->panic_pf.sites[j] };
	return 0;
}

/* A function went over the call-rate limit: say so, and keep the decision in the trace. */
static void on_limit(void *ctx, const struct capture_limit *l)
{
	struct recorder *r = ctx;
	struct rfunc *f = dwarf_index__func(r->t.idx, (int)l->func_id);
	int e;

	e = store__rate_limit(r->st, (int)l->func_id, l->ts_ns + r->mono_to_real, l->calls,
			      l->window_ns, r->o->cfg.max_calls_per_sec,
			      l->removed_ns ? l->removed_ns + r->mono_to_real : 0);
	if (e < 0 && !r->err)
		r->err = e;
	if (!r->o->quiet)
		fprintf(stderr, "%srstrace: %s: %llu calls in %.2f s, over --max-rate %d/s: "
			"no longer traced\n", isatty(2) ? "\r\033[K" : "", f ? f->name : "?",
			(unsigned long long)l->calls, l->window_ns / 1e9,
			r->o->cfg.max_calls_per_sec);
}

/*
 * RSTRACE_ATTACH=perf forces one perf-event uprobe per site (what kernels
 * before 6.6 get), =multi requires uprobe_multi; unset: the best there is.
 */
static int attach_mode(enum capture_mode *mode)
{
	const char *m = getenv("RSTRACE_ATTACH");

	*mode = CAPTURE_AUTO;
	if (!m || !*m || !strcmp(m, "auto"))
		return 0;
	if (!strcmp(m, "perf"))
		*mode = CAPTURE_PERF;
	else if (!strcmp(m, "multi"))
		*mode = CAPTURE_MULTI;
	else
		return -EINVAL;
	return 0;
}

static int attach_all(struct recorder *r, pid_t pid)
{
	struct capture_opts co = { .pid = pid, .binary = r->t.exe, .nplans = r->nsites,
				   .nfuncs = dwarf_index__nfuncs(r->t.idx),
				   .empty = r->o->empty_probes,
				   .max_calls_per_sec = (uint64_t)r->o->cfg.max_calls_per_sec,
				   .fn = on_event, .on_limit = on_limit, .ctx = r };
	bool stderr_site = false;
	char err[512];
	uint64_t off;
	int64_t bad;
	int i, e;

	if (attach_mode(&co.mode)) {
		fprintf(stderr, "rstrace: RSTRACE_ATTACH must be auto, multi or perf\n");
		return -EINVAL;
	}
	e = capture__open(&co, &r->cap, err, sizeof(err));
	if (e) {
		fprintf(stderr, "rstrace: %s\n", err);
		return e;
	}
	for (i = 0; i < r->nsites; i++) {
		struct plan_site *s = r->sites[i].site;
		bool special = r->sites[i].pf == &r->panic_pf;

		if (s->bpf.site == RST_SITE_ENTRY && !special) {
			const struct plan_func *pf = r->sites[i].pf;

			e = store__add_function(r->st, pf->func, s->pc,
						pf->uretprobe ? "uretprobe" : "ret", pf->ret_why);
			if (e)
				return e;
		}
		e = capture__set_plan(r->cap, i, &s->bpf);
		if (!e)
			e = elf_image__offset(r->t.img, s->pc, &off);
		/* panic bookkeeping is an extra: trace without what fails of it */
		if (!e)
			e = capture__add_site(r->cap, off, i,
					      (special ? CAPTURE_SITE_OPTIONAL : 0) |
						      (s->retprobe ? CAPTURE_SITE_RETURN : 0));
		if (e && special) {
			e = 0;
			continue;
		}
		if (e) {
			fprintf(stderr, "rstrace: cannot probe %s at 0x%llx in %s: %s\n",
				r->sites[i].pf->func->name, (unsigned long long)s->pc, r->t.exe,
				strerror(-e));
			return e;
		}
		stderr_site |= s->bpf.site == RST_SITE_STDERR;
	}
	e = capture__attach(r->cap, err, sizeof(err));
	if (e) {
		bad = capture__bad_cookie(r->cap);
		if (bad >= 0 && bad < r->nsites)
			fprintf(stderr, "rstrace: cannot attach probe to %s at 0x%llx in %s: %s\n",
				r->sites[bad].pf->func->name, (unsigned long long)r->sites[bad].site->pc,
				r->t.exe, strerror(-e));
		else
			fprintf(stderr, "rstrace: %s\n", err);
		return e;
	}
	if (!r->o->quiet && !r->o->empty_probes && (!stderr_site || capture__nfailed(r->cap)))
		fprintf(stderr, "rstrace: panic messages %s\n",
			stderr_site ? "and unwinding may be recorded incompletely (some std probes "
				      "could not be attached)"
				    : "will not be recorded (no write() call found in std's Stderr)");
	return capture__ready(r->cap);
}

/* How the probes went in, for the session row; kernel must outlive ss. */
static void session_capture_info(struct recorder *r, struct store_session *ss,
				 struct utsname *kernel)
{
	ss->attach_mode = capture__mode_name(r->cap);
	ss->kernel = uname(kernel) == 0 ? kernel->release : NULL;
	ss->kernel_features = capture__features(r->cap);
	ss->probes = capture__nsites(r->cap);
	ss->attach_ns = capture__attach_ns(r->cap);
	ss->max_calls_per_sec = r->o->empty_probes ? 0 : (uint64_t)r->o->cfg.max_calls_per_sec;
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
static void status_line(struct recorder *r, uint64_t start, uint64_t *last_events, uint64_t *last_ns,
			bool final)
{
	uint64_t stats[RST_STAT_NR], now = now_ns(CLOCK_MONOTONIC);
	double dt = (now - *last_ns) / 1e9;

	capture__stats(r->cap, stats);
	if (final)
		fprintf(stderr, "%srstrace: %.1fs, %llu events, %lld frames, %llu lost, %.1f MiB in %s\n",
			isatty(2) ? "\r\033[K" : "", (now - start) / 1e9,
			(unsigned long long)stats[RST_STAT_EVENTS], (long long)frames__count(r->fr),
			(unsigned long long)stats[RST_STAT_LOST], file_size(r->o->output) / 1048576.0,
			r->o->output);
	else
		fprintf(stderr, "\r\033[Krstrace: %.1fs  %.0f events/s  %lld frames  %llu lost  %.1f MiB",
			(now - start) / 1e9, dt > 0 ? (stats[RST_STAT_EVENTS] - *last_events) / dt : 0.0,
			(long long)frames__count(r->fr), (unsigned long long)stats[RST_STAT_LOST],
			file_size(r->o->output) / 1048576.0);
	*last_events = stats[RST_STAT_EVENTS];
	*last_ns = now;
}

static volatile sig_atomic_t stop_requests;

/* First signal: finish the trace and detach; second: leave at once (the database stays valid). */
static void on_stop_signal(int sig)
{
	if (stop_requests++)
		_exit(128 + sig);
}

static char *proc_cmdline(pid_t pid)
{
	char path[64], buf[4096];
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	for (i = 0; i < n - 1; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = 0;
	return strdup(buf);
}

static int open_target(struct recorder *r)
{
	char exe[PATH_MAX], inroot[PATH_MAX], root[64], err[1024];
	ssize_t n;
	int e;

	if (r->o->pid) {
		/* /proc/PID/exe reaches the file even from another mount namespace */
		snprintf(exe, sizeof(exe), "/proc/%d/exe", r->o->pid);
		snprintf(root, sizeof(root), "/proc/%d/root", r->o->pid);
		n = readlink(exe, inroot, sizeof(inroot) - 1);
		if (n < 0) {
			e = -errno;
			fprintf(stderr, "rstrace: cannot attach to pid %d: %s\n", r->o->pid,
				e == -ENOENT ? "no such process" : strerror(-e));
			return e;
		}
		inroot[n] = 0;
	} else {
		e = resolve(r->o->argv[0], exe);
		if (e) {
			fprintf(stderr, "rstrace: cannot find program %s: %s\n", r->o->argv[0],
				strerror(-e));
			return e;
		}
		snprintf(inroot, sizeof(inroot), "%s", exe);
		root[0] = 0;
	}
	e = target__open(&r->t, exe, root, inroot, r->o->debuginfo, r->o->symbols_only, err,
			 sizeof(err));
	if (e)
		fprintf(stderr, "rstrace: %s\n", err);
	return e;
}

int record__run(struct record_opts *o)
{
	struct recorder r = { .o = o };
	struct store_session ss = { .exit_status = -1 };
	struct sigaction sa = { .sa_handler = on_stop_signal }, old_int, old_term;
	struct utsname kernel;
	char err[512];
	uint64_t stats[RST_STAT_NR], last_flush, deadline = 0, start, last_status, status_events = 0;
	pid_t pid = -1;
	bool launched = !o->pid, signals_set = false, slow;
	int e, status = 0, pidfd = -1;

	sb_init(&r.sb);
	e = capture__check_kernel(err, sizeof(err));
	if (e) {
		fprintf(stderr, "rstrace: %s\n", err);
		goto cleanup;
	}
	e = open_target(&r);
	if (e)
		goto cleanup;
	e = build_plans(&r);
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
	if (launched) {
		pid = spawn(o->argv, &e);
		if (pid < 0) {
			fprintf(stderr, "rstrace: cannot start %s: %s\n", o->argv[0], strerror(-e));
			goto cleanup;
		}
	} else {
		pid = o->pid;
	}
	r.mono_to_real = (int64_t)(now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC));
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	e = attach_all(&r, pid);
	if (e)
		goto cleanup;
	session_capture_info(&r, &ss, &kernel);
	ss.command = launched ? join_args(o->argv) : proc_cmdline(pid);
	ss.binary = r.t.exe;
	ss.pid = pid;
	ss.start_ns = now_ns(CLOCK_REALTIME);
	store__session(r.st, &ss);
	store__flush(r.st);
	/*
	 * Launched: like strace, a terminal's Ctrl-C reaches the child and we
	 * finish when it exits. Attached: a signal ends the trace, not the target.
	 */
	sigemptyset(&sa.sa_mask);
	if (launched)
		sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signals_set = true;
	if (launched && ptrace(PTRACE_DETACH, pid, NULL, NULL)) {
		e = -errno;
		fprintf(stderr, "rstrace: cannot resume %s: %s\n", o->argv[0], strerror(-e));
		goto cleanup;
	}
	if (!launched && !o->quiet)
		fprintf(stderr, "rstrace: tracing pid %d (%d probes); Ctrl-C to stop\n", pid,
			capture__nsites(r.cap));
	last_flush = start = last_status = now_ns(CLOCK_MONOTONIC);
	if (o->duration > 0)
		deadline = last_flush + (uint64_t)(o->duration * 1e9);
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
		if (pidfd >= 0)
			exited = pf[1].revents & POLLIN;
		else
			exited = launched ? waitpid(pid, &status, WNOHANG) == pid : kill(pid, 0) != 0;
		if (exited) {
			if (launched && pidfd >= 0)
				waitpid(pid, &status, 0);
			capture__consume(r.cap);
			break;
		}
		if (stop_requests || (deadline && now_ns(CLOCK_MONOTONIC) >= deadline))
			break;
		if (!o->quiet && isatty(2) && now_ns(CLOCK_MONOTONIC) - last_status >= 500000000ull)
			status_line(&r, start, &status_events, &last_status, false);
		if (now_ns(CLOCK_MONOTONIC) - last_flush >= 200000000ull) {
			e = store__flush(r.st);
			if (e)
				break;
			last_flush = now_ns(CLOCK_MONOTONIC);
		}
	}
	if (!e) {
		bool gone = launched || kill(pid, 0) != 0;

		/*
		 * Probes first: from here the target runs untraced and no handler
		 * writes any more. Then what the ring buffer still holds, then the
		 * frames left open and the session row. Per-probe perf events take
		 * ~0.3 s each to remove: those programs are muted instead, the
		 * database completed, and the probes removed last.
		 */
		slow = capture__mode(r.cap) == CAPTURE_PERF;
		if (slow)
			capture__mute(r.cap);
		else
			capture__detach(r.cap);
		capture__consume(r.cap);
		capture__stats(r.cap, stats);
		if (!o->quiet)
			status_line(&r, start, &status_events, &last_status, true);
		frames__finish(r.fr, gone ? "open" : "detached");
		ss.detach_ns = capture__detach_ns(r.cap);
		ss.end_ns = now_ns(CLOCK_REALTIME);
		if (launched)
			ss.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		ss.events = stats[RST_STAT_EVENTS];
		ss.events_lost = stats[RST_STAT_LOST];
		ss.events_truncated = stats[RST_STAT_TRUNC];
		store__session(r.st, &ss);
		e = store__flush(r.st);
		if (ss.events_lost)
			fprintf(stderr, "rstrace: %llu events lost (ring buffer full)\n",
				(unsigned long long)ss.events_lost);
		if (slow && capture__nsites(r.cap)) {
			if (!o->quiet && capture__nsites(r.cap) > 10)
				fprintf(stderr, "rstrace: trace complete; removing %d probes one at a time "
					"(no uprobe_multi in this kernel, ~0.3 s each); Ctrl-C again "
					"leaves now\n", capture__nsites(r.cap));
			capture__detach(r.cap);
			ss.detach_ns = capture__detach_ns(r.cap);
			store__session(r.st, &ss);
			if (!e)
				e = store__flush(r.st);
		}
		if (!e && launched)
			e = ss.exit_status;
	}
	pid = -1;
cleanup:
	if (launched && pid > 0) {
		/* the tracer failed before the program ran: do not leave it stopped */
		kill(pid, SIGKILL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		waitpid(pid, NULL, 0);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (signals_set) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	capture__free(r.cap);
	frames__free(r.fr);
	store__close(r.st);
	for (int i = 0; i < r.npfs; i++)
		plan__free(&r.pfs[i]);
	free(r.pfs);
	free(r.sites);
	free(r.panic_pf.sites);
	for (int i = 0; i < r.ntexts; i++)
		sb_free(&r.texts[i].text);
	free(r.texts);
	free((char *)ss.command);
	target__close(&r.t);
	sb_free(&r.sb);
	return e;
}
