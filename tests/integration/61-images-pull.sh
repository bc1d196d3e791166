#!/bin/sh
# Pulls through libsdcimages from Debian's docker-registry on loopback: OCI
# and Docker schema2 manifests, a manifest list, a docker.io mirror; checks
# the unpacked files, modes, symlinks and whiteouts, that a shared layer is
# stored once, per-account visibility, unknown names, and rmi cleanup.
. "$(dirname "$0")/60-images-common.sh"

build_busybox "$T/bb"
start_registry reg
push "oci:$T/bb/oci:latest" "$REG/busybox:latest"
push "oci:$T/bb/oci:latest" "$REG/busybox:v2s2" --format v2s2
push "oci:$T/bb/oci:latest" "$REG/library/busybox:latest"

# A second image on top of busybox: a new file, /etc/passwd deleted.
umoci unpack --image "$T/bb/oci:latest" "$T/bb/plus" >/dev/null
echo hello >"$T/bb/plus/rootfs/hello.txt"
chmod 640 "$T/bb/plus/rootfs/hello.txt"
rm "$T/bb/plus/rootfs/etc/passwd"
umoci repack --image "$T/bb/oci:plus" "$T/bb/plus" >/dev/null
push "oci:$T/bb/oci:plus" "$REG/plus:latest"

# A manifest list: arm64 -> plus, amd64 -> busybox.
python3 - "$T/bb/oci" <<'EOF'
import hashlib, json, os, sys
lay = sys.argv[1]
idx = json.load(open(os.path.join(lay, "index.json")))
desc = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
def entry(d, arch):
    e = {k: v for k, v in d.items() if k != "annotations"}
    e["platform"] = {"os": "linux", "architecture": arch}
    return e
lst = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": [entry(desc["plus"], "arm64"), entry(desc["latest"], "amd64")]}).encode()
h = hashlib.sha256(lst).hexdigest()
open(os.path.join(lay, "blobs", "sha256", h), "wb").write(lst)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                         "digest": "sha256:" + h, "size": len(lst),
                         "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(idx, open(os.path.join(lay, "index.json"), "w"))
EOF
push "oci:$T/bb/oci:multi" "$REG/busybox:multi" --all

mkdir -p "$T/data"
drv pull acct1 "$REG/busybox" >"$T/out" 2>&1 || { cat "$T/out"; fail "pull"; }
grep -q '"status":"Pulling from busybox","id":"latest"' "$T/out" || fail "no Pulling from"
grep -q '"Pulling fs layer"' "$T/out" || fail "no Pulling fs layer"
grep -q '"Downloading","progressDetail":{"current":' "$T/out" || fail "no Downloading"
grep -q '"Extracting"' "$T/out" || fail "no Extracting"
grep -q '"Pull complete"' "$T/out" || fail "no Pull complete"
grep -q '"Digest: sha256:' "$T/out" || fail "no Digest"
grep -q "Status: Downloaded newer image for $REG/busybox:latest" "$T/out" || fail "no Status"
ok "pull with progress"

id=$(drv resolve acct1 "$REG/busybox")
L=$(drv layers acct1 "$REG/busybox")
[ "$(echo "$L" | wc -l)" = 1 ] || fail "busybox should have one layer"
[ -f "$L/bin/busybox" ] && [ "$(stat -c %a "$L/bin/busybox")" = 755 ] || fail "bin/busybox"
[ "$(readlink "$L/bin/sh")" = /bin/busybox ] || fail "bin/sh symlink: $(readlink "$L/bin/sh")"
[ "$(stat -c %a "$L/tmp")" = 1777 ] || fail "tmp mode $(stat -c %a "$L/tmp")"
grep -q '^root:' "$L/etc/passwd" || fail "etc/passwd"
ok "layer files, modes, symlinks"

drv pull acct1 "$REG/busybox" >"$T/out" 2>&1 || fail "second pull"
grep -q "Image is up to date for $REG/busybox:latest" "$T/out" || fail "up to date"
drv pull acct1 "$REG/busybox:v2s2" >/dev/null 2>&1 || fail "v2s2 pull"
[ "$(drv resolve acct1 "$REG/busybox:v2s2")" = "$id" ] || fail "v2s2 id differs"
drv pull acct1 "$REG/busybox:multi" >"$T/out" 2>&1 || { cat "$T/out"; fail "list pull"; }
[ "$(drv resolve acct1 "$REG/busybox:multi")" = "$id" ] || fail "manifest list did not pick amd64"
ok "schema2, OCI and manifest list"

drv pull acct1 "$REG/plus" >"$T/out" 2>&1 || { cat "$T/out"; fail "plus pull"; }
grep -q '"Already exists"' "$T/out" || fail "shared layer not reported as existing"
[ "$(ls "$T/data/images/layers" | wc -l)" = 2 ] || fail "shared layer stored twice"
P=$(drv layers acct1 "$REG/plus" | tail -n 1)
[ "$(stat -c '%F %t,%T' "$P/etc/passwd")" = "character special file 0,0" ] || fail "whiteout: $(stat -c '%F %t,%T' "$P/etc/passwd")"
[ "$(stat -c %a "$P/hello.txt")" = 640 ] || fail "hello.txt mode"
ok "shared layer stored once; whiteout as 0/0 char device"

drv list acct2 >"$T/out"
[ "$(cat "$T/out")" = "[]" ] || fail "acct2 sees acct1's images"
drv inspect acct2 "$REG/busybox" 2>"$T/err" && fail "acct2 inspects acct1's image"
grep -q "No such image" "$T/err" || fail "acct2 error: $(cat "$T/err")"
drv inspect acct2 "$id" 2>/dev/null && fail "acct2 inspects by id"
drv pull acct2 "$REG/busybox" >/dev/null 2>&1 || fail "acct2 pull"
[ "$(ls "$T/data/images/layers" | wc -l)" = 2 ] || fail "acct2 pull duplicated a layer"
ok "per-account visibility"

before=$(store_counts)
drv pull acct1 "$REG/busybox:nope" 2>"$T/err" && fail "unknown tag pulled"
grep -q "manifest unknown" "$T/err" || fail "unknown tag error: $(cat "$T/err")"
drv pull acct1 "$REG/nothere" 2>"$T/err" && fail "unknown repo pulled"
drv pull acct1 "Bad/Name" 2>"$T/err" && fail "bad name pulled"
grep -q "invalid reference format" "$T/err" || fail "bad name error: $(cat "$T/err")"
[ "$(store_counts)" = "$before" ] || fail "failed pulls left something: $before -> $(store_counts)"
ok "unknown image and invalid reference"

drv -m "http://$REG" pull acct1 busybox >"$T/out" 2>&1 || { cat "$T/out"; fail "mirror pull"; }
grep -q "Downloaded newer image for busybox:latest" "$T/out" || fail "mirror status"
drv list acct1 | grep -q '"busybox:latest"' || fail "mirror tag"
ok "docker.io through a mirror"

# Concurrent pulls sharing a layer, in one process as in the daemon.
"$DRIVER" -d "$T/data3" -p 127.0.0.1 pull acct3 "$REG/busybox" "$REG/plus" "$REG/busybox:v2s2" >"$T/out" 2>&1 \
    || { cat "$T/out"; fail "concurrent pulls"; }
[ "$(ls "$T/data3/images/layers" | wc -l)" = 2 ] || fail "concurrent pulls: $(ls "$T/data3/images/layers")"
[ "$(ls -A "$T/data3/images/tmp" | wc -l)" = 0 ] || fail "concurrent pulls left temp files"
[ "$("$DRIVER" -d "$T/data3" list acct3 | grep -o '"Id"' | wc -l)" = 2 ] || fail "concurrent pulls: images"
ok "concurrent pulls of images sharing a layer"

drv inspect acct1 busybox | grep -q '"Cmd":\["sh"\]' || fail "inspect Config.Cmd"
drv history acct1 busybox | grep -q '"CreatedBy":"umoci repack"' || fail "history"
drv tag acct1 busybox mine/bb:1 || fail "tag"
[ "$(drv resolve acct1 mine/bb:1)" = "$id" ] || fail "tag resolves"
ok "inspect, history, tag"

drv rmi acct1 "$REG/plus" >"$T/out" 2>&1 || { cat "$T/out"; fail "rmi plus"; }
grep -q '"Deleted"' "$T/out" || fail "rmi plus: $(cat "$T/out")"
[ "$(ls "$T/data/images/layers" | wc -l)" = 1 ] || fail "plus's own layer not removed"
drv rmi acct1 "$id" 2>"$T/err" && fail "rmi by id with several repositories"
grep -q "must be forced" "$T/err" || fail "rmi conflict: $(cat "$T/err")"
drv -u "$id,ctr1,running" rmi acct1 -f "$id" 2>"$T/err" && fail "forced rmi of a running container's image"
grep -q "cannot be forced" "$T/err" || fail "running conflict: $(cat "$T/err")"
drv -u "$id,ctr1" rmi acct1 -f "$id" >"$T/out" 2>"$T/err" \
    || fail "forced rmi with stopped container: $(cat "$T/err")"
# the stopped container's root stands on the layers: untagged, kept
grep -q '"Deleted"' "$T/out" && fail "image deleted under a stopped container"
drv list acct1 -D 1 | grep -q "\"$id\"" || fail "forced rmi did not leave it dangling"
drv rmi acct1 "$id" >/dev/null 2>"$T/err" || fail "rmi once unused: $(cat "$T/err")"
drv list acct1 | grep -q '"Id"' && fail "acct1 still lists images"
[ "$(ls "$T/data/images/layers" | wc -l)" = 1 ] || fail "layer removed while acct2 uses it"
drv rmi acct2 "$REG/busybox" >/dev/null || fail "acct2 rmi"
[ "$(store_counts)" = "0 0 0 0" ] || fail "store not empty after rmi: $(store_counts)"
ok "rmi: untag, conflicts, layers collected when unused"
