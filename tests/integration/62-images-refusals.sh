#!/bin/sh
# Layers and registries that must be refused, each with a clear error and
# nothing left in the store (no blob, no layer folder, no temp file, no
# row) and nothing written outside it: "../" names, absolute names, writes
# through symlinks, hard links out, a tampered blob, a truncated blob, a
# diff id that does not match, a registry failing mid-pull.
. "$(dirname "$0")/60-images-common.sh"

CANARY=/tmp/sdc-images-canary-$$
mkdir -p "$T/tars" "$T/data"
"$PY" - "$T/tars" "$CANARY" <<'EOF'
import io, os, sys, tarfile
out, canary = sys.argv[1], sys.argv[2]
def mk(name, entries):
    with tarfile.open(os.path.join(out, name + ".tar"), "w", format=tarfile.PAX_FORMAT) as t:
        for kind, path, arg in entries:
            ti = tarfile.TarInfo(path)
            ti.mtime = 1700000000
            if kind == "file":
                data = arg.encode()
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
                continue
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, arg
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, arg
            t.addfile(ti)
deep = "../" * 12
mk("good", [("dir", "etc", None), ("file", "etc/hello", "hi\n"),
            ("dir", "data", None), ("file", "data/blob", "x" * 300000)])
mk("good2", [("dir", "opt", None), ("file", "opt/two", "2\n")])
mk("dotdot", [("file", "ok", "fine"), ("file", deep + canary.lstrip("/"), "pwned")])
mk("dotdot2", [("dir", "etc", None), ("file", "etc/../../../../../../../../etc/passwd", "root::0:0")])
mk("absolute", [("file", canary, "pwned")])
mk("symlink-abs", [("sym", "lnk", os.path.dirname(canary)), ("file", "lnk/" + os.path.basename(canary), "pwned")])
mk("symlink-rel", [("sym", "up", deep.rstrip("/")), ("file", "up" + canary, "pwned")])
mk("hardlink-abs", [("hard", "shadow", "/etc/shadow")])
mk("hardlink-dotdot", [("hard", "shadow", deep + "etc/shadow")])
mk("hardlink-sym", [("sym", "lnk", "/etc"), ("hard", "shadow", "lnk/shadow")])
mk("whiteout-sym", [("sym", "lnk", os.path.dirname(canary)), ("file", "lnk/.wh." + os.path.basename(canary), "")])
mk("whiteout-dotdot", [("dir", "d", None), ("file", "d/.wh..", "")])
EOF
# The canary's folder holds a file the whiteout test would try to hide.
touch "$CANARY.keep"

expect_refused() { # what, expected text, driver args...
	what=$1 text=$2
	shift 2
	if drv "$@" >"$T/out" 2>"$T/err"; then
		fail "$what: accepted"
	fi
	grep -q -- "$text" "$T/err" || fail "$what: error was: $(cat "$T/err")"
	[ ! -e "$CANARY" ] || { rm -f "$CANARY"; fail "$what: wrote outside the layer"; }
	[ "$(store_counts)" = "0 0 0 0" ] || fail "$what: left $(store_counts) in the store"
	ok "$what refused: $(tail -n 1 "$T/err")"
}

for evil in dotdot:"'..' component" dotdot2:"'..' component" absolute:"absolute path" \
    symlink-abs:"symlink" symlink-rel:"symlink" hardlink-abs:"absolute path" \
    hardlink-dotdot:"'..' component" hardlink-sym:"symlink" whiteout-sym:"symlink" \
    whiteout-dotdot:"whiteout"; do
	name=${evil%%:*} text=${evil#*:}
	start_fakereg --repo evil --layer "$T/tars/good2.tar" --layer "$T/tars/$name.tar"
	expect_refused "pull of $name" "$text" pull acct1 "$FAKE/evil"
	expect_refused "import of $name" "$text" import acct1 "$T/tars/$name.tar" evil:imp
done
[ -e "$CANARY.keep" ] || fail "a whiteout removed a file outside the layer"
rm -f "$CANARY.keep"

start_fakereg --repo img --mode tamper --layer "$T/tars/good.tar"
expect_refused "tampered blob" "verification failed" pull acct1 "$FAKE/img"
start_fakereg --repo img --mode truncate --layer "$T/tars/good.tar"
expect_refused "truncated transfer" "truncated" pull acct1 "$FAKE/img"
start_fakereg --repo img --mode short --layer "$T/tars/good.tar"
expect_refused "short blob" "truncated blob" pull acct1 "$FAKE/img"
start_fakereg --repo img --mode baddiff --layer "$T/tars/good.tar"
expect_refused "wrong diff id" "diff id mismatch" pull acct1 "$FAKE/img"
start_fakereg --repo img --mode error500 --layer "$T/tars/good.tar" --layer "$T/tars/good2.tar"
expect_refused "registry failing mid-pull" "500" pull acct1 "$FAKE/img"
expect_refused "unknown image" "manifest unknown" pull acct1 "$FAKE/img:nope"
expect_refused "unknown repository" "repository does not exist" pull acct1 "$FAKE/other"

# A pull abandoned half way (the client went away) leaves nothing either.
start_fakereg --repo img --mode slow --layer "$T/tars/good.tar" --layer "$T/tars/good2.tar"
t0=$(date +%s)
expect_refused "abandoned pull" "cancelled" -c 1500 pull acct1 "$FAKE/img"
[ $(($(date +%s) - t0)) -lt 10 ] || fail "cancelling took too long"

# After all that, a good image still pulls (its layer blobs give way to
# tar-splits: only the config stays in the blob store).
start_fakereg --repo img --layer "$T/tars/good.tar" --layer "$T/tars/good2.tar"
drv pull acct1 "$FAKE/img" >"$T/out" 2>&1 || { cat "$T/out"; fail "good pull"; }
[ "$(store_counts)" = "1 2 0 6" ] || fail "good pull stored $(store_counts)"
ok "a good image pulls afterwards"
