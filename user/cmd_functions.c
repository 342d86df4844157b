// SPDX-License-Identifier: MIT
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "cmd_functions.h"
#include "config.h"
#include "fcode.h"
#include "plan.h"
#include "target.h"

struct fn_opts {
	const char *binary;
	const char *config_path;
	const char *debuginfo;
	bool all;
	bool symbols_only;
	bool sites;
};

static const struct argp_option options[] = {
	{ "config", 'c', "FILE", 0,
	  "Config file (default: ./rstrace.toml, else ./firedbg.toml, if present)", 0 },
	{ "all", 'a', NULL, 0, "List every function with code, and why it is not traced", 0 },
	{ "debuginfo", 'd', "PATH", 0, "Separate debug file, or a directory to search", 0 },
	{ "symbols-only", 's', NULL, 0, "Without DWARF: functions from ELF symbols", 0 },
	{ "sites", 'v', NULL, 0,
	  "Also list each function's probe sites and, per parameter, how it is captured or why not",
	  0 },
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
	case 'v':
		o->sites = true;
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
	"  rstrace functions --all ./myapp | grep -v core::\n"
	"  rstrace functions --sites ./myapp | less",
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
		if (target__glob(c->exclude[i], f->name))
			return "excluded by a glob";
	if (m == TRACE_NONE)
		return "crate set to none";
	return "crate not selected";
}

static const char *site_kind(const struct plan_site *s)
{
	switch (s->bpf.site) {
	case RST_SITE_ENTRY:
		return s->exit_kind == FEXIT_RET	? "entry+ret"
		       : s->exit_kind == FEXIT_TAIL ? "entry+tail"
						    : "entry";
	case RST_SITE_RET:
		return "ret";
	case RST_SITE_TAIL:
		return s->bpf.cond == RST_COND_NONE ? "tail" : "tail-if";
	}
	return "?";
}

static void print_value(const struct plan_value *v)
{
	printf("      %s: %s%s%s\n", v->name, v->redacted ? "redacted" : v->error ? "unknown: " : "",
	       v->error && !v->redacted ? v->error : "",
	       !v->error && !v->redacted ? (v->root >= 0 ? "captured" : "zero-sized") : "");
}

/* Each site (where it fires, what it copies) for users checking why a value is unknown. */
static void print_sites(const struct plan_func *pf)
{
	int i, j;

	for (i = 0; i < pf->nsites; i++) {
		const struct plan_site *s = &pf->sites[i];

		printf("    %-10s 0x%llx  %d steps\n", site_kind(s), (unsigned long long)s->pc,
		       s->bpf.nsteps);
		if (s->bpf.site == RST_SITE_ENTRY)
			for (j = 0; j < s->nvalues; j++)
				print_value(&s->values[j]);
		if (s->ret)
			print_value(s->ret);
	}
}

int cmd_functions__main(int argc, char **argv)
{
	struct fn_opts o = { 0 };
	struct config cfg;
	struct target t;
	struct crate_count *counts = NULL;
	struct plan_limits lim;
	struct plan_ctx pc;
	char err[1024];
	int ncounts = 0, n, i, j, e, total = 0;

	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	if (args__load_config(&cfg, o.config_path)) {
		config__free(&cfg);
		return 2;
	}
	lim = (struct plan_limits){ cfg.max_array_size, cfg.max_string_bytes, cfg.max_depth };
	e = target__open(&t, o.binary, "", o.binary, o.debuginfo, o.symbols_only, err, sizeof(err));
	if (e) {
		fprintf(stderr, "rstrace: %s\n", err);
		config__free(&cfg);
		return 1;
	}
	pc = (struct plan_ctx){ .idx = t.idx, .img = t.img, .cg = t.cg, .lim = &lim,
				.panic_abort = t.panic_abort };
	n = dwarf_index__nfuncs(t.idx);
	for (i = 0; i < n; i++) {
		struct rfunc *f = dwarf_index__func(t.idx, i);
		const char *why = why_not(&t, &cfg, f);
		struct plan_func pf = { 0 };
		char pwhy[512] = "";

		if (why && !o.all)
			continue;
		/* the probe address is the one record uses: from the same plan */
		if (!why && plan__build(&pc, f, &pf, pwhy, sizeof(pwhy)))
			why = pwhy;
		printf("%-60s %-12s %s:%d ", f->name, f->crate ? f->crate : "-",
		       f->file ? f->file : "?", f->line);
		if (pf.nsites)
			printf("0x%llx", (unsigned long long)pf.sites[0].pc);
		else
			printf("-");
		printf("%s%s\n", why ? "  # not traced: " : "", why ? why : "");
		if (o.sites && pf.nsites) {
			printf("    returns: %s%s\n", pf.uretprobe ? "uretprobe" : "ret probes",
			       pf.ret_why ? "" : "");
			if (pf.ret_why)
				printf("      (%s)\n", pf.ret_why);
			print_sites(&pf);
		}
		plan__free(&pf);
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
