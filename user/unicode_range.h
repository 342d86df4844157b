/* SPDX-License-Identifier: MIT */
/* The entry type of the generated unicode_tables*.h (tools/gen_unicode_tables.sh). */
#ifndef RSTRACE_UNICODE_RANGE_H
#define RSTRACE_UNICODE_RANGE_H
#include <stdint.h>

struct rfmt_range {
	uint32_t lo, hi;
};
#endif
