// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "store.h"
#include "store_file.h"
#include "firedbg.h"

/* big pages and cache: ~15% more rows/s for frames' JSON text (bench/ingest.c) */
static const char connection_pragmas[] = "PRAGMA synchronous=NORMAL;"
					 "PRAGMA cache_size=-32768;";

_Static_assert(RSTRACE_APP_ID == 1381192786u, "the schema's PRAGMA application_id");
static const char schema[] =
	"PRAGMA page_size=16384;"
	"PRAGMA journal_mode=WAL;"
	"PRAGMA application_id=1381192786;"
	"CREATE TABLE session(id INTEGER PRIMARY KEY, command TEXT, binary TEXT, pid INTEGER,"
	" start_ns INTEGER, end_ns INTEGER, exit_status INTEGER, events INTEGER,"
	" events_lost INTEGER, events_truncated INTEGER, tool_version TEXT, attach_mode TEXT,"
	" kernel TEXT, kernel_features TEXT, probes INTEGER, attach_ns INTEGER, detach_ns INTEGER,"
	" max_calls_per_sec INTEGER, state TEXT);"
	"CREATE TABLE rate_limit(id INTEGER PRIMARY KEY, function_id INTEGER NOT NULL,"
	" time_ns INTEGER NOT NULL, calls INTEGER, window_ns INTEGER, max_calls_per_sec INTEGER,"
	" removed_ns INTEGER);"
	"CREATE TABLE function(id INTEGER PRIMARY KEY, name TEXT NOT NULL, crate TEXT, file TEXT,"
	" line INTEGER, linkage_name TEXT, address INTEGER, probe_address INTEGER,"
	" return_probe TEXT, return_probe_why TEXT);"
	"CREATE TABLE thread(tid INTEGER PRIMARY KEY, ns_tid INTEGER, name TEXT, first_ns INTEGER,"
	" last_ns INTEGER, events INTEGER, events_lost INTEGER);"
	"CREATE TABLE gap(id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL, after_ns INTEGER,"
	" before_ns INTEGER, events INTEGER NOT NULL);"
	"CREATE TABLE frame(id INTEGER PRIMARY KEY, parent_id INTEGER, thread_id INTEGER NOT NULL,"
	" function_id INTEGER NOT NULL, entry_ns INTEGER NOT NULL, exit_ns INTEGER,"
	" args TEXT NOT NULL, ret TEXT, status TEXT, parent_lost INTEGER, ancestor_id INTEGER);"
	"CREATE TABLE panic(id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL, frame_id INTEGER,"
	" time_ns INTEGER NOT NULL, message TEXT, location TEXT);";

struct pending {
	struct store_frame f;
	uint64_t exit_ns;
	char *args, *ret;
	enum frame_status status;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *ins_frame, *upd_frame, *upd_ret, *ins_func, *ins_thread, *ins_gap;
	bool in_txn, prepared;
	struct pending *pend;
	size_t npend, cappend;
	/*
	 * The first write error: nothing is written after it, so the file
	 * stays as the last commit left it (the transaction is rolled back).
	 */
	int failed;
	char errmsg[256];
	struct store_file *file;
};

/* Keeps SQLite's words for the caller (store__errmsg); the transaction is abandoned. */
static int sql_err(struct store *st, int rc)
{
	int e;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		e = -ENOSPC;
		break;
	case SQLITE_NOMEM:
		e = -ENOMEM;
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		e = -EACCES;
		break;
	default:
		e = -EIO;
	}
	if (!st->failed) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s", sqlite3_errmsg(st->db));
		st->failed = e;
		if (st->in_txn)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->in_txn = false;
	}
	return e;
}

static int begin(struct store *st)
{
	int rc;

	if (st->failed)
		return st->failed;
	if (st->in_txn)
		return 0;
	rc = sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sql_err(st, rc);
	st->in_txn = true;
	return 0;
}

static void finalize_all(struct store *st)
{
	sqlite3_finalize(st->ins_frame);
	sqlite3_finalize(st->upd_frame);
	sqlite3_finalize(st->upd_ret);
	sqlite3_finalize(st->ins_func);
	sqlite3_finalize(st->ins_thread);
	sqlite3_finalize(st->ins_gap);
	st->ins_frame = st->upd_frame = st->upd_ret = st->ins_func = st->ins_thread = st->ins_gap =
		NULL;
	st->prepared = false;
}

static int prepare_all(struct store *st)
{
	int rc;

	rc = sqlite3_prepare_v2(st->db, "UPDATE frame SET exit_ns=?, ret=?, status=? WHERE id=?",
				-1, &st->upd_frame, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db, "UPDATE frame SET ret=? WHERE id=?", -1,
					&st->upd_ret, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db,
					"INSERT INTO function(id,name,crate,file,line,linkage_name,"
					"address,probe_address,return_probe,return_probe_why) "
					"VALUES(?,?,?,?,?,?,?,?,?,?)",
					-1, &st->ins_func, NULL);
	return rc;
}

/* Opens name, the file st->file holds locked; fresh: makes the schema. */
static int connect_db(struct store *st, const char *name, bool fresh, char *err, size_t errlen)
{
	int rc, e = 0;

	rc = sqlite3_open_v2(name, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc == SQLITE_OK && fresh)
		rc = sqlite3_exec(st->db, schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, connection_pragmas, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = prepare_all(st);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot create database %s: %s", name,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		e = -EIO;
	} else if (!store_file__holds(st->file, name)) {
		/* SQLite opened it by name: the same file, not one swapped in meanwhile */
		snprintf(err, errlen, "%s was replaced while rstrace was opening it", name);
		e = -EAGAIN;
	}
	if (e) {
		finalize_all(st);
		sqlite3_close(st->db);
		st->db = NULL;
	}
	return e;
}

int store__open(const char *path, const struct store_opts *opts, struct store **out, char *err,
		size_t errlen)
{
	struct store *st;
	int e;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	e = store_file__open(path, opts, &st->file, err, errlen);
	if (!e)
		e = connect_db(st, store_file__name(st->file), true, err, errlen);
	if (e) {
		store__close(st);
		return e;
	}
	*out = st;
	return 0;
}

int store__publish(struct store *st, char *err, size_t errlen)
{
	int e, rc;

	if (store_file__published(st->file))
		return 0;
	e = store__flush(st);
	if (e) {
		snprintf(err, errlen, "cannot write the trace %s: %s", store_file__name(st->file),
			 store__errmsg(st) ? store__errmsg(st) : strerror(-e));
		return e;
	}
	/*
	 * Everything into the file itself, and the connection closed: SQLite
	 * names the -wal and -shm after the name it opened, so it opens the
	 * file again under its final name.
	 */
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot write the trace %s: %s", store_file__name(st->file),
			 sqlite3_errmsg(st->db));
		return -EIO;
	}
	finalize_all(st);
	if (sqlite3_close(st->db) != SQLITE_OK) {
		snprintf(err, errlen, "cannot close %s: a statement is still open",
			 store_file__name(st->file));
		return -EBUSY;
	}
	st->db = NULL;
	e = store_file__publish(st->file, err, errlen);
	if (e)
		return e;
	return connect_db(st, store_file__name(st->file), false, err, errlen);
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

/* Replaces a statement with one for SQL (the columns written as the trace goes). */
static int reprepare(struct store *st, sqlite3_stmt **q, const char *sql)
{
	sqlite3_stmt *nq;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &nq, NULL);

	if (rc != SQLITE_OK)
		return sql_err(st, rc);
	sqlite3_finalize(*q);
	*q = nq;
	return 0;
}

/*
 * Frames with parent_lost, thread rows with their event counts (upserted at
 * every commit, so a trace cut short has them), gaps.
 */
static int prepare_writes(struct store *st)
{
	int err;

	if (st->prepared)
		return 0;
	err = reprepare(st, &st->ins_frame,
			"INSERT INTO frame(id,parent_id,thread_id,function_id,entry_ns,exit_ns,args,"
			"ret,status,parent_lost,ancestor_id) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
	if (!err)
		err = reprepare(st, &st->ins_thread,
				"INSERT INTO thread(tid,ns_tid,name,first_ns,last_ns,events,"
				"events_lost) VALUES(?,?,?,?,?,?,?) ON CONFLICT(tid) DO UPDATE SET"
				" ns_tid=coalesce(excluded.ns_tid, ns_tid),"
				" name=coalesce(excluded.name, name),"
				" first_ns=coalesce(first_ns, excluded.first_ns),"
				" last_ns=coalesce(excluded.last_ns, last_ns),"
				" events=excluded.events, events_lost=excluded.events_lost");
	if (!err)
		err = reprepare(st, &st->ins_gap,
				"INSERT INTO gap(thread_id,after_ns,before_ns,events)"
				" VALUES(?,?,?,?)");
	st->prepared = !err;
	return err;
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

int store__enter(struct store *st, const struct store_frame *f, char *args)
{
	struct pending *p;

	if (st->failed) {
		free(args);
		return st->failed;
	}

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
	*p = (struct pending){ *f, 0, args, NULL, FS_OPEN };
	return 0;
}

/* The frame not yet inserted with this id, or NULL (pending frames are in id order). */
static struct pending *pending_of(struct store *st, int64_t id)
{
	size_t lo = 0, hi = st->npend;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (st->pend[mid].f.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->npend && st->pend[lo].f.id == id ? &st->pend[lo] : NULL;
}

int store__exit(struct store *st, int64_t id, uint64_t exit_ns, char *ret,
		enum frame_status status)
{
	struct pending *p = pending_of(st, id);
	int err;

	if (p) {
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
		sqlite3_bind_text(st->upd_frame, 3, frame_status__name(status), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st->upd_frame, 4, id);
		err = step_reset(st, st->upd_frame);
	}
	free(ret);
	return err;
}

int store__set_ret(struct store *st, int64_t id, char *ret)
{
	struct pending *p = pending_of(st, id);
	int err;

	if (p) {
		free(p->ret);
		p->ret = ret;
		return 0;
	}
	err = begin(st);
	if (!err) {
		bind_text_or_null(st->upd_ret, 1, ret);
		sqlite3_bind_int64(st->upd_ret, 2, id);
		err = step_reset(st, st->upd_ret);
	}
	free(ret);
	return err;
}

int store__thread(struct store *st, const struct store_thread *t)
{
	int err = prepare_writes(st);

	if (!err)
		err = begin(st);
	if (err)
		return err;
	sqlite3_bind_int64(st->ins_thread, 1, t->tid);
	if (t->ns_tid)
		sqlite3_bind_int64(st->ins_thread, 2, t->ns_tid);
	bind_text_or_null(st->ins_thread, 3, t->name);
	if (t->first_ns)
		sqlite3_bind_int64(st->ins_thread, 4, (int64_t)t->first_ns);
	if (t->last_ns)
		sqlite3_bind_int64(st->ins_thread, 5, (int64_t)t->last_ns);
	sqlite3_bind_int64(st->ins_thread, 6, (int64_t)t->events);
	sqlite3_bind_int64(st->ins_thread, 7, (int64_t)t->events_lost);
	return step_reset(st, st->ins_thread);
}

int store__gap(struct store *st, uint32_t tid, uint64_t after_ns, uint64_t before_ns,
	       uint64_t events)
{
	int err = prepare_writes(st);

	if (!err)
		err = begin(st);
	if (err)
		return err;
	sqlite3_bind_int64(st->ins_gap, 1, tid);
	if (after_ns)
		sqlite3_bind_int64(st->ins_gap, 2, (int64_t)after_ns);
	if (before_ns)
		sqlite3_bind_int64(st->ins_gap, 3, (int64_t)before_ns);
	sqlite3_bind_int64(st->ins_gap, 4, (int64_t)events);
	return step_reset(st, st->ins_gap);
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
				"max_calls_per_sec,state)"
				" VALUES(1,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
	bind_text_or_null(q, 18, s->state);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sql_err(st, rc);
}

int store__flush(struct store *st)
{
	size_t i;
	int err = 0, rc;

	if (st->npend)
		err = prepare_writes(st);
	if (st->npend && !err)
		err = begin(st);
	for (i = 0; i < st->npend; i++) {
		struct pending *p = &st->pend[i];
		sqlite3_stmt *s = st->ins_frame;

		if (!err) {
			sqlite3_bind_int64(s, 1, p->f.id);
			if (p->f.parent >= 0)
				sqlite3_bind_int64(s, 2, p->f.parent);
			sqlite3_bind_int64(s, 3, p->f.tid);
			sqlite3_bind_int(s, 4, p->f.func_id);
			sqlite3_bind_int64(s, 5, (int64_t)p->f.entry_ns);
			if (p->exit_ns)
				sqlite3_bind_int64(s, 6, (int64_t)p->exit_ns);
			sqlite3_bind_text(s, 7, p->args ? p->args : "[]", -1, SQLITE_STATIC);
			bind_text_or_null(s, 8, p->ret);
			sqlite3_bind_text(s, 9, frame_status__name(p->status), -1, SQLITE_STATIC);
			if (p->f.parent_lost)
				sqlite3_bind_int(s, 10, p->f.parent_lost);
			if (p->f.parent_lost && p->f.ancestor >= 0)
				sqlite3_bind_int64(s, 11, p->f.ancestor);
			err = step_reset(st, s);
		}
		free(p->args);
		free(p->ret);
	}
	st->npend = 0;
	if (st->in_txn && !err) {
		rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			err = sql_err(st, rc);
		st->in_txn = false;
	}
	return err;
}

const char *store__errmsg(const struct store *st)
{
	return st->failed ? st->errmsg : NULL;
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
	if (st->db && store_file__published(st->file) && !st->failed && store__flush(st) == 0)
		firedbg__create_views(st->db);
	for (size_t i = 0; i < st->npend; i++) {
		free(st->pend[i].args);
		free(st->pend[i].ret);
	}
	finalize_all(st);
	sqlite3_close(st->db);
	/* after SQLite's close: closing an fd of a file drops the process's POSIX locks on it */
	store_file__close(st->file);
	free(st->pend);
	free(st);
}
