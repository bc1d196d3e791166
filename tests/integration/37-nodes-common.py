"""What 37-nodes-sqlite and 37-nodes-postgres share (imported, not run).

A head (sapi + dockerapi, sdctest) and one sdc-docker-agent beside it on
the head's store (its SQLite file, or the throw-away PostgreSQL when
SDC_TEST_STORE=postgres), heartbeating every 0.2 s, with a node
certificate and the head's client certificate made by sdc-docker-certgen
under the head's CA.  Checked with the real docker CLI, the admin API and
sdcadm-docker:

- the agent's API takes only clients of the operator's CA: no
  certificate, a certificate of another CA (a head's kind, even), and a
  node's own (server) certificate are refused at the handshake; the
  head's certificate gets the node;
- the node registers (id, hostname, address, CPUs, memory, disk,
  runtime) and the id stays the same across an agent restart (DATA/
  node-id);
- docker info shows the data center's totals over available nodes and
  the node count (SystemStatus);
- a container created records the node, and docker inspect shows it
  (Node, as Docker's API kept from Swarm); sdcadm-docker container list
  shows its node, and `logs usage` has it once, from the node's agent
  (the head's zones root being the node's);
- node list|inspect|drain|undrain through the admin API;
- an agent not heard from (stopped with SIGSTOP) is unavailable within
  three intervals and out of the totals, and available again once it
  beats; an agent stopped with SIGTERM says so at once;
- docker kill goes through the node's agent (its log says so): while the
  node is unavailable the kill says "node unavailable" and the container
  keeps running; once the node is back the kill ends it (exit 137);
  docker stop's signal and its SIGKILL after the grace time go the same
  way;
- the node's log usage walk is shared: while one walk runs (held, for
  the check, at a container's logs folder by a fanotify permission
  event), further GET /v1/log-usage join it and get its answer, no
  second walk starts, and past 8 waiting one more is refused with 429 at
  once; the head's GET /logs/usage shares its question to the nodes the
  same way (one question reaches the agent) and refuses the same.

It also holds what every test of nodes uses, so that each writes it
once: run() and until(), the agent's command line (sdctest.agent_argv),
the data center's network of namespaces (Underlay), busybox as an archive
to load, the admin socket read as raw bytes (admin_get), and the
teardown of what such a test leaves (stop_all).
"""
import ctypes
import http.client
import importlib
import io
import json
import os
import select
import shutil
import signal
import sqlite3
import ssl
import struct
import subprocess
import sys
import tarfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid as uuidlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

CERTGEN = os.path.join(sdctest.BIN, "sdc-docker-certgen")
AGENT = sdctest.AGENT
ADM = os.path.join(sdctest.BIN, "sdcadm-docker")


def certgen(*args):
    subprocess.run([CERTGEN] + list(args), check=True, capture_output=True)


def need_underlay(why):
    """Exits (a failure: the suite installs all of it) unless this runs
    as root (why: what for) with the daemons built and the tools that
    load busybox and run containers installed."""
    if os.getuid() != 0:
        print("needs root (%s)" % why)
        sys.exit(1)
    for b in (AGENT, CERTGEN, os.path.join(sdctest.BIN, "dockerapi")):
        if not os.path.exists(b):
            print("no %s (make)" % b)
            sys.exit(1)
    importlib.import_module("65-images-api-common").need(
        "runc", "busybox", "umoci", "skopeo", "docker")


def set_up(cls, *steps):
    """Runs the class's setup steps; on a failure prints the daemons'
    logs and tears down what was made before raising it."""
    try:
        for step in steps:
            step()
    except BaseException:
        dump_logs(cls.d)
        cls.tearDownClass()
        raise


def run(*args, check=True, timeout=60):
    """The command's CompletedProcess (text); raises if it fails and check."""
    return subprocess.run(list(args), capture_output=True, text=True,
                          check=check, timeout=timeout)


def until(what, check, timeout=30.0):
    """check()'s value once it is true; fails naming what after timeout."""
    end = time.time() + timeout
    while True:
        v = check()
        if v:
            return v
        if time.time() > end:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


def in_netns(netns, *args, check=True, timeout=60):
    """run() inside the named network namespace (/run/netns/NETNS)."""
    return run("nsenter", "--net=/run/netns/" + netns, *args, check=check,
               timeout=timeout)


class OpenHold:
    """Every open of one folder held until allowed (a fanotify
    permission event, FAN_OPEN_PERM on the folder itself): a walk that
    opens it stops there, and each open is seen, so a test counts the
    walks that reached it without timing them.  Needs root."""

    FAN_CLASS_CONTENT, FAN_CLOEXEC, FAN_NONBLOCK = 0x4, 0x1, 0x2
    FAN_OPEN_PERM, FAN_ONDIR, FAN_MARK_ADD, FAN_ALLOW = (
        0x10000, 0x40000000, 0x1, 0x1)

    def __init__(self, path):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint,
                                       ctypes.c_uint64, ctypes.c_int,
                                       ctypes.c_char_p]
        self.fd = libc.fanotify_init(self.FAN_CLASS_CONTENT |
                                     self.FAN_CLOEXEC | self.FAN_NONBLOCK,
                                     os.O_RDONLY)
        if self.fd < 0:
            raise AssertionError("fanotify_init: " +
                                 os.strerror(ctypes.get_errno()))
        if libc.fanotify_mark(self.fd, self.FAN_MARK_ADD,
                              self.FAN_OPEN_PERM | self.FAN_ONDIR, -100,
                              path.encode()) < 0:
            os.close(self.fd)
            raise AssertionError("fanotify_mark %s: %s" % (
                path, os.strerror(ctypes.get_errno())))
        self.held = []          # (event fd, pid) of the opens held

    def poll(self, timeout=0.0):
        """The opens that arrived within timeout, held; their pids."""
        if not select.select([self.fd], [], [], timeout)[0]:
            return []
        try:
            buf = os.read(self.fd, 4096)
        except BlockingIOError:
            return []
        pids = []
        while buf:
            length, _, _, _, _, efd, pid = struct.unpack("IBBHQii", buf[:24])
            self.held.append((efd, pid))
            pids.append(pid)
            buf = buf[length:]
        return pids

    def allow(self):
        for efd, _ in self.held:
            os.write(self.fd, struct.pack("iI", efd, self.FAN_ALLOW))
            os.close(efd)
        self.held = []

    def close(self):
        """Allows what is held and stops watching."""
        self.allow()
        os.close(self.fd)


def in_threads(fn, n):
    """fn() on n threads at once; the threads (each .result, fn's
    value, once joined)."""
    def one(t):
        t.result = fn()
    ts = []
    for _ in range(n):
        t = threading.Thread(target=lambda: one(threading.current_thread()),
                             daemon=True)
        ts.append(t)
        t.start()
    return ts


class Underlay:
    """The data center's network: a network namespace per node, whose
    eth0 (its address/24) is a veth on one bridge.  The bridge is in a
    namespace of its own (bridge_ns), or in the root one, where the head
    is, with the head's address (head_addr).  nodes: key -> namespace
    name; addrs: key -> address; peer: the bridge side's veth name, %s
    the node's key."""

    def __init__(self, nodes, addrs, bridge, peer, bridge_ns=None,
                 head_addr=None):
        self.nodes, self.addrs = nodes, addrs
        self.bridge, self.peer = bridge, peer
        self.bridge_ns, self.head_addr = bridge_ns, head_addr
        self.made_ns, self.made_bridge = [], False

    def ns(self, node, *args, check=True, timeout=60):
        """run() in the node's namespace."""
        return in_netns(self.nodes[node], *args, check=check, timeout=timeout)

    def plumb(self):
        here = []
        if self.bridge_ns:
            run("ip", "netns", "add", self.bridge_ns)
            self.made_ns.append(self.bridge_ns)
            here = ["nsenter", "--net=/run/netns/" + self.bridge_ns]
            run(*here, "ip", "link", "set", "lo", "up")
        run(*here, "ip", "link", "add", self.bridge, "type", "bridge")
        self.made_bridge = not self.bridge_ns
        if self.head_addr:
            run(*here, "ip", "addr", "add", self.head_addr + "/24", "dev",
                self.bridge)
        run(*here, "ip", "link", "set", self.bridge, "up")
        for node in sorted(self.nodes):
            name, peer = self.nodes[node], self.peer % node
            run("ip", "netns", "add", name)
            self.made_ns.append(name)
            run(*here, "ip", "link", "add", peer, "type", "veth", "peer",
                "name", "eth0", "netns", "/run/netns/" + name)
            run(*here, "ip", "link", "set", peer, "master", self.bridge, "up")
            self.ns(node, "ip", "addr", "add", self.addrs[node] + "/24",
                    "dev", "eth0")
            self.ns(node, "ip", "link", "set", "lo", "up")
            self.ns(node, "ip", "link", "set", "eth0", "up")

    def remove(self):
        for n in reversed(self.made_ns):
            run("ip", "netns", "del", n, check=False)
        self.made_ns = []
        if self.made_bridge:
            run("ip", "link", "del", self.bridge, check=False)
            self.made_bridge = False


def busybox_archive(tmp):
    """busybox:latest (built by 65-images-api-common) as a docker-archive
    tar under tmp, for docker load."""
    images_common = importlib.import_module("65-images-api-common")
    work = os.path.join(tmp, "work")
    os.makedirs(work)
    src = images_common.build_busybox(work)
    tar = os.path.join(work, "busybox.tar")
    run("skopeo", "copy", "--quiet", src,
        "docker-archive:%s:busybox:latest" % tar)
    return tar


def admin_get(sock, path):
    """(status, raw body) of a GET on the admin socket; (0, the error)
    where the socket does not answer (yet)."""
    conn = sdctest.UnixHTTPConnection(sock)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    except OSError as e:
        return 0, str(e)
    finally:
        conn.close()


def dump_logs(d):
    """The end of each daemon's log, on stderr (a setup that failed)."""
    for name in list(d.procs):
        print("--- %s:\n%s" % (name, d.log(name)[-3000:]), file=sys.stderr)


def stop_all(d, underlay=None, sweep=()):
    """Stops d's daemons, newest first; sweeps what the networking of
    each (namespace or None, net folder) in sweep left there; removes
    the underlay and what is still mounted under the test's folder,
    then the rest as sdctest does."""
    for name in reversed(list(d.procs)):
        d.stop_one(name)
    driver = os.path.join(sdctest.BIN, "..", "tests", "net-driver")
    for netns, net in sweep:
        argv = [driver, "-r", net, "sweep", "-", "-"]
        if netns:
            in_netns(netns, *argv, check=False)
        else:
            run(*argv, check=False)
    if underlay is not None:
        underlay.remove()
    with open("/proc/mounts") as f:
        left = [l.split()[1] for l in f
                if l.split()[1].startswith(d.tmp + "/")]
    for m in sorted(left, key=len, reverse=True):
        run("umount", "-l", m, check=False)
    d.procs.clear()
    d.stop()


class NodesBase(unittest.TestCase):
    """The head and its agent, and the helpers (no tests)."""

    HEARTBEAT = "0.2"       # seconds between the agent's heartbeats
    HOSTNAME = "cn-test"
    TENANTS = ("alice",)
    AGENT_EXTRA = ()        # more flags for the agent

    @classmethod
    def setUpClass(cls):
        for b in (AGENT, CERTGEN, ADM):
            if not os.path.exists(b):
                print("no %s (make)" % b)
                sys.exit(1)
        cls.d = d = sdctest.Daemons(allow_private_registries=())
        cls.agent_port = sdctest.free_port()
        cls.agent_dir = os.path.join(d.tmp, "agent")
        cls.head_certs = os.path.join(d.tmp, "head-tls")
        d.start_sapi()
        d.start_dockerapi(extra=(
            "--agent-url", "https://127.0.0.1:%d" % cls.agent_port,
            "--agent-cert-path", cls.head_certs))
        ca = os.path.join(d.tmp, "dockerapi", "tls")
        certgen("node", "--ca", ca, "--out", os.path.join(cls.agent_dir, "tls"),
                "--cn", cls.HOSTNAME)
        certgen("head", "--ca", ca, "--out", cls.head_certs)
        # another operator's CA, and a head certificate under it
        cls.other = os.path.join(d.tmp, "other")
        certgen("server", "--cn", "elsewhere", "--out", os.path.join(cls.other, "ca"))
        certgen("head", "--ca", os.path.join(cls.other, "ca"), "--out",
                os.path.join(cls.other, "head"))
        cls.start_agent()
        cls.certs, _ = d.add_tenants(*cls.TENANTS)
        cls.alice = cls.certs["alice"]

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    @classmethod
    def agent_store(cls):
        head = os.path.join(cls.d.tmp, "dockerapi")
        if sdctest.test_store_postgres():
            return sdctest.postgres().uri(sdctest.store_db(head))
        return os.path.join(head, "dockerapi.db")

    def freeze_agent(self):
        """SIGSTOP the agent, at a moment it holds no write of the store:
        on SQLite the agent shares the head's file, and frozen inside a
        write (its heartbeat's) it would hold the file's one write lock,
        so the head's own writes would fail "database is locked" instead
        of its node being unavailable.  The pid, to SIGCONT."""
        pid = self.d.pid("agent")
        store = self.agent_store()
        for _ in range(50):
            os.kill(pid, signal.SIGSTOP)
            if sdctest.test_store_postgres():
                return pid
            db = sqlite3.connect(store, timeout=0, isolation_level=None)
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
                return pid
            except sqlite3.OperationalError:
                os.kill(pid, signal.SIGCONT)
                time.sleep(0.05)
            finally:
                db.close()
        raise AssertionError("the agent always held the store's write lock")

    @classmethod
    def agent_dirs(cls):
        """The agent's folders (sdctest.agent_argv's dirs).  One machine: the
        head's zones root, layers, volumes and networking; a test whose
        node has one of its own overrides it."""
        return sdctest.one_machine_dirs(cls.d.tmp)

    @classmethod
    def start_agent(cls):
        cls.d._spawn("agent", sdctest.agent_argv(
            cls.agent_dir, "127.0.0.1:%d" % cls.agent_port, cls.agent_store(),
            cls.agent_dirs(), cls.HOSTNAME, cls.HEARTBEAT,
            extra=cls.AGENT_EXTRA))
        sdctest.wait_for("agent", lambda: sdctest.port_open(cls.agent_port))

    # --- helpers ---

    def agent_tls(self, certdir=None, cert="cert.pem", key="key.pem"):
        ctx = ssl.create_default_context(
            cafile=os.path.join(self.agent_dir, "tls", "ca.pem"))
        if certdir is not None:
            ctx.load_cert_chain(os.path.join(certdir, cert), os.path.join(certdir, key))
        return ctx

    def agent_get(self, path, certdir=None, cert="cert.pem", key="key.pem"):
        url = "https://127.0.0.1:%d%s" % (self.agent_port, path)
        with urllib.request.urlopen(url, context=self.agent_tls(
                certdir, cert, key), timeout=10) as r:
            return r.status, json.loads(r.read())

    def agent_connection(self):
        """A connection to the agent with the head's certificate."""
        return http.client.HTTPSConnection(
            "127.0.0.1", self.agent_port, timeout=10,
            context=self.agent_tls(self.head_certs))

    def refused(self, certdir=None, cert="cert.pem", key="key.pem"):
        try:
            self.agent_get("/v1/node", certdir, cert, key)
        except (ssl.SSLError, ConnectionError, urllib.error.URLError, OSError) as e:
            return e
        self.fail("the agent answered a client it should refuse (%s)" % certdir)

    def agent_get_status(self, path):
        """agent_get with the head's certificate, an HTTP error as
        (status, body) too."""
        try:
            return self.agent_get(path, self.head_certs)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def adm(self, *args, check=True):
        env = dict(os.environ, DOCKERAPI_ADMIN=self.d.admin_socket)
        r = subprocess.run([ADM] + list(args), env=env, capture_output=True,
                           text=True, timeout=30)
        if check:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def nodes(self):
        st, body = self.d.admin("GET", "/nodes")
        self.assertEqual(st, 200, body)
        return body

    def node_id(self):
        with open(os.path.join(self.agent_dir, "node-id")) as f:
            return f.read().strip()

    def info(self):
        r = self.d.docker(self.alice, "info", "--format", "{{json .}}")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def wait_available(self, want, timeout=10):
        sdctest.wait_for("node available=%s" % want, lambda: (
            len(self.nodes()) == 1 and self.nodes()[0]["Available"] == want),
            timeout)

    def import_image(self):
        """A one-file image (busybox-static) through docker import."""
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            t.add("/bin/busybox", arcname="bin/busybox")
        r = subprocess.run(["docker", "import", "-", "tiny:1"],
                           env=self.d.docker_env(self.alice), input=raw.getvalue(),
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)


class NodesTest(NodesBase):

    # --- the tests, in order ---

    def test_1_mutual_tls(self):
        st, node = self.agent_get("/v1/node", self.head_certs)
        self.assertEqual((st, node["ID"]), (200, self.node_id()))
        self.refused()                                  # no certificate
        self.refused(os.path.join(self.other, "head"))  # another CA's head
        # a node's certificate (serverAuth only) is no client
        self.refused(os.path.join(self.agent_dir, "tls"), "node-cert.pem",
                     "node-key.pem")

    def test_2_registered(self):
        self.wait_available(True)
        n = self.nodes()[0]
        self.assertEqual(n["ID"], self.node_id())
        self.assertEqual(n["Hostname"], "cn-test")
        self.assertEqual(n["Address"], "127.0.0.1:%d" % self.agent_port)
        self.assertEqual(n["CPUs"], os.cpu_count())
        self.assertGreater(n["Memory"], 1 << 28)
        self.assertGreater(n["Disk"], 1 << 28)
        self.assertEqual((n["Runtime"], n["State"], n["Drained"]),
                         ("runc", "running", False))
        self.assertEqual(n["HeartbeatIntervalMs"], 200)
        info = self.info()
        self.assertEqual(info["NCPU"], n["CPUs"])
        self.assertEqual(info["MemTotal"], n["Memory"])
        self.assertIn(["Nodes", "1"], info["SystemStatus"])
        self.assertIn(["Nodes available", "1"], info["SystemStatus"])
        # what the CLI prints of it
        text = self.d.docker(self.alice, "info").stdout
        self.assertIn(" Nodes: 1\n", text)
        self.assertIn(" Nodes available: 1\n", text)
        out = self.adm("node", "list").stdout
        self.assertIn("cn-test", out)
        self.assertIn("available", out)

    def test_3_container_node(self):
        # the head learns its node from the agent (asked once a second)
        sdctest.wait_for("head knows its node", lambda: "containers run on node"
                         in self.d.log("dockerapi"))
        self.import_image()
        r = self.d.docker(self.alice, "create", "--name", "c1", "tiny:1",
                          "/bin/busybox", "true")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.d.docker(self.alice, "inspect", "--format", "{{json .Node}}", "c1")
        self.assertEqual(r.returncode, 0, r.stderr)
        node = json.loads(r.stdout)
        self.assertEqual((node["ID"], node["Name"], node["IP"]),
                         (self.node_id(), "cn-test", "127.0.0.1"))
        # docker-py reads it too
        c = self.d.dockerpy(self.alice).containers.get("c1")
        self.assertEqual(c.attrs["Node"]["ID"], self.node_id())
        rows = json.loads(self.adm("container", "list", "--all", "--json").stdout)
        self.assertEqual([x["node"] for x in rows], ["cn-test"])
        self.assertEqual(json.loads(self.adm("node", "inspect", "cn-test").stdout)["ID"],
                         self.node_id())
        st, one = self.d.admin("GET", "/nodes/" + self.node_id()[:8])
        self.assertEqual((st, one["Containers"]), (200, 1))
        # logs usage: the node answers for the zones root it shares with
        # the head, which adds no entry of its own
        cid = self.d.docker(self.alice, "inspect", "--format", "{{.Id}}",
                            "c1").stdout.strip()
        uuid = self.d.admin("GET", "/containers/" + cid)[1]["Uuid"]
        u = json.loads(self.adm("--json", "logs", "usage").stdout)
        self.assertEqual(u["nodes"], [{"id": self.node_id(),
                                       "hostname": "cn-test",
                                       "answered": True, "complete": True,
                                       "containers": 1}])
        self.assertEqual([(c["node"], c["uuid"]) for c in u["containers"]],
                         [("cn-test", uuid)])
        self.d.docker(self.alice, "rm", "-f", "c1")

    def test_4_drain(self):
        nid = self.node_id()
        self.adm("node", "drain", nid[:8])
        self.assertTrue(self.nodes()[0]["Drained"])
        self.assertIn("drained", self.adm("node", "list").stdout)
        # placement has no node while the only one is drained
        r = self.d.docker(self.alice, "create", "--name", "c2", "tiny:1",
                          "/bin/busybox", "true")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No compute resources available", r.stderr)
        self.assertNotIn("c2", self.d.docker(self.alice, "ps", "-a").stdout)
        # the agent's registration again keeps the operator's drain
        self.d.stop_one("agent")
        self.start_agent()
        self.wait_available(True)
        self.assertTrue(self.nodes()[0]["Drained"])
        self.adm("node", "undrain", "cn-test")
        self.assertFalse(self.nodes()[0]["Drained"])
        r = self.d.docker(self.alice, "create", "--name", "c2", "tiny:1",
                          "/bin/busybox", "true")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.d.docker(self.alice, "rm", "-f", "c2")
        r = self.adm("node", "drain", "no-such-node", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No such node", r.stderr)

    def test_5_heartbeat(self):
        self.wait_available(True)
        pid = self.freeze_agent()
        try:
            t0 = time.monotonic()
            self.wait_available(False, timeout=10)
            # three intervals of 0.2 s, and the head's next look
            self.assertLess(time.monotonic() - t0, 5)
            info = self.info()
            self.assertEqual((info["NCPU"], info["MemTotal"]), (0, 0))
            self.assertIn(["Nodes available", "0"], info["SystemStatus"])
            self.assertIn("unavailable", self.adm("node", "list").stdout)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.wait_available(True)
        # SIGTERM: the node says it stopped, at once
        self.d.stop_one("agent")
        n = self.nodes()[0]
        self.assertEqual((n["State"], n["Available"]), ("stopped", False))
        # and comes back as the same node
        self.start_agent()
        self.wait_available(True)
        self.assertEqual([x["ID"] for x in self.nodes()], [self.node_id()])
        self.assertIn("ready: node " + self.node_id(), self.d.log("agent"))

    def test_6_kill_through_agent(self):
        self.wait_available(True)
        sdctest.wait_for("head knows its node", lambda: "containers run on node"
                         in self.d.log("dockerapi"))
        self.import_image()
        r = self.d.docker(self.alice, "run", "-d", "--name", "k1", "tiny:1",
                          "/bin/busybox", "sleep", "300")
        self.assertEqual(r.returncode, 0, r.stderr + self.d.log("dockerapi")[-2000:])
        cid = self.d.docker(self.alice, "inspect", "--format", "{{.Id}}",
                            "k1").stdout.strip()
        st, one = self.d.admin("GET", "/containers/" + cid)
        self.assertEqual(st, 200, one)
        uuid = one["Uuid"]
        pid = self.freeze_agent()
        try:
            self.wait_available(False)
            r = self.d.docker(self.alice, "kill", "k1")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("node unavailable", r.stderr)
            self.assertEqual(self.d.docker(self.alice, "inspect", "--format",
                                           "{{.State.Running}}", "k1").stdout.strip(),
                             "true")
        finally:
            os.kill(pid, signal.SIGCONT)
        self.wait_available(True)
        r = self.d.docker(self.alice, "kill", "k1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("container %s: signal 9" % uuid, self.d.log("agent"))
        sdctest.wait_for("k1 exited", lambda: self.d.docker(
            self.alice, "inspect", "--format", "{{.State.ExitCode}}",
            "k1").stdout.strip() == "137")
        self.d.docker(self.alice, "rm", "-f", "k1")
        # docker stop: its signal, then the SIGKILL after the grace time
        # (init ignores SIGTERM), both through the agent
        r = self.d.docker(self.alice, "run", "-d", "--name", "k2", "tiny:1",
                          "/bin/busybox", "sleep", "300")
        self.assertEqual(r.returncode, 0, r.stderr)
        cid = r.stdout.strip()
        uuid = self.d.admin("GET", "/containers/" + cid)[1]["Uuid"]
        r = self.d.docker(self.alice, "stop", "-t", "1", "k2")
        self.assertEqual(r.returncode, 0, r.stderr)
        log = self.d.log("agent")
        self.assertIn("container %s: signal 15" % uuid, log)
        self.assertIn("container %s: signal 9" % uuid, log)
        self.assertEqual(self.d.docker(self.alice, "inspect", "--format",
                                       "{{.State.ExitCode}}", "k2").stdout.strip(),
                         "137")
        self.d.docker(self.alice, "rm", "-f", "k2")

    def test_7_log_usage_one_walk(self):
        """Log usage asked at once, of the node and through the head: one
        walk, its answer for every request waiting, and a flood past 8
        waiting refused at once (37-nodes-common's docstring)."""
        self.wait_available(True)
        sdctest.wait_for("head knows its node", lambda: "containers run on "
                         "node" in self.d.log("dockerapi"))
        folder = os.path.join(self.agent_dirs()["zones"], str(uuidlib.uuid4()))
        os.makedirs(os.path.join(folder, "logs"))
        with open(os.path.join(folder, "logs", "stdio.log"), "w") as f:
            f.write("x" * 10)
        hold = OpenHold(os.path.join(folder, "logs"))
        try:
            self.one_walk_on_the_node(hold, os.path.basename(folder))
            self.one_question_through_the_head(hold, os.path.basename(folder))
        finally:
            hold.close()
            shutil.rmtree(folder)

    def shared_while_held(self, hold, ask, connect, path, joins,
                          more_asked):
        """ask() on a thread, held in its walk at hold's folder; a client
        that asks (connect(), GET path) waits, and 8 more asks: 6 of them
        join (joins() counts them all), 2 are refused, and nothing asks
        the node again (more_asked()).  The client then leaves, and its
        place is taken by one more ask.  The walk then goes on, and the 8
        waiting get one answer: that answer."""
        agent = self.d.pid("agent")
        first = in_threads(ask, 1)
        self.assertEqual(until("the walk at the held folder",
                               lambda: hold.poll(0.5)), [agent])
        leaver = connect()
        leaver.request("GET", path)
        until("the client that leaves waiting", lambda: joins() == 1)
        more = in_threads(ask, 8)

        def asked_again():
            again = hold.poll() or more_asked()
            return "asked again: %r" % (again,) if again else None

        def settled():
            return asked_again() or (
                joins() == 7 and sum(not t.is_alive() for t in more) == 2)
        self.assertIs(until("6 more joined and 2 refused", settled), True)
        leaver.close()
        late = []

        def retaken():
            # refused until the server has seen the client leave
            if not late or (not late[-1].is_alive() and
                            late[-1].result[0] == 429):
                late.extend(in_threads(ask, 1))
            return asked_again() or joins() == 8
        self.assertIs(until("the place of the client that left taken",
                            retaken), True)
        refused = [t for t in more + late if not t.is_alive()]
        hold.allow()
        for t in first + more + late:
            t.join(30)
        self.assertEqual(hold.poll(), [])
        for st, body in (t.result for t in refused):
            self.assertEqual(st, 429, body)
            self.assertIn("too many requests wait", body["message"])
        answers = [t.result for t in first + more + late if t not in refused]
        self.assertEqual(len(answers), 8)
        self.assertEqual([a for a in answers if a != answers[0]], [])
        return answers[0]

    def log_counter(self, name, line):
        """A function counting line in name's log from now on."""
        before = self.d.log(name).count(line)
        return lambda: self.d.log(name).count(line) - before

    def one_walk_on_the_node(self, hold, fake):
        st, body = self.shared_while_held(
            hold, lambda: self.agent_get_status("/v1/log-usage"),
            self.agent_connection, "/v1/log-usage",
            self.log_counter("agent", "joins the walk in flight"),
            lambda: False)
        self.assertEqual((st, body["Node"]), (200, self.node_id()))
        self.assertEqual(body["LogUsage"][fake],
                         {"Live": 10, "Rotated": 0, "RotatedFiles": 0})

    def one_question_through_the_head(self, hold, fake):
        st, body = self.shared_while_held(
            hold, lambda: self.d.admin("GET", "/logs/usage"),
            lambda: sdctest.UnixHTTPConnection(self.d.admin_socket),
            "/logs/usage",
            self.log_counter("dockerapi", "joins the question in flight"),
            self.log_counter("agent", "joins the walk in flight"))
        self.assertEqual(st, 200, body)
        node = [n for n in body["Nodes"] if n["ID"] == self.node_id()]
        self.assertEqual([(n["Answered"], n["Containers"].get(fake))
                          for n in node],
                         [(True, {"Live": 10, "Rotated": 0,
                                  "RotatedFiles": 0})])


def main():
    unittest.main(verbosity=2)
