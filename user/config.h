/* SPDX-License-Identifier: MIT */
/*
 * rstrace.toml / firedbg.toml: the config model built from them (the TOML
 * subset parser is toml.h). Errors are negative errno; messages go to the
 * caller's buffer as "FILE:LINE:COL: message" (1-based, COL in bytes).
 */
#ifndef RSTRACE_CONFIG_H
#define RSTRACE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum trace_mode {
	TRACE_DEFAULT = 0, /* not listed: the crate filter decides */
	TRACE_FULL,	   /* "full", and FireDBG's "call-only" */
	TRACE_NONE,
};

/* [workspace.members]: package name, normalised '-' -> '_' (a crate name), and its mode */
struct config_crate {
	char *name;
	enum trace_mode mode;
};

struct config {
	struct config_crate *crates;
	int ncrates;
	char **include; /* function-path globs traced on top of the crate filter */
	int ninclude;
	char **exclude; /* function-path globs never traced */
	int nexclude;
	char **redact; /* name globs whose values are not recorded (README.md: Redaction) */
	int nredact;
	int max_array_size;   /* elements per container, default 32 */
	int max_string_bytes; /* default 256 */
	int max_depth;	      /* pointer depth, default 4 */
	/* entries of one function per second before its probes go; 0: no limit */
	int max_calls_per_sec;
	char *path;	      /* file it came from, or NULL */
	/*
	 * Unknown keys are warnings, not errors, so FireDBG files with extra
	 * keys still load. Each arrives as one "FILE:LINE:COL: warning: ..."
	 * line without newline; NULL drops it.
	 */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

/* [trace] max_calls_per_sec when not set: ~20% of a core at ~20 us per traced call */
#define CONFIG_DEFAULT_MAX_CALLS_PER_SEC 10000

void config__init_defaults(struct config *cfg);
/*
 * Load on top of what cfg holds: scalars and lists the file sets replace the
 * old ones, members are merged. On error cfg is left unchanged.
 */
int config__load(struct config *cfg, const char *path, char *err, size_t errlen);
int config__load_text(struct config *cfg, const char *text, size_t len, const char *name, char *err,
		      size_t errlen);
/* dir/rstrace.toml, else dir/firedbg.toml (dir NULL: cwd): 0 none, 1 loaded, -errno. */
int config__find_and_load(struct config *cfg, const char *dir, char *err, size_t errlen);
enum trace_mode config__crate_mode(const struct config *cfg, const char *crate);
/* '*' any run (including "::"), '?' one UTF-8 character, anything else literal. */
bool config__glob(const char *pattern, const char *text);
/* Case-insensitive, so "*token*" also hides API_TOKEN. */
bool config__redacted(const struct config *cfg, const char *param_name);
/*
 * Same for len bytes that may hold NULs (a map key read from the program);
 * cut: they are only the start of the name, true if any name starting so
 * would be redacted.
 */
bool config__redacted_n(const struct config *cfg, const char *name, size_t len, bool cut);
void config__free(struct config *cfg);

#endif /* RSTRACE_CONFIG_H */
