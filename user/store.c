// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "store.h"
#include "firedbg.h"

static const char schema[] =
	/* big pages and cache: ~15% more rows/s for frames' JSON text (bench/ingest.c) */
	"PRAGMA page_size=16384;"
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"PRAGMA cache_size=-32768;"
	"CREATE TABLE session(id INTEGER PRIMARY KEY, command TEXT, binary TEXT, pid INTEGER,"
	" start_ns INTEGER, end_ns INTEGER, exit_status INTEGER, events INTEGER,"
	" events_lost INTEGER, events_truncated INTEGER, tool_version TEXT, attach_mode TEXT,"
	" kernel TEXT, kernel_features TEXT, probes INTEGER, attach_ns INTEGER, detach_ns INTEGER,"
	" max_calls_per_sec INTEGER);"
	"CREATE TABLE rate_limit(id INTEGER PRIMARY KEY, function_id INTEGER NOT NULL,"
	" time_ns INTEGER NOT NULL, calls INTEGER, window_ns INTEGER, max_calls_per_sec INTEGER,"
	" removed_ns INTEGER);"
	"CREATE TABLE function(id INTEGER PRIMARY KEY, name TEXT NOT NULL, crate TEXT, file TEXT,"
	" line INTEGER, linkage_name TEXT, address INTEGER, probe_address INTEGER,"
	" return_probe TEXT, return_probe_why TEXT);"
	"CREATE TABLE thread(tid INTEGER PRIMARY KEY, ns_tid INTEGER, name TEXT, first_ns INTEGER,"
	" last_ns INTEGER);"
	"CREATE TABLE frame(id INTEGER PRIMARY KEY, parent_id INTEGER, thread_id INTEGER NOT NULL,"
	" function_id INTEGER NOT NULL, entry_ns INTEGER NOT NULL, exit_ns INTEGER,"
	" args TEXT NOT NULL, ret TEXT, status TEXT);"
	"CREATE TABLE panic(id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL, frame_id INTEGER,"
	" time_ns INTEGER NOT NULL, message TEXT, location TEXT);";

struct pending {
	int64_t id, parent;
	uint32_t tid;
	int func_id;
	uint64_t entry_ns, exit_ns;
	char *args, *ret;
	const char *status;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *ins_frame, *upd_frame, *ins_func, *ins_thread;
	bool in_txn;
	struct pending *pend;
	size_t npend, cappend;
	int64_t session_id;
};

static int sql_err(struct store *st, int rc)
{
	fprintf(stderr, "rstrace: database error: %s\n", sqlite3_errmsg(st->db));
	return rc == SQLITE_FULL ? -ENOSPC : -EIO;
}

static int begin(struct store *st)
{
	int rc;

	if (st->in_txn)
		return 0;
	rc = sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sql_err(st, rc);
	st->in_txn = true;
	return 0;
}

int store__open(const char *path, struct store **out, char *err, size_t errlen)
{
	char side[4096];
	struct store *st;
	int rc, e = 0;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	/* A trace is a fresh database: an old file's WAL would be replayed into it. */
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	rc = sqlite3_open(path, &st->db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db,
					"INSERT INTO frame(id,parent_id,thread_id,function_id,entry_ns,"
					"exit_ns,args,ret,status) VALUES(?,?,?,?,?,?,?,?,?)",
					-1, &st->ins_frame, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db,
					"UPDATE frame SET exit_ns=?, ret=?, status=? WHERE id=?", -1,
					&st->upd_frame, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db,
					"INSERT INTO function(id,name,crate,file,line,linkage_name,"
					"address,probe_address,return_probe,return_probe_why) "
					"VALUES(?,?,?,?,?,?,?,?,?,?)",
					-1, &st->ins_func, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db,
					"INSERT INTO thread(tid,ns_tid,name,first_ns,last_ns) VALUES(?,?,?,?,?) "
					"ON CONFLICT(tid) DO UPDATE SET last_ns=excluded.last_ns,"
					" name=coalesce(excluded.name, name)",
					-1, &st->ins_thread, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot create database %s: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		e = -EIO;
		store__close(st);
		return e;
	}
	*out = st;
	return 0;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *t)
{
	if (t)
		sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static int step_reset(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : sql_err(st, rc);
}

int store__add_function(struct store *st, const struct rfunc *f, uint64_t probe_pc,
			const char *return_probe, const char *return_probe_why)
{
	int err = begin(st);

	if (err)
		return err;
	sqlite3_bind_int(st->ins_func, 1, f->id);
	sqlite3_bind_text(st->ins_func, 2, f->name, -1, SQLITE_STATIC);
	bind_text_or_null(st->ins_func, 3, f->crate);
	bind_text_or_null(st->ins_func, 4, f->file);
	sqlite3_bind_int(st->ins_func, 5, f->line);
	bind_text_or_null(st->ins_func, 6, f->linkage);
	sqlite3_bind_int64(st->ins_func, 7, (int64_t)f->low_pc);
	sqlite3_bind_int64(st->ins_func, 8, (int64_t)probe_pc);
	bind_text_or_null(st->ins_func, 9, return_probe);
	bind_text_or_null(st->ins_func, 10, return_probe_why);
	return step_reset(st, st->ins_func);
}

int store__enter(struct store *st, int64_t id, int64_t parent, uint32_t tid, int func_id,
		 uint64_t entry_ns, char *args)
{
	struct pending *p;

	if (st->npend == st->cappend) {
		size_t ncap = st->cappend ? st->cappend * 2 : 1024;
		struct pending *np = realloc(st->pend, ncap * sizeof(*np));

		if (!np) {
			free(args);
			return -ENOMEM;
		}
		st->pend = np;
		st->cappend = ncap;
	}
	p = &st->pend[st->npend++];
	*p = (struct pending){ id, parent, tid, func_id, entry_ns, 0, args, NULL, "open" };
	return 0;
}

int store__exit(struct store *st, int64_t id, uint64_t exit_ns, char *ret, const char *status)
{
	size_t lo = 0, hi = st->npend;
	int err;

	/* pending frames are in id order */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (st->pend[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < st->npend && st->pend[lo].id == id) {
		struct pending *p = &st->pend[lo];

		free(p->ret);
		p->exit_ns = exit_ns;
		p->ret = ret;
		p->status = status;
		return 0;
	}
	err = begin(st);
	if (!err) {
		if (exit_ns)
			sqlite3_bind_int64(st->upd_frame, 1, (int64_t)exit_ns);
		bind_text_or_null(st->upd_frame, 2, ret);
		sqlite3_bind_text(st->upd_frame, 3, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st->upd_frame, 4, id);
		err = step_reset(st, st->upd_frame);
	}
	free(ret);
	return err;
}

int store__thread(struct store *st, uint32_t tid, uint32_t ns_tid, const char *name,
		  uint64_t first_ns, uint64_t last_ns)
{
	int err = begin(st);

	if (err)
		return err;
	sqlite3_bind_int64(st->ins_thread, 1, tid);
	if (ns_tid)
		sqlite3_bind_int64(st->ins_thread, 2, ns_tid);
	bind_text_or_null(st->ins_thread, 3, name);
	sqlite3_bind_int64(st->ins_thread, 4, (int64_t)first_ns);
	sqlite3_bind_int64(st->ins_thread, 5, (int64_t)last_ns);
	return step_reset(st, st->ins_thread);
}

int store__panic(struct store *st, uint32_t tid, int64_t frame_id, uint64_t ns, const char *message,
		 const char *location)
{
	sqlite3_stmt *q;
	int rc, err = begin(st);

	if (err)
		return err;
	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO panic(thread_id,frame_id,time_ns,message,location)"
				" VALUES(?,?,?,?,?)",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_err(st, rc);
	sqlite3_bind_int64(q, 1, tid);
	if (frame_id > 0)
		sqlite3_bind_int64(q, 2, frame_id);
	sqlite3_bind_int64(q, 3, (int64_t)ns);
	bind_text_or_null(q, 4, message);
	bind_text_or_null(q, 5, location);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sql_err(st, rc);
}

int store__rate_limit(struct store *st, int func_id, uint64_t time_ns, uint64_t calls,
		      uint64_t window_ns, uint64_t max_calls_per_sec, uint64_t removed_ns)
{
	sqlite3_stmt *q;
	int rc, err = begin(st);

	if (err)
		return err;
	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO rate_limit(function_id,time_ns,calls,window_ns,"
				"max_calls_per_sec,removed_ns) VALUES(?,?,?,?,?,?)",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_err(st, rc);
	sqlite3_bind_int(q, 1, func_id);
	sqlite3_bind_int64(q, 2, (int64_t)time_ns);
	sqlite3_bind_int64(q, 3, (int64_t)calls);
	sqlite3_bind_int64(q, 4, (int64_t)window_ns);
	sqlite3_bind_int64(q, 5, (int64_t)max_calls_per_sec);
	if (removed_ns)
		sqlite3_bind_int64(q, 6, (int64_t)removed_ns);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sql_err(st, rc);
}

int store__session(struct store *st, const struct store_session *s)
{
	sqlite3_stmt *q;
	int rc, err = begin(st);

	if (err)
		return err;
	rc = sqlite3_prepare_v2(st->db,
				"INSERT OR REPLACE INTO session(id,command,binary,pid,start_ns,end_ns,"
				"exit_status,events,events_lost,events_truncated,tool_version,"
				"attach_mode,kernel,kernel_features,probes,attach_ns,detach_ns,"
				"max_calls_per_sec) VALUES(1,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_err(st, rc);
	bind_text_or_null(q, 1, s->command);
	bind_text_or_null(q, 2, s->binary);
	sqlite3_bind_int(q, 3, s->pid);
	sqlite3_bind_int64(q, 4, (int64_t)s->start_ns);
	if (s->end_ns)
		sqlite3_bind_int64(q, 5, (int64_t)s->end_ns);
	if (s->exit_status >= 0)
		sqlite3_bind_int(q, 6, s->exit_status);
	sqlite3_bind_int64(q, 7, (int64_t)s->events);
	sqlite3_bind_int64(q, 8, (int64_t)s->events_lost);
	sqlite3_bind_int64(q, 9, (int64_t)s->events_truncated);
	sqlite3_bind_text(q, 10, RSTRACE_VERSION, -1, SQLITE_STATIC);
	bind_text_or_null(q, 11, s->attach_mode);
	bind_text_or_null(q, 12, s->kernel);
	bind_text_or_null(q, 13, s->kernel_features);
	sqlite3_bind_int64(q, 14, s->probes);
	if (s->attach_ns)
		sqlite3_bind_int64(q, 15, (int64_t)s->attach_ns);
	if (s->detach_ns)
		sqlite3_bind_int64(q, 16, (int64_t)s->detach_ns);
	sqlite3_bind_int64(q, 17, (int64_t)s->max_calls_per_sec);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sql_err(st, rc);
}

int store__flush(struct store *st)
{
	size_t i;
	int err = 0, rc;

	if (st->npend && (err = begin(st)))
		return err;
	for (i = 0; i < st->npend; i++) {
		struct pending *p = &st->pend[i];
		sqlite3_stmt *s = st->ins_frame;

		if (!err) {
			sqlite3_bind_int64(s, 1, p->id);
			if (p->parent >= 0)
				sqlite3_bind_int64(s, 2, p->parent);
			sqlite3_bind_int64(s, 3, p->tid);
			sqlite3_bind_int(s, 4, p->func_id);
			sqlite3_bind_int64(s, 5, (int64_t)p->entry_ns);
			if (p->exit_ns)
				sqlite3_bind_int64(s, 6, (int64_t)p->exit_ns);
			sqlite3_bind_text(s, 7, p->args ? p->args : "[]", -1, SQLITE_STATIC);
			bind_text_or_null(s, 8, p->ret);
			sqlite3_bind_text(s, 9, p->status, -1, SQLITE_STATIC);
			err = step_reset(st, s);
		}
		free(p->args);
		free(p->ret);
	}
	st->npend = 0;
	if (st->in_txn) {
		rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
		st->in_txn = false;
		if (rc != SQLITE_OK && !err)
			err = sql_err(st, rc);
	}
	return err;
}

void store__close(struct store *st)
{
	if (!st)
		return;
	/*
	 * FireDBG's index tables as views over ours, so its tools read rstrace
	 * traces, and the frame indexes: made once at the end, not kept up to
	 * date per insert (ingest runs ~2x faster without them). A trace cut
	 * short gets them when rstrace first reads it (view.c).
	 */
	if (st->db && store__flush(st) == 0)
		firedbg__create_views(st->db);
	sqlite3_finalize(st->ins_frame);
	sqlite3_finalize(st->upd_frame);
	sqlite3_finalize(st->ins_func);
	sqlite3_finalize(st->ins_thread);
	sqlite3_close(st->db);
	free(st->pend);
	free(st);
}
