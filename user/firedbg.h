/* SPDX-License-Identifier: MIT */
/*
 * FireDBG-compatible SQL views over an rstrace database, so tools written for
 * FireDBG's index (its VS Code viewer, queries people already have) can read
 * rstrace traces: `event`, `breakpoint`, `file`, `debugger_info`, `type_info`,
 * and a generated `function.function_name` column. Also creates the indexes
 * `rstrace tree/report/export` and those views rely on.
 *
 * Mapping (see firedbg.c for the SQL):
 *   event          one 'F' row per frame (id = 2*frame.id), one 'R' row per
 *                  returned frame (id = 2*frame.id+1), one 'P' row per panic:
 *                  from the panic table when there is one (id = -panic.id,
 *                  frame_id 0 when no traced frame was open), else at the
 *                  innermost frame each panic unwound (id = 2*frame.id+1).
 *                  frame_id = frame.id, parent_frame_id = frame.parent_id on
 *                  'F' rows (NULL on the others, as FireDBG does), timestamp
 *                  text in UTC with ns, timestamp_ns the raw value. Ids are
 *                  not in time order: ORDER BY timestamp_ns for that.
 *   breakpoint     one per traced function (id = function.id), hit_count = calls.
 *   file           one per source file (id = smallest function.id in it).
 *   debugger_info  the session row.
 */
#ifndef RSTRACE_FIREDBG_H
#define RSTRACE_FIREDBG_H

#include <stdbool.h>
#include <sqlite3.h>

/*
 * Creates (or brings up to date) the views, the generated column and the
 * indexes on a database holding rstrace's tables. Call it after every table
 * exists (the event view reads the panic table when there is one; a panic
 * table made later is picked up when a reader finds the views stale).
 * Idempotent; runs in a savepoint, so it can be called inside the caller's
 * transaction. Returns 0 or a negative errno after printing what failed.
 */
int firedbg__create_views(sqlite3 *db);

/* True when the database already has this version of the views. */
bool firedbg__views_current(sqlite3 *db);
#endif /* RSTRACE_FIREDBG_H */
