/* SPDX-License-Identifier: MIT */
/*
 * The config's `redact` globs as record uses them: the answers the planner
 * and the decoder ask for (struct plan_redact), cached per name and thread,
 * and the command line kept in session.command.
 */
#ifndef REDACT_H
#define REDACT_H
#include "config.h"
#include "plan.h"

struct redactor {
	struct plan_redact pr;
	const struct config *cfg;
	unsigned long id; /* what its cached answers are kept under */
};

/* What plan_ctx.redact takes: NULL when cfg has no pattern (nothing to hide or to ask). */
const struct plan_redact *redactor__init(struct redactor *r, const struct config *cfg);

/*
 * argv[0..argc) joined by spaces, each value whose key is named like a
 * pattern replaced by PLAN_REDACTED: `--key=value`, `-key=value` and
 * `KEY=value`, and the argument after a `--key` or `-key` without '='
 * (whether the program's option takes one is unknown, so it always is),
 * and the password of any URL (`scheme://user:PASSWORD@host`). Keys match
 * as written and with '-' and '_' swapped. Caller frees.
 */
char *redact__command(const struct config *cfg, char *const *argv, int argc);

#endif
