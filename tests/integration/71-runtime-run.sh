#!/bin/sh
# Containers run by libsdcnode under runc: output in stdio.log as Docker's
# json-file lines, exit codes as the process's own, limits and identity
# inside, and a delete that leaves nothing behind.
. "$(dirname "$0")/70-runtime-common.sh"

out=$(run hi -- echo hi) || fail "echo hi exited $?"
[ "$out" = hi ] || fail "echo hi printed '$out'"
grep -Eq '^\{"log":"hi\\n","stream":"stdout","time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z"\}$' \
	"$ZONES/hi/logs/stdio.log" || fail "stdio.log: $(cat "$ZONES/hi/logs/stdio.log")"
[ "$(state_of hi status)" = exited ] && [ "$(state_of hi exit_code)" = 0 ] ||
	fail "state of hi: $(node state hi)"
ok "echo hi: json-file line, exit 0"

rc=0; run three -- sh -c 'echo out; echo err >&2; exit 3' >/dev/null 2>&1 || rc=$?
[ $rc = 3 ] || fail "exit 3 gave $rc"
grep -q '"log":"err\\n","stream":"stderr"' "$ZONES/three/logs/stdio.log" || fail "stderr not logged"
ok "exit 3 is 3, stderr logged as stderr"

# A signal death: SIGKILL from outside (the init of a pid namespace cannot
# be killed by SIGKILL from inside it, with runc as with dockerd).
node create nine -l "$LAYER" -- sleep 60 >/dev/null
node start nine >/dev/null
node kill nine KILL
[ "$(node wait nine 5000)" = 137 ] || fail "SIGKILL gave $(node state nine)"
[ "$(state_of nine signal)" = 9 ] || fail "signal not recorded"
rc=0; run inner -- sh -c 'sh -c "kill -KILL \$\$"; exit $?' 2>/dev/null || rc=$?
[ $rc = 137 ] || fail "sh killed inside gave $rc"
ok "killed by SIGKILL: 137"

out=$(run limits -m 67108864 -p 32 -q 50000 -- sh -c \
	'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max;
	 cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max;
	 cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max') ||
	fail "limits container failed: $out"
[ "$(echo "$out" | tr '\n' ' ')" = "67108864 32 50000 " ] || fail "limits inside: $out"
ok "memory, pids and cpu limits visible inside"

out=$(run who -u app -w /home/app -h box -e FOO=bar -- sh -c \
	'id -u; id -g; id -G; pwd; hostname; echo $FOO $HOME; cat /etc/hostname') || fail "who: $out"
[ "$(echo "$out" | tr '\n' ' ')" = "1000 1000 1000 10 /home/app box bar /home/app box " ] ||
	fail "identity inside: $out"
rc=0; out=$(run nouser -u nobody -- true 2>&1) || rc=$?
echo "$out" | grep -q "unable to find user nobody" || fail "unknown user: $out"
ok "user by name with groups, cwd, hostname, env"

out=$(run net -- sh -c 'echo $(ls /sys/class/net); readlink /proc/1/ns/pid') || fail "net: $out"
[ "$(echo "$out" | head -1)" = "lo" ] || fail "interfaces: $out"
[ "$(echo "$out" | tail -1)" != "$(readlink /proc/1/ns/pid)" ] || fail "same pid namespace"
ok "own network namespace with loopback only, own pid namespace"

rc=0; out=$(run nope -- /no/such/thing 2>&1) || rc=$?
[ $rc = 127 ] && echo "$out" | grep -q "no such file or directory" || fail "bad command: $rc $out"
[ "$(state_of nope status)" = created ] || fail "failed start changed state"
ok "a failed start reports runc's error, exit code 127: $out"

mkdir -p "$T/vol"
echo from-host >"$T/vol/f"
out=$(run vol -v "$T/vol:/data" -- sh -c 'cat /data/f; echo from-container >/data/g') || fail "vol: $out"
[ "$out" = from-host ] && [ "$(cat "$T/vol/g")" = from-container ] || fail "bind mount: $out"
ok "bind mount of a volume"

out=$(run disk -d 4194304 -- sh -c 'dd if=/dev/zero of=/big bs=1M count=8 2>&1; echo rc=$?') || true
echo "$out" | grep -q "No space left" || fail "disk limit not enforced: $out"
ok "writable layer limited by tmpfs size"

[ ! -e "$ZONES/nouser" ] || fail "a failed create left its folder"
for c in hi three nine inner limits who net nope vol disk; do
	node delete "$c" || fail "delete $c"
	assert_gone "$c"
done
[ "$(node list)" = "" ] || fail "list after deletes: $(node list)"
ok "deletes leave no folder, mount, cgroup, monitor or runc state"
