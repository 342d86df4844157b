/* SPDX-License-Identifier: MIT */
/*
 * What the files of the view share: view.c opens a trace and loads its small
 * tables, view_walk.c streams its frames, view_values.c reads frame.args and
 * frame.ret, view_fmt.c writes times and notes for people.
 */
#ifndef VIEW_INTERNAL_H
#define VIEW_INTERNAL_H
#include <stdint.h>
#include <sqlite3.h>

/* Column i as an integer, dflt when it is NULL. */
int64_t view_int_col(sqlite3_stmt *q, int i, int64_t dflt);
/* Traces of older rstraces lack some columns. */
int view_has_column(sqlite3 *db, const char *table, const char *col);
#endif
