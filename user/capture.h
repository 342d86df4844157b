/* SPDX-License-Identifier: MIT */
/* The BPF side: open -> size maps, set rodata -> load -> attach probes -> ready -> poll. */
#ifndef CAPTURE_H
#define CAPTURE_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "rstrace.h"

struct capture;
typedef int (*capture_fn)(void *ctx, void *data, size_t size);

struct capture_opts {
	pid_t pid; /* process whose probes fire; filtered again by tgid in BPF */
	int nplans;
	bool empty; /* no-op programs at the same sites: the benchmark baseline */
	capture_fn fn;
	void *ctx;
};

/*
 * What the BPF side needs from the kernel: BTF (CO-RE), uprobes through perf
 * events, bpf_loop (5.17; cookies 5.15, ring buffer 5.8). 0 or -errno with why.
 */
int capture__check_kernel(char *err, size_t errlen);
int capture__open(const struct capture_opts *o, struct capture **out, char *err, size_t errlen);
int capture__set_plan(struct capture *c, uint32_t cookie, const struct rst_plan *p);
/* A uprobe at file offset `off` of `binary`, whose program finds its plan by `cookie`. */
int capture__attach(struct capture *c, const char *binary, uint64_t off, uint32_t cookie);
/*
 * Panic messages: a uprobe at std's default panic hook (file offset hook_off)
 * and a BTF raw tracepoint on syscall entry that keeps that hook's writes.
 */
int capture__attach_panic_hook(struct capture *c, const char *binary, uint64_t hook_off);
int capture__ready(struct capture *c);
int capture__epoll_fd(struct capture *c);
/* Consumes every record the ring buffer holds (poll capture__epoll_fd() to wait). */
int capture__consume(struct capture *c);
void capture__stats(struct capture *c, uint64_t out[RST_STAT_NR]);
int capture__nlinks(const struct capture *c);
void capture__free(struct capture *c);
#endif
