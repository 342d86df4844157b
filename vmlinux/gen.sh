#!/bin/sh
# Regenerates vmlinux.h from the running kernel's BTF. CO-RE relocations make the
# result usable on other kernels, so the header is committed and only refreshed by hand.
set -e
dir=$(dirname "$0")
bpftool btf dump file "${1:-/sys/kernel/btf/vmlinux}" format c > "$dir/vmlinux.h.tmp"
mv "$dir/vmlinux.h.tmp" "$dir/vmlinux.h"
