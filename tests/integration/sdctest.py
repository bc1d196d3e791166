"""sdctest: what the integration tests share.

Starts the real daemons (sapi, dockerapi) on free loopback ports with
temporary data, talks to the admin socket, makes client certificates with
sdc-docker-certgen, and runs the real docker CLI against the endpoint.
sapi listens on its unix socket (<tmp>/sapi.sock, 0600: sapi takes TCP only
with mutual TLS); sapi_url is "unix:<that path>" for sapiadm, dockerapi and
sdcadm-docker, and sapi_http() is a raw request to it.
Every process started here is stopped by Daemons.stop(), which the tests
call from tearDown / atexit, also when a test fails.

SDC_TEST_STORE=postgres runs the daemons on PostgreSQL instead of their
SQLite files: one throw-away PostgreSQL 15 per test process
(tests/pgtmp.sh), a database per daemon data dir (so a daemon restarted
on the same data dir finds its data), passed as --store.

SDC_TEST_NODE=agent gives every head started here (start_dockerapi,
start_other_head) one sdc-docker-agent beside it, as `make run` does
(scripts/run.sh): the head gets --agent-url and --agent-cert-path, the
node's and the head's certificates are made under the head's CA, and
the agent runs on the head's store, zones root, layers, volumes and
network folder with its default heartbeat and hostname; the head is
waited for until it knows its node, so every container of the test is
made and run by the agent (the one code path).  A test that gives its
head an agent of its own (--agent-url) is left as it is.
"""
import atexit
import fcntl
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

TOP = os.environ.get("SDC_TOP") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("SDC_BIN") or os.path.join(TOP, "build", "bin")
AGENT = os.path.join(BIN, "sdc-docker-agent")

class Postgres:
    """A throw-away PostgreSQL 15 (tests/pgtmp.sh) in its own temp dir,
    stopped at exit.  uri(name) makes the database name on first use.
    With tcp_port it also listens on 127.0.0.1:tcp_port, which
    tcp_uri(name) names."""

    def __init__(self, tcp_port=None):
        self.dir = tempfile.mkdtemp(prefix="sdcpg.")
        os.chmod(self.dir, 0o711)          # the server runs as postgres
        self.made = set()
        self.tcp_port = tcp_port
        self.base = self._pgtmp("start")
        atexit.register(self.stop)

    def _pgtmp(self, what):
        env = dict(os.environ)
        if self.tcp_port is not None:
            env["PGTMP_PORT"] = str(self.tcp_port)
        out = subprocess.run([os.path.join(TOP, "tests", "pgtmp.sh"), what,
                              os.path.join(self.dir, "pg")], env=env,
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError("pgtmp.sh %s: %s" % (what, out.stderr))
        return out.stdout.strip()

    def psql(self, sql, db="postgres"):
        return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v",
                               "ON_ERROR_STOP=1",
                               self.base.replace("/postgres?", "/%s?" % db),
                               "-c", sql], capture_output=True, text=True,
                              check=True, timeout=60).stdout

    def uri(self, name):
        if name not in self.made:
            self.psql("CREATE DATABASE %s" % name)
            self.made.add(name)
        return self.base.replace("/postgres?", "/%s?" % name)

    def tcp_uri(self, name):
        self.uri(name)
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.tcp_port, name)

    def restart(self):
        self._pgtmp("restart")

    def stop(self):
        if self.dir is not None:
            self._pgtmp("stop")
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


_postgres = None


def test_store_postgres():
    return os.environ.get("SDC_TEST_STORE", "sqlite") in ("postgres", "postgresql")


def postgres():
    """The test process's PostgreSQL, started on first use."""
    global _postgres
    if _postgres is None:
        _postgres = Postgres()
    return _postgres


def store_args(data_dir):
    """The daemon flags that put its store where SDC_TEST_STORE says:
    none for SQLite (the file in the data dir), --store URI for PostgreSQL,
    one database per data dir."""
    if not test_store_postgres():
        return []
    return ["--store", postgres().uri(store_db(data_dir))]


def _sql_literals(sql, params):
    """sql with each "?" outside quotes replaced by the next of params as
    a literal (psql takes no parameters)."""
    params = list(params)
    out, quoted = [], False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
        if ch == "?" and not quoted:
            v = params.pop(0)
            if v is None:
                out.append("NULL")
            elif isinstance(v, bool) or isinstance(v, (int, float)):
                out.append(str(int(v) if isinstance(v, bool) else v))
            else:
                out.append("'%s'" % str(v).replace("'", "''"))
        else:
            out.append(ch)
    if params:
        raise ValueError("more parameters than ? in " + sql)
    return "".join(out)


def test_node_agent():
    """Whether each test head runs its containers through an agent beside
    it (SDC_TEST_NODE=agent), as `make run` does."""
    return os.environ.get("SDC_TEST_NODE", "") == "agent"


def agent_argv(data_dir, listen, store, dirs, hostname=None, heartbeat=None,
               netns=None, address=None, extra=()):
    """The agent's command line.  dirs: its "zones", "images", "volumes"
    and "net-dir" folders; hostname and heartbeat (seconds) where not its
    defaults; netns: the network namespace it runs in; address: what it
    tells the heads, where not its listen address."""
    argv = ["nsenter", "--net=/run/netns/" + netns] if netns else []
    argv += [AGENT, "--data-dir", data_dir, "--listen", listen]
    if address:
        argv += ["--address", address]
    argv += ["--store", store]
    for flag in ("zones", "images", "volumes", "net-dir"):
        argv += ["--" + flag, dirs[flag]]
    if hostname:
        argv += ["--hostname", hostname]
    if heartbeat:
        argv += ["--heartbeat-interval", heartbeat]
    return argv + list(extra)


def one_machine_dirs(tmp):
    """An agent's folders on the machine of the head under tmp (as
    sdctest starts it): the head's zones root, layers, volumes and
    network plumbing, as `make run`'s agent has them."""
    head = os.path.join(tmp, "dockerapi")
    return {"zones": os.path.join(tmp, "zones"),
            "images": os.path.join(head, "images", "layers"),
            "volumes": os.path.join(head, "volumes"),
            "net-dir": os.path.join(head, "net")}


def store_db(data_dir):
    """The PostgreSQL database of a daemon's data dir."""
    import hashlib
    return "t_" + hashlib.sha1(os.path.abspath(data_dir).encode()).hexdigest()[:16]


# --- what two test daemons on one host must not share ---
#
# tests/run.sh runs two tests at once, each with its own daemons, on one
# kernel: links, nftables table and published ports are the host's.  Names
# of links and nftables objects come from random ids, so they never meet;
# subnets and published host ports are picked by each daemon from its own
# store, so two daemons would hand out the same ones.  Each Daemons takes
# a slot (a lock file no other test process holds, kept until the process
# ends) and its daemons get the slot's own pools (slot_tunables).  The
# pools lie apart from the shipped defaults (10.200.0.0/16, 10.210.0.0/15,
# 49153-60999) and the host's own ephemeral ports (32768-60999).

SLOT_DIR = os.environ.get("SDCTEST_SLOT_DIR", "/run/sdctest-slots")
SLOTS = 16
_slots = []          # this process's slots: (number, open lock file)
_published = {}      # slot: the next host port free_port(host="0.0.0.0") tries


def take_slot(timeout=600):
    """A slot number (0 to SLOTS-1) no other process holds, held until
    this process exits."""
    os.makedirs(SLOT_DIR, exist_ok=True)
    held = {n for n, _ in _slots}
    end = time.time() + timeout
    while True:
        for n in range(SLOTS):
            if n in held:
                continue
            fd = os.open(os.path.join(SLOT_DIR, "slot%d" % n),
                         os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            _slots.append((n, fd))
            return n
        if time.time() > end:
            raise RuntimeError("no free test slot in %s" % SLOT_DIR)
        time.sleep(0.5)


def process_slot():
    """This process's first slot (taken on first use)."""
    return _slots[0][0] if _slots else take_slot()


def slot_pool_net(slot, k):
    """The first three octets of the k-th /24 (0-255) of the slot's pool
    for user networks: what a test's --subnet takes."""
    return "10.%d.%d" % (65 + 2 * slot, k)


def slot_tunables(slot):
    """The tunables that keep a slot's daemon apart from the others':
    a /16 for default networks, a /16 for user networks, 250 ephemeral
    host ports."""
    return {"NETWORK_DEFAULT_POOL": "10.%d.0.0/16" % (64 + 2 * slot),
            "NETWORK_POOL": "10.%d.0.0/16" % (65 + 2 * slot),
            "NETWORK_EPHEMERAL_PORTS": "%d-%d" % (61000 + 250 * slot,
                                                  61249 + 250 * slot)}


def slot_bootstrap(slot, path):
    """A copy of etc/sapi-bootstrap.yaml at path with the slot's
    tunables as the docker service's defaults."""
    with open(os.path.join(TOP, "etc", "sapi-bootstrap.yaml")) as f:
        text = f.read()
    for key, value in slot_tunables(slot).items():
        text, n = re.subn(r"(?m)^([ \t]+%s:)[ \t]*[^{\s].*$" % key,
                          lambda m: "%s %s" % (m.group(1), value), text)
        if n != 1:
            raise RuntimeError("sapi-bootstrap.yaml: no default for " + key)
    with open(path, "w") as f:
        f.write(text)
    return path


# Tests pass their own CA; this machine's bundle variables would override it.
for _v in ("CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
    os.environ.pop(_v, None)


def host_tcp_service(greeting=b"host-service\n"):
    """A TCP service of the host's on every address that answers each
    connection with greeting: what a container must not reach.  Returns
    (socket, port); closing the socket stops it."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", 0))
    srv.listen(16)

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.sendall(greeting)
            c.close()
    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1"):
    """A port nobody holds on host ("0.0.0.0": on every address, as a
    published port needs).  A published port is held by no socket (the
    daemon's nftables rule answers it), so another test could be given
    it too: on "0.0.0.0" the port comes from this process's slot (500
    ports from 20000, below the host's ephemeral ones), never the same
    twice in a process."""
    if host == "0.0.0.0":
        slot = process_slot()
        lo = 20000 + 500 * slot
        for _ in range(500):
            port = _published.get(slot, lo)
            _published[slot] = lo + (port + 1 - lo) % 500
            with socket.socket(socket.AF_INET, kind) as s:
                try:
                    s.bind((host, port))
                except OSError:
                    continue
                return port
        raise RuntimeError("no free port in %d-%d" % (lo, lo + 499))
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def fetch(url, timeout=10):
    """The body at url, asking again until it answers or timeout passes."""
    end = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read().decode()
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.1)


def wait_for(what, check, timeout=10.0, proc=None):
    """Until check() is true; fails naming what after timeout, and
    whether proc (the daemon waited for) still runs or how it ended."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what + process_state(proc))


def process_state(proc):
    """How a daemon's process stands, for a failure's message; one that
    still runs but did not answer adds its threads' stacks, which say
    where it waits."""
    if proc is None:
        return ""
    rc = proc.poll()
    if rc is None:
        return " (its process %d still runs; its threads:\n%s)" % (
            proc.pid, thread_stacks(proc.pid))
    if rc < 0:
        return " (its process %d was killed by signal %d)" % (proc.pid, -rc)
    return " (its process %d exited with status %d)" % (proc.pid, rc)


def thread_named(pid, name, timeout=30.0):
    """The id (a string) of process pid's thread named name (lib/rtcall.c
    names its threads after their call), once there is one; None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                    if f.read().strip() == name:
                        return tid
            except OSError:
                pass
        time.sleep(0.001)
    return None


def flock_waiters(path):
    """The pids blocked in flock(2) on path (the lines of /proc/locks
    marked "->" for its inode)."""
    ino = os.stat(path).st_ino
    pids = set()
    with open("/proc/locks") as f:
        for line in f:
            w = line.split()
            if len(w) > 5 and w[1] == "->" and w[2] == "FLOCK" and \
                    int(w[6].split(":")[2]) == ino:
                pids.add(int(w[5]))
    return pids


def thread_stacks(pid):
    """Every thread's stack of process pid (gdb attaches for a moment)."""
    try:
        r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex",
                            "thread apply all bt"], capture_output=True,
                           text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "gdb: %s" % e
    return "\n".join(line for line in r.stdout.splitlines()
                     if line.startswith(("Thread ", "#")))


def port_open(port):
    """Whether a connect to the port is taken; a loop that accepts no
    more fills its listen queue, and a connect then waits: a second
    is a no, so the caller's deadline holds."""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def unix_open(path):
    with socket.socket(socket.AF_UNIX) as s:
        return s.connect_ex(path) == 0


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def keygen(path, kind="rsa", bits=None, fmt=None, passphrase=""):
    args = ["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-f", path, "-C", "test"]
    if bits:
        args += ["-b", str(bits)]
    if fmt:
        args += ["-m", fmt]
    subprocess.run(args, check=True)
    return path


_daemons = []        # every Daemons of this process


class Daemons:
    """sapi + dockerapi on free ports under one temporary directory."""

    def __init__(self, use_tls=True, allow_private_registries=("127.0.0.1",)):
        self.tmp = tempfile.mkdtemp(prefix="sdctest.")
        # A container's root is an unprivileged host user (its account's
        # user namespace), which runc's init must let walk to the bundle.
        os.chmod(self.tmp, 0o711)
        self.sapi_port = free_port()
        self.docker_port = free_port()
        self.cloudapi_port = free_port()
        self.admin_socket = os.path.join(self.tmp, "admin.sock")
        self.sapi_socket = os.path.join(self.tmp, "sapi.sock")
        self.sapi_url = "unix:" + self.sapi_socket
        self.procs = {}
        self.agent_port = None       # the agent beside the head (SDC_TEST_NODE)
        self.use_tls = use_tls
        # the test registries listen on loopback, which the daemon refuses
        # to reach unless the operator allows it (REGISTRY_ALLOW_PRIVATE)
        self.allow_private_registries = list(allow_private_registries)
        # the host-wide things kept apart from other tests' daemons
        mine = {d.slot for d in _daemons}
        self.slot = process_slot() if process_slot() not in mine else take_slot()
        self.bootstrap = slot_bootstrap(self.slot, os.path.join(
            self.tmp, "sapi-bootstrap.yaml"))
        _daemons.append(self)
        atexit.register(self.stop)

    def pool_net(self, k):
        """The first three octets of the k-th /24 of this daemon's pool
        for user networks (e.g. "10.65.7"): a --subnet it accepts that no
        other test's daemon hands out."""
        return slot_pool_net(self.slot, k)

    # --- processes ---

    def _spawn(self, name, args):
        log = open(os.path.join(self.tmp, name + ".log"), "ab")
        self.procs[name] = subprocess.Popen(args, stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL)
        log.close()

    def start_sapi(self, store=None):
        """sapi on its socket; store: its --store, where not the one
        SDC_TEST_STORE says."""
        self._spawn("sapi", [os.path.join(BIN, "sapi"),
                             "--listen", "unix:" + self.sapi_socket,
                             "--data-dir", os.path.join(self.tmp, "sapi"),
                             "--bootstrap", self.bootstrap]
                    + (["--store", store] if store else
                       store_args(os.path.join(self.tmp, "sapi"))))
        wait_for("sapi", lambda: unix_open(self.sapi_socket))

    def _node_flags(self, extra):
        """The head flags of SDC_TEST_NODE=agent (its local agent, as
        scripts/run.sh gives them), unless the test names an agent of its
        own in extra."""
        if not test_node_agent() or "--agent-url" in extra:
            return []
        if self.agent_port is None:
            self.agent_port = free_port()
        return ["--agent-url", "https://127.0.0.1:%d" % self.agent_port,
                "--agent-cert-path", os.path.join(self.tmp, "head-agent-tls")]

    def _start_local_agent(self, name, log_from):
        """As scripts/run.sh: the node's and the head's certificates under
        the head's CA (made once), the agent on the head's store and
        folders (unless it runs), then the head (name) waited for until
        it says which node its containers run on, in its log past
        log_from."""
        ca = os.path.join(self.tmp, "dockerapi", "tls")
        agent_dir = os.path.join(self.tmp, "agent")
        certgen = os.path.join(BIN, "sdc-docker-certgen")
        if not os.path.exists(os.path.join(agent_dir, "tls", "node-cert.pem")):
            subprocess.run([certgen, "node", "--ca", ca, "--out",
                            os.path.join(agent_dir, "tls"), "--cn", "localhost"],
                           check=True, capture_output=True)
        head = os.path.join(self.tmp, "head-agent-tls")
        if not os.path.exists(os.path.join(head, "cert.pem")):
            subprocess.run([certgen, "head", "--ca", ca, "--out", head],
                           check=True, capture_output=True)
        p = self.procs.get("agent")
        if p is None or p.poll() is not None:
            data = os.path.join(self.tmp, "dockerapi")
            store = store_args(data)
            self._spawn("agent", agent_argv(
                agent_dir, "127.0.0.1:%d" % self.agent_port,
                store[1] if store else os.path.join(data, "dockerapi.db"),
                one_machine_dirs(self.tmp)))
            wait_for("agent", lambda: port_open(self.agent_port), timeout=30)
        wait_for(name + " knows its node", lambda: "containers run on node"
                 in self.log(name)[log_from:], timeout=30)

    def start_dockerapi(self, extra=()):
        node = self._node_flags(extra)
        log_from = len(self.log("dockerapi"))
        self._spawn("dockerapi", [os.path.join(BIN, "dockerapi"),
                                  "--data-dir", os.path.join(self.tmp, "dockerapi"),
                                  "--sapi-url", self.sapi_url,
                                  "--listen", "127.0.0.1:%d" % self.docker_port,
                                  "--cloudapi-listen", "127.0.0.1:%d" % self.cloudapi_port,
                                  "--admin-socket", self.admin_socket,
                                  "--zones", os.path.join(self.tmp, "zones")]
                    + store_args(os.path.join(self.tmp, "dockerapi")) + list(extra)
                    + node)
        wait_for("dockerapi", lambda: os.path.exists(self.admin_socket)
                 and port_open(self.docker_port) and port_open(self.cloudapi_port),
                 timeout=60, proc=self.procs["dockerapi"])
        if node:
            self._start_local_agent("dockerapi", log_from)

    def start_other_head(self, name, port, admin, zones=None, extra=()):
        """Another dockerapi head beside the first: the same data dir and
        store (PostgreSQL's), its own docker port, admin socket and (by
        default the first's) zones root; waited for."""
        if os.path.exists(admin):
            os.unlink(admin)
        node = self._node_flags(extra)
        log_from = len(self.log(name))
        self._spawn(name, [os.path.join(BIN, "dockerapi"),
                           "--data-dir", os.path.join(self.tmp, "dockerapi"),
                           "--sapi-url", self.sapi_url,
                           "--listen", "127.0.0.1:%d" % port,
                           "--cloudapi-listen", "127.0.0.1:%d" % free_port(),
                           "--admin-socket", admin,
                           "--zones", zones or os.path.join(self.tmp, "zones")]
                    + store_args(os.path.join(self.tmp, "dockerapi")) + list(extra)
                    + node)
        wait_for(name, lambda: os.path.exists(admin) and port_open(port),
                 timeout=60, proc=self.procs[name])
        if node:
            self._start_local_agent(name, log_from)

    def start(self, tunables=None):
        """sapi, then dockerapi; tunables (name: value) set in between."""
        self.start_sapi()
        if self.use_tls is False:
            self.sapiadm("update", self.docker_service_uuid(), "metadata.USE_TLS=false")
        if self.allow_private_registries:
            self.set_tunable("REGISTRY_ALLOW_PRIVATE", self.allow_private_registries)
        for k, v in (tunables or {}).items():
            self.set_tunable(k, v)
        self.start_dockerapi()
        return self

    def stop_one(self, name, sig=signal.SIGTERM):
        p = self.procs.pop(name, None)
        if p is None:
            return None
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def stop(self):
        # the last started first: dockerapi before the sapi it watches
        # (sapi stopped first waits 5 s for dockerapi's open long poll)
        for name in reversed(list(self.procs)):
            self.stop_one(name)
        # the bridges, rules and names the daemon left for its next start
        # (every account's default network) go with the test's daemon
        net = os.path.join(self.tmp, "dockerapi", "net")
        driver = os.path.join(BIN, "..", "tests", "net-driver")
        if os.path.isdir(net) and os.path.exists(driver):
            subprocess.run([driver, "-r", net, "sweep", "-", "-"],
                           capture_output=True, timeout=60)
            # the sandboxes' folder is a mount point of its own
            subprocess.run(["umount", "-l", os.path.join(net, "netns")],
                           capture_output=True, timeout=60)
        # name servers an agent of the test's left (its --net-dir is its
        # own, under the test's folder, not the head's swept above)
        for pid in os.listdir("/proc"):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
            except (OSError, ValueError):
                continue
            if argv and argv[0].endswith(b"aardvark-dns") and any(
                    a.startswith(self.tmp.encode() + b"/") for a in argv):
                try:
                    os.kill(int(pid), signal.SIGTERM)
                except (OSError, ValueError):
                    pass
        # what a test left mounted in its folder: volumes' filesystems
        # (loop devices), and the roots of containers it left on a node
        # whose agent has a zones root of its own, which no head removes
        with open("/proc/mounts") as f:
            left = [l.split()[1] for l in f
                    if l.split()[1].startswith(self.tmp + "/")]
        for m in sorted(left, key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True, timeout=60)
        if os.environ.get("SDCTEST_KEEP"):
            print("kept", self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def log(self, name):
        try:
            with open(os.path.join(self.tmp, name + ".log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def pid(self, name):
        return self.procs[name].pid

    # --- the admin API ---

    def admin(self, method, path, body=None):
        conn = UnixHTTPConnection(self.admin_socket)
        data = json.dumps(body) if body is not None else None
        conn.request(method, path, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        return resp.status, (json.loads(raw) if raw else None)

    def add_account(self, login, pubkey_path=None, approved=True, **extra):
        body = {"login": login, "approved_for_provisioning": approved}
        body.update(extra)
        status, acct = self.admin("POST", "/accounts", body)
        assert status == 201, (status, acct)
        if pubkey_path:
            self.add_key(login, pubkey_path)
        return acct

    def add_key(self, login, pubkey_path):
        with open(pubkey_path) as f:
            status, key = self.admin("POST", "/accounts/%s/keys" % login, {"key": f.read()})
        assert status == 201, (status, key)
        return key

    # --- the stores, read the way an operator would ---

    def store_rows(self, daemon, sql, params=()):
        """The rows (tuples) of a query on a daemon's store ("sapi" or
        "dockerapi"), its SQLite file or its PostgreSQL database alike
        (SDC_TEST_STORE); params fill the "?"s.  For a statement that is
        not a SELECT, no rows: it is run and committed."""
        data = os.path.join(self.tmp, daemon)
        if not test_store_postgres():
            import sqlite3
            db = sqlite3.connect(os.path.join(data, daemon + ".db"), timeout=10)
            try:
                rows = [tuple(r) for r in db.execute(sql, tuple(params))]
                db.commit()
                return rows
            finally:
                db.close()
        text = _sql_literals(sql, params)
        if not re.match(r"(?is)\s*select\b", text):
            postgres().psql(text, db=store_db(data))
            return []
        out = postgres().psql("SELECT coalesce(json_agg(row_to_json(q)), '[]') "
                              "FROM (%s) q" % text, db=store_db(data))
        return [tuple(v for _, v in r) for r in
                json.loads(out, object_pairs_hook=list)]

    # --- SAPI ---

    def sapiadm(self, *args, check=True):
        env = dict(os.environ, SAPI_URL=self.sapi_url)
        return subprocess.run([os.path.join(BIN, "sapiadm")] + list(args), env=env,
                              check=check, capture_output=True, text=True)

    def sapi_http(self, method, path, body=None):
        """One request to sapi's socket: (status, parsed JSON or None)."""
        conn = UnixHTTPConnection(self.sapi_socket, timeout=10)
        data = json.dumps(body) if body is not None else None
        conn.request(method, path, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        return resp.status, (json.loads(raw) if raw else None)

    def docker_service_uuid(self):
        status, svcs = self.sapi_http("GET", "/services?name=docker")
        assert status == 200, (status, svcs)
        return svcs[0]["uuid"]

    def set_tunable(self, key, value):
        self.sapiadm("update", self.docker_service_uuid(),
                     "metadata.%s=%s" % (key, json.dumps(value)))

    # --- clients ---

    def client_certs(self, login, key_path, outdir=None, issued=False, days=None):
        outdir = outdir or os.path.join(self.tmp, "certs-" + login + "-" +
                                        os.path.basename(key_path))
        args = [os.path.join(BIN, "sdc-docker-certgen"), "client", "--account", login,
                "--key", key_path, "--out", outdir]
        if issued:
            args.append("--issued")
        if days is not None:
            args += ["--days", str(days)]
        subprocess.run(args, check=True, capture_output=True)
        shutil.copy(os.path.join(self.tmp, "dockerapi", "tls", "ca.pem"),
                    os.path.join(outdir, "ca.pem"))
        return outdir

    def add_tenants(self, *logins):
        """Accounts with an ed25519 key each: ({login: client cert dir},
        {login: key path})."""
        keys = os.path.join(self.tmp, "keys")
        os.makedirs(keys, exist_ok=True)
        certs, paths = {}, {}
        for login in logins:
            paths[login] = keygen(os.path.join(keys, login), "ed25519")
            self.add_account(login, paths[login] + ".pub")
            certs[login] = self.client_certs(login, paths[login])
        return certs, paths

    def dockerpy(self, certdir, version="1.41", timeout=60):
        """A docker-py client of certdir's account, over TLS."""
        import docker
        tls = docker.tls.TLSConfig(
            client_cert=(os.path.join(certdir, "cert.pem"),
                         os.path.join(certdir, "key.pem")),
            ca_cert=os.path.join(certdir, "ca.pem"), verify=True)
        return docker.DockerClient(base_url="https://127.0.0.1:%d" % self.docker_port,
                                   tls=tls, version=version, timeout=timeout)

    def docker_env(self, certdir=None):
        env = dict(os.environ)
        for v in ("DOCKER_CONTEXT", "DOCKER_CONFIG"):
            env.pop(v, None)
        env["DOCKER_CONFIG"] = os.path.join(self.tmp, "docker-config")
        if self.use_tls:
            env["DOCKER_HOST"] = "tcp://127.0.0.1:%d" % self.docker_port
            env["DOCKER_CERT_PATH"] = certdir
            env["DOCKER_TLS_VERIFY"] = "1"
        else:
            env["DOCKER_HOST"] = "tcp://127.0.0.1:%d" % self.docker_port
        return env

    # stdin is empty unless given: a docker CLI that would prompt (a pull
    # refused with 401 asks for a login) fails instead of waiting.
    def docker(self, certdir, *args, check=False, timeout=60, input=""):
        return subprocess.run(["docker"] + list(args), env=self.docker_env(certdir),
                              capture_output=True, text=True, timeout=timeout,
                              check=check, input=input)

    def https(self, method, path, certdir=None, port=None, headers=None):
        """A raw HTTPS request to the docker (or another) listener."""
        import ssl
        ctx = ssl.create_default_context(cafile=os.path.join(self.tmp, "dockerapi", "tls", "ca.pem"))
        if certdir:
            ctx.load_cert_chain(os.path.join(certdir, "cert.pem"), os.path.join(certdir, "key.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", port or self.docker_port,
                                           context=ctx, timeout=30)
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp.status, dict(resp.getheaders()), body
