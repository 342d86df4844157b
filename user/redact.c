// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "redact.h"
#include "rustfmt.h"

#define REDACT_CACHE 512

/*
 * Parameter and field names are asked once per value decoded; the globs
 * are matched once per name and thread (the decoders run in parallel). A
 * name is known by its address (DWARF strings live as long as the plans); a
 * slot taken by another name is recomputed.
 */
static __thread struct {
	unsigned long id;
	const char *name;
	bool hit;
} cache[REDACT_CACHE];
static unsigned long last_id;

static bool by_name(void *ctx, const char *name)
{
	struct redactor *r = ctx;
	size_t h = (size_t)((uint64_t)(uintptr_t)name * 0x9e3779b97f4a7c15ull >> 40) % REDACT_CACHE;

	if (cache[h].name != name || cache[h].id != r->id) {
		cache[h].hit = config__redacted(r->cfg, name);
		cache[h].name = name;
		cache[h].id = r->id;
	}
	return cache[h].hit;
}

static bool by_text(void *ctx, const char *s, size_t n, bool cut)
{
	struct redactor *r = ctx;

	return config__redacted_n(r->cfg, s, n, cut);
}

const struct plan_redact *redactor__init(struct redactor *r, const struct config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->id = __atomic_add_fetch(&last_id, 1, __ATOMIC_RELAXED);
	r->pr = (struct plan_redact){.name = by_name, .text = by_text, .ctx = r};
	return cfg && cfg->nredact ? &r->pr : NULL;
}

/* A command-line key as written, or with '-' and '_' swapped (--api-token, API_TOKEN). */
static bool key_redacted(const struct config *cfg, const char *key, size_t n)
{
	char buf[256];
	size_t i;

	if (!n)
		return false;
	if (config__redacted_n(cfg, key, n, false))
		return true;
	if (n > sizeof(buf))
		return true; /* not compared both ways: hide rather than guess */
	for (i = 0; i < n; i++)
		buf[i] = key[i] == '-' ? '_' : key[i];
	if (config__redacted_n(cfg, buf, n, false))
		return true;
	for (i = 0; i < n; i++)
		buf[i] = key[i] == '_' ? '-' : key[i];
	return config__redacted_n(cfg, buf, n, false);
}

/*
 * 1: arg's value, after its '=', goes (even an empty one: it is no one's
 * business either); *keep: the bytes that stay. 2: arg is an option
 * without '=' whose value may be the next argument, which goes. 0: none.
 */
static int split(const struct config *cfg, const char *arg, size_t *keep)
{
	const char *key = arg, *eq;

	*keep = strlen(arg);
	while (*key == '-' && key - arg < 2)
		key++;
	eq = strchr(key, '=');
	if (eq && key_redacted(cfg, key, (size_t)(eq - key))) {
		*keep = (size_t)(eq - arg) + 1;
		return 1;
	}
	return !eq && key > arg && key_redacted(cfg, key, strlen(key)) ? 2 : 0;
}

/*
 * A URL's password, wherever in arg (`--db=postgres://app:pw@host/db`):
 * the bytes between the ':' of its userinfo and the '@' that ends it.
 * Returns where they start, *n their length; NULL if arg has none.
 */
static const char *url_password(const char *arg, size_t *n)
{
	const char *p = arg, *auth, *end, *at, *colon;

	while ((p = strstr(p, "://"))) {
		auth = p + 3;
		end = auth + strcspn(auth, "/?#");
		at = memrchr(auth, '@', (size_t)(end - auth));
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			*n = (size_t)(at - colon - 1);
			return colon + 1;
		}
		p = auth;
	}
	return NULL;
}

/* arg's first keep bytes, with a URL password in them replaced. */
static void put_kept(struct strbuf *sb, const char *arg, size_t keep)
{
	const char *pw;
	size_t n;

	while ((pw = url_password(arg, &n)) && (size_t)(pw - arg) + n <= keep) {
		sb_putn(sb, arg, (size_t)(pw - arg));
		sb_puts(sb, PLAN_REDACTED);
		keep -= (size_t)(pw - arg) + n;
		arg = pw + n;
	}
	sb_putn(sb, arg, keep);
}

char *redact__command(const struct config *cfg, char *const *argv, int argc)
{
	bool any = cfg && cfg->nredact;
	struct strbuf sb;
	int i, how = 0;
	size_t keep;

	sb_init(&sb);
	for (i = 0; i < argc; i++) {
		if (i)
			sb_putc(&sb, ' ');
		if (how == 2) {
			sb_puts(&sb, PLAN_REDACTED);
			how = 0;
			continue;
		}
		keep = strlen(argv[i]);
		/* the program's own path is no option */
		how = i && any ? split(cfg, argv[i], &keep) : 0;
		if (i && any)
			put_kept(&sb, argv[i], keep);
		else
			sb_putn(&sb, argv[i], keep);
		if (how == 1)
			sb_puts(&sb, PLAN_REDACTED);
	}
	return sb_detach(&sb);
}
