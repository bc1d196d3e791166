#!/bin/sh
# Runs every test: the cmocka unit tests in $BUILD/tests, then the
# integration tests in tests/integration (executables; exit 0 = pass,
# anything else = fail).  There is no skip: `make test` installs all a
# test needs, so a test that cannot run (a tool or a built binary missing)
# fails and says what it missed.  Ends with the total time, the ten
# slowest tests and one line "N passed, N failed", and exits non-zero on
# any failure.
#
#   tests/run.sh [PATTERN]   only the tests whose name contains PATTERN
set -u
BUILD=${BUILD:-build}
export BUILD
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export SDC_TOP="$top" SDC_BIN="$top/$BUILD/bin"
pattern=${1:-}
passed=0 failed=0 failures=""
suite_start=$(date +%s)
logdir="$top/$BUILD/test-logs"
mkdir -p "$logdir"

run_one() { # name, command...
	name=$1; shift
	case "$name" in *"$pattern"*) ;; *) return ;; esac
	start=$(date +%s)
	timeout 600 "$@" >"$logdir/$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	echo "$secs $name" >>"$logdir/times"
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); echo "PASS  $name (${secs}s)"
	else
		failed=$((failed + 1)); failures="$failures $name"
		echo "FAIL  $name (exit $rc, ${secs}s); last lines of $logdir/$name.log:"
		tail -n 25 "$logdir/$name.log" | sed 's/^/    /'
	fi
}

: >"$logdir/times"
for t in "$BUILD"/tests/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
for t in tests/integration/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done

echo "total $(( $(date +%s) - suite_start ))s; the slowest:"
sort -rn "$logdir/times" | head -n 10 | sed 's/^\([0-9]*\) \(.*\)/  \1s  \2/'
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
