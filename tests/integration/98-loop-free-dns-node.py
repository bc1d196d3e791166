#!/usr/bin/env python3
"""A stuck name server never holds a node's agent.

As 98-loop-free-dns.py for the head, on a compute node: a head and an
agent with a networking folder of its own (25-nodes-net.py), so alice's
containers and their names tables and aardvark-dns are the agent's.  Her
network's server is stopped (SIGSTOP) and she starts a container on it:
the agent queues the new table and the start's thread waits for it, up
to the reload's bound (2 s), then goes on, as a head's start does
(dockerapi/net/dns-queue.c, net_dns_wait_start): the run succeeds, and
its names come with the server's next check.  While that reload waits, the agent's own API (its /v1/ping, with a head's
certificate, on a kept-alive connection) must answer at once: on the
agent's loop, it waited for the reload's bound.  Once the server runs
again, the container started while it was stopped and a start after it
are named, and the table is the last one computed.

Then, as the head's test, the agent's names held: alice's network's
server is killed and its dir's lock taken (a start stuck in its spawn
holds it).  Her rename, connect, disconnect and rm of containers
running on the node are all made (the store and the agent's log show
them), none answered while the server is held (the agent answers once
its tables are applied, and the head on the agent's answer), and once
the lock is let go each is answered and the first query to the server,
and a peer's lookup, get its change: the renamed container's new name
(the node's tables are made again at a rename), the connected one's,
none of the others'.  A container named "a..b" or "web." (names Docker
allows that no DNS server can carry) starts on the node, left out of
its network's table, and answers by its id.
"""
import fcntl
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

    # whether a process is stopped or gone, a request timed: the head's
    # test's
    stopped = staticmethod(head.LoopFreeDns.stopped)
    gone = staticmethod(head.LoopFreeDns.gone)
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
            # names not set in time: the start goes on, as a head's
            self.assertEqual(p.returncode, 0, err)
            self.assertTrue(self.stopped(pid))
        finally:
            os.kill(pid, signal.SIGCONT)
        n2 = json.loads(self.ok(self.alice, "inspect", "n2"))[0]["Id"]
        ip2 = self.inspect_ip("n2")
        n3 = self.ok(self.alice, "run", "-d", "--name", "n3", "--network",
                     "stuckn", "tiny:1", "/bin/busybox", "sleep", "300")
        ip3 = self.inspect_ip("n3")
        self.assertEqual(self.table_ids(net_id), sorted([n1, n2, n3]))
        self.assertEqual(dns.resolve(gw, "n3"), [ip3])
        self.assertEqual(dns.resolve(gw, "n2"), [ip2])
        self.assertEqual(dns.resolve(gw, "n1"), [ip1])
        conn.close()
        self.ok(self.alice, "rm", "-f", "n1", "n2", "n3")
        self.ok(self.alice, "network", "rm", "stuckn")

    def inspect_ip(self, name, net="stuckn"):
        j = json.loads(self.ok(self.alice, "inspect", name))[0]
        return j["NetworkSettings"]["Networks"].get(net, {}).get(
            "IPAddress", "")

    def run_small(self, name, net, *args):
        """A sleeper of the smallest package (the node's room is a few
        GiB), removed at the test's end whatever happens."""
        self.addCleanup(self.docker, self.alice, "rm", "-f", name)
        return self.ok(self.alice, "run", "-d", "-m", "128m", "--name", name,
                       "--network", net, *args, "tiny:1", "/bin/busybox",
                       "sleep", "300")

    def background(self, *args):
        return subprocess.Popen(["docker"] + list(args),
                                env=self.d.docker_env(self.alice), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def test_names_docker_allows_and_dns_cannot_carry(self):
        # the head leaves them out of the table; the node's agent too,
        # where it refused the start with a 400
        self.wait_available(True)
        sub = self.d.pool_net(25)
        net_id = self.ok(self.alice, "network", "create", "--subnet",
                         sub + ".0/24", "oddn")
        gw = sub + ".1"
        self.run_small("peer", "oddn")
        odd = [self.run_small(name, "oddn", "--network-alias", "fine%d" % k)
               for k, name in enumerate(("a..b", "web."))]
        for k, (name, cid) in enumerate(zip(("a..b", "web."), odd)):
            ip = self.inspect_ip(name, "oddn")
            self.assertIn(cid, self.table_ids(net_id))
            self.assertEqual(dns.query(gw, cid[:12]), (dns.NOERROR, [ip]))
            self.assertEqual(dns.query(gw, "fine%d" % k), (dns.NOERROR, [ip]))
        self.assertNotIn("a..b", self.names_table(net_id))
        self.assertEqual(dns.resolve(gw, "peer"), [self.inspect_ip(
            "peer", "oddn")])
        self.ok(self.alice, "rm", "-f", "peer", "a..b", "web.")
        self.ok(self.alice, "network", "rm", "oddn")

    def test_held_names_defer_the_node_changes(self):
        """alice's network's server on the node is killed and its start
        held; her rename, connect, disconnect and rm of containers on the
        node are answered only once it runs with their names."""
        self.wait_available(True)
        sub, sub2 = self.d.pool_net(26), self.d.pool_net(27)
        net_id = self.ok(self.alice, "network", "create", "--subnet",
                         sub + ".0/24", "heldn")
        self.ok(self.alice, "network", "create", "--subnet", sub2 + ".0/24",
                "otherm")
        gw = sub + ".1"
        for name, net in (("h1", "heldn"), ("h4", "heldn"), ("h5", "heldn"),
                          ("peer", "heldn"), ("h3", "otherm")):
            self.run_small(name, net)
        self.addCleanup(self.docker, self.alice, "rm", "-f", "h1new")
        uuids = {name: self.row("SELECT uuid FROM containers WHERE name = ?",
                                name)[0] for name in ("h1", "h3", "h4", "h5")}
        ip1 = self.inspect_ip("h1", "heldn")
        self.assertEqual(dns.resolve(gw, "h1"), [ip1])
        pid = self.server(net_id)
        lock = os.open(os.path.join(self.agent_net, "dns", "net", net_id),
                       os.O_RDONLY | os.O_DIRECTORY)
        procs = []
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            os.kill(pid, signal.SIGKILL)
            sdctest.wait_for("the server's end", lambda: self.gone(pid))
            procs = [self.background(*a) for a in (
                ("rename", "h1", "h1new"),
                ("network", "connect", "heldn", "h3"),
                ("network", "disconnect", "heldn", "h4"),
                ("rm", "-f", "h5"))]
            # each made: the store's rename, the agent's part of the rest
            sdctest.wait_for("alice's changes", lambda: self.row(
                "SELECT 1 FROM containers WHERE name = 'h1new'") and all(
                ("container %s: %s" % (uuids[name], what)) in
                self.d.log("agent") for name, what in (
                    ("h3", "network %s connected" % net_id[:12]),
                    ("h4", "network %s disconnected" % net_id[:12]),
                    ("h5", "removed"))), timeout=30)
            # a round trip through the head after them: an answer the
            # agent gave before its names (the rm's, given as it logs
            # "removed") has reached its client by its end
            self.ok(self.alice, "ps", "-q")
            early = [p.args[1:3] for p in procs if p.poll() is not None]
            self.assertEqual(early, [], "answered while the network's "
                             "server on the node was held, before it had "
                             "the names")
        finally:
            os.close(lock)          # the server's start goes on
            for p in procs:
                p.wait(timeout=60)
        for p in procs:
            self.assertEqual(p.returncode, 0, p.stderr.read())
        # answered: the server has every change, at the first query
        ip3 = self.inspect_ip("h3", "heldn")
        self.assertEqual(dns.query(gw, "h1new"), (dns.NOERROR, [ip1]))
        self.assertEqual(dns.query(gw, "h3"), (dns.NOERROR, [ip3]))
        for name in ("h1", "h4", "h5"):
            self.assertEqual(dns.query(gw, name)[0], dns.NXDOMAIN, name)
        # and a peer on the network asks the same server
        out = self.ok(self.alice, "exec", "peer", "/bin/busybox", "nslookup",
                      "h1new")
        self.assertIn(ip1, out)
        self.ok(self.alice, "rm", "-f", "h1new", "h3", "h4", "peer")
        for net in ("heldn", "otherm"):
            self.ok(self.alice, "network", "rm", net)


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
