/* SPDX-License-Identifier: MIT */
/*
 * The trace's file on disk, for store.c (which keeps the SQLite side): made
 * beside its path, locked while this rstrace writes it, moved into place at
 * publish, and what it would replace checked first.
 */
#ifndef STORE_FILE_H
#define STORE_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include "store.h"

/*
 * PRAGMA application_id of every trace, 0x52535452 ("RSTR"): how rstrace
 * knows a file it may replace.
 */
#define RSTRACE_APP_ID 0x52535452u

struct store_file;

/*
 * path.rstrace-tmp created and locked, then path checked: the file side of
 * store__open() (what is refused and why: store.h).
 */
int store_file__open(const char *path, const struct store_opts *opts, struct store_file **out,
		     char *err, size_t errlen);
/* Where the trace is now: path.rstrace-tmp, once published path. */
const char *store_file__name(const struct store_file *f);
bool store_file__published(const struct store_file *f);
/* name is the file this rstrace holds locked, not one swapped in meanwhile. */
bool store_file__holds(const struct store_file *f, const char *name);
/*
 * With the database closed (SQLite names its -wal and -shm after the name it
 * opened): path checked again, its stale side files removed, tmp renamed to it.
 */
int store_file__publish(struct store_file *f, char *err, size_t errlen);
/* Removes a trace never published, then drops the lock: call it after SQLite's close. */
void store_file__close(struct store_file *f);
#endif
