/* SPDX-License-Identifier: MIT */
/*
 * A frame's `status` column (README.md: Database): the one list of its
 * values, for the code that writes frames and the code that reads them.
 */
#ifndef FRAME_STATUS_H
#define FRAME_STATUS_H
#include <stdbool.h>

enum frame_status {
	FS_RETURNED,  /* returned through a traced ret */
	FS_TAIL_CALL, /* left by a tail call (jmp): returned, value often unknown */
	FS_UNWOUND,   /* left by a panic unwinding through it */
	FS_NO_EXIT,   /* the stack moved past it without a probed exit */
	FS_LOST,      /* ended among lost events: its exit may be one of them */
	FS_OPEN,      /* running when the process ended, or while recording */
	FS_DETACHED,  /* running when record -p detached */
};

const char *frame_status__name(enum frame_status s);
/* A column's value; NULL or unknown (an older trace): by whether the frame has an exit time. */
enum frame_status frame_status__parse(const char *name, bool has_exit);
/* It left through an exit the probes saw: its exit time is real. */
bool frame_status__returned(enum frame_status s);
#endif
