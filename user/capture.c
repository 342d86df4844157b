// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "capture.h"
#include "grow.h"
#include "rstrace.skel.h"

struct capture {
	struct rstrace_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_program *prog;
	struct bpf_link **links;
	int nlinks, caplinks;
	pid_t pid;
};

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

int capture__open(const struct capture_opts *o, struct capture **out, char *err, size_t errlen)
{
	struct capture *c;
	int e;

	libbpf_set_print(silent);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pid = o->pid;
	c->skel = rstrace_bpf__open();
	if (!c->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(-e));
		goto cleanup;
	}
	c->skel->rodata->target_tgid = o->pid;
	e = bpf_map__set_max_entries(c->skel->maps.plans, o->nplans > 0 ? o->nplans : 1);
	if (e) {
		snprintf(err, errlen, "cannot size the plans map: %s", strerror(-e));
		goto cleanup;
	}
	c->prog = o->empty ? c->skel->progs.rst_empty : c->skel->progs.rst_probe;
	bpf_program__set_autoload(o->empty ? c->skel->progs.rst_probe : c->skel->progs.rst_empty,
				  false);
	if (o->empty) {
		bpf_program__set_autoload(c->skel->progs.rst_panic_hook, false);
		bpf_program__set_autoload(c->skel->progs.rst_sys_enter, false);
	}
	e = rstrace_bpf__load(c->skel);
	if (e) {
		snprintf(err, errlen,
			 "cannot load BPF programs: %s (rstrace needs root or CAP_BPF+CAP_PERFMON, "
			 "a kernel >= 5.17 with BTF; run with RSTRACE_DEBUG=1 for the verifier log)",
			 strerror(-e));
		goto cleanup;
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), (ring_buffer_sample_fn)o->fn,
				 o->ctx, NULL);
	if (!c->rb) {
		e = -errno;
		snprintf(err, errlen, "cannot create ring buffer: %s", strerror(-e));
		goto cleanup;
	}
	*out = c;
	return 0;
cleanup:
	capture__free(c);
	return e;
}

int capture__set_plan(struct capture *c, uint32_t cookie, const struct rst_plan *p)
{
	return bpf_map_update_elem(bpf_map__fd(c->skel->maps.plans), &cookie, p, BPF_ANY) ? -errno : 0;
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

int capture__attach(struct capture *c, const char *binary, uint64_t off, uint32_t cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = cookie);

	return add_link(c, bpf_program__attach_uprobe_opts(c->prog, c->pid ? c->pid : -1, binary,
							   off, &opts));
}

int capture__attach_panic_hook(struct capture *c, const char *binary, uint64_t hook_off)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	int e;

	if (!bpf_program__autoload(c->skel->progs.rst_panic_hook))
		return 0;
	e = add_link(c, bpf_program__attach_uprobe_opts(c->skel->progs.rst_panic_hook,
							c->pid ? c->pid : -1, binary, hook_off,
							&opts));
	if (!e)
		e = add_link(c, bpf_program__attach(c->skel->progs.rst_sys_enter));
	return e;
}

int capture__ready(struct capture *c)
{
	c->skel->bss->ready = true;
	return 0;
}

int capture__epoll_fd(struct capture *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

int capture__consume(struct capture *c)
{
	/* ring_buffer__poll() only reads rings epoll reports, and most records are written without a wake-up. */
	return ring_buffer__consume(c->rb);
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

int capture__nlinks(const struct capture *c)
{
	return c->nlinks;
}

void capture__free(struct capture *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->nlinks; i++)
		bpf_link__destroy(c->links[i]);
	free(c->links);
	ring_buffer__free(c->rb);
	rstrace_bpf__destroy(c->skel);
	free(c);
}
