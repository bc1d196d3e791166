#!/usr/bin/python3
"""timing.py N NAME SPEC [NAME SPEC]...: run each SPEC N times, the peers
interleaved so that load on the host falls on all alike, and print
"NAME MEDIAN_MS" lines.  A SPEC is a shell command ("{i}" becomes the run's
number, for ids that must differ), or "api:HOST:PORT": Docker's run --rm
as the API sees it, without a CLI: create with AutoRemove, a wait for
`removed` opened before the start (as the CLI does), start, and the wait's
answer, over plain HTTP on loopback, with --network none; or
"api-net:HOST:PORT": the same on the daemon's default network."""
import http.client
import json
import statistics
import subprocess
import sys
import time

BODY = json.dumps({"Image": "busybox", "Cmd": ["true"],
                   "HostConfig": {"AutoRemove": True, "NetworkMode": "none"}})


BODY_NET = json.dumps({"Image": "busybox", "Cmd": ["true"],
                       "HostConfig": {"AutoRemove": True}})


def api_run(host, port, body=BODY):
    c = http.client.HTTPConnection(host, port, timeout=60)
    c.request("POST", "/v1.41/containers/create", body,
              {"Content-Type": "application/json"})
    r = c.getresponse()
    cid = json.loads(r.read())["Id"]
    assert r.status == 201, r.status
    w = http.client.HTTPConnection(host, port, timeout=60)
    w.request("POST", "/v1.41/containers/%s/wait?condition=removed" % cid)
    wr = w.getresponse()
    c.request("POST", "/v1.41/containers/%s/start" % cid)
    r = c.getresponse()
    r.read()
    assert r.status == 204, r.status
    code = json.loads(wr.read())["StatusCode"]
    assert code == 0, code
    w.close()
    c.close()


def once(spec, i):
    t0 = time.perf_counter()
    if spec.startswith("api:") or spec.startswith("api-net:"):
        host, port = spec.split(":", 1)[1].rsplit(":", 1)
        api_run(host, int(port), BODY_NET if spec.startswith("api-net:")
                else BODY)
    else:
        subprocess.run(spec.replace("{i}", str(i)), shell=True, check=True,
                       stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def main():
    n = int(sys.argv[1])
    peers = list(zip(sys.argv[2::2], sys.argv[3::2]))
    times = {name: [] for name, _ in peers}
    for name, spec in peers:            # warm up
        once(spec, "w" + name)
    for i in range(n):
        for name, spec in peers:
            times[name].append(once(spec, i))
    for name, _ in peers:
        print("%s %.1f" % (name, statistics.median(times[name])))


main()
