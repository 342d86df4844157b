/* SPDX-License-Identifier: MIT */
/* The commands that read a trace: `rstrace tree`, `rstrace report`, `rstrace export`. */
#ifndef RSTRACE_CMD_VIEW_H
#define RSTRACE_CMD_VIEW_H

#include <stdbool.h>

/* True when name is one of the commands cmd_view__main() runs. */
bool cmd_view__is_command(const char *name);

/*
 * argv[0] is the command ("tree", "report" or "export"), the rest its
 * options and the database. Parses with argp (--help exits, as argp does)
 * and returns the exit code: 0, 1 when the command failed, 2 for bad usage.
 */
int cmd_view__main(int argc, char **argv);
#endif /* RSTRACE_CMD_VIEW_H */
