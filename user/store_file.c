// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "store_file.h"

/* The trace is written as PATH.rstrace-tmp until store__publish() renames it. */
#define TMP_SUFFIX ".rstrace-tmp"

/* The files SQLite keeps beside a database, and replays into it when present. */
static const char *const sides[] = { "-wal", "-shm", "-journal" };
#define NSIDES (int)(sizeof(sides) / sizeof(sides[0]))

struct store_file {
	char *path; /* where the trace goes, in a directory resolved and checked once */
	char *given; /* path as the user gave it: for messages */
	char *tmp; /* where it is written until published */
	int lock_fd; /* the trace's file, flock()ed while this rstrace writes it */
	bool published; /* moved from tmp to path */
	struct stat journal; /* the empty PATH-journal made at publish (st_ino 0: none) */
	struct store_opts opts;
};

static char *with_suffix(const char *path, const char *suffix)
{
	char *s;

	return asprintf(&s, "%s%s", path, suffix) < 0 ? NULL : s;
}

/*
 * flock(op | LOCK_NB): 0, also where the file system has no flock (then two
 * rstraces are not kept apart), -EBUSY if another process holds the lock.
 */
static int try_lock(int fd, int op)
{
	if (flock(fd, op | LOCK_NB) == 0 || errno == ENOLCK || errno == EOPNOTSUPP)
		return 0;
	return errno == EWOULDBLOCK ? -EBUSY : -errno;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static const char *kind(mode_t m)
{
	return S_ISLNK(m)    ? "a symbolic link"
	       : S_ISDIR(m)  ? "a directory"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
			     : "not a regular file";
}

/* "file:" URI of path for sqlite3_open_v2(), all but [A-Za-z0-9/._~-] %-escaped. */
static char *file_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path), i, o;
	char *u = malloc(n * 3 + strlen(query) + 16);

	if (!u)
		return NULL;
	o = (size_t)sprintf(u, path[0] == '/' ? "file://" : "file:");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c && strchr("/._~-", c))) {
			u[o++] = (char)c;
		} else {
			u[o++] = '%';
			u[o++] = hex[c >> 4];
			u[o++] = hex[c & 15];
		}
	}
	sprintf(u + o, "%s", query);
	return u;
}

/*
 * Traces of rstrace 0.1 have no application_id: their tables, read with
 * immutable=1, which touches no -wal/-shm and takes no lock.
 */
static bool legacy_trace(const char *path)
{
	sqlite3_stmt *q = NULL;
	sqlite3 *db = NULL;
	char *uri = file_uri(path, "?immutable=1");
	bool yes = false;

	if (uri &&
	    sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW,
			    NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM sqlite_schema WHERE type='table' AND "
			       "(name IN ('frame','function') OR "
			       "(name='session' AND sql LIKE '%tool_version%'))",
			       -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		yes = sqlite3_column_int(q, 0) == 3;
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(uri);
	return yes;
}

/* fd (opened from path) is a SQLite database rstrace made. */
static bool is_trace(int fd, const char *path)
{
	unsigned char h[100];
	uint32_t app;

	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, "SQLite format 3", 16))
		return false;
	app = (uint32_t)h[68] << 24 | (uint32_t)h[69] << 16 | (uint32_t)h[70] << 8 | h[71];
	return app == RSTRACE_APP_ID || (app == 0 && legacy_trace(path));
}

/* An existing regular file at f->path: 0 if a new trace may replace it. */
static int check_existing(const struct store_file *f, const struct stat *ls, char *err,
			  size_t errlen)
{
	const char *path = f->path, *shown = f->given;
	struct stat fs;
	bool trace;
	int fd, e = 0;

	if (f->opts.keep_ino && ls->st_dev == f->opts.keep_dev &&
	    ls->st_ino == f->opts.keep_ino) {
		snprintf(err, errlen, "%s is the program being traced: choose another file for "
			 "the trace", shown);
		return -ETXTBSY;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || f->opts.force)
			return 0;
		e = -errno;
		snprintf(err, errlen, "cannot read %s to check that it is an rstrace trace: %s; "
			 "pass --force to replace it anyway", shown, strerror(-e));
		return e;
	}
	trace = is_trace(fd, path);
	if (fstat(fd, &fs) || !same_file(&fs, ls)) {
		snprintf(err, errlen, "%s changed while rstrace checked it: try again", shown);
		e = -EAGAIN;
	} else if ((e = try_lock(fd, LOCK_SH))) {
		if (trace)
			snprintf(err, errlen, "another rstrace is writing %s: wait for it to "
				 "finish, or choose another file", shown);
		else
			snprintf(err, errlen, "%s is locked by another process: choose another "
				 "file", shown);
	} else if (!trace && !f->opts.force) {
		snprintf(err, errlen, "%s exists and is not an rstrace trace: pass --force to "
			 "replace it, or choose another file", shown);
		e = -EEXIST;
	}
	close(fd);
	return e;
}

/*
 * 0 when f->path is absent or a regular file a new trace may replace: an
 * rstrace trace no rstrace is writing, or with --force any regular file but
 * the traced program. Its -wal, -shm and -journal, replaced with it, must be
 * regular files too. Else -errno, and why in err.
 */
static int check_target(const struct store_file *f, char *err, size_t errlen)
{
	const char *path = f->path, *shown = f->given;
	struct stat ls;
	char *side;
	size_t i;
	int e = 0;

	if (lstat(path, &ls) == 0) {
		if (S_ISLNK(ls.st_mode)) {
			snprintf(err, errlen, "%s is a symbolic link: rstrace never writes "
				 "through a link; give the file it points to, or remove the link",
				 shown);
			return -ELOOP;
		}
		if (S_ISDIR(ls.st_mode)) {
			snprintf(err, errlen, "%s is a directory: give a file name for the trace "
				 "(e.g. -o %s/trace.sqlite)", shown, shown);
			return -EISDIR;
		}
		if (!S_ISREG(ls.st_mode)) {
			snprintf(err, errlen, "%s is %s: rstrace writes the trace to a new regular "
				 "file and never replaces anything else; choose another file",
				 shown, kind(ls.st_mode));
			return -EEXIST;
		}
		e = check_existing(f, &ls, err, errlen);
	} else if (errno != ENOENT) {
		e = -errno;
		snprintf(err, errlen, "cannot write the trace to %s: %s", shown, strerror(-e));
	}
	for (i = 0; i < sizeof(sides) / sizeof(sides[0]) && !e; i++) {
		side = with_suffix(path, sides[i]);
		if (!side)
			return -ENOMEM;
		if (lstat(side, &ls) == 0 && !S_ISREG(ls.st_mode)) {
			snprintf(err, errlen, "%s is %s, where SQLite keeps a part of the "
				 "database %s: remove it, or choose another file", side,
				 kind(ls.st_mode), shown);
			e = -EEXIST;
		}
		free(side);
	}
	return e;
}

/* Removes base-wal, -shm and -journal: those of a database that is gone or replaced. */
static void remove_sides(const char *base)
{
	struct stat ls;
	char *side;
	size_t i;

	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		side = with_suffix(base, sides[i]);
		if (side && lstat(side, &ls) == 0 && (S_ISREG(ls.st_mode) || S_ISLNK(ls.st_mode)))
			unlink(side);
		free(side);
	}
}

/*
 * tmp exists. Left by an rstrace that died before it published (nobody holds
 * its lock): removed with its -wal/-shm/-journal, 0 to try again. Locked:
 * another rstrace is starting to write the same trace.
 */
static int remove_stale(const char *tmp, char *err, size_t errlen)
{
	unsigned char head[16];
	struct stat fs, ls;
	int fd, e = 0;

	fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		e = -errno;
		snprintf(err, errlen, "%s is in the way (%s): remove it", tmp,
			 e == -ELOOP ? "a symbolic link" : strerror(-e));
		return e;
	}
	if (fstat(fd, &fs) || !S_ISREG(fs.st_mode)) {
		snprintf(err, errlen, "%s is in the way (not a regular file): remove it", tmp);
		e = -EEXIST;
	} else if ((e = try_lock(fd, LOCK_EX))) {
		snprintf(err, errlen, "another rstrace is starting to write the same trace (it "
			 "holds %s): wait for it to finish, or choose another file", tmp);
	} else if (fs.st_size && (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
				  memcmp(head, "SQLite format 3", 16))) {
		snprintf(err, errlen, "%s is in the way (not a file rstrace left): remove it", tmp);
		e = -EEXIST;
	} else if (lstat(tmp, &ls) == 0 && same_file(&ls, &fs)) {
		unlink(tmp);
		remove_sides(tmp);
	}
	close(fd);
	return e;
}

/* A new file beside tmp with a random name: exclusive, not through a link, 0600, locked. */
static int create_random(const char *tmp, char *name, size_t len)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[8];
	int fd, n, tries, e;
	size_t i;

	for (tries = 0; tries < 16; tries++) {
		n = snprintf(name, len, "%s.", tmp);
		if (n < 0 || (size_t)n + sizeof(rnd) >= len)
			return -ENAMETOOLONG;
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -EIO;
		for (i = 0; i < sizeof(rnd); i++)
			name[n + i] = chars[rnd[i] % (sizeof(chars) - 1)];
		name[n + sizeof(rnd)] = 0;
		fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return -errno;
		/* exactly 0600 whatever the umask: the arguments in a trace may be secrets */
		e = fchmod(fd, 0600) ? -errno : try_lock(fd, LOCK_EX);
		if (e) {
			unlink(name);
			close(fd);
			return e;
		}
		return fd;
	}
	return -EEXIST;
}

/*
 * f->tmp, new and locked in f->lock_fd. The file gets that name with the
 * lock already held, so an unlocked f->tmp is one whose rstrace died.
 */
static int create_tmp(struct store_file *f, char *err, size_t errlen)
{
	char name[PATH_MAX];
	int fd, e, tries;

	for (tries = 0; tries < 3; tries++) {
		fd = create_random(f->tmp, name, sizeof(name));
		if (fd < 0) {
			snprintf(err, errlen, "cannot create the trace %s: %s", f->tmp,
				 strerror(-fd));
			return fd;
		}
		e = renameat2(AT_FDCWD, name, AT_FDCWD, f->tmp, RENAME_NOREPLACE) ? -errno : 0;
		if (e == -EINVAL || e == -ENOSYS) {
			/* no RENAME_NOREPLACE on this file system: link() never replaces */
			e = link(name, f->tmp) ? -errno : 0;
			unlink(name);
		} else if (e) {
			unlink(name);
		}
		if (!e) {
			f->lock_fd = fd;
			return 0;
		}
		close(fd);
		if (e != -EEXIST) {
			snprintf(err, errlen, "cannot create the trace %s: %s", f->tmp,
				 strerror(-e));
			return e;
		}
		e = remove_stale(f->tmp, err, errlen);
		if (e)
			return e;
	}
	snprintf(err, errlen, "cannot create the trace %s: something else keeps creating it",
		 f->tmp);
	return -EEXIST;
}

/*
 * Empty base-wal, -shm and -journal, 0600, so that SQLite opens these and not
 * ones planted after the old ones were removed (an empty journal is not hot:
 * nothing is replayed); made[i]: sides[i] was created.
 */
static int precreate_sides(const char *base, bool made[NSIDES], char *err, size_t errlen)
{
	char *side;
	int i, fd, e = 0;

	for (i = 0; i < NSIDES && !e; i++) {
		side = with_suffix(base, sides[i]);
		if (!side)
			return -ENOMEM;
		fd = open(side, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		made[i] = fd >= 0;
		if (fd < 0 || fchmod(fd, 0600)) {
			e = -errno;
			snprintf(err, errlen, "cannot create %s: %s%s", side, strerror(-e),
				 e == -EEXIST ? " (it appeared while rstrace was moving the trace "
						"into place: remove it)"
					      : "");
		}
		if (fd >= 0)
			close(fd);
		free(side);
	}
	return e;
}

static void unmake_sides(const char *base, const bool made[NSIDES])
{
	char *side;
	int i;

	for (i = 0; i < NSIDES; i++) {
		side = made[i] ? with_suffix(base, sides[i]) : NULL;
		if (side)
			unlink(side);
		free(side);
	}
}

/* Users that may write where the trace goes: root, the caller, the user sudo ran it for. */
static bool trusted_owner(uid_t uid)
{
	const char *sudo = getenv("SUDO_UID");

	return uid == 0 || uid == geteuid() ||
	       (geteuid() == 0 && sudo && strtoul(sudo, NULL, 10) == (unsigned long)uid);
}

/*
 * path with its directory resolved (no link left in it), after checking that
 * directory and each one above it: owned by a trusted user and writable by
 * nobody else, unless sticky. Another user who can rename entries there could
 * swap a name rstrace checked (the trace, the side files SQLite opens by
 * name, a directory on the way) for one of theirs between check and use.
 */
static char *resolve_dir(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char *dir = slash ? strndup(path, (size_t)(slash - path)) : strdup("."), *real = NULL;
	char *out = NULL, *p, c;
	struct stat st;

	if (!dir)
		return NULL;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		snprintf(err, errlen, "%s names a directory: give a file name for the trace", path);
		goto cleanup;
	}
	real = realpath(*dir ? dir : "/", NULL);
	if (!real) {
		snprintf(err, errlen, "cannot write the trace in %s: %s", *dir ? dir : "/",
			 strerror(errno));
		goto cleanup;
	}
	for (p = real;; p++) {
		if (*p && *p != '/')
			continue;
		c = *p;
		*p = 0;
		if (lstat(*real ? real : "/", &st)) {
			snprintf(err, errlen, "cannot write the trace %s: %s: %s", path,
				 *real ? real : "/", strerror(errno));
			goto cleanup;
		}
		if (!S_ISDIR(st.st_mode) || !trusted_owner(st.st_uid) ||
		    ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
			snprintf(err, errlen, "cannot write the trace %s: %s is %s (mode %04o, "
				 "owner uid %u), who could swap the files rstrace makes there; "
				 "choose a directory only you or root can write", path,
				 *real ? real : "/",
				 !trusted_owner(st.st_uid) ? "another user's directory"
							   : "writable by other users",
				 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
			goto cleanup;
		}
		*p = c;
		if (!c)
			break;
	}
	if (asprintf(&out, "%s/%s", strcmp(real, "/") ? real : "", base) < 0)
		out = NULL;
cleanup:
	free(dir);
	free(real);
	return out;
}

int store_file__open(const char *path, const struct store_opts *opts, struct store_file **out,
		     char *err, size_t errlen)
{
	struct store_file *f;
	int e;

	if (!path || !*path) {
		snprintf(err, errlen, "no file name for the trace (-o FILE)");
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->lock_fd = -1;
	if (opts)
		f->opts = *opts;
	err[0] = 0;
	f->given = strdup(path);
	f->path = resolve_dir(path, err, errlen);
	f->tmp = f->path ? with_suffix(f->path, TMP_SUFFIX) : NULL;
	if (!f->given || !f->path || !f->tmp) {
		e = err[0] ? -EACCES : -ENOMEM;
		goto cleanup;
	}
	/* tmp first: a running rstrace's lock on path is checked once ours is held */
	e = create_tmp(f, err, errlen);
	if (!e)
		e = check_target(f, err, errlen);
cleanup:
	if (e) {
		store_file__close(f);
		return e;
	}
	*out = f;
	return 0;
}

const char *store_file__name(const struct store_file *f)
{
	return f->published ? f->path : f->tmp;
}

bool store_file__published(const struct store_file *f)
{
	return f->published;
}

bool store_file__holds(const struct store_file *f, const char *name)
{
	struct stat ls, fs;

	return stat(name, &ls) == 0 && fstat(f->lock_fd, &fs) == 0 && same_file(&ls, &fs);
}

int store_file__publish(struct store_file *f, char *err, size_t errlen)
{
	bool made[NSIDES] = { false };
	char *dir, *journal;
	int e, fd;

	/* again: path may have changed since the start */
	e = check_target(f, err, errlen);
	if (e)
		return e;
	/* a stale -wal would be replayed into the new file */
	remove_sides(f->path);
	e = precreate_sides(f->path, made, err, errlen);
	if (!e && rename(f->tmp, f->path)) {
		e = -errno;
		snprintf(err, errlen, "cannot move the trace %s to %s: %s", f->tmp, f->path,
			 strerror(-e));
	}
	if (e) {
		unmake_sides(f->path, made);
		return e;
	}
	f->published = true;
	journal = with_suffix(f->path, "-journal");
	if (!journal || lstat(journal, &f->journal))
		f->journal.st_ino = 0;
	free(journal);
	/* the rename reaches the disk with the directory: after a crash, the trace is not a stale tmp */
	dir = strndup(f->path, (size_t)(strrchr(f->path, '/') - f->path));
	fd = dir ? open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
	return 0;
}

void store_file__close(struct store_file *f)
{
	struct stat ls, fs;
	char *journal;

	if (!f)
		return;
	/* tracing never started: path stays as it was, the temporary file goes */
	if (!f->published && f->lock_fd >= 0 && lstat(f->tmp, &ls) == 0 &&
	    fstat(f->lock_fd, &fs) == 0 && same_file(&ls, &fs)) {
		unlink(f->tmp);
		remove_sides(f->tmp);
	}
	/* the empty -journal made at publish, if SQLite left it as it was */
	journal = f->published && f->journal.st_ino ? with_suffix(f->path, "-journal") : NULL;
	if (journal && lstat(journal, &ls) == 0 && same_file(&ls, &f->journal) && !ls.st_size)
		unlink(journal);
	free(journal);
	if (f->lock_fd >= 0)
		close(f->lock_fd);
	free(f->path);
	free(f->given);
	free(f->tmp);
	free(f);
}
