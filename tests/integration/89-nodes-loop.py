#!/usr/bin/env python3
"""A head's loop waits on no node and on no lock of the store.

A head (sapi + dockerapi) on PostgreSQL and one sdc-docker-agent beside
it, as 37-nodes-postgres has them, the agent heartbeating every 5 s so
that a stopped agent's row stays fresh for 15 s (the head then still
asks it).  Each case holds something the head used to wait for on its
loop thread, and bob, another tenant, pings the head meanwhile:

- alice's containers quota is decided under her account's lock in the
  store; another session of the database holds that lock (the advisory
  lock store_lock takes, in an open transaction): alice's create waits
  for it, and bob's /_ping answers at once all along (on a connection
  already open, the median under 100 ms, none over a second); once the
  session lets go, alice's create is made;
- the head restarted while the agent is stopped (SIGSTOP, its row still
  fresh): the head reads its containers' states from the agents at its
  start, two seconds at most per node, and asks again every second a
  node that did not answer; it answers /_ping all along from its start
  (median under 100 ms, none over a second), shows alice's container as
  before (listed, not known: "node unavailable" for a kill), and once
  the agent goes on, learns its state (running, same pid) and kills it.

The figures (each ping's time) are printed.
"""
import importlib
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "postgres"
import sdctest  # noqa: E402

files = importlib.import_module("25-nodes-files")      # its setUpClass


class Pinger:
    """GET /_ping as bob on a connection kept open: each answer's time."""

    def __init__(self, d, certs):
        ctx = ssl.create_default_context(
            cafile=os.path.join(d.tmp, "dockerapi", "tls", "ca.pem"))
        ctx.load_cert_chain(os.path.join(certs, "cert.pem"),
                            os.path.join(certs, "key.pem"))
        self.s = ctx.wrap_socket(socket.create_connection(
            ("127.0.0.1", d.docker_port), timeout=30),
            server_hostname="127.0.0.1")
        self.f = self.s.makefile("rb")

    def ping(self):
        t0 = time.monotonic()
        self.s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        status = self.f.readline()
        length = 0
        while True:
            line = self.f.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        self.f.read(length)
        if b" 200 " not in status:
            raise AssertionError("ping: %r" % status)
        return time.monotonic() - t0

    def close(self):
        self.f.close()
        self.s.close()


class NodesLoop(files.FilesNode):
    """25-nodes-files' head and agent, the agent's zones root apart."""

    HEARTBEAT = "5"

    def docker(self, *args, **kw):
        return self.d.docker(self.alice, *args, **kw)

    def ok(self, *args, **kw):
        r = self.docker(*args, **kw)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr +
                         self.d.log("dockerapi")[-2000:])
        return r.stdout

    def pings_for(self, what, seconds):
        """bob's pings for that long: the median under 100 ms, none over
        a second."""
        p = Pinger(self.d, self.bob)
        times = []
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                times.append(p.ping())
                time.sleep(0.02)
        finally:
            p.close()
        print("%s: %d pings, median %.1f ms, max %.1f ms" % (
            what, len(times), 1000 * statistics.median(times),
            1000 * max(times)), file=sys.stderr)
        self.assertLess(statistics.median(times), 0.1, times)
        self.assertLess(max(times), 1.0, times)

    def test_1_quota_lock_held(self):
        st, body = self.d.admin("PUT", "/accounts/alice/quota", {"containers": 5})
        self.assertEqual(st, 200, body)
        uuid = self.d.store_rows("dockerapi", "SELECT uuid FROM accounts WHERE "
                                 "login = 'alice'")[0][0]
        db = sdctest.postgres().uri(sdctest.store_db(
            os.path.join(self.d.tmp, "dockerapi")))
        psql = subprocess.Popen(["psql", "-X", "-q", "-A", "-t", db],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)
        try:
            psql.stdin.write("BEGIN;\nSELECT pg_advisory_xact_lock(hashtext("
                             "'quota:%s'));\nSELECT 'held';\n" % uuid)
            psql.stdin.flush()
            while psql.stdout.readline().strip() != "held":
                pass
            made = {}

            def create():
                made["r"] = self.docker("create", "--name", "q1", "--network",
                                        "none", "-m", "128m", "tiny:1",
                                        "/bin/busybox", "sleep", "60")
            t = threading.Thread(target=create)
            t.start()

            def waiting():
                return self.d.store_rows("dockerapi", "SELECT COUNT(*) FROM "
                                         "pg_locks WHERE locktype = 'advisory' "
                                         "AND NOT granted")[0][0] > 0
            sdctest.wait_for("alice's create waiting for her lock", waiting)
            self.pings_for("quota lock held", 1.5)
            self.assertTrue(waiting() and t.is_alive(),
                            "the create did not wait for the lock")
        finally:
            psql.stdin.write("COMMIT;\n")
            psql.stdin.close()
            psql.wait(10)
        t.join(60)
        self.assertEqual(made["r"].returncode, 0, made["r"].stderr)
        self.assertIn("q1", self.ok("ps", "-a", "--format", "{{.Names}}").split())
        self.ok("rm", "-f", "q1")
        self.d.admin("PUT", "/accounts/alice/quota", {"containers": None})

    def test_2_head_start_agent_hung(self):
        self.ok("run", "-d", "--name", "h1", "--network", "none", "-m", "128m",
                "tiny:1", "/bin/busybox", "sleep", "300")
        pid = self.ok("inspect", "--format", "{{.State.Pid}}", "h1").strip()
        self.d.stop_one("dockerapi")
        agent = self.d.pid("agent")
        os.kill(agent, signal.SIGSTOP)
        try:
            self.assertTrue(self.nodes_fresh(), "the node's row went stale")
            self.d.start_dockerapi(extra=(
                "--agent-url", "https://127.0.0.1:%d" % self.agent_port,
                "--agent-cert-path", self.head_certs))
            # from its start, for longer than the node's read and its
            # next tries would have held the loop
            self.pings_for("head start, agent stopped", 3.0)
            self.assertTrue(self.nodes_fresh(), "the node's row went stale")
            self.assertIn("h1", self.ok("ps", "-a", "--format",
                                        "{{.Names}}").split())
            r = self.docker("kill", "h1")
            self.assertIn("node unavailable", r.stderr)
        finally:
            os.kill(agent, signal.SIGCONT)
        sdctest.wait_for("h1 learned from its agent", lambda: self.ok(
            "inspect", "--format", "{{.State.Status}}", "h1").strip() == "running")
        self.assertEqual(self.ok("inspect", "--format", "{{.State.Pid}}",
                                 "h1").strip(), pid)
        self.ok("kill", "h1")
        r = self.docker("wait", "h1", timeout=30)
        self.assertEqual(r.stdout.strip(), "137")
        self.ok("rm", "-f", "h1")

    def test_3_start_recovery_when_learned(self):
        """What the head's start does with a state it reads, done when
        the (now asynchronous) answer comes: an exited container with
        --restart always is started again through the agent, an exited
        --rm one removed."""
        self.ok("run", "-d", "--name", "r1", "--restart", "always",
                "--network", "none", "-m", "128m", "tiny:1", "/bin/busybox",
                "sleep", "300")
        self.ok("run", "-d", "--rm", "--name", "r2", "--network", "none",
                "-m", "128m", "tiny:1", "/bin/busybox", "sleep", "300")
        pids = [int(self.ok("inspect", "--format", "{{.State.Pid}}", n))
                for n in ("r1", "r2")]
        self.d.stop_one("dockerapi")
        for pid in pids:        # exits while no head is up
            os.kill(pid, signal.SIGKILL)
        self.d.start_dockerapi(extra=(
            "--agent-url", "https://127.0.0.1:%d" % self.agent_port,
            "--agent-cert-path", self.head_certs))

        def restarted():
            st = json.loads(self.ok("inspect", "--format", "{{json .State}}",
                                    "r1"))
            return st["Running"] and st["Pid"] != pids[0]
        sdctest.wait_for("r1 started again by its policy", restarted,
                         timeout=30)
        sdctest.wait_for("r2 removed", lambda: "r2" not in self.ok(
            "ps", "-a", "--format", "{{.Names}}").split(), timeout=30)
        self.ok("rm", "-f", "r1")

    def nodes_fresh(self):
        """The node's row still says it is heard from."""
        rows = self.d.store_rows("dockerapi", "SELECT last_heartbeat_ms, "
                                 "heartbeat_interval_ms FROM nodes")
        now = time.time() * 1000
        return all(now - r[0] < 3 * r[1] for r in rows)


def main():
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
