#!/usr/bin/env python3
"""A stuck name server never holds a node's agent.

As 98-loop-free-dns.py for the head, on a compute node: a head and an
agent with a networking folder of its own (25-nodes-net.py), so alice's
containers and their names tables and aardvark-dns are the agent's.  Her
network's server is stopped (SIGSTOP) and she starts a container on it:
the agent queues the new table and the start's thread waits for it, up
to the reload's bound (2 s), then refuses the start, as the agent did
before (a container whose names could not be set does not run).  While
that reload waits, the agent's own API (its /v1/ping, with a head's
certificate, on a kept-alive connection) must answer at once: on the
agent's loop, it waited for the reload's bound.  Once the server runs
again, a start on the network is named, the refused container is not,
and the table is the last one computed.
"""
import http.client
import importlib
import json
import os
import signal
import ssl
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

common = importlib.import_module("37-nodes-common")
nodes_net = importlib.import_module("25-nodes-net")
dns = importlib.import_module("45-net-dns")
head = importlib.import_module("98-loop-free-dns")    # the head's own

QUICK = 0.1         # s: an answer while the agent's loop is free
HELD = 1.0          # s: less than the reload's bound (2 s) by far
ASKS = 6


class NodeLoopFreeDns(nodes_net.NetNode):

    def table_ids(self, net_id):
        return sorted(l.split()[0] for l in
                      self.names_table(net_id).splitlines()[1:])

    def server(self, net_id):
        with open(os.path.join(self.agent_net, "dns", "net", net_id,
                               "aardvark.pid")) as f:
            return int(f.read().split()[0])

    # whether a process is stopped, a request timed: the head's test's
    stopped = staticmethod(head.LoopFreeDns.stopped)
    get = head.LoopFreeDns.get
    timed = head.LoopFreeDns.timed

    def agent_conn(self):
        ctx = ssl.create_default_context(
            cafile=os.path.join(self.agent_dir, "tls", "ca.pem"))
        ctx.load_cert_chain(os.path.join(self.head_certs, "cert.pem"),
                            os.path.join(self.head_certs, "key.pem"))
        return http.client.HTTPSConnection("127.0.0.1", self.agent_port,
                                           context=ctx, timeout=30)

    def test_stuck_server_holds_not_the_agent(self):
        self.wait_available(True)
        sub = self.d.pool_net(23)
        net_id = self.ok(self.alice, "network", "create", "--subnet",
                         sub + ".0/24", "stuckn")
        gw = sub + ".1"
        n1 = self.ok(self.alice, "run", "-d", "--name", "n1", "--network",
                     "stuckn", "tiny:1", "/bin/busybox", "sleep", "300")
        ip1 = self.inspect_ip("n1")
        self.assertEqual(dns.resolve(gw, "n1"), [ip1])
        pid = self.server(net_id)
        conn = self.agent_conn()
        self.timed(conn, "/v1/ping")        # the handshake, before
        os.kill(pid, signal.SIGSTOP)
        try:
            p = subprocess.Popen(
                ["docker", "run", "-d", "--name", "n2", "--network", "stuckn",
                 "tiny:1", "/bin/busybox", "sleep", "300"],
                env=self.d.docker_env(self.alice), text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            sdctest.wait_for("the new table", lambda: len(
                self.table_ids(net_id)) == 2, timeout=30)
            took = [self.timed(conn, "/v1/ping") for _ in range(ASKS)]
            under_way = p.poll() is None and self.stopped(pid)
            print("the agent's pings while a name server is stuck: %s ms" %
                  ", ".join("%.1f" % (t * 1000) for t in took))
            self.assertTrue(under_way, "the start was answered before the "
                            "pings: nothing was seen stuck")
            self.assertLess(max(took), HELD, "the agent waited for a "
                            "stuck name server")
            self.assertLess(sorted(took)[len(took) // 2], QUICK)
            _, err = p.communicate(timeout=60)
            # names not set: the agent refuses the start, as before
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("names of network", err)
            self.assertTrue(self.stopped(pid))
        finally:
            os.kill(pid, signal.SIGCONT)
        n2 = json.loads(self.ok(self.alice, "inspect", "n2"))[0]["Id"]
        n3 = self.ok(self.alice, "run", "-d", "--name", "n3", "--network",
                     "stuckn", "tiny:1", "/bin/busybox", "sleep", "300")
        ip3 = self.inspect_ip("n3")
        self.assertEqual(self.table_ids(net_id), sorted([n1, n3]))
        self.assertEqual(dns.resolve(gw, "n3"), [ip3])
        self.assertEqual(dns.resolve(gw, "n2"), [])
        self.assertEqual(dns.resolve(gw, n2[:12]), [])
        self.assertEqual(dns.resolve(gw, "n1"), [ip1])
        conn.close()
        self.ok(self.alice, "rm", "-f", "n1", "n2", "n3")
        self.ok(self.alice, "network", "rm", "stuckn")

    def inspect_ip(self, name):
        j = json.loads(self.ok(self.alice, "inspect", name))[0]
        return j["NetworkSettings"]["Networks"]["stuckn"]["IPAddress"]


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
