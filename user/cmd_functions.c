// SPDX-License-Identifier: MIT
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd_functions.h"
#include "config.h"
#include "target.h"

struct fn_opts {
	const char *binary;
	const char *config_path;
	const char *debuginfo;
	bool all;
	bool symbols_only;
};

static const struct argp_option options[] = {
	{ "config", 'c', "FILE", 0,
	  "Config file (default: ./rstrace.toml, else ./firedbg.toml, if present)", 0 },
	{ "all", 'a', NULL, 0, "List every function with code, and why it is not traced", 0 },
	{ "debuginfo", 'd', "PATH", 0, "Separate debug file, or a directory to search", 0 },
	{ "symbols-only", 's', NULL, 0, "Without DWARF: functions from ELF symbols", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct fn_opts *o = state->input;

	switch (key) {
	case 'c':
		o->config_path = arg;
		break;
	case 'a':
		o->all = true;
		break;
	case 'd':
		o->debuginfo = arg;
		break;
	case 's':
		o->symbols_only = true;
		break;
	case ARGP_KEY_ARG:
		if (o->binary)
			argp_error(state, "one binary at a time");
		o->binary = arg;
		break;
	case ARGP_KEY_END:
		if (!o->binary)
			argp_error(state, "which binary? rstrace functions BINARY");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse, "BINARY",
	"List the functions `rstrace record` would trace in BINARY (name, crate, file:line, "
	"probe address) and how many per crate, so a filter can be checked before attaching."
	"\v"
	"Examples:\n"
	"  rstrace functions ./target/release/myapp\n"
	"  rstrace functions --config rstrace.toml ./myapp\n"
	"  rstrace functions --all ./myapp | grep -v core::",
	NULL, NULL, NULL
};

struct crate_count {
	const char *crate;
	int n;
};

/* Why f is not traced, or NULL if it is. */
static const char *why_not(const struct target *t, const struct config *c, const struct rfunc *f)
{
	enum trace_mode m = f->crate ? config__crate_mode(c, f->crate) : TRACE_DEFAULT;
	int i;

	if (target__selected(t, c, f))
		return NULL;
	for (i = 0; i < c->nexclude; i++)
		if (config__glob(c->exclude[i], f->name))
			return "excluded by a glob";
	if (m == TRACE_NONE)
		return "crate set to none";
	return "crate not selected";
}

int cmd_functions__main(int argc, char **argv)
{
	struct fn_opts o = { 0 };
	struct config cfg;
	struct target t;
	struct crate_count *counts = NULL;
	char err[1024];
	int ncounts = 0, n, i, j, e, total = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	config__init_defaults(&cfg);
	e = o.config_path ? config__load(&cfg, o.config_path, err, sizeof(err))
			  : config__find_and_load(&cfg, ".", err, sizeof(err));
	if (e < 0) {
		fprintf(stderr, "rstrace: %s\n", err);
		config__free(&cfg);
		return 2;
	}
	e = target__open(&t, o.binary, "", o.binary, o.debuginfo, o.symbols_only, err, sizeof(err));
	if (e) {
		fprintf(stderr, "rstrace: %s\n", err);
		config__free(&cfg);
		return 1;
	}
	n = dwarf_index__nfuncs(t.idx);
	for (i = 0; i < n; i++) {
		const struct rfunc *f = dwarf_index__func(t.idx, i);
		const char *why = why_not(&t, &cfg, f);

		if (why && !o.all)
			continue;
		printf("%-60s %-12s %s:%d 0x%llx%s%s\n", f->name, f->crate ? f->crate : "-",
		       f->file ? f->file : "?", f->line, (unsigned long long)f->body_pc,
		       why ? "  # not traced: " : "", why ? why : "");
		if (why)
			continue;
		total++;
		for (j = 0; j < ncounts && strcmp(counts[j].crate, f->crate ? f->crate : "-"); j++)
			;
		if (j == ncounts) {
			struct crate_count *nc = realloc(counts, sizeof(*nc) * (ncounts + 1));

			if (!nc)
				break;
			counts = nc;
			counts[ncounts++] = (struct crate_count){ f->crate ? f->crate : "-", 0 };
		}
		counts[j].n++;
	}
	printf("-- %d functions traced", total);
	for (j = 0; j < ncounts; j++)
		printf("%s %s: %d", j ? "," : ";", counts[j].crate, counts[j].n);
	printf(" (crate of main: %s)\n", t.main_crate ? t.main_crate : "not found");
	free(counts);
	target__close(&t);
	config__free(&cfg);
	return 0;
}
