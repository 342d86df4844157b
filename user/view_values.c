// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rustfmt.h"
#include "view.h"

/* --- a small JSON reader for frame.args / frame.ret, which rstrace itself writes --- */

struct json {
	const char *p;
};

static void ws(struct json *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct strbuf *sb, unsigned cp)
{
	if (cp < 0x80) {
		sb_putc(sb, (char)cp);
	} else if (cp < 0x800) {
		sb_putc(sb, (char)(0xc0 | cp >> 6));
		sb_putc(sb, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sb_putc(sb, (char)(0xe0 | cp >> 12));
		sb_putc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sb_putc(sb, (char)(0x80 | (cp & 0x3f)));
	} else {
		sb_putc(sb, (char)(0xf0 | cp >> 18));
		sb_putc(sb, (char)(0x80 | ((cp >> 12) & 0x3f)));
		sb_putc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sb_putc(sb, (char)(0x80 | (cp & 0x3f)));
	}
}

/* A string literal at j->p, unescaped into a new allocation. */
static int json_string(struct json *j, char **out)
{
	struct strbuf sb;
	unsigned cp, lo;

	if (*j->p != '"')
		return -EINVAL;
	j->p++;
	sb_init(&sb);
	while (*j->p && *j->p != '"') {
		if (*j->p != '\\') {
			sb_putc(&sb, *j->p++);
			continue;
		}
		j->p++;
		switch (*j->p) {
		case 'n':
			sb_putc(&sb, '\n');
			break;
		case 't':
			sb_putc(&sb, '\t');
			break;
		case 'r':
			sb_putc(&sb, '\r');
			break;
		case 'b':
			sb_putc(&sb, '\b');
			break;
		case 'f':
			sb_putc(&sb, '\f');
			break;
		case 'u':
			if (hex4(j->p + 1, &cp))
				goto bad;
			j->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && j->p[1] == '\\' && j->p[2] == 'u' &&
			    !hex4(j->p + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				j->p += 6;
			}
			put_utf8(&sb, cp);
			break;
		case '\0':
			goto bad;
		default: /* \" \\ \/ */
			sb_putc(&sb, *j->p);
		}
		j->p++;
	}
	if (*j->p != '"')
		goto bad;
	j->p++;
	*out = sb_detach(&sb);
	return *out ? 0 : -ENOMEM;
bad:
	sb_free(&sb);
	return -EINVAL;
}

/* Skips any value (nested containers included). */
static int json_skip(struct json *j)
{
	int depth = 0;
	char *s;

	do {
		ws(j);
		if (*j->p == '"') {
			if (json_string(j, &s))
				return -EINVAL;
			free(s);
		} else if (*j->p == '{' || *j->p == '[') {
			depth++;
			j->p++;
		} else if (*j->p == '}' || *j->p == ']') {
			if (!depth)
				return -EINVAL;
			depth--;
			j->p++;
		} else if (*j->p == ',' || *j->p == ':') {
			j->p++;
		} else if (*j->p) {
			while (*j->p && !strchr(",:]} \t\r\n", *j->p))
				j->p++;
		} else {
			return -EINVAL;
		}
	} while (depth);
	return 0;
}

static int json_object(struct json *j, struct view_value *v)
{
	char *key = NULL;
	int e;

	ws(j);
	if (*j->p != '{')
		return -EINVAL;
	j->p++;
	ws(j);
	if (*j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		char **slot = NULL;

		ws(j);
		e = json_string(j, &key);
		if (e)
			return e;
		ws(j);
		if (*j->p++ != ':') {
			free(key);
			return -EINVAL;
		}
		ws(j);
		if (!strcmp(key, "name"))
			slot = &v->name;
		else if (!strcmp(key, "type"))
			slot = &v->type;
		else if (!strcmp(key, "value"))
			slot = &v->value;
		else if (!strcmp(key, "error"))
			slot = &v->error;
		else if (!strcmp(key, "fields"))
			slot = &v->fields;
		if (slot && *j->p == '"') {
			free(*slot);
			e = json_string(j, slot);
		} else if (!strcmp(key, "truncated") && !strncmp(j->p, "true", 4)) {
			v->truncated = true;
			j->p += 4;
			e = 0;
		} else {
			e = json_skip(j); /* null, or a field a later rstrace adds */
		}
		free(key);
		if (e)
			return e;
		ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != '}')
			return -EINVAL;
		return 0;
	}
}

void view__values_free(struct view_values *vv)
{
	int i;

	for (i = 0; i < vv->n; i++) {
		free(vv->v[i].name);
		free(vv->v[i].type);
		free(vv->v[i].value);
		free(vv->v[i].error);
		free(vv->v[i].fields);
	}
	free(vv->v);
	vv->v = NULL;
	vv->n = 0;
}

int view__parse_values(const char *json, bool single, struct view_values *out)
{
	struct json j = { json };
	int cap = 0, e = 0;

	out->v = NULL;
	out->n = 0;
	if (!json)
		return -EINVAL;
	ws(&j);
	if (!single) {
		if (*j.p++ != '[')
			return -EINVAL;
		ws(&j);
		if (*j.p == ']')
			return 0;
	}
	for (;;) {
		if (out->n == cap) {
			int ncap = cap ? cap * 2 : 8;
			struct view_value *nv = realloc(out->v, ncap * sizeof(*nv));

			if (!nv) {
				e = -ENOMEM;
				goto cleanup;
			}
			out->v = nv;
			cap = ncap;
		}
		memset(&out->v[out->n], 0, sizeof(out->v[0]));
		out->n++;
		e = json_object(&j, &out->v[out->n - 1]);
		if (e || single)
			goto cleanup;
		ws(&j);
		if (*j.p == ',') {
			j.p++;
			continue;
		}
		if (*j.p != ']')
			e = -EINVAL;
		goto cleanup;
	}
cleanup:
	if (e)
		view__values_free(out);
	return e;
}

bool view__value_is_err(const struct view_value *v)
{
	if (!v->value || !v->type || strncmp(v->value, "Err(", 4))
		return false;
	return !strncmp(v->type, "core::result::Result<", 21) || !strncmp(v->type, "Result<", 7);
}

bool view__ret_is_err(const char *ret_json)
{
	struct view_values vv;
	bool err;

	/* cheap test first: most returns are not Err and need no parsing */
	if (!ret_json || !strstr(ret_json, "\"Err("))
		return false;
	if (view__parse_values(ret_json, true, &vv))
		return false;
	err = vv.n == 1 && view__value_is_err(&vv.v[0]);
	view__values_free(&vv);
	return err;
}
