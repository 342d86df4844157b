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
#endif
