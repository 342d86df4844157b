/* SPDX-License-Identifier: MIT */
#ifndef RECORD_H
#define RECORD_H
#include <stdbool.h>
#include "config.h"

struct record_opts {
	const char *output;
	const char *config_path;
	char **argv; /* command to run */
	bool empty_probes;
	bool quiet;
	struct config cfg;
};

/* Runs the command under tracing; returns its exit status (0-255) or -errno on tracer failure. */
int record__run(struct record_opts *o);
#endif
