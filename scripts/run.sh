#!/bin/sh
# `make run`: the config service, the Docker endpoint (the head) and one
# node agent beside it, on loopback with their embedded defaults, in the
# foreground.  Ctrl-C (or SIGTERM) stops them all: each finishes the
# requests it has in flight, then exits.  DOCKER_PORT and CLOUDAPI_PORT
# (make run DOCKER_PORT=12376 ...) move the listeners, e.g. beside a
# dockerd that holds 2376; AGENT_PORT the agent's (2380).
set -u
docker_port=${DOCKER_PORT:-2376}
cloudapi_port=${CLOUDAPI_PORT:-8443}
agent_port=${AGENT_PORT:-2380}
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/$BUILD/bin"
cd "$top" || exit 1
mkdir -p var

# sapi's default: the unix socket var/sapi/sapi.sock (0600), which
# dockerapi, sapiadm and sdcadm-docker built here find by default too.
"$bin/sapi" &
sapi=$!
# dockerapi starts on SAPI's config when SAPI answers, else on its cache
# or its defaults; give SAPI a moment so the first start sees the real one.
i=0
while [ $i -lt 50 ] && ! curl -sf --unix-socket var/sapi/sapi.sock \
    http://sapi/ping >/dev/null 2>&1; do
	sleep 0.1; i=$((i + 1))
done
# dockerapi's own defaults unless a port was given (its Docker default
# follows USE_TLS: 2376, or 2375 without TLS).
set --
[ -n "${DOCKER_PORT:-}" ] && set -- "$@" --listen "127.0.0.1:$docker_port"
[ -n "${CLOUDAPI_PORT:-}" ] && set -- "$@" --cloudapi-listen "127.0.0.1:$cloudapi_port"
# The head asks the agent who its node is (again each second until the
# agent is up), with a client certificate of the operator's CA.
"$bin/dockerapi" "$@" --agent-url "https://127.0.0.1:$agent_port" \
    --agent-cert-path var/dockerapi/agent-tls &
dockerapi=$!
agent=

stop() {
	trap - INT TERM
	kill -TERM $agent "$dockerapi" "$sapi" 2>/dev/null
	wait $agent "$dockerapi" "$sapi" 2>/dev/null
	exit 0
}
trap stop INT TERM

i=0
while [ $i -lt 50 ] && [ ! -S var/dockerapi/admin.sock ]; do
	sleep 0.1; i=$((i + 1))
done
# The operator's CA is dockerapi's (made at its first start): the node's
# certificate and the head's client certificate under it, made once.
[ -f var/agent/tls/node-cert.pem ] ||
	"$bin/sdc-docker-certgen" node --ca var/dockerapi/tls \
	    --out var/agent/tls --cn localhost >/dev/null
[ -f var/dockerapi/agent-tls/cert.pem ] ||
	"$bin/sdc-docker-certgen" head --ca var/dockerapi/tls \
	    --out var/dockerapi/agent-tls >/dev/null
# The agent's defaults: var/agent, the head's SQLite file as the store.
"$bin/sdc-docker-agent" --listen "127.0.0.1:$agent_port" &
agent=$!
cat <<MSG

sdc-docker is running:
  Docker API   tcp://127.0.0.1:$docker_port (TLS)
  CloudAPI     https://127.0.0.1:$cloudapi_port
  CA           $top/var/dockerapi/tls/ca.pem (the setup script fetches it)
  SAPI         unix:$top/var/sapi/sapi.sock (only you: 0600)
  admin        $top/var/dockerapi/admin.sock
  node agent   https://127.0.0.1:$agent_port (mutual TLS; sdcadm-docker node list)

Next, as the operator, add an account with your SSH key:
  DOCKERAPI_ADMIN=$top/var/dockerapi/admin.sock $bin/sdcadm-docker account create jill --approved --key ~/.ssh/id_rsa.pub
Then, as that user, set up the docker client:
  CURL_CA_BUNDLE=$top/var/dockerapi/tls/ca.pem \\
    $top/sdc-docker-setup.sh https://127.0.0.1:$cloudapi_port jill ~/.ssh/id_rsa

Ctrl-C stops the three daemons.
MSG
wait "$dockerapi"
stop
