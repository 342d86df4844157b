// SPDX-License-Identifier: MIT
/* Plans for the selected functions and std's panic machinery, and their probes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "callsite.h"
#include "demangle.h"
#include "dwarf_index.h"
#include "elf_image.h"
#include "record_internal.h"

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
	ns->bpf.sret_reg = RST_NO_SRET;
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

int rec_build_plans(struct recorder *r)
{
	const char *main_crate = r->t.main_crate;
	struct plan_limits lim = { r->o->cfg.max_array_size, r->o->cfg.max_string_bytes,
				   r->o->cfg.max_depth };
	struct plan_ctx pc = { .idx = r->t.idx, .img = r->t.img, .cg = r->t.cg, .lim = &lim,
			       .redact = redactor__init(&r->red, &r->o->cfg),
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

/*
 * Every site's plan and probe; the functions' rows. Whether a probe on std's
 * stderr writers is among them: *stderr_site.
 */
static int add_sites(struct recorder *r, bool *stderr_site)
{
	uint64_t off;
	int i, e;

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
		s->bpf.leaves = !!s->exit_kind; /* BPF's shadow stack ends the frame at once */
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
		*stderr_site |= s->bpf.site == RST_SITE_STDERR;
	}
	return 0;
}

int rec_attach(struct recorder *r)
{
	struct capture_opts co = { .pid = r->pid, .binary = r->t.exe, .nplans = r->nsites,
				   .nfuncs = dwarf_index__nfuncs(r->t.idx),
				   .empty = r->o->empty_probes,
				   .max_calls_per_sec = (uint64_t)r->o->cfg.max_calls_per_sec,
				   .fn = rec_on_event, .on_limit = rec_on_limit, .ctx = r };
	bool stderr_site = false;
	char err[512];
	int64_t bad;
	int e;

	/* tests force losses with a tiny ring buffer, or as if the scratch buffer were busy */
	if (getenv("RSTRACE_RINGBUF_BYTES"))
		co.ringbuf_bytes = (uint32_t)atol(getenv("RSTRACE_RINGBUF_BYTES"));
	if (getenv("RSTRACE_TEST_BUSY"))
		co.test_busy_every = (uint32_t)atol(getenv("RSTRACE_TEST_BUSY"));
	if (attach_mode(&co.mode)) {
		fprintf(stderr, "rstrace: RSTRACE_ATTACH must be auto, multi or perf\n");
		return -EINVAL;
	}
	e = capture__open(&co, &r->cap, err, sizeof(err));
	if (e) {
		fprintf(stderr, "rstrace: %s\n", err);
		return e;
	}
	e = add_sites(r, &stderr_site);
	if (e)
		return e;
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
