/* SPDX-License-Identifier: MIT */
#ifndef DEMANGLE_H
#define DEMANGLE_H
/*
 * Rust symbol (legacy `_ZN…17h<hash>E` or v0 `_R…`) to its path without the
 * hash, e.g. "demo::Point::dist2". NULL if not a Rust symbol. Caller frees.
 */
char *demangle__rust(const char *mangled);
#endif
