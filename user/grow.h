/* SPDX-License-Identifier: MIT */
#ifndef GROW_H
#define GROW_H
#include <stdlib.h>
#include <string.h>

/*
 * Room for `need` elements of `elem` bytes in p, whose capacity is *cap:
 * doubles (from 64), zero-fills the new part. NULL on failure, p intact.
 */
static inline void *grow_array(void *p, int *cap, int need, size_t elem)
{
	int ncap;
	void *np;

	if (need <= *cap)
		return p;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	np = realloc(p, (size_t)ncap * elem);
	if (!np)
		return NULL;
	memset((char *)np + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
	*cap = ncap;
	return np;
}
#endif
