// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the TOML subset parser and the config model: no input
 * may crash, leak or trip a sanitizer, and every failure must come with a
 * "NAME:LINE:COL: message" error (or "NAME: message" for out of memory).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void quiet(void *ctx, const char *msg)
{
	/* Warnings must be formatted like errors too. */
	if (strncmp(msg, "fuzz.toml:", 10) != 0 || !strstr(msg, ": warning: "))
		abort();
	(*(int *)ctx)++;
}

static void check_err(const char *err)
{
	int line = 0, col = 0, n = 0;

	if (sscanf(err, "fuzz.toml:%d:%d: %n", &line, &col, &n) == 2 && n > 0 && line >= 1 &&
	    col >= 1 && err[n])
		return;
	if (strcmp(err, "fuzz.toml: out of memory") == 0)
		return;
	fprintf(stderr, "malformed error message: \"%s\"\n", err);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], *pat, *text, *nl;
	struct config cfg;
	int i, nwarn = 0, ret;

	config__init_defaults(&cfg);
	cfg.warn = quiet;
	cfg.warn_ctx = &nwarn;
	ret = config__load_text(&cfg, (const char *)data, size, "fuzz.toml", err, sizeof(err));
	if (ret < 0) {
		check_err(err);
		if (cfg.ncrates || cfg.ninclude || cfg.nexclude || cfg.nredact || cfg.path)
			abort();
	} else {
		if (cfg.max_array_size < 1 || cfg.max_array_size > 65536 ||
		    cfg.max_string_bytes < 1 || cfg.max_string_bytes > 1 << 20 ||
		    cfg.max_depth < 0 || cfg.max_depth > 16)
			abort();
		for (i = 0; i < cfg.ncrates; i++) {
			if (strchr(cfg.crates[i].name, '-') ||
			    config__crate_mode(&cfg, cfg.crates[i].name) != cfg.crates[i].mode)
				abort();
		}
		for (i = 0; i < cfg.ninclude; i++)
			if (!config__glob(cfg.include[i], cfg.include[i]) &&
			    !strpbrk(cfg.include[i], "*?"))
				abort();
		for (i = 0; i < cfg.nredact; i++)
			config__redacted(&cfg, cfg.redact[i]);
	}
	config__free(&cfg);

	/* The same bytes as "pattern\ntext" exercise the glob matcher. */
	pat = malloc(size + 1);
	if (!pat)
		return 0;
	memcpy(pat, data, size);
	pat[size] = 0;
	nl = strchr(pat, '\n');
	if (nl) {
		*nl = 0;
		text = nl + 1;
		/* A pattern without wildcards matches exactly itself. */
		if (!strpbrk(pat, "*?") && config__glob(pat, text) != (strcmp(pat, text) == 0))
			abort();
		if (config__glob("*", text) != true)
			abort();
	}
	free(pat);
	return 0;
}
