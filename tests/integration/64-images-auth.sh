#!/bin/sh
# Bearer-token auth: a registry that answers 401 with a WWW-Authenticate
# challenge; the token server takes the X-Registry-Auth credentials as basic
# auth.  Wrong or missing credentials fail with "pull access denied" and
# leave nothing behind.
. "$(dirname "$0")/60-images-common.sh"

mkdir -p "$T/data" "$T/root/etc"
echo hi >"$T/root/etc/hi"
tar -C "$T/root" -cf "$T/layer.tar" .
start_fakereg --repo private/app --auth alice:s3cret --layer "$T/layer.tar"

xra() { # user pass -> base64url JSON, unpadded, as docker clients send it
	python3 -c 'import base64,json,sys; print(base64.urlsafe_b64encode(json.dumps({"username":sys.argv[1],"password":sys.argv[2],"serveraddress":sys.argv[3]}).encode()).decode().rstrip("="))' "$1" "$2" "$FAKE"
}

drv pull acct1 "$FAKE/private/app" 2>"$T/err" && fail "pulled without credentials"
grep -q "pull access denied" "$T/err" || fail "no-credentials error: $(cat "$T/err")"
drv -a "$(xra alice wrong)" pull acct1 "$FAKE/private/app" 2>"$T/err" && fail "pulled with a wrong password"
grep -q "pull access denied" "$T/err" || fail "wrong-password error: $(cat "$T/err")"
[ "$(store_counts)" = "0 0 0 0" ] || fail "refused pulls left $(store_counts)"
ok "refused without the right credentials: $(cat "$T/err")"

drv -a "$(xra alice s3cret)" pull acct1 "$FAKE/private/app" >"$T/out" 2>&1 || { cat "$T/out"; fail "pull with credentials"; }
grep -q "Downloaded newer image for $FAKE/private/app:latest" "$T/out" || fail "status: $(cat "$T/out")"
ok "bearer token pull with X-Registry-Auth"
