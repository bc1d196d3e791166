#!/bin/sh
# The attach socket: output to several clients with stream identity, stdin
# to `cat` and back, stdin close, the exit frame; a monitor that outlives
# the process that started it (state still readable, attach still works);
# a tty container.
. "$(dirname "$0")/70-runtime-common.sh"

# Started by a shell that exits at once: the monitor lives on alone.
node create cat -l "$LAYER" -i -- sh -c 'echo ready; cat; echo bye >&2; exit 5' >/dev/null
setsid sh -c "'$SDC_BIN/sdc-node' -z '$ZONES' -R '$T/runc' -c '$CG' start cat >/dev/null" </dev/null
wait_for sh -c "grep -q ready '$ZONES/cat/logs/stdio.log'" || fail "cat did not start"
[ "$(state_of cat status)" = running ] || fail "state after the starter exited: $(node state cat)"
mpid=$(state_of cat monitor_pid)
[ "$(ps -o ppid= -p "$mpid" | tr -d ' ')" != "$$" ] || fail "monitor is our child"
[ "$(ps -o sid= -p "$mpid" | tr -d ' ')" = "$mpid" ] || fail "monitor has no session of its own"
ok "monitor outlives its starter, in a session of its own; state readable"

python3 - "$ZONES/cat" "$ATTACH_PY" <<'PY' || fail "attach to cat"
import sys, json
exec(open(sys.argv[2]).read())
a, b = connect(sys.argv[1]), connect(sys.argv[1])
a.send(b"\x00hello through stdin\n")
for s in (a, b):
    t, data = next(frames(s))
    assert (t, data) == (1, b"hello through stdin\n"), (t, data)
a.send(b"\x04")                       # close stdin: cat ends
got = list(frames(b))
assert got[0] == (2, b"bye\n"), got
assert got[-1][0] == 3, got
st = json.loads(got[-1][1])
assert st["status"] == "exited" and st["exit_code"] == 5, st
PY
[ "$(state_of cat exit_code)" = 5 ] || fail "exit code after attach: $(node state cat)"
grep -q '"log":"hello through stdin\\n","stream":"stdout"' "$ZONES/cat/logs/stdio.log" ||
	fail "attached output not logged"
ok "two clients see stdout/stderr frames, stdin reaches cat, close ends it, exit frame 5"

# Attach to a running container long after it started, from another client.
node create tick -l "$LAYER" -- sh -c 'i=0; while [ $i -lt 40 ]; do echo tick $i; i=$((i+1)); sleep 0.05; done' >/dev/null
node start tick >/dev/null
sleep 0.3
out=$(node attach tick) || true
echo "$out" | grep -q "tick 39" || fail "late attach missed the output: $out"
echo "$out" | grep -q "tick 0" && fail "late attach replayed old output"
ok "a late attach gets the output from then on, and the exit"

node create tty -l "$LAYER" -t -i -- sh -c 'tty; read x; echo "got $x"; stty size' >/dev/null
python3 - "$ZONES" "$ATTACH_PY" "$SDC_BIN/sdc-node" "$T/runc" "$CG" <<'PY' || fail "tty"
import sys, subprocess, time
exec(open(sys.argv[2]).read())
zones, node, runc, cg = sys.argv[1], sys.argv[3], sys.argv[4], sys.argv[5]
subprocess.run([node, "-z", zones, "-R", runc, "-c", cg, "start", "tty"], check=True,
               stdout=subprocess.DEVNULL)
s = connect(zones + "/tty")
s.send(b"\x0524 80")
s.send(b"\x00word\r")
out = b""
for t, data in frames(s):
    if t == 3:
        break
    assert t == 1, t
    out += data
assert b"got word" in out and b"24 80" in out, out
log = open(zones + "/tty/logs/stdio.log").read()
assert '"log":"/dev/pts/0\\r\\n","stream":"stdout"' in log, log
PY
ok "tty: pty stdio, input through the master, resize frame"

for c in cat tick tty; do
	node delete "$c" || fail "delete $c"
	assert_gone "$c"
done
ok "cleaned up"
