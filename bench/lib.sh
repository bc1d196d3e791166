# bench/lib.sh: what the benchmark scripts share.  Source it; it sets
# TOP, BIN and a temporary BENCH_TMP removed on exit, and offers:
#
#   free_port                     a free loopback port
#   wait_port PORT                until something listens there
#   sapi_start                    sapi on its unix socket BENCH_TMP/sapi.sock,
#                                 SAPI_URL exported; sets SAPI_SOCK and
#                                 DOCKER_SVC (the docker service's uuid)
#   dockerd_start PORT [ARGS...]  Debian's dockerd on 127.0.0.1:PORT with all
#                                 its state under BENCH_TMP (sets DOCKERD_PID,
#                                 DOCKERD_SOCK); no bridge unless DOCKERD_NET=1
#                                 (then its docker0 and its userland proxy for
#                                 published ports); never its iptables rules,
#                                 which would change the host's FORWARD policy
#                                 under every other daemon
#   wrk_run URL                   wrk with the same settings for every peer;
#                                 sets WRK_RPS, WRK_P99_MS and WRK_CPU_US
#                                 (wrk's own CPU time per request)
#   wrk_measure URL PID           wrk_run, plus CPU_US: the server's CPU time
#                                 per request (steadier than requests/s on a
#                                 busy machine)
#   better A B                    true when A > B (numbers)
#   rss_kib PID                   resident memory of a process
#   ratio A B                     A/B with two decimals
#   cleanup_add CMD               run CMD at exit (processes to stop)
#   need CMD...                   exit 1, naming it, when a command is missing

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SDC_BIN:-$TOP/${BUILD:-build}/bin}
BENCH_TMP=$(mktemp -d /tmp/sdc-bench.XXXXXX)
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-50}
WRK_SECS=${WRK_SECS:-5}
_cleanups=""

cleanup_add() { _cleanups="$1; $_cleanups"; }
_bench_exit() {
	eval "$_cleanups" 2>/dev/null
	rm -rf "$BENCH_TMP"
}
trap _bench_exit EXIT INT TERM

# `make bench` installs what the benchmarks use; run by hand, a missing
# tool would otherwise show as zeros and a ratio of inf.
need() {
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 && continue
		echo "$(basename "$(dirname "$0")"): $_c is not installed (make bench installs it)" >&2
		exit 1
	done
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

sapi_start() {
	SAPI_SOCK=$BENCH_TMP/sapi.sock
	export SAPI_URL=unix:$SAPI_SOCK
	"$BIN/sapi" --listen "$SAPI_URL" --data-dir "$BENCH_TMP/sapi" \
		--bootstrap "$TOP/etc/sapi-bootstrap.yaml" 2>"$BENCH_TMP/sapi.log" &
	cleanup_add "kill $!"
	i=0
	while ! curl -sf --unix-socket "$SAPI_SOCK" http://sapi/ping >/dev/null; do
		i=$((i + 1))
		[ $i -gt 300 ] && { echo "sapi does not answer on $SAPI_SOCK" >&2; return 1; }
		sleep 0.1
	done
	DOCKER_SVC=$(curl -s --unix-socket "$SAPI_SOCK" "http://sapi/services?name=docker" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["uuid"])')
}

wait_port() {
	i=0
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 300 ] && { echo "nothing listens on port $1" >&2; return 1; }
		sleep 0.1
	done
}

dockerd_start() {
	port=$1; shift
	command -v dockerd >/dev/null || { echo "dockerd missing: make bench installs docker.io" >&2; return 1; }
	DOCKERD_SOCK=$BENCH_TMP/docker.sock
	mkdir -p "$BENCH_TMP/dockerd"
	[ "${DOCKERD_NET:-0}" = 1 ] || set -- --bridge=none "$@"
	dockerd --data-root "$BENCH_TMP/dockerd/root" --exec-root "$BENCH_TMP/dockerd/exec" \
		--pidfile "$BENCH_TMP/dockerd/pid" -H "unix://$DOCKERD_SOCK" \
		-H "tcp://127.0.0.1:$port" --iptables=false --ip6tables=false "$@" >"$BENCH_TMP/dockerd/log" 2>&1 &
	DOCKERD_PID=$!
	cleanup_add "kill $DOCKERD_PID; wait $DOCKERD_PID"
	wait_port "$port" || { tail -20 "$BENCH_TMP/dockerd/log" >&2; return 1; }
}

# wrk prints "Requests/sec: N" and, with --latency, "99%  1.23ms".
wrk_run() {
	out=$({ TIMEFORMAT='wrk-cpu %U %S'; time wrk -t"$WRK_THREADS" \
		-c"$WRK_CONNS" -d"${WRK_SECS}s" --latency "$@"; } 2>&1)
	WRK_RPS=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
	WRK_CPU_US=$(printf '%s\n' "$out" | awk -v r="$WRK_RPS" -v s="$WRK_SECS" \
		'$1 == "wrk-cpu" { printf "%.1f", (r > 0 ? ($2 + $3) * 1e6 / (r * s) : 0) }')
	WRK_P99_MS=$(printf '%s\n' "$out" | awk '$1 == "99%" {
		v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; print v }')
	errors=$(printf '%s\n' "$out" | awk '/Non-2xx|Socket errors/')
	[ -n "$errors" ] && echo "    wrk: $errors" >&2
	return 0
}

better() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
wrk_measure() {
	_t0=$(_cpu_ticks "$2")
	wrk_run "$1"
	_t1=$(_cpu_ticks "$2")
	CPU_US=$(awk -v t="$((_t1 - _t0))" -v hz="$(getconf CLK_TCK)" -v r="$WRK_RPS" \
		-v s="$WRK_SECS" 'BEGIN { printf "%.1f", (r > 0 ? t / hz * 1e6 / (r * s) : 0) }')
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# On a machine whose cores the load generator shares, a server that cost
# nothing would still leave wrk's own CPU per request: requests/s can then
# beat a peer by at most (wrk + peer) / wrk.  Prints that ceiling.
wrk_ceiling() { awk -v w="$1" -v p="$2" 'BEGIN { printf "%.2f", (w > 0 ? (w + p) / w : 0) }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.2f", a / b }'; }
