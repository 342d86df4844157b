// SPDX-License-Identifier: MIT
/* The traced process: finding, launching or attaching to it, signal forwarding, its end. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "record_internal.h"

/* 0 if exec can run path: -EISDIR, -EACCES (not a regular file, or not executable), -ENOENT... */
static int runnable(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) || access(path, X_OK))
		return -EACCES;
	return 0;
}

/*
 * execvp's lookup, so the probes go on the file that will run, and its
 * errors, found before anything is probed: a PATH entry that is not
 * runnable is skipped, and -EACCES reported if no later one is.
 */
static int resolve(const char *cmd, char *out)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	int e, first = -ENOENT;

	if (!*cmd)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		e = runnable(cmd);
		if (e)
			return e;
		return realpath(cmd, out) ? 0 : -errno;
	}
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", cmd);
		e = runnable(buf);
		if (!e && realpath(buf, out))
			return 0;
		if (e == -EACCES)
			first = e;
		path += n + (path[n] == ':');
	}
	return first;
}

/*
 * Child stops at its first instruction (PTRACE_TRACEME + exec), so no call is
 * missed. exec's errno comes back through a pipe that a successful exec closes.
 */
static pid_t spawn(char **argv, int *err)
{
	int fds[2], st, child_errno = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		*err = -errno;
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		*err = -errno;
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
			execvp(argv[0], argv);
		child_errno = errno;
		n = write(fds[1], &child_errno, sizeof(child_errno));
		_exit(127);
	}
	close(fds[1]);
	do
		n = read(fds[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n == sizeof(child_errno)) {
		waitpid(pid, NULL, 0);
		*err = -child_errno;
		return -1;
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) {
		/* killed before its first instruction */
		*err = -ECHILD;
		return -1;
	}
	return pid;
}

/* session.command: never a secret the redact globs name (redact.h) */
static char *join_args(char **argv, const struct config *cfg)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return redact__command(cfg, argv, argc);
}

/* The arguments of a running process (its first 4 KiB), redacted like join_args(). */
static char *proc_cmdline(pid_t pid, const struct config *cfg)
{
	char path[64], buf[4096], *argv[sizeof(buf) / 2 + 1];
	ssize_t n, i;
	int fd, argc = 0;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	/* NUL-separated; a cut last argument still counts */
	for (i = 0; i < n; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	return redact__command(cfg, argv, argc);
}

/* Why /proc/PID/exe cannot be read: no process, a zombie, a kernel thread, permissions. */
static void explain_pid(pid_t pid, int e)
{
	char path[64], buf[1024], *p;
	unsigned long flags = 0;
	char state = 0;
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	/* "PID (COMM) STATE PPID PGRP SESSION TTY TPGID FLAGS ...": COMM may hold ')' */
	if (n > 0) {
		buf[n] = 0;
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
			state = 0;
	}
	if (e == -ENOENT && n <= 0)
		fprintf(stderr, "rstrace: cannot attach to pid %d: no such process\n", pid);
	else if (state == 'Z' || state == 'X')
		fprintf(stderr, "rstrace: cannot attach to pid %d: it has exited (a zombie until "
			"its parent collects its exit status): there is nothing left to trace\n",
			pid);
	else if (flags & 0x00200000) /* PF_KTHREAD */
		fprintf(stderr, "rstrace: cannot attach to pid %d: it is a kernel thread, which "
			"has no executable: rstrace traces user-space programs\n", pid);
	else if ((e == -EACCES || e == -EPERM) && !capture__capable(CAP_SYS_PTRACE))
		fprintf(stderr, "rstrace: cannot attach to pid %d: permission denied reading "
			"/proc/%d/exe: a process of another user needs CAP_SYS_PTRACE (or root)\n",
			pid, pid);
	else
		fprintf(stderr, "rstrace: cannot attach to pid %d: cannot read /proc/%d/exe: %s\n",
			pid, pid, strerror(-e));
}

/* Only std has DWARF (a release build): nothing of the program's own would be traced. */
static bool selects_beyond_main(const struct config *c)
{
	int i;

	for (i = 0; i < c->ncrates; i++)
		if (c->crates[i].mode == TRACE_FULL)
			return true;
	return c->ninclude > 0;
}

int rec_open_target(struct recorder *r)
{
	char exe[PATH_MAX], inroot[PATH_MAX], root[64], err[1024];
	ssize_t n;
	int e;

	if (r->o->pid) {
		/* /proc/PID/exe reaches the file even from another mount namespace */
		snprintf(exe, sizeof(exe), "/proc/%d/exe", r->o->pid);
		snprintf(root, sizeof(root), "/proc/%d/root", r->o->pid);
		n = readlink(exe, inroot, sizeof(inroot) - 1);
		if (n < 0) {
			e = -errno;
			explain_pid(r->o->pid, e);
			return e;
		}
		inroot[n] = 0;
	} else {
		e = resolve(r->o->argv[0], exe);
		if (e) {
			if (e == -EACCES)
				fprintf(stderr, "rstrace: cannot run %s: permission denied (not an "
					"executable file: chmod +x?)\n", r->o->argv[0]);
			else if (e == -EISDIR)
				fprintf(stderr, "rstrace: cannot run %s: it is a directory, not a "
					"program\n", r->o->argv[0]);
			else
				fprintf(stderr, "rstrace: cannot find program %s: %s\n",
					r->o->argv[0], strerror(-e));
			return e;
		}
		snprintf(inroot, sizeof(inroot), "%s", exe);
		root[0] = 0;
	}
	e = target__open(&r->t, exe, root, inroot, r->o->debuginfo, r->o->symbols_only, err,
			 sizeof(err));
	if (e) {
		fprintf(stderr, "rstrace: %s\n", err);
		return e;
	}
	if (!r->t.symbols_only && !r->t.main_crate && !selects_beyond_main(&r->o->cfg)) {
		fprintf(stderr, "rstrace: %s has DWARF only for Rust's standard library, none for "
			"the crate that owns main (built without debug info: a release build?): "
			"build with -g (debug = true in the Cargo profile), pass --debuginfo "
			"FILE|DIR, or trace calls without values with --symbols-only\n", r->t.exe);
		return -ENODATA;
	}
	return 0;
}

static volatile sig_atomic_t stop_requests;
/* Launched: the child and its pidfd (-1: none), where SIGINT/SIGTERM/SIGHUP are forwarded. */
static volatile pid_t forward_pid;
static volatile int forward_pidfd = -1;

/*
 * Launched, like strace: a signal sent to rstrace goes on to the program
 * (pidfd: never to a recycled pid) and the trace ends when the program
 * does; a terminal's (SI_KERNEL) reached the program's process group, the
 * program included, already. Attached: the first signal finishes the trace
 * and detaches; the second leaves at once (the database keeps its last
 * commit, at most 200 ms old, and says it did not finish).
 */
static void on_stop_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)uc;
	if (forward_pid > 0) {
		bool from_tty = si->si_code == SI_KERNEL;

		if (!from_tty && forward_pidfd >= 0)
			syscall(SYS_pidfd_send_signal, forward_pidfd, sig, NULL, 0);
		else if (!from_tty)
			kill(forward_pid, sig); /* not reaped yet: the pid is still its */
		errno = saved;
		return;
	}
	if (stop_requests++)
		_exit(128 + sig);
	errno = saved;
}

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSTOP (int)(sizeof(stop_signals) / sizeof(stop_signals[0]))

/* The actions set_stop_signals() replaced; process-wide, like the handler. */
static struct sigaction old_actions[NSTOP];
static bool actions_set;

static void set_stop_signals(struct sigaction old[NSTOP])
{
	struct sigaction sa = { .sa_sigaction = on_stop_signal,
				.sa_flags = SA_SIGINFO | SA_RESTART };
	int i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &sa, &old[i]);
}

void rec_stop_sigset(sigset_t *set)
{
	int i;

	sigemptyset(set);
	for (i = 0; i < NSTOP; i++)
		sigaddset(set, stop_signals[i]);
}

bool rec_stop_requested(void)
{
	return stop_requests != 0;
}

int rec_start_target(struct recorder *r)
{
	int e;

	if (r->launched) {
		r->pid = spawn(r->o->argv, &e);
		if (r->pid < 0) {
			fprintf(stderr, "rstrace: cannot start %s: %s\n", r->o->argv[0],
				strerror(-e));
			return e;
		}
	} else {
		r->pid = r->o->pid;
	}
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	/*
	 * Attached, a stop signal from here on ends the trace (once the probes
	 * are in: the wait loop sees it at once) instead of killing rstrace
	 * halfway, with probes in the program and no session end written.
	 */
	if (!r->launched) {
		set_stop_signals(old_actions);
		actions_set = true;
	}
	return 0;
}

char *rec_command(const struct recorder *r)
{
	return r->launched ? join_args(r->o->argv, &r->o->cfg) : proc_cmdline(r->pid, &r->o->cfg);
}

int rec_resume_target(struct recorder *r)
{
	int e;

	if (r->launched) {
		forward_pidfd = r->pidfd;
		forward_pid = r->pid;
	}
	if (!actions_set) {
		set_stop_signals(old_actions);
		actions_set = true;
	}
	if (r->launched && ptrace(PTRACE_DETACH, r->pid, NULL, NULL)) {
		e = -errno;
		fprintf(stderr, "rstrace: cannot resume %s: %s\n", r->o->argv[0], strerror(-e));
		return e;
	}
	r->resumed = true;
	return 0;
}

bool rec_target_exited(struct recorder *r, bool pidfd_ready)
{
	bool exited;

	if (r->pidfd >= 0)
		exited = pidfd_ready;
	else
		exited = r->launched ? waitpid(r->pid, &r->status, WNOHANG) == r->pid
				     : kill(r->pid, 0) != 0;
	if (!exited)
		return false;
	if (r->launched && r->pidfd >= 0)
		waitpid(r->pid, &r->status, 0);
	/* reaped: a signal now is for rstrace (attached: finish; twice: leave) */
	forward_pid = 0;
	r->waited = r->launched;
	return true;
}

void rec_reap_target(struct recorder *r)
{
	if (!r->launched || r->waited)
		return;
	while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR)
		;
	forward_pid = 0;
	r->waited = true;
}

void rec_release_target(struct recorder *r)
{
	int i;

	if (r->launched && r->pid > 0 && !r->resumed) {
		/* the tracer failed before the program ran: do not leave it stopped */
		kill(r->pid, SIGKILL);
		ptrace(PTRACE_DETACH, r->pid, NULL, NULL);
		waitpid(r->pid, NULL, 0);
	}
	if (actions_set) {
		for (i = 0; i < NSTOP; i++)
			sigaction(stop_signals[i], &old_actions[i], NULL);
		actions_set = false;
	}
	forward_pid = 0;
	forward_pidfd = -1;
	if (r->pidfd >= 0)
		close(r->pidfd);
	r->pidfd = -1;
}
