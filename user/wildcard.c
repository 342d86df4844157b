// SPDX-License-Identifier: MIT
#include <ctype.h>

#include "wildcard.h"

static size_t utf8_charlen(const char *s, const char *end)
{
	size_t n = 1;

	while (s + n < end && ((unsigned char)s[n] & 0xc0) == 0x80)
		n++;
	return n;
}

static bool char_eq(char a, char b, bool icase)
{
	return a == b || (icase && tolower((unsigned char)a) == tolower((unsigned char)b));
}

/*
 * Greedy matching that backtracks to the last '*' only: a later '*' can
 * absorb whatever an earlier one would, so this is O(len(p) * len(s)).
 * Backtracking steps whole UTF-8 characters so '?' never splits one.
 * A prefix match is the same walk, with any pattern left over satisfiable.
 */
bool wildcard_match(const char *p, const char *s, size_t len, unsigned int flags)
{
	bool icase = flags & WILDCARD_ICASE, prefix = flags & WILDCARD_PREFIX;
	const char *star = NULL, *resume = NULL, *end = s + len;

	while (s < end) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (!*p)
				return true;
			star = p;
			resume = s;
			continue;
		}
		if (*p == '?') {
			p++;
			s += utf8_charlen(s, end);
			continue;
		}
		if (*p && char_eq(*p, *s, icase)) {
			p++;
			s++;
			continue;
		}
		if (!star)
			return false;
		resume += utf8_charlen(resume, end);
		p = star;
		s = resume;
	}
	while (*p == '*')
		p++;
	return prefix || !*p;
}
