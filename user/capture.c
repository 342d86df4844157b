// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "capture.h"
#include "grow.h"
#include "rstrace.skel.h"

/*
 * uprobe_multi (Linux 6.6) is newer than Debian 12's libbpf 1.1.2 and its
 * uapi headers: no API, no constants. Values and the link_create layout from
 * include/uapi/linux/bpf.h; the link is created with the raw syscall.
 */
#define RST_TRACE_UPROBE_MULTI 48 /* enum bpf_attach_type: BPF_TRACE_UPROBE_MULTI */
#define RST_F_UPROBE_MULTI_RETURN 1u /* BPF_F_UPROBE_MULTI_RETURN */

struct link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 uprobe_flags;
	__u32 pid;
	__u32 pad;
};

/* Rate-limit window: the limit is "calls per second" over one-second windows. */
#define RATE_WINDOW_NS 1000000000ull

struct site {
	uint64_t off;
	uint32_t cookie;
	unsigned int flags;
};

struct capture {
	struct rstrace_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_program *prog;
	enum capture_mode mode;
	char *binary;
	pid_t pid;
	uint32_t link_pid; /* uprobe_multi pid filter; 0 when the kernel filters threads only */
	struct site *sites;
	int nsites, capsites;
	uint32_t *plan_func; /* per cookie: the plan's func_id */
	uint8_t *plan_site; /* per cookie: the plan's site kind (0: no plan) */
	int nplans, nfuncs;
	/* uprobe_multi: the live generation's links (entries, returns), optional sites' links */
	int main_fd[2];
	int *opt_fd;
	int nopt, capopt;
	unsigned int gen;
	/* perf events */
	struct bpf_link **links;
	int nlinks, caplinks;
	int nattached, nfailed;
	int64_t bad_cookie;
	/* rate limit: per function 0 live, 1 reported, waiting for removal, 2 removed */
	uint8_t *func_state;
	struct capture_limit *pending;
	int npending, cappending;
	bool attached, detached;
	uint64_t detached_at; /* CLOCK_MONOTONIC */
	capture_fn fn;
	capture_limit_fn on_limit;
	void *ctx;
	char features[128];
	uint64_t attach_ns, detach_ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN || getenv("RSTRACE_DEBUG") == NULL)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int capture__check_kernel(char *err, size_t errlen)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen, "the kernel has no BTF (/sys/kernel/btf/vmlinux): rstrace needs "
			 "CONFIG_DEBUG_INFO_BTF=y; in a pod, mount the host's /sys");
		return -ENOTSUP;
	}
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK)) {
		snprintf(err, errlen, "the kernel has no uprobe perf events "
			 "(/sys/bus/event_source/devices/uprobe): CONFIG_UPROBE_EVENTS=y needed");
		return -ENOTSUP;
	}
	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	    (major < 5 || (major == 5 && minor < 17))) {
		snprintf(err, errlen, "kernel %s is too old: rstrace needs 5.17 or newer (bpf_loop, "
			 "BPF cookies, ring buffer)", u.release);
		return -ENOTSUP;
	}
	return 0;
}

/* One uprobe_multi link over cnt sites: a link fd, or -errno. */
static int multi_link(int prog_fd, const char *path, const uint64_t *offs, const uint64_t *cookies,
		      uint32_t cnt, uint32_t uprobe_flags, uint32_t pid)
{
	struct link_create_uprobe_multi a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = prog_fd;
	a.attach_type = RST_TRACE_UPROBE_MULTI;
	a.path = (uintptr_t)path;
	a.offsets = (uintptr_t)offs;
	a.cookies = (uintptr_t)cookies;
	a.cnt = cnt;
	a.uprobe_flags = uprobe_flags;
	a.pid = pid;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}

/*
 * libbpf's own probe (newer releases): a program loaded for uprobe_multi,
 * linked to "/", fails with EBADF (not a regular file) only where the
 * attach type exists. Kernels before the PID-filter fix (6.9, backported)
 * filtered by thread, not process; they accept pid -1, fixed ones say EINVAL.
 */
static bool probe_uprobe_multi(bool *pid_ok)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo,
		    .expected_attach_type = (enum bpf_attach_type)RST_TRACE_UPROBE_MULTI);
	uint64_t off = 0;
	int prog, fd;
	bool ok;

	*pid_ok = false;
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &lo);
	if (prog < 0)
		return false;
	fd = multi_link(prog, "/", &off, NULL, 1, 0, 0);
	ok = fd == -EBADF;
	if (fd >= 0)
		close(fd);
	if (ok) {
		fd = multi_link(prog, "/", &off, NULL, 1, 0, (uint32_t)-1);
		*pid_ok = fd == -EINVAL;
		if (fd >= 0)
			close(fd);
	}
	close(prog);
	return ok;
}

static int on_sample(void *ctx, void *data, size_t size);

int capture__open(const struct capture_opts *o, struct capture **out, char *err, size_t errlen)
{
	struct bpf_program *other;
	struct capture *c;
	bool has_multi, multi, pid_ok = false;
	int e, i;

	libbpf_set_print(silent);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->main_fd[0] = c->main_fd[1] = -1;
	c->bad_cookie = -1;
	c->pid = o->pid;
	c->fn = o->fn;
	c->on_limit = o->on_limit;
	c->ctx = o->ctx;
	c->nplans = o->nplans > 0 ? o->nplans : 1;
	c->nfuncs = o->nfuncs > 0 ? o->nfuncs : 1;
	c->binary = strdup(o->binary ? o->binary : "");
	c->plan_func = calloc(c->nplans, sizeof(*c->plan_func));
	c->plan_site = calloc(c->nplans, sizeof(*c->plan_site));
	c->func_state = calloc(c->nfuncs, 1);
	if (!c->binary || !c->plan_func || !c->plan_site || !c->func_state) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}

	has_multi = probe_uprobe_multi(&pid_ok);
	snprintf(c->features, sizeof(c->features), "%s",
		 !has_multi ? "" : pid_ok ? "uprobe_multi,uprobe_multi_pid" : "uprobe_multi");
	multi = has_multi && o->mode != CAPTURE_PERF;
	if (o->mode == CAPTURE_MULTI && !multi) {
		e = -ENOTSUP;
		snprintf(err, errlen, "this kernel has no uprobe_multi links (Linux >= 6.6)");
		goto cleanup;
	}
	c->mode = multi ? CAPTURE_MULTI : CAPTURE_PERF;
	/* with the thread-filtering bug, pid would miss every other thread: BPF filters */
	c->link_pid = multi && pid_ok && o->pid > 0 ? (uint32_t)o->pid : 0;

	c->skel = rstrace_bpf__open();
	if (!c->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(-e));
		goto cleanup;
	}
	c->skel->rodata->target_tgid = o->pid;
	c->skel->rodata->max_calls = o->empty ? 0 : o->max_calls_per_sec;
	c->skel->rodata->rate_window_ns = RATE_WINDOW_NS;
	e = bpf_map__set_max_entries(c->skel->maps.plans, c->nplans);
	if (!e)
		e = bpf_map__set_max_entries(c->skel->maps.rates, c->nfuncs);
	if (e) {
		snprintf(err, errlen, "cannot size the BPF maps: %s", strerror(-e));
		goto cleanup;
	}
	c->prog = o->empty ? c->skel->progs.rst_empty : c->skel->progs.rst_probe;
	other = o->empty ? c->skel->progs.rst_probe : c->skel->progs.rst_empty;
	bpf_program__set_autoload(other, false);
	/* the kernel picks the cookie and func_ip helpers by the expected attach type */
	if (multi)
		bpf_program__set_expected_attach_type(
			c->prog, (enum bpf_attach_type)RST_TRACE_UPROBE_MULTI);
	e = rstrace_bpf__load(c->skel);
	if (e) {
		snprintf(err, errlen,
			 "cannot load BPF programs: %s (rstrace needs root or CAP_BPF+CAP_PERFMON, "
			 "a kernel >= 5.17 with BTF; run with RSTRACE_DEBUG=1 for the verifier log)",
			 strerror(-e));
		goto cleanup;
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_sample, c, NULL);
	if (!c->rb) {
		e = -errno;
		snprintf(err, errlen, "cannot create ring buffer: %s", strerror(-e));
		goto cleanup;
	}
	for (i = 0; i < c->nplans; i++)
		c->plan_func[i] = UINT32_MAX;
	*out = c;
	return 0;
cleanup:
	capture__free(c);
	return e;
}

int capture__set_plan(struct capture *c, uint32_t cookie, const struct rst_plan *p)
{
	if (cookie >= (uint32_t)c->nplans)
		return -ERANGE;
	c->plan_func[cookie] = p->func_id;
	c->plan_site[cookie] = p->site;
	return bpf_map_update_elem(bpf_map__fd(c->skel->maps.plans), &cookie, p, BPF_ANY) ? -errno : 0;
}

int capture__add_site(struct capture *c, uint64_t off, uint32_t cookie, unsigned int flags)
{
	struct site *ns;

	if (c->attached)
		return -EBUSY;
	if (cookie >= (uint32_t)c->nplans || !c->plan_site[cookie])
		return -ENOENT;
	ns = grow_array(c->sites, &c->capsites, c->nsites + 1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	c->sites = ns;
	c->sites[c->nsites++] = (struct site){ off, cookie, flags };
	return 0;
}

static uint64_t cookie_of(const struct capture *c, const struct site *s)
{
	uint64_t k = s->cookie;

	if (s->flags & CAPTURE_SITE_RETURN)
		k |= RST_COOKIE_RETPROBE;
	if (s->flags & CAPTURE_SITE_OPTIONAL)
		k |= RST_COOKIE_FIXED;
	else if (c->gen)
		k |= RST_COOKIE_GEN;
	return k;
}

/* Sites a (re)link keeps: not optional, of the kind asked, function not removed. */
static bool keep(const struct capture *c, const struct site *s, bool ret)
{
	uint32_t f = c->plan_func[s->cookie];

	if ((s->flags & CAPTURE_SITE_OPTIONAL) || !!(s->flags & CAPTURE_SITE_RETURN) != ret)
		return false;
	return f >= (uint32_t)c->nfuncs || c->func_state[f] != 2 ||
	       c->plan_site[s->cookie] > RST_SITE_TAIL;
}

/*
 * Which site fails alone: halves of the failing set are linked (and
 * unlinked) until one site is left. log2(n) links, each cheap.
 */
static int64_t find_bad(struct capture *c, uint64_t *offs, uint64_t *ks, int n, uint32_t fl)
{
	int lo = 0, hi = n, fd;

	while (hi - lo > 1) {
		int mid = lo + (hi - lo) / 2;

		fd = multi_link(bpf_program__fd(c->prog), c->binary, offs + lo, ks + lo,
				mid - lo, fl, c->link_pid);
		if (fd >= 0) {
			close(fd);
			lo = mid;
		} else {
			hi = mid;
		}
	}
	return n ? (int64_t)(uint32_t)ks[lo] : -1;
}

/* Links the kept sites of the current generation into fds[0] (entries) and fds[1] (returns). */
static int link_main(struct capture *c, int fds[2], char *err, size_t errlen)
{
	uint64_t *offs = calloc(c->nsites > 0 ? (size_t)c->nsites : 1, sizeof(*offs));
	uint64_t *ks = calloc(c->nsites > 0 ? (size_t)c->nsites : 1, sizeof(*ks));
	int e = 0, r, i, n;

	fds[0] = fds[1] = -1;
	if (!offs || !ks) {
		e = -ENOMEM;
		goto cleanup;
	}
	for (r = 0; r < 2 && !e; r++) {
		for (i = n = 0; i < c->nsites; i++) {
			if (!keep(c, &c->sites[i], r))
				continue;
			offs[n] = c->sites[i].off;
			ks[n++] = cookie_of(c, &c->sites[i]);
		}
		if (!n)
			continue;
		fds[r] = multi_link(bpf_program__fd(c->prog), c->binary, offs, ks, n,
				    r ? RST_F_UPROBE_MULTI_RETURN : 0, c->link_pid);
		if (fds[r] >= 0)
			continue;
		e = fds[r];
		c->bad_cookie = find_bad(c, offs, ks, n, r ? RST_F_UPROBE_MULTI_RETURN : 0);
		if (err)
			snprintf(err, errlen, "cannot attach %d %sprobes to %s in one uprobe_multi "
				 "link: %s (first failing: cookie %lld)", n, r ? "return " : "",
				 c->binary, strerror(-e), (long long)c->bad_cookie);
	}
cleanup:
	if (e) {
		for (r = 0; r < 2; r++)
			if (fds[r] >= 0)
				close(fds[r]);
		fds[0] = fds[1] = -1;
	}
	free(offs);
	free(ks);
	return e;
}

static int add_link(struct capture *c, struct bpf_link *l)
{
	struct bpf_link **nl;

	if (!l)
		return -errno;
	nl = grow_array(c->links, &c->caplinks, c->nlinks + 1, sizeof(*nl));
	if (!nl) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	c->links = nl;
	c->links[c->nlinks++] = l;
	return 0;
}

static int attach_perf(struct capture *c, const struct site *s)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = cookie_of(c, s),
		    .retprobe = !!(s->flags & CAPTURE_SITE_RETURN));

	return add_link(c, bpf_program__attach_uprobe_opts(c->prog, c->pid ? c->pid : -1,
							   c->binary, s->off, &opts));
}

static int keep_fd(struct capture *c, int fd)
{
	int *nf = grow_array(c->opt_fd, &c->capopt, c->nopt + 1, sizeof(*nf));

	if (!nf) {
		close(fd);
		return -ENOMEM;
	}
	c->opt_fd = nf;
	c->opt_fd[c->nopt++] = fd;
	return 0;
}

/*
 * Optional sites (panic bookkeeping): one link per kind when that works,
 * else one per site so that a site the kernel refuses costs only itself.
 * Every link costs a grace period at detach: few links.
 */
static void attach_optional(struct capture *c)
{
	uint64_t *offs = calloc(c->nsites > 0 ? (size_t)c->nsites : 1, sizeof(*offs));
	uint64_t *ks = calloc(c->nsites > 0 ? (size_t)c->nsites : 1, sizeof(*ks));
	int r, i, n, fd;

	for (i = 0; (!offs || !ks) && i < c->nsites; i++)
		c->nfailed += !!(c->sites[i].flags & CAPTURE_SITE_OPTIONAL);
	for (r = 0; r < 2 && offs && ks; r++) {
		uint32_t fl = r ? RST_F_UPROBE_MULTI_RETURN : 0;

		for (i = n = 0; i < c->nsites; i++) {
			const struct site *s = &c->sites[i];

			if ((s->flags & CAPTURE_SITE_OPTIONAL) && !!(s->flags & CAPTURE_SITE_RETURN) == r) {
				offs[n] = s->off;
				ks[n++] = cookie_of(c, s);
			}
		}
		if (!n)
			continue;
		if (c->mode == CAPTURE_MULTI) {
			fd = multi_link(bpf_program__fd(c->prog), c->binary, offs, ks, n, fl,
					c->link_pid);
			if (fd >= 0 && keep_fd(c, fd) == 0) {
				c->nattached += n;
				continue;
			}
		}
		for (i = 0; i < n; i++) {
			struct site s = { offs[i], (uint32_t)ks[i],
					  CAPTURE_SITE_OPTIONAL | (r ? CAPTURE_SITE_RETURN : 0) };

			if (c->mode == CAPTURE_PERF)
				fd = attach_perf(c, &s);
			else if ((fd = multi_link(bpf_program__fd(c->prog), c->binary, &offs[i],
						  &ks[i], 1, fl, c->link_pid)) >= 0)
				fd = keep_fd(c, fd);
			if (fd < 0)
				c->nfailed++;
			else
				c->nattached++;
		}
	}
	free(offs);
	free(ks);
}

/*
 * Closing a uprobe_multi link returns after the kernel's grace periods
 * (~50 ms here); links closed from threads of their own wait for them
 * together. (The release runs as task work of the closing thread.)
 */
static void *close_fd(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

static void close_all(const int *fds, int n)
{
	pthread_t *t = n > 1 ? calloc(n, sizeof(*t)) : NULL;
	bool *started = n > 1 ? calloc(n, sizeof(*started)) : NULL;
	int i;

	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (t && started && !pthread_create(&t[i], NULL, close_fd, (void *)(intptr_t)fds[i]))
			started[i] = true;
		else
			close(fds[i]);
	}
	for (i = 0; t && started && i < n; i++)
		if (started[i])
			pthread_join(t[i], NULL);
	free(t);
	free(started);
}

int capture__attach(struct capture *c, char *err, size_t errlen)
{
	uint64_t t0 = mono_ns();
	int e = 0, i;

	if (c->attached)
		return -EBUSY;
	c->attached = true;
	c->bad_cookie = -1;
	if (c->mode == CAPTURE_MULTI) {
		e = link_main(c, c->main_fd, err, errlen);
	} else {
		for (i = 0; i < c->nsites && !e; i++) {
			if (c->sites[i].flags & CAPTURE_SITE_OPTIONAL)
				continue;
			e = attach_perf(c, &c->sites[i]);
			if (e) {
				c->bad_cookie = c->sites[i].cookie;
				snprintf(err, errlen, "cannot attach a probe at file offset 0x%llx "
					 "of %s (cookie %u): %s",
					 (unsigned long long)c->sites[i].off, c->binary,
					 c->sites[i].cookie, strerror(-e));
			}
		}
	}
	for (i = 0; i < c->nsites && !e; i++)
		c->nattached += !(c->sites[i].flags & CAPTURE_SITE_OPTIONAL);
	if (!e)
		attach_optional(c);
	if (e) {
		capture__detach(c);
		c->nattached = 0;
	}
	c->attach_ns = mono_ns() - t0;
	return e;
}

int capture__ready(struct capture *c)
{
	c->skel->bss->ready = true;
	return 0;
}

int capture__mute(struct capture *c)
{
	if (c->skel && c->skel->bss)
		__atomic_store_n(&c->skel->bss->ready, false, __ATOMIC_SEQ_CST);
	return 0;
}

int capture__epoll_fd(struct capture *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

/* Limit records stay here; everything else goes to the caller's callback. */
static int on_sample(void *ctx, void *data, size_t size)
{
	struct capture *c = ctx;
	const struct rst_limit *l = data;
	struct capture_limit *np;

	if (size < sizeof(*l) || l->type != RST_REC_LIMIT)
		return c->fn(c->ctx, data, size);
	if (l->func_id >= (uint32_t)c->nfuncs || c->func_state[l->func_id])
		return 0; /* a second CPU crossed the limit at the same time */
	np = grow_array(c->pending, &c->cappending, c->npending + 1, sizeof(*np));
	if (!np)
		return 0; /* its probes stay; BPF drops its entries anyway */
	c->pending = np;
	c->func_state[l->func_id] = 1;
	c->pending[c->npending++] = (struct capture_limit){ l->func_id, l->ts_ns, l->calls,
							    l->window_ns, 0 };
	return 0;
}

/*
 * Functions over the limit lose their probes: a new multi link of the other
 * generation without their sites, flip live_gen, close the old link. With
 * per-probe perf events removal costs ~0.3 s per probe under a kernel mutex,
 * longer than the consumer may stall: their events are dropped in BPF
 * (RST_RATE_GONE) and the probes go at detach.
 */
static void apply_limits(struct capture *c)
{
	int rates = bpf_map__fd(c->skel->maps.rates), fds[2], old[2], i, r;
	uint64_t removed = 0;

	for (i = 0; i < c->npending; i++)
		c->func_state[c->pending[i].func_id] = 2;
	/* crossed just before the end: the probes went with all the others */
	if (c->detached) {
		removed = c->detached_at;
	} else if (c->mode == CAPTURE_MULTI) {
		c->gen ^= 1;
		if (link_main(c, fds, NULL, 0) == 0) {
			old[0] = c->main_fd[0];
			old[1] = c->main_fd[1];
			__atomic_store_n(&c->skel->bss->live_gen, c->gen, __ATOMIC_SEQ_CST);
			close_all(old, 2);
			for (r = 0; r < 2; r++)
				c->main_fd[r] = fds[r];
			removed = mono_ns();
		} else {
			c->gen ^= 1; /* keep the old link: the functions are muted below */
		}
	}
	for (i = 0; i < c->npending; i++) {
		struct rst_rate st = { .state = RST_RATE_GONE };
		uint32_t f = c->pending[i].func_id;

		if (!c->detached)
			bpf_map_update_elem(rates, &f, &st, BPF_ANY);
		c->pending[i].removed_ns = removed;
		if (c->on_limit)
			c->on_limit(c->ctx, &c->pending[i]);
	}
	c->npending = 0;
}

int capture__consume(struct capture *c)
{
	/* ring_buffer__poll() only reads rings epoll reports, and most records are written without a wake-up. */
	int n = ring_buffer__consume(c->rb);

	if (c->npending)
		apply_limits(c);
	return n;
}

/* Collects fds to close together; without the array (no memory) closes at once. */
static int add_fd(int *fds, int n, int fd)
{
	if (!fds) {
		close(fd);
		return n;
	}
	fds[n] = fd;
	return n + 1;
}

int capture__detach(struct capture *c)
{
	uint64_t t0 = mono_ns();
	int *fds, i, n = 0;

	if (!c || c->detached)
		return 0;
	capture__mute(c);
	/*
	 * Closing the last fd of a link unregisters its uprobes and waits for
	 * running handlers (one SRCU grace period per link; per perf event, one
	 * per probe): when close returns, no handler runs any more.
	 */
	fds = calloc(c->nopt + 2, sizeof(*fds));
	for (i = 0; i < 2; i++)
		if (c->main_fd[i] >= 0)
			n = add_fd(fds, n, c->main_fd[i]);
	for (i = 0; i < c->nopt; i++)
		n = add_fd(fds, n, c->opt_fd[i]);
	close_all(fds, n);
	free(fds);
	c->main_fd[0] = c->main_fd[1] = -1;
	c->nopt = 0;
	for (i = 0; i < c->nlinks; i++)
		bpf_link__destroy(c->links[i]);
	c->nlinks = 0;
	c->detached = c->attached;
	c->detached_at = mono_ns();
	c->detach_ns = c->detached_at - t0;
	return 0;
}

void capture__stats(struct capture *c, uint64_t out[RST_STAT_NR])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(c->skel->maps.stats);
	uint64_t *vals;
	uint32_t k;
	int i;

	memset(out, 0, sizeof(uint64_t) * RST_STAT_NR);
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (k = 0; k < RST_STAT_NR; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (i = 0; i < ncpu; i++)
			out[k] += vals[i];
	}
	free(vals);
}

int capture__nsites(const struct capture *c)
{
	return c->nattached;
}

int capture__nfailed(const struct capture *c)
{
	return c->nfailed;
}

int64_t capture__bad_cookie(const struct capture *c)
{
	return c->bad_cookie;
}

enum capture_mode capture__mode(const struct capture *c)
{
	return c->mode;
}

const char *capture__mode_name(const struct capture *c)
{
	return c->mode == CAPTURE_MULTI ? "uprobe_multi" : "perf_event";
}

const char *capture__features(const struct capture *c)
{
	return c->features;
}

uint64_t capture__attach_ns(const struct capture *c)
{
	return c->attach_ns;
}

uint64_t capture__detach_ns(const struct capture *c)
{
	return c->detach_ns;
}

void capture__free(struct capture *c)
{
	if (!c)
		return;
	capture__detach(c);
	free(c->links);
	free(c->opt_fd);
	ring_buffer__free(c->rb);
	rstrace_bpf__destroy(c->skel);
	free(c->sites);
	free(c->plan_func);
	free(c->plan_site);
	free(c->func_state);
	free(c->pending);
	free(c->binary);
	free(c);
}
