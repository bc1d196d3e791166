#!/bin/sh
# A container with a user namespace (every account's) joining a network
# namespace the daemon made (sdc-node create -N, rt_spec.netns_path): runc
# 1.1 cannot mount sysfs there, so the runtime mounts the sandbox's own
# sysfs and binds it (dockerapi/runtime/sysfs.c).  The container must
# start, see the sandbox's links (and not the host's) in /sys/class/net
# and `ip link`, get a read-only /sys, and leave no sysfs mount on the host.
. "$(dirname "$0")/70-runtime-common.sh"

chmod 711 "$T"
U=1100000000
NS=sdc41-$$
ip netns add "$NS" || fail "ip netns add"
trap 'ip netns del "$NS" 2>/dev/null; rt_cleanup' EXIT INT TERM
ip netns exec "$NS" ip link add sbx41 type bridge || fail "a link in the sandbox"

out=$(run u1 -U $U:$U:65536 -N "/run/netns/$NS" -- sh -c \
	'ls /sys/class/net | tr "\n" " "; echo; ip -o link | cut -d: -f2; \
	 touch /sys/x 2>&1; grep " /sys " /proc/mounts') ||
	fail "the container did not run: $out"
echo "$out"
echo "$out" | grep -q "^lo sbx41 $" || fail "/sys/class/net is not the sandbox's"
echo "$out" | grep -q "sbx41" || fail "ip link does not show the sandbox's link"
host_if=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
echo "$out" | grep -qw "$host_if" && fail "the host's $host_if is visible"
echo "$out" | grep -q "Read-only file system" || fail "/sys is writable"
echo "$out" | grep -q "^sysfs /sys sysfs ro," || fail "/sys is not a read-only sysfs"
ok "sandbox's sysfs in a userns container"

grep -q "$T/zones/u1/sysfs" /proc/mounts && fail "the host keeps the sysfs mount"
ok "no sysfs mount left on the host"

# Without -N, nothing changes: a fresh namespace with only lo.
out=$(run u2 -U $U:$U:65536 -- ls /sys/class/net) || fail "plain userns run: $out"
[ "$(echo $out)" = "lo" ] || fail "a fresh namespace shows $out"
ok "no -N: a fresh namespace"
