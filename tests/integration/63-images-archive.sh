#!/bin/sh
# docker-archive load and save, and import: a `docker save`-style archive
# (written by skopeo) loads with the image id the registry gives it; save
# then load into another store keeps ids, tags and layer contents; the
# Docker 25+ OCI-layout flavour loads too; import builds a one-layer image
# with CMD/ENV/WORKDIR/ENTRYPOINT/LABEL/USER/EXPOSE changes.
. "$(dirname "$0")/60-images-common.sh"
need skopeo

build_busybox "$T/bb"
want_id=sha256:$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["config"]["digest"].split(":")[1])' \
    "$T/bb/oci/blobs/sha256/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"].split(":")[1])' "$T/bb/oci/index.json")")
skopeo copy --quiet "oci:$T/bb/oci:latest" "docker-archive:$T/bb.tar:busybox:latest" >/dev/null
mkdir -p "$T/data"

drv load acct1 "$T/bb.tar" >"$T/out" 2>&1 || { cat "$T/out"; fail "load"; }
grep -q '{"stream":"Loaded image: busybox:latest\\n"}' "$T/out" || fail "load output: $(cat "$T/out")"
[ "$(drv resolve acct1 busybox)" = "$want_id" ] || fail "loaded id $(drv resolve acct1 busybox) != $want_id"
[ "$(ls "$T/data/images/tmp" | wc -l)" = 0 ] || fail "load left temp files"
ok "load of a docker-archive keeps the id"

drv tag acct1 busybox other/bb:v1
drv save acct1 "$T/saved.tar" busybox other/bb:v1 || fail "save"
python3 - "$T/saved.tar" "$want_id" <<'EOF' || fail "saved archive is not what docker load expects"
import hashlib, json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))
assert len(m) == 1, m
e = m[0]
assert e["Config"] == sys.argv[2].split(":")[1] + ".json", e
assert sorted(e["RepoTags"]) == ["busybox:latest", "other/bb:v1"], e
cfg = json.load(t.extractfile(e["Config"]))
for path, diff in zip(e["Layers"], cfg["rootfs"]["diff_ids"]):
    assert "sha256:" + hashlib.sha256(t.extractfile(path).read()).hexdigest() == diff, path
assert "sha256:" + hashlib.sha256(t.extractfile(e["Config"]).read()).hexdigest() == sys.argv[2]
json.load(t.extractfile("repositories"))
EOF
ok "save writes manifest.json, config, layer tars with matching diff ids"

"$DRIVER" -d "$T/data2" load acct9 "$T/saved.tar" >"$T/out" 2>&1 || { cat "$T/out"; fail "load into a second store"; }
[ "$("$DRIVER" -d "$T/data2" resolve acct9 busybox)" = "$want_id" ] || fail "round trip changed the id"
[ "$("$DRIVER" -d "$T/data2" resolve acct9 other/bb:v1)" = "$want_id" ] || fail "round trip lost a tag"
(cd "$T/data/images/layers" && find . -printf '%p %m %u %g %s %l\n' | sort) >"$T/l1"
(cd "$T/data2/images/layers" && find . -printf '%p %m %u %g %s %l\n' | sort) >"$T/l2"
cmp -s "$T/l1" "$T/l2" || fail "layer contents differ after the round trip"
ok "save -> load round trip keeps ids, tags and files"

# Docker 25+: an OCI layout inside the archive, manifest.json pointing at blobs.
python3 - "$T/bb/oci" "$T/oci-in-docker.tar" <<'EOF'
import io, json, os, sys, tarfile
lay, out = sys.argv[1], sys.argv[2]
idx = json.load(open(os.path.join(lay, "index.json")))
mdesc = [m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "latest"][0]
blob = lambda d: os.path.join(lay, "blobs", "sha256", d.split(":")[1])
man = json.load(open(blob(mdesc["digest"])))
with tarfile.open(out, "w") as t:
    for name in ("oci-layout", "index.json"):
        t.add(os.path.join(lay, name), name)
    for d in [mdesc["digest"], man["config"]["digest"]] + [l["digest"] for l in man["layers"]]:
        t.add(blob(d), "blobs/sha256/" + d.split(":")[1])
    mj = json.dumps([{"Config": "blobs/sha256/" + man["config"]["digest"].split(":")[1],
                      "RepoTags": ["ocidocker:latest"],
                      "Layers": ["blobs/sha256/" + l["digest"].split(":")[1] for l in man["layers"]]}]).encode()
    ti = tarfile.TarInfo("manifest.json"); ti.size = len(mj)
    t.addfile(ti, io.BytesIO(mj))
EOF
drv load acct1 "$T/oci-in-docker.tar" >/dev/null 2>&1 || fail "load of an OCI-layout archive"
[ "$(drv resolve acct1 ocidocker)" = "$want_id" ] || fail "OCI-layout archive id"
ok "Docker 25+ OCI-layout archive loads"

skopeo copy --quiet "oci:$T/bb/oci:latest" "oci-archive:$T/oci.tar:busybox:oci" >/dev/null
drv load acct1 "$T/oci.tar" >"$T/out" 2>&1 || { cat "$T/out"; fail "load of an OCI archive"; }
[ "$(drv resolve acct1 busybox:oci)" = "$want_id" ] || fail "OCI archive: $(cat "$T/out")"
ok "a bare OCI-layout archive loads"

before=$(store_counts)
printf 'not a tar' >"$T/junk.tar"
drv load acct1 "$T/junk.tar" 2>"$T/err" && fail "junk loaded"
[ "$(store_counts)" = "$before" ] || fail "failed load left $(store_counts) (was $before)"
ok "a broken archive is refused: $(cat "$T/err")"

mkdir -p "$T/rootfs/srv" "$T/rootfs/bin"
echo data >"$T/rootfs/srv/file"
cp "$T/bb/bundle/rootfs/bin/busybox" "$T/rootfs/bin/"
tar -C "$T/rootfs" -czf "$T/rootfs.tgz" .
drv import acct1 "$T/rootfs.tgz" imp:1 'CMD ["/bin/busybox","echo","hi"]' \
    'ENV A=1 B="two words"' 'ENV C 3 4' 'WORKDIR /srv' 'ENTRYPOINT /bin/busybox sh' \
    'LABEL com.example.x=y other=z' 'USER nobody' 'EXPOSE 80 53/udp' >"$T/out" 2>&1 \
    || { cat "$T/out"; fail "import"; }
grep -q '{"status":"sha256:' "$T/out" || fail "import output: $(cat "$T/out")"
drv inspect acct1 imp:1 >"$T/insp"
python3 - "$T/insp" <<'EOF' || fail "import config: $(cat "$T/insp")"
import json, sys
c = json.load(open(sys.argv[1]))["Config"]
assert c["Cmd"] == ["/bin/busybox", "echo", "hi"], c
assert c["Entrypoint"] == ["/bin/sh", "-c", "/bin/busybox sh"], c
assert c["Env"] == ["A=1", "B=two words", "C=3 4"], c
assert c["WorkingDir"] == "/srv" and c["User"] == "nobody", c
assert c["Labels"] == {"com.example.x": "y", "other": "z"}, c
assert c["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}, c
EOF
L=$(drv layers acct1 imp:1)
[ "$(cat "$L/srv/file")" = data ] || fail "imported layer content"
ok "import with changes"

before=$(store_counts)
drv import acct1 "$T/rootfs.tgz" imp:2 'FROM busybox' 2>"$T/err" && fail "bad change accepted"
grep -q "not a valid change command" "$T/err" || fail "bad change error: $(cat "$T/err")"
[ "$(store_counts)" = "$before" ] || fail "refused import left something"
ok "a bad change is refused before anything is stored"
