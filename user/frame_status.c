// SPDX-License-Identifier: MIT
#include <string.h>
#include "frame_status.h"

static const char *const names[] = {
	[FS_RETURNED] = "returned", [FS_TAIL_CALL] = "tail_call", [FS_UNWOUND] = "unwound",
	[FS_NO_EXIT] = "no_exit",   [FS_LOST] = "lost",	      [FS_OPEN] = "open",
	[FS_DETACHED] = "detached",
};

const char *frame_status__name(enum frame_status s)
{
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "open";
}

enum frame_status frame_status__parse(const char *name, bool has_exit)
{
	unsigned i;

	for (i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return (enum frame_status)i;
	return has_exit ? FS_RETURNED : FS_OPEN;
}

bool frame_status__returned(enum frame_status s)
{
	return s == FS_RETURNED || s == FS_TAIL_CALL;
}
