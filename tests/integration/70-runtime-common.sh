# Shared by the 7x-runtime-*.sh tests (sourced, not run): root and runc
# checks, a temp zones root, a busybox image layer built with no network
# from Debian's busybox-static, the sdc-node driver over libsdcnode, and a
# cleanup that removes every container, mount, cgroup and monitor a test
# made, also on failure.  Each test uses a cgroup parent of its own.

set -eu
: "${SDC_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
: "${SDC_BIN:=$SDC_TOP/$BUILD/bin}"

[ "$(id -u)" = 0 ] || { echo "needs root (mounts, cgroups, runc)"; exit 1; }
[ -x /usr/sbin/runc ] || { echo "no /usr/sbin/runc (apt-get install runc)"; exit 1; }
[ -x /bin/busybox ] || { echo "no /bin/busybox (apt-get install busybox-static)"; exit 1; }
[ -x "$SDC_BIN/sdc-node" ] && [ -x "$SDC_BIN/sdc-docker-monitor" ] ||
	{ echo "no sdc-node/sdc-docker-monitor in $SDC_BIN (build them first)"; exit 1; }

T=$(mktemp -d /tmp/sdc-rt.XXXXXX)
CG=sdctest-$$
ZONES=$T/zones
# SDC_TEST_OCI_RUNTIME=crun: the same tests under crun (docs/runtime.md)
RT_BIN=/usr/sbin/runc
[ "${SDC_TEST_OCI_RUNTIME:-runc}" = crun ] && RT_BIN=/usr/bin/crun
node() { "$SDC_BIN/sdc-node" -z "$ZONES" -r "$RT_BIN" -R "$T/runc" -c "$CG" "$@"; }

rt_cleanup() {
	for d in "$ZONES"/*; do
		[ -d "$d" ] && node delete "$(basename "$d")" -f >/dev/null 2>&1
	done
	for m in $(awk -v t="$T" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	for d in /sys/fs/cgroup/*/"$CG"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$T"
}
trap rt_cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# The image: busybox as the single lower layer, with passwd and group.
LAYER=$T/layer
mkdir -p "$LAYER/bin" "$LAYER/etc" "$LAYER/tmp" "$LAYER/home/app"
cp /bin/busybox "$LAYER/bin/busybox"
chroot "$LAYER" /bin/busybox --install -s /bin
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' \
	>"$LAYER/etc/passwd"
printf 'root:x:0:\napp:x:1000:\nwheel:x:10:app\n' >"$LAYER/etc/group"

# run NAME [create options] -- ARGV: create and start attached; prints the
# output, returns the exit code.
run() {
	name=$1; shift
	node create "$name" -l "$LAYER" "$@" || return 99
	node start "$name" -a </dev/null
}

# wait_for CMD...: until CMD succeeds, for up to 5 s.
wait_for() {
	for _ in $(seq 1 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

state_of() { node state "$1" | sed -n "s/^$2=//p"; }

# Nothing of container NAME is left: folder, mounts, cgroups, processes.
assert_gone() {
	[ ! -e "$ZONES/$1" ] || fail "$1: folder left"
	! grep -q "$ZONES/$1/" /proc/mounts || fail "$1: mount left"
	for d in /sys/fs/cgroup/*/"$CG"/"$1"; do
		[ ! -d "$d" ] || fail "$1: cgroup $d left"
	done
	! pgrep -f -- "--dir $ZONES/$1( |$)" >/dev/null || fail "$1: monitor left"
	[ ! -e "$T/runc/$1" ] || fail "$1: runc state left"
}

# attach.py: speaks the attach socket's frames (docs/runtime.md) directly.
ATTACH_PY=$T/attach.py
cat >"$ATTACH_PY" <<'PY'
import os, socket, sys, json, time
def connect(folder):
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("/proc/self/fd/%d/attach.sock" % fd)
    os.close(fd)
    return s
def frames(s, timeout=10):
    s.settimeout(timeout)
    while True:
        try:
            p = s.recv(20000)
        except ConnectionResetError:
            continue
        if not p:
            return
        yield p[0], p[1:]
PY
