#!/usr/bin/env bash
# shellcheck disable=SC2016 # the sh -c scripts are single-quoted on purpose
#
# 50-setup-script.sh: sdc-docker-setup.sh end to end against a CloudAPI.
#
# The peer is tests/stubs/cloudapi-stub.py, a small HTTPS CloudAPI that
# really verifies the HTTP Signature, plus a "docker" listener serving
# /ca.pem: it lets the script's every path be driven without the daemon.
# (The end-to-end test with dockerapi and the docker CLI lives beside
# dockerapi's own tests.)  Each case runs the script in a new session
# (setsid), so it has no terminal and can never sit waiting at a prompt;
# the prompt itself is driven through script(1)'s pseudo-terminal.
#
# Cases: RSA, ECDSA and Ed25519 keys, PEM and OpenSSH, with and without a
# passphrase (SDC_KEY_PASSPHRASE and the prompt); -k, -s, -q, -p, -f, -h,
# -V; every refusal with its exit status; the files written, their modes,
# the certificate's key and subject, env.sh; and that no temporary file
# (decrypted key) is left behind.
set -u

top=${SDC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
setup=$top/sdc-docker-setup.sh
stub=$top/tests/stubs/cloudapi-stub.py

for t in python3 curl openssl ssh-keygen setsid; do
	command -v "$t" >/dev/null 2>&1 || { echo "missing: $t not installed"; exit 1; }
done
python3 -c 'import cryptography' 2>/dev/null ||
    { echo "missing: python3-cryptography not installed"; exit 1; }

# This machine points curl at a CA bundle of its own; these tests give
# their own CA, or none.
unset CURL_CA_BUNDLE REQUESTS_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR SDC_KEY_PASSPHRASE

tmp=$(mktemp -d "${TMPDIR:-/tmp}/setup-test.XXXXXX")
stub_pid=
cleanup() {
	[ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null && wait "$stub_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

failures=0 cases=0
fail() {
	echo "FAIL [$case]: $*"
	failures=$((failures + 1))
	[ -s "$tmp/out" ] && sed 's/^/    out: /' "$tmp/out"
	[ -s "$tmp/err" ] && sed 's/^/    err: /' "$tmp/err"
	return 0
}

# ---- Keys and certificates --------------------------------------------------

cd "$tmp" || exit 1
mkdir -p keys/jill keys/nodock keys/badsvc keys/noport k tmpdir
quiet() { "$@" >/dev/null 2>&1 || { echo "setup failed: $*"; exit 1; }; }

quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -subj '/CN=Test CA' -days 2
quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -out srv.csr -subj /CN=127.0.0.1
printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext
quiet openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 2 -extfile srv.ext

# name, passphrase ("" for none), ssh-keygen arguments...
sshkey() {
	local name=$1 pass=$2
	shift 2
	quiet ssh-keygen -q "$@" -N "$pass" -C "$name" -f "k/$name"
}
sshkey rsa-pem '' -t rsa -b 2048 -m PEM
sshkey rsa-pem-pw hunter22 -t rsa -b 2048 -m PEM
sshkey rsa-ossh-pw hunter22 -t rsa -b 2048
sshkey ec256-ossh-pw hunter22 -t ecdsa -b 256
sshkey ec384-ossh '' -t ecdsa -b 384
sshkey ec521-pem '' -t ecdsa -b 521 -m PEM
sshkey ed-ossh '' -t ed25519
sshkey ed-ossh-pw 'long pass phrase' -t ed25519
sshkey stranger '' -t ed25519
sshkey dsa-pem '' -t dsa -m PEM
sshkey dsa-ossh '' -t dsa
# Ed25519 in PKCS#8 PEM, encrypted, which ssh-keygen cannot read.
quiet openssl genpkey -algorithm ed25519 -aes256 -pass pass:hunter22 -out k/ed-pkcs8-pw
python3 - k/ed-pkcs8-pw <<'EOF' >k/ed-pkcs8-pw.pub || exit 1
import sys
from cryptography.hazmat.primitives import serialization as s
k = s.load_pem_private_key(open(sys.argv[1], "rb").read(), b"hunter22")
print(k.public_key().public_bytes(s.Encoding.OpenSSH, s.PublicFormat.OpenSSH).decode())
EOF
for k in k/*.pub; do
	case $k in *stranger*) continue ;; esac
	cp "$k" keys/jill/
done
cp k/rsa-pem.pub keys/nodock/
printf '{"cloudapi": "x"}\n' >keys/nodock/services.json
cp k/rsa-pem.pub keys/badsvc/
printf '{"docker": "unix:///var/run/docker.sock"}\n' >keys/badsvc/services.json
cp k/rsa-pem.pub keys/noport/
printf '{"docker": "tcp://[::1]"}\n' >keys/noport/services.json

python3 "$stub" --cert srv.pem --key srv.key --ca ca.pem --keys keys \
    --port-file ports 2>stub.log &
stub_pid=$!
for _ in $(seq 50); do
	[ -s ports ] && break
	sleep 0.1
done
[ -s ports ] || { echo "stub CloudAPI did not start"; cat stub.log; exit 1; }
read -r cport dport <ports
url=https://127.0.0.1:$cport
# A port nothing listens on.
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# ---- Running the script -------------------------------------------------------

# run CASE EXPECTED_STATUS ARGS...: the script in a new session, HOME per
# case (or RUN_HOME), the openssl path unless SDC_CERTGEN is set.
run() {
	case=$1
	local want=$2
	shift 2
	cases=$((cases + 1))
	home=${RUN_HOME:-$tmp/home/$case}
	mkdir -p "$home"
	HOME=$home TMPDIR=$tmp/tmpdir SDC_CERTGEN=${SDC_CERTGEN:-none} \
	    setsid -w "$setup" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	status=$?
	[ "$status" = "$want" ] || fail "exit status $status, expected $want"
	leftovers
}

# Nothing but profiles below ~/.sdc/docker and nothing in TMPDIR, whatever
# happened.
leftovers() {
	local left
	left=$(find "$home/.sdc/docker" -mindepth 1 -maxdepth 1 -name '.*' 2>/dev/null)
	[ -z "$left" ] || fail "left behind: $left"
	left=$(find "$tmp/tmpdir" -mindepth 1)
	[ -z "$left" ] || fail "left in TMPDIR: $left"
}

expect() { # file, fixed string
	grep -qF -- "$2" "$tmp/$1" || fail "$1 lacks: $2"
}

# The profile is complete and right for key KEY (its .pub in k/).
check_profile() { # dir, key name, verify: 1|""
	local dir=$1 pub=k/$2.pub m f
	for f in key.pem cert.pem ca.pem env.sh; do
		[ -s "$dir/$f" ] || { fail "no $dir/$f"; return; }
	done
	m=$(stat -c %a "$dir/key.pem"); [ "$m" = 600 ] || fail "key.pem mode $m"
	m=$(stat -c %a "$dir"); [ "$m" = 700 ] || fail "profile mode $m"
	for f in cert.pem ca.pem env.sh; do
		m=$(stat -c %a "$dir/$f"); [ "$m" = 644 ] || fail "$f mode $m"
	done
	cmp -s "$dir/ca.pem" ca.pem || fail "ca.pem is not the endpoint's CA"
	# The certificate itself is checked with all the others at the end
	# (check_certs), by one Python instead of one per profile.  No case
	# writes into another's profile: it is still as this case left it.
	printf '%s\t%s\t%s\n' "$case" "$dir" "$pub" >>"$tmp/certs-to-check"
	# env.sh: sourceable by sh and bash, with the right settings.
	local got
	got=$(env -i DOCKER_TLS_VERIFY=stale sh -c '. "$1" && echo "$DOCKER_CERT_PATH|$DOCKER_HOST|${DOCKER_CLIENT_TIMEOUT-unset}|$COMPOSE_HTTP_TIMEOUT|${DOCKER_TLS_VERIFY-unset}|${DOCKER_TLS-}"' sh "$dir/env.sh")
	if [ -n "$3" ]; then
		[ "$got" = "$dir|tcp://127.0.0.1:$dport|unset|300|1|" ] || fail "env.sh gives $got"
	else
		[ "$got" = "$dir|tcp://127.0.0.1:$dport|unset|300|unset|1" ] || fail "env.sh gives $got"
	fi
	bash -n "$dir/env.sh" || fail "env.sh is not valid bash"
}

# Every profile check_profile listed: subject CN=jill, valid 360 days
# more, its public key the SSH key's, self-signed by it, key.pem its
# private half.
check_certs() {
	local n
	[ -s "$tmp/certs-to-check" ] || { fail "no certificate was checked"; return; }
	python3 - "$tmp/certs-to-check" >"$tmp/certs.out" 2>&1 <<'EOF'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization as s
spki = (s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
utc = datetime.timezone.utc
soon = datetime.datetime.now(utc) + datetime.timedelta(days=360)
for line in open(sys.argv[1]):
    case, d, pub = line.rstrip("\n").split("\t")
    def fail(msg):
        print("FAIL [%s]: %s" % (case, msg))
    try:
        cert = x509.load_pem_x509_certificate(open(d + "/cert.pem", "rb").read())
        ssh = s.load_ssh_public_key(open(pub, "rb").read())
        key = s.load_pem_private_key(open(d + "/key.pem", "rb").read(), None)
        if cert.subject.rfc4514_string() != "CN=jill":
            fail("cert subject is not CN=jill")
        after = getattr(cert, "not_valid_after_utc", None)
        if (after or cert.not_valid_after.replace(tzinfo=utc)) < soon:
            fail("cert expires within 360 days")
        if cert.public_key().public_bytes(*spki) != ssh.public_bytes(*spki):
            fail("certificate check: cert.pem's public key is not the one of " + pub)
        if key.public_key().public_bytes(*spki) != ssh.public_bytes(*spki):
            fail("certificate check: key.pem is not the private half of " + pub)
        cert.verify_directly_issued_by(cert)
    except Exception as e:
        fail("certificate check: %r" % e)
print("checked")
EOF
	n=$(grep -c '^FAIL' "$tmp/certs.out")
	grep '^FAIL' "$tmp/certs.out"
	failures=$((failures + n))
	tail -n 1 "$tmp/certs.out" | grep -qx checked ||
	    { case=check_certs; fail "$(cat "$tmp/certs.out")"; }
}

# ---- Key types and formats ---------------------------------------------------------

for k in rsa-pem ec384-ossh ec521-pem ed-ossh; do
	run "plain-$k" 0 -k "$url" jill "$tmp/k/$k"
	check_profile "$home/.sdc/docker/jill" "$k" ""
done
for k in rsa-pem-pw rsa-ossh-pw ec256-ossh-pw ed-pkcs8-pw; do
	SDC_KEY_PASSPHRASE=hunter22 run "env-pass-$k" 0 -k "$url" jill "$tmp/k/$k"
	check_profile "$home/.sdc/docker/jill" "$k" ""
done
SDC_KEY_PASSPHRASE='long pass phrase' run env-pass-ed-ossh-pw 0 -k "$url" jill "$tmp/k/ed-ossh-pw"
check_profile "$home/.sdc/docker/jill" ed-ossh-pw ""

# The output, as Triton's told it.
run output 0 -k "$url" jill "$tmp/k/rsa-pem"
for s in "Setting up Docker client for SDC using:" "    CloudAPI:        $url" \
    "    Account:         jill" "    Key:             $tmp/k/rsa-pem" \
    "CloudAPI access verified." "Generating client certificate from SSH private key." \
    "Wrote certificate files to $home/.sdc/docker/jill" \
    "Docker service endpoint is: tcp://127.0.0.1:$dport" \
    "    export DOCKER_CERT_PATH=$home/.sdc/docker/jill" \
    "    export DOCKER_HOST=tcp://127.0.0.1:$dport" \
    "    export COMPOSE_HTTP_TIMEOUT=300" "    unset DOCKER_TLS_VERIFY" \
    "    source $home/.sdc/docker/jill/env.sh" "'SDCAccount: jill'" \
    "the Docker endpoint's certificate is not verified" \
    "The endpoint's CA was fetched into $home/.sdc/docker/jill/ca.pem" \
    "    $(openssl x509 -noout -fingerprint -sha256 -in "$tmp/ca.pem")" \
    "    export DOCKER_TLS_VERIFY=1"; do
	expect out "$s"
done
grep -q DOCKER_CLIENT_TIMEOUT "$tmp/out" && fail "DOCKER_CLIENT_TIMEOUT still set"
[ -s "$tmp/err" ] && fail "unexpected stderr"
# The CA the note names is the endpoint's (55-dockerapi.py verifies with it).
cmp -s "$home/.sdc/docker/jill/ca.pem" "$tmp/ca.pem" || fail "the -k profile's ca.pem is not the CA"

# Without -k, verified against the CA curl is given: DOCKER_TLS_VERIFY=1.
CURL_CA_BUNDLE=$tmp/ca.pem run verified 0 "$url" jill "$tmp/k/ed-ossh"
check_profile "$home/.sdc/docker/jill" ed-ossh 1
expect out "    export DOCKER_TLS_VERIFY=1"
grep -q 'not verified' "$tmp/out" && fail "says not verified"
run unverified 4 "$url" jill "$tmp/k/ed-ossh"
expect err "cannot verify the TLS certificate of $url/--ping"
expect err "run again with -k"
[ -e "$home/.sdc/docker/jill" ] && fail "profile written after a failure"

# ---- The passphrase prompt, on a pseudo-terminal ---------------------------------

if command -v script >/dev/null 2>&1; then
	prompt() { # case, status, input
		case=$1
		cases=$((cases + 1))
		home=$tmp/home/$case
		mkdir -p "$home"
		# typed once the prompt is shown, as a user would
		: >"$tmp/out"
		{
			for _ in $(seq 600); do
				grep -q 'Enter passphrase' "$tmp/out" && break
				sleep 0.05
			done
			printf '%s' "$3"
		} | HOME=$home TMPDIR=$tmp/tmpdir SDC_CERTGEN=none \
		    timeout 60 script -qec "'$setup' -k '$url' jill '$tmp/k/rsa-ossh-pw'" /dev/null \
		    >"$tmp/out" 2>"$tmp/err"
		status=$?
		[ "$status" = "$2" ] || fail "exit status $status, expected $2"
		leftovers
	}
	prompt prompt 0 $'hunter22\n'
	expect out "Enter passphrase for $tmp/k/rsa-ossh-pw:"
	sed -n '/Enter passphrase/,$p' "$tmp/out" | grep -q hunter22 &&
	    fail "the passphrase was echoed"
	check_profile "$home/.sdc/docker/jill" rsa-ossh-pw ""
	prompt prompt-retry 0 $'nope\nhunter22\n'
	expect out "Wrong passphrase, try again."
	check_profile "$home/.sdc/docker/jill" rsa-ossh-pw ""
	prompt prompt-wrong 3 $'a\nb\nc\n'
	expect out "wrong passphrase for $tmp/k/rsa-ossh-pw"
else
	case=prompt fail "script(1) is not installed (bsdutils): no prompt case ran"
fi

# ---- Options ----------------------------------------------------------------------

run shell 0 -s -k "$url" jill "$tmp/k/rsa-pem"
[ -s "$tmp/err" ] && fail "-s wrote to stderr"
grep -qvE '^(export|unset) ' "$tmp/out" && fail "-s printed more than environment lines"
got=$(env -i sh -c 'eval "$(cat "$1")" && echo "$DOCKER_HOST $DOCKER_TLS"' sh "$tmp/out")
[ "$got" = "tcp://127.0.0.1:$dport 1" ] || fail "eval of -s output gives $got"
check_profile "$home/.sdc/docker/jill" rsa-pem ""

run quiet 0 -q -k "$url" jill "$tmp/k/rsa-pem"
[ -s "$tmp/out" ] || [ -s "$tmp/err" ] && fail "-q printed something"
check_profile "$home/.sdc/docker/jill" rsa-pem ""

run profile 0 -k -p work "$url" jill "$tmp/k/rsa-pem"
check_profile "$home/.sdc/docker/work" rsa-pem ""
[ -e "$home/.sdc/docker/jill" ] && fail "-p work also wrote jill"
expect out "export DOCKER_CERT_PATH=$home/.sdc/docker/work"

# An existing profile is kept without -f, replaced with it.
run exists 0 -k "$url" jill "$tmp/k/rsa-pem"
before=$(cat "$home/.sdc/docker/jill/cert.pem")
RUN_HOME=$home run exists-again 7 -k "$url" jill "$tmp/k/ed-ossh"
expect err "profile $tmp/home/exists/.sdc/docker/jill exists (use -f to overwrite it)"
[ "$(cat "$tmp/home/exists/.sdc/docker/jill/cert.pem")" = "$before" ] || fail "profile changed"
mkdir -p "$tmp/home/exists-force/.sdc/docker"
cp -a "$tmp/home/exists/.sdc/docker/jill" "$tmp/home/exists-force/.sdc/docker/"
run exists-force 0 -f -k "$url" jill "$tmp/k/ed-ossh"
check_profile "$home/.sdc/docker/jill" ed-ossh ""

# The default key, ~/.ssh/id_rsa, and no .pub beside it.
mkdir -p "$tmp/home/default-key/.ssh"
cp k/rsa-pem "$tmp/home/default-key/.ssh/id_rsa"
run default-key 0 -k "$url" jill
check_profile "$home/.sdc/docker/jill" rsa-pem ""
expect out "    Key:             $home/.ssh/id_rsa"

# A .pub that names another key: a warning; the private key decides.
mkdir -p "$tmp/mismatch"
cp k/ec384-ossh "$tmp/mismatch/key"
cp k/stranger.pub "$tmp/mismatch/key.pub"
run mismatched-pub 0 -k "$url" jill "$tmp/mismatch/key"
expect err "$tmp/mismatch/key.pub does not match $tmp/mismatch/key"
check_profile "$home/.sdc/docker/jill" ec384-ossh ""

run help 0 -h
expect out "Usage: sdc-docker-setup.sh [-h] [-V] [-q] [-k] [-s] [-f] [-p PROFILE] CLOUDAPI_URL ACCOUNT [SSH_PRIVATE_KEY]"
run version 0 -V
grep -qE '^sdc-docker-setup.sh [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out" || fail "-V: $(cat "$tmp/out")"
run no-args 2
expect err "Usage:"
run bad-option 2 -x "$url" jill
expect err "unknown option -x"
run no-profile-value 2 -p
expect err "option -p needs a value"
run bad-account 2 -k "$url" 'jill/../x' "$tmp/k/rsa-pem"
expect err "is not an account login"
run bad-profile 2 -k -p ../x "$url" jill "$tmp/k/rsa-pem"

# ---- Refusals ------------------------------------------------------------------------

run wrong-key 5 -k "$url" jill "$tmp/k/stranger"
expect err "the key $tmp/k/stranger (MD5:"
expect err "is not an SSH key of account 'jill' at $url"
expect err "CloudAPI said: key "
run unknown-account 5 -k "$url" jack "$tmp/k/rsa-pem"
expect err "is not an SSH key of account 'jack'"
expect err "CloudAPI said: account jack does not exist"
run unreachable 4 -k "https://127.0.0.1:$dead" jill "$tmp/k/rsa-pem"
expect err "cannot reach CloudAPI at https://127.0.0.1:$dead/--ping"
run not-cloudapi 4 -k "https://127.0.0.1:$dport" jill "$tmp/k/rsa-pem"
expect err "does not look like CloudAPI"
SDC_KEY_PASSPHRASE=nope run wrong-passphrase 3 -k "$url" jill "$tmp/k/ec256-ossh-pw"
expect err "wrong passphrase for $tmp/k/ec256-ossh-pw"
SDC_KEY_PASSPHRASE=nope run wrong-passphrase-pem 3 -k "$url" jill "$tmp/k/rsa-pem-pw"
expect err "wrong passphrase for $tmp/k/rsa-pem-pw"
# a wrong passphrase that passes CBC's padding check (about one in 256):
# OpenSSL then fails to decode the key rather than to decrypt it.  Found
# offline rather than by an openssl run per guess (seconds each hundred):
# the PEM's AES-128 key is MD5(passphrase, the IV's first 8 bytes)
# (EVP_BytesToKey, one round), and the padding is the last block
# decrypted XOR the block before it.  openssl then confirms the find.
unlucky=$(python3 - "$tmp/k/rsa-pem-pw" <<'EOF'
import base64, hashlib, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
head, _, body = open(sys.argv[1]).read().partition("\n\n")
dek = [l for l in head.splitlines() if l.startswith("DEK-Info: ")]
if not dek or not dek[0].startswith("DEK-Info: AES-128-CBC,"):
    sys.exit("%s: no DEK-Info of AES-128-CBC in %r" % (sys.argv[1], head))
salt = bytes.fromhex(dek[0].split(",")[1])[:8]
body = base64.b64decode("".join(l for l in body.splitlines()
                                if not l.startswith("-----")))
before, last = body[-32:-16], body[-16:]
for i in range(1, 100000):
    guess = b"w%d" % i
    key = hashlib.md5(guess + salt).digest()
    aes = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    plain = bytes(a ^ b for a, b in zip(aes.update(last), before))
    n = plain[-1]
    if 1 <= n <= 16 and plain[-n:] == bytes([n]) * n:
        print(guess.decode())
        break
EOF
)
[ -n "$unlucky" ] || fail "no passphrase passing the padding check in 100000"
case $(openssl pkey -in "$tmp/k/rsa-pem-pw" -passin "pass:$unlucky" -noout 2>&1) in
*'bad decrypt'*) fail "openssl: '$unlucky' does not pass the padding check" ;;
esac
SDC_KEY_PASSPHRASE=$unlucky run wrong-passphrase-pem-padded 3 -k "$url" jill "$tmp/k/rsa-pem-pw"
expect err "wrong passphrase for $tmp/k/rsa-pem-pw"
run no-terminal 3 -k "$url" jill "$tmp/k/ed-ossh-pw"
expect err "no terminal to ask for its passphrase"
expect err "SDC_KEY_PASSPHRASE"
run dsa-pem 3 -k "$url" jill "$tmp/k/dsa-pem"
expect err "is a DSA key, which is not supported"
run dsa-openssh 3 -k "$url" jill "$tmp/k/dsa-ossh"
expect err "is a DSA key, which is not supported"
run missing-key 3 -k "$url" jill "$tmp/k/nonesuch"
expect err "no SSH private key at $tmp/k/nonesuch"
run public-key 3 -k "$url" jill "$tmp/k/rsa-pem.pub"
expect err "is a public key; give the private key"
run not-a-key 3 -k "$url" jill "$tmp/ports"
expect err "is not an SSH private key"
run no-docker 6 -k "$url" nodock "$tmp/k/rsa-pem"
expect err "lists no \"docker\" service for account 'nodock'"
run docker-not-tcp 6 -k "$url" badsvc "$tmp/k/rsa-pem"
expect err "is not a tcp:// address"
run docker-unreachable 6 -k "$url" noport "$tmp/k/rsa-pem"
expect out "Docker service endpoint is: tcp://[::1]:2376"
expect err "cannot reach the Docker endpoint at https://[::1]:2376/ca.pem"

# ---- With sdc-docker-certgen, when it is built --------------------------------------

certgen=${SDC_BIN:-$top/build/bin}/sdc-docker-certgen
if [ -x "$certgen" ]; then
	for k in rsa-pem ec384-ossh ed-ossh; do
		SDC_CERTGEN=$certgen run "certgen-$k" 0 -k "$url" jill "$tmp/k/$k"
		check_profile "$home/.sdc/docker/jill" "$k" ""
	done
	SDC_CERTGEN=$certgen SDC_KEY_PASSPHRASE=hunter22 run certgen-pass 0 -k "$url" jill "$tmp/k/ec256-ossh-pw"
	check_profile "$home/.sdc/docker/jill" ec256-ossh-pw ""
	SDC_CERTGEN=$certgen SDC_KEY_PASSPHRASE='long pass phrase' \
	    run certgen-ed-pass 0 -k "$url" jill "$tmp/k/ed-ossh-pw"
	check_profile "$home/.sdc/docker/jill" ed-ossh-pw ""
	SDC_CERTGEN=$certgen SDC_KEY_PASSPHRASE=nope \
	    run certgen-wrong-pass 3 -k "$url" jill "$tmp/k/ed-ossh-pw"
	expect err "wrong passphrase for $tmp/k/ed-ossh-pw"
	SDC_CERTGEN=$certgen run certgen-wrong-key 5 -k "$url" jill "$tmp/k/stranger"
	expect err "is not an SSH key of account 'jill'"
	SDC_CERTGEN=$certgen run certgen-dsa 3 -k "$url" jill "$tmp/k/dsa-ossh"
	expect err "is a DSA key, which is not supported"
else
	case=certgen fail "$certgen is not built (make): its cases did not run"
fi

check_certs
echo "$cases cases, $failures failures"
[ "$failures" -eq 0 ]
