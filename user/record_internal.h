/* SPDX-License-Identifier: MIT */
/*
 * What the parts of `rstrace record` share:
 *   record.c         the session: output, session row, main loop, the end
 *   record_proc.c    the traced process: finding, launching or attaching to it,
 *                    signal forwarding, its end
 *   record_probes.c  plans for the selected functions and std's panic
 *                    machinery, and their probes
 *   record_events.c  the consumer's callbacks: events to frames and the database
 */
#ifndef RECORD_INTERNAL_H
#define RECORD_INTERNAL_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include "capture.h"
#include "consumer.h"
#include "frames.h"
#include "plan.h"
#include "record.h"
#include "redact.h"
#include "rustfmt.h"
#include "store.h"
#include "target.h"

struct site_ref {
	struct plan_func *pf;
	struct plan_site *site;
};

/* Panic hook output collected per thread until its rust_panic event. */
struct panic_text {
	uint32_t tid;
	uint64_t first_seq; /* the event number of its first part */
	struct strbuf text;
};

struct recorder {
	struct record_opts *o;
	struct target t;
	struct plan_func panic_pf; /* sites at std's panic hook, stderr writer, rust_panic, catch_unwind */
	struct panic_text *texts;
	int ntexts;
	struct plan_func *pfs;
	int npfs;
	struct site_ref *sites;
	int nsites;
	struct store *st;
	struct frames *fr;
	struct capture *cap;
	int64_t mono_to_real;
	int err; /* first error of the final counts */
	struct consumer *cons; /* reads the ring buffer, decodes, writes (consumer.h) */
	/* the session row, rewritten with the counters at each commit once the consumer runs */
	struct store_session ss;
	struct utsname kernel; /* ss.kernel points into it */
	struct redactor red; /* the config's redact globs, for the plans and the decoder */
	/* the traced process */
	bool launched; /* started by rstrace, not attached to */
	pid_t pid; /* -1: none yet */
	int pidfd; /* -1: none */
	bool resumed; /* launched: running, no longer stopped at its first instruction */
	bool waited; /* launched: reaped, status is its wait status */
	int status;
	/* the status line: when tracing started, and the last line's time and event count */
	uint64_t start_ns, status_ns, status_events;
};

/* record_proc.c */
/* The program's file (resolved like execvp, or /proc/PID/exe) opened as r->t. */
int rec_open_target(struct recorder *r);
/* Launched: started, stopped at its first instruction; attached: r->o->pid. Then its pidfd. */
int rec_start_target(struct recorder *r);
/* session.command, redacted; NULL if unreadable. */
char *rec_command(const struct recorder *r);
/* Stop signals handled (forwarded to a launched program), then the program let run. */
int rec_resume_target(struct recorder *r);
/* Whether the program has ended (launched: reaped); pidfd_ready: poll said so on r->pidfd. */
bool rec_target_exited(struct recorder *r, bool pidfd_ready);
/* Launched and not reaped yet: waits for its end. */
void rec_reap_target(struct recorder *r);
/* Attached: a stop signal came. */
bool rec_stop_requested(void);
/* The signals rstrace handles, which the consumer's threads keep blocked. */
void rec_stop_sigset(sigset_t *set);
/* Signal handlers restored, pidfd closed; a launched program never resumed is killed. */
void rec_release_target(struct recorder *r);

/* record_probes.c */
/* Plans for the selected functions and the panic sites, r->sites indexed by cookie. */
int rec_build_plans(struct recorder *r);
/* Opens r->cap on pid's probes, attaches every site, starts recording. */
int rec_attach(struct recorder *r);

/* record_events.c */
int rec_start_consumer(struct recorder *r);
/* capture__thread_counts()'s callback: the first error goes to r->err. */
void rec_final_count(void *ctx, uint32_t tid, uint64_t events);
/* capture's callbacks (the consumer's reader thread). */
int rec_on_event(void *ctx, void *data, size_t size);
void rec_on_limit(void *ctx, const struct capture_limit *l);
#endif
