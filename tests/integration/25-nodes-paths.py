#!/usr/bin/env python3
"""What a head says of a node's container's files, and a connect whose
agent does not answer.

25-nodes-net's head and agent, the agent with a zones root of its own
(not the head's --zones), heartbeating every 2 s (so a connect sent just
after the agent is stopped is let through and waits for it), and a
second head b on the same store (PostgreSQL, started by the test) with a --zones of its own and an
agent URL nobody answers (a head whose own node is elsewhere).  Checked
with the real docker CLI and the admin API:

- docker inspect shows the paths of the container's files where they
  are, under the node's zones root as its agent registered it (LogPath,
  HostnamePath, HostsPath, ResolvConfPath, GraphDriver.Data.MergedDir:
  the files and folder are there, none under the head's --zones), and
  both heads show the same ones; the node's row shows its zones root;
- the admin API's LogBytes: the log's live and rotated files (a
  rotated one put there by hand; a link among them counts nothing)
  through the head whose own node it is, read on its disk, and the same
  through b, asked of the node's agent (GET /v1/log-bytes, which a
  tenant's certificate does not reach); with the agent stopped
  (SIGSTOP) b answers null (not known) for it within its 2 s bound,
  never a wrong 0, and its admin socket answers /ping meanwhile;
- a network connect sent while the node's agent is stopped (SIGSTOP)
  fails after the head's wait with an error naming the node, and is
  undone: the store has no endpoint nor lease for it, and once the agent
  runs again (SIGCONT) the same address is taken by a second connect,
  which works (one interface more, not two);
- `sdcadm-docker logs usage` through a: the node's containers from its
  agent, and a folder of a's own zones root (not its node's) under the
  head ("-").
"""
import importlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import unittest
import urllib.error

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "postgres"   # two heads: one PostgreSQL
import sdctest  # noqa: E402

net = importlib.import_module("25-nodes-net")
common = net.common
BB = "/bin/busybox"
PATHS = ("LogPath", "HostnamePath", "HostsPath", "ResolvConfPath")


class NodesPaths(net.NetNode):

    HEARTBEAT = "2"

    @classmethod
    def agent_dirs(cls):
        cls.node_zones = os.path.join(cls.d.tmp, "node-zones")
        return dict(super().agent_dirs(), zones=cls.node_zones)

    @classmethod
    def start_b(cls):
        """Head b: the same store and data dir, its own --zones, ports
        and admin socket; the head's client certificate for agents, and
        an agent URL where nothing listens."""
        d = cls.d
        cls.b_port = sdctest.free_port()
        cls.b_admin = os.path.join(d.tmp, "admin-b.sock")
        try:
            d.start_other_head(
                "dockerapi-b", cls.b_port, cls.b_admin,
                zones=os.path.join(d.tmp, "zones-b"),
                extra=("--agent-url", "https://127.0.0.1:%d" %
                       sdctest.free_port(), "--agent-cert-path",
                       cls.head_certs))
        except AssertionError:
            print(d.log("dockerapi-b")[-2000:], file=sys.stderr)
            raise

    def on_b(self, *args):
        env = self.d.docker_env(self.alice)
        env["DOCKER_HOST"] = "tcp://127.0.0.1:%d" % self.b_port
        r = subprocess.run(["docker"] + list(args), env=env, text=True,
                           capture_output=True, timeout=60, input="")
        self.assertEqual(r.returncode, 0, r.stderr +
                         self.d.log("dockerapi-b")[-1500:])
        return r.stdout

    def admin_b(self, path):
        st, body = common.admin_get(self.b_admin, path)
        self.assertEqual(st, 200, body)
        return json.loads(body)

    def test_1_paths_are_the_nodes(self):
        self.wait_available(True)
        self.ok(self.alice, "run", "-d", "--name", "p1", "tiny:1", BB, "sh",
                "-c", "echo logged; exec %s sleep 300" % BB)
        a = self.inspect(self.alice, "p1")
        uuid = self.d.admin("GET", "/containers/" + a["Id"])[1]["Uuid"]
        folder = os.path.join(self.node_zones, uuid)
        want = {"LogPath": folder + "/logs/stdio.log",
                "HostnamePath": folder + "/hostname",
                "HostsPath": folder + "/hosts",
                "ResolvConfPath": folder + "/resolv.conf",
                "MergedDir": folder}
        got = dict({k: a[k] for k in PATHS},
                   MergedDir=a["GraphDriver"]["Data"]["MergedDir"])
        self.assertEqual(got, want)
        for k in PATHS:
            self.assertTrue(os.path.isfile(a[k]), k)
        self.assertTrue(os.path.isdir(got["MergedDir"]))
        self.assertFalse(os.path.exists(os.path.join(self.d.tmp, "zones",
                                                     uuid)))
        common.until("p1's log", lambda: os.path.getsize(a["LogPath"]) > 0)
        self.assertEqual(self.nodes()[0]["Zones"], self.node_zones)

        # head b, with a --zones of its own, says the same
        self.start_b()
        b = json.loads(self.on_b("inspect", "p1"))[0]
        self.assertEqual({k: b[k] for k in PATHS}, {k: a[k] for k in PATHS})
        self.assertEqual(b["GraphDriver"], a["GraphDriver"])

        # the log's size: a's own node's files, b's node is elsewhere
        logs = os.path.dirname(a["LogPath"])
        with open(os.path.join(logs, "stdio.log.2026-11-23T18:20:01.1Z"),
                  "w") as f:
            f.write("x" * 100)
        os.symlink("/bin/busybox", os.path.join(
            logs, "stdio.log.2026-11-23T18:20:02.1Z"))
        want = os.path.getsize(a["LogPath"]) + 100

        def log_bytes(rows):
            return [c["LogBytes"] for c in rows if c["Id"] == a["Id"]][0]
        self.assertEqual(log_bytes(self.d.admin("GET", "/containers")[1]),
                         want)
        t0 = time.monotonic()
        self.assertEqual(log_bytes(self.admin_b("/containers")), want)
        print("log bytes through b, asked of the node: %.3f s"
              % (time.monotonic() - t0), file=sys.stderr)
        # the agent's route, for a head's certificate only
        st, body = self.agent_get("/v1/log-bytes", self.head_certs)
        self.assertEqual((st, body["Node"], body["LogBytes"][uuid]),
                         (200, self.node_id(), want))
        with self.assertRaises((ssl.SSLError, ConnectionError,
                                urllib.error.URLError, OSError)):
            self.agent_get("/v1/log-bytes", self.alice)

        # the node's agent stopped: null within the bound, b's loop free
        got = {}

        def listing():
            t0 = time.monotonic()
            got["rows"] = self.admin_b("/containers")
            got["took"] = time.monotonic() - t0
            got["done"] = time.monotonic()
        pid = self.d.pid("agent")
        os.kill(pid, signal.SIGSTOP)
        try:
            t = threading.Thread(target=listing)
            t.start()
            time.sleep(0.2)         # the listing's request sent first
            self.assertEqual(common.admin_get(self.b_admin, "/ping")[0], 200)
            pinged = time.monotonic()
            t.join(30)
        finally:
            os.kill(pid, signal.SIGCONT)
        print("log bytes of a stopped agent's container: null after %.1f s"
              % got["took"], file=sys.stderr)
        self.assertIsNone(log_bytes(got["rows"]))
        self.assertLess(got["took"], 5)
        self.assertLess(pinged, got["done"], "b did not wait for the agent")
        self.ok(self.alice, "rm", "-f", "p1")

    def test_2_connect_not_answered(self):
        self.wait_available(True)
        sub = self.d.pool_net(41)
        ip = sub + ".77"
        nid = self.ok(self.alice, "network", "create", "--subnet",
                      sub + ".0/24", "un1")
        self.ok(self.alice, "run", "-d", "--name", "u1", "tiny:1", BB,
                "sleep", "300")
        cid = self.inspect(self.alice, "u1")["Id"]
        self.assertEqual(len(self.veths_of(cid)), 1, self.links())
        pid = self.d.pid("agent")
        os.kill(pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            r = self.docker(self.alice, "network", "connect", "--ip", ip,
                            "un1", "u1")
            took = time.monotonic() - t0
            self.assertNotEqual(r.returncode, 0)
            # the agent was asked (the node still heard from) and did not
            # answer in the head's time
            self.assertIn("node unavailable: the agent of node %s does not "
                          "answer" % self.HOSTNAME, r.stderr)
            self.assertIsNone(self.row("SELECT 1 FROM network_endpoints "
                                       "WHERE container = ? AND network = ?",
                                       cid, nid))
            self.assertIsNone(self.row("SELECT 1 FROM network_leases WHERE "
                                       "network = ? AND ip = ?", nid, ip))
            self.assertNotIn("un1", self.inspect(
                self.alice, "u1")["NetworkSettings"]["Networks"])
        finally:
            os.kill(pid, signal.SIGCONT)
        print("connect to a stopped agent failed after %.1f s" % took,
              file=sys.stderr)
        self.wait_available(True)
        # the address is free: a second connect takes it, and works
        self.ok(self.alice, "network", "connect", "--ip", ip, "un1", "u1")
        nets = self.inspect(self.alice, "u1")["NetworkSettings"]["Networks"]
        self.assertEqual(nets["un1"]["IPAddress"], ip)
        self.assertEqual(len(self.veths_of(cid)), 2, self.links())
        self.assertIn(ip + "/24", self.ok(self.alice, "exec", "u1", BB, "ip",
                                          "-o", "-4", "addr"))
        self.ok(self.alice, "rm", "-f", "u1")
        self.ok(self.alice, "network", "rm", "un1")

    def test_3_logs_usage_of_the_heads_own_root(self):
        """A folder in head a's own zones root, which is not its node's
        (a container made there before its agent answered): logs usage
        shows it under the head ("-") beside the node's answer."""
        self.wait_available(True)
        u1 = "77777777-7777-4777-8777-777777777777"
        logs = os.path.join(self.d.tmp, "zones", u1, "logs")
        os.makedirs(logs)
        try:
            with open(os.path.join(logs, "stdio.log"), "w") as f:
                f.write("y" * 42)
            u = json.loads(self.adm("--json", "logs", "usage").stdout)
        finally:
            shutil.rmtree(os.path.dirname(logs))
        self.assertEqual(sorted((n["id"], n["hostname"], n["answered"])
                                for n in u["nodes"]),
                         [("", "-", True), (self.node_id(), self.HOSTNAME,
                                            True)])
        self.assertEqual([(c["node"], c["uuid"], c["live"], c["total"])
                          for c in u["containers"] if c["node"] == "-"],
                         [("-", u1, 42, 42)])


def load_tests(loader, tests, pattern):
    return loader.loadTestsFromTestCase(NodesPaths)


if __name__ == "__main__":
    unittest.main(verbosity=2)
