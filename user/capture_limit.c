// SPDX-License-Identifier: MIT
/* The ring buffer's records, and the call-rate limit: functions over it lose their probes. */
#include <pthread.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "capture_internal.h"
#include "grow.h"
#include "rstrace.skel.h"

/* Limit records stay here; everything else goes to the caller's callback. */
int cap_on_sample(void *ctx, void *data, size_t size)
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
		__atomic_store_n(&c->skel->bss->relinking, 1, __ATOMIC_SEQ_CST);
		if (cap_link_main(c, fds, NULL, 0) == 0) {
			old[0] = c->main_fd[0];
			old[1] = c->main_fd[1];
			__atomic_store_n(&c->skel->bss->live_gen, c->gen, __ATOMIC_SEQ_CST);
			/* returns once no old handler runs: from then on one handler a hit */
			cap_close_all(old, 2);
			for (r = 0; r < 2; r++)
				c->main_fd[r] = fds[r];
			removed = mono_ns();
		} else {
			c->gen ^= 1; /* keep the old link: the functions are muted below */
		}
		__atomic_store_n(&c->skel->bss->relinking, 0, __ATOMIC_SEQ_CST);
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

	if (c->npending) {
		pthread_mutex_lock(&c->links_mu);
		apply_limits(c);
		pthread_mutex_unlock(&c->links_mu);
	}
	return n;
}
