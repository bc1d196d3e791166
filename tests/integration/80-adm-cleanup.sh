#!/bin/sh
# sdcadm-docker logs cleanup on a tree of 1,000 containers with a live log
# and rotated logs of six ages each: every rule removes exactly the files a
# separate computation (expect.py below) selects, --dry-run lists that same
# set and removes nothing, the live logs stay, `logs usage` adds up, and bad
# option values exit 2 with a message naming the option.
set -eu
top=${SDC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
adm=${SDC_BIN:-$top/build/bin}/sdcadm-docker
[ -x "$adm" ] || { echo "no $adm"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/80-adm-cleanup.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
z=$tmp/zones
fail() { echo "FAIL: $*"; exit 1; }

# Ages in hours: 1h, 30h, 50h, 100h, 200h, 400h; 1000 bytes each.  Built
# once; each check works on a copy made of hard links (cheap, same mtimes).
"$top/bench/cleanup/mktree.py" "$tmp/master" 1000 1,30,50,100,200,400 --size 1000
mktree() { rm -rf "$z"; cp -al "$tmp/master" "$z"; }

# The rotated files now, one path a line, sorted.
snapshot() { find "$z" -name 'stdio.log.*' | sort; }

# What a rule should remove, computed from the tree: expect.py RULE VALUE
cat >"$tmp/expect.py" <<'PY'
import os, sys, time
zones, rule, value = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = []  # (mtime_ns, name, uuid, path, size)
for u in sorted(os.listdir(zones)):
    logs = os.path.join(zones, u, "logs")
    if not os.path.isdir(logs):
        continue
    for n in os.listdir(logs):
        if n.startswith("stdio.log."):
            st = os.lstat(os.path.join(logs, n))
            files.append((st.st_mtime_ns, n, u, os.path.join(logs, n), st.st_size))
go = set()
if rule == "age":
    cutoff = time.time_ns() - value * 10**9
    go = {f[3] for f in files if f[0] < cutoff}
elif rule == "keep":
    by = {}
    for f in files:
        by.setdefault(f[2], []).append(f)
    for fs in by.values():
        fs.sort(key=lambda f: (f[0], f[1]), reverse=True)
        go |= {f[3] for f in fs[value:]}
elif rule == "total":
    total = sum(f[4] for f in files)
    for f in sorted(files):
        if total <= value:
            break
        total -= f[4]
        go.add(f[3])
print("\n".join(sorted(go)))
PY
expect() { python3 "$tmp/expect.py" "$z" "$@"; }

# check RULE VALUE ARGS...: dry run lists the expected set and keeps it,
# the real run removes exactly that set.
check() {
	rule=$1 value=$2; shift 2
	mktree
	expect "$rule" "$value" >"$tmp/want"
	snapshot >"$tmp/before"
	"$adm" logs cleanup --zones "$z" --dry-run "$@" >"$tmp/dry"
	tail -n 1 "$tmp/dry" | grep -q "^would remove $(wc -l <"$tmp/want") files" ||
		fail "$*: dry-run summary: $(tail -n 1 "$tmp/dry")"
	sed '$d' "$tmp/dry" >"$tmp/dry-list"
	cmp -s "$tmp/dry-list" "$tmp/want" || fail "$*: dry run lists other files"
	snapshot | cmp -s - "$tmp/before" || fail "$*: dry run removed something"
	"$adm" logs cleanup --zones "$z" "$@" >"$tmp/real"
	snapshot >"$tmp/after"
	comm -23 "$tmp/before" "$tmp/after" >"$tmp/gone"
	cmp -s "$tmp/gone" "$tmp/want" || fail "$*: removed other files than selected"
	[ "$(find "$z" -name stdio.log | wc -l)" -eq 1000 ] || fail "$*: a live log went"
	echo "ok: $* removed $(wc -l <"$tmp/gone") files: $(cat "$tmp/real")"
}

check age $((72 * 3600)) --max-age 3d
check age $((72 * 3600)) --max-age 72h --jobs 1
check age 1800 --max-age 30m
check keep 2 --keep 2
check keep 0 --keep 0
check total 3000000 --max-total 3000000
check total $((2 * 1024 * 1024)) --max-total 2M

# Rules together: a file goes when any selects it.
mktree
{ expect age $((150 * 3600)); expect keep 3; } | sort -u >"$tmp/want"
snapshot >"$tmp/before"
"$adm" logs cleanup --zones "$z" --max-age 150h --keep 3 >/dev/null
snapshot | comm -23 "$tmp/before" - | cmp -s - "$tmp/want" || fail "age + keep"
echo "ok: --max-age 150h --keep 3"

# JSON summary and the default rule (7 days: the 200h and 400h files).
mktree
"$adm" logs cleanup --zones "$z" --json >"$tmp/j"
python3 - "$tmp/j" <<'PY' || fail "json summary"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["removed"] == 2000 and j["bytes"] == 2000000 and j["errors"] == 0, j
assert j["dryRun"] is False and "files" not in j, j
PY
echo "ok: --json, default --max-age 7d"

# logs usage: per container and total, against du-like sums.
mktree
"$adm" --json logs usage --zones "$z" >"$tmp/u"
python3 - "$tmp/u" "$z" <<'PY' || fail "logs usage"
import json, os, sys
u = json.load(open(sys.argv[1]))
assert len(u["containers"]) == 1000
t = u["total"]
assert t["live"] == 1000 * 1000 and t["rotated"] == 6 * 1000 * 1000, t
assert t["rotatedFiles"] == 6000 and t["total"] == 7 * 1000 * 1000, t
c = u["containers"][0]
assert c["live"] == 1000 and c["rotated"] == 6000 and c["total"] == 7000, c
PY
COLUMNS=60 "$adm" logs usage --zones "$z" >"$tmp/ut"
[ "$(wc -l <"$tmp/ut")" -eq 1002 ] || fail "usage table has $(wc -l <"$tmp/ut") lines"
awk 'length > 60 { exit 1 }' "$tmp/ut" || fail "usage table wider than COLUMNS"
tail -n 1 "$tmp/ut" | grep -q '^TOTAL' || fail "usage table: no TOTAL line"
echo "ok: logs usage"

# Bad values: status 2 and a message naming the option.
bad() {
	opt=$1; shift
	if "$adm" logs cleanup --zones "$z" "$@" >"$tmp/o" 2>"$tmp/e"; then
		fail "$* accepted"
	else
		rc=$?
	fi
	[ $rc -eq 2 ] || fail "$*: exit $rc, not 2"
	grep -q -e "$opt" "$tmp/e" || fail "$*: message does not name $opt: $(cat "$tmp/e")"
	snapshot | cmp -s - "$tmp/before-bad" || fail "$*: removed something"
}
snapshot >"$tmp/before-bad"
bad --max-age --max-age 7x
bad --max-age --max-age -1d
bad --max-age --max-age ''
bad --keep --keep many
bad --keep --keep -2
bad --max-total --max-total 10Q
bad --max-total --max-total 1.5G
bad --timeout --timeout soon
bad --jobs --jobs 0
bad --bogus --bogus
bad --keep --keep
bad extra extra-argument
echo "ok: bad values refused with status 2"

# A zones root that is not there: status 1 and a message.
if "$adm" logs cleanup --zones "$tmp/nowhere" 2>"$tmp/e"; then fail "missing root"; fi
grep -q "nowhere" "$tmp/e" || fail "missing root: $(cat "$tmp/e")"
echo "ok: missing zones root"
