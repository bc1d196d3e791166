#!/bin/sh
# stdio.log: Docker's json-file lines (escaping, partial lines, invalid
# UTF-8), rotation to stdio.log.<time> at max-size, max-file, every line
# kept in order across the files, a live change of max-size, and no log
# for the "none" driver.
. "$(dirname "$0")/70-runtime-common.sh"

CHATTY='i=0; while [ $i -lt 3000 ]; do echo "line $i of the chatty container"; i=$((i+1)); done'

# check_lines NAME COUNT: the files, oldest first, hold exactly the lines.
check_lines() {
	python3 - "$ZONES/$1/logs" "$2" <<'PY' || fail "$1: lines lost or out of order"
import json, os, re, sys
d, n = sys.argv[1], int(sys.argv[2])
rot = sorted(f for f in os.listdir(d) if f.startswith("stdio.log."))
for f in rot:
    assert re.fullmatch(r"stdio\.log\.\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", f), f
text = ""
for f in rot + ["stdio.log"]:
    for line in open(os.path.join(d, f), encoding="utf-8"):
        text += json.loads(line)["log"]
want = "".join("line %d of the chatty container\n" % i for i in range(n))
sys.exit(0 if text == want else 1)
PY
}

node create chatty -l "$LAYER" -- sh -c "$CHATTY" >/dev/null
node start chatty -a -s 10000 >/dev/null </dev/null || fail "chatty failed"
n=$(ls "$ZONES/chatty/logs" | grep -c '^stdio\.log\.') || true
[ "$n" -ge 8 ] || fail "only $n rotated files"
for f in "$ZONES"/chatty/logs/stdio.log*; do
	[ "$(stat -c %s "$f")" -le 10000 ] || fail "$f is over max-size"
done
check_lines chatty 3000
ok "rotated at max-size into $n stdio.log.<time> files, all lines in order"

node create kept -l "$LAYER" -- sh -c "$CHATTY" >/dev/null
node start kept -a -s 10000 -f 3 >/dev/null </dev/null || fail "kept failed"
n=$(ls "$ZONES/kept/logs" | grep -c '^stdio\.log\.') || true
[ "$n" = 2 ] || fail "max-file 3 kept $n rotated files"
ok "max-file 3: the live file and 2 rotated ones"

node create none -l "$LAYER" -- echo quiet >/dev/null
[ "$(node start none -a -n </dev/null)" = quiet ] || fail "none: output"
[ ! -e "$ZONES/none/logs/stdio.log" ] || fail "log driver none wrote stdio.log"
ok "log driver none: output to attach only, no stdio.log"

node create odd -l "$LAYER" -- sh -c \
	'printf "tab\there \"q\" <b>&\\\\ \\001\\n"; printf "bad \\377\\376 utf8 \\342\\202\\254\\n"; printf "no newline"' >/dev/null
node start odd -a </dev/null >/dev/null
python3 - "$ZONES/odd/logs/stdio.log" <<'PY' || fail "escaping: $(cat "$ZONES/odd/logs/stdio.log")"
import json, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8")
recs = [json.loads(l) for l in raw.splitlines()]
assert recs[0]["log"] == 'tab\there "q" <b>&\\ \x01\n', recs[0]
assert '\\u003cb\\u003e\\u0026' in raw and '\\u0001' in raw, raw
assert recs[1]["log"] == "bad \ufffd\ufffd utf8 \u20ac\n", recs[1]
assert recs[2]["log"] == "no newline", recs[2]
PY
ok "escaped as Go does, invalid UTF-8 as U+FFFD, partial last line kept"

# A change of max-size and max-file reaches a running container, also one
# whose output never pauses: log-limits hangs up as soon as it has sent, and
# its frames must still count when the monitor finds it gone on a write.
node create live -l "$LAYER" -- sh -c 'while true; do echo "tick tick tick tick tick"; done' >/dev/null
node start live >/dev/null
sleep 0.3
[ -z "$(ls "$ZONES/live/logs" | grep '^stdio\.log\.')" ] || fail "rotated with no max-size"
node log-limits live 20000 2 || fail "log-limits refused"
wait_for sh -c "ls '$ZONES/live/logs' | grep -q '^stdio\.log\.'" || fail "new max-size not applied"
# Room is made before each rotation: a listing never shows more files.
for _ in $(seq 1 20); do
	n=$(ls "$ZONES/live/logs" | grep -c '^stdio\.log\.') || true
	[ "$n" -le 1 ] || fail "new max-file 2: a listing showed $n rotated files"
	sleep 0.02
done
node kill live KILL
node wait live 5000 >/dev/null
ok "log-limits applies a new max-size and max-file to a running container, output never pausing"

for c in chatty kept none odd live; do
	node delete "$c" || fail "delete $c"
	assert_gone "$c"
done
ok "cleaned up"
