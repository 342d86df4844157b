// SPDX-License-Identifier: MIT
#include <stdio.h>
#include "args.h"
#include "record.h"

int main(int argc, char **argv)
{
	struct args a;
	int ret = args__parse(argc, argv, &a);

	if (ret)
		return ret;
	ret = record__run(&a.record);
	config__free(&a.record.cfg);
	/* negative: the tracer failed (message already printed) */
	return ret < 0 ? 1 : ret;
}
