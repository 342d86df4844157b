#!/usr/bin/env bash
# Runs every unit test binary and the integration suites; prints one closing
# "N passed, N failed" line summing them, and fails if any failed.
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0 broken=0
run() {
	local out rc
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out"
	local line
	line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -z "$line" ]; then
		echo "!! $* printed no result line (exit $rc)"; broken=$((broken + 1)); return
	fi
	local p f
	p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
	f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
	pass=$((pass + p))
	fail=$((fail + f))
	# a non-zero exit with no failure counted is still a failure
	[ "$rc" -ne 0 ] && [ "$f" = 0 ] && broken=$((broken + 1))
}
for t in build/unit/test_*; do run "$t"; done
for t in tests/integration/run.py tests/integration/test_*.py; do [ -f "$t" ] && run python3 "$t"; done
fail=$((fail + broken))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
