/* SPDX-License-Identifier: MIT */
/*
 * The BPF side, libbpf style:
 *   capture__open()      open the object, probe the kernel, size maps, set rodata, load
 *   capture__set_plan()  one plan per cookie
 *   capture__add_site()  collect probe sites (file offset + cookie)
 *   capture__attach()    attach them all: one uprobe_multi link (kernel >= 6.6),
 *                        else one perf-event uprobe per site
 *   capture__ready()     start recording
 *   capture__consume()   poll capture__epoll_fd(), then consume
 *   capture__detach()    every probe gone; then drain with capture__consume()
 *   capture__free()
 */
#ifndef CAPTURE_H
#define CAPTURE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "rstrace.h"

struct capture;
typedef int (*capture_fn)(void *ctx, void *data, size_t size);

enum capture_mode {
	CAPTURE_AUTO = 0, /* uprobe_multi when the kernel has it, else perf events */
	CAPTURE_MULTI, /* BPF_TRACE_UPROBE_MULTI links (kernel >= 6.6) */
	CAPTURE_PERF, /* one perf_event_open uprobe per site (any kernel >= 5.17) */
};

/* A function went over the call-rate limit; reported once its probes are removed (or muted). */
struct capture_limit {
	uint32_t func_id;
	uint64_t ts_ns; /* CLOCK_MONOTONIC, when the limit was crossed */
	uint64_t calls; /* entries counted in the window */
	uint64_t window_ns; /* how long the window had run */
	uint64_t removed_ns; /* CLOCK_MONOTONIC, when its probes were removed; 0: muted only */
};
typedef void (*capture_limit_fn)(void *ctx, const struct capture_limit *l);

struct capture_opts {
	pid_t pid; /* process whose probes fire; filtered again by tgid in BPF */
	const char *binary; /* the file the sites are offsets of */
	int nplans;
	int nfuncs; /* func_id bound of the plans (rate-limit state per function) */
	bool empty; /* no-op programs at the same sites: the benchmark baseline */
	enum capture_mode mode;
	/* entries of one function per second before its probes are removed; 0: no limit */
	uint64_t max_calls_per_sec;
	capture_fn fn;
	capture_limit_fn on_limit; /* optional */
	void *ctx;
	/* ring buffer size: a power of two of at least a page; 0: 16 MiB */
	uint32_t ringbuf_bytes;
	uint32_t test_busy_every; /* tests: every Nth event on a CPU dropped as if preempted */
};

/* capture__add_site() flags. */
/* A return probe (uretprobe) at a function's entry: the plan is that of a ret site. */
#define CAPTURE_SITE_RETURN 0x1
/*
 * Panic bookkeeping: attached on its own, failures ignored (capture__attach
 * counts them), never removed by the rate limit.
 */
#define CAPTURE_SITE_OPTIONAL 0x2

/*
 * What the BPF side needs from the kernel: BTF (CO-RE), uprobes through perf
 * events, bpf_loop (5.17; cookies 5.15, ring buffer 5.8), and the effective
 * capabilities CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN). 0 or -errno with why.
 */
int capture__check_kernel(char *err, size_t errlen);
/* Whether capability cap (CAP_*) is in the effective set. */
bool capture__capable(int cap);
int capture__open(const struct capture_opts *o, struct capture **out, char *err, size_t errlen);
int capture__set_plan(struct capture *c, uint32_t cookie, const struct rst_plan *p);
/* A probe at file offset `off` whose program finds its plan by `cookie` (set_plan first). */
int capture__add_site(struct capture *c, uint64_t off, uint32_t cookie, unsigned int flags);
/*
 * Attaches every site added. On error nothing stays attached and err names
 * the failing site when the kernel tells which.
 */
int capture__attach(struct capture *c, char *err, size_t errlen);
int capture__ready(struct capture *c);
int capture__epoll_fd(struct capture *c);
/*
 * Consumes every record the ring buffer holds (poll capture__epoll_fd() to
 * wait); then removes the probes of functions that went over the rate limit.
 */
int capture__consume(struct capture *c);
/*
 * Stops recording: the programs return at once from now on (a handler
 * already past the check may still write one record).
 */
int capture__mute(struct capture *c);
/*
 * Mutes, then removes every probe; on return the kernel has run its last
 * handler. Idempotent. uprobe_multi: one grace period (~50 ms) whatever the
 * number of sites; perf events: ~0.3 s per probe (kernel mutex + RCU).
 */
int capture__detach(struct capture *c);
void capture__stats(struct capture *c, uint64_t out[RST_STAT_NR]);
typedef void (*capture_count_fn)(void *ctx, uint32_t tid, uint64_t events);
/*
 * For every thread of the target that had an event: how many it had, those
 * the ring buffer refused included (rst_event.seq of its last one). After
 * capture__detach() these are final.
 */
int capture__thread_counts(struct capture *c, capture_count_fn fn, void *ctx);
/* Sites attached, optional sites that failed. */
int capture__nsites(const struct capture *c);
int capture__nfailed(const struct capture *c);
/* After a failed capture__attach(): the cookie of a site that fails alone, or -1. */
int64_t capture__bad_cookie(const struct capture *c);
enum capture_mode capture__mode(const struct capture *c);
const char *capture__mode_name(const struct capture *c); /* "uprobe_multi" or "perf_event" */
/* Kernel features found at open, comma-separated (e.g. "uprobe_multi,uprobe_multi_pid"). */
const char *capture__features(const struct capture *c);
/* Nanoseconds the last capture__attach() / capture__detach() took. */
uint64_t capture__attach_ns(const struct capture *c);
uint64_t capture__detach_ns(const struct capture *c);
void capture__free(struct capture *c);
#endif
