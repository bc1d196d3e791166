#!/bin/sh
# Operations on running containers: kill with a signal the process traps,
# pause/resume through the freezer, exec with its own exit code, stats and
# top from the cgroup, OOM recorded, restart of an exited container, rm -f
# of a running one, and the monitor's resident memory.
. "$(dirname "$0")/70-runtime-common.sh"

node create trap -l "$LAYER" -e GREETING=hello -- sh -c \
	'trap "echo got HUP" HUP; echo up; while true; do sleep 0.05; done' >/dev/null
node start trap >/dev/null
wait_for grep -q '"log":"up' "$ZONES/trap/logs/stdio.log" || fail "trap did not start"
node kill trap HUP
wait_for grep -q '"log":"got HUP' "$ZONES/trap/logs/stdio.log" || fail "HUP not seen"
ok "SIGHUP reaches the process, which logs it"

mpid=$(state_of trap monitor_pid)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$mpid/status")
echo "monitor VmRSS: $rss kB"
if ldd "$SDC_BIN/sdc-docker-monitor" >/dev/null 2>&1; then
	ok "monitor resident memory $rss kB (a dynamic, sanitizer build: no limit)"
else
	[ "$rss" -lt 1024 ] || fail "monitor resident memory $rss kB >= 1 MiB"
	ok "monitor resident memory under 1 MiB ($rss kB)"
fi

node pause trap
[ "$(state_of trap status)" = paused ] || fail "not paused: $(node state trap)"
before=$(wc -l <"$ZONES/trap/logs/stdio.log")
node kill trap HUP
sleep 0.3
[ "$(wc -l <"$ZONES/trap/logs/stdio.log")" = "$before" ] || fail "a paused container ran"
node resume trap
[ "$(state_of trap status)" = running ] || fail "not resumed"
wait_for sh -c "[ \$(grep -c 'got HUP' '$ZONES/trap/logs/stdio.log') = 2 ]" || fail "no HUP after resume"
ok "pause freezes (a signal waits), resume thaws"

out=$(node exec trap e1 -e EXTRA=1 -- sh -c 'echo "$GREETING $EXTRA"; exit 7' </dev/null) && rc=0 || rc=$?
[ "$out" = "hello 1" ] && [ $rc = 7 ] || fail "exec: '$out' rc=$rc"
node exec trap e2 -u app -- id -u </dev/null | grep -qx 1000 || fail "exec as user"
grep -q "hello 1" "$ZONES/trap/logs/stdio.log" && fail "exec output went to the container log"
ok "exec echo: output, exit code 7, container env, user"

node stats trap >"$T/stats"
grep -q '^pids_current=[1-9]' "$T/stats" && grep -q '^memory_usage=[1-9]' "$T/stats" &&
	grep -q '^cpu_total_ns=[1-9]' "$T/stats" || fail "stats: $(cat "$T/stats")"
node top trap >"$T/top"
grep -q "while true" "$T/top" && grep -q "sleep 0.05" "$T/top" || fail "top: $(cat "$T/top")"
ok "stats and top from the cgroup"

# The monitor killed outright: the container keeps running and says so.
kill -9 "$mpid"
sleep 0.1
[ "$(state_of trap status)" = running ] && [ "$(state_of trap monitor_alive)" = 0 ] ||
	fail "after the monitor died: $(node state trap)"
node delete trap -f || fail "rm -f"
assert_gone trap
ok "a dead monitor's container shows running; rm -f removes it all"

node create oom -l "$LAYER" -m 16777216 -- sh -c 'x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived' >/dev/null
rc=0; node start oom -a </dev/null >/dev/null 2>&1 || rc=$?
[ "$(state_of oom oom_killed)" = 1 ] || fail "OOM not recorded (rc $rc): $(node state oom)"
ok "OOM kill recorded (exit $rc)"

node create again -l "$LAYER" -- sh -c 'echo run; exit 4' >/dev/null
for i in 1 2 3; do
	rc=0; node start again -a </dev/null >/dev/null || rc=$?
	[ $rc = 4 ] || fail "run $i of again exited $rc"
done
[ "$(grep -c '"log":"run' "$ZONES/again/logs/stdio.log")" = 3 ] || fail "restart log"
ok "an exited container starts again, appending to its log"

# As after a reboot: the mounts are gone; a start mounts them again.
node create boot -l "$LAYER" -d 8388608 -- cat /etc/hostname >/dev/null
umount "$ZONES/boot/root" && umount "$ZONES/boot/rw"
[ "$(node start boot -a </dev/null)" = boot ] || fail "start after the mounts went"
grep -q "$ZONES/boot/rw tmpfs" /proc/mounts || fail "tmpfs not mounted again"
ok "a start mounts the root and the writable layer again"

run sized -- sh -c 'head -c 300000 /dev/zero >/file' >/dev/null
run sizedt -d 8388608 -- sh -c 'head -c 300000 /dev/zero >/file' >/dev/null
for c in sized sizedt; do
	s=$(node size $c)
	[ "$s" -ge 300000 ] && [ "$s" -lt 1000000 ] || fail "size of $c's writable layer: $s"
done
ok "writable layer size, on disk and on tmpfs"

node create busy -l "$LAYER" -- sleep 60 >/dev/null
node start busy >/dev/null
node delete busy 2>/dev/null && fail "deleted a running container without force"
node delete busy -f || fail "rm -f busy"
for c in oom again boot sized sizedt busy; do
	[ -e "$ZONES/$c" ] && node delete "$c"
	assert_gone "$c"
done
ok "running container refused without force; all cleaned up"
