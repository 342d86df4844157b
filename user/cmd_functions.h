/* SPDX-License-Identifier: MIT */
#ifndef CMD_FUNCTIONS_H
#define CMD_FUNCTIONS_H
/* `rstrace functions [--config FILE] [--all] BINARY`: what record would trace. */
int cmd_functions__main(int argc, char **argv);
#endif
