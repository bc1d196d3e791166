#!/bin/sh
# bench/pss.sh: what the daemons cost in memory, as PSS.
#
# PSS (proportional set size) counts a private page whole and a shared
# page divided by the number of processes mapping it, so a shared
# library's pages are charged once across the machine rather than to
# every process, as RSS does.  That is the figure to compare (with
# dockerd's, when it runs): a library linked shared costs RSS in every
# process but PSS only in proportion.
#
#   bench/pss.sh            PSS and RSS of every running dockerapi, sapi
#                           and dockerd (read from /proc/PID/smaps_rollup)
#   bench/pss.sh --start    start sapi and dockerapi of $BUILD/bin idle on
#                           free ports in a temporary folder, print theirs,
#                           stop them.  dockerd is never started here.
#                           PSS_MAPS=1: dockerapi's PSS by mapped file too.
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${SDC_BIN:-$top/$BUILD/bin}

# name pid: one line "name pid PSS RSS" (KiB)
show() {
	awk -v n="$1" -v p="$2" '/^Rss:/ { rss = $2 } /^Pss:/ { pss = $2 }
	    END { printf "%-10s %7s  PSS %6d KiB  RSS %6d KiB\n", n, p, pss, rss }' \
	    "/proc/$2/smaps_rollup"
}

running() {
	found=0
	for name in dockerapi sapi dockerd; do
		for pid in $(pgrep -x "$name"); do
			show "$name" "$pid" && found=1
		done
	done
	[ $found -eq 1 ] || echo "no dockerapi, sapi or dockerd running" >&2
}

# pid: its PSS by mapped file, largest first (PSS_MAPS=1 with --start)
maps() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { n = ($6 == "" ? "[anon]" : $6) }
	    /^Pss:/ { pss[n] += $2 }
	    END { for (n in pss) if (pss[n] > 0) printf "%7d KiB  %s\n", pss[n], n }' \
	    "/proc/$1/smaps" | sort -rn | head -n 30
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait until cond (a command) holds, up to 10 s.
wait_for() {
	i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "timed out waiting for: $*" >&2; return 1; }
		sleep 0.1
	done
}

start() {
	tmp=$(mktemp -d /tmp/sdc-pss.XXXXXX)
	dport=$(free_port) cport=$(free_port)
	"$bin/sapi" --listen "unix:$tmp/sapi.sock" --data-dir "$tmp/sapi" \
	    --bootstrap "$top/etc/sapi-bootstrap.yaml" >"$tmp/sapi.log" 2>&1 &
	sapi=$!
	wait_for test -S "$tmp/sapi.sock" || { kill "$sapi"; exit 1; }
	"$bin/dockerapi" --data-dir "$tmp/dockerapi" \
	    --sapi-url "unix:$tmp/sapi.sock" --listen "127.0.0.1:$dport" \
	    --cloudapi-listen "127.0.0.1:$cport" \
	    --admin-socket "$tmp/admin.sock" --zones "$tmp/zones" \
	    >"$tmp/dockerapi.log" 2>&1 &
	dockerapi=$!
	# idle: both answer, and dockerapi's config watch is on SAPI
	wait_for test -S "$tmp/admin.sock" &&
	    wait_for curl -sf --unix-socket "$tmp/admin.sock" http://x/ping \
	    -o /dev/null
	sleep 1
	[ -n "${PSS_MAPS:-}" ] && maps "$dockerapi"
	show dockerapi "$dockerapi"
	show sapi "$sapi"
	for pid in $(pgrep -x dockerd); do
		show dockerd "$pid"
	done
	kill -TERM "$dockerapi" "$sapi"
	wait "$dockerapi" "$sapi" 2>/dev/null
	rm -rf "$tmp"
}

case "${1:-}" in
--start) start ;;
"") running ;;
*) echo "usage: bench/pss.sh [--start]" >&2; exit 2 ;;
esac
