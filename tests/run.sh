#!/bin/bash
# Runs every test: the cmocka unit tests in $BUILD/tests, then the
# integration tests in tests/integration (executables; exit 0 = pass,
# anything else = fail; the NN-*-common.py files there are the fixtures
# and helpers tests import, not executable, so not run: a test whose
# fixture another test builds on keeps its checks in a class of its own,
# so that they run once).  There is no skip: `make test` installs all a
# test needs, so a test that cannot run (a tool or a built binary missing)
# fails and says what it missed.  Ends with the total time, the ten
# slowest tests and one line "N passed, N failed", and exits non-zero on
# any failure.
#
#   tests/run.sh [PATTERN]   only the tests whose name contains PATTERN
#   TEST_JOBS=N              tests run at once (default 2; 1: one by one)
#   TEST_CLASS=net|free|alone  only the tests of that class (below)
#   SDC_TEST_STORE=postgres  the tests that start a daemon with a store
#                            (through sdctest.py or 30-sapi-common.py, and
#                            the store's unit test), each daemon on a
#                            throw-away PostgreSQL: `make test-postgres`
#   SDC_TEST_NODE=agent      each test daemon (sdctest.Daemons) with one
#                            sdc-docker-agent beside its head, as `make run`
#                            starts them, so its containers are made and run
#                            by the agent: `make test-agent` (the tests of
#                            nodes, which start agents of their own, as
#                            they are; docs/architecture.md, "One code
#                            path", says which tests still fail and why)
#   TEST_PG=store            besides every test on SQLite, the ones that
#                            exercise the store most (store_heavy below)
#                            again on PostgreSQL, as NAME@postgres, in the
#                            same queue: `make test`
#
# Most tests spend their time waiting (on a daemon, a container, a
# registry), so two run at once, each with its own temporary folders,
# ports and daemons, its result printed when it ends.  What they share on
# the host decides which may run together:
#   net    (the default, for any test not named below) may make bridges,
#          veths, nftables elements and containers: each test daemon
#          (sdctest.Daemons) takes a slot of its own, whose subnet pools,
#          ephemeral host ports and test-picked published ports no other
#          test's daemon uses, and link and nftables names come from random
#          ids, so these run beside each other too;
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

class_of() { # name: sets class
	case "$1" in
	69-images-api-dockerd.py|96-isolation-dos-*|55-dockerapi.py|\
	40-net-plumbing.sh) class=alone ;;
	test_*|2[0-4]-*|3[0-5]-*|50-setup-script.sh|6[0-4]-images-*|\
	66-images-api-login.py|68-images-api-refusals.py|7[0-5]-runtime-*|\
	8[0-4]-adm-*.sh) class=free ;;
	*) class=net ;;
	esac
}

# Whether a test starts daemons whose store SDC_TEST_STORE moves: the
# store's unit test, and the Python tests that start them through
# sdctest.py or 30-sapi-common.py (directly or through a -common module).
has_store() { # path
	case "${1##*/}" in
	test_store*) return 0 ;;
	test_*|*.sh) return 1 ;;
	esac
	grep -q 'sdctest\|-common' "$1"
}

# The tests run again on PostgreSQL by `make test` (TEST_PG=store): those
# whose checks lean on the store's SQL (IPAM and leases under the
# networks' lock, ports, volumes, quotas, removal marks, the admin's
# queries, sapi's API), about a fifth of the suite's time.  The whole
# suite on PostgreSQL is `make test-postgres`.
store_heavy() { # name
	case "$1" in
	3[1-4]-sapi-*|42-networks-api.py|44-networks-sweep.py|48-volumes.py|\
	85-adm-commands.py|86-adm-containers.py|93-isolation-limits.py|\
	95-isolation-leaks.py|97-isolation-sapi.py) return 0 ;;
	38-nodes-ops.py) return 0 ;;    # exits handed over by the store
	esac
	return 1
}

case "${SDC_TEST_STORE:-sqlite}" in
postgres|postgresql) pg_only=1 ;;
*) pg_only=0 ;;
esac

# The queue, in order: unit tests, then integration tests by name.
names=() paths=() classes=() stores=()
queue() { # path, name, store
	names+=("$2") paths+=("$1") classes+=("$class") stores+=("$3")
}
for t in "$BUILD"/tests/test_* tests/integration/*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=${t##*/}
	case "$name" in *"$pattern"*) ;; *) continue ;; esac
	class_of "$name"
	[ -z "${TEST_CLASS:-}" ] || [ "$class" = "$TEST_CLASS" ] || continue
	if [ "$pg_only" = 1 ]; then
		has_store "$t" && queue "$t" "$name" postgres
		continue
	fi
	queue "$t" "$name" sqlite
	if [ "${TEST_PG:-}" = store ] && store_heavy "$name"; then
		queue "$t" "$name@postgres" postgres
	fi
done

declare -A job_name job_start job_class
running=0 alone=0

report() { # name, exit status, seconds
	echo "$3 $1" >>"$times"
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
	*) true ;;
	esac
}

start() { # index
	local name=${names[$1]} class=${classes[$1]} pid
	SDC_TEST_STORE=${stores[$1]} timeout 600 "${paths[$1]}" \
	    >"$logdir/$name.log" 2>&1 </dev/null &
	pid=$!
	job_name[$pid]=$name job_start[$pid]=$(date +%s) job_class[$pid]=$class
	running=$((running + 1))
	case "$class" in alone) alone=1 ;; esac
}

reap() { # waits for one test to end and reports it
	local pid rc
	wait -n -p pid
	rc=$?
	case "${job_class[$pid]}" in alone) alone=0 ;; esac
	running=$((running - 1))
	report "${job_name[$pid]}" "$rc" $(( $(date +%s) - ${job_start[$pid]} ))
	unset "job_name[$pid]" "job_start[$pid]" "job_class[$pid]"
}

# this run's times (another run may share the folder), kept as
# $logdir/times at the end
times=$(mktemp "$logdir/times.XXXXXX")
# How long each test takes: tests/durations (a whole `make test`'s times,
# two at a time on 2 cores, kept with the tests, so that a fresh clone
# has them too: after a whole run, `sort -k2 $BUILD/test-logs/times`
# renews it), then what this build's earlier runs measured
# ($logdir/durations), the later one of a test's times kept.  The
# longest start first, "net" and "free" alike (a lane that ends with a
# long test waits alone for it), so that the two lanes end together; a
# test timed nowhere goes first.
declare -A took
for f in tests/durations "$logdir/durations"; do
	[ -f "$f" ] || continue
	while read -r secs name; do took[$name]=$secs; done <"$f"
done
order=()
if [ "$jobs" -le 1 ]; then	# one by one: in name order
	order=("${!names[@]}")
else
	for want in others alone; do
		while read -r _ i; do
			order+=("$i")
		done < <(for i in "${!names[@]}"; do
			case "$want:${classes[$i]}" in
			alone:alone|others:net|others:free)
				echo "${took[${names[$i]}]:-100000} $i" ;;
			esac
		done | sort -s -k1,1nr)
	done
fi

# Each round starts the first waiting test of the order if it may start
# ("alone" ones wait until nothing runs), or else waits for a running one
# to end.  The "alone" ones come last, once the others are done.
left=${#order[@]} next=0
while [ "$left" -gt 0 ] || [ "$running" -gt 0 ]; do
	if [ "$left" -gt 0 ] && may_start "${classes[${order[$next]}]}"; then
		start "${order[$next]}"
		next=$((next + 1)) left=$((left - 1))
	else
		reap
	fi
done
# the durations of this run replace the earlier ones of the same tests
{
	cat "$times"
	if [ -f "$logdir/durations" ]; then
		awk 'NR == FNR { seen[$2] = 1; next } !($2 in seen)' \
		    "$times" "$logdir/durations"
	fi
} >"$logdir/durations.new" && mv "$logdir/durations.new" "$logdir/durations"

echo "total $(( $(date +%s) - suite_start ))s; the slowest:"
mv "$times" "$logdir/times"
sort -rn "$logdir/times" | head -n 10 | sed 's/^\([0-9]*\) \(.*\)/  \1s  \2/'
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
