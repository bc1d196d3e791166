"""The data center the 88-datacenter-*.py tests are run on (imported, not
run): each test file sets up its own, so that they run side by side.

Three compute nodes, each a network namespace with its own
sdc-docker-agent and its own zones root, joined by a bridge standing for
the data center's network (198.18.N.0/24, in the benchmark range, N of
the test's slot, on a bridge of the test's own); head a (dockerapi) in the root namespace, whose
local agent is node 1's; head b on the same store, data dir and CA with
ports of its own, whose local agent is node 2's; one sapi and one
throw-away PostgreSQL 15 for all, reached through unix sockets.  The
agents share the head's layer store and volumes root (sending layers to
nodes is not this fixture's) and take back a create no head recorded
after 4 s (--orphan-grace 4: a head on a busy machine may take over a
second between its agent's answer and its row, and a grace shorter than
that takes back a create the head then records); the containers have no network
(--network none) unless a test gives one, and each agent's VTEP is the
host of its address.

DataCenterBase sets it up (head b too where HEAD_B, else through
start_head_b when a test wants it) and tears it down, with the helpers
the checks share; it has no test of its own, so a class built on it runs
its own checks only.  The network is the slot's (sdctest: no other test
process on the host holds it) and the links' and namespaces' names the
process's: a fixed network, as it was, let a head whose agent's address
another test's bridge also had reach that test's agent, and fail its
TLS (another CA) until that test ended.
"""
import concurrent.futures
import importlib
import json
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "postgres"
import sdctest  # noqa: E402

common = importlib.import_module("37-nodes-common")
run, until = common.run, common.until
CERTGEN = common.CERTGEN
DOCKERAPI = os.path.join(sdctest.BIN, "dockerapi")
AGENT_PORT = 2380
SMALL = ("-m", "128m", "--network", "none")
# ends at once on SIGTERM (docker stop), as a real service would
SERVE = ("sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait")


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


class DataCenterBase(unittest.TestCase):
    """The data center and the helpers (no tests)."""

    TAG = "88"          # in the bridge's, links' and namespaces' names
    HEAD_B = True       # head b started with the rest
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        common.need_underlay("namespaces, links")
        cls.d = sdctest.Daemons(allow_private_registries=())
        suffix = "%d" % (os.getpid() % 1000000)
        cls.nodes = {i: "sdc%sn%d-%s" % (cls.TAG, i, suffix)
                     for i in (1, 2, 3)}
        # the data center's network: .1-.3 the nodes, .254 the heads'
        net = "198.18.%d" % (64 + cls.d.slot)
        cls.addr = {i: "%s.%d" % (net, i) for i in cls.nodes}
        cls.head_addr = net + ".254"
        # the data center's network: a bridge here, where the heads are
        cls.underlay = common.Underlay(
            cls.nodes, cls.addr, "sdc%sb%s" % (cls.TAG, suffix),
            "s%sp%%s%s" % (cls.TAG, suffix), head_addr=cls.head_addr)
        steps = [cls.underlay.plumb, cls.start_all, cls.load_busybox]
        if cls.HEAD_B:
            steps.append(cls.start_head_b)
        common.set_up(cls, *steps)

    @classmethod
    def start_all(cls):
        d = cls.d
        d.start_sapi()
        cls.data = os.path.join(d.tmp, "dockerapi")
        cls.uri = sdctest.postgres().uri(sdctest.store_db(cls.data))
        cls.head_certs = os.path.join(d.tmp, "head-tls")
        cls.head_zones = os.path.join(d.tmp, "head-zones")
        cls.b_port = sdctest.free_port()
        cls.b_cloud = sdctest.free_port()
        cls.b_admin = os.path.join(d.tmp, "admin-b.sock")
        cls.start_head(zones=cls.head_zones)
        ca = os.path.join(cls.data, "tls")
        run(CERTGEN, "head", "--ca", ca, "--out", cls.head_certs)
        for i in cls.nodes:
            agent_dir = os.path.join(d.tmp, "agent-%d" % i)
            run(CERTGEN, "node", "--ca", ca, "--out",
                os.path.join(agent_dir, "tls"), "--cn", "cn-%d" % i,
                "--san", "IP:" + cls.addr[i])
            cls.start_agent(i)
        # the head asks its local agent once a second until it answers
        # (its client certificate is made after the head started)
        sdctest.wait_for("the head asking its agent", lambda:
                         "nodes: containers run on node" in
                         d.log("dockerapi"), timeout=60)
        until("three nodes available", lambda: len(
            [n for n in cls.admin_nodes() if n.get("Available")]) == 3)
        cls.node_of = {n["Hostname"]: n["ID"] for n in cls.admin_nodes()}
        cls.certs, _ = d.add_tenants("alice", "bob")

    @classmethod
    def head_argv(cls, port, cloud_port, admin, agent, zones):
        return [DOCKERAPI, "--data-dir", cls.data,
                "--sapi-url", cls.d.sapi_url,
                "--listen", "127.0.0.1:%d" % port,
                "--cloudapi-listen", "127.0.0.1:%d" % cloud_port,
                "--admin-socket", admin, "--store", cls.uri,
                "--agent-url", "https://%s:%d" % (cls.addr[agent],
                                                  AGENT_PORT),
                "--agent-cert-path", cls.head_certs] + (
                    ["--zones", zones] if zones is not None else [])

    @classmethod
    def start_head(cls, zones=None):
        """Head a; its local agent is node 1's."""
        d = cls.d
        if os.path.exists(d.admin_socket):
            os.unlink(d.admin_socket)
        d._spawn("dockerapi", cls.head_argv(
            d.docker_port, d.cloudapi_port, d.admin_socket, 1, zones))
        seen = {}

        def up():
            seen["socket"] = os.path.exists(d.admin_socket)
            seen["port"] = seen["socket"] and sdctest.port_open(d.docker_port)
            seen["nodes"] = seen["port"] and cls.admin_get("/nodes")
            return seen["nodes"] and seen["nodes"][0] == 200
        try:
            sdctest.wait_for("dockerapi", up, timeout=60,
                             proc=d.procs["dockerapi"])
        except AssertionError as e:
            # what the head answered last: a failure says where it was
            raise AssertionError("%s (last seen: %r)" % (e, seen)) from None

    @classmethod
    def start_head_b(cls):
        """Head b: the same store, data dir and CA as a, its own ports;
        its local agent is node 2's."""
        if os.path.exists(cls.b_admin):
            os.unlink(cls.b_admin)
        cls.d._spawn("dockerapi-b", cls.head_argv(
            cls.b_port, cls.b_cloud, cls.b_admin, 2, None))
        sdctest.wait_for("dockerapi b", lambda: os.path.exists(cls.b_admin)
                         and sdctest.port_open(cls.b_port), timeout=60,
                         proc=cls.d.procs["dockerapi-b"])

    @classmethod
    def start_agent(cls, i):
        d = cls.d
        d._spawn("agent-%d" % i, sdctest.agent_argv(
            os.path.join(d.tmp, "agent-%d" % i), "0.0.0.0:%d" % AGENT_PORT,
            cls.uri,
            # the head's layers and volumes stand for the node's own
            {"zones": cls.zones(i),
             "images": os.path.join(cls.data, "images", "layers"),
             "volumes": os.path.join(cls.data, "volumes"),
             "net-dir": os.path.join(d.tmp, "agent-%d" % i, "net")},
            "cn-%d" % i, "0.3", netns=cls.nodes[i],
            address="%s:%d" % (cls.addr[i], AGENT_PORT),
            extra=("--orphan-grace", "4")))

    @classmethod
    def zones(cls, i):
        return os.path.join(cls.d.tmp, "zones-%d" % i)

    @classmethod
    def load_busybox(cls):
        tar = common.busybox_archive(cls.d.tmp)
        for who in ("alice", "bob"):
            cls.docker("load", "-i", tar, who=who)

    @classmethod
    def tearDownClass(cls):
        d = cls.d
        try:
            if "dockerapi" in d.procs and hasattr(cls, "certs"):
                for who in ("alice", "bob"):
                    names = cls.docker("ps", "-aq", check=False,
                                       who=who).stdout.split()
                    if names:
                        cls.docker("rm", "-f", *names, check=False, who=who)
        finally:
            common.stop_all(d, cls.underlay)

    @classmethod
    def dump(cls):
        """The end of each daemon's log, on stderr (a docker command that
        timed out, a setup that failed)."""
        common.dump_logs(cls.d)

    # --- helpers ---

    @classmethod
    def docker(cls, *args, head="a", who="alice", check=True, timeout=60):
        """The docker CLI as who, through head a or b."""
        env = cls.d.docker_env(cls.certs[who])
        if head == "b":
            env["DOCKER_HOST"] = "tcp://127.0.0.1:%d" % cls.b_port
        try:
            r = subprocess.run(["docker"] + list(args), env=env, input="",
                               capture_output=True, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            cls.dump()          # what the heads and agents were doing
            raise
        if check and r.returncode != 0:
            raise AssertionError("docker (%s) %s: %s\n%s" % (
                head, " ".join(args), r.stdout + r.stderr,
                cls.d.log("dockerapi" if head == "a" else
                          "dockerapi-b")[-2000:]))
        return r

    @classmethod
    def admin_get(cls, path):
        return common.admin_get(cls.d.admin_socket, path)

    @classmethod
    def admin_nodes(cls):
        status, raw = cls.admin_get("/nodes")
        assert status == 200, raw
        return json.loads(raw)

    def inspect(self, name):
        return json.loads(self.docker("inspect", name).stdout)[0]

    def inspect_all(self, *names):
        return {j["Name"].lstrip("/"): j for j in json.loads(
            self.docker("inspect", *names).stdout)}

    def state(self, name):
        return self.inspect(name)["State"]

    def node(self, name):
        return self.inspect(name)["Node"]["Name"]

    def run_d(self, name, *args, cmd=SERVE):
        return self.docker("run", "-d", "--name", name, *SMALL, *args,
                           "busybox", *cmd).stdout.strip()

    def ps(self, *args):
        out = self.docker("ps", "-a", "--format", "{{.Names}} {{.State}}",
                          *args).stdout
        return dict(l.split() for l in out.splitlines() if l.strip())

    def ps_on(self, head, who="alice"):
        out = self.docker("ps", "-a", "--format", "{{.Names}} {{.State}}",
                          head=head, who=who).stdout
        return dict(l.split() for l in out.splitlines() if l.strip())

    def both(self, *args, who="alice"):
        """The output of one command through each head (a, b)."""
        return [self.docker(*args, head=h, who=who).stdout for h in "ab"]

    def same(self, *args, who="alice"):
        a, b = self.both(*args, who=who)
        self.assertEqual(a, b, "heads differ on docker " + " ".join(args))
        return a

    def events(self, cid, since, head):
        r = self.docker("events", "--since", str(since), "--until",
                        str(int(time.time()) + 1), "--format", "{{.Action}}",
                        "--filter", "container=" + cid, head=head, timeout=30)
        return r.stdout.split()

    def execs(self, name, *cmd, who="alice"):
        """Whether cmd, exec'd in container name, exits 0."""
        return self.docker("exec", name, *cmd, who=who, check=False,
                           timeout=30).returncode == 0

    def assert_bob_reaches_none(self, bobs, addrs, name):
        """bob's container bobs pings none of alice's addrs and does not
        resolve her container's name: tried at once, each waiting out
        its timeout."""
        tries = {"bob reaches alice's " + t: ("ping", "-c", "1", "-W", "1", t)
                 for t in addrs}
        tries["bob resolves " + name] = ("nslookup", name)
        with concurrent.futures.ThreadPoolExecutor(len(tries)) as pool:
            got = {what: pool.submit(self.execs, bobs, *cmd, who="bob")
                   for what, cmd in tries.items()}
            for what, f in got.items():
                self.assertFalse(f.result(), what)

    def zones_made(self):
        """uuid: node number of every container folder on the nodes."""
        return {f: i for i in self.nodes for f in os.listdir(self.zones(i))
                if len(f) == 36}

    def uuid_of(self, name):
        """The uuid (its folder's name on its node) of a container, by b."""
        cid = self.docker("inspect", "--format", "{{.Id}}", name,
                          head="b").stdout.strip()
        conn = sdctest.UnixHTTPConnection(self.b_admin)
        try:
            conn.request("GET", "/containers/" + cid)
            r = conn.getresponse()
            body = r.read()
            self.assertEqual(r.status, 200, body)
            return json.loads(body)["Uuid"]
        finally:
            conn.close()

    def procs_pids(self):
        return {n: p.pid for n, p in self.d.procs.items()
                if n != "sapi" and p.poll() is None}

    def setUp(self):
        self.t0 = time.time()

    def tearDown(self):
        print("%s: %.1f s" % (self.id().split(".")[-1], time.time() - self.t0),
              file=sys.stderr)
