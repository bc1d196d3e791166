#!/usr/bin/env python3
"""bench/nodes/ps: `docker ps -a` (GET /containers/json?all=1) of one
account holding N containers on each of three compute nodes (300 by
default: 900 in all), through one head and through two heads of the
same PostgreSQL store, the load split between them.

The data center is tests/integration/88-datacenter-common's (its class
sets it up and tears it down: PostgreSQL, sapi, three agents in network
namespaces, heads a and b).  One container runs on each node (placed by
spread); the others are created, not started (a row, a folder and a
mounted root on their node each), through both heads at once, each
beside one of those by affinity, N a node.  The heads are then
started again answering plain HTTP as alice (USE_TLS=false,
plain_account), so that wrk can be the load: wrk -c CONNS on head a,
then two wrk of CONNS/2 at once, one on each head.  Prints requests/s
and the heads' CPU time per request (from /proc), best of RUNS rounds,
and the ratio; on a machine of two cores wrk and PostgreSQL take their
share, so twice one head's rate needs more cores than that."""
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

from datacenter import dc, sdctest

N = int(os.environ.get("N", "300"))             # per node
RUNS = int(os.environ.get("RUNS", "3"))
SECS = int(os.environ.get("WRK_SECS", "5"))
CONNS = int(os.environ.get("WRK_CONNS", "8"))
URL = "/containers/json?all=1"


def ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return int(v[11]) + int(v[12])


def wrk(port, conns):
    return subprocess.Popen(["wrk", "-t1", "-c%d" % conns, "-d%ds" % SECS,
                             "http://127.0.0.1:%d%s" % (port, URL)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def rps(out):
    if re.search(r"Non-2xx|Socket errors", out):
        print("    wrk: " + " ".join(l.strip() for l in out.splitlines()
                                      if "Non-2xx" in l or "Socket" in l))
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    return float(m.group(1)) if m else 0.0


def cpu_us(t, requests):
    return t / os.sysconf("SC_CLK_TCK") * 1e6 / requests if requests else 0


class Bench(dc.DataCenterBase):
    """88's data center, its heads on plain HTTP."""

    @classmethod
    def plain_heads(cls):
        d = cls.d
        plain = os.path.join(d.tmp, "plain.yaml")
        with open(plain, "w") as f:
            f.write("plain_account: alice\nlog_level: warn\n")
        d.sapiadm("update", d.docker_service_uuid(), "metadata.USE_TLS=false")
        for name in ("dockerapi", "dockerapi-b"):
            d.stop_one(name)
        spawn = type(d)._spawn
        d._spawn = lambda name, args: spawn(d, name, args + ["-f", plain])
        try:
            cls.start_head()
            cls.start_head_b()
        finally:
            del d._spawn
        for port in (d.docker_port, cls.b_port):
            sdctest.wait_for("plain HTTP", lambda: get(port, "/_ping") == b"OK",
                             timeout=30)


def get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                    timeout=30) as r:
            return r.read()
    except OSError:
        return None


def post(port, path, body):
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (port, path), method="POST",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.status


def remove(port, ident):
    """0 removed (or gone), 1 not."""
    req = urllib.request.Request("http://127.0.0.1:%d/containers/%s?force=1"
                                 % (port, ident), method="DELETE")
    try:
        urllib.request.urlopen(req, timeout=120).read()
    except urllib.error.HTTPError as e:
        return 0 if e.code == 404 else 1
    except OSError:
        return 1
    return 0


def main():
    cls = Bench
    cls.setUpClass()
    d = cls.d
    try:
        d.set_tunable("QUOTA_CONTAINERS", 0)
        cls.plain_heads()
        ports = (d.docker_port, cls.b_port)
        host = {"NetworkMode": "none", "Memory": 128 << 20}
        # one running container on each node (spread: a created one holds
        # no memory, so creates alone would all go to one node), then the
        # created ones beside each in turn
        for i in range(3):
            post(ports[0], "/containers/create?name=anchor%d" % i,
                 {"Image": "busybox", "Cmd": list(dc.SERVE),
                  "HostConfig": host})
            post(ports[0], "/containers/anchor%d/start" % i, {})

        def create(i):
            return post(ports[i % 2], "/containers/create?name=p%d" % i, {
                "Image": "busybox", "Cmd": ["true"], "HostConfig": host,
                "Env": ["affinity:container==anchor%d" % (i % 3)]})
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(create, range(3 * N - 3)))
        made = json.loads(get(ports[0], URL))
        where = {}
        for c in json.loads(get(ports[1], URL)):
            j = json.loads(get(ports[1], "/containers/%s/json" % c["Id"]))
            where[j["Node"]["Name"]] = where.get(j["Node"]["Name"], 0) + 1
        print("containers: %d made (3 running, the others created) through "
              "both heads in %.0f s; "
              "per node %s; head b lists %d" % (
                  len(made), time.monotonic() - t0,
                  ", ".join("%s %d" % kv for kv in sorted(where.items())),
                  len(json.loads(get(ports[1], URL)))))
        pa, pb = (d.procs[n].pid for n in ("dockerapi", "dockerapi-b"))
        for p in ports:                                 # warm
            wrk(p, 2).communicate()
        one = two = (0.0, 0.0)
        for _ in range(RUNS):
            t = ticks(pa)
            r1 = rps(wrk(ports[0], CONNS).communicate()[0])
            c1 = cpu_us(ticks(pa) - t, r1 * SECS)
            if r1 > one[0]:
                one = (r1, c1)
            t = ticks(pa) + ticks(pb)
            ws = [wrk(p, CONNS // 2) for p in ports]
            r2 = sum(rps(w.communicate()[0]) for w in ws)
            c2 = cpu_us(ticks(pa) + ticks(pb) - t, r2 * SECS)
            if r2 > two[0]:
                two = (r2, c2)
        print("GET %s with %d containers (wrk -c%d -d%ds, best of %d):" % (
            URL, len(made), CONNS, SECS, RUNS))
        print("  one head  %7.1f req/s  CPU/request: head  %8.1f us" % one)
        print("  two heads %7.1f req/s  CPU/request: heads %8.1f us" % two)
        print("  two heads / one head: %.2fx requests/s on %d cores "
              "(load %s)" % (two[0] / one[0] if one[0] else 0,
                             os.cpu_count(),
                             open("/proc/loadavg").read().split()[0]))
    finally:
        # the running ones first: nothing else would stop them
        ids = ["anchor%d" % i for i in range(3)] + [
            c["Id"] for c in json.loads(get(d.docker_port, URL) or b"[]")]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            left = sum(pool.map(lambda i: remove(d.docker_port, i), ids))
        if left:
            print("cleanup: %d containers not removed" % left,
                  file=sys.stderr)
        del cls.certs           # nothing left for the class's cleanup by CLI
        cls.tearDownClass()


if __name__ == "__main__":
    main()
