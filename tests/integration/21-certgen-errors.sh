#!/bin/sh
# 21-certgen-errors: what sdc-docker-certgen does with bad input: corrupt
# keys, DSA keys, public keys, unsupported curves, a target it cannot
# write; each must fail with a clear message and leave no files behind.
# Also the server subcommand (SANs, CA kept across runs) and --help.
set -u
bin=${SDC_BIN:?}/sdc-docker-certgen
for c in ssh-keygen openssl tmux; do
	command -v $c >/dev/null || { echo "no $c"; exit 1; }
done
tmp=$(mktemp -d)
T=:
trap '$T kill-server 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_error NAME PATTERN KEYFILE: client must fail, say PATTERN, and
# leave no output directory.
expect_error() {
	out=$tmp/out.$1
	msg=$($bin client --account u --key "$3" --out "$out" --passphrase-env NOPE 2>&1 </dev/null)
	rc=$?
	[ $rc -eq 1 ] || fail "$1: exit $rc, not 1"
	echo "$msg" | grep -q "$2" || fail "$1: message \"$msg\" lacks \"$2\""
	[ -e "$out" ] && fail "$1: left $out behind"
	echo "$1: $msg"
}

# Corrupt keys: bytes flipped inside the base64, and files cut short.
ssh-keygen -q -t ed25519 -N '' -f "$tmp/ed" && ssh-keygen -q -t rsa -m PEM -N '' -f "$tmp/rsa"
ssh-keygen -q -t ecdsa -N sekrit -a 2 -f "$tmp/ecenc"
sed '3s/^..../AAAA/' "$tmp/ed" >"$tmp/ed.corrupt"
expect_error openssh-corrupt "corrupt OpenSSH private key" "$tmp/ed.corrupt"
head -c 200 "$tmp/ed" >"$tmp/ed.short"
expect_error openssh-truncated "corrupt OpenSSH private key\|no END line" "$tmp/ed.short"
sed '5s/^..../AAAA/' "$tmp/rsa" >"$tmp/rsa.corrupt"
expect_error pem-corrupt "not a valid private key\|corrupt private key" "$tmp/rsa.corrupt"
head -c 300 "$tmp/rsa" >"$tmp/rsa.short"
expect_error pem-truncated "not a valid private key" "$tmp/rsa.short"
: >"$tmp/empty"
expect_error empty "not a private key" "$tmp/empty"
expect_error missing "No such file" "$tmp/nonexistent"
expect_error public "is a public key" "$tmp/ed.pub"
expect_error no-passphrase "encrypted and \$NOPE is not set" "$tmp/ecenc"

# DSA, however it is stored, is refused by name.
if ssh-keygen -q -t dsa -N '' -f "$tmp/dsa" 2>/dev/null; then
	expect_error dsa-openssh "DSA keys are not supported" "$tmp/dsa"
	msg=$($bin fingerprint "$tmp/dsa.pub" 2>&1) && fail "fingerprint of a DSA key"
	echo "$msg" | grep -q "ssh-dss keys are not supported" || fail "DSA fingerprint: $msg"
fi
if openssl dsaparam -genkey -noout -out "$tmp/dsa.pem" 1024 2>/dev/null; then
	expect_error dsa-pem "DSA keys are not supported" "$tmp/dsa.pem"
	openssl pkcs8 -topk8 -nocrypt -in "$tmp/dsa.pem" -out "$tmp/dsa.p8"
	expect_error dsa-pkcs8 "DSA keys are not supported" "$tmp/dsa.p8"
fi
openssl ecparam -name secp256k1 -genkey -noout -out "$tmp/k1.pem"
expect_error curve "curve secp256k1 are not supported" "$tmp/k1.pem"

# A target that cannot be written: nothing of the set may appear.
mkdir -p "$tmp/blocked/cert.pem"
msg=$($bin client --account u --key "$tmp/ed" --out "$tmp/blocked" 2>&1) &&
    fail "wrote over a directory"
echo "blocked: $msg"
[ -e "$tmp/blocked/key.pem" ] && fail "key.pem written though cert.pem could not be"
[ "$(ls -A "$tmp/blocked")" = cert.pem ] || fail "temporary files left: $(ls -A "$tmp/blocked")"

# Usage errors exit 2; --help exits 0 for the command and each subcommand.
$bin client --account u >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing options: not exit 2"
$bin nosuch >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command: not exit 2"
$bin client --days 0 --account u --key k --out o >/dev/null 2>&1; [ $? -eq 2 ] || fail "--days 0"
$bin --help | grep -q "^  client" || fail "--help lists no client"
for sub in client server fingerprint sign verify; do
	$bin $sub --help | grep -q "^usage: sdc-docker-certgen $sub" || fail "$sub --help"
done
[ -f "${SDC_TOP:-.}/man/sdc-docker-certgen.1" ] || fail "no man page"

# server: SANs and EKU as asked, a chain openssl accepts, the CA kept.
s=$tmp/server
$bin server --cn docker.example --san IP:127.0.0.1,DNS:localhost --san DNS:docker.example \
    --out "$s" || fail "server"
openssl verify -CAfile "$s/ca.pem" -purpose sslserver "$s/server-cert.pem" >/dev/null ||
    fail "server chain"
text=$(openssl x509 -in "$s/server-cert.pem" -noout -text)
echo "$text" | grep -q "IP Address:127.0.0.1, DNS:localhost, DNS:docker.example" || fail "SANs"
echo "$text" | grep -q "TLS Web Server Authentication" || fail "server EKU"
echo "$text" | grep -q "Subject: CN = docker.example" || fail "server CN"
for f in server-key.pem ca-key.pem; do
	[ "$(stat -c %a "$s/$f")" = 600 ] || fail "$f mode"
done
ca_before=$(openssl x509 -in "$s/ca.pem" -noout -fingerprint)
$bin server --cn other --san DNS:other --out "$s" || fail "server again"
[ "$(openssl x509 -in "$s/ca.pem" -noout -fingerprint)" = "$ca_before" ] || fail "CA replaced"
openssl verify -CAfile "$s/ca.pem" "$s/server-cert.pem" >/dev/null || fail "new server chain"
msg=$($bin server --cn x --san URI:http://x --out "$tmp/badsan" 2>&1) && fail "URI SAN accepted"
echo "$msg" | grep -q "neither DNS:name nor IP:address" || fail "bad SAN message: $msg"

# The passphrase prompt, on a terminal of its own: typed without echo it
# opens the key; Ctrl-C at the prompt ends the command with the terminal
# as it was (echo on), not left silent.  The shell around it catches
# SIGINT with a handler, so it survives to report the terminal's modes.
wait_for() { # FILE-OR-PANE-TEXT CHECK...
	i=0
	while ! "$@" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	"$@"
}
pane_says() { $T capture-pane -p 2>/dev/null | grep -q "$1"; }
cp "$tmp/ecenc" "$tmp/ecenc-alone"	# no .pub beside it: the key must be opened
prompt_session() { # KEYS...
	rm -f "$tmp/done"
	$T kill-server 2>/dev/null
	n=$((${n:-0} + 1)); T="tmux -S $tmp/tmux$n.sock"	# a server per session
	$T new-session -d -x 120 -y 20 "sh -c 'trap : INT; stty echo; $bin fingerprint $tmp/ecenc-alone >$tmp/fp.out 2>$tmp/fp.err; echo \$? >$tmp/rc; stty -a >$tmp/stty.out; touch $tmp/done; sleep 60'"
	wait_for pane_says "Enter passphrase for" || fail "prompt: no prompt shown"
	$T send-keys "$@"
	wait_for test -e "$tmp/done" || fail "prompt: the command did not end"
}
prompt_session sekrit Enter
[ "$(cat "$tmp/fp.out")" = "$(ssh-keygen -l -E sha256 -f "$tmp/ecenc.pub" | cut -d' ' -f2)" ] ||
    fail "prompt: typed passphrase did not open the key: $(cat "$tmp/fp.err")"
pane_says sekrit && fail "prompt: the passphrase was echoed"
prompt_session C-c
[ "$(cat "$tmp/rc")" != 0 ] || fail "prompt: Ctrl-C did not stop the command"
grep -q -- "-echo\b" "$tmp/stty.out" && fail "prompt: Ctrl-C left echo off"
grep -q "interrupted" "$tmp/fp.err" || fail "prompt: Ctrl-C message: $(cat "$tmp/fp.err")"
echo "prompt: typed, and Ctrl-C restores the terminal"

echo "failures: $failures"
[ $failures -eq 0 ]
