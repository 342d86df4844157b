#!/usr/bin/env bash
# Regenerates user/unicode_tables.h by asking rustc's own {:?} about every code
# point (see gen_unicode_tables.rs). Rerun after a rustc upgrade; the header
# records the rustc and Unicode versions it came from.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
RUSTC=${RUSTC:-rustc}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$RUSTC" -O --edition 2021 tools/gen_unicode_tables.rs -o "$tmp/gen"
"$tmp/gen" "$("$RUSTC" --version)" >"$tmp/unicode_tables.h"
mv "$tmp/unicode_tables.h" user/unicode_tables.h
echo "wrote user/unicode_tables.h ($(wc -c <user/unicode_tables.h) bytes)"
