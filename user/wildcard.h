/* SPDX-License-Identifier: MIT */
/* Wildcard patterns for function paths (include/exclude) and names (redact). */
#ifndef RSTRACE_WILDCARD_H
#define RSTRACE_WILDCARD_H

#include <stdbool.h>
#include <stddef.h>

enum wildcard_flags {
	WILDCARD_ICASE = 1 << 0, /* ASCII letters match either case */
	/* text is only the start of a name: true if some name starting so would match */
	WILDCARD_PREFIX = 1 << 1,
};

/*
 * '*' any run (including "::"), '?' one UTF-8 character, anything else
 * literal. The pattern is a C string; the text is len bytes and may hold NULs.
 */
bool wildcard_match(const char *pattern, const char *text, size_t len, unsigned int flags);

#endif /* RSTRACE_WILDCARD_H */
