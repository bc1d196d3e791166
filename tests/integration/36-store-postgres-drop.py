#!/usr/bin/env python3
"""A PostgreSQL whose host drops packets holds no client of dockerapi,
sapi or a node's agent.

dockerapi, sapi and an agent (heartbeats every 0.2 s, on dockerapi's
database) run on a throw-away PostgreSQL reached over TCP (127.0.0.1, a
port of the test's own).  Their connections are cut (pg_terminate_backend),
then every packet to that port is dropped (an nftables table of the
test's own, in the input hook: a SYN is never answered, as by a host gone
dark, where a stopped server would refuse at once), so each connect
waits out its connect_timeout (10 s).  While the drop lasts, /_ping, an
authenticated request on a connection of alice's kept from before, and
one on a new connection are each answered within 2 s, the latter two 503
"try again" (the store does not answer), and so are sapi's /ping (503,
the store unavailable) and the agent's /v1/ping, again and again over
longer than the listeners' retry (a second); once the drop is lifted, the
kept connection is served again, sapi's /ping says the store is back and
the agent's heartbeat reaches the store.  The same when the drop begins under the
head's connections, but for the one request that meets it: it waits
for the connection's TCP timeout (5 s), not for the kernel's own (about
a quarter of an hour).  The rule goes whatever happens.

With it, the bounds of the events a head keeps while the store is away
(EVENTS_OUTBOX_MAX_EVENTS, EVENTS_OUTBOX_MAX_BYTES): a value out of range
or of the wrong type is refused naming the tunable, and a good one
reaches the running head.
"""
import http.client
import json
import os
import ssl
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

# a request's answer while PostgreSQL's packets are dropped, at most
# (the loop waits a tenth of a second at each new connect; the old code
# waited 10 s for each)
BOUND_S = 2.0

CERTGEN = os.path.join(sdctest.BIN, "sdc-docker-certgen")


def certgen(*args):
    subprocess.run([CERTGEN] + list(args), check=True, capture_output=True,
                   timeout=60)


class PacketDrop:
    """Packets to 127.0.0.1:port dropped while inside `with`, by an
    nftables table of this process's own, deleted on leaving whatever
    happened."""

    def __init__(self, port):
        self.table = "inet sdc_pgdrop_%d" % os.getpid()
        self.port = port

    def nft(self, cmd):
        r = subprocess.run(["nft", cmd], capture_output=True, text=True,
                           timeout=30)
        if r.returncode != 0:
            raise RuntimeError("nft %s: %s" % (cmd, r.stderr.strip()))

    def __enter__(self):
        self.nft("add table %s" % self.table)
        try:
            self.nft("add chain %s input { type filter hook input "
                     "priority -10 ; }" % self.table)
            self.nft("add rule %s input ip daddr 127.0.0.1 tcp dport %d "
                     "drop" % (self.table, self.port))
        except BaseException:
            self.nft("delete table %s" % self.table)
            raise
        return self

    def __exit__(self, *exc):
        self.nft("delete table %s" % self.table)


class StorePostgresDrop(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if os.getuid() != 0:
            print("needs root (an nftables rule)")
            sys.exit(1)
        cls.pg = sdctest.Postgres(tcp_port=sdctest.free_port())
        cls.d = sdctest.Daemons()
        data = os.path.join(cls.d.tmp, "dockerapi")
        cls.db = sdctest.store_db(data)
        cls.sapi_db = sdctest.store_db(os.path.join(cls.d.tmp, "sapi"))
        try:
            cls.d.start_sapi(store=cls.pg.tcp_uri(cls.sapi_db))
            cls.d.start_dockerapi(extra=("--store", cls.pg.tcp_uri(cls.db)))
            cls.certs, _ = cls.d.add_tenants("alice")
            cls.start_agent(data)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_agent(cls, head):
        """A node's agent on the head's database, beating every 0.2 s, so
        its loop meets the store often; its client a head's certificate."""
        cls.agent_port = sdctest.free_port()
        cls.agent_dir = os.path.join(cls.d.tmp, "agent")
        cls.head_certs = os.path.join(cls.d.tmp, "head-tls")
        ca = os.path.join(head, "tls")
        certgen("node", "--ca", ca, "--out", os.path.join(cls.agent_dir, "tls"),
                "--cn", "cn-drop")
        certgen("head", "--ca", ca, "--out", cls.head_certs)
        cls.d._spawn("agent", sdctest.agent_argv(
            cls.agent_dir, "127.0.0.1:%d" % cls.agent_port,
            cls.pg.tcp_uri(cls.db), sdctest.one_machine_dirs(cls.d.tmp),
            "cn-drop", "0.2"))
        sdctest.wait_for("agent", lambda: sdctest.port_open(cls.agent_port))

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.pg.stop()

    def kept_connection(self):
        """alice's connection to the docker listener, its handshake made
        now, kept alive across requests."""
        ctx = ssl.create_default_context(cafile=os.path.join(
            self.d.tmp, "dockerapi", "tls", "ca.pem"))
        certs = self.certs["alice"]
        ctx.load_cert_chain(os.path.join(certs, "cert.pem"),
                            os.path.join(certs, "key.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.d.docker_port,
                                           context=ctx, timeout=30)
        conn.connect()
        return conn

    def agent_ping(self):
        ctx = ssl.create_default_context(
            cafile=os.path.join(self.agent_dir, "tls", "ca.pem"))
        ctx.load_cert_chain(os.path.join(self.head_certs, "cert.pem"),
                            os.path.join(self.head_certs, "key.pem"))
        url = "https://127.0.0.1:%d/v1/ping" % self.agent_port
        with urllib.request.urlopen(url, context=ctx, timeout=30) as r:
            return r.status, json.loads(r.read())

    def last_heartbeat(self):
        return int(self.pg.psql("SELECT max(last_heartbeat_ms) FROM nodes",
                                db=self.db).strip() or 0)

    @staticmethod
    def get(conn, path):
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode()

    def timed(self, what, call):
        """call()'s answer, asserted to have come within BOUND_S."""
        t0 = time.monotonic()
        out = call()
        took = time.monotonic() - t0
        self.assertLess(took, BOUND_S, "%s answered after %.1f s" % (
            what, took))
        self.slowest = max(getattr(self, "slowest", 0), took)
        return out

    def cut_connections(self):
        """Every connection of the head's, the agent's and sapi's to their
        databases ended by the server (its FATAL and FIN reach them;
        nothing they send back arrives while the drop lasts)."""
        dbs = "datname IN ('%s', '%s')" % (self.db, self.sapi_db)
        self.pg.psql("SELECT pg_terminate_backend(pid) FROM "
                     "pg_stat_activity WHERE %s" % dbs)
        sdctest.wait_for("the daemons' connections ended", lambda:
                         self.pg.psql("SELECT count(*) FROM pg_stat_activity "
                                      "WHERE %s" % dbs).strip() == "0")

    def test_a_dropped_packets_hold_no_client(self):
        kept = self.kept_connection()
        try:
            self.assertEqual(self.get(kept, "/v1.41/containers/json")[0], 200)
            with PacketDrop(self.pg.tcp_port):
                self.cut_connections()
                # longer than the listeners' retry, so theirs are tried too
                end = time.monotonic() + 3
                while time.monotonic() < end:
                    status, _, body = self.timed("/_ping", lambda: self.d.https(
                        "GET", "/_ping"))
                    self.assertEqual((status, body), (200, b"OK"))
                    status, ping = self.timed("sapi's /ping", lambda:
                                              self.d.sapi_http("GET", "/ping"))
                    self.assertEqual((status, ping["storAvailable"]),
                                     (503, False), ping)
                    status, _ = self.timed("the agent's /v1/ping",
                                           self.agent_ping)
                    self.assertEqual(status, 200)
                    for what, call in (
                            ("a kept connection's request",
                             lambda: self.get(kept, "/v1.41/containers/json")),
                            ("a new connection's request",
                             lambda: self.d.https("GET", "/v1.41/info",
                                                  self.certs["alice"])[::2])):
                        status, body = self.timed(what, call)
                        self.assertEqual(status, 503, body)
                        self.assertIn("try again", str(body))
                    time.sleep(0.2)     # a client's pace, not a wait
            print("the slowest answer meanwhile: %.2f s" % self.slowest,
                  file=sys.stderr)
            lifted = time.monotonic()
            sdctest.wait_for("the kept connection served again", lambda:
                             self.get(kept, "/v1.41/containers/json")[0] ==
                             200, timeout=30)
            print("served again %.1f s after the drop ended" % (
                time.monotonic() - lifted), file=sys.stderr)
            sdctest.wait_for("sapi's store back", lambda: self.d.sapi_http(
                "GET", "/ping")[0] == 200, timeout=30)
            beat = self.last_heartbeat()
            sdctest.wait_for("the agent's heartbeat in the store", lambda:
                             self.last_heartbeat() > beat, timeout=30)
            self.assertEqual(self.agent_ping()[0], 200)
        finally:
            kept.close()
        r = self.d.docker(self.certs["alice"], "info")
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("dockerapi", "sapi", "agent"):
            self.assertIsNone(self.d.procs[name].poll(), "%s ended" % name)

    def test_c_dropped_under_a_connection(self):
        """The drop begins under the head's made connections: the request
        that meets it waits for the kernel to give up on its query (5 s
        unacknowledged, where the default is a quarter of an hour), the
        later ones are answered at once, and once the drop ends the kept
        connection is served again."""
        kept = self.kept_connection()
        try:
            self.assertEqual(self.get(kept, "/v1.41/containers/json")[0], 200)
            with PacketDrop(self.pg.tcp_port):
                t0 = time.monotonic()
                status, body = self.get(kept, "/v1.41/containers/json")
                took = time.monotonic() - t0
                self.assertEqual(status, 503, body)
                print("the first request answered after %.1f s" % took,
                      file=sys.stderr)
                self.assertLess(took, 15)
                status, _, body = self.timed("/_ping", lambda: self.d.https(
                    "GET", "/_ping"))
                self.assertEqual((status, body), (200, b"OK"))
                status, body = self.timed("the next request", lambda:
                                          self.get(kept, "/v1.41/info"))
                self.assertEqual(status, 503, body)
            sdctest.wait_for("the kept connection served again", lambda:
                             self.get(kept, "/v1.41/containers/json")[0] ==
                             200, timeout=30)
        finally:
            kept.close()

    def test_b_outbox_bounds_are_tunables(self):
        uuid = self.d.docker_service_uuid()
        for key, bad, says in (
                ("EVENTS_OUTBOX_MAX_EVENTS", 0, "must be from 1 to"),
                ("EVENTS_OUTBOX_MAX_BYTES", 100, "must be from 65536 to"),
                ("EVENTS_OUTBOX_MAX_BYTES", "\"8M\"", "must be integer")):
            r = self.d.sapiadm("update", uuid, "metadata.%s=%s" % (key, bad),
                               check=False)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn("SchemaValidationError: metadata.%s %s" % (
                key, says), r.stderr)
        self.d.set_tunable("EVENTS_OUTBOX_MAX_EVENTS", 50)
        self.d.set_tunable("EVENTS_OUTBOX_MAX_BYTES", 1 << 20)
        sdctest.wait_for("the head's new bounds", lambda:
                         "at most 50 events or 1048576 bytes" in
                         self.d.log("dockerapi"))


if __name__ == "__main__":
    unittest.main(verbosity=2, failfast=True)
