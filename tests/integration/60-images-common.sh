# Shared by the 6x-images-*.sh tests (sourced, not run): a temp dir with
# cleanup, the test driver, Debian's docker-registry on a free loopback
# port, a busybox image built with no network, and the fake registry.
# Every process started here is killed on exit, also on failure.

set -eu
: "${SDC_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
: "${SDC_BIN:=$SDC_TOP/$BUILD/bin}"
DRIVER=${IMAGES_DRIVER:-$(dirname "$SDC_BIN")/tests/images-driver}
FAKEREG="$SDC_TOP/tests/integration/60-images-fakereg.py"
unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE

[ -x "$DRIVER" ] || { echo "no $DRIVER (build it first)"; exit 1; }
# The interpreter python3 names, found once: python3 may be a version
# manager's shim, which costs a second a start on a loaded machine, and
# these tests start Python often (each registry, each store count).
PY=$(python3 -c 'import sys; print(sys.executable)') ||
    { echo "python3 does not run"; exit 1; }

T=$(mktemp -d /tmp/sdc-images-test.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() { # url: any HTTP answer will do
	for _ in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" != 000 ] && return 0
		sleep 0.1
	done
	fail "nothing answers at $1"
}

# start_registry NAME: Debian's docker-registry; sets REG=127.0.0.1:PORT
start_registry() {
	need docker-registry
	port=$(free_port)
	mkdir -p "$T/$1"
	cat >"$T/$1/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/$1/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
	docker-registry serve "$T/$1/config.yml" >"$T/$1/log" 2>&1 &
	PIDS="$PIDS $!"
	REG=127.0.0.1:$port
	wait_http "http://$REG/v2/"
}

# start_fakereg ARGS...: the impostor; sets FAKE=127.0.0.1:PORT
FAKES=0
start_fakereg() {
	FAKES=$((FAKES + 1))
	"$PY" -u "$FAKEREG" "$@" >"$T/fake$FAKES.port" 2>"$T/fake$FAKES.log" &
	PIDS="$PIDS $!"
	for _ in $(seq 1 100); do
		[ -s "$T/fake$FAKES.port" ] && break
		sleep 0.1
	done
	FAKE=127.0.0.1:$(head -n 1 "$T/fake$FAKES.port")
	wait_http "http://$FAKE/v2/"
}

need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { echo "$c not installed"; exit 1; }
	done
}

# build_busybox DIR: an OCI layout DIR/oci with tag "latest" holding a
# busybox rootfs made by `busybox --install -s`.
build_busybox() {
	need umoci busybox
	d=$1
	mkdir -p "$d"
	umoci init --layout "$d/oci"
	umoci new --image "$d/oci:latest"
	umoci unpack --image "$d/oci:latest" "$d/bundle" >/dev/null
	mkdir -p "$d/bundle/rootfs/bin" "$d/bundle/rootfs/etc" "$d/bundle/rootfs/tmp"
	cp "$(command -v busybox)" "$d/bundle/rootfs/bin/busybox"
	chmod 755 "$d/bundle/rootfs/bin/busybox"
	chmod 1777 "$d/bundle/rootfs/tmp"
	chroot "$d/bundle/rootfs" /bin/busybox --install -s /bin
	echo "root:x:0:0:root:/root:/bin/sh" >"$d/bundle/rootfs/etc/passwd"
	umoci repack --image "$d/oci:latest" "$d/bundle" >/dev/null
	umoci config --image "$d/oci:latest" --config.cmd sh >/dev/null
}

# push OCI_REF DEST [skopeo args]
push() {
	need skopeo
	src=$1 dst=$2
	shift 2
	skopeo copy --quiet --dest-tls-verify=false "$@" "$src" "docker://$dst" >/dev/null
}

# the test registries are on loopback: allowed as an operator would
drv() { "$DRIVER" -d "$T/data" -p 127.0.0.1 "$@"; }

# The store holds nothing but what `expect` says: counts of blobs, layer
# folders, tmp entries and image rows.
store_counts() {
	b=$(ls "$T/data/images/blobs/sha256" 2>/dev/null | wc -l)
	l=$(ls "$T/data/images/layers" 2>/dev/null | wc -l)
	t=$(ls -A "$T/data/images/tmp" 2>/dev/null | wc -l)
	r=$("$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(sum(c.execute("select count(*) from "+t).fetchone()[0] for t in ("images","image_layers","image_owners","image_tags","image_digests")))' "$T/data/images-test.db" 2>/dev/null || echo 0)
	echo "$b $l $t $r"
}
