// SPDX-License-Identifier: MIT
/*
 * The TOML subset: the value tree, the grammar that builds it from
 * toml_lex.c's tokens, and the read-only view config.c loads from. Debian
 * ships no C TOML library, so this parses only what config files need.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "toml_internal.h"

/* Bounds recursion (arrays, inline tables). */
#define TOML_MAX_NEST 32
/* Keeps line and column numbers within int. */
#define TOML_MAX_TEXT (256u << 20)

const char *toml_type_name(enum toml_type t)
{
	switch (t) {
	case TOML_TABLE:
		return "a table";
	case TOML_ARRAY:
		return "an array";
	case TOML_STRING:
		return "a string";
	case TOML_INT:
		return "an integer";
	case TOML_BOOL:
		return "a boolean";
	}
	return "a value";
}

void toml_render_str(char *buf, size_t sz, const char *s, size_t max)
{
	size_t o = 0, i;

	for (i = 0; s[i]; i++) {
		unsigned char c = s[i];

		if ((c & 0xc0) != 0x80 && (i >= max || o + 12 >= sz)) {
			o += snprintf(buf + o, sz - o, "...");
			break;
		}
		if (c == '"' || c == '\\')
			o += snprintf(buf + o, sz - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += snprintf(buf + o, sz - o, "\\u%04X", c);
		else
			buf[o++] = c;
	}
	buf[o] = 0;
}

void toml_render_path(char *buf, size_t sz, const char *const *parts, int n)
{
	char tmp[128];
	size_t o = 0;
	const char *q;
	int i;

	buf[0] = 0;
	for (i = 0; i < n && o < sz; i++) {
		bool bare = parts[i][0] != 0;

		for (q = parts[i]; *q; q++)
			bare = bare && lex_is_bare((unsigned char)*q);
		toml_render_str(tmp, sizeof(tmp), parts[i], 48);
		o += snprintf(buf + o, sz - o, bare ? "%s%s" : "%s'%s'", i ? "." : "", tmp);
	}
}

static void render_key(char *buf, size_t sz, const struct toml_key *k, int n)
{
	const char *parts[TOML_MAX_KEY_PARTS];
	int i;

	for (i = 0; i < n; i++)
		parts[i] = k->part[i].s;
	toml_render_path(buf, sz, parts, n);
}

/* First n parts of k, prefixed with the [header] when k is a key of that table. */
static void render_full(const struct toml_parser *p, const struct toml_val *tab, char *buf,
			size_t sz, const struct toml_key *k, int n)
{
	const char *pre = tab == p->cur ? p->cur_name : "";
	size_t o;

	o = snprintf(buf, sz, "%s%s", pre, pre[0] ? "." : "");
	if (o < sz)
		render_key(buf + o, sz - o, k, n);
}

static void val_free(struct toml_val *v)
{
	int i;

	if (!v)
		return;
	switch (v->type) {
	case TOML_STRING:
		free(v->str);
		break;
	case TOML_TABLE:
		for (i = 0; i < v->tab.n; i++) {
			free(v->tab.kv[i].key);
			val_free(v->tab.kv[i].val);
		}
		free(v->tab.kv);
		break;
	case TOML_ARRAY:
		for (i = 0; i < v->arr.n; i++)
			val_free(v->arr.v[i]);
		free(v->arr.v);
		break;
	default:
		break;
	}
	free(v);
}

static struct toml_val *val_new(enum toml_type type, int line, int col)
{
	struct toml_val *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->type = type;
	v->line = v->kline = line;
	v->col = v->kcol = col;
	return v;
}

static struct toml_val *tab_get(const struct toml_val *t, const char *key)
{
	int i;

	for (i = 0; i < t->tab.n; i++)
		if (strcmp(t->tab.kv[i].key, key) == 0)
			return t->tab.kv[i].val;
	return NULL;
}

/* Takes ownership of key and v only on success. */
static int tab_add(struct toml_val *t, char *key, struct toml_val *v)
{
	struct toml_kv *kv = grow_array(t->tab.kv, &t->tab.cap, t->tab.n + 1, sizeof(*kv));

	if (!kv)
		return -ENOMEM;
	t->tab.kv = kv;
	t->tab.kv[t->tab.n].key = key;
	t->tab.kv[t->tab.n].val = v;
	t->tab.n++;
	return 0;
}

static int arr_add(struct toml_val *a, struct toml_val *v)
{
	struct toml_val **nv = grow_array(a->arr.v, &a->arr.cap, a->arr.n + 1, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	a->arr.v = nv;
	a->arr.v[a->arr.n++] = v;
	return 0;
}

/* Create table `key` in t; on failure nothing is left behind. */
static int tab_new_child(struct toml_parser *p, struct toml_val *t, const char *key, int line,
			 int col, struct toml_val **out)
{
	struct toml_val *c = val_new(TOML_TABLE, line, col);
	char *k = strdup(key);

	if (!c || !k || tab_add(t, k, c)) {
		free(c);
		free(k);
		return lex_enomem(p);
	}
	*out = c;
	return 0;
}

/*
 * The table part i of key k names in t (created if absent), for a dotted key
 * or a [header]; an error if it is no table or an inline one (name: the key
 * so far, for the message).
 */
static int table_part(struct toml_parser *p, struct toml_val *t, const struct toml_key *k, int i,
		      const char *name, struct toml_val **out)
{
	struct toml_val *child = tab_get(t, k->part[i].s);

	if (!child)
		return tab_new_child(p, t, k->part[i].s, k->part[i].line, k->part[i].col, out);
	if (child->type != TOML_TABLE)
		return lex_err(p, k->part[i].line, k->part[i].col,
			       "key \"%s\" is already defined as %s", name,
			       toml_type_name(child->type));
	if (child->sealed)
		return lex_err(p, k->part[i].line, k->part[i].col,
			       "cannot add keys to inline table \"%s\"", name);
	*out = child;
	return 0;
}

/* An inline table is complete as written: nothing may add to it or its subtables. */
static void seal(struct toml_val *t)
{
	int i;

	t->sealed = 1;
	for (i = 0; i < t->tab.n; i++)
		if (t->tab.kv[i].val->type == TOML_TABLE)
			seal(t->tab.kv[i].val);
}

static int parse_value(struct toml_parser *p, struct toml_val **out);
static int parse_keyval(struct toml_parser *p, struct toml_val *tab);

static int unclosed_array(struct toml_parser *p, int line, int col)
{
	return lex_err_here(p, "expected ']' to close the array opened at %d:%d, found end of file",
			    line, col);
}

static int parse_array(struct toml_parser *p, struct toml_val **out)
{
	int line = p->line, col = lex_col(p), err;
	struct toml_val *a, *v;
	char fb[16];

	a = val_new(TOML_ARRAY, line, col);
	if (!a)
		return lex_enomem(p);
	p->pos++;
	for (;;) {
		err = lex_blank(p);
		if (err)
			goto cleanup;
		if (lex_peek(p, 0) == ']')
			break;
		if (lex_peek(p, 0) < 0) {
			err = unclosed_array(p, line, col);
			goto cleanup;
		}
		err = parse_value(p, &v);
		if (err)
			goto cleanup;
		if (arr_add(a, v)) {
			val_free(v);
			err = lex_enomem(p);
			goto cleanup;
		}
		err = lex_blank(p);
		if (err)
			goto cleanup;
		if (lex_peek(p, 0) == ']')
			break;
		if (lex_peek(p, 0) < 0) {
			err = unclosed_array(p, line, col);
			goto cleanup;
		}
		if (lex_peek(p, 0) != ',') {
			err =
			    lex_err_here(p, "expected ',' or ']' after an array element, found %s",
					 lex_found(p, fb, sizeof(fb)));
			goto cleanup;
		}
		p->pos++;
	}
	p->pos++;
	*out = a;
	return 0;
cleanup:
	val_free(a);
	return err;
}

/* TOML 1.0 inline tables: one line, no trailing comma. */
static int parse_inline_table(struct toml_parser *p, struct toml_val **out)
{
	struct toml_val *t;
	char fb[16];
	int err;

	t = val_new(TOML_TABLE, p->line, lex_col(p));
	if (!t)
		return lex_enomem(p);
	p->pos++;
	lex_skip_ws(p);
	if (lex_peek(p, 0) != '}') {
		for (;;) {
			err = parse_keyval(p, t);
			if (err)
				goto cleanup;
			lex_skip_ws(p);
			if (lex_peek(p, 0) == '}')
				break;
			if (lex_peek(p, 0) != ',') {
				err = lex_err_here(
				    p, "expected ',' or '}' in an inline table, found %s",
				    lex_found(p, fb, sizeof(fb)));
				goto cleanup;
			}
			p->pos++;
			lex_skip_ws(p);
			if (lex_peek(p, 0) == '}') {
				err = lex_err_here(
				    p, "trailing comma is not allowed in an inline table");
				goto cleanup;
			}
		}
	}
	p->pos++;
	seal(t);
	*out = t;
	return 0;
cleanup:
	val_free(t);
	return err;
}

static int parse_value(struct toml_parser *p, struct toml_val **out)
{
	int line = p->line, col = lex_col(p), c = lex_peek(p, 0), err;
	size_t start = p->pos;
	char fb[16];

	*out = NULL;
	if (c == '"' || c == '\'') {
		char *s;

		err = lex_string(p, &s);
		if (err)
			return err;
		*out = val_new(TOML_STRING, line, col);
		if (!*out) {
			free(s);
			return lex_enomem(p);
		}
		(*out)->str = s;
		return 0;
	}
	if ((c >= '0' && c <= '9') || c == '+' || c == '-') {
		int64_t num;

		err = lex_int(p, &num);
		if (err)
			return err;
		*out = val_new(TOML_INT, line, col);
		if (!*out)
			return lex_enomem(p);
		(*out)->num = num;
		return 0;
	}
	if (c == '[' || c == '{') {
		if (p->nest >= TOML_MAX_NEST)
			return lex_err_here(p, "arrays and inline tables nest deeper than %d",
					    TOML_MAX_NEST);
		p->nest++;
		err = c == '[' ? parse_array(p, out) : parse_inline_table(p, out);
		p->nest--;
		return err;
	}
	if (!lex_is_bare(c))
		return lex_err_here(p, "expected a value, found %s", lex_found(p, fb, sizeof(fb)));
	while (lex_is_bare(lex_peek(p, 0)))
		p->pos++;
	if (p->pos - start == 3 &&
	    (!memcmp(p->s + start, "inf", 3) || !memcmp(p->s + start, "nan", 3)))
		return lex_err(p, line, col, "floats are not supported by rstrace's TOML subset");
	if ((p->pos - start == 4 && !memcmp(p->s + start, "true", 4)) ||
	    (p->pos - start == 5 && !memcmp(p->s + start, "false", 5))) {
		*out = val_new(TOML_BOOL, line, col);
		if (!*out)
			return lex_enomem(p);
		(*out)->boolean = p->pos - start == 4;
		return 0;
	}
	return lex_err(p, line, col, "expected a value, found '%.*s' (strings need quotes)",
		       (int)(p->pos - start > 32 ? 32 : p->pos - start), p->s + start);
}

/* key = value into tab, creating the tables a dotted key walks through. */
static int parse_keyval(struct toml_parser *p, struct toml_val *tab)
{
	struct toml_val *t = tab, *child, *v = NULL;
	struct toml_key k;
	char name[256];
	int err, i, last;

	err = lex_key(p, &k);
	if (err)
		goto cleanup;
	last = k.n - 1;
	lex_skip_ws(p);
	if (lex_peek(p, 0) != '=') {
		render_key(name, sizeof(name), &k, k.n);
		err = lex_err_here(p, "expected '=' after key \"%s\"", name);
		goto cleanup;
	}
	p->pos++;
	lex_skip_ws(p);
	/* Resolve the key before the value, so conflicts point at the key. */
	for (i = 0; i < last; i++) {
		render_full(p, tab, name, sizeof(name), &k, i + 1);
		err = table_part(p, t, &k, i, name, &child);
		if (err)
			goto cleanup;
		if (child->header) {
			err = lex_err(
			    p, k.part[i].line, k.part[i].col,
			    "table \"%s\" is defined by a [header]; dotted keys cannot add to it",
			    name);
			goto cleanup;
		}
		child->dotted = 1;
		t = child;
	}
	if (tab_get(t, k.part[last].s)) {
		render_full(p, tab, name, sizeof(name), &k, k.n);
		err = lex_err(p, k.part[last].line, k.part[last].col, "duplicate key \"%s\"", name);
		goto cleanup;
	}
	err = parse_value(p, &v);
	if (err)
		goto cleanup;
	v->kline = k.part[last].line;
	v->kcol = k.part[last].col;
	if (tab_add(t, k.part[last].s, v)) {
		err = lex_enomem(p);
		goto cleanup;
	}
	k.part[last].s = NULL;
	v = NULL;
cleanup:
	val_free(v);
	lex_key_free(&k);
	return err;
}

static int parse_header(struct toml_parser *p)
{
	int line = p->line, col = lex_col(p), err, i, last;
	struct toml_val *t = p->root, *child;
	struct toml_key k = {0};
	char name[256], fb[16];

	if (lex_peek(p, 1) == '[')
		return lex_err_here(
		    p, "arrays of tables ([[...]]) are not supported by rstrace's TOML subset");
	p->pos++;
	err = lex_key(p, &k);
	if (err)
		goto cleanup;
	last = k.n - 1;
	lex_skip_ws(p);
	if (lex_peek(p, 0) != ']') {
		err = lex_err_here(p, "expected ']' to close the table header, found %s",
				   lex_found(p, fb, sizeof(fb)));
		goto cleanup;
	}
	p->pos++;
	for (i = 0; i < k.n; i++) {
		render_key(name, sizeof(name), &k, i + 1);
		err = table_part(p, t, &k, i, name, &child);
		if (err)
			goto cleanup;
		if (i == last && (child->header || child->dotted)) {
			err = lex_err(p, line, col, "table \"%s\" is already defined", name);
			goto cleanup;
		}
		t = child;
	}
	/* Tables created on the way stay implicit: a later [header] may still define them. */
	t->header = 1;
	t->line = line;
	t->col = col;
	p->cur = t;
	render_key(p->cur_name, sizeof(p->cur_name), &k, k.n);
cleanup:
	lex_key_free(&k);
	return err;
}

int toml_parse(const char *text, size_t len, const char *filename, struct toml_doc **out, char *err,
	       size_t errlen)
{
	struct toml_parser p = {
	    .s = text,
	    .len = len,
	    .line = 1,
	    .file = filename ? filename : "<toml>",
	    .err = err,
	    .errlen = errlen,
	};
	struct toml_doc *doc = NULL;
	int ret;

	if (err && errlen)
		err[0] = 0;
	if (!out || (!text && len))
		return -EINVAL;
	*out = NULL;
	if (len > TOML_MAX_TEXT) {
		lex_err(&p, 1, 1, "file too large");
		return -EFBIG;
	}
	doc = calloc(1, sizeof(*doc));
	if (doc)
		doc->root = val_new(TOML_TABLE, 1, 1);
	if (!doc || !doc->root) {
		ret = lex_enomem(&p);
		goto cleanup;
	}
	p.root = p.cur = doc->root;
	ret = lex_check_utf8(&p);
	if (ret)
		goto cleanup;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		p.pos = 3;
	for (;;) {
		lex_skip_ws(&p);
		ret = lex_comment(&p);
		if (ret)
			goto cleanup;
		if (lex_peek(&p, 0) < 0)
			break;
		if (lex_newline(&p))
			continue;
		if (lex_peek(&p, 0) == '[') {
			ret = parse_header(&p);
			if (!ret)
				ret = lex_end_of_line(&p, "a table header");
		} else {
			ret = parse_keyval(&p, p.cur);
			if (!ret)
				ret = lex_end_of_line(&p, "a value");
		}
		if (ret)
			goto cleanup;
	}
	*out = doc;
	return 0;
cleanup:
	toml_free(doc);
	return ret;
}

void toml_free(struct toml_doc *doc)
{
	if (!doc)
		return;
	val_free(doc->root);
	free(doc);
}

const struct toml_val *toml_root(const struct toml_doc *doc)
{
	return doc ? doc->root : NULL;
}

enum toml_type toml_type_of(const struct toml_val *v)
{
	return v ? v->type : 0;
}

const struct toml_val *toml_get(const struct toml_val *table, const char *key)
{
	return table && key && table->type == TOML_TABLE ? tab_get(table, key) : NULL;
}

int toml_len(const struct toml_val *v)
{
	if (!v)
		return 0;
	if (v->type == TOML_TABLE)
		return v->tab.n;
	if (v->type == TOML_ARRAY)
		return v->arr.n;
	return 0;
}

const struct toml_val *toml_at(const struct toml_val *v, int i, const char **key)
{
	if (key)
		*key = NULL;
	if (!v || i < 0 || i >= toml_len(v))
		return NULL;
	if (v->type == TOML_ARRAY)
		return v->arr.v[i];
	if (key)
		*key = v->tab.kv[i].key;
	return v->tab.kv[i].val;
}

const char *toml_str(const struct toml_val *v)
{
	return v && v->type == TOML_STRING ? v->str : NULL;
}

int64_t toml_int(const struct toml_val *v)
{
	return v && v->type == TOML_INT ? v->num : 0;
}

bool toml_bool(const struct toml_val *v)
{
	return v && v->type == TOML_BOOL ? v->boolean : false;
}

void toml_pos(const struct toml_val *v, int *line, int *col)
{
	if (line)
		*line = v ? v->line : 0;
	if (col)
		*col = v ? v->col : 0;
}

void toml_key_pos(const struct toml_val *v, int *line, int *col)
{
	if (line)
		*line = v ? v->kline : 0;
	if (col)
		*col = v ? v->kcol : 0;
}
