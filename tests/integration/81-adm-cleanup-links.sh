#!/bin/sh
# logs cleanup never acts through a symbolic link: a rotated log that is a
# link to a file outside the tree, a logs directory that is a link, a
# container directory that is a link, and container directories swapped for
# links while cleanup runs (a background loop races it) leave everything
# outside the tree as it was.  Inside the tree only old rotated files go.
set -eu
top=${SDC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
adm=${SDC_BIN:-$top/build/bin}/sdcadm-docker
[ -x "$adm" ] || { echo "no $adm"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/81-adm-links.XXXXXX")
racer=
cleanup() {
	[ -n "$racer" ] && kill "$racer" 2>/dev/null && wait "$racer" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
z=$tmp/zones out=$tmp/outside
fail() { echo "FAIL: $*"; exit 1; }
old=$(date -d '30 days ago' '+%Y%m%d%H%M')

# The bait outside the tree: files with rotated names and old mtimes, in a
# directory shaped like a container's, and a plain file.
mkdir -p "$out/c/logs"
for i in 1 2 3 4 5; do
	echo secret >"$out/c/logs/stdio.log.2020-01-0${i}T00:00:00Z"
done
echo secret >"$out/c/logs/stdio.log"
echo secret >"$out/precious"
touch -t "$old" "$out/precious" "$out"/c/logs/*
( cd "$out" && find . -printf '%p %s %T@\n' | sort ) >"$tmp/out-before"
out_intact() {
	( cd "$out" && find . -printf '%p %s %T@\n' | sort ) | cmp -s - "$tmp/out-before" ||
		fail "$1: something outside the tree changed"
}

# 1. Static links.
"$top/bench/cleanup/mktree.py" "$z" 3 1,800
set -- $(ls "$z")
u1=$1 u2=$2 u3=$3
ln -s "$out/precious" "$z/$u1/logs/stdio.log.2019-01-01T00:00:00Z"
ln -s "$out/c/logs/stdio.log" "$z/$u1/logs/stdio.log.2019-01-02T00:00:00.5Z"
rm -rf "$z/$u2/logs" && ln -s "$out/c/logs" "$z/$u2/logs"
rm -rf "$z/$u3" && ln -s "$out/c" "$z/$u3"
u4=aaaaaaaa-0000-4000-8000-000000000004
mkdir "$z/$u4" && ln -s "$out/c/logs" "$z/$u4/logs"
"$adm" logs cleanup --zones "$z" --max-age 1d --json >"$tmp/j"
out_intact "static links"
[ -L "$z/$u1/logs/stdio.log.2019-01-01T00:00:00Z" ] || fail "a link inside the tree was removed"
[ "$(find "$z/$u1/logs" -type f -name 'stdio.log.*' | wc -l)" -eq 1 ] ||
	fail "the old regular rotated file was not removed"
python3 - "$tmp/j" <<'PY' || fail "summary: $(cat "$tmp/j")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["removed"] == 1 and j["errors"] == 0 and j["skipped"] == 2, j
PY
echo "ok: links to the outside are neither followed nor removed"

# 2. The race: 300 containers with 20 old rotated logs each; a background
#    loop keeps renaming container directories away and putting a link to
#    the bait in their place, then puts them back.  Cleanup runs against it
#    several times; the bait must survive every run.
rm -rf "$z"
"$top/bench/cleanup/mktree.py" "$z" 300 $(seq -s, 200 10 390)
cat >"$tmp/racer.py" <<'PY'
import os, sys
zones, bait = sys.argv[1], sys.argv[2]
ids = sorted(d for d in os.listdir(zones) if len(d) == 36)
while True:
    for u in ids:
        p = os.path.join(zones, u)
        try:
            os.rename(p, p + ".away")
            os.symlink(bait, p)
            os.unlink(p)
            os.rename(p + ".away", p)
        except OSError:
            pass
PY
python3 "$tmp/racer.py" "$z" "$out/c" &
racer=$!
sleep 0.2
for run in 1 2 3 4 5; do
	"$adm" logs cleanup --zones "$z" --max-age 7d --json >"$tmp/j$run" ||
		fail "run $run: exit $?: $(cat "$tmp/j$run")"
	out_intact "race, run $run"
done
kill "$racer"; wait "$racer" 2>/dev/null || true; racer=
python3 - "$tmp" <<'PY' || fail "race summaries"
import json, sys
js = [json.load(open("%s/j%d" % (sys.argv[1], i))) for i in range(1, 6)]
n = sum(j["removed"] for j in js)
assert n > 0, "nothing was removed"
print("over five raced runs: removed %d, skipped %d containers met as links" %
      (n, sum(j["skipped"] for j in js)))
PY
out_intact "race, after"
# Every live log is still in place, in the tree.
[ "$(find "$z" -name stdio.log -type f | wc -l)" -eq 300 ] || fail "a live log went"
echo "ok: directories swapped for links mid-run redirect nothing"
