#!/usr/bin/env bash
# Regenerates user/unicode_tables.h by asking rustc's own {:?} about every code
# point (see gen_unicode_tables.rs). Rerun after a rustc upgrade; the header
# records the rustc and Unicode versions it came from.
#
# OLD_RUSTC (default /usr/bin/rustc, Debian 12's 1.63, when it exists) makes
# user/unicode_tables_u14.h, the tables of the rustc releases on Unicode 14
# (1.57 to 1.65): programs they built escape other chars (user/rustfmt.c).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
RUSTC=${RUSTC:-rustc}
OLD_RUSTC=${OLD_RUSTC:-/usr/bin/rustc}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gen() { # rustc suffix output
	"$1" -O --edition 2021 tools/gen_unicode_tables.rs -o "$tmp/gen"
	"$tmp/gen" "$("$1" --version)" "$2" >"$tmp/out.h"
	mv "$tmp/out.h" "$3"
	echo "wrote $3 ($(wc -c <"$3") bytes)"
}
gen "$RUSTC" "" user/unicode_tables.h
if [ -x "$OLD_RUSTC" ]; then
	case "$("$OLD_RUSTC" --version)" in
	"rustc 1.5"[7-9].* | "rustc 1.6"[0-5].*) gen "$OLD_RUSTC" _u14 user/unicode_tables_u14.h ;;
	*) echo "$OLD_RUSTC is not on Unicode 14: user/unicode_tables_u14.h left alone" ;;
	esac
fi
