#!/bin/sh
# Two log cleanups at once on one zones root: the second waits for the
# first (the default), or with --no-wait exits 3 at once saying who holds
# the lock, or gives up with 3 after --timeout.  Two real runs started
# together both finish, one after the other, with no errors between them.
set -eu
top=${SDC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
adm=${SDC_BIN:-$top/build/bin}/sdcadm-docker
[ -x "$adm" ] || { echo "no $adm"; exit 1; }
command -v flock >/dev/null || { echo "no flock(1)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/82-adm-lock.XXXXXX")
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
z=$tmp/zones
lock=$z/.sdcadm-docker-logs.lock
fail() { echo "FAIL: $*"; exit 1; }
now() { date +%s.%N; }
"$top/bench/cleanup/mktree.py" "$z" 200 1,400

# Hold the lock from outside (flock(1) on the same file) until release:
# the holder is the sleep itself, so killing it lets the lock go.
hold() {
	: >"$lock"
	(exec 9>>"$lock"; flock 9; exec sleep 600) &
	holder=$!
	# until flock(1) holds it (a busy machine may take a while)
	while flock -n "$lock" true; do sleep 0.05; done
}
release() { kill "$holder"; wait "$holder" 2>/dev/null || true; holder=; }

# --no-wait: refused at once, status 3, a clear message; nothing removed.
hold
t0=$(now)
if "$adm" logs cleanup --zones "$z" --no-wait 2>"$tmp/e"; then fail "--no-wait ran"; else rc=$?; fi
[ $rc -eq 3 ] || fail "--no-wait: exit $rc, not 3"
grep -q "another logs cleanup.*holds $lock" "$tmp/e" || fail "--no-wait message: $(cat "$tmp/e")"
python3 -c "import sys; assert float(sys.argv[2]) - float(sys.argv[1]) < 1" "$t0" "$(now)" ||
	fail "--no-wait waited"
[ "$(find "$z" -name 'stdio.log.*' | wc -l)" -eq 400 ] || fail "--no-wait removed files"
echo "ok: --no-wait refuses: $(cat "$tmp/e")"

# --timeout 1: gives up after about a second with status 3.
t0=$(now)
if "$adm" logs cleanup --zones "$z" --timeout 1 2>"$tmp/e"; then fail "--timeout ran"; else rc=$?; fi
[ $rc -eq 3 ] || fail "--timeout: exit $rc, not 3"
python3 -c "import sys; d = float(sys.argv[2]) - float(sys.argv[1]); assert 0.9 < d < 2.5, d" "$t0" "$(now)" ||
	fail "--timeout 1 did not wait about a second"
echo "ok: --timeout 1 gives up"

# The default waits for the holder (says so, and is still there after a
# second), then runs once the lock is let go.
release
hold
"$adm" logs cleanup --zones "$z" --max-age 7d >"$tmp/o" 2>"$tmp/e" &
waiter=$!
i=0
until grep -q "waiting for" "$tmp/e"; do
	i=$((i + 1))
	[ $i -lt 600 ] || fail "no waiting message: $(cat "$tmp/e")"
	kill -0 "$waiter" 2>/dev/null || fail "the second run did not wait: $(cat "$tmp/e")"
	sleep 0.05
done
sleep 1
kill -0 "$waiter" 2>/dev/null || fail "the second run did not wait"
[ "$(find "$z" -name 'stdio.log.*' | wc -l)" -eq 400 ] || fail "the waiting run removed files"
release
wait "$waiter" || fail "waiting run: exit $?: $(cat "$tmp/e")"
grep -q "^removed 200 files" "$tmp/o" || fail "waiting run: $(cat "$tmp/o")"
echo "ok: the second run waits, then works"

# Two real runs at once on a bigger tree: both succeed, the files each
# removed add up to the old files, and no run reports an error.
rm -rf "$z"
"$top/bench/cleanup/mktree.py" "$z" 2000 1,300,400,500
"$adm" logs cleanup --zones "$z" --max-age 7d --json >"$tmp/a" 2>"$tmp/ea" &
a=$!
"$adm" logs cleanup --zones "$z" --max-age 7d --json >"$tmp/b" 2>"$tmp/eb" &
b=$!
wait $a || fail "run A: exit $?: $(cat "$tmp/ea")"
wait $b || fail "run B: exit $?: $(cat "$tmp/eb")"
python3 - "$tmp/a" "$tmp/b" <<'PY' || fail "concurrent runs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["errors"] == 0 and b["errors"] == 0, (a, b)
assert a["removed"] + b["removed"] == 6000, (a, b)
assert 0 in (a["removed"], b["removed"]), (a, b)  # one ran after the other
PY
[ "$(find "$z" -name 'stdio.log.*' | wc -l)" -eq 2000 ] || fail "concurrent runs left the wrong files"
echo "ok: two runs at once serialise"
