#!/usr/bin/env python3
"""bench/nodes/run: `docker run --rm` placed on another node, timed
against a head that runs the container on its own machine.

The three-node data center is 88-datacenter-common's with head a alone
(its class sets it up and tears it down: PostgreSQL, sapi, one head,
three agents in network namespaces); the container is sent to the node that holds a pinned
container other than the head's local agent's (`-e affinity:container==`).
The single-machine head is sdctest's plain daemon on the same
PostgreSQL server.  Runs alternate between the two, so load changes
fall on both alike."""
import os
import statistics
import subprocess
import time

from datacenter import dc, sdctest

RUNS = int(os.environ.get("RUNS", "10"))


def timed(argv, env):
    t0 = time.monotonic()
    r = subprocess.run(argv, env=env, capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0:
        raise SystemExit("%s: %s" % (" ".join(argv), r.stdout + r.stderr))
    return (time.monotonic() - t0) * 1000.0


def single_head():
    """A head with no agent, on the same PostgreSQL server."""
    d = sdctest.Daemons()
    d.start()
    certs, _ = d.add_tenants("alice")
    env = d.docker_env(certs["alice"])
    tar = dc.common.busybox_archive(d.tmp)
    subprocess.run(["docker", "load", "-i", tar], env=env, check=True,
                   capture_output=True)
    return d, env


class OneHead(dc.DataCenterBase):
    HEAD_B = False


def main():
    cls = OneHead
    cls.setUpClass()
    single = None
    try:
        for n in ("p1", "p2", "p3"):
            cls.docker("run", "-d", "--name", n, *dc.SMALL, "busybox",
                       *dc.SERVE)
        where = {n: cls.docker("inspect", "-f", "{{.Node.Name}}",
                               n).stdout.strip() for n in ("p1", "p2", "p3")}
        remote = next(n for n, w in where.items() if w != "cn-1")
        env_dc = cls.d.docker_env(cls.certs["alice"])
        single, env_one = single_head()
        across_cmd = ["docker", "run", "--rm", "--network", "none", "-e",
                      "affinity:container==" + remote, "busybox", "true"]
        one_cmd = ["docker", "run", "--rm", "--network", "none", "busybox",
                   "true"]
        timed(across_cmd, env_dc)      # warm both: images, caches
        timed(one_cmd, env_one)
        across, one = [], []
        for _ in range(RUNS):
            across.append(timed(across_cmd, env_dc))
            one.append(timed(one_cmd, env_one))
        a, o = statistics.median(across), statistics.median(one)
        print("run --rm on node %s (placed through the head, agent in its "
              "own namespace): median %.1f ms" % (where[remote], a))
        print("run --rm on the head's own machine (no agent):      "
              "median %.1f ms" % o)
        print("ratio single/across: %.2f (the node path costs %+.1f ms)"
              % (o / a, a - o))
        print("load: %s" % open("/proc/loadavg").read().split()[0])
    finally:
        if single is not None:
            single.stop()
        cls.tearDownClass()


if __name__ == "__main__":
    main()
