// SPDX-License-Identifier: MIT
/* The probes' links: uprobe_multi links (Linux >= 6.6), else one perf event per site. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "rstrace.skel.h"
#include "capture_internal.h"
#include "grow.h"

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
bool cap_probe_uprobe_multi(bool *pid_ok)
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

int cap_link_main(struct capture *c, int fds[2], char *err, size_t errlen)
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

void cap_close_all(const int *fds, int n)
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

/* Optional: without it a thread's BPF state stays until the session ends. */
static void attach_thread_end(struct capture *c)
{
	struct bpf_program *p = c->skel->progs.rst_thread_end;
	size_t n = strlen(c->features);

	if (!bpf_program__autoload(p))
		return;
	c->thread_end = bpf_program__attach(p);
	if (c->thread_end)
		snprintf(c->features + n, sizeof(c->features) - n, "%sthread_exit", n ? "," : "");
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
		e = cap_link_main(c, c->main_fd, err, errlen);
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
	if (!e) {
		attach_optional(c);
		attach_thread_end(c);
	}
	if (e) {
		capture__detach(c);
		c->nattached = 0;
	}
	c->attach_ns = mono_ns() - t0;
	return e;
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

	if (!c)
		return 0;
	pthread_mutex_lock(&c->links_mu);
	if (c->detached) {
		pthread_mutex_unlock(&c->links_mu);
		return 0;
	}
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
	cap_close_all(fds, n);
	free(fds);
	c->main_fd[0] = c->main_fd[1] = -1;
	c->nopt = 0;
	for (i = 0; i < c->nlinks; i++)
		bpf_link__destroy(c->links[i]);
	c->nlinks = 0;
	bpf_link__destroy(c->thread_end);
	c->thread_end = NULL;
	c->detached = c->attached;
	c->detached_at = mono_ns();
	c->detach_ns = c->detached_at - t0;
	pthread_mutex_unlock(&c->links_mu);
	return 0;
}
