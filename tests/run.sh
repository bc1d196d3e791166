#!/bin/bash
# Runs every test: the cmocka unit tests in $BUILD/tests, then the
# integration tests in tests/integration (executables; exit 0 = pass,
# anything else = fail).  There is no skip: `make test` installs all a
# test needs, so a test that cannot run (a tool or a built binary missing)
# fails and says what it missed.  Ends with the total time, the ten
# slowest tests and one line "N passed, N failed", and exits non-zero on
# any failure.
#
#   tests/run.sh [PATTERN]   only the tests whose name contains PATTERN
#   TEST_JOBS=N              tests run at once (default 2; 1: one by one)
#
# Most tests spend their time waiting (on a daemon, a container, a
# registry), so two run at once, each with its own temporary folders,
# ports and daemons, its result printed when it ends.  What they share on
# the host decides which may run together:
#   net    (the default, for any test not named below) may make bridges,
#          veths, nftables elements and containers: one at a time, since
#          two daemons can hand out the same subnet before either has made
#          its bridge;
#   free   touches nothing of the host's networking and starts no
#          container through a daemon: runs beside anything but "alone";
#   alone  times something a busy neighbour would slow (a DoS test's
#          "still served within 2 s", a reload seen within 1.5 s, a
#          container's networking made in under 60 ms) or
#          starts Debian's dockerd: runs with nothing else.
# A new test is "net" until it is listed as "free".
set -u
BUILD=${BUILD:-build}
export BUILD
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export SDC_TOP="$top" SDC_BIN="$top/$BUILD/bin"
pattern=${1:-}
jobs=${TEST_JOBS:-2}
passed=0 failed=0 failures=""
suite_start=$(date +%s)
logdir="$top/$BUILD/test-logs"
mkdir -p "$logdir"

class_of() { # name
	case "$1" in
	69-images-api-dockerd.py|96-isolation-dos-*|55-dockerapi.py|\
	40-net-plumbing.sh) echo alone ;;
	test_*|2[0-4]-*|3[0-5]-*|50-setup-script.sh|6[0-4]-images-*|\
	66-images-api-login.py|68-images-api-refusals.py|7[0-5]-runtime-*|\
	8[0-4]-adm-*.sh) echo free ;;
	*) echo net ;;
	esac
}

# The queue, in order: unit tests, then integration tests by name.
names=() paths=() classes=()
for t in "$BUILD"/tests/test_* tests/integration/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=$(basename "$t")
	case "$name" in *"$pattern"*) ;; *) continue ;; esac
	# one at a time: all in one class, so in name order
	if [ "$jobs" -le 1 ]; then class=net; else class=$(class_of "$name"); fi
	names+=("$name") paths+=("$t") classes+=("$class")
done

declare -A job_name job_start job_class
running=0 net=0 alone=0

report() { # name, exit status, seconds
	echo "$3 $1" >>"$logdir/times"
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1)); echo "PASS  $1 ($3s)"
	else
		failed=$((failed + 1)); failures="$failures $1"
		echo "FAIL  $1 (exit $2, $3s); last lines of $logdir/$1.log:"
		tail -n 25 "$logdir/$1.log" | sed 's/^/    /'
	fi
}

may_start() { # class
	[ "$running" -lt "$jobs" ] && [ "$alone" -eq 0 ] || return 1
	case "$1" in
	alone) [ "$running" -eq 0 ] ;;
	net) [ "$net" -eq 0 ] ;;
	*) true ;;
	esac
}

start() { # index
	local name=${names[$1]} class=${classes[$1]} pid
	timeout 600 "${paths[$1]}" >"$logdir/$name.log" 2>&1 </dev/null &
	pid=$!
	job_name[$pid]=$name job_start[$pid]=$(date +%s) job_class[$pid]=$class
	running=$((running + 1))
	case "$class" in net) net=1 ;; alone) alone=1 ;; esac
}

reap() { # waits for one test to end and reports it
	local pid rc
	wait -n -p pid
	rc=$?
	case "${job_class[$pid]}" in net) net=0 ;; alone) alone=0 ;; esac
	running=$((running - 1))
	report "${job_name[$pid]}" "$rc" $(( $(date +%s) - ${job_start[$pid]} ))
	unset "job_name[$pid]" "job_start[$pid]" "job_class[$pid]"
}

: >"$logdir/times"
# Each round starts the first waiting test that may start, in queue order
# (so a test waiting for its turn does not hold back the ones after it),
# or else waits for a running one to end.  The "net" tests, which run one
# at a time, go first: they are the longest chain, the "free" ones fill
# the other slots, the "alone" ones come when nothing else is left.
left=${#names[@]}
declare -A done_
while [ "$left" -gt 0 ] || [ "$running" -gt 0 ]; do
	started=0
	for want in net free alone; do
		for i in "${!names[@]}"; do
			[ -z "${done_[$i]:-}" ] && [ "${classes[$i]}" = "$want" ] ||
			    continue
			if may_start "$want"; then
				start "$i"
				done_[$i]=1 left=$((left - 1)) started=1
			fi
			break
		done
		[ "$started" -eq 1 ] && break
	done
	[ "$started" -eq 1 ] || reap
done

echo "total $(( $(date +%s) - suite_start ))s; the slowest:"
sort -rn "$logdir/times" | head -n 10 | sed 's/^\([0-9]*\) \(.*\)/  \1s  \2/'
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
