// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include "consumer.h"

/* Queue slots: records in flight at most, whatever their size. */
#define NSLOTS 16384
/* Items a decoder or the writer takes per trip through the lock. */
#define BATCH 16

enum { S_FILLED = 1, S_DECODING, S_DECODED };

struct consumer {
	struct consumer_opts o;
	struct consumer_ops ops;
	pthread_mutex_t mu;
	pthread_cond_t room; /* the reader waits for the writer to free space */
	pthread_cond_t work; /* decoders wait for records */
	pthread_cond_t ready; /* the writer waits for decoded records */
	struct cons_item *slot;
	uint8_t *buf; /* records, in a circle of o.max_bytes */
	/* monotonic counters: pushed, handed to decoders, applied; bytes taken, freed */
	uint64_t head, next, tail, wpos, rpos;
	bool input_done, stop;
	int err;
	pthread_t reader, writer, *dec;
	int ndec;
	bool have_reader, have_writer;
	struct consumer_stats st;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int consumer__new(const struct consumer_opts *o, const struct consumer_ops *ops,
		  struct consumer **out)
{
	pthread_condattr_t ca;
	struct consumer *c;

	if (o->max_bytes < 2 * (RST_EVENT_MAX + 64))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->o = *o;
	c->ops = *ops;
	c->slot = calloc(NSLOTS, sizeof(*c->slot));
	c->buf = malloc(o->max_bytes);
	c->dec = calloc(o->decoders > 0 ? o->decoders : 1, sizeof(*c->dec));
	if (!c->slot || !c->buf || !c->dec) {
		free(c->slot);
		free(c->buf);
		free(c->dec);
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->room, &ca);
	pthread_cond_init(&c->work, &ca);
	pthread_cond_init(&c->ready, &ca);
	pthread_condattr_destroy(&ca);
	*out = c;
	return 0;
}

/* Room for n bytes, contiguous: skips the end of the circle when it is too short. */
static bool take_bytes(struct consumer *c, size_t n, uint64_t *off, uint64_t *end)
{
	uint64_t pos = c->wpos, at = pos % c->o.max_bytes;

	if (at + n > c->o.max_bytes)
		pos += c->o.max_bytes - at;
	if (pos + n - c->rpos > c->o.max_bytes)
		return false;
	*off = pos % c->o.max_bytes;
	*end = pos + n;
	return true;
}

int consumer__push(struct consumer *c, enum cons_kind kind, const void *data, size_t size)
{
	size_t n = (size + 7) & ~(size_t)7;
	uint64_t off = 0, end = 0;
	struct cons_item *it;

	pthread_mutex_lock(&c->mu);
	c->st.items++;
	for (;;) {
		if (c->err || n > c->o.max_bytes / 2) {
			c->st.dropped++;
			pthread_mutex_unlock(&c->mu);
			return 0;
		}
		if (c->head - c->tail < NSLOTS && take_bytes(c, n, &off, &end))
			break;
		/* full: the ring buffer fills meanwhile, and BPF counts what it drops */
		c->st.full_waits++;
		pthread_cond_wait(&c->room, &c->mu);
	}
	it = &c->slot[c->head % NSLOTS];
	it->data = c->buf + off;
	memcpy(it->data, data, size);
	it->size = (uint32_t)size;
	it->kind = (uint8_t)kind;
	it->state = S_FILLED;
	it->end = end;
	it->out[0] = it->out[1] = NULL;
	c->wpos = end;
	c->head++;
	if (c->wpos - c->rpos > c->st.peak_bytes)
		c->st.peak_bytes = c->wpos - c->rpos;
	pthread_cond_signal(c->o.decoders > 0 ? &c->work : &c->ready);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

/* This thread's nice value (errors ignored: without CAP_SYS_NICE it stays as it is). */
static void set_nice(const struct consumer *c)
{
	if (c->o.nice)
		setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), c->o.nice);
}

static bool failed(struct consumer *c)
{
	return __atomic_load_n(&c->err, __ATOMIC_RELAXED) != 0;
}

static void *decoder(void *arg)
{
	struct consumer *c = arg;
	struct strbuf sb;
	uint64_t first, i;
	int n;

	pthread_setname_np(pthread_self(), "rstrace-decode");
	set_nice(c);
	sb_init(&sb);
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (c->next == c->head && !c->input_done)
			pthread_cond_wait(&c->work, &c->mu);
		if (c->next == c->head) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		first = c->next;
		n = c->head - first < BATCH ? (int)(c->head - first) : BATCH;
		c->next += n;
		for (i = first; i < first + n; i++)
			c->slot[i % NSLOTS].state = S_DECODING;
		pthread_mutex_unlock(&c->mu);
		for (i = first; i < first + n; i++)
			if (!failed(c))
				c->ops.decode(c->ops.ctx, &c->slot[i % NSLOTS], &sb);
		pthread_mutex_lock(&c->mu);
		for (i = first; i < first + n; i++)
			c->slot[i % NSLOTS].state = S_DECODED;
		if (first <= c->tail)
			pthread_cond_signal(&c->ready);
		pthread_mutex_unlock(&c->mu);
	}
	sb_free(&sb);
	return NULL;
}

static void set_error(struct consumer *c, int e)
{
	pthread_mutex_lock(&c->mu);
	if (!c->err)
		c->err = e;
	pthread_cond_broadcast(&c->room);
	pthread_mutex_unlock(&c->mu);
}

static void *writer(void *arg)
{
	struct consumer *c = arg;
	uint64_t last_commit = mono_ns(), first, i, now;
	struct strbuf sb;
	bool dirty = false;
	int n, e;

	pthread_setname_np(pthread_self(), "rstrace-write");
	set_nice(c);
	sb_init(&sb);
	for (;;) {
		struct timespec until;
		uint64_t t = last_commit + c->o.period_ns;

		until.tv_sec = t / 1000000000ull;
		until.tv_nsec = t % 1000000000ull;
		pthread_mutex_lock(&c->mu);
		while (c->tail == c->head ||
		       (c->o.decoders > 0 && c->slot[c->tail % NSLOTS].state != S_DECODED)) {
			if (c->tail == c->head && c->input_done)
				break;
			if (pthread_cond_timedwait(&c->ready, &c->mu, &until) == ETIMEDOUT)
				break;
		}
		first = c->tail;
		for (n = 0; n < BATCH && first + n < c->head; n++) {
			uint8_t st = c->slot[(first + n) % NSLOTS].state;

			if (c->o.decoders > 0 ? st != S_DECODED : st != S_FILLED)
				break;
		}
		if (!n && c->tail == c->head && c->input_done) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		pthread_mutex_unlock(&c->mu);
		for (i = first; i < first + n; i++) {
			struct cons_item *it = &c->slot[i % NSLOTS];

			if (!c->o.decoders && !failed(c))
				c->ops.decode(c->ops.ctx, it, &sb);
			if (!failed(c)) {
				e = c->ops.apply(c->ops.ctx, it);
				if (e < 0)
					set_error(c, e);
				dirty = true;
			}
			free(it->out[0]);
			free(it->out[1]);
			it->out[0] = it->out[1] = NULL;
		}
		if (n) {
			pthread_mutex_lock(&c->mu);
			c->tail = first + n;
			c->rpos = c->slot[(first + n - 1) % NSLOTS].end;
			pthread_cond_signal(&c->room);
			pthread_mutex_unlock(&c->mu);
		}
		now = mono_ns();
		if (now - last_commit >= c->o.period_ns) {
			/* nothing new: the counters may have moved (all lost), so commit anyway */
			if (!failed(c) && (e = c->ops.commit(c->ops.ctx)) < 0)
				set_error(c, e);
			last_commit = now;
			dirty = false;
		}
	}
	if (dirty && !failed(c) && (e = c->ops.commit(c->ops.ctx)) < 0)
		set_error(c, e);
	sb_free(&sb);
	return NULL;
}

static void *reader(void *arg)
{
	struct consumer *c = arg;
	struct pollfd pf = { capture__epoll_fd(c->o.cap), POLLIN, 0 };

	pthread_setname_np(pthread_self(), "rstrace-read");
	set_nice(c);

	/*
	 * BPF wakes us only once 1 MiB waits (a wake-up per record costs the
	 * target); below that, the timeout collects what is there.
	 */
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		poll(&pf, 1, 20);
		capture__consume(c->o.cap);
	}
	capture__consume(c->o.cap);
	pthread_mutex_lock(&c->mu);
	c->input_done = true;
	pthread_cond_broadcast(&c->work);
	pthread_cond_broadcast(&c->ready);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int consumer__start(struct consumer *c)
{
	int e, i;

	e = -pthread_create(&c->writer, NULL, writer, c);
	if (e)
		return e;
	c->have_writer = true;
	for (i = 0; i < c->o.decoders; i++) {
		e = -pthread_create(&c->dec[i], NULL, decoder, c);
		if (e)
			return e;
		c->ndec++;
	}
	/* without a capture the caller pushes (tests) */
	if (!c->o.cap)
		return 0;
	e = -pthread_create(&c->reader, NULL, reader, c);
	if (e)
		return e;
	c->have_reader = true;
	return 0;
}

/* Joins every thread; without a reader, marks the input done itself. */
static void stop_all(struct consumer *c)
{
	int i;

	__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
	if (c->have_reader) {
		pthread_join(c->reader, NULL);
		c->have_reader = false;
	} else {
		pthread_mutex_lock(&c->mu);
		c->input_done = true;
		pthread_cond_broadcast(&c->work);
		pthread_cond_broadcast(&c->ready);
		pthread_mutex_unlock(&c->mu);
	}
	for (i = 0; i < c->ndec; i++)
		pthread_join(c->dec[i], NULL);
	c->ndec = 0;
	if (c->have_writer) {
		pthread_join(c->writer, NULL);
		c->have_writer = false;
	}
}

int consumer__finish(struct consumer *c)
{
	stop_all(c);
	return consumer__error(c);
}

int consumer__error(struct consumer *c)
{
	return __atomic_load_n(&c->err, __ATOMIC_RELAXED);
}

void consumer__stats(struct consumer *c, struct consumer_stats *out)
{
	pthread_mutex_lock(&c->mu);
	*out = c->st;
	pthread_mutex_unlock(&c->mu);
}

void consumer__free(struct consumer *c)
{
	uint64_t i;

	if (!c)
		return;
	stop_all(c);
	for (i = c->tail; i < c->head; i++) {
		free(c->slot[i % NSLOTS].out[0]);
		free(c->slot[i % NSLOTS].out[1]);
	}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->room);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->ready);
	free(c->slot);
	free(c->buf);
	free(c->dec);
	free(c);
}
