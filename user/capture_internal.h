/* SPDX-License-Identifier: MIT */
/*
 * What the parts of capture.h share:
 *   capture.c         the kernel's checks, the BPF object, plans and sites, counters
 *   capture_attach.c  the probes' links: uprobe_multi, or one perf event per site
 *   capture_limit.c   the ring buffer's records, and the call-rate limit's relinking
 */
#ifndef CAPTURE_INTERNAL_H
#define CAPTURE_INTERNAL_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <linux/types.h>
#include "capture.h"

/*
 * uprobe_multi (Linux 6.6) is newer than Debian 12's libbpf 1.1.2 and its
 * uapi headers: no API, no constants. Values and the link_create layout from
 * include/uapi/linux/bpf.h; the link is created with the raw syscall
 * (capture_attach.c).
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
	struct bpf_link *thread_end; /* NULL: threads' BPF state lasts the session */
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
	/*
	 * The probes' links: capture__consume() relinks them (rate limit) on the
	 * consumer's thread while capture__detach() may close them on another.
	 */
	pthread_mutex_t links_mu;
};

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* capture_attach.c */
/*
 * Whether the kernel has uprobe_multi links; *pid_ok: whether their pid
 * filter is the process's (else it filters one thread).
 */
bool cap_probe_uprobe_multi(bool *pid_ok);
/* Links the kept sites of the current generation into fds[0] (entries) and fds[1] (returns). */
int cap_link_main(struct capture *c, int fds[2], char *err, size_t errlen);
/* Closes them all, uprobe_multi links' grace periods waited for together. */
void cap_close_all(const int *fds, int n);

/* capture_limit.c */
/* The ring buffer's callback. */
int cap_on_sample(void *ctx, void *data, size_t size);
#endif
