#!/bin/sh
# The user namespace and seccomp filter at the runtime's level (sdc-node
# create -U): the container's ids as the host sees them, the shared layer
# seen through an idmapped mount, the writable layer owned by the range,
# the same after a reboot took the mounts (tmpfs writable layer included),
# exec in the same namespaces, and nothing left in the mount table.
. "$(dirname "$0")/70-runtime-common.sh"

# runc's init runs as the mapped root, which must walk to the bundle.
chmod 711 "$T"
U=1100000000
chown 1000:1000 "$LAYER/home/app"
echo app >"$LAYER/home/app/owned"
chown 1000:1000 "$LAYER/home/app/owned"

out=$(run u1 -U $U:$U:65536 -- sh -c 'cat /proc/self/uid_map; id -u; ls -ln /home/app/owned; echo x >/w; grep ^Seccomp: /proc/self/status')
echo "$out" | grep -Eq "^ +0 +$U +65536$" || fail "uid_map: $out"
echo "$out" | grep -q "^0$" || fail "container root is not 0 inside: $out"
echo "$out" | grep -Eq " 1000 +1000 .*/home/app/owned" || fail "image ownership: $out"
echo "$out" | grep -q "^Seccomp:.2" || fail "no seccomp filter: $out"
[ "$(stat -c %u:%g "$ZONES/u1/rw/upper/w")" = "$U:$U" ] || fail "upper file owner"
[ "$(stat -c %u "$LAYER/home/app/owned")" = 1000 ] || fail "the shared layer changed"
grep -q "\"hostID\": $U" "$ZONES/u1/config.json" || fail "no uidMappings"
node delete u1 || fail "delete u1"
assert_gone u1
ok "container ids are the range's, layers shared through an idmapped mount"

out=$(run u3 -h boxname -U $U:$U:65536 -- sh -c 'echo x >/dev/null && echo devnull; \
	awk "\$2 == \"/dev/mqueue\" || \$2 == \"/sys\" || \$2 == \"/dev/pts\" {print \$3}" /proc/mounts | sort | tr "\n" " "; echo; \
	cat /etc/hostname; echo "10.0.0.1 added" >>/etc/hosts && echo hosts-writable; ls /sys/kernel >/dev/null && echo sysfs')
for want in devnull "devpts mqueue sysfs " boxname hosts-writable sysfs; do
	echo "$out" | grep -qx "$want" || fail "'$want' missing: $out"
done
node delete u3 || fail "delete u3"
ok "/dev, /dev/pts, mqueue, sysfs, /etc/hosts and /etc/hostname work in the user namespace"

node create u2 -l "$LAYER" -d 8388608 -U $U:$U:65536 -- sleep 60 >/dev/null
umount "$ZONES/u2/root" && umount "$ZONES/u2/rw"
node start u2 >/dev/null || fail "start after the mounts went"
pid=$(state_of u2 pid)
[ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = $U ] || fail "init's host uid"
out=$(node exec u2 e1 -u 1000 -- sh -c 'cat /proc/self/uid_map; id -u; echo y >/home/app/new; ls -ln /home/app/owned')
echo "$out" | grep -Eq "^ +0 +$U +65536$" || fail "exec not in the userns: $out"
echo "$out" | grep -Eq " 1000 +1000 .*/home/app/owned" || fail "ownership after remount: $out"
[ "$(stat -c %u "$ZONES/u2/rw/upper/home/app/new")" = $((U + 1000)) ] || fail "exec's file owner"
node delete u2 -f || fail "delete u2"
assert_gone u2
ok "after a reboot the mounts come back idmapped; exec joins the namespaces"

! grep -q "$T" /proc/mounts || fail "mounts left: $(grep "$T" /proc/mounts)"
node create bad -l "$LAYER" -U 0:0:65536 -- true 2>"$T/err" && fail "mapping onto host root accepted"
grep -q "above 0" "$T/err" || fail "error: $(cat "$T/err")"
ok "a mapping onto host root is refused"
