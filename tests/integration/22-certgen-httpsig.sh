#!/bin/sh
# 22-certgen-httpsig: HTTP Signature headers from `sdc-docker-certgen sign`
# for each key type.  Each must verify with `verify` and, independently,
# with openssl over "date: <value>"; a changed date, signature, keyId or
# algorithm must not verify.
set -u
bin=${SDC_BIN:?}/sdc-docker-certgen
for c in ssh-keygen openssl; do
	command -v $c >/dev/null || { echo "no $c"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
date='Mon, 23 Nov 2026 18:00:00 GMT'

param() { # NAME HEADER: the value of NAME="..." in HEADER
	printf '%s\n' "$2" | sed -n "s/.*$1=\"\\([^\"]*\\)\".*/\\1/p"
}

check() { # name alg ssh-keygen args...
	name=$1 alg=$2; shift 2
	k=$tmp/$name
	ssh-keygen -q "$@" -N '' -C "$name" -f "$k" || { fail "$name: ssh-keygen"; return; }
	out=$($bin sign --key "$k" --account jill --date "$date") || { fail "$name: sign"; return; }
	[ "$(printf '%s\n' "$out" | sed -n 1p)" = "Date: $date" ] || fail "$name: Date line"
	auth=$(printf '%s\n' "$out" | sed -n 's/^Authorization: //p')
	md5=$($bin fingerprint --md5 --bare "$k.pub")
	[ "$(param keyId "$auth")" = "/jill/keys/$md5" ] || fail "$name: keyId $(param keyId "$auth")"
	[ "$(param algorithm "$auth")" = "$alg" ] || fail "$name: algorithm"

	$bin verify --pubkey "$k.pub" --date "$date" --authorization "$auth" --account jill \
	    >/dev/null || fail "$name: does not verify"

	# openssl, knowing nothing of us, over the same string.
	param signature "$auth" | openssl base64 -d -A >"$k.sig"
	printf 'date: %s' "$date" >"$k.tbs"
	if [ $alg = ed25519 ]; then
		# The SPKI DER of an Ed25519 key: a fixed prefix and the raw key.
		{ printf '\060\052\060\005\006\003\053\145\160\003\041\000'
		  cut -d' ' -f2 "$k.pub" | openssl base64 -d -A | tail -c 32; } >"$k.der"
		openssl pkeyutl -verify -pubin -inkey "$k.der" -keyform DER -rawin \
		    -in "$k.tbs" -sigfile "$k.sig" >/dev/null ||
		    fail "$name: openssl pkeyutl does not verify it"
	else
		ssh-keygen -e -m PKCS8 -f "$k.pub" >"$k.spki"
		d=sha${alg##*-sha}
		openssl dgst -"$d" -verify "$k.spki" -signature "$k.sig" "$k.tbs" >/dev/null ||
		    fail "$name: openssl dgst does not verify it"
	fi

	# Tampering: each of these must fail.
	$bin verify --pubkey "$k.pub" --date "$date x" --authorization "$auth" \
	    >/dev/null 2>&1 && fail "$name: verified with another date"
	sig=$(param signature "$auth")
	case $sig in A*) bad=B${sig#A} ;; *) bad=A${sig#?} ;; esac
	$bin verify --pubkey "$k.pub" --date "$date" \
	    --authorization "$(printf '%s' "$auth" | sed "s|$sig|$bad|")" >/dev/null 2>&1 &&
	    fail "$name: verified a changed signature"
	$bin verify --pubkey "$k.pub" --date "$date" --account bob --authorization "$auth" \
	    >/dev/null 2>&1 && fail "$name: verified for another account"
	$bin verify --pubkey "$k.pub" --date "$date" \
	    --authorization "$(printf '%s' "$auth" | sed "s|algorithm=\"[^\"]*\"|algorithm=\"rsa-sha1\"|")" \
	    >/dev/null 2>&1 && fail "$name: verified with another algorithm"
	ssh-keygen -q -t ed25519 -N '' -f "$k.other"
	msg=$($bin verify --pubkey "$k.other.pub" --date "$date" --authorization "$auth" 2>&1) &&
	    fail "$name: verified with another key"
	echo "$msg" | grep -q "names key" || fail "$name: other key message: $msg"
	echo "ok $name"
}

check rsa rsa-sha256 -t rsa -b 2048
check rsa-pem rsa-sha256 -t rsa -b 2048 -m PEM
check p256 ecdsa-sha256 -t ecdsa -b 256
check p384 ecdsa-sha384 -t ecdsa -b 384
check p521 ecdsa-sha512 -t ecdsa -b 521
check ed25519 ed25519 -t ed25519

# Without --date, the Date line is now, in RFC 7231 form.
out=$($bin sign --key "$tmp/ed25519" --account jill | sed -n 's/^Date: //p')
printf '%s\n' "$out" | grep -Eq '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$' ||
    fail "default date \"$out\""

echo "failures: $failures"
[ $failures -eq 0 ]
