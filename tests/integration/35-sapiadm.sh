#!/bin/sh
# 35-sapiadm.sh: sapiadm against a real sapi: get, showapp, update (KEY=VALUE
# with JSON values, --action delete, a body on stdin, --if-match), list,
# create, delete, watch
# (each change printed; through a restart of sapi; from the cache with sapi
# down), --json output, and the exit statuses: 0 done, 1 refused or
# unreachable, 2 usage.
set -u
BIN=${SDC_BIN:-$(dirname "$0")/../../build/bin}
TOP=${SDC_TOP:-$(dirname "$0")/../..}
for b in sapi sapiadm; do
	[ -x "$BIN/$b" ] || { echo "missing: $BIN/$b is not built"; exit 1; }
done
tmp=$(mktemp -d /tmp/sapiadm-test.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fails=0
ok() { echo "ok    $1"; }
bad() { echo "FAIL  $1"; fails=$((fails + 1)); }
check() { # description, command...
	d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
json() { # file, python expression over j
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

start_sapi() {
	: >"$tmp/sapi.log"
	"$BIN/sapi" --listen "unix:$tmp/sapi.sock" --data-dir "$tmp/data" \
	    --bootstrap "$TOP/etc/sapi-bootstrap.yaml" 2>>"$tmp/sapi.log" &
	sapi_pid=$!
	pids="$pids $sapi_pid"
	i=0
	while ! grep -q '"listening on' "$tmp/sapi.log"; do
		i=$((i + 1))
		[ $i -gt 200 ] && { cat "$tmp/sapi.log"; exit 1; }
		sleep 0.05
	done
	export SAPI_URL=unix:$tmp/sapi.sock
}
start_sapi
A="$BIN/sapiadm"

# get and showapp
"$A" --json showapp sdc >"$tmp/show.json"
check "showapp --json exits 0" [ $? -eq 0 ]
inst=$(json "$tmp/show.json" "j['services'][0]['instances'][0]['uuid']")
svc=$(json "$tmp/show.json" "j['services'][0]['uuid']")
app=$(json "$tmp/show.json" "j['application']['uuid']")
check "showapp --json: sdc / docker / dockerapi0" [ "$(json "$tmp/show.json" \
    "j['application']['name'] + '/' + j['services'][0]['name'] + '/' + \
    j['services'][0]['instances'][0]['name']")" = "sdc/docker/dockerapi0" ]
"$A" showapp sdc >"$tmp/show.txt"
check "showapp prints the tree" grep -q "^    dockerapi0 .*$inst" "$tmp/show.txt"
"$A" get "$svc" >"$tmp/get.json"
check "get UUID (a service)" [ "$(json "$tmp/get.json" "j['name']")" = docker ]
"$A" get "$inst" --json >"$tmp/get1.json"
check "get --json is one line" [ "$(wc -l <"$tmp/get1.json")" -eq 1 ]
"$A" --url "$SAPI_URL" get "$app" >/dev/null
check "--url works" [ $? -eq 0 ]
"$A" --url "unix://$tmp/sapi.sock" get "$app" >/dev/null
check "--url unix:///PATH works" [ $? -eq 0 ]

# update: JSON values when they parse, else strings
"$A" update "$svc" metadata.N=42 metadata.B=true 'metadata.L=[1,"a"]' \
    metadata.S=hello 'metadata.Q="42"' 'metadata.O={"x":{"y":1}}' params.p=1
check "update exits 0" [ $? -eq 0 ]
"$A" get "$svc" >"$tmp/svc.json"
check "values parsed as JSON, else strings" [ "$(json "$tmp/svc.json" \
    "repr([j['metadata'][k] for k in ('N','B','L','S','Q','O')]) + \
    repr(j['params'])")" = "[42, True, [1, 'a'], 'hello', '42', {'x': {'y': 1}}]{'p': 1}" ]
"$A" update "$svc" --action delete metadata.N metadata.S
"$A" get "$svc" >"$tmp/svc.json"
check "--action delete removes the keys" [ "$(json "$tmp/svc.json" \
    "'N' in j['metadata'] or 'S' in j['metadata']")" = False ]
echo '{"action": "update", "metadata": {"FROM_STDIN": [1, 2]}}' |
    "$A" update "$svc"
"$A" get "$svc" >"$tmp/svc.json"
check "a body on stdin" [ "$(json "$tmp/svc.json" "j['metadata']['FROM_STDIN']")" = "[1, 2]" ]
v=$(json "$tmp/svc.json" "j['version']")
"$A" update "$svc" --if-match "$v" metadata.X=1
check "--if-match with the current version: 0" [ $? -eq 0 ]
"$A" update "$svc" --if-match "$v" metadata.X=2 2>"$tmp/err"
check "--if-match stale: exit 1" [ $? -eq 1 ]
check "... and the message says PreconditionFailed" grep -q PreconditionFailed "$tmp/err"
"$A" update "$svc" metadata.USE_TLS=maybe 2>"$tmp/err"
check "a schema refusal: exit 1" [ $? -eq 1 ]
check "... with the reason" grep -q "SchemaValidationError.*USE_TLS" "$tmp/err"
"$A" --json update "$app" metadata.datacenter_name=us-west-9 >"$tmp/upd.json"
check "update --json prints the object" [ "$(json "$tmp/upd.json" \
    "j['metadata']['datacenter_name']")" = us-west-9 ]

# list, create, delete
"$A" list services name=docker >"$tmp/list.txt"
check "list services name=docker" grep -q "^docker .*$svc  vm" "$tmp/list.txt"
"$A" --json list instance >"$tmp/list.json"
check "list --json (singular kind)" [ "$(json "$tmp/list.json" "len(j)")" = 1 ]
napp=$("$A" create application name=extra metadata.E=1)
check "create from assignments prints the uuid" [ ${#napp} -eq 36 ]
echo "{\"name\": \"s2\", \"application_uuid\": \"$napp\"}" |
    "$A" --json create services >"$tmp/s2.json"
nsvc=$(json "$tmp/s2.json" "j['uuid']")
check "create from stdin" [ "$(json "$tmp/s2.json" "j['type']")" = vm ]
"$A" create services name=x 2>"$tmp/err"
check "create without a required key: exit 1" [ $? -eq 1 ]
check "... naming it" grep -q "MissingParameter.*application_uuid" "$tmp/err"
"$A" create widgets name=x 2>/dev/null
check "create of an unknown kind: exit 2" [ $? -eq 2 ]
"$A" delete "$napp" 2>"$tmp/err"
check "delete of an application with services: exit 1" [ $? -eq 1 ]
check "... InUse" grep -q InUse "$tmp/err"
"$A" delete "$nsvc" --if-match 5 2>/dev/null
check "delete with a stale --if-match: exit 1" [ $? -eq 1 ]
"$A" delete "$nsvc" --if-match 1 && "$A" delete "$napp"
check "delete bottom up: exit 0" [ $? -eq 0 ]
"$A" get "$napp" 2>/dev/null
check "deleted" [ $? -eq 1 ]

# errors and usage
"$A" get 00000000-0000-4000-8000-000000000000 2>"$tmp/err"
check "get of an unknown uuid: exit 1" [ $? -eq 1 ]
check "... saying so" grep -q "no object with uuid" "$tmp/err"
"$A" showapp nosuchapp 2>/dev/null
check "showapp of an unknown name: exit 1" [ $? -eq 1 ]
"$A" 2>/dev/null; check "no command: exit 2" [ $? -eq 2 ]
"$A" frobnicate 2>/dev/null; check "unknown command: exit 2" [ $? -eq 2 ]
"$A" get 2>/dev/null; check "get without a uuid: exit 2" [ $? -eq 2 ]
"$A" update "$svc" nodot 2>/dev/null; check "a bad assignment: exit 2" [ $? -eq 2 ]
"$A" update "$svc" bogus.k=1 2>/dev/null; check "an unknown field: exit 2" [ $? -eq 2 ]
"$A" --bogus-flag get x 2>/dev/null; check "an unknown flag: exit 2" [ $? -eq 2 ]
"$A" --url http://127.0.0.1:1 get "$svc" 2>"$tmp/err"
check "service unreachable: exit 1" [ $? -eq 1 ]
check "... with curl's reason" grep -qi "connect" "$tmp/err"
"$A" --help >/dev/null; check "--help: exit 0" [ $? -eq 0 ]

# watch: the config now, then each change
: >"$tmp/watch.out"
"$A" --json watch dockerapi0 --cache "$tmp/cache.json" --wait 5 \
    >>"$tmp/watch.out" 2>"$tmp/watch.err" &
wpid=$!
pids="$pids $wpid"
n_lines() { wc -l <"$tmp/watch.out"; }
wait_lines() { # n
	i=0
	while [ "$(n_lines)" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	[ "$(n_lines)" -ge "$1" ]
}
check "watch prints the config at once" wait_lines 1
"$A" update "$inst" metadata.W=1
check "watch prints a change" wait_lines 2
check "... the new value" [ "$(tail -1 "$tmp/watch.out" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["metadata"]["W"])')" = 1 ]
"$A" update "$svc" metadata.UNRELATED_TO_CONFIG=1 --action delete
sleep 0.3
check "a write that changes nothing prints nothing" [ "$(n_lines)" -eq 2 ]
# sapi restarts on the same socket: the watch reconnects
kill "$sapi_pid"; wait "$sapi_pid" 2>/dev/null
start_sapi
"$A" update "$inst" metadata.W=2
check "the watch survives a restart of sapi" wait_lines 3
kill "$wpid"; wait "$wpid" 2>/dev/null
check "watch exits 0 on SIGTERM" [ $? -eq 0 ]
check "the cache holds the last config" [ "$(json "$tmp/cache.json" \
    "j['config']['metadata']['W']")" = 2 ]

# sapi down: a watch with the cache still prints the last config
kill "$sapi_pid"; wait "$sapi_pid" 2>/dev/null
"$A" watch dockerapi0 -n 1 --cache "$tmp/cache.json" >"$tmp/cached.out" \
    2>/dev/null
check "with sapi down, watch -n 1 prints the cached config" [ "$(json \
    "$tmp/cached.out" "j['metadata']['W']")" = 2 ]

check "no sanitizer report in sapi's log" sh -c \
    "! grep -q 'Sanitizer\|runtime error:' '$tmp/sapi.log'"

echo "$fails failure(s)"
[ $fails -eq 0 ]
