// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>
#include "firedbg.h"

/*
 * Bumped whenever a view's SQL changes: view__open() recreates views whose
 * stored SQL lacks the current marker, so old traces pick up fixes.
 */
#define FIREDBG_MARK "/* rstrace firedbg views v2 */"
/* Which 'P' rows the event view has: from issue C's panic table, or inferred. */
#define PANIC_FROM_TABLE "/* panics: table */"
#define PANIC_INFERRED "/* panics: unwound frames */"

/* FireDBG stores timestamps as text (sqlx, time::OffsetDateTime); keep every ns. */
#define TS(col)                                                                    \
	"strftime('%Y-%m-%d %H:%M:%S', " col " / 1000000000, 'unixepoch')"       \
	" || printf('.%09d+00:00', " col " % 1000000000)"

/* A value as FireDBG's pretty text shows it: the {:?} text, '?' when unknown. */
#define PRETTY(obj)                                                                \
	"coalesce(json_extract(" obj ", '$.value') || "                           \
	"CASE WHEN json_extract(" obj ", '$.truncated') THEN '…' ELSE '' END, '?')"

/* Same rule as view__value_is_err(): a known Err of core::result::Result. */
#define IS_ERR(obj)                                                                \
	"(json_extract(" obj ", '$.value') LIKE 'Err(%' AND "                      \
	"(json_extract(" obj ", '$.type') LIKE 'core::result::Result<%' OR "      \
	"json_extract(" obj ", '$.type') LIKE 'Result<%'))"

static const char indexes[] =
	/* view__walk: one thread in entry order, no sort (store.c makes it too) */
	"CREATE INDEX IF NOT EXISTS frame_thread ON frame(thread_id, entry_ns);"
	/* event.parent_frame_id lookups, children of a frame */
	"CREATE INDEX IF NOT EXISTS frame_parent ON frame(parent_id);"
	/* breakpoint.hit_count, event rows of one function */
	"CREATE INDEX IF NOT EXISTS frame_function ON frame(function_id);"
	/* event/function lookups by name (FireDBG's key for functions) */
	"CREATE INDEX IF NOT EXISTS function_by_name ON function(name);"
	/* file view and breakpoint.file_id */
	"CREATE INDEX IF NOT EXISTS function_by_file ON function(file);"
	/*
	 * 'P' events: unwound frames without an unwound child. Partial, so it
	 * costs nothing while recording programs that do not panic.
	 */
	"CREATE INDEX IF NOT EXISTS frame_unwound ON frame(parent_id) WHERE status = 'unwound';";

struct view_def {
	const char *name, *sql;
};

static const struct view_def views[] = {
	{ "event", NULL }, /* built by event_sql(): the 'P' rows depend on the panic table */
	{ "file", "CREATE VIEW file(id, path, crate_name, modified) AS " FIREDBG_MARK
		  " SELECT min(id), file, coalesce(min(crate), ''), '' FROM function"
		  " WHERE file IS NOT NULL GROUP BY file" },
	{ "breakpoint",
	  "CREATE VIEW breakpoint(id, file_id, loc_line, loc_column, breakpoint_type, capture,"
	  " hit_count) AS " FIREDBG_MARK
	  " SELECT f.id, coalesce((SELECT min(g.id) FROM function g WHERE g.file = f.file), 0),"
	  " coalesce(f.line, 0), NULL, json_object('FunctionCall', json_object('fn_name', f.name)),"
	  " '\"Arguments\"', (SELECT count(*) FROM frame fr WHERE fr.function_id = f.id)"
	  " FROM function f" },
	{ "debugger_info",
	  "CREATE VIEW debugger_info(id, debugger, version, workspace_root, package_name, target,"
	  " arguments, exit_code) AS " FIREDBG_MARK
	  " SELECT s.id, 'rstrace', coalesce(s.tool_version, ''), '',"
	  " coalesce((SELECT crate FROM function WHERE name = crate || '::main' LIMIT 1), ''),"
	  " coalesce(s.binary, ''),"
	  /*
	   * session.command is argv joined by spaces: split it back (an argument
	   * that contained a space comes back as two; the text is all we have).
	   */
	  " (WITH RECURSIVE w(rest, word, i) AS ("
	  "   SELECT s.command || ' ', NULL, 0"
	  "   UNION ALL SELECT substr(rest, instr(rest, ' ') + 1),"
	  "     substr(rest, 1, instr(rest, ' ') - 1), i + 1 FROM w WHERE rest <> '')"
	  "  SELECT json_group_array(word) FROM w WHERE i > 1),"
	  " s.exit_status FROM session s" },
	{ "type_info", "CREATE VIEW type_info(type_name, attributes) AS " FIREDBG_MARK
		       " SELECT t, NULL FROM (SELECT json_extract(a.value, '$.type') AS t"
		       " FROM frame fr, json_each(fr.args) a"
		       " UNION SELECT json_extract(ret, '$.type') FROM frame WHERE ret IS NOT NULL)"
		       " WHERE t IS NOT NULL" },
};

static const char event_head[] =
	"CREATE VIEW event(id, breakpoint_id, thread_id, frame_id, parent_frame_id,"
	" stack_pointer, function_name, event_type, timestamp, data, pretty, is_error,"
	" timestamp_ns) AS " FIREDBG_MARK
	" SELECT fr.id * 2, fr.function_id, fr.thread_id, fr.id, fr.parent_id, NULL, fn.name,"
	" 'F', " TS("fr.entry_ns") ", fr.args,"
	" '(' || coalesce((SELECT char(10) || group_concat("
	"coalesce(json_extract(a.value, '$.name'), '_') || ': ' || " PRETTY("a.value")
	" || ',', char(10)) || char(10) FROM json_each(fr.args) a), '') || ')',"
	" EXISTS (SELECT 1 FROM json_each(fr.args) a WHERE " IS_ERR("a.value") "),"
	" fr.entry_ns"
	" FROM frame fr JOIN function fn ON fn.id = fr.function_id"
	" UNION ALL"
	" SELECT fr.id * 2 + 1, fr.function_id, fr.thread_id, fr.id, NULL, NULL, fn.name,"
	" 'R', " TS("fr.exit_ns") ", coalesce(fr.ret, 'null'),"
	" CASE WHEN fr.ret IS NULL THEN '?' ELSE " PRETTY("fr.ret") " END,"
	" coalesce(" IS_ERR("fr.ret") ", 0), fr.exit_ns"
	" FROM frame fr JOIN function fn ON fn.id = fr.function_id"
	" WHERE fr.exit_ns IS NOT NULL AND fr.status IN ('returned', 'tail_call')"
	" UNION ALL";

/*
 * One 'P' row per panic table row (issue C), at the frame it happened in
 * (frame_id 0: outside traced frames). Its id is -panic.id: a frame that
 * catches panics of untraced callees returns too, so 2*id+1 is taken.
 */
static const char event_panics_table[] =
	" " PANIC_FROM_TABLE
	" SELECT -p.id, coalesce(fr.function_id, 0), p.thread_id, coalesce(p.frame_id, 0), NULL,"
	" NULL, fn.name, 'P', " TS("p.time_ns") ","
	" json_object('message', p.message, 'location', p.location),"
	" coalesce(p.message, 'panicked') || coalesce(' at ' || p.location, ''), 1, p.time_ns"
	" FROM panic p LEFT JOIN frame fr ON fr.id = p.frame_id"
	" LEFT JOIN function fn ON fn.id = fr.function_id";

/*
 * Without a panic table: a panic is reported once, at the innermost traced
 * frame it unwound, at the last time seen inside that frame. An unwound
 * frame has no 'R' row, so 2*id+1 is free.
 */
#define LAST_SEEN_IN(f)                                                                    \
	"coalesce((SELECT max(coalesce(c.exit_ns, c.entry_ns)) FROM frame c"               \
	" WHERE c.parent_id = " f ".id), " f ".entry_ns)"
static const char event_panics_inferred[] =
	" " PANIC_INFERRED
	" SELECT fr.id * 2 + 1, fr.function_id, fr.thread_id, fr.id, NULL, NULL, fn.name,"
	" 'P', " TS(LAST_SEEN_IN("fr")) ", json_object('status', fr.status),"
	" 'panicked (frame unwound)', 1, " LAST_SEEN_IN("fr")
	" FROM frame fr JOIN function fn ON fn.id = fr.function_id"
	" WHERE fr.status = 'unwound' AND NOT EXISTS (SELECT 1 FROM frame u"
	" WHERE u.parent_id = fr.id AND u.status = 'unwound')";

/* 1: yes, 0: no, <0: error. */
static int query_exists(sqlite3 *db, const char *sql, const char *arg1, const char *arg2)
{
	sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(q, 1, arg1, -1, SQLITE_STATIC);
	if (arg2)
		sqlite3_bind_text(q, 2, arg2, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int object_type_is(sqlite3 *db, const char *name, const char *type)
{
	return query_exists(db, "SELECT 1 FROM sqlite_master WHERE name = ?1 AND type = ?2", name,
			    type);
}

static bool panic_table_usable(sqlite3 *db)
{
	static const char *const cols[] = { "id", "thread_id", "frame_id", "time_ns", "message",
					    "location" };
	size_t i;

	if (object_type_is(db, "panic", "table") != 1)
		return false;
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if (query_exists(db, "SELECT 1 FROM pragma_table_info('panic') WHERE name = ?1",
				 cols[i], NULL) != 1)
			return false;
	return true;
}

/* The CREATE VIEW for event (sqlite3_free() it), NULL when out of memory. */
static char *event_sql(sqlite3 *db)
{
	return sqlite3_mprintf("%s%s", event_head,
			       panic_table_usable(db) ? event_panics_table : event_panics_inferred);
}

bool firedbg__views_current(sqlite3 *db)
{
	size_t i;

	if (query_exists(
		db, "SELECT 1 FROM pragma_table_xinfo('function') WHERE name = 'function_name'", "",
		NULL) != 1)
		return false;
	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		if (object_type_is(db, views[i].name, "table") == 1)
			continue;
		if (query_exists(db,
				 "SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = ?1"
				 " AND instr(sql, ?2) > 0",
				 views[i].name, FIREDBG_MARK) != 1)
			return false;
	}
	/* a panic table that appeared after the views were made */
	if (object_type_is(db, "event", "view") == 1 &&
	    query_exists(db,
			 "SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = 'event'"
			 " AND instr(sql, ?1) > 0",
			 panic_table_usable(db) ? PANIC_FROM_TABLE : PANIC_INFERRED, NULL) != 1)
		return false;
	return query_exists(db, "SELECT 1 FROM sqlite_master WHERE name = 'frame_unwound'", "",
			    NULL) == 1;
}

static int exec(sqlite3 *db, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	fprintf(stderr, "rstrace: cannot create %s in the trace database: %s\n", what,
		msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc == SQLITE_READONLY ? -EROFS : rc == SQLITE_BUSY ? -EBUSY : -EIO;
}

int firedbg__create_views(sqlite3 *db)
{
	char drop[128];
	size_t i;
	int err, rc;

	err = exec(db, "SAVEPOINT firedbg_views", "a savepoint");
	if (err)
		return err;
	err = exec(db, indexes, "the indexes");
	if (err)
		goto cleanup;
	rc = query_exists(
	    db, "SELECT 1 FROM pragma_table_xinfo('function') WHERE name = 'function_name'", "",
	    NULL);
	/*
	 * FireDBG's function table is keyed by function_name. A generated
	 * column gives rstrace's table that name without touching issue A's
	 * columns or what store.c inserts.
	 */
	if (rc == 0)
		err = exec(db,
			   "ALTER TABLE function ADD COLUMN function_name TEXT"
			   " GENERATED ALWAYS AS (name) VIRTUAL",
			   "the column function.function_name");
	else if (rc < 0)
		err = exec(db, "SELECT * FROM pragma_table_xinfo('function')",
			   "the column function.function_name");
	if (err)
		goto cleanup;
	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		/* a later rstrace table of that name wins over the compatibility view */
		if (object_type_is(db, views[i].name, "table") == 1)
			continue;
		snprintf(drop, sizeof(drop), "DROP VIEW IF EXISTS \"%s\"", views[i].name);
		err = exec(db, drop, "the FireDBG views");
		if (!err && views[i].sql) {
			err = exec(db, views[i].sql, "the FireDBG views");
		} else if (!err) {
			char *sql = event_sql(db);

			err = sql ? exec(db, sql, "the FireDBG views") : -ENOMEM;
			if (!sql)
				fprintf(stderr,
					"rstrace: out of memory creating the FireDBG views\n");
			sqlite3_free(sql);
		}
		if (err)
			goto cleanup;
	}
	return exec(db, "RELEASE firedbg_views", "the FireDBG views");
cleanup:
	sqlite3_exec(db, "ROLLBACK TO firedbg_views; RELEASE firedbg_views", NULL, NULL, NULL);
	return err;
}
