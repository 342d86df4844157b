// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <libiberty/demangle.h>
#include "demangle.h"

char *demangle__rust(const char *mangled)
{
	/* Without DMGL_VERBOSE libiberty drops the legacy hash and v0 crate disambiguators. */
	return rust_demangle(mangled, 0);
}
