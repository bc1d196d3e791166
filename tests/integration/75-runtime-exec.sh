#!/bin/sh
# Exec in a running container: stdin to an exec, a tty exec, the exec's own
# state and exit code after the fact, Docker's 127 for a missing command,
# refusals (stopped or paused container), removal, and a container delete
# that takes its execs along.
. "$(dirname "$0")/70-runtime-common.sh"

node create box -l "$LAYER" -w /tmp -- sleep 60 >/dev/null
node start box >/dev/null

out=$(printf 'one\ntwo\n' | node exec box cat1 -i -- sh -c 'cat; pwd')
[ "$out" = "$(printf 'one\ntwo\n/tmp')" ] || fail "exec with stdin: $out"
ok "exec -i: stdin reaches the process and closes; the container's cwd"

out=$(node exec box t1 -t -- sh -c 'tty; echo $TERM' </dev/null | tr -d '\r')
echo "$out" | grep -q '^/dev/pts/' && echo "$out" | grep -qx xterm || fail "tty exec: $out"
ok "exec -t: a pty and TERM"

rc=0; node exec box e3 -- sh -c 'exit 3' </dev/null || rc=$?
[ $rc = 3 ] || fail "exec exit 3 gave $rc"
python3 - "$ZONES/box/exec/e3/state.json" <<'PY' || fail "exec state.json"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["status"] == "exited" and s["exit_code"] == 3 and s["pid"] > 0, s
PY
ok "the exec's exit code, also in its state.json"

rc=0; out=$(node exec box nf -- /no/such </dev/null 2>&1) || rc=$?
[ $rc = 127 ] || fail "missing command in exec: rc $rc: $out"
ok "a missing command: 127 ($out)"

node exec box e3 -- true </dev/null 2>/dev/null && fail "exec id reused"
node pause box
rc=0; out=$(node exec box p1 -- true </dev/null 2>&1) || rc=$?
echo "$out" | grep -q "is paused" || fail "exec in a paused container: $out"
node resume box
ok "an exec id cannot be reused; no exec in a paused container"

node exec box long -- sleep 60 </dev/null >/dev/null 2>&1 &
relay=$!
wait_for test -S "$ZONES/box/exec/long/attach.sock" || fail "long exec did not start"
node delete box -f || fail "delete with a running exec"
wait "$relay" || true
assert_gone box
ok "rm -f takes running execs along"

node create done -l "$LAYER" -- true >/dev/null
node start done -a </dev/null
rc=0; out=$(node exec done x -- true </dev/null 2>&1) || rc=$?
echo "$out" | grep -q "is not running" || fail "exec in a stopped container: $out"
node delete done
assert_gone done
ok "no exec in a stopped container"
