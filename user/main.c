// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>
#include "args.h"
#include "cmd_functions.h"
#include "cmd_view.h"
#include "record.h"

int main(int argc, char **argv)
{
	struct args a;
	int ret;

	if (argc > 1 && strcmp(argv[1], "functions") == 0)
		return cmd_functions__main(argc - 1, argv + 1);
	if (argc > 1 && cmd_view__is_command(argv[1]))
		return cmd_view__main(argc - 1, argv + 1);
	ret = args__parse(argc, argv, &a);

	if (ret)
		return ret;
	ret = record__run(&a.record);
	config__free(&a.record.cfg);
	/* negative: the tracer failed (message already printed) */
	return ret < 0 ? 1 : ret;
}
