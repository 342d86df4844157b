/* SPDX-License-Identifier: MIT */
#ifndef RECORD_H
#define RECORD_H
#include <stdbool.h>
#include <sys/types.h>
#include "config.h"

struct record_opts {
	const char *output;
	const char *config_path;
	const char *debuginfo; /* --debuginfo FILE|DIR */
	char **argv; /* command to run, or NULL with pid */
	pid_t pid; /* attach to a running process */
	double duration; /* seconds, 0: until the process exits or a signal */
	bool force; /* --force: output may replace a file that is not an rstrace trace */
	bool empty_probes;
	bool symbols_only; /* no DWARF: trace by ELF symbol, no values */
	bool quiet;
	struct config cfg;
};

/*
 * Traces until the program exits (returns its exit status, 0-255), or in
 * attach mode until SIGINT/SIGTERM/--duration/exit (returns 0). -errno when
 * the tracer itself failed (a message was printed).
 */
int record__run(struct record_opts *o);
#endif
