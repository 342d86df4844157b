// SPDX-License-Identifier: MIT
/* The kernel's checks, the BPF object (open, plans, sites, counters), and its end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "capture_internal.h"
#include "grow.h"
#include "rstrace.skel.h"

/* Rate-limit window: the limit is "calls per second" over one-second windows. */
#define RATE_WINDOW_NS 1000000000ull

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN || getenv("RSTRACE_DEBUG") == NULL)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

bool capture__capable(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (cap < 0 || cap >= 32 * _LINUX_CAPABILITY_U32S_3)
		return false;
	/* cannot tell: let the kernel decide */
	if (syscall(SYS_capget, &h, d))
		return true;
	return d[cap / 32].effective & (1u << (cap % 32));
}

int capture__check_kernel(char *err, size_t errlen)
{
	bool admin = capture__capable(CAP_SYS_ADMIN);
	bool bpf = admin || capture__capable(CAP_BPF);
	bool perfmon = admin || capture__capable(CAP_PERFMON);
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
	/* what the kernel checks: bpf_capable() and perfmon_capable() */
	if (!bpf || !perfmon) {
		snprintf(err, errlen, "missing %s: rstrace needs CAP_BPF (BPF programs and maps) "
			 "and CAP_PERFMON (uprobes), or root; plus CAP_SYS_PTRACE to attach to "
			 "another user's process (README.md, Requirements)",
			 !bpf && !perfmon ? "capabilities CAP_BPF and CAP_PERFMON"
			 : !bpf		  ? "capability CAP_BPF"
					  : "capability CAP_PERFMON");
		return -EPERM;
	}
	return 0;
}

/* The BPF object: opened, sized and set for o, loaded; its ring buffer. */
static int load_bpf(struct capture *c, const struct capture_opts *o, char *err, size_t errlen)
{
	struct bpf_program *other;
	int e;

	c->skel = rstrace_bpf__open();
	if (!c->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(-e));
		return e;
	}
	c->skel->rodata->target_tgid = o->pid;
	c->skel->rodata->max_calls = o->empty ? 0 : o->max_calls_per_sec;
	c->skel->rodata->rate_window_ns = RATE_WINDOW_NS;
	c->skel->rodata->test_busy_every = o->test_busy_every;
	e = bpf_map__set_max_entries(c->skel->maps.plans, c->nplans);
	if (!e)
		e = bpf_map__set_max_entries(c->skel->maps.rates, c->nfuncs);
	if (!e && o->ringbuf_bytes)
		e = bpf_map__set_max_entries(c->skel->maps.events, o->ringbuf_bytes);
	if (e) {
		snprintf(err, errlen, "cannot size the BPF maps: %s", strerror(-e));
		return e;
	}
	c->prog = o->empty ? c->skel->progs.rst_empty : c->skel->progs.rst_probe;
	other = o->empty ? c->skel->progs.rst_probe : c->skel->progs.rst_empty;
	bpf_program__set_autoload(other, false);
	if (o->empty)
		bpf_program__set_autoload(c->skel->progs.rst_thread_end, false);
	/* the kernel picks the cookie and func_ip helpers by the expected attach type */
	if (c->mode == CAPTURE_MULTI)
		bpf_program__set_expected_attach_type(
			c->prog, (enum bpf_attach_type)RST_TRACE_UPROBE_MULTI);
	e = rstrace_bpf__load(c->skel);
	if (e) {
		snprintf(err, errlen,
			 "cannot load BPF programs: %s (rstrace needs root or CAP_BPF+CAP_PERFMON, "
			 "a kernel >= 5.17 with BTF; run with RSTRACE_DEBUG=1 for the verifier log)",
			 strerror(-e));
		return e;
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), cap_on_sample, c, NULL);
	if (!c->rb) {
		e = -errno;
		snprintf(err, errlen, "cannot create ring buffer: %s", strerror(-e));
		return e;
	}
	return 0;
}

int capture__open(const struct capture_opts *o, struct capture **out, char *err, size_t errlen)
{
	struct capture *c;
	bool has_multi, multi, pid_ok = false;
	int e, i;

	libbpf_set_print(silent);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->links_mu, NULL);
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

	has_multi = cap_probe_uprobe_multi(&pid_ok);
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

	e = load_bpf(c, o, err, errlen);
	if (e)
		goto cleanup;
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

int capture__thread_counts(struct capture *c, capture_count_fn fn, void *ctx)
{
	int fd = bpf_map__fd(c->skel->maps.threads);
	struct rst_thread *t = malloc(sizeof(*t));
	uint32_t key, next;
	bool first = true;
	int e = 0;

	if (!t)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, t))
			continue; /* gone meanwhile: the map only grows, so never */
		fn(ctx, key, t->seq);
	}
	if (errno != ENOENT)
		e = -errno;
	free(t);
	return e;
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
	pthread_mutex_destroy(&c->links_mu);
	free(c);
}
