// SPDX-License-Identifier: MIT
/*
 * rstrace.toml / firedbg.toml: what their keys mean (the TOML itself is
 * toml.c's), where they are found, and the config model built from them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "toml.h"
#include "wildcard.h"

/* A config file is a few hundred bytes; anything this large is a mistake. */
#define CONFIG_MAX_FILE (1 << 20)

enum { LIST_INCLUDE, LIST_EXCLUDE, LIST_REDACT, NLISTS };

static const char *const list_key[NLISTS] = {"include", "exclude", "redact"};

/* What the file sets; committed to the config only once all of it is valid. */
struct loader {
	struct config *cfg;
	const char *file;
	char *err;
	size_t errlen;
	struct config_crate *crates;
	int ncrates;
	char **list[NLISTS];
	int nlist[NLISTS];
	bool set[NLISTS];
	int max_array_size, max_string_bytes, max_depth, max_calls_per_sec;
};

static const char *type_name(const struct toml_val *v)
{
	return toml_type_name(toml_type_of(v));
}

static int __attribute__((format(printf, 3, 4)))
lerr(struct loader *l, const struct toml_val *at, const char *fmt, ...)
{
	int line, col;
	va_list ap;

	toml_pos(at, &line, &col);
	va_start(ap, fmt);
	toml_vmsg(l->err, l->errlen, l->file, line, col, "", fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Like lerr, at the key naming `at` rather than its value. */
static int __attribute__((format(printf, 3, 4)))
lerr_key(struct loader *l, const struct toml_val *at, const char *fmt, ...)
{
	int line, col;
	va_list ap;

	toml_key_pos(at, &line, &col);
	va_start(ap, fmt);
	toml_vmsg(l->err, l->errlen, l->file, line, col, "", fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void __attribute__((format(printf, 3, 4)))
lwarn(struct loader *l, const struct toml_val *at, const char *fmt, ...)
{
	char msg[512];
	int line, col;
	va_list ap;

	toml_key_pos(at, &line, &col);
	va_start(ap, fmt);
	toml_vmsg(msg, sizeof(msg), l->file, line, col, "warning: ", fmt, ap);
	va_end(ap);
	if (l->cfg->warn)
		l->cfg->warn(l->cfg->warn_ctx, msg);
}

/* Returns 0 so callers can treat it as the outcome of loading that key. */
static int warn_unknown(struct loader *l, const struct toml_val *at, const char *const *parts,
			int n)
{
	char name[256];

	toml_render_path(name, sizeof(name), parts, n);
	lwarn(l, at, "unknown key \"%s\" ignored", name);
	return 0;
}

static int load_int(struct loader *l, const struct toml_val *v, const char *key, int lo, int hi,
		    int *out)
{
	int64_t n = toml_int(v);

	if (toml_type_of(v) != TOML_INT)
		return lerr(l, v, "trace.%s must be an integer, found %s", key, type_name(v));
	if (n < lo || n > hi)
		return lerr(l, v, "trace.%s must be between %d and %d, found %lld", key, lo, hi,
			    (long long)n);
	*out = (int)n;
	return 0;
}

static int load_list(struct loader *l, const struct toml_val *v, int which)
{
	const struct toml_val *e;
	int i, n = toml_len(v);
	char **list;

	if (toml_type_of(v) != TOML_ARRAY)
		return lerr(l, v, "trace.%s must be an array of strings, found %s", list_key[which],
			    type_name(v));
	for (i = 0; i < n; i++) {
		e = toml_at(v, i, NULL);
		if (toml_type_of(e) != TOML_STRING)
			return lerr(l, e, "trace.%s[%d] must be a string, found %s",
				    list_key[which], i, type_name(e));
		if (!toml_str(e)[0])
			return lerr(l, e, "trace.%s[%d] must not be empty", list_key[which], i);
	}
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	l->list[which] = list;
	l->set[which] = true;
	for (i = 0; i < n; i++) {
		list[i] = strdup(toml_str(toml_at(v, i, NULL)));
		if (!list[i])
			return -ENOMEM;
		l->nlist[which]++;
	}
	return 0;
}

static int load_trace(struct loader *l, const struct toml_val *t)
{
	const char *key;
	const struct toml_val *v;
	int i, j, err;

	if (toml_type_of(t) != TOML_TABLE)
		return lerr(l, t, "trace must be a table, found %s", type_name(t));
	for (i = 0; i < toml_len(t); i++) {
		v = toml_at(t, i, &key);
		for (j = 0; j < NLISTS; j++)
			if (!strcmp(key, list_key[j]))
				break;
		if (j < NLISTS)
			err = load_list(l, v, j);
		else if (!strcmp(key, "max_array_size"))
			err = load_int(l, v, key, 1, 65536, &l->max_array_size);
		else if (!strcmp(key, "max_string_bytes"))
			err = load_int(l, v, key, 1, 1 << 20, &l->max_string_bytes);
		else if (!strcmp(key, "max_depth"))
			err = load_int(l, v, key, 0, 16, &l->max_depth);
		else if (!strcmp(key, "max_calls_per_sec"))
			err = load_int(l, v, key, 0, 1000000000, &l->max_calls_per_sec);
		else
			err = warn_unknown(l, v, (const char *const[]){"trace", key}, 2);
		if (err)
			return err;
	}
	return 0;
}

static char *crate_name(const char *pkg)
{
	char *s = strdup(pkg), *q;

	for (q = s; q && *q; q++)
		if (*q == '-')
			*q = '_';
	return s;
}

static int load_member(struct loader *l, const char *pkg, const struct toml_val *m)
{
	enum trace_mode mode = TRACE_DEFAULT;
	const char *key, *mstr;
	const struct toml_val *v;
	struct config_crate *nc;
	char path[256], sval[96];
	char *name;
	int i;

	toml_render_path(path, sizeof(path), (const char *const[]){"workspace", "members", pkg}, 3);
	if (!pkg[0])
		return lerr_key(l, m, "workspace member names must not be empty");
	if (toml_type_of(m) != TOML_TABLE)
		return lerr(l, m, "%s must be a table like { trace = \"full\" }, found %s", path,
			    type_name(m));
	for (i = 0; i < toml_len(m); i++) {
		v = toml_at(m, i, &key);
		if (strcmp(key, "trace")) {
			warn_unknown(l, v, (const char *const[]){"workspace", "members", pkg, key},
				     4);
			continue;
		}
		mstr = toml_str(v);
		if (!mstr)
			return lerr(l, v, "%s.trace must be a string, found %s", path,
				    type_name(v));
		/* rstrace always records return values, so call-only degrades to full. */
		if (!strcmp(mstr, "full") || !strcmp(mstr, "call-only")) {
			mode = TRACE_FULL;
		} else if (!strcmp(mstr, "none")) {
			mode = TRACE_NONE;
		} else {
			toml_render_str(sval, sizeof(sval), mstr, 48);
			return lerr(
			    l, v,
			    "%s.trace must be \"full\", \"none\" or \"call-only\", found \"%s\"",
			    path, sval);
		}
	}
	name = crate_name(pkg);
	if (!name)
		return -ENOMEM;
	for (i = 0; i < l->ncrates; i++) {
		if (!strcmp(l->crates[i].name, name)) {
			free(name);
			return lerr_key(l, m,
					"%s names the same crate as an earlier member ('-' and '_' "
					"are alike in crate names)",
					path);
		}
	}
	nc = realloc(l->crates, (l->ncrates + 1) * sizeof(*nc));
	if (!nc) {
		free(name);
		return -ENOMEM;
	}
	l->crates = nc;
	nc[l->ncrates].name = name;
	nc[l->ncrates].mode = mode;
	l->ncrates++;
	return 0;
}

static int load_workspace(struct loader *l, const struct toml_val *w)
{
	const struct toml_val *v, *m;
	const char *key, *pkg;
	int i, j, err;

	if (toml_type_of(w) != TOML_TABLE)
		return lerr(l, w, "workspace must be a table, found %s", type_name(w));
	for (i = 0; i < toml_len(w); i++) {
		v = toml_at(w, i, &key);
		if (strcmp(key, "members")) {
			warn_unknown(l, v, (const char *const[]){"workspace", key}, 2);
			continue;
		}
		if (toml_type_of(v) == TOML_ARRAY) {
			/* Cargo's members = ["path", ...] lists paths, not what to trace. */
			lwarn(l, v,
			      "workspace.members as an array (Cargo style) is ignored; use "
			      "[workspace.members] with name = { trace = \"full\" }");
			continue;
		}
		if (toml_type_of(v) != TOML_TABLE)
			return lerr(l, v, "workspace.members must be a table, found %s",
				    type_name(v));
		for (j = 0; j < toml_len(v); j++) {
			m = toml_at(v, j, &pkg);
			err = load_member(l, pkg, m);
			if (err)
				return err;
		}
	}
	return 0;
}

static int load_root(struct loader *l, const struct toml_val *root)
{
	const struct toml_val *v;
	const char *key;
	int i, err;

	for (i = 0; i < toml_len(root); i++) {
		v = toml_at(root, i, &key);
		if (!strcmp(key, "workspace"))
			err = load_workspace(l, v);
		else if (!strcmp(key, "trace"))
			err = load_trace(l, v);
		else
			err = warn_unknown(l, v, &key, 1);
		if (err)
			return err;
	}
	return 0;
}

static void free_list(char **list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void free_crates(struct config_crate *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

void config__init_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_array_size = 32;
	cfg->max_string_bytes = 256;
	cfg->max_depth = 4;
	cfg->max_calls_per_sec = CONFIG_DEFAULT_MAX_CALLS_PER_SEC;
}

int config__load_text(struct config *cfg, const char *text, size_t len, const char *name, char *err,
		      size_t errlen)
{
	struct loader l = {
	    .cfg = cfg,
	    .file = name ? name : "<config>",
	    .err = err,
	    .errlen = errlen,
	    .max_array_size = cfg->max_array_size,
	    .max_string_bytes = cfg->max_string_bytes,
	    .max_depth = cfg->max_depth,
	    .max_calls_per_sec = cfg->max_calls_per_sec,
	};
	struct toml_doc *doc = NULL;
	struct config_crate *crates;
	char ***lists[NLISTS] = {&cfg->include, &cfg->exclude, &cfg->redact};
	int *nlists[NLISTS] = {&cfg->ninclude, &cfg->nexclude, &cfg->nredact};
	char *path = NULL;
	int ret, i, j, n;

	ret = toml_parse(text, len, l.file, &doc, err, errlen);
	if (ret)
		return ret;
	ret = load_root(&l, toml_root(doc));
	if (ret)
		goto cleanup;
	/* Allocate everything the commit needs first, so a failure leaves cfg as it was. */
	ret = -ENOMEM;
	if (name) {
		path = strdup(name);
		if (!path)
			goto cleanup;
	}
	crates = realloc(cfg->crates, (cfg->ncrates + l.ncrates + 1) * sizeof(*crates));
	if (!crates)
		goto cleanup;
	cfg->crates = crates;
	ret = 0;

	for (i = 0; i < l.ncrates; i++) {
		n = cfg->ncrates;
		for (j = 0; j < n; j++)
			if (!strcmp(cfg->crates[j].name, l.crates[i].name))
				break;
		if (j < n) {
			cfg->crates[j].mode = l.crates[i].mode;
			free(l.crates[i].name);
		} else {
			cfg->crates[cfg->ncrates++] = l.crates[i];
		}
	}
	l.ncrates = 0;
	for (i = 0; i < NLISTS; i++) {
		if (!l.set[i])
			continue;
		free_list(*lists[i], *nlists[i]);
		*lists[i] = l.list[i];
		*nlists[i] = l.nlist[i];
		l.list[i] = NULL;
		l.nlist[i] = 0;
	}
	cfg->max_array_size = l.max_array_size;
	cfg->max_string_bytes = l.max_string_bytes;
	cfg->max_depth = l.max_depth;
	cfg->max_calls_per_sec = l.max_calls_per_sec;
	if (path) {
		free(cfg->path);
		cfg->path = path;
		path = NULL;
	}
cleanup:
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", l.file);
	free(path);
	free_crates(l.crates, l.ncrates);
	for (i = 0; i < NLISTS; i++)
		free_list(l.list[i], l.nlist[i]);
	toml_free(doc);
	return ret;
}

static int read_file(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0;
	struct stat st;
	ssize_t r;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto cleanup;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > CONFIG_MAX_FILE + 1)
				cap = CONFIG_MAX_FILE + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto cleanup;
		}
		if (r == 0)
			break;
		n += r;
		if (n > CONFIG_MAX_FILE) {
			ret = -EFBIG;
			goto cleanup;
		}
	}
	*out = buf;
	*outlen = n;
	buf = NULL;
	ret = 0;
cleanup:
	if (ret && err && errlen)
		snprintf(err, errlen, "%s: %s", path,
			 ret == -EFBIG ? "config file larger than 1 MiB" : strerror(-ret));
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

int config__load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = NULL;
	int ret;

	if (err && errlen)
		err[0] = 0;
	if (!cfg || !path)
		return -EINVAL;
	ret = read_file(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = config__load_text(cfg, text, len, path, err, errlen);
	free(text);
	return ret;
}

int config__find_and_load(struct config *cfg, const char *dir, char *err, size_t errlen)
{
	static const char *const names[] = {"rstrace.toml", "firedbg.toml"};
	char *path;
	size_t i;
	int ret;

	if (err && errlen)
		err[0] = 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		/* Plain names in the cwd keep messages short: "rstrace.toml:3:9: ...". */
		if (!dir || !dir[0] || !strcmp(dir, "."))
			path = strdup(names[i]);
		else if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
			path = NULL;
		if (!path) {
			if (err && errlen)
				snprintf(err, errlen, "%s: out of memory", names[i]);
			return -ENOMEM;
		}
		ret = config__load(cfg, path, err, errlen);
		free(path);
		if (ret == -ENOENT)
			continue;
		return ret < 0 ? ret : 1;
	}
	if (err && errlen)
		err[0] = 0;
	return 0;
}

static bool same_crate(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
			return false;
	}
	return *a == *b;
}

enum trace_mode config__crate_mode(const struct config *cfg, const char *crate)
{
	int i;

	if (!cfg || !crate)
		return TRACE_DEFAULT;
	for (i = 0; i < cfg->ncrates; i++)
		if (same_crate(cfg->crates[i].name, crate))
			return cfg->crates[i].mode;
	return TRACE_DEFAULT;
}

bool config__glob(const char *pattern, const char *text)
{
	return pattern && text && wildcard_match(pattern, text, strlen(text), 0);
}

bool config__redacted(const struct config *cfg, const char *param_name)
{
	return param_name && config__redacted_n(cfg, param_name, strlen(param_name), false);
}

bool config__redacted_n(const struct config *cfg, const char *name, size_t len, bool cut)
{
	int i;

	if (!cfg || !name)
		return false;
	for (i = 0; i < cfg->nredact; i++)
		if (wildcard_match(cfg->redact[i], name, len,
				   WILDCARD_ICASE | (cut ? WILDCARD_PREFIX : 0)))
			return true;
	return false;
}

void config__free(struct config *cfg)
{
	if (!cfg)
		return;
	free_crates(cfg->crates, cfg->ncrates);
	free_list(cfg->include, cfg->ninclude);
	free_list(cfg->exclude, cfg->nexclude);
	free_list(cfg->redact, cfg->nredact);
	free(cfg->path);
	cfg->crates = NULL;
	cfg->include = cfg->exclude = cfg->redact = NULL;
	cfg->ncrates = cfg->ninclude = cfg->nexclude = cfg->nredact = 0;
	cfg->path = NULL;
}
