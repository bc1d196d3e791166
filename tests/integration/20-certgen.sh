#!/bin/sh
# 20-certgen: sdc-docker-certgen against keys made by the real ssh-keygen.
#
# For every key type (RSA, ECDSA P-256/384/521, Ed25519), file format
# (OpenSSH, PEM, PKCS#8) and with and without a passphrase: fingerprints
# equal ssh-keygen -l's; the self-signed certificate carries the SSH key
# and the asked-for CN, validity and EKU; the issued form's chain passes
# `openssl verify` and carries its issuer CN and EKU (unencrypted keys);
# a wrong passphrase fails clearly and writes nothing (encrypted keys).
set -u
bin=${SDC_BIN:?}/sdc-docker-certgen
for c in ssh-keygen openssl; do
	command -v $c >/dev/null || { echo "no $c"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass=sekrit
export PASS=$pass WRONG=wrong

# A PEM public key as openssl writes it back (its SubjectPublicKeyInfo,
# re-encoded): a canonical form to compare keys by.
spki() { openssl pkey -pubin 2>/dev/null; }

# The SSH public key of $1.pub as SPKI; Ed25519 through its raw 32 bytes,
# which ssh-keygen -e cannot export.
ssh_spki() {
	case $(cut -d' ' -f1 "$1.pub") in
	ssh-ed25519)
		cut -d' ' -f2 "$1.pub" | openssl base64 -d -A | tail -c 32 | od -An -tx1 | tr -d ' \n' ;;
	*)
		ssh-keygen -e -m PKCS8 -f "$1.pub" | spki ;;
	esac
}
cert_spki() {
	case $(cut -d' ' -f1 "$2.pub") in
	ssh-ed25519)
		openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
		    tail -c 32 | od -An -tx1 | tr -d ' \n' ;;
	*)
		openssl x509 -in "$1" -noout -pubkey | spki ;;
	esac
}

check_key() { # name, the type's key, ssh-keygen -p args (format, passphrase)...
	name=$1 base=$2; shift 2
	k=$tmp/$name
	# the type's one key, written by ssh-keygen in this format and
	# encryption: generating it again for each would add nothing
	cp "$base" "$k" && cp "$base.pub" "$k.pub" &&
	    ssh-keygen -q -p -P '' "$@" -f "$k" >/dev/null || { fail "$name: ssh-keygen"; return; }
	pw=; case "$*" in *"-N $pass"*) pw="--passphrase-env PASS" ;; esac

	# Fingerprints: of the .pub, and of the private key alone.
	want_md5=$(ssh-keygen -l -E md5 -f "$k.pub" | cut -d' ' -f2)
	want_sha=$(ssh-keygen -l -E sha256 -f "$k.pub" | cut -d' ' -f2)
	[ "$($bin fingerprint --md5 "$k.pub")" = "$want_md5" ] || fail "$name: md5 of .pub"
	[ "$($bin fingerprint --sha256 "$k.pub")" = "$want_sha" ] || fail "$name: sha256 of .pub"
	mv "$k.pub" "$k.pub.away"
	[ "$($bin fingerprint --md5 $pw "$k" </dev/null)" = "$want_md5" ] || fail "$name: md5 of private key"
	[ "$($bin fingerprint $pw "$k" </dev/null)" = "$want_sha" ] || fail "$name: sha256 of private key"
	mv "$k.pub.away" "$k.pub"
	md5=${want_md5#MD5:}

	# Self-signed: the SSH key's own certificate, CN = login.
	out=$tmp/$name.self
	$bin client --account "user-$name" --key "$k" --out "$out" --days 30 $pw </dev/null ||
	    { fail "$name: client"; return; }
	[ "$(cert_spki "$out/cert.pem" "$k")" = "$(ssh_spki "$k")" ] ||
	    fail "$name: the certificate's key is not the SSH key"
	[ "$(openssl pkey -in "$out/key.pem" -pubout | spki)" = \
	    "$(openssl x509 -in "$out/cert.pem" -noout -pubkey | spki)" ] ||
	    fail "$name: key.pem does not match cert.pem"
	[ "$(stat -c %a "$out/key.pem")" = 600 ] || fail "$name: key.pem mode"
	text=$(openssl x509 -in "$out/cert.pem" -noout -text -checkend $((29 * 86400))) ||
	    fail "$name: expires before 29 days"
	echo "$text" | grep -q "Subject: CN = user-$name" || fail "$name: subject CN"
	echo "$text" | grep -q "TLS Web Client Authentication" || fail "$name: EKU"
	openssl x509 -in "$out/cert.pem" -noout -checkend $((31 * 86400)) >/dev/null &&
	    fail "$name: still valid after 31 days"
	openssl verify -CAfile "$out/cert.pem" "$out/cert.pem" >/dev/null ||
	    fail "$name: self-signature does not verify"

	# Issued: a fresh key, issuer CN = the SSH key's MD5 fingerprint.
	# (For encrypted keys only reading them is new; the rest is as above.)
	[ -n "$pw" ] || check_issued
	[ -z "$pw" ] || check_wrong_passphrase
	echo "ok $name"
}

check_issued() {
	out=$tmp/$name.issued
	$bin client --account "user-$name" --key "$k" --out "$out" --issued $pw </dev/null ||
	    { fail "$name: client --issued"; return; }
	openssl verify -CAfile "$out/issuer.pem" "$out/cert.pem" >/dev/null ||
	    fail "$name: openssl verify rejects the issued chain"
	[ "$(cert_spki "$out/issuer.pem" "$k")" = "$(ssh_spki "$k")" ] ||
	    fail "$name: the issuer is not the SSH key"
	text=$(openssl x509 -in "$out/cert.pem" -noout -text -checkend $((364 * 86400))) ||
	    fail "$name: default validity under 364 days"
	echo "$text" | grep -q "Issuer: CN = $md5" || fail "$name: issuer CN"
	echo "$text" | grep -q "Subject: CN = user-$name" || fail "$name: issued subject CN"
	echo "$text" | grep -q "TLS Web Client Authentication, 1.3.6.1.4.1.38678.1.4.1" ||
	    fail "$name: issued EKU"
	openssl x509 -in "$out/cert.pem" -noout -checkend $((366 * 86400)) >/dev/null &&
	    fail "$name: default validity over 366 days"
}

# A wrong passphrase: a clear message, and no files at all.
check_wrong_passphrase() {
	msg=$($bin client --account u --key "$k" --out "$tmp/$name.wrong" \
	    --passphrase-env WRONG 2>&1 </dev/null) && fail "$name: wrong passphrase accepted"
	echo "$msg" | grep -q "wrong passphrase" || fail "$name: unclear message: $msg"
	[ -e "$tmp/$name.wrong" ] && fail "$name: files left after a wrong passphrase"
	msg=$($bin client --account u --key "$k" --out "$tmp/$name.none" 2>&1 </dev/null) &&
	    fail "$name: encrypted key used without a passphrase"
	echo "$msg" | grep -q "encrypted" || fail "$name: unclear message: $msg"
	echo "$pass" >"$tmp/passfile"
	$bin client --account u --key "$k" --out "$tmp/$name.file" \
	    --passphrase-file "$tmp/passfile" </dev/null || fail "$name: --passphrase-file"
}

# Encrypted OpenSSH keys take the default 16 bcrypt rounds for RSA and
# fewer for the rest: the rounds cost time, not coverage.
for t in "rsa -b 2048" "ecdsa -b 256" "ecdsa -b 384" "ecdsa -b 521" "ed25519"; do
	base=$tmp/base-$(echo "$t" | tr -d ' ')
	ssh-keygen -q -t $t -N '' -C "test $t" -f "$base" >/dev/null ||
	    { fail "$t: ssh-keygen"; continue; }
	for fmt in openssh PEM PKCS8; do
		m=; [ $fmt = openssh ] || m="-m $fmt"
		for p in "" "$pass"; do
			name=$(echo "$t-$fmt${p:+-enc}" | tr -d ' ')
			a=; case "$t" in rsa*) ;; *) a="-a 2" ;; esac
			check_key "$name" "$base" $m $a -N "$p"
		done
	done
done

# Every cipher ssh-keygen can encrypt a key with (-Z): the eight the reader
# accepts give the key's own fingerprint, a wrong passphrase says so; the
# others are refused by name, before any passphrase is asked.
for cipher in $(ssh -Q cipher); do
	k=$tmp/cipher-$cipher
	ssh-keygen -q -t ed25519 -a 2 -N "$pass" -Z "$cipher" -f "$k" >/dev/null ||
	    { fail "ssh-keygen -Z $cipher"; continue; }
	want=$(ssh-keygen -l -E sha256 -f "$k.pub" | cut -d' ' -f2)
	rm "$k.pub"
	case $cipher in
	3des-cbc|chacha20-poly1305@openssh.com)
		msg=$($bin fingerprint --passphrase-env PASS "$k" 2>&1 </dev/null) &&
		    fail "$cipher: accepted"
		echo "$msg" | grep -q "unsupported cipher $cipher" ||
		    fail "$cipher: unclear message: $msg" ;;
	*)
		[ "$($bin fingerprint --passphrase-env PASS "$k" </dev/null)" = "$want" ] ||
		    fail "$cipher: fingerprint of the decrypted key"
		msg=$($bin fingerprint --passphrase-env WRONG "$k" 2>&1 </dev/null) &&
		    fail "$cipher: wrong passphrase accepted"
		echo "$msg" | grep -q "wrong passphrase" || fail "$cipher: unclear message: $msg" ;;
	esac
	echo "ok cipher $cipher"
done

echo "failures: $failures"
[ $failures -eq 0 ]
