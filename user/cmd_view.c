// SPDX-License-Identifier: MIT
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd_view.h"
#include "export.h"
#include "report.h"
#include "tree.h"
#include "view.h"

enum {
	OPT_SINCE = 2000,
	OPT_UNTIL,
	OPT_COLOR,
	OPT_MAX_VALUE,
	OPT_MERGE,
	OPT_COUNT,
	OPT_WIDTH,
};

enum cmd { CMD_TREE, CMD_REPORT, CMD_EXPORT };

struct view_args {
	enum cmd cmd;
	const char *db, *output;
	const char *since, *until, *color;
	struct tree_opts tree;
	struct report_opts report;
	struct export_opts export;
	bool have_format;
};

static long long number(struct argp_state *state, const char *what, const char *arg,
			long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (!*arg || *end || errno || v < lo || v > hi)
		argp_error(state, "%s: '%s' is not a number from %lld to %lld", what, arg, lo, hi);
	return v;
}

static const struct argp_option tree_options[] = {
	{ "thread", 't', "TID", 0, "Only this thread", 0 },
	{ "function", 'f', "GLOB", 0,
	  "Only the calls of functions matching GLOB (e.g. 'demo::fib', '*::parse*') and what "
	  "they call",
	  0 },
	{ "depth", 'D', "N", 0, "Show N levels (below each --function match, or from the top)",
	  0 },
	{ "since", OPT_SINCE, "TIME", 0,
	  "Only calls entered at or after TIME: since the trace began (10ms, 1.5s, 200us, 300ns) "
	  "or ns since the Unix epoch",
	  1 },
	{ "until", OPT_UNTIL, "TIME", 0, "Only calls entered before TIME (as --since)", 1 },
	{ "color", OPT_COLOR, "WHEN", 0,
	  "auto (on a terminal, unless NO_COLOR is set), always, never", 2 },
	{ "max-value", OPT_MAX_VALUE, "N", 0, "Cut values after N characters (60; 0: never)", 2 },
	{ "output", 'o', "FILE", 0, "Write to FILE instead of stdout", 2 },
	{ 0 }
};

static const struct argp_option report_options[] = {
	{ "sort", 's', "KEY", 0,
	  "total (default), self, calls, avg, max, errors or name; largest first", 0 },
	{ "thread", 't', "TID", 0, "Only this thread", 0 },
	{ "output", 'o', "FILE", 0, "Write to FILE instead of stdout", 0 },
	{ 0 }
};

static const struct argp_option export_options[] = {
	{ "format", 'F', "FORMAT", 0, "chrome, folded or svg (required)", 0 },
	{ "output", 'o', "FILE", 0, "Write to FILE instead of stdout", 0 },
	{ "thread", 't', "TID", 0, "Only this thread", 0 },
	{ "merge", OPT_MERGE, NULL, 0,
	  "svg: one flame graph of all threads, identical call stacks merged (x = total time) "
	  "instead of a time line per thread",
	  1 },
	{ "count", OPT_COUNT, "WHAT", 0,
	  "folded: what a stack's count is: time (its self time in ns, default) or calls", 1 },
	{ "width", OPT_WIDTH, "PX", 0, "svg: image width (1200)", 1 },
	{ 0 }
};

static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	struct view_args *a = state->input;
	int64_t tid;

	switch (key) {
	case 't':
		tid = number(state, "--thread", arg, 0, INT32_MAX);
		a->tree.tid = a->report.tid = a->export.tid = tid;
		return 0;
	case 'o':
		a->output = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (a->db)
			argp_error(state, "one database only ('%s' and '%s')", a->db, arg);
		a->db = arg;
		return 0;
	case ARGP_KEY_NO_ARGS:
		argp_error(state,
			   "no database given: e.g. rstrace.sqlite (written by rstrace record)");
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static error_t parse_tree(int key, char *arg, struct argp_state *state)
{
	struct view_args *a = state->input;

	switch (key) {
	case 'f':
		a->tree.function = arg;
		return 0;
	case 'D':
		a->tree.max_depth = (int)number(state, "--depth", arg, 1, 1 << 20);
		return 0;
	case OPT_SINCE:
		a->since = arg;
		return 0;
	case OPT_UNTIL:
		a->until = arg;
		return 0;
	case OPT_COLOR:
		if (strcmp(arg, "auto") && strcmp(arg, "always") && strcmp(arg, "never"))
			argp_error(state, "--color: '%s' is not auto, always or never", arg);
		a->color = arg;
		return 0;
	case OPT_MAX_VALUE:
		a->tree.max_value = (int)number(state, "--max-value", arg, 0, 1 << 20);
		return 0;
	}
	return parse_common(key, arg, state);
}

static error_t parse_report(int key, char *arg, struct argp_state *state)
{
	struct view_args *a = state->input;

	if (key == 's') {
		if (report__parse_sort(arg, &a->report.sort))
			argp_error(
			    state,
			    "--sort: '%s' is not total, self, calls, avg, max, errors or name",
			    arg);
		return 0;
	}
	return parse_common(key, arg, state);
}

static error_t parse_export(int key, char *arg, struct argp_state *state)
{
	struct view_args *a = state->input;

	switch (key) {
	case 'F':
		if (export__parse_format(arg, &a->export.format))
			argp_error(state, "--format: '%s' is not chrome, folded or svg", arg);
		a->have_format = true;
		return 0;
	case OPT_MERGE:
		a->export.merge = true;
		return 0;
	case OPT_COUNT:
		if (strcmp(arg, "time") && strcmp(arg, "calls"))
			argp_error(state, "--count: '%s' is not time or calls", arg);
		a->export.count_calls = !strcmp(arg, "calls");
		return 0;
	case OPT_WIDTH:
		a->export.width = (int)number(state, "--width", arg, 200, 100000);
		return 0;
	case ARGP_KEY_END:
		if (!a->have_format)
			argp_error(state, "which format? --format chrome, folded or svg");
		return 0;
	}
	return parse_common(key, arg, state);
}

static const char tree_doc[] =
	"Print the call tree of a trace, one line per call, indented by depth, like uftrace "
	"replay: duration, thread, function(arguments) -> return value. Calls left by a panic "
	"show '!unwound' instead of a duration, calls still running at the end '!open'. "
	"Where events were lost (ring buffer full): '⋯ N events lost', '⋯ f(…)' for a call "
	"whose caller was not recorded, '!lost' for a call whose end was not. "
	"Threads are printed one after the other, in the order they first called a traced "
	"function. Values are Rust's {:?}; '?' is a value rstrace could not know."
	"\v"
	"Examples:\n"
	"  rstrace tree trace.sqlite\n"
	"  rstrace tree trace.sqlite --function 'demo::fib' --depth 2\n"
	"  rstrace tree trace.sqlite --thread 4242 --since 10ms --until 20ms\n"
	"  rstrace tree trace.sqlite --color=always | less -R";

static const char report_doc[] =
	"Per function: total time (inclusive; a recursive function's inner calls are not "
	"counted again), self time (without traced callees), calls, average and maximum "
	"inclusive time per call, and errors: calls that returned Err(..) or were unwound by "
	"a panic. A call that never returned counts until the next event outside it on its "
	"thread."
	"\v"
	"Examples:\n"
	"  rstrace report trace.sqlite\n"
	"  rstrace report trace.sqlite --sort self\n"
	"  rstrace report trace.sqlite --sort calls --thread 4242";

static const char export_doc[] =
	"Write the trace for other tools.\n"
	"  chrome  Trace Event Format JSON: open it in ui.perfetto.dev or chrome://tracing. "
	"One track per thread, one slice per call with its arguments, return value and status "
	"in the slice's args; ts and dur are microseconds since the trace began.\n"
	"  folded  'a;b;c COUNT' per distinct call stack (threads merged) for flamegraph.pl, "
	"inferno or speedscope. COUNT is the stack's self time in ns (--count time, default) "
	"or its number of calls (--count calls). A ';' inside a name is written as ','.\n"
	"  svg     a self-contained flame graph: a time line per thread (x = time), or with "
	"--merge one graph of all threads with identical stacks merged (x = total time). "
	"Hover a box for the call's arguments, return value and duration."
	"\v"
	"Examples:\n"
	"  rstrace export trace.sqlite --format chrome -o trace.json\n"
	"  rstrace export trace.sqlite --format folded | flamegraph.pl > flame.svg\n"
	"  rstrace export trace.sqlite --format svg -o flame.svg\n"
	"  rstrace export trace.sqlite --format svg --merge -o merged.svg";

static const struct argp tree_argp = { tree_options, parse_tree, "DB", tree_doc, NULL, NULL,
				       NULL };
static const struct argp report_argp = { report_options, parse_report, "DB", report_doc, NULL,
					 NULL, NULL };
static const struct argp export_argp = { export_options, parse_export, "DB", export_doc, NULL,
					 NULL, NULL };

bool cmd_view__is_command(const char *name)
{
	return name &&
	       (!strcmp(name, "tree") || !strcmp(name, "report") || !strcmp(name, "export"));
}

static bool want_color(const char *when, FILE *out)
{
	const char *term = getenv("TERM");

	if (when && !strcmp(when, "always"))
		return true;
	if (when && !strcmp(when, "never"))
		return false;
	return isatty(fileno(out)) && !getenv("NO_COLOR") && !(term && !strcmp(term, "dumb"));
}

static int run(struct view_args *a, FILE *out)
{
	char err[1024];
	struct view *v;
	int e;

	e = view__open(a->db, &v, err, sizeof(err));
	if (e) {
		fprintf(stderr, "rstrace: %s\n", err);
		return 1;
	}
	if (a->cmd == CMD_TREE) {
		if (a->since && view__parse_time(a->since, v->origin_ns, &a->tree.since_ns)) {
			fprintf(stderr,
				"rstrace tree: --since '%s': expected e.g. 10ms, 1.5s, 200us\n",
				a->since);
			e = 2;
			goto cleanup;
		}
		if (a->until && view__parse_time(a->until, v->origin_ns, &a->tree.until_ns)) {
			fprintf(stderr,
				"rstrace tree: --until '%s': expected e.g. 10ms, 1.5s, 200us\n",
				a->until);
			e = 2;
			goto cleanup;
		}
		a->tree.color = want_color(a->color, out);
	}
	if (a->tree.tid >= 0 && !view__thread(v, a->tree.tid)) {
		size_t i;

		fprintf(stderr,
			"rstrace: thread %" PRId64 " has no frames in %s; threads with frames:",
			a->tree.tid, a->db);
		for (i = 0; i < v->nthreads; i++)
			fprintf(stderr, " %" PRId64, v->threads[i].tid);
		fprintf(stderr, "%s\n", v->nthreads ? "" : " none");
		e = 1;
		goto cleanup;
	}
	switch (a->cmd) {
	case CMD_TREE:
		e = tree__print(v, &a->tree, out);
		break;
	case CMD_REPORT:
		e = report__print(v, &a->report, out);
		break;
	case CMD_EXPORT:
		e = export__write(v, &a->export, out);
		break;
	}
	e = e ? 1 : 0;
cleanup:
	view__close(v);
	return e;
}

int cmd_view__main(int argc, char **argv)
{
	struct view_args a = { 0 };
	const struct argp *argp;
	char name[32], **av;
	FILE *out = stdout;
	int ret;

	if (argc < 1 || !cmd_view__is_command(argv[0])) {
		fprintf(stderr, "rstrace: unknown command '%s' (tree, report or export)\n",
			argc ? argv[0] : "");
		return 2;
	}
	a.cmd = !strcmp(argv[0], "tree") ? CMD_TREE : !strcmp(argv[0], "report") ? CMD_REPORT
										 : CMD_EXPORT;
	argp = a.cmd == CMD_TREE ? &tree_argp : a.cmd == CMD_REPORT ? &report_argp : &export_argp;
	a.tree.tid = a.report.tid = a.export.tid = -1;
	a.tree.max_depth = -1;
	a.tree.max_value = 60;
	/* argp names the program after argv[0] in --help and errors: "rstrace tree" */
	av = malloc((argc + 1) * sizeof(*av));
	if (!av) {
		fprintf(stderr, "rstrace: out of memory\n");
		return 1;
	}
	memcpy(av, argv, argc * sizeof(*av));
	av[argc] = NULL;
	snprintf(name, sizeof(name), "rstrace %s", argv[0]);
	av[0] = name;
	/* bad usage exits 2, as `rstrace record` returns (argp's default is 64) */
	argp_err_exit_status = 2;
	ret = argp_parse(argp, argc, av, 0, NULL, &a);
	free(av);
	if (ret)
		return 2;
	if (a.cmd == CMD_EXPORT && a.export.format == EXPORT_SVG && !a.output &&
	    isatty(STDOUT_FILENO)) {
		fprintf(stderr, "rstrace export: an SVG is not for a terminal; write it to a file: "
				"-o flame.svg\n");
		return 2;
	}
	if (a.output) {
		out = fopen(a.output, "w");
		if (!out) {
			fprintf(stderr, "rstrace: cannot write %s: %s\n", a.output,
				strerror(errno));
			return 1;
		}
	}
	ret = run(&a, out);
	if (out != stdout && fclose(out)) {
		fprintf(stderr, "rstrace: cannot write %s: %s\n", a.output, strerror(errno));
		ret = 1;
	} else if (out == stdout && fflush(stdout)) {
		fprintf(stderr, "rstrace: cannot write the output: %s\n", strerror(errno));
		ret = 1;
	}
	return ret;
}
