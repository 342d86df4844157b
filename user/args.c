// SPDX-License-Identifier: MIT
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "container.h"

const char *argp_program_version = "rstrace " RSTRACE_VERSION;
const char *argp_program_bug_address = "the rstrace issue tracker";

enum {
	OPT_EMPTY = 1000,
	OPT_MAX_ARRAY,
	OPT_MAX_STRING,
	OPT_MAX_DEPTH,
	OPT_INCLUDE,
	OPT_EXCLUDE,
	OPT_DURATION,
	OPT_DEBUGINFO,
	OPT_ALL,
	OPT_CONTAINER,
	OPT_POD,
	OPT_SYMBOLS_ONLY,
	OPT_MAX_RATE,
	OPT_REDACT,
	OPT_FORCE,
};

/* --duration's upper bound: a year, far below where seconds * 1e9 overflows 64 bits */
#define MAX_DURATION_S (365.0 * 24 * 3600)

static const struct argp_option record_options[] = {
	{ "output", 'o', "FILE", 0,
	  "Database to write (default: rstrace.sqlite); an existing rstrace trace there is "
	  "replaced once tracing has started, any other file only with --force", 0 },
	{ "force", OPT_FORCE, NULL, 0,
	  "Replace FILE even if it is not an rstrace trace (never a directory, device, link "
	  "or the traced program)", 0 },
	{ "config", 'c', "FILE", 0,
	  "Config file (default: ./rstrace.toml, else ./firedbg.toml, if present)", 0 },
	{ "pid", 'p', "PID", 0, "Attach to a running process instead of starting CMD", 0 },
	{ "container", OPT_CONTAINER, "ID", 0,
	  "Attach to the main process of this container (ID as in its cgroup path)", 0 },
	{ "pod", OPT_POD, "NAME", 0, "Attach to the main process of this pod (its hostname)", 0 },
	{ "duration", OPT_DURATION, "SECONDS", 0,
	  "With -p/--container/--pod: detach after SECONDS (up to a year; default: at "
	  "SIGINT/SIGTERM or when the process exits)", 0 },
	{ "debuginfo", OPT_DEBUGINFO, "PATH", 0,
	  "Separate debug file, or a directory to search (build-id and .gnu_debuglink)", 0 },
	{ "symbols-only", OPT_SYMBOLS_ONLY, NULL, 0,
	  "Trace by ELF symbol, ignoring any DWARF (call tree and times, no values): for "
	  "binaries built without debug info", 0 },
	{ "include", OPT_INCLUDE, "GLOB", 0, "Also trace functions whose path matches GLOB", 1 },
	{ "exclude", OPT_EXCLUDE, "GLOB", 0, "Do not trace functions whose path matches GLOB", 1 },
	{ "redact", OPT_REDACT, "GLOB", 0,
	  "Never record values named like GLOB (parameters, fields, map entries, the returns "
	  "of such functions, command-line options); adds to the config's", 1 },
	{ "max-array-size", OPT_MAX_ARRAY, "N", 0, "Elements captured per container (32)", 2 },
	{ "max-string-bytes", OPT_MAX_STRING, "N", 0, "Bytes captured per string (256)", 2 },
	{ "max-depth", OPT_MAX_DEPTH, "N", 0, "Pointers followed from an argument (4)", 2 },
	{ "max-rate", OPT_MAX_RATE, "N", 0,
	  "Stop tracing a function called more than N times in a second (10000; 0: never)", 2 },
	{ "empty-probes", OPT_EMPTY, NULL, 0,
	  "Attach no-op programs at the same sites (benchmark baseline; writes no frames)", 3 },
	{ "quiet", 'q', NULL, 0, "No notes on stderr", 3 },
	{ 0 }
};

struct cli_list {
	char **v;
	int n;
};

struct record_state {
	struct args *a;
	struct cli_list include, exclude, redact;
	long max_array, max_string, max_depth, max_rate;
};

static int push(struct cli_list *l, char *s)
{
	char **nv = realloc(l->v, sizeof(*nv) * (l->n + 1));

	if (!nv)
		return -1;
	nv[l->n++] = s;
	l->v = nv;
	return 0;
}

static long number(struct argp_state *state, const char *arg, long lo, long hi)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == 0 || *end || v < lo || v > hi)
		argp_error(state, "'%s' is not a number from %ld to %ld", arg, lo, hi);
	return v;
}

static error_t record_parse(int key, char *arg, struct argp_state *state)
{
	struct record_state *rs = state->input;
	struct record_opts *o = &rs->a->record;

	switch (key) {
	case 'o':
		if (!*arg)
			argp_error(state, "-o needs a file name (-o trace.sqlite)");
		o->output = arg;
		break;
	case OPT_FORCE:
		o->force = true;
		break;
	case 'c':
		o->config_path = arg;
		break;
	case 'q':
		o->quiet = true;
		break;
	case 'p':
		o->pid = (pid_t)number(state, arg, 1, 0x7fffffff);
		break;
	case OPT_DURATION: {
		char *end;

		o->duration = strtod(arg, &end);
		/* also false for NaN; "inf" and 1e300 are past the bound */
		if (end == arg || *end || !(o->duration > 0 && o->duration <= MAX_DURATION_S))
			argp_error(state,
				   "--duration takes a number of seconds greater than 0 and at "
				   "most %.0f (a year), not '%s'", MAX_DURATION_S, arg);
		break;
	}
	case OPT_DEBUGINFO:
		o->debuginfo = arg;
		break;
	case OPT_SYMBOLS_ONLY:
		o->symbols_only = true;
		break;
	case OPT_CONTAINER:
	case OPT_POD: {
		char err[512];
		pid_t pid;

		if (!*arg)
			argp_error(state, "%s needs a non-empty %s",
				   key == OPT_CONTAINER ? "--container" : "--pod",
				   key == OPT_CONTAINER ? "container ID" : "pod name");

		if (container__find_pid(key == OPT_CONTAINER ? arg : NULL, key == OPT_POD ? arg : NULL,
					&pid, err, sizeof(err)))
			argp_failure(state, 1, 0, "%s", err);
		o->pid = pid;
		break;
	}
	case OPT_EMPTY:
		o->empty_probes = true;
		break;
	case OPT_INCLUDE:
		if (push(&rs->include, arg))
			return ENOMEM;
		break;
	case OPT_EXCLUDE:
		if (push(&rs->exclude, arg))
			return ENOMEM;
		break;
	case OPT_REDACT:
		if (!*arg)
			argp_error(state, "--redact takes a non-empty glob");
		if (push(&rs->redact, arg))
			return ENOMEM;
		break;
	case OPT_MAX_ARRAY:
		rs->max_array = number(state, arg, 1, 65536);
		break;
	case OPT_MAX_STRING:
		rs->max_string = number(state, arg, 1, 1 << 20);
		break;
	case OPT_MAX_DEPTH:
		rs->max_depth = number(state, arg, 0, 16);
		break;
	case OPT_MAX_RATE:
		rs->max_rate = number(state, arg, 0, 1000000000);
		break;
	case ARGP_KEY_ARGS:
		if (o->pid)
			argp_error(state, "give either -p PID or a command, not both");
		o->argv = state->argv + state->next;
		break;
	case ARGP_KEY_NO_ARGS:
		if (!o->pid)
			argp_error(state, "no command to run: rstrace record -- CMD [ARGS...], "
					  "or rstrace record -p PID");
		break;
	case ARGP_KEY_END:
		/* a program rstrace starts is traced until it exits, not left running untraced */
		if (o->duration > 0 && !o->pid)
			argp_error(state,
				   "--duration applies to -p PID, --container and --pod; with -- "
				   "CMD the trace ends when CMD exits (to bound CMD, run it under "
				   "timeout(1))");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char record_doc[] =
	"Run CMD with uprobes on the functions of its own crate (or those a config file "
	"selects) and write every call, with arguments, return value and call tree per "
	"thread, to a SQLite database. Exits with CMD's exit status."
	"\v"
	"Examples:\n"
	"  rstrace record -- ./target/debug/myapp --port 8080\n"
	"  rstrace record -o trace.sqlite --include 'mylib::*' -- ./myapp\n"
	"  rstrace record -p 4242 --duration 10 -o trace.sqlite\n"
	"  rstrace record -p 4242 --debuginfo /debug   # stripped binary, debug files elsewhere\n"
	"  sqlite3 trace.sqlite 'select f.name, fr.args, fr.ret from frame fr "
	"join function f on f.id = fr.function_id limit 20'";

static const struct argp record_argp = { record_options, record_parse,
					 "[--] CMD [ARGS...]\n-p PID",
					 record_doc, NULL, NULL, NULL };

static const char main_doc[] =
	"rstrace -- an eBPF function tracer for Rust programs: arguments, return values and "
	"call trees of the crates you pick, streamed into SQLite, without stopping the program."
	"\v"
	"Commands:\n"
	"  record     run a program, or attach to one, and trace it (rstrace record --help)\n"
	"  functions  list the functions record would trace (rstrace functions --help)\n"
	"  tree       print a trace's call tree (rstrace tree --help)\n"
	"  report     per-function calls and times (rstrace report --help)\n"
	"  export     Chrome/Perfetto JSON, folded stacks or an SVG flame graph\n"
	"\n"
	"Examples:\n"
	"  rstrace record -- ./myprog arg1 arg2\n"
	"  rstrace record -o trace.sqlite -- ./myprog";

static error_t main_parse(int key, char *arg, struct argp_state *state)
{
	if (key == ARGP_KEY_ARG)
		argp_error(state, "unknown command '%s'", arg);
	if (key == ARGP_KEY_NO_ARGS)
		argp_usage(state);
	return ARGP_ERR_UNKNOWN;
}

static const struct argp main_argp = { NULL, main_parse, "COMMAND [OPTIONS...]", main_doc, NULL,
				       NULL, NULL };

/* Command-line globs go after the file's. */
static int append_all(char ***list, int *n, const struct cli_list *add)
{
	int i;

	for (i = 0; i < add->n; i++) {
		char **nv = realloc(*list, sizeof(*nv) * (*n + 1));

		if (!nv)
			return -ENOMEM;
		*list = nv;
		nv[*n] = strdup(add->v[i]);
		if (!nv[*n])
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

static void warn_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

int args__load_config(struct config *c, const char *path)
{
	char err[512];
	int e;

	config__init_defaults(c);
	c->warn = warn_stderr;
	e = path ? config__load(c, path, err, sizeof(err))
		 : config__find_and_load(c, ".", err, sizeof(err));
	if (e < 0) {
		fprintf(stderr, "rstrace: %s\n", err);
		return 2;
	}
	return 0;
}

static int apply_config(struct record_state *rs)
{
	struct record_opts *o = &rs->a->record;
	struct config *c = &o->cfg;
	int e;

	e = args__load_config(c, o->config_path);
	if (e)
		return e;
	if (append_all(&c->include, &c->ninclude, &rs->include) ||
	    append_all(&c->exclude, &c->nexclude, &rs->exclude) ||
	    append_all(&c->redact, &c->nredact, &rs->redact))
		return 2;
	if (rs->max_array)
		c->max_array_size = rs->max_array;
	if (rs->max_string)
		c->max_string_bytes = rs->max_string;
	if (rs->max_depth >= 0)
		c->max_depth = rs->max_depth;
	if (rs->max_rate >= 0)
		c->max_calls_per_sec = rs->max_rate;
	return 0;
}

int args__parse(int argc, char **argv, struct args *a)
{
	struct record_state rs = { .a = a, .max_depth = -1, .max_rate = -1 };
	int ret;

	memset(a, 0, sizeof(*a));
	if (argc < 2 || strcmp(argv[1], "record") != 0) {
		argp_parse(&main_argp, argc, argv, 0, NULL, NULL);
		return 2;
	}
	a->cmd = CMD_RECORD;
	a->record.output = "rstrace.sqlite";
	argv[1] = "rstrace record";
	if (argp_parse(&record_argp, argc - 1, argv + 1, ARGP_IN_ORDER, NULL, &rs))
		return 2;
	ret = apply_config(&rs);
	free(rs.include.v);
	free(rs.exclude.v);
	free(rs.redact.v);
	return ret;
}
