/* SPDX-License-Identifier: MIT */
#ifndef ARGS_H
#define ARGS_H
#include "record.h"

enum command {
	CMD_NONE = 0,
	CMD_RECORD,
};

struct args {
	enum command cmd;
	struct record_opts record;
};

/* Parses argv; returns 0, or a non-zero exit code after printing why. */
int args__parse(int argc, char **argv, struct args *a);
/*
 * A command's config: path, or the rstrace.toml / firedbg.toml found from the
 * current directory. Warnings go to stderr; returns 0, or 2 after printing why.
 */
int args__load_config(struct config *c, const char *path);
#endif
