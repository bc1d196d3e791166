#!/bin/sh
# 24-libcurl-linkage: every outgoing HTTP request goes through libcurl
# (lib/fetch), linked shared, and only into the binaries that call out:
# dockerapi (SAPI's watch, registry pulls), sapiadm and sdcadm-docker
# (SAPI, the admin API).  The others (the sapi daemon, the monitor, the
# node tool, certgen, the bench server) never make a request and must
# not map libcurl or its tree.  No hand-written HTTP client is left.
set -u
bin=${SDC_BIN:?}
top=${SDC_TOP:?}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for b in dockerapi sapiadm sdcadm-docker; do
	[ -x "$bin/$b" ] || { fail "$b: not built"; continue; }
	ldd "$bin/$b" | grep -q 'libcurl\.so' ||
	    fail "$b calls out but does not link libcurl"
done
for b in sapi sdc-docker-monitor sdc-node sdc-docker-certgen sdc-http-bench; do
	[ -x "$bin/$b" ] || { fail "$b: not built"; continue; }
	ldd "$bin/$b" 2>/dev/null | grep -q 'libcurl\.so' &&
	    fail "$b never calls out but links libcurl"
done
ls "$top"/lib/http-client* >/dev/null 2>&1 &&
    fail "a hand-written HTTP client is still in lib/"
# and a binary really talks through it: sapiadm to a socket nobody
# listens on fails with libcurl's connect error, named
out=$(SAPI_URL="unix:/nonexistent/sapi.sock" "$bin/sapiadm" list services 2>&1)
case $out in
*"connect to /nonexistent/sapi.sock: No such file or directory"*) ;;
*) fail "sapiadm to a missing socket: $out" ;;
esac

[ $failures -eq 0 ] && echo "ok: libcurl exactly where a binary calls out"
[ $failures -eq 0 ]
