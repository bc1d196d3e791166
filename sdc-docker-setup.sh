#!/usr/bin/env bash
#
# sdc-docker-setup.sh: set up a Docker client for an SDC Docker endpoint.
#
# The user has an account and an SSH key registered with it; the Docker
# endpoint wants a TLS client certificate.  This script bridges the two, as
# Triton's did: it proves the key works against CloudAPI (HTTP Signature over
# the Date header), makes a certificate self-signed by that same key (CN =
# the account), asks CloudAPI where the Docker endpoint is, fetches that
# endpoint's CA and writes everything to ~/.sdc/docker/PROFILE with an env.sh
# to source.
#
# It needs nothing but bash, curl, openssl and ssh-keygen, so it runs on a
# laptop where none of this project is installed; when sdc-docker-certgen is
# at hand it does the key work with it instead.  Triton's took RSA keys in
# PEM only.  This one reads RSA, ECDSA and Ed25519 keys, PEM or OpenSSH
# format, encrypted or not: ssh-keygen decrypts and converts OpenSSH keys
# (Ed25519 ones stay in OpenSSH format and are unpacked here), openssl the
# PEM ones.  The public key is always derived from the private key, so a
# missing or stale KEY.pub does not matter.
#
# Decrypted key material is only ever written below ~/.sdc/docker: all work
# happens in a private temporary folder there, removed on exit, and the
# profile appears by one rename at the end, so a failure leaves no
# half-written profile behind.
#
# Exit status: 0 done; 1 an unexpected failure of a tool; 2 usage; 3 the
# key (missing, not a private key, unsupported type, wrong passphrase);
# 4 CloudAPI not reachable or not verified; 5 CloudAPI refused the account
# or key; 6 no Docker endpoint or its CA not fetched; 7 the profile exists.

set -u
set -o pipefail

VERSION=0.1.0
PROG=$(basename "$0")

EXIT_FAIL=1 EXIT_USAGE=2 EXIT_KEY=3 EXIT_REACH=4 EXIT_AUTH=5 EXIT_DOCKER=6 EXIT_EXISTS=7

opt_quiet=false opt_insecure=false opt_shell=false opt_force=false opt_profile=
cloudapi='' account='' key_path=''
work='' certgen='' prompted=false

# ---- Output ---------------------------------------------------------------

say() { # progress for people; silent with -q and -s
	$opt_quiet || $opt_shell || printf '%s\n' "$@"
}

warn() {
	printf '%s: warning: %s\n' "$PROG" "$*" >&2
}

die() { # status, message lines...
	local status=$1
	shift
	printf '%s: error: %s\n' "$PROG" "$1" >&2
	shift
	[ $# -gt 0 ] && printf '    %s\n' "$@" >&2
	exit "$status"
}

usage() {
	cat <<EOF
Usage: $PROG [-h] [-V] [-q] [-k] [-s] [-f] [-p PROFILE] CLOUDAPI_URL ACCOUNT [SSH_PRIVATE_KEY]

Set up a Docker client for the SDC Docker endpoint of a data center: verify
CloudAPI access with your SSH key, make a TLS client certificate from it and
write ~/.sdc/docker/PROFILE/{key.pem,cert.pem,ca.pem,env.sh}.

  CLOUDAPI_URL     the data center's CloudAPI, e.g. https://cloudapi.example.com
  ACCOUNT          your account login
  SSH_PRIVATE_KEY  one of the account's SSH keys (default ~/.ssh/id_rsa):
                   RSA, ECDSA or Ed25519, PEM or OpenSSH format

Options:
  -h          print this help and exit
  -V          print the version and exit
  -q          quiet: print nothing but errors
  -k          insecure: do not verify the TLS certificates of CloudAPI and of
              the Docker endpoint (DOCKER_TLS_VERIFY is then left unset)
  -s          print only the environment lines, for eval "\$($PROG -s ...)"
  -f          overwrite an existing profile
  -p PROFILE  the profile name (default: ACCOUNT)

Environment: SDC_KEY_PASSPHRASE gives the key's passphrase without a prompt;
SDC_CERTGEN names the sdc-docker-certgen to use ("none": use openssl).
EOF
}

# ---- Small helpers ----------------------------------------------------------

# A value as a shell word: bare when safe, else single-quoted.
shell_word() {
	case $1 in
	'' | *[!A-Za-z0-9_./:@%+=,-]*)
		printf "'%s'" "${1//\'/\'\\\'\'}" ;;
	*)
		printf '%s' "$1" ;;
	esac
}

cleanup() {
	if $prompted; then
		stty echo </dev/tty 2>/dev/null
	fi
	if [ -n "$work" ] && [ -d "$work" ]; then
		rm -rf -- "$work"
	fi
}

rfc1123_date() {
	LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT'
}

# The "message" of a CloudAPI JSON error body, if any.
json_message() {
	tr -d '\n' <"$1" | sed -n 's/.*"message"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'
}

# A string member of a flat JSON object.
json_string() { # file, name
	tr -d '\n' <"$1" | sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p"
}

# Hex of a byte string, two digits a byte, no spaces.
hex_of() {
	od -An -v -tx1 | tr -d ' \n'
}

# Bytes from a hex string.
unhex() {
	local hex=$1 out='' i
	for ((i = 0; i < ${#hex}; i += 2)); do
		out+="\\x${hex:i:2}"
	done
	printf '%b' "$out"
}

# ---- Arguments ----------------------------------------------------------------

parse_args() {
	local opt
	OPTIND=1
	while getopts ":hVqksfp:" opt; do
		case $opt in
		h) usage; exit 0 ;;
		V) printf '%s %s\n' "$PROG" "$VERSION"; exit 0 ;;
		q) opt_quiet=true ;;
		k) opt_insecure=true ;;
		s) opt_shell=true ;;
		f) opt_force=true ;;
		p) opt_profile=$OPTARG ;;
		:) die $EXIT_USAGE "option -$OPTARG needs a value" "run '$PROG -h' for help" ;;
		*) die $EXIT_USAGE "unknown option -$OPTARG" "run '$PROG -h' for help" ;;
		esac
	done
	shift $((OPTIND - 1))
	if [ $# -lt 2 ] || [ $# -gt 3 ]; then
		usage >&2
		exit $EXIT_USAGE
	fi
	cloudapi=$1 account=$2 key_path=${3:-$HOME/.ssh/id_rsa}

	case $cloudapi in
	https://* | http://*) ;;
	*://*) die $EXIT_USAGE "CloudAPI URL '$cloudapi' is neither https:// nor http://" ;;
	'') die $EXIT_USAGE "the CloudAPI URL is empty" ;;
	*) cloudapi=https://$cloudapi ;;
	esac
	while [ "${cloudapi%/}" != "$cloudapi" ]; do
		cloudapi=${cloudapi%/}
	done
	# Triton's logins: a letter, then letters, digits and _ . @ -
	case $account in
	[A-Za-z]*) ;;
	*) die $EXIT_USAGE "'$account' is not an account login (it must start with a letter)" ;;
	esac
	case $account in
	*[!A-Za-z0-9_.@-]*)
		die $EXIT_USAGE "'$account' is not an account login (letters, digits, _ . @ - only)" ;;
	esac
	[ -n "$opt_profile" ] || opt_profile=$account
	case $opt_profile in
	.* | */* | *[[:space:]]*)
		die $EXIT_USAGE "profile name '$opt_profile' must not start with '.' nor hold '/' or spaces" ;;
	esac
}

# ---- Tools ----------------------------------------------------------------------

check_tools() {
	local t
	for t in curl openssl ssh-keygen od; do
		command -v "$t" >/dev/null 2>&1 ||
		    die $EXIT_FAIL "'$t' is needed and was not found on PATH"
	done
	case ${SDC_CERTGEN:-} in
	none) certgen= ;;
	?*) certgen=$SDC_CERTGEN ;;
	*)
		if command -v sdc-docker-certgen >/dev/null 2>&1; then
			certgen=$(command -v sdc-docker-certgen)
		elif [ -n "${SDC_BIN:-}" ] && [ -x "$SDC_BIN/sdc-docker-certgen" ]; then
			certgen=$SDC_BIN/sdc-docker-certgen
		fi ;;
	esac
	if [ -n "$certgen" ] && ! [ -x "$certgen" ]; then
		die $EXIT_FAIL "SDC_CERTGEN names '$certgen', which is not an executable"
	fi
}

# ---- The key ------------------------------------------------------------------------

# Filled in by key_load.
key_format=	# openssh | pem
key_type=	# RSA | ECDSA | ED25519
key_bits=
key_md5=	# colon hex, no "MD5:" prefix
key_alg=	# the HTTP Signature algorithm
key_digest=	# sha256 | sha384 | sha512 | "" (Ed25519)
passphrase=

key_check_file() {
	[ -e "$key_path" ] || die $EXIT_KEY "no SSH private key at $key_path" \
	    "give the key as the third argument (default ~/.ssh/id_rsa)"
	if ! [ -f "$key_path" ] || ! [ -r "$key_path" ]; then
		die $EXIT_KEY "cannot read $key_path"
	fi
	local first
	IFS= read -r first <"$key_path" || true
	first=${first%$'\r'}
	case $first in
	'-----BEGIN OPENSSH PRIVATE KEY-----') key_format=openssh ;;
	'-----BEGIN DSA PRIVATE KEY-----')
		die $EXIT_KEY "$key_path is a DSA key, which is not supported" \
		    "use an RSA, ECDSA or Ed25519 key" ;;
	'-----BEGIN RSA PRIVATE KEY-----' | '-----BEGIN EC PRIVATE KEY-----' | \
	    '-----BEGIN PRIVATE KEY-----' | '-----BEGIN ENCRYPTED PRIVATE KEY-----')
		key_format=pem ;;
	ssh-* | ecdsa-* | sk-*)
		die $EXIT_KEY "$key_path is a public key; give the private key (without .pub)" ;;
	*)
		die $EXIT_KEY "$key_path is not an SSH private key in PEM or OpenSSH format" ;;
	esac
}

# The decoded body of an OpenSSH private key file, as hex.
openssh_hex() {
	sed -e '1d' -e '$d' "$1" | tr -d '\r\n' | openssl base64 -d -A | hex_of
}

# A length-prefixed string at a byte offset of a hex blob: prints
# "LENGTH HEX" so the caller can step over it.
ssh_string_at() { # hex, offset
	local len=$((16#${1:$2 * 2:8}))
	printf '%s %s\n' "$len" "${1:($2 + 4) * 2:len * 2}"
}

key_is_encrypted() {
	if [ "$key_format" = openssh ]; then
		local hex len cipher
		hex=$(openssh_hex "$key_path") || return 1
		# "openssh-key-v1\0", then the cipher name.
		read -r len cipher <<<"$(ssh_string_at "$hex" 15)"
		[ "$len" -gt 0 ] && [ "$cipher" != "$(printf none | hex_of)" ]
	else
		grep -q -e '^Proc-Type: 4,ENCRYPTED' -e 'BEGIN ENCRYPTED PRIVATE KEY' "$key_path"
	fi
}

# The passphrase: SDC_KEY_PASSPHRASE, else asked on the terminal.
passphrase_get() { # attempt number
	if [ -n "${SDC_KEY_PASSPHRASE+set}" ]; then
		[ "$1" -eq 1 ] || return 1
		passphrase=$SDC_KEY_PASSPHRASE
		return 0
	fi
	if ! { : </dev/tty; } 2>/dev/null; then
		die $EXIT_KEY "$key_path is encrypted and there is no terminal to ask for its passphrase" \
		    "set SDC_KEY_PASSPHRASE to give it"
	fi
	[ "$1" -le 3 ] || return 1
	prompted=true
	printf 'Enter passphrase for %s: ' "$key_path" >/dev/tty
	IFS= read -r -s passphrase </dev/tty || passphrase=
	printf '\n' >/dev/tty
	return 0
}

# Decrypt (when needed) and convert the key in $work/tmp/ssh.key, in place,
# to something ssh-keygen and openssl can read without a passphrase.
# Prints the tool's complaint and fails on a wrong passphrase.
key_decrypt() { # encrypted: true|false
	local f=$work/tmp/ssh.key
	if [ "$key_format" = openssh ]; then
		# -m PEM turns RSA and ECDSA keys into PEM; Ed25519 ones stay
		# OpenSSH.  The passphrase reaches ssh-keygen through an
		# askpass helper reading the environment, never through argv.
		if $1; then
			{ SDC_SETUP_PASS_=$passphrase SSH_ASKPASS=$work/tmp/askpass \
			    SSH_ASKPASS_REQUIRE=force DISPLAY=${DISPLAY:-:0} \
			    ssh-keygen -q -p -m PEM -N '' -f "$f" </dev/null >/dev/null; } 2>&1
		else
			{ ssh-keygen -q -p -m PEM -P '' -N '' -f "$f" </dev/null >/dev/null; } 2>&1
		fi
	else
		{ SDC_SETUP_PASS_=$passphrase openssl pkey -in "$f" -passin env:SDC_SETUP_PASS_ \
		    -out "$f.new" >/dev/null; } 2>&1 && mv -f "$f.new" "$f"
	fi
}

# Unpack an unencrypted OpenSSH Ed25519 key into PKCS#8 PEM.
ed25519_to_pem() { # openssh file, pem out
	local hex off len val seed
	hex=$(openssh_hex "$1") || return 1
	off=15
	for _ in cipher kdf kdfopts; do
		read -r len val <<<"$(ssh_string_at "$hex" $off)"
		off=$((off + 4 + len))
	done
	off=$((off + 4))	# number of keys
	read -r len val <<<"$(ssh_string_at "$hex" $off)"	# public key
	off=$((off + 4 + len + 4 + 8))	# private section length, check ints
	read -r len val <<<"$(ssh_string_at "$hex" $off)"	# key type
	[ "$val" = "$(printf ssh-ed25519 | hex_of)" ] || return 1
	off=$((off + 4 + len))
	read -r len val <<<"$(ssh_string_at "$hex" $off)"	# public part
	off=$((off + 4 + len))
	read -r len val <<<"$(ssh_string_at "$hex" $off)"	# seed || public
	[ "$len" -eq 64 ] || return 1
	seed=${val:0:64}
	# PKCS#8 PrivateKeyInfo for Ed25519 (RFC 8410): fixed prefix, seed.
	unhex "302e020100300506032b657004220420$seed" >"$work/tmp/ed.der" &&
	    openssl pkey -inform DER -in "$work/tmp/ed.der" -out "$2" 2>/dev/null
	local rc=$?
	rm -f "$work/tmp/ed.der"
	return $rc
}

# The OpenSSH public key line of an Ed25519 PEM key, which ssh-keygen
# cannot read.
ed25519_pub_from_pem() {
	local raw blob
	raw=$(openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | hex_of) || return 1
	[ ${#raw} -eq 88 ] || return 1
	blob=0000000b$(printf ssh-ed25519 | hex_of)00000020${raw:24:64}
	printf 'ssh-ed25519 %s\n' "$(unhex "$blob" | openssl base64 -A)"
}

# Type, size and MD5 fingerprint of the public key in $work/tmp/key.pub.
key_identify() {
	local line
	line=$(ssh-keygen -l -E md5 -f "$work/tmp/key.pub" 2>/dev/null) ||
	    die $EXIT_KEY "cannot read the public key of $key_path"
	key_bits=${line%% *}
	key_md5=${line#* MD5:}
	key_md5=${key_md5%% *}
	key_type=${line##*(}
	key_type=${key_type%)}
	case $key_type in
	RSA) key_alg=rsa-sha256 key_digest=sha256 ;;
	ECDSA)
		case $key_bits in
		256) key_digest=sha256 ;;
		384) key_digest=sha384 ;;
		521) key_digest=sha512 ;;
		*) die $EXIT_KEY "$key_path is an ECDSA key on an unsupported curve ($key_bits bits)" ;;
		esac
		key_alg=ecdsa-$key_digest ;;
	ED25519) key_alg=ed25519 key_digest= ;;
	DSA) die $EXIT_KEY "$key_path is a DSA key, which is not supported" \
	    "use an RSA, ECDSA or Ed25519 key" ;;
	*) die $EXIT_KEY "$key_path is a $key_type key, which is not supported" \
	    "use an RSA, ECDSA or Ed25519 key held in the file itself" ;;
	esac
}

# Make the key usable without its passphrase: sdc-docker-certgen writes
# key.pem and cert.pem from it at once; otherwise ssh-keygen or openssl
# decrypt the copy in $work/tmp/ssh.key.  Prints the complaint on failure.
key_unlock() { # encrypted: true|false
	if [ -n "$certgen" ]; then
		{ SDC_SETUP_PASS_=$passphrase "$certgen" client --account "$account" \
		    --key "$key_path" --out "$work/profile" \
		    --passphrase-env SDC_SETUP_PASS_ >/dev/null; } 2>&1
	else
		key_decrypt "$1"
	fi
}

# Unlock the key, asking for its passphrase as often as it takes.
key_unlock_ask() {
	local encrypted=false ok=false attempt=1 out
	key_is_encrypted && encrypted=true
	if ! $encrypted; then
		out=$(key_unlock false) || key_unlock_die "$out"
		return 0
	fi
	cat >"$work/tmp/askpass" <<'EOF'
#!/bin/sh
printf '%s\n' "$SDC_SETUP_PASS_"
EOF
	chmod 700 "$work/tmp/askpass"
	while passphrase_get $attempt; do
		if out=$(key_unlock true); then
			ok=true
			break
		fi
		cp "$key_path" "$work/tmp/ssh.key"
		# A wrong passphrase on a PEM key is caught by CBC's padding
		# check, but about one in 256 pass it and fail later, as a
		# key OpenSSL cannot decode: for a key known to be encrypted
		# that is the passphrase's fault too.
		case $out in
		*DSA*) key_unlock_die "$out" ;;
		*'incorrect passphrase'* | *'bad decrypt'* | *'Bad passphrase'* | \
		    *'wrong password'* | *'wrong passphrase'* | \
		    *'ossl_store_handle_load_result:unsupported'*) ;;
		*) key_unlock_die "$out" ;;
		esac
		[ -n "${SDC_KEY_PASSPHRASE+set}" ] ||
		    printf 'Wrong passphrase, try again.\n' >/dev/tty
		attempt=$((attempt + 1))
	done
	passphrase=
	$ok || die $EXIT_KEY "wrong passphrase for $key_path"
}

key_unlock_die() { # complaint
	case $1 in
	*DSA*) die $EXIT_KEY "$key_path is a DSA key, which is not supported" \
	    "use an RSA, ECDSA or Ed25519 key" ;;
	*) die $EXIT_KEY "cannot read $key_path" "$1" ;;
	esac
}

# Read the key: leaves $work/profile/key.pem (PKCS#8 PEM, unencrypted),
# sets key_type and key_md5, and, on the openssl path, key_alg and
# key_digest; with sdc-docker-certgen, cert.pem is made here too.
key_load() {
	local f=$work/tmp/ssh.key
	key_check_file
	if ! cp "$key_path" "$f" || ! chmod 600 "$f"; then
		die $EXIT_FAIL "cannot copy $key_path to $work"
	fi
	# A DSA key in OpenSSH format shows its type before any passphrase.
	if [ "$key_format" = openssh ] &&
	    ssh-keygen -l -f "$f" 2>/dev/null | grep -q '(DSA)$'; then
		key_unlock_die DSA
	fi
	key_unlock_ask
	if [ -n "$certgen" ]; then
		key_md5=$("$certgen" fingerprint --md5 --bare "$work/profile/key.pem") ||
		    die $EXIT_KEY "cannot fingerprint $key_path"
		case $(openssl x509 -in "$work/profile/cert.pem" -noout -text) in
		*rsaEncryption*) key_type=RSA ;;
		*id-ecPublicKey*) key_type=ECDSA ;;
		*) key_type=ED25519 ;;
		esac
	else
		key_to_pem "$f"
	fi
	rm -f "$f"
	key_check_pub
}

# From the unlocked copy: the public key, what it is, and key.pem.
key_to_pem() { # unlocked key file
	if ssh-keygen -y -f "$1" >"$work/tmp/key.pub" 2>/dev/null; then
		:
	elif ! ed25519_pub_from_pem "$1" >"$work/tmp/key.pub"; then
		die $EXIT_KEY "cannot derive the public key of $key_path"
	fi
	key_identify
	if [ "$key_format" = openssh ] && [ "$key_type" = ED25519 ]; then
		ed25519_to_pem "$1" "$work/profile/key.pem" ||
		    die $EXIT_KEY "cannot convert the Ed25519 key $key_path to PEM"
	else
		openssl pkey -in "$1" -out "$work/profile/key.pem" 2>/dev/null ||
		    die $EXIT_KEY "cannot convert $key_path to PEM"
	fi
}

# A KEY.pub beside the key is not needed; if it names another key, say so,
# since the user probably registered that one.
key_check_pub() {
	local pub=$key_path.pub line
	[ -r "$pub" ] || return 0
	line=$(ssh-keygen -l -E md5 -f "$pub" 2>/dev/null) || return 0
	case $line in
	*" MD5:$key_md5 "*) ;;
	*) warn "$pub does not match $key_path; using the public key of $key_path (MD5:$key_md5)" ;;
	esac
}

# ---- HTTP Signature ---------------------------------------------------------------

# The Authorization header value for a Date header value.
http_signature() { # date
	local sig tbs=$work/tmp/tbs
	printf 'date: %s' "$1" >"$tbs"
	if [ -n "$certgen" ]; then
		"$certgen" sign --key "$work/profile/key.pem" --account "$account" --date "$1" |
		    sed -n 's/^Authorization: //p' | grep .
		return
	fi
	if [ "$key_type" = ED25519 ]; then
		sig=$(openssl pkeyutl -sign -inkey "$work/profile/key.pem" -rawin -in "$tbs" |
		    openssl base64 -A) || return 1
	else
		sig=$(openssl dgst "-$key_digest" -sign "$work/profile/key.pem" "$tbs" |
		    openssl base64 -A) || return 1
	fi
	printf 'Signature keyId="/%s/keys/%s",algorithm="%s",signature="%s"\n' \
	    "$account" "$key_md5" "$key_alg" "$sig"
}

# ---- HTTP --------------------------------------------------------------------------

http_status=
http_error=

# GET a URL into a file; sets http_status, or http_error and curl's status.
http_get() { # url, out file, signed: true|false
	local args=(-sS --connect-timeout 10 --max-time 60 -o "$2" -w '%{http_code}'
	    -H 'Accept: application/json' -H 'Accept-Version: ~8||~9')
	local date auth rc
	$opt_insecure && args+=(-k)
	if $3; then
		date=$(rfc1123_date)
		auth=$(http_signature "$date") || die $EXIT_FAIL "cannot sign the request with $key_path"
		args+=(-H "Date: $date" -H "Authorization: $auth")
	fi
	http_status=$(curl "${args[@]}" -- "$1" 2>"$work/tmp/curl.err")
	rc=$?
	http_error=$(head -n 1 "$work/tmp/curl.err")
	return $rc
}

# Fail with a useful message for curl's failure to reach a URL.
http_die() { # curl status, url, what, [exit status]
	local status=${4:-$EXIT_REACH}
	case $1 in
	60 | 51 | 58 | 77 | 83 | 90 | 91)
		die "$status" "cannot verify the TLS certificate of $2 ($3)" "$http_error" \
		    "if it uses a self-signed certificate, run again with -k" ;;
	*)
		die "$status" "cannot reach $3 at $2" "$http_error" ;;
	esac
}

# ---- The steps ---------------------------------------------------------------------

cloudapi_verify() {
	local body=$work/tmp/body rc msg
	say "Verifying CloudAPI access."
	http_get "$cloudapi/--ping" "$body" false
	rc=$?
	[ $rc -eq 0 ] || http_die $rc "$cloudapi/--ping" CloudAPI
	[ "$http_status" = 200 ] || die $EXIT_REACH \
	    "$cloudapi does not look like CloudAPI: GET /--ping answered HTTP $http_status"

	http_get "$cloudapi/$account" "$body" true
	rc=$?
	[ $rc -eq 0 ] || http_die $rc "$cloudapi/$account" CloudAPI
	msg=$(json_message "$body")
	case $http_status in
	200) ;;
	401) die $EXIT_AUTH \
	    "the key $key_path (MD5:$key_md5) is not an SSH key of account '$account' at $cloudapi" \
	    "CloudAPI said: ${msg:-HTTP 401}" \
	    "check the account name, and that this key's public half is registered with it" ;;
	403) die $EXIT_AUTH "account '$account' may not use $cloudapi" "CloudAPI said: ${msg:-HTTP 403}" ;;
	404) die $EXIT_AUTH "no account '$account' at $cloudapi" "CloudAPI said: ${msg:-HTTP 404}" ;;
	*) die $EXIT_REACH "GET $cloudapi/$account answered HTTP $http_status" "${msg:-}" ;;
	esac
	say "CloudAPI access verified." ""
}

client_cert() {
	local conf=$work/tmp/req.cnf
	say "Generating client certificate from SSH private key."
	# sdc-docker-certgen made it with key.pem, in key_load.
	if [ -z "$certgen" ]; then
		cat >"$conf" <<EOF
[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = $account
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
EOF
		openssl req -new -x509 -config "$conf" -key "$work/profile/key.pem" \
		    ${key_digest:+"-$key_digest"} -days 365 -out "$work/profile/cert.pem" \
		    2>"$work/tmp/openssl.err" ||
		    die $EXIT_FAIL "openssl could not make the certificate" "$(cat "$work/tmp/openssl.err")"
	fi
	say "Client certificate: CN=$account, $key_type key MD5:$key_md5, valid 365 days." ""
}

docker_host=
docker_endpoint() {
	local body=$work/tmp/body rc msg
	say "Get Docker host endpoint from cloudapi."
	http_get "$cloudapi/$account/services" "$body" true
	rc=$?
	[ $rc -eq 0 ] || http_die $rc "$cloudapi/$account/services" CloudAPI
	[ "$http_status" = 200 ] || die $EXIT_DOCKER \
	    "GET $cloudapi/$account/services answered HTTP $http_status" "$(json_message "$body")"
	docker_host=$(json_string "$body" docker)
	[ -n "$docker_host" ] || die $EXIT_DOCKER \
	    "CloudAPI at $cloudapi lists no \"docker\" service for account '$account'" \
	    "this data center may not offer Docker; ask its operator"
	case $docker_host in
	tcp://?*) ;;
	*) die $EXIT_DOCKER "the Docker endpoint '$docker_host' is not a tcp:// address" ;;
	esac
	case ${docker_host#tcp://} in	# no port: Docker's TLS port
	\[*\]:[0-9]*) ;;
	\[*\] | *]) docker_host=$docker_host:2376 ;;
	*:[0-9]*) ;;
	*) docker_host=$docker_host:2376 ;;
	esac
	say "Docker service endpoint is: $docker_host" ""

	local url=https://${docker_host#tcp://}/ca.pem
	http_get "$url" "$work/profile/ca.pem" false
	rc=$?
	[ $rc -eq 0 ] || http_die $rc "$url" "the Docker endpoint" $EXIT_DOCKER
	[ "$http_status" = 200 ] || die $EXIT_DOCKER "GET $url answered HTTP $http_status"
	openssl x509 -noout -in "$work/profile/ca.pem" 2>/dev/null ||
	    die $EXIT_DOCKER "$url did not give a PEM certificate"
}

# The environment lines, shared by env.sh, -s and the summary.
env_lines() {
	local dir=$1
	printf 'export DOCKER_CERT_PATH=%s\n' "$(shell_word "$dir")"
	printf 'export DOCKER_HOST=%s\n' "$(shell_word "$docker_host")"
	# Not DOCKER_CLIENT_TIMEOUT: dockerode reads it as milliseconds, so
	# 300 would fail every call slower than 0.3 s (stats, wait, logs -f).
	printf 'export COMPOSE_HTTP_TIMEOUT=300\n'
	if $opt_insecure; then
		# As Triton's did, -k leaves DOCKER_TLS_VERIFY unset: the endpoint's
		# certificate is not verified.  DOCKER_TLS=1 keeps the client on
		# TLS with the client certificate (docker CLI 20.10 and later).
		printf 'unset DOCKER_TLS_VERIFY\n'
		printf 'export DOCKER_TLS=1\n'
	else
		printf 'export DOCKER_TLS_VERIFY=1\n'
	fi
}

profile_write() {
	local dir=$1
	{
		printf '# Docker client environment for SDC account %s at %s.\n' "$account" "$cloudapi"
		printf '# Written by %s %s on %s; source it: . %s/env.sh\n' \
		    "$PROG" "$VERSION" "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$(shell_word "$dir")"
		env_lines "$dir"
	} >"$work/profile/env.sh"
	chmod 600 "$work/profile/key.pem"
	chmod 644 "$work/profile/cert.pem" "$work/profile/ca.pem" "$work/profile/env.sh"
	chmod 700 "$work/profile"
	if [ -e "$dir" ]; then
		$opt_force || die $EXIT_EXISTS "profile $dir exists (use -f to overwrite it)"
		mv -- "$dir" "$work/old" || die $EXIT_FAIL "cannot move the old profile $dir aside"
	fi
	if ! mv -- "$work/profile" "$dir"; then
		[ -e "$work/old" ] && mv -- "$work/old" "$dir"
		die $EXIT_FAIL "cannot write $dir"
	fi
	say "Wrote certificate files to $dir" ""
}

# The CA's SHA-256 fingerprint, as `openssl x509 -fingerprint` prints it.
ca_fingerprint() {
	openssl x509 -noout -fingerprint -sha256 -in "$1" 2>/dev/null ||
	    printf 'sha256 Fingerprint=unknown\n'
}

summary() {
	local dir=$1
	if $opt_shell; then
		env_lines "$dir"
		return
	fi
	$opt_quiet && return
	say "* * *" "Success. Set your environment as follows:" ""
	env_lines "$dir" | sed 's/^/    /'
	say "" "Or run the following to set up the environment in this shell:" "" \
	    "    source $(shell_word "$dir/env.sh")" ""
	if $opt_insecure; then
		say "Note: -k was given, so the Docker endpoint's certificate is not verified" \
		    "(DOCKER_TLS_VERIFY is left unset); run again without -k to verify it." \
		    "The endpoint's CA was fetched into $(shell_word "$dir/ca.pem") all the same:" \
		    "once its fingerprint is the one your operator gives," \
		    "    $(ca_fingerprint "$dir/ca.pem")" \
		    "verify against it from then on with:" \
		    "    export DOCKER_TLS_VERIFY=1" ""
	fi
	say "Then you should be able to run 'docker info' and see your account name" \
	    "'SDCAccount: $account' in the output."
}

main() {
	parse_args "$@"
	check_tools
	[ -n "${HOME:-}" ] || die $EXIT_USAGE "HOME is not set"
	local base=$HOME/.sdc/docker
	local dir=$base/$opt_profile
	if [ -e "$dir" ] && ! $opt_force; then
		die $EXIT_EXISTS "profile $dir exists (use -f to overwrite it)"
	fi

	umask 077
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	mkdir -p -- "$base" || die $EXIT_FAIL "cannot create $base"
	work=$(mktemp -d "$base/.setup.XXXXXX") || die $EXIT_FAIL "cannot create a folder in $base"
	mkdir "$work/tmp" "$work/profile" || die $EXIT_FAIL "cannot create folders in $work"

	say "Setting up Docker client for SDC using:" \
	    "    CloudAPI:        $cloudapi" \
	    "    Account:         $account" \
	    "    Key:             $key_path" ""
	key_load
	cloudapi_verify
	client_cert
	docker_endpoint
	profile_write "$dir"
	summary "$dir"
}

main "$@"
