#!/bin/sh
# 23-certgen-docker: the real docker CLI, given a certificate from
# `sdc-docker-certgen client`, completes a TLS handshake with a server
# that demands and verifies client certificates (openssl s_server
# -Verify, standing in for dockerapi), for RSA, ECDSA and Ed25519 keys,
# self-signed and issued.  The docker command itself fails afterwards,
# s_server being no Docker daemon; the handshake is judged from
# s_server's own output.
set -u
bin=${SDC_BIN:?}/sdc-docker-certgen
docker=$(command -v docker || echo /usr/local/bin/docker)
[ -x "$docker" ] || { echo "no docker CLI"; exit 1; }
for c in ssh-keygen openssl python3; do
	command -v $c >/dev/null || { echo "no $c"; exit 1; }
done
unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE DOCKER_CONTEXT
tmp=$(mktemp -d)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
export DOCKER_CONFIG="$tmp/docker-config"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

$bin server --cn 127.0.0.1 --san IP:127.0.0.1,DNS:localhost --out "$tmp/server" ||
    { echo "server certificate"; exit 1; }

listening() { # port
	ss -ltn "sport = :$1" 2>/dev/null | grep -q LISTEN
}

handshake() { # label trust-file certdir
	label=$1 trust=$2 dir=$3
	cp "$tmp/server/ca.pem" "$dir/ca.pem"
	port=$(free_port)
	log=$tmp/$label.log
	# -www answers the first request, so docker is done quickly; one
	# connection only, so the log is about that one.
	openssl s_server -accept "127.0.0.1:$port" -naccept 1 -www \
	    -cert "$tmp/server/server-cert.pem" -key "$tmp/server/server-key.pem" \
	    -CAfile "$trust" -Verify 1 -verify_return_error </dev/null >"$log" 2>&1 &
	server_pid=$!
	i=0
	while ! listening "$port" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$dir" DOCKER_HOST="tcp://127.0.0.1:$port" \
	    timeout 20 "$docker" version >"$tmp/$label.docker" 2>&1
	i=0
	while kill -0 "$server_pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
	# The client's certificate was checked at depth 0 (its subject is the
	# login) and passed, and the handshake finished.
	if grep -q "^depth=0 CN = $4\$" "$log" && grep -q "^verify return:1" "$log" &&
	    grep -q "1 server accepts that finished" "$log" &&
	    ! grep -q "verify error\|:error:" "$log"; then
		echo "ok $label: client certificate CN=$4 verified, handshake finished"
	else
		fail "$label: no verified client certificate; s_server said:"
		sed 's/^/    /' "$log" | head -20
		sed 's/^/    docker: /' "$tmp/$label.docker" | tail -3
	fi
}

for t in "rsa -b 2048" "ecdsa -b 384" "ed25519"; do
	name=$(echo "$t" | tr -d ' -')
	k=$tmp/$name
	ssh-keygen -q -t $t -N '' -f "$k"
	$bin client --account "user-$name" --key "$k" --out "$tmp/$name.self" ||
	    { fail "$name: client"; continue; }
	handshake "$name-self-signed" "$tmp/$name.self/cert.pem" "$tmp/$name.self" "user-$name"
	$bin client --account "user-$name" --key "$k" --out "$tmp/$name.issued" --issued ||
	    { fail "$name: client --issued"; continue; }
	handshake "$name-issued" "$tmp/$name.issued/issuer.pem" "$tmp/$name.issued" "user-$name"
done

echo "failures: $failures"
[ $failures -eq 0 ]
