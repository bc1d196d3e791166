#!/bin/sh
# Networks across nodes over the kernel's VXLAN (dockerapi/net/vxlan.c,
# through tests/net-driver): two network namespaces play two nodes, a
# third the data center's network (a bridge), a fourth an outside host on
# it.  On each node the library makes two accounts' networks (bridge +
# vxlan device, VNI 100 and 200) and a container of each; the forwarding
# entries are set as an agent would from the store.  Checked: the devices
# as asked (VNI, local VTEP, port 4789, no learning, MTU, master), an
# ensure twice changes nothing, the two containers of one account ping
# each other across nodes, the other account's cannot reach them even
# with an address in their subnet (another VNI), a VXLAN packet forged by
# an outside host (not a VTEP) or by a container (through its node's
# NAT) is dropped while the same packet from a VTEP arrives; removal and
# the sweep leave nothing.  Prints what an ensure and the entries of 200
# remote endpoints cost.
set -eu
: "${SDC_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
DRIVER=$SDC_TOP/$BUILD/tests/net-driver

[ "$(id -u)" = 0 ] || { echo "needs root (namespaces, links, nftables)"; exit 77; }
[ -x "$DRIVER" ] || { echo "no $DRIVER (make first)"; exit 77; }
[ -x /bin/busybox ] || { echo "no /bin/busybox (scripts/deps.sh test)"; exit 1; }
for c in ip bridge nft nsenter python3; do
	command -v $c >/dev/null || { echo "no $c (scripts/deps.sh test)"; exit 1; }
done
modprobe vxlan 2>/dev/null || true

T=$(mktemp -d /tmp/sdc-net40x.XXXXXX)
DC=sdc40d-$$ N1=sdc40n1-$$ N2=sdc40n2-$$ X=sdc40x-$$
PIDS=""
fail() { echo "FAIL: $*" >&2; exit 1; }
START=$(date +%s)
ok() { echo "ok ($(( $(date +%s) - START ))s): $*"; }
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for n in 1 2; do
		nsenter --net="/run/netns/$(eval echo \$N$n)" "$DRIVER" \
		    -r "$T/run$n" sweep - - >/dev/null 2>&1 || true
	done
	for m in $(awk -v t="$T" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	for n in "$DC" "$N1" "$N2" "$X"; do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

for n in "$DC" "$N1" "$N2" "$X"; do ip netns add "$n"; done
dc() { nsenter --net="/run/netns/$DC" "$@"; }
n1() { nsenter --net="/run/netns/$N1" "$@"; }
n2() { nsenter --net="/run/netns/$N2" "$@"; }
x() { nsenter --net="/run/netns/$X" "$@"; }
d1() { n1 "$DRIVER" -r "$T/run1" "$@"; }
d2() { n2 "$DRIVER" -r "$T/run2" "$@"; }
cn() { node=$1 c=$2; shift 2; nsenter --net="$T/run$node/netns/$c" "$@"; }

# The data center's network: a bridge, the two nodes and an outside host.
dc ip link set lo up
dc ip link add dc0 type bridge
dc ip link set dc0 up
i=0
for n in "$N1" "$N2" "$X"; do
	i=$((i + 1))
	dc ip link add "p$i" type veth peer name eth0 netns "/run/netns/$n"
	dc ip link set "p$i" master dc0 up
done
n1 ip addr add 192.0.2.1/24 dev eth0
n2 ip addr add 192.0.2.2/24 dev eth0
x ip addr add 192.0.2.99/24 dev eth0
for f in n1 n2 x; do $f ip link set lo up; $f ip link set eth0 up; done
V1=192.0.2.1 V2=192.0.2.2

hex() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
NA=$(hex) NB=$(hex)
A1=$(hex) A2=$(hex) B1=$(hex) B2=$(hex)
br() { echo "sdc$(echo "$1" | cut -c1-12)"; }
vx() { echo "sdx$(echo "$1" | cut -c1-12)"; }
MA1=02:42:0a:09:00:0a MA2=02:42:0a:09:00:0c
MB1=02:42:0a:09:01:0a MB2=02:42:0a:09:01:0c

# Each node as its agent would: the VTEPs of the data center, each
# network's bridge and vxlan device, a container of each account, and the
# forwarding entries to the other node's containers.
for n in 1 2; do
	d$n vteps "$V1,$V2"
	d$n bridge "$NA" 10.9.0.0/24 10.9.0.1
	d$n vxlan "$NA" 100 "$(eval echo \$V$n)"
	d$n bridge "$NB" 10.9.1.0/24 10.9.1.1
	d$n vxlan "$NB" 200 "$(eval echo \$V$n)"
done
for c in "1 $A1" "2 $A2" "1 $B1" "2 $B2"; do
	set -- $c
	d$1 sandbox "$2" >/dev/null
done
d1 attach "$A1" "$NA" 10.9.0.0/24 10.9.0.1 eth0 10.9.0.10 $MA1 route mtu=1450
d2 attach "$A2" "$NA" 10.9.0.0/24 10.9.0.1 eth0 10.9.0.12 $MA2 route mtu=1450
d1 attach "$B1" "$NB" 10.9.1.0/24 10.9.1.1 eth0 10.9.1.10 $MB1 route mtu=1450
d2 attach "$B2" "$NB" 10.9.1.0/24 10.9.1.1 eth0 10.9.1.12 $MB2 route mtu=1450
d1 fdb "$NA" "$V2" "$MA2/10.9.0.12/$V2"
d2 fdb "$NA" "$V1" "$MA1/10.9.0.10/$V1"
d1 fdb "$NB" "$V2" "$MB2/10.9.1.12/$V2"
d2 fdb "$NB" "$V1" "$MB1/10.9.1.10/$V1"

link=$(n1 ip -d link show "$(vx "$NA")")
for want in "mtu 1450" "master $(br "$NA")" "vxlan id 100 " "local $V1 " \
    "dstport 4789 " "nolearning" "state UP\|,UP[,>]"; do
	echo "$link" | grep -q "$want" || fail "vxlan device: no '$want': $link"
done
n2 ip -d link show "$(vx "$NB")" | grep -q "vxlan id 200 local $V2 " ||
	fail "B's device on node 2: $(n2 ip -d link show "$(vx "$NB")")"
fdb=$(n1 bridge fdb show dev "$(vx "$NA")" | grep " dst ")
echo "$fdb" | grep -q "^00:00:00:00:00:00 dst $V2 self permanent" || fail "no flooding entry: $fdb"
echo "$fdb" | grep -q "^$MA2 dst $V2 self permanent" || fail "no entry for A2: $fdb"
[ "$(echo "$fdb" | wc -l)" = 2 ] || fail "entries: $fdb"
cn 1 "$A1" ip link show eth0 | grep -q "mtu 1450" || fail "A1's MTU: $(cn 1 "$A1" ip link show eth0)"
ok "vxlan devices (VNI, VTEP, port, no learning, MTU, on the bridge) and forwarding entries"

# The device's own entries ("self"): the bridge's learned ones ("master")
# come and go with the traffic.
snap() {
	n1 ip -d link show "$(vx "$NA")" | sed "s/_timer *[0-9.]*//g"
	n1 bridge fdb show dev "$(vx "$NA")" | grep -v " master "
	n1 nft -a list table inet sdc_docker
}
snap >"$T/before"
d1 vxlan "$NA" 100 $V1
d1 fdb "$NA" "$V2" "$MA2/10.9.0.12/$V2"
d1 vteps "$V1,$V2"
snap >"$T/after"
diff "$T/before" "$T/after" >&2 || fail "a second ensure changed something"
# a third node's entries, then the list without them: exactly what is given
d1 fdb "$NA" "$V2,192.0.2.3" "$MA2/10.9.0.12/$V2,02:42:0a:09:00:0d/10.9.0.13/192.0.2.3"
[ "$(n1 bridge fdb show dev "$(vx "$NA")" | grep -c " dst ")" = 4 ] || fail "entries not added"
d1 fdb "$NA" "$V2" "$MA2/10.9.0.12/$V2"
n1 bridge fdb show dev "$(vx "$NA")" >"$T/fdb"
grep -q "192.0.2.3" "$T/fdb" && fail "entries left: $(cat "$T/fdb")"
[ "$(grep -c " dst " "$T/fdb")" = 2 ] || fail "entries: $(cat "$T/fdb")"
d1 vxlan "$NA" 0 $V1 2>"$T/err" && fail "VNI 0 accepted"
grep -q "VNI 0" "$T/err" || fail "error: $(cat "$T/err")"
d1 fdb "$NA" - "ff:ff:ff:ff:ff:ff/10.9.0.13/$V2" 2>"$T/err" && fail "a multicast MAC accepted"
grep -q "not a unicast" "$T/err" || fail "error: $(cat "$T/err")"
d1 vxlan "$(hex)" 300 $V1 2>"$T/err" && fail "a vxlan without its bridge"
grep -q "bridge sdc" "$T/err" || fail "error: $(cat "$T/err")"
ok "ensure twice changes nothing; entries set exactly; bad input refused by name"

# ping1 SECONDS NS-COMMAND...: one echo answered within SECONDS
ping1() { w=$1; shift; "$@" /bin/busybox ping -c 1 -W "$w" -w "$w" "$ADDR" >/dev/null 2>&1; }
reach() { ADDR=$1; shift; ping1 5 "$@" || fail "$* cannot ping $ADDR"; }
noreach() { ADDR=$1; shift; ping1 2 "$@" && fail "$* pings $ADDR"; true; }
reach 10.9.0.12 cn 1 "$A1"
reach 10.9.0.10 cn 2 "$A2"
reach 10.9.1.12 cn 1 "$B1"
ok "an account's two containers ping each other across nodes (both accounts)"
noreach 10.9.0.10 cn 2 "$B2"
noreach 10.9.0.12 cn 1 "$B1"
# root in B2's sandbox takes an address in A's subnet: its ARP goes out
# on VNI 200 only, never to A's bridge
cn 2 "$B2" ip addr add 10.9.0.50/24 dev eth0
noreach 10.9.0.10 cn 2 "$B2"
cn 1 "$A1" ip neigh show | grep -q 10.9.0.50 && fail "B2's ARP reached A1"
ok "another account's network (VNI 200) reaches neither, even inside A's subnet"

# Forged VXLAN: a frame for a container's MAC and address, inside UDP to
# a node's port 4789.  A listener in each target container writes what
# arrives.
cat >"$T/vx.py" <<'PY'
import socket, struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
if sys.argv[1] == "listen":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 7777))
    open(sys.argv[2] + ".ready", "w").close()
    while True:
        data, _ = s.recvfrom(2048)
        with open(sys.argv[2], "a") as f:
            f.write(data.decode() + "\n")
# send VTEP VNI DSTMAC DSTIP SRCIP PAYLOAD
_, _, vtep, vni, dmac, dip, sip, payload = sys.argv
p = payload.encode()
udp = struct.pack("!HHHH", 40000, 7777, 8 + len(p), 0) + p
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                 socket.inet_aton(sip), socket.inet_aton(dip))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
eth = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex("020000000099") + b"\x08\x00"
vx = struct.pack("!II", 0x08000000, int(vni) << 8)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(vx + eth + ip + udp, (vtep, 4789))
PY
listen() {
	nsenter --net="$T/run$1/netns/$2" python3 "$T/vx.py" listen \
	    "$T/got-$2" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 1 200); do [ -e "$T/got-$2.ready" ] && return 0; sleep 0.05; done
	fail "listener in $2 did not start"
}
# got C WORD: WORD arrives in container C (each forged packet is sent
# until it does: UDP, the first may meet ARP or a busy host)
got() {
	for _ in $(seq 1 40); do
		grep -qx "$2" "$T/got-$1" 2>/dev/null && return 0
		shift 0; eval "$SEND"; sleep 0.05
	done
	fail "$2 never arrived in the container"
}
listen 1 "$A1"
listen 2 "$B2"
touch "$T/got-$A1" "$T/got-$B2"

x python3 "$T/vx.py" send $V1 100 $MA1 10.9.0.10 10.9.0.77 from-outside
SEND="d1 vteps $V1,$V2,192.0.2.99; x python3 $T/vx.py send $V1 100 $MA1 10.9.0.10 10.9.0.77 from-vtep"
got "$A1" from-vtep
grep -q from-outside "$T/got-$A1" && fail "a VXLAN packet from a host not a VTEP reached A1"
d1 vteps "$V1,$V2"
ok "VXLAN from an outside host (not a VTEP) dropped, the same from a VTEP delivered"

cn 1 "$A1" python3 "$T/vx.py" send $V2 200 $MB2 10.9.1.12 10.9.1.77 from-container
SEND="n1 python3 $T/vx.py send $V2 200 $MB2 10.9.1.12 10.9.1.77 from-node"
got "$B2" from-node
grep -q from-container "$T/got-$B2" && fail "account A's container injected a frame into B's VNI"
n1 nft list chain inet sdc_docker vxlan_fwd | grep -q "udp dport 4789 drop" ||
	fail "no drop: $(n1 nft list chain inet sdc_docker vxlan_fwd)"
ok "a container cannot send VXLAN (UDP 4789) through its node's NAT"

d1 unvxlan "$NA"
d1 unvxlan "$NA"
n1 ip link show "$(vx "$NA")" >/dev/null 2>&1 && fail "A's vxlan left on node 1"
n1 ip link show "$(br "$NA")" >/dev/null || fail "A's bridge gone with its vxlan"
noreach 10.9.0.12 cn 1 "$A1"
d1 unbridge "$NB"
n1 ip link show "$(vx "$NB")" >/dev/null 2>&1 && fail "B's vxlan left with its bridge"
# node 2 after a crash: only B is live
d2 sweep "$NB" "$B2"
n2 ip link show "$(vx "$NA")" >/dev/null 2>&1 && fail "A's vxlan not swept"
n2 ip link show "$(vx "$NB")" >/dev/null || fail "B's live vxlan swept"
d2 sweep - -
n2 ip -br link | grep -E "^sd[cvx]" && fail "links left on node 2"
ok "remove, remove with the bridge, and the sweep"

NC=$(hex)
d1 bridge "$NC" 10.9.2.0/24 10.9.2.1
d1 vxbench "$NC" 300 $V1 200
d1 unbridge "$NC"
ok "cost measured"
