#!/bin/sh
# libsdcnet's plumbing for real (dockerapi/net/, through tests/net-driver),
# inside a network namespace of the test's own that plays the host, so
# its links, nftables and ip_forward are nobody else's: three networks
# (one --internal), five sandboxes, an "outside" namespace behind the
# host's eth0 playing another machine.  Checked with ip, nft and small
# TCP servers/clients inside the namespaces: same-network reach, nothing
# across networks, nothing to the host but DNS on the own gateway,
# outbound NAT, published ports from the host (127.0.0.1, eth0's address)
# and from outside, an internal network with no way out, no link-local,
# an iptables-nft FORWARD policy DROP (Docker's) not undoing any of it;
# then detach, destroy and sweep leave nothing.  Prints the cost of a
# sandbox + attach + destroy.
set -eu
: "${SDC_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
DRIVER=$SDC_TOP/$BUILD/tests/net-driver

[ "$(id -u)" = 0 ] || { echo "needs root (namespaces, links, nftables)"; exit 77; }
[ -x "$DRIVER" ] || { echo "no $DRIVER (make first)"; exit 77; }
[ -x /bin/busybox ] || { echo "no /bin/busybox (scripts/deps.sh test)"; exit 1; }
for c in ip nft nsenter python3; do
	command -v $c >/dev/null || { echo "no $c (scripts/deps.sh test)"; exit 1; }
done

T=$(mktemp -d /tmp/sdc-net40.XXXXXX)
RUN=$T/run
HOST=sdc40h-$$
OUT=sdc40o-$$
PIDS="" SEQ=0
fail() { echo "FAIL: $*" >&2; exit 1; }
START=$(date +%s)
ok() { echo "ok ($(( $(date +%s) - START ))s): $*"; }
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	h "$DRIVER" -r "$RUN" sweep - - >/dev/null 2>&1 || true
	for m in $(awk -v t="$T" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	ip netns del "$HOST" 2>/dev/null || true
	ip netns del "$OUT" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ip netns add "$HOST"
ip netns add "$OUT"
h() { nsenter --net="/run/netns/$HOST" "$@"; }
o() { nsenter --net="/run/netns/$OUT" "$@"; }
cn() { c=$1; shift; nsenter --net="$RUN/netns/$c" "$@"; }
drv() { h "$DRIVER" -r "$RUN" "$@"; }

# The "host" and another machine behind its eth0.
h ip link set lo up
h sh -c "echo 0 >/proc/sys/net/ipv4/ip_forward"
o ip link set lo up
h ip link add eth0 type veth peer name eth0 netns "/run/netns/$OUT"
h ip addr add 192.0.2.1/24 dev eth0
h ip link set eth0 up
o ip addr add 192.0.2.2/24 dev eth0
o ip addr add 169.254.7.7/32 dev eth0
o ip link set eth0 up
h ip route add 169.254.7.7/32 via 192.0.2.2

# Docker's iptables-nft table: FORWARD policy drop, DOCKER-USER first.
h nft -f - <<'NFT'
table ip filter {
	chain DOCKER-USER { }
	chain FORWARD { type filter hook forward priority filter; policy drop; jump DOCKER-USER; }
}
NFT

# Every server in one python process (one start: slow on a loaded host):
# for each NETNS,ADDR,PORT it joins the namespace, listens (a socket stays
# in its namespace), and answers each connection with the peer's address.
cat >"$T/servers.py" <<'PY'
import ctypes, os, selectors, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
sel = selectors.DefaultSelector()
for spec in sys.argv[2:]:
    ns, addr, port = spec.split(",")
    fd = os.open(ns, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:
        sys.exit("setns %s: %s" % (ns, os.strerror(ctypes.get_errno())))
    os.close(fd)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ)
open(sys.argv[1], "w").close()
while True:
    for key, _ in sel.select():
        c, a = key.fileobj.accept()
        c.sendall((a[0] + "\n").encode())
        c.close()
PY
# servers NETNS,ADDR,PORT...: all of them in the background, ready.
servers() {
	python3 "$T/servers.py" "$T/ready" "$@" &
	SERVERS=$!
	PIDS="$PIDS $SERVERS"
	for _ in $(seq 1 200); do [ -e "$T/ready" ] && return 0; sleep 0.05; done
	fail "servers did not start"
}
# get NS-COMMAND...: the server's answer (busybox nc: it starts fast), or
# a failure after a one-second connect timeout.
get() { "$@" /bin/busybox nc -w 1 "$ADDR" "$PORT" </dev/null 2>&1; }
reach() { ADDR=$1 PORT=$2; shift 2; out=$(get "$@") || fail "$* cannot reach $ADDR:$PORT: $out"; echo "$out"; }
noreach() { ADDR=$1 PORT=$2; shift 2; out=$(get "$@") && fail "$* reaches $ADDR:$PORT ($out)"; true; }

hex() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
N1=$(hex); N2=$(hex); N3=$(hex)
C1=$(hex); C2=$(hex); C3=$(hex); C4=$(hex); C5=$(hex)
br() { echo "sdc$(echo "$1" | cut -c1-12)"; }

drv bridge "$N1" 10.1.1.0/24 10.1.1.1 2>"$T/log"
grep -q "ip_forward was 0" "$T/log" || fail "ip_forward not logged: $(cat "$T/log")"
[ "$(h cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "ip_forward still 0"
drv bridge "$N2" 10.1.2.0/24 10.1.2.1
drv bridge "$N3" 10.1.3.0/24 10.1.3.1 internal
drv bridge "$N1" 10.1.1.0/24 10.1.1.1	# again: nothing changes
h ip -o link show "$(br "$N1")" | grep -q "[<,]UP[,>]" || fail "bridge 1 down"
h ip -br addr show "$(br "$N1")" | grep -q " 10.1.1.1/24" ||
	fail "bridge 1: $(h ip -br addr show "$(br "$N1")")"
[ "$(h ip -o addr show "$(br "$N1")" | grep -c 'inet ')" = 1 ] || fail "two gateway addresses"
ok "bridges with their gateways, ip_forward set and logged"

h nft list chain ip filter DOCKER-USER | grep -q 'iifname "sdc\*" accept comment "sdc-docker"' ||
	fail "no accept in DOCKER-USER: $(h nft list chain ip filter DOCKER-USER)"
drv bridge "$N2" 10.1.2.0/24 10.1.2.1
[ "$(h nft list chain ip filter DOCKER-USER | grep -c sdc-docker)" = 2 ] || fail "DOCKER-USER rules doubled"
ok "accept rules once in iptables-nft's DOCKER-USER"

for c in $C1 $C2 $C3 $C4 $C5; do
	p=$(drv sandbox "$c")
	[ "$p" = "$RUN/netns/$c" ] || fail "sandbox path $p"
done
[ "$(drv sandbox "$C1")" = "$RUN/netns/$C1" ] || fail "sandbox again"
cn "$C1" ip -br link show lo | grep -q UNKNOWN || fail "lo not up: $(cn "$C1" ip -br link)"
ok "five sandboxes, lo up"

P1=18081 P2=18082
drv attach "$C1" "$N1" 10.1.1.0/24 10.1.1.1 eth0 10.1.1.2 02:42:0a:01:01:02 route tcp:0.0.0.0:$P1:80
drv attach "$C2" "$N1" 10.1.1.0/24 10.1.1.1 eth0 10.1.1.3 02:42:0a:01:01:03 route tcp:127.0.0.1:$P2:80
drv attach "$C3" "$N2" 10.1.2.0/24 10.1.2.1 eth0 10.1.2.2 02:42:0a:01:02:02 route
drv attach "$C4" "$N2" 10.1.2.0/24 10.1.2.1 eth0 10.1.2.3 02:42:0a:01:02:03 route
drv attach "$C5" "$N3" 10.1.3.0/24 10.1.3.1 eth0 10.1.3.2 02:42:0a:01:03:02 route internal
drv attach "$C1" "$N2" 10.1.2.0/24 10.1.2.1 eth1 10.1.2.9 02:42:0a:01:02:09 noroute
drv detach "$C1" "$N2"
cn "$C1" ip link show eth1 >/dev/null 2>&1 && fail "eth1 still in the sandbox after detach"
drv attach "$C5" "$N3" 10.1.3.0/24 10.1.3.1 eth0 10.1.3.2 02:42:0a:01:03:02 route tcp:0.0.0.0:1:1 internal 2>"$T/err" &&
	fail "ports on an internal network accepted"
grep -q "internal" "$T/err" || fail "error: $(cat "$T/err")"
cn "$C1" ip -o addr show eth0 | grep -q "inet 10.1.1.2/24" || fail "C1 address: $(cn "$C1" ip -o addr)"
cn "$C1" ip link show eth0 | grep -q "02:42:0a:01:01:02" || fail "C1 MAC"
cn "$C1" ip route | grep -q "default via 10.1.1.1 dev eth0" || fail "C1 route: $(cn "$C1" ip route)"
h ip -o link show master "$(br "$N1")" | grep -c sdv | grep -q 2 || fail "two veths on bridge 1"
h ip -d link show | grep -q "alias sdc $C1 $N1" || fail "no alias on C1's veth"
ok "endpoints: address, MAC, route, veth on the bridge with its alias; detach; internal refuses ports"

ns=$RUN/netns H=/run/netns/$HOST O=/run/netns/$OUT
servers "$ns/$C2,0.0.0.0,7000" "$ns/$C3,0.0.0.0,7000" "$ns/$C4,0.0.0.0,7000" \
	"$H,0.0.0.0,7001" "$H,0.0.0.0,53" "$O,192.0.2.2,7002" "$O,169.254.7.7,7003" \
	"$ns/$C1,0.0.0.0,80" "$ns/$C2,0.0.0.0,80"
reach 10.1.1.3 7000 cn "$C1" >/dev/null
reach 10.1.2.3 7000 cn "$C3" >/dev/null
ok "same network reaches"
noreach 10.1.2.2 7000 cn "$C1"
noreach 10.1.1.3 7000 cn "$C3"
noreach 10.1.1.3 7000 cn "$C5"
ok "nothing across networks"

reach 10.1.1.1 7001 h >/dev/null
noreach 10.1.1.1 7001 cn "$C1"
noreach 192.0.2.1 7001 cn "$C1"
noreach 10.1.2.1 7001 cn "$C3"
ok "the host's other ports closed to containers"
reach 10.1.1.1 53 cn "$C1" >/dev/null
reach 10.1.2.1 53 cn "$C3" >/dev/null
noreach 10.1.2.1 53 cn "$C1"
noreach 10.1.1.1 53 cn "$C3"
ok "DNS (53) on the own gateway only"

src=$(reach 192.0.2.2 7002 cn "$C1")
[ "$src" = 192.0.2.1 ] || fail "outbound not masqueraded: seen from $src"
src=$(reach 192.0.2.2 7002 cn "$C3")
[ "$src" = 192.0.2.1 ] || fail "outbound of network 2 seen from $src"
ok "outbound NAT (through an iptables FORWARD policy drop)"
reach 169.254.7.7 7003 h >/dev/null
noreach 169.254.7.7 7003 cn "$C1"
ok "no link-local (169.254.0.0/16) from containers"
noreach 192.0.2.2 7002 cn "$C5"
noreach 10.1.3.1 7001 cn "$C5"
ok "an internal network has no way out"

reach 127.0.0.1 $P1 h >/dev/null
reach 192.0.2.1 $P1 h >/dev/null
src=$(reach 192.0.2.1 $P1 o)
[ "$src" = 192.0.2.2 ] || fail "a published port hides the client: $src"
ok "published 0.0.0.0:$P1 from the host (127.0.0.1, eth0's address) and outside"
reach 127.0.0.1 $P2 h >/dev/null
noreach 192.0.2.1 $P2 o
noreach 192.0.2.1 $P2 h
noreach 127.0.0.1 $P2 cn "$C3"
ok "published 127.0.0.1:$P2 only there"
reach 192.0.2.1 $P1 cn "$C2" >/dev/null
reach 192.0.2.1 $P1 cn "$C3" >/dev/null
ok "a published port from containers (hairpin, another network), like from outside"

drv detach "$C2" "$N1"
noreach 127.0.0.1 $P2 h
h ip link show "$(br "$N1")" >/dev/null
h nft list table inet sdc_docker | grep -q "p_${C2}_" && fail "C2's port chain left"
drv detach "$C2" "$N1"
kill "$SERVERS"	# the containers stop, then their sandboxes go
drv unsandbox "$C1"
drv unsandbox "$C1"
[ -e "$RUN/netns/$C1" ] && fail "C1's sandbox file left"
h nft list table inet sdc_docker | grep -q "$C1" && fail "C1's rules left"
noreach 127.0.0.1 $P1 h
# the kernel deletes the veths with the namespace, on its own worker
for _ in $(seq 1 100); do
	[ "$(h ip -o link show master "$(br "$N1")" | grep -c sdv)" = 0 ] && break
	sleep 0.05
done
[ "$(h ip -o link show master "$(br "$N1")" | grep -c sdv)" = 0 ] || fail "veths left on bridge 1"
ok "detach and destroy, twice each"

# Sweep as after a crash: N1 and C3 live.  C3 keeps its sandbox, loses its
# veth (its network N2 is gone); C2, C4, C5 and N2, N3 go.
drv sweep "$N1" "$C3"
ls "$RUN/netns" | grep -qx "$C3" || fail "C3's sandbox swept"
[ "$(ls "$RUN/netns" | wc -l)" = 1 ] || fail "sandboxes left: $(ls "$RUN/netns")"
cn "$C3" ip link show eth0 >/dev/null 2>&1 && fail "C3's eth0 on a gone network"
h ip link show "$(br "$N1")" >/dev/null || fail "live bridge swept"
h ip link show "$(br "$N2")" >/dev/null 2>&1 && fail "bridge 2 left"
h ip link show "$(br "$N3")" >/dev/null 2>&1 && fail "bridge 3 left"
h nft list table inet sdc_docker | grep -q "$(br "$N2")\|$(br "$N3")" && fail "set elements left"
ok "sweep keeps what is live"
drv sweep - -
[ -z "$(ls "$RUN/netns")" ] || fail "sandboxes left: $(ls "$RUN/netns")"
[ -z "$(ls "$RUN/networks")" ] || fail "markers left"
h ip -br link | grep -E "^sd[cv]" && fail "links left"
h nft list table inet sdc_docker | grep -E '"sdc|p_' && fail "rules left"
ok "sweep with nothing live leaves nothing: $(h ip -br link | awk '{print $1}' | tr '\n' ' ')"
# the sets are empty now: a sweep finds no name in them
drv sweep - - || fail "a sweep of a host with empty sets failed"
ok "sweep with empty sets"

drv bench 20 "$N1" 10.1.1.0/24 10.1.1.1 | tee "$T/bench"
drv sweep - -
ok "cost measured: $(sed -n 's/.*total \([0-9.]*\) ms.*/\1/p' "$T/bench") ms a container"
