#!/usr/bin/python3
"""One tenant must not deny service to the others by holding connections.

As an attacker would: thousands of idle TCP connects from one host, a flood
that fills the daemon's connection cap, and an authenticated account that
opens connection after connection or GET /events stream after stream.
Each time another account (or a client already connected) must still be
served, promptly, and the attacker gets its own limit: its connections
closed at once, or a 429 that names the limit.  The limits are SAPI
tunables and a change applies at once.  The attacking host is another
loopback address (127.0.0.2, 127.0.0.3) than the victims' 127.0.0.1.
"""
import http.client
import json
import os
import resource
import select
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402

DEFAULTS = {"MAX_CONNECTIONS": 16384, "PEER_MAX_CONNECTIONS": 512,
            "PEER_MAX_PENDING_HANDSHAKES": 64, "HANDSHAKE_TIMEOUT": 10,
            "ACCOUNT_MAX_CONNECTIONS": 512, "ACCOUNT_MAX_STREAMS": 256}


class DenialOfService(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 12000 and hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))
        cls.d = sdctest.Daemons().start()
        cls.certs, _ = cls.d.add_tenants("alice", "bob")
        cls.alice, cls.bob = cls.certs["alice"], cls.certs["bob"]

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def tearDown(self):
        for s in getattr(self, "socks", []):
            s.close()
        for c in getattr(self, "conns", []):
            c.close()
        self.set_limits(**DEFAULTS)

    # --- helpers ---

    def set_limits(self, **kv):
        """Set tunables and wait until the daemon has applied them."""
        before = self.d.log("dockerapi").count("tunables changed")
        self.d.sapiadm("update", self.d.docker_service_uuid(),
                       *["metadata.%s=%s" % (k, json.dumps(v)) for k, v in kv.items()])
        end = time.time() + 10
        while time.time() < end:
            if self.d.log("dockerapi").count("tunables changed") > before:
                return
            time.sleep(0.05)
        # nothing changed (the values were already those)

    def context(self, certs):
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
        ctx.load_cert_chain(os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem"))
        return ctx

    def connect(self, certs, timeout=10):
        conn = http.client.HTTPSConnection("127.0.0.1", self.d.docker_port,
                                           context=self.context(certs), timeout=timeout)
        self.conns = getattr(self, "conns", []) + [conn]
        return conn

    def get(self, conn, path):
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Connection", ""), resp.read()

    def stream(self, certs, path="/events"):
        """A long-lived request: its status once the head is in."""
        conn = self.connect(certs)
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read() if resp.status != 200 else b""
        return conn, resp.status, resp.getheader("Connection", ""), body

    def idle_connects(self, source, n):
        """n TCP connects from source that never say a word."""
        socks = []
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((source, 0))
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.d.docker_port))
            socks.append(s)
        self.socks = getattr(self, "socks", []) + socks
        return socks

    @staticmethod
    def still_open(socks):
        """Sockets connected that the server has neither closed nor reset."""
        p = select.poll()
        for s in socks:
            p.register(s, select.POLLIN | select.POLLOUT)
        n = 0
        for fd, ev in p.poll(0):
            if ev & (select.POLLIN | select.POLLHUP | select.POLLERR):
                continue        # closed, reset (or, oddly, data)
            if ev & select.POLLOUT:
                n += 1
        return n

    def wait_until(self, what, check, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if check():
                return
            time.sleep(0.1)
        self.fail("timed out waiting for " + what)

    def served(self, certs, timeout=5):
        """docker ps answers within timeout seconds."""
        start = time.time()
        r = self.d.docker(certs, "ps", timeout=timeout + 5)
        took = time.time() - start
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(took, timeout, "docker ps took %.1fs" % took)

    # --- the attacks ---

    def test_idle_connects_from_one_host(self):
        """5000 idle connects from one host: the host keeps only its
        pending allowance, every other client is served at once, and what
        it kept goes at the handshake timeout."""
        self.set_limits(HANDSHAKE_TIMEOUT=3)
        start = time.time()
        socks = self.idle_connects("127.0.0.2", 5000)
        self.served(self.bob)
        self.served(self.alice)
        # the server took (and closed) every connect: none waits in its
        # queue for a slot, and it kept at most its allowance
        self.wait_until("the flood to be accepted",
                        lambda: self.still_open(socks) <= 64, timeout=10)
        # the ones it kept are closed at the handshake timeout
        self.wait_until("the kept connections to time out",
                        lambda: self.still_open(socks) == 0, timeout=10)
        self.assertLess(time.time() - start, 15)
        self.assertIn("refused", self.d.log("dockerapi"))

    def test_cap_refuses_new_keeps_old(self):
        """At the connection cap a new connection is closed at once, not
        queued, and a client already connected is still served."""
        self.set_limits(PEER_MAX_PENDING_HANDSHAKES=1000, PEER_MAX_CONNECTIONS=1000)
        alice = self.connect(self.alice)
        self.assertEqual(self.get(alice, "/version")[0], 200)
        self.set_limits(MAX_CONNECTIONS=40)
        socks = self.idle_connects("127.0.0.3", 200)
        self.wait_until("the cap to be reached",
                        lambda: self.still_open(socks) <= 40, timeout=10)
        self.assertGreater(self.still_open(socks), 20)
        # the connected client: served
        self.assertEqual(self.get(alice, "/version")[0], 200)
        # a new one: refused at once rather than left waiting
        start = time.time()
        with self.assertRaises((OSError, http.client.HTTPException)):
            self.get(self.connect(self.bob, timeout=20), "/version")
        self.assertLess(time.time() - start, 5)
        # once the flood goes, new connections are served again
        for s in socks:
            s.close()
        self.socks = []
        self.wait_until("a new connection to be served",
                        lambda: self.d.docker(self.bob, "ps", timeout=10).returncode == 0)

    def test_account_streams(self):
        """One account holds its ACCOUNT_MAX_STREAMS GET /events streams:
        the next is a 429 that names the limit and closes the connection;
        another account is served, streams included; raising the limit
        applies at once."""
        self.set_limits(ACCOUNT_MAX_STREAMS=8)
        held = []
        for i in range(8):
            conn, status, _, body = self.stream(self.alice)
            self.assertEqual(status, 200, body)
            held.append(conn)
        conn, status, connection, body = self.stream(self.alice)
        self.assertEqual(status, 429, body)
        self.assertIn("ACCOUNT_MAX_STREAMS", json.loads(body)["message"])
        self.assertEqual(connection.lower(), "close")
        # not only events: a container's wait or logs counts the same
        conn, status, _, body = self.stream(self.alice, "/containers/nope/logs?stdout=1")
        self.assertEqual(status, 429, body)
        # the other account: its ps, and streams of its own
        self.served(self.bob)
        conn, status, _, body = self.stream(self.bob)
        self.assertEqual(status, 200, body)
        # the attacker's own non-streaming requests still work
        self.assertEqual(self.d.docker(self.alice, "ps", timeout=10).returncode, 0)
        # a stream that ends gives its place back
        held.pop().close()
        self.wait_until("a stream's place to come back",
                        lambda: self.stream(self.alice)[1] == 200)
        # a live change of the limit applies at once
        self.set_limits(ACCOUNT_MAX_STREAMS=20)
        self.assertEqual(self.stream(self.alice)[1], 200)

    def test_account_connections(self):
        """One account holds ACCOUNT_MAX_CONNECTIONS connections: the next
        gets a 429 that names the limit and is closed; another account is
        served; a closed connection gives its place back."""
        self.set_limits(ACCOUNT_MAX_CONNECTIONS=10)
        held = []
        for i in range(10):
            conn = self.connect(self.alice)
            self.assertEqual(self.get(conn, "/version")[0], 200)
            held.append(conn)
        status, connection, body = self.get(self.connect(self.alice), "/version")
        self.assertEqual(status, 429, body)
        self.assertIn("ACCOUNT_MAX_CONNECTIONS", json.loads(body)["message"])
        self.assertEqual(connection.lower(), "close")
        # the ones it has keep working
        self.assertEqual(self.get(held[0], "/version")[0], 200)
        self.served(self.bob)
        held.pop().close()
        self.wait_until("a connection's place to come back",
                        lambda: self.get(self.connect(self.alice), "/version")[0] == 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
