#!/usr/bin/python3
"""The config service takes writes from the operator only.

Before, sapi answered plain HTTP on 127.0.0.1:9080, so any local user
could point DOCKER_IO_MIRROR at their own registry for every tenant.  Here
the attacker is a local user with no privileges (nobody/nogroup through
setpriv) who tries what that user could do: connect to sapi's socket, write
a tunable with sapiadm or sdcadm-docker, read the stores; and a network
client who tries sapi on TCP without a certificate or with one of another
CA.  The operator (root) does the same things and succeeds, over the unix
socket and over mutual TLS, and dockerapi follows live changes over both.
"""
import json
import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402

SAPIADM = os.path.join(sdctest.BIN, "sapiadm")
ADM = os.path.join(sdctest.BIN, "sdcadm-docker")
CERTGEN = os.path.join(sdctest.BIN, "sdc-docker-certgen")
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
MIRROR = "https://evil.example.net"


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def tcp_listeners(pid):
    """The local addresses of the TCP sockets pid listens on."""
    fd_dir = "/proc/%d/fd" % pid
    inodes = set()
    for fd in os.listdir(fd_dir):
        try:
            m = re.match(r"socket:\[(\d+)\]", os.readlink(os.path.join(fd_dir, fd)))
        except OSError:
            continue
        if m:
            inodes.add(m.group(1))
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and cols[9] in inodes:
                    found.append(cols[1])
    return found


def certgen(*args):
    r = subprocess.run([CERTGEN] + list(args), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


def tls_exchange(port, certdir=None, cafile=None):
    """GET /ping over TLS: the status line, or None when refused."""
    ctx = ssl.create_default_context(cafile=cafile)
    if certdir:
        ctx.load_cert_chain(os.path.join(certdir, "cert.pem"),
                            os.path.join(certdir, "key.pem"))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as so:
                so.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = so.recv(4096)
                    if not chunk:
                        break
                    data += chunk
    except (ssl.SSLError, ConnectionError, OSError):
        return None
    return data.split(b"\r\n", 1)[0].decode() if data else None


class SapiIsolation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = sdctest.Daemons().start()
        cls.svc = cls.d.docker_service_uuid()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def sapiadm(self, *args, env=None, prefix=()):
        e = dict(os.environ, SAPI_URL=self.d.sapi_url)
        e.pop("SAPI_CERT_PATH", None)
        e.update(env or {})
        return subprocess.run(list(prefix) + [SAPIADM] + list(args), env=e,
                              capture_output=True, text=True, timeout=30)

    def mirror(self):
        status, svc = self.d.sapi_http("GET", "/services/" + self.svc)
        self.assertEqual(status, 200)
        return svc["metadata"].get("DOCKER_IO_MIRROR")

    # --- the local attacker ---

    def test_socket_is_root_only(self):
        sock = self.d.sapi_socket
        self.assertTrue(stat.S_ISSOCK(os.lstat(sock).st_mode))
        self.assertEqual(mode(sock), 0o600, "sapi's socket is 0600")
        self.assertEqual(os.lstat(sock).st_uid, 0)
        # No TCP listener at all: the old 127.0.0.1:9080 is gone.
        self.assertEqual(tcp_listeners(self.d.pid("sapi")), [])

    def test_nobody_cannot_connect(self):
        code = ("import socket,sys\n"
                "s=socket.socket(socket.AF_UNIX)\n"
                "try:\n s.connect(sys.argv[1])\nexcept OSError as e:\n"
                " print(e.errno); sys.exit(0)\nprint('connected')\n")
        r = subprocess.run(AS_NOBODY + [sys.executable, "-c", code, self.d.sapi_socket],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.stdout.strip(), "13", "EACCES for nobody: " + r.stdout + r.stderr)

    def test_nobody_cannot_write_a_tunable(self):
        before = self.mirror()
        r = self.sapiadm("update", self.svc, "metadata.DOCKER_IO_MIRROR=" + MIRROR,
                         prefix=AS_NOBODY)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stderr, "(?i)permission denied")
        # Nor through the operator's tool, nor with sapi's own default URL.
        e = dict(os.environ, SAPI_URL=self.d.sapi_url, DOCKERAPI_ADMIN=self.d.admin_socket)
        r = subprocess.run(AS_NOBODY + [ADM, "config", "set", "DOCKER_IO_MIRROR=" + MIRROR],
                           env=e, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.mirror(), before)
        status, cfg = self.d.admin("GET", "/config")
        self.assertNotEqual(cfg["config"].get("DOCKER_IO_MIRROR"), MIRROR)

    def test_loosened_socket_still_refuses_others(self):
        """A socket moved or chmod'ed by mistake: the peer's uid still counts."""
        s = Sapi(self.d.tmp, "loose")
        try:
            os.chmod(s.dir, 0o755)
            os.chmod(s.sock, 0o777)
            code = ("import http.client,socket,sys\n"
                    "class C(http.client.HTTPConnection):\n"
                    " def connect(self):\n"
                    "  self.sock=socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])\n"
                    "c=C('x'); c.request('GET','/services'); r=c.getresponse()\n"
                    "print(r.status, r.read().decode())\n")
            os.chmod(self.d.tmp, 0o711)
            r = subprocess.run(AS_NOBODY + [sys.executable, "-c", code, s.sock],
                               capture_output=True, text=True, timeout=30)
            self.assertTrue(r.stdout.startswith("403 "), r.stdout + r.stderr)
            self.assertNotIn("docker", r.stdout)
        finally:
            os.chmod(self.d.tmp, 0o700)
            s.stop()

    def test_stores_are_private(self):
        tmp = self.d.tmp
        for d in ("sapi", "dockerapi"):
            self.assertEqual(mode(os.path.join(tmp, d)), 0o700, d + " data dir")
        files = [os.path.join(tmp, "dockerapi", "sapi-cache.json")]
        if not sdctest.test_store_postgres():   # else the stores are in PostgreSQL
            files += [os.path.join(tmp, "sapi", f) for f in ("sapi.db", "sapi.db-wal", "sapi.db-shm")]
            files += [os.path.join(tmp, "dockerapi", f) for f in
                      ("dockerapi.db", "dockerapi.db-wal", "dockerapi.db-shm")]
        for f in files:
            self.assertTrue(os.path.exists(f), f)
            self.assertEqual(mode(f), 0o600, f)
        # What nobody could read if a data dir were opened up: nothing.
        os.chmod(tmp, 0o711)
        try:
            for f in files:
                r = subprocess.run(AS_NOBODY + ["cat", f], capture_output=True, timeout=10)
                self.assertNotEqual(r.returncode, 0, f)
                self.assertEqual(r.stdout, b"", f)
        finally:
            os.chmod(tmp, 0o700)

    def test_laxer_store_is_made_private_at_start(self):
        s = Sapi(self.d.tmp, "lax")
        s.stop()
        os.chmod(s.data, 0o755)
        os.chmod(os.path.join(s.data, "sapi.db"), 0o644)
        s.start()
        try:
            self.assertEqual(mode(s.data), 0o700)
            for f in ("sapi.db", "sapi.db-wal", "sapi.db-shm"):
                self.assertEqual(mode(os.path.join(s.data, f)), 0o600, f)
        finally:
            s.stop()

    def test_sapi_default_listen_is_its_socket(self):
        data = os.path.join(self.d.tmp, "deflt")
        p = subprocess.Popen([os.path.join(sdctest.BIN, "sapi"), "--data-dir", data,
                              "--bootstrap", os.path.join(sdctest.TOP, "etc", "sapi-bootstrap.yaml")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            sock = os.path.join(data, "sapi.sock")
            sdctest.wait_for("sapi's default socket", lambda: sdctest.unix_open(sock))
            self.assertEqual(mode(sock), 0o600)
            r = self.sapiadm("--url", "unix://" + sock, "list", "services")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("docker", r.stdout)
        finally:
            p.terminate()
            p.wait(10)
            p.stderr.close()

    def test_plain_tcp_is_refused_at_start(self):
        r = subprocess.run([os.path.join(sdctest.BIN, "sapi"), "--listen", "127.0.0.1:0",
                            "--data-dir", os.path.join(self.d.tmp, "plain")],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("needs mutual TLS", r.stderr)

    # --- the operator ---

    def test_root_writes_through_sapiadm_and_sdcadm(self):
        r = self.sapiadm("update", self.svc, "metadata.DEFAULT_MAX_LOG_SIZE=4242")
        self.assertEqual(r.returncode, 0, r.stderr)
        sdctest.wait_for("dockerapi to apply the change from the socket", lambda:
                         self.d.admin("GET", "/config")[1]["config"].get(
                             "DEFAULT_MAX_LOG_SIZE") == 4242)
        e = dict(os.environ, SAPI_URL=self.d.sapi_url, DOCKERAPI_ADMIN=self.d.admin_socket)
        r = subprocess.run([ADM, "config", "set", "DEFAULT_MAX_LOG_SIZE=4343"], env=e,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        sdctest.wait_for("dockerapi to apply sdcadm-docker's change", lambda:
                         self.d.admin("GET", "/config")[1]["config"].get(
                             "DEFAULT_MAX_LOG_SIZE") == 4343)
        self.assertEqual(self.d.admin("GET", "/config")[1]["source"], "sapi")


class Sapi:
    """A second sapi on its own socket, for the tests that change modes."""

    def __init__(self, tmp, name, extra=()):
        self.dir = os.path.join(tmp, name)
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sapi.sock")
        self.extra = list(extra)
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        self.start()

    def start(self):
        self.p = subprocess.Popen([os.path.join(sdctest.BIN, "sapi"), "--listen", "unix:" + self.sock,
                                   "--data-dir", self.data, "--bootstrap",
                                   os.path.join(sdctest.TOP, "etc", "sapi-bootstrap.yaml")]
                                  + self.extra, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        sdctest.wait_for("sapi " + self.sock, lambda: sdctest.unix_open(self.sock))

    def stop(self):
        self.p.terminate()
        self.p.wait(10)


class SapiMutualTLS(unittest.TestCase):
    """sapi on TCP: the operator's CA (dockerapi's) or nothing."""

    @classmethod
    def setUpClass(cls):
        d = cls.d = sdctest.Daemons()
        # The operator's CA: the one dockerapi keeps in DATA/tls (made here
        # before its first start, which then keeps it).
        cls.ca = os.path.join(d.tmp, "dockerapi", "tls")
        certgen("server", "--cn", "localhost", "--san", "IP:127.0.0.1,DNS:localhost",
                "--out", cls.ca)
        cls.sapi_tls = os.path.join(d.tmp, "sapi-tls")
        certgen("server", "--ca", cls.ca, "--cn", "localhost",
                "--san", "IP:127.0.0.1,DNS:localhost", "--out", cls.sapi_tls)
        cls.op = os.path.join(d.tmp, "operator")
        certgen("operator", "--ca", cls.ca, "--out", cls.op)
        # Another CA and a certificate it signed: not the operator.
        other = os.path.join(d.tmp, "other-ca")
        certgen("server", "--cn", "localhost", "--out", other)
        cls.stranger = os.path.join(d.tmp, "stranger")
        certgen("operator", "--ca", other, "--out", cls.stranger)

        d.sapi_url = "https://127.0.0.1:%d" % d.sapi_port
        d._spawn("sapi", [os.path.join(sdctest.BIN, "sapi"),
                          "--listen", "127.0.0.1:%d" % d.sapi_port,
                          "--tls-cert", os.path.join(cls.sapi_tls, "server-cert.pem"),
                          "--tls-key", os.path.join(cls.sapi_tls, "server-key.pem"),
                          "--tls-client-ca", os.path.join(cls.ca, "ca.pem"),
                          "--data-dir", os.path.join(d.tmp, "sapi"),
                          "--bootstrap", os.path.join(sdctest.TOP, "etc", "sapi-bootstrap.yaml")])
        sdctest.wait_for("sapi on TCP", lambda: sdctest.port_open(d.sapi_port))
        os.environ["SAPI_CERT_PATH"] = cls.op
        try:
            d.start_dockerapi(["--sapi-cert-path", cls.op])
        finally:
            del os.environ["SAPI_CERT_PATH"]

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def sapiadm(self, certdir, *args):
        e = dict(os.environ, SAPI_URL=self.d.sapi_url)
        e.pop("SAPI_CERT_PATH", None)
        if certdir:
            e["SAPI_CERT_PATH"] = certdir
        return subprocess.run([SAPIADM] + list(args), env=e, capture_output=True,
                              text=True, timeout=30)

    def test_handshake_refusals(self):
        self.assertEqual(len(tcp_listeners(self.d.pid("sapi"))), 1)
        ca = os.path.join(self.ca, "ca.pem")
        self.assertEqual(tls_exchange(self.d.sapi_port, self.op, ca), "HTTP/1.1 200 OK")
        self.assertIsNone(tls_exchange(self.d.sapi_port, None, ca),
                          "a client without a certificate is refused")
        self.assertIsNone(tls_exchange(self.d.sapi_port, self.stranger, ca),
                          "a certificate of another CA is refused")
        # Plain HTTP on that port gets no answer either.
        with socket.create_connection(("127.0.0.1", self.d.sapi_port), timeout=10) as so:
            so.sendall(b"GET /services HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                data = so.recv(4096)
            except OSError:
                data = b""
        self.assertNotIn(b"docker", data)
        self.assertFalse(data.startswith(b"HTTP/"), data[:100])

    def test_sapiadm_needs_the_operator_cert(self):
        svc = json.loads(self.sapiadm(self.op, "--json", "list", "services").stdout)[0]["uuid"]
        r = self.sapiadm(self.stranger, "update", svc, "metadata.DOCKER_IO_MIRROR=" + MIRROR)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("TLS", r.stderr)
        r = self.sapiadm(None, "update", svc, "metadata.DOCKER_IO_MIRROR=" + MIRROR)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("SAPI_CERT_PATH", r.stderr)
        got = json.loads(self.sapiadm(self.op, "--json", "get", svc).stdout)
        self.assertNotEqual(got["metadata"].get("DOCKER_IO_MIRROR"), MIRROR)

    def test_dockerapi_follows_over_mutual_tls(self):
        status, cfg = self.d.admin("GET", "/config")
        self.assertEqual(cfg["source"], "sapi", self.d.log("dockerapi")[-2000:])
        svc = json.loads(self.sapiadm(self.op, "--json", "list", "services").stdout)[0]["uuid"]
        r = self.sapiadm(self.op, "update", svc, "metadata.DEFAULT_MAX_LOG_SIZE=5151")
        self.assertEqual(r.returncode, 0, r.stderr)
        sdctest.wait_for("dockerapi to apply the change over mutual TLS", lambda:
                         self.d.admin("GET", "/config")[1]["config"].get(
                             "DEFAULT_MAX_LOG_SIZE") == 5151)
        e = dict(os.environ, SAPI_URL=self.d.sapi_url, DOCKERAPI_ADMIN=self.d.admin_socket)
        r = subprocess.run([ADM, "--sapi-cert-path", self.op, "config", "set",
                            "DEFAULT_MAX_LOG_SIZE=5252"], env=e, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        sdctest.wait_for("dockerapi to apply sdcadm-docker's change over mutual TLS", lambda:
                         self.d.admin("GET", "/config")[1]["config"].get(
                             "DEFAULT_MAX_LOG_SIZE") == 5252)
        self.assertFalse(re.search("certificate|SAPI at|watch", self.d.log("dockerapi")),
                         self.d.log("dockerapi")[-2000:])


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("missing: needs root (to act as nobody)")
        sys.exit(1)
    unittest.main(verbosity=2)
