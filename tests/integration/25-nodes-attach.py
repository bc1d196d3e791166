#!/usr/bin/env python3
"""Attach streams relayed from the node that holds the container.

A head (sapi + dockerapi) and one sdc-docker-agent beside it, as in
25-nodes-create, except that the head's own runtime (OCI_RUNTIME_PATH)
is a wrapper that refuses to run anything: every container runs under
the agent's runc, so nothing here passes by the head starting or
exec'ing a container on its own machine, and the relays are checked in
both logs (the agent's, the head's) rather than assumed.  (The head and
the agent still share the zones root: the head writes a container's
resolv.conf and hosts at start, which the node's network plumbing at
start takes over.)  Checked with the real docker CLI, docker-py and raw
attach connections:

- docker run without -d prints the container's output from its first
  byte and returns its exit code, the start relayed by the agent (its
  log says so); docker run -i echoes what is piped in, a few hundred KB
  through the relay both ways; docker start -a the same;
- docker attach to a running container streams its output; a raw
  attach with stdin gets its input echoed, and its detach keys end the
  attach, not the container;
- resize (docker-py) of a container started detached reaches its TTY on
  the node (stty size inside says so);
- a stopped agent (SIGSTOP): attach and start -a answer "node
  unavailable" in seconds, the container as it was; attach works again
  once the agent is back;
- docker exec is refused (503) while the agent is stopped (the rest of
  exec: 25-nodes-exec);
- an agent killed while it relays a run: the container runs on, and its
  exit, reported by the agent started again, ends docker run with its
  code;
- bob cannot attach to alice's container (404); the agent's attach
  route refuses a client without the head's certificate (or with
  another CA's) at the handshake, a uuid that is not one (400) and a
  container the node has not (404).
"""
import importlib
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

common = importlib.import_module("37-nodes-common")
create = importlib.import_module("25-nodes-create")    # its helpers
BB = "/bin/busybox"

# The head's runc: answers the probe, refuses to run or exec anything.
HEAD_RUNC = """#!/bin/sh
for a in "$@"; do
    case "$a" in
    run|exec) echo "runc $a on the head: containers run on the node" >&2; exit 1;;
    esac
done
exec /usr/sbin/runc "$@"
"""


class NodesAttach(common.NodesBase):

    TENANTS = ("alice", "bob")

    @classmethod
    def setUpClass(cls):
        # the head's runtime, set between sapi's start and the head's
        wrapper = os.path.join(tempfile.mkdtemp(prefix="headrt"), "runc")
        with open(wrapper, "w") as f:
            f.write(HEAD_RUNC)
        os.chmod(wrapper, 0o755)
        start_sapi = sdctest.Daemons.start_sapi

        def start_sapi_then_tunable(d):
            start_sapi(d)
            d.set_tunable("OCI_RUNTIME_PATH", wrapper)
        sdctest.Daemons.start_sapi = start_sapi_then_tunable
        try:
            common.NodesBase.setUpClass.__func__(cls)
        finally:
            sdctest.Daemons.start_sapi = start_sapi
        cls.bob = cls.certs["bob"]
        d = cls.d
        sdctest.wait_for("head knows its node", lambda: "containers run on node"
                         in d.log("dockerapi"))
        cls("import_image").import_image()

    # --- helpers ---

    def docker(self, *args, **kw):
        return self.d.docker(self.alice, *args, **kw)

    ok = create.NodesCreate.ok
    agent = create.NodesCreate.agent
    uuid_of = create.NodesCreate.uuid_of
    stopped_agent = create.NodesCreate.stopped_agent

    def on_node(self, name):
        """The container was made by the node's agent."""
        u = self.uuid_of(name)
        self.assertIn("container %s: created" % u, self.d.log("agent"))
        return u

    def raw_attach(self, certdir, cid, query, port=None, ca=None):
        """A hijacked attach: (status line, socket, bytes after the head);
        to the head's Docker API, or with port, to the agent's."""
        ctx = ssl.create_default_context(cafile=ca or os.path.join(
            self.d.tmp, "dockerapi", "tls", "ca.pem"))
        ctx.load_cert_chain(os.path.join(certdir, "cert.pem"),
                            os.path.join(certdir, "key.pem"))
        s = ctx.wrap_socket(socket.create_connection(
            ("127.0.0.1", port or self.d.docker_port), timeout=20),
            server_hostname="127.0.0.1")
        s.sendall(("POST /%s/containers/%s/attach?%s HTTP/1.1\r\nHost: x\r\n"
                   "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0"
                   "\r\n\r\n" % ("v1" if port else "v1.41", cid, query)).encode())
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        head, _, rest = got.partition(b"\r\n\r\n")
        return head.split(b"\r\n")[0].decode(), s, head + rest

    def read_until(self, s, want, rest=b"", timeout=15):
        deadline = time.monotonic() + timeout
        got = rest
        while want not in got:
            self.assertLess(time.monotonic(), deadline, got[-300:])
            s.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        return got

    def relays(self, kind):
        return self.d.log("agent").count(": %s relayed to the head" % kind)

    # --- the tests ---

    def test_1_run_output_and_exit_code(self):
        self.wait_available(True)
        before = self.relays("start")
        r = self.docker("run", "--name", "r1", "tiny:1", BB, "sh", "-c",
                        "echo first; %s seq 1 3000; echo err >&2; exit 7" % BB)
        self.assertEqual(r.returncode, 7, r.stderr)
        self.assertEqual(r.stdout.split("\n")[:3], ["first", "1", "2"])
        self.assertEqual(r.stdout, "first\n" + "".join(
            "%d\n" % i for i in range(1, 3001)))
        self.assertEqual(r.stderr, "err\n")
        u = self.on_node("r1")
        self.assertEqual(self.relays("start"), before + 1)
        self.assertIn("container %s: start relayed to the head" % u,
                      self.d.log("agent"))
        self.assertIn("container %s: start relayed from node" % u,
                      self.d.log("dockerapi"))
        self.assertEqual(self.ok("inspect", "--format", "{{.State.ExitCode}}",
                                 "r1"), "7")

    def test_2_run_stdin(self):
        self.wait_available(True)
        data = "".join("line %06d of what is piped in\n" % i
                       for i in range(12000))       # ~350 KB
        r = self.docker("run", "-i", "--rm", "tiny:1", BB, "cat", input=data)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout), len(data))
        self.assertEqual(r.stdout, data)

    def test_3_start_attached(self):
        self.wait_available(True)
        self.ok("create", "--name", "s1", "tiny:1", BB, "sh", "-c",
                "echo started; exit 3")
        before = self.relays("start")
        r = self.docker("start", "-a", "s1")
        self.assertEqual((r.returncode, r.stdout), (3, "started\n"), r.stderr)
        self.assertEqual(self.relays("start"), before + 1)
        self.on_node("s1")

    def test_4_attach_running_and_detach(self):
        self.wait_available(True)
        self.ok("run", "-d", "--name", "t1", "tiny:1", BB, "sh", "-c",
                "while :; do echo tick; %s sleep 0.1; done" % BB)
        self.on_node("t1")
        before = self.relays("attach")
        with subprocess.Popen(["docker", "attach", "--no-stdin", "t1"],
                              env=self.d.docker_env(self.alice),
                              stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL) as p:
            try:
                self.assertEqual(p.stdout.readline(), b"tick\n")
            finally:
                p.kill()
        self.assertEqual(self.relays("attach"), before + 1)
        # stdin echoed, then the detach keys: the attach ends, not cat
        self.ok("run", "-d", "-i", "--name", "c1", "tiny:1", BB, "cat")
        cid = self.ok("inspect", "--format", "{{.Id}}", "c1")
        status, s, rest = self.raw_attach(
            self.alice, cid, "stream=1&stdin=1&stdout=1&detachKeys=ctrl-x")
        self.assertIn("101", status)
        s.sendall(b"ping\n")
        got = self.read_until(s, b"ping\n", rest)
        # the multiplexed stream: stdout's header, then the bytes
        self.assertIn(b"\x01\x00\x00\x00\x00\x00\x00\x05ping\n", got)
        s.sendall(b"\x18")
        s.settimeout(10)
        while s.recv(65536):
            pass                    # the head ends the attach
        s.close()
        self.assertEqual(self.ok("inspect", "--format", "{{.State.Running}}",
                                 "c1"), "true")
        self.ok("rm", "-f", "t1", "c1")

    def test_5_resize(self):
        self.wait_available(True)
        self.ok("run", "-d", "-t", "--name", "tt", "tiny:1", BB, "sh", "-c",
                "while :; do %s stty size; %s sleep 0.1; done" % (BB, BB))
        u = self.on_node("tt")
        cid = self.ok("inspect", "--format", "{{.Id}}", "tt")
        self.d.dockerpy(self.alice).api.resize(cid, height=33, width=111)
        self.assertIn("container %s: resized to 33 rows, 111 columns" % u,
                      self.d.log("agent"))
        status, s, rest = self.raw_attach(self.alice, cid, "stream=1&stdout=1")
        self.assertIn("101", status)
        self.read_until(s, b"33 111", rest)
        s.close()
        self.ok("rm", "-f", "tt")

    def test_6_node_unavailable(self):
        self.wait_available(True)
        self.ok("run", "-d", "--name", "u1", "tiny:1", BB, "sleep", "300")
        self.ok("create", "--name", "u2", "tiny:1", BB, "echo", "never")
        cid = self.ok("inspect", "--format", "{{.Id}}", "u1")
        # stopped while its row is still fresh: the agent does not answer
        pid = self.d.pid("agent")
        os.kill(pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            status, s, rest = self.raw_attach(self.alice, cid,
                                              "stream=1&stdout=1")
            s.close()
            self.assertIn("503", status)
            self.assertIn(b"node unavailable", rest)
            self.assertLess(time.monotonic() - t0, 6)
        finally:
            os.kill(pid, signal.SIGCONT)
        with self.stopped_agent():
            t0 = time.monotonic()
            r = self.docker("exec", "u1", BB, "true")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("received 503", r.stderr)  # the CLI's words
            r = self.docker("start", "-a", "u2")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("node unavailable", r.stderr)
            r = self.docker("attach", "--no-stdin", "u1")
            self.assertNotEqual(r.returncode, 0)
            # the CLI shows the status of a refused upgrade, not its body
            self.assertIn("received 503", r.stderr)
            self.assertLess(time.monotonic() - t0, 10)
            self.assertEqual(self.ok("inspect", "--format", "{{.State.Status}}",
                                     "u2"), "created")
        self.assertEqual(self.ok("inspect", "--format", "{{.State.Status}}",
                                 "u1"), "running")
        status, s, rest = self.raw_attach(self.alice, cid, "stream=1&stdout=1")
        s.close()
        self.assertIn("101", status)
        r = self.docker("start", "-a", "u2")
        self.assertEqual((r.returncode, r.stdout), (0, "never\n"), r.stderr)
        self.ok("rm", "-f", "u1", "u2")

    def test_7_isolation(self):
        self.wait_available(True)
        self.ok("run", "-d", "-i", "--name", "mine", "tiny:1", BB, "cat")
        cid = self.ok("inspect", "--format", "{{.Id}}", "mine")
        u = self.uuid_of("mine")
        status, s, rest = self.raw_attach(self.bob, cid,
                                          "stream=1&stdin=1&stdout=1")
        s.close()
        self.assertIn("404", status)
        r = self.d.docker(self.bob, "attach", "--no-stdin", "mine")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No such container", r.stderr)
        # the agent's route: only the head's certificate opens it
        agent_ca = os.path.join(self.agent_dir, "tls", "ca.pem")
        for certdir in (self.alice, os.path.join(self.other, "head")):
            with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
                status, s, _ = self.raw_attach(certdir, u, "", self.agent_port,
                                               agent_ca)
                s.recv(1)
                self.fail("the agent took %s: %s" % (certdir, status))
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            ctx = ssl.create_default_context(cafile=agent_ca)
            with ctx.wrap_socket(socket.create_connection(
                    ("127.0.0.1", self.agent_port), timeout=10),
                    server_hostname="127.0.0.1") as s:
                s.sendall(b"POST /v1/containers/%s/attach HTTP/1.1\r\n"
                          b"Host: x\r\nContent-Length: 0\r\n\r\n" % u.encode())
                if not s.recv(100):
                    raise ConnectionError("closed")
        status, s, _ = self.raw_attach(self.head_certs, "../../etc", "",
                                       self.agent_port, agent_ca)
        s.close()
        self.assertIn("40", status)
        status, s, _ = self.raw_attach(self.head_certs, "x" * 36, "",
                                       self.agent_port, agent_ca)
        s.close()
        self.assertIn("400", status)
        status, s, _ = self.raw_attach(
            self.head_certs, "00000000-0000-4000-8000-000000000000", "",
            self.agent_port, agent_ca)
        s.close()
        self.assertIn("404", status)
        # the head's own certificate gets the frames
        status, s, rest = self.raw_attach(self.head_certs, u, "",
                                          self.agent_port, agent_ca)
        self.assertIn("101", status)
        s.sendall(b"\x00\x00\x00\x00\x05echo\n")   # a stdin frame
        self.read_until(s, b"\x01\x00\x00\x00\x05echo\n", rest)
        # a frame no head sends (the log's limits): the relay ends
        s.sendall(b"\x06\x00\x00\x00\x051 1 1")
        s.settimeout(10)
        while s.recv(65536):
            pass
        s.close()
        self.assertIn("container %s: the head sent a frame of type 6" % u,
                      self.d.log("agent"))
        self.assertEqual(self.ok("inspect", "--format", "{{.State.Running}}",
                                 "mine"), "true")
        self.ok("rm", "-f", "mine")

    def test_8_relay_cut_short(self):
        """An agent killed while it relays a run: the stream ends, the
        container runs on, and its exit comes from the agent started again
        (docker run's wait gets it, inspect shows it)."""
        self.wait_available(True)
        before = self.relays("start")
        with subprocess.Popen(["docker", "run", "--name", "cut", "tiny:1", BB,
                               "sh", "-c", "echo up; %s sleep 1; exit 9" % BB],
                              env=self.d.docker_env(self.alice),
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as p:
            self.assertEqual(p.stdout.readline(), b"up\n")
            self.assertEqual(self.relays("start"), before + 1)
            self.d.stop_one("agent", signal.SIGKILL)
            self.assertEqual(self.ok("inspect", "--format", "{{.State.Status}}",
                                     "cut"), "running")
            self.start_agent()
            self.assertEqual(p.wait(30), 9, p.stderr.read())
        self.assertEqual(self.ok("inspect", "--format",
                                 "{{.State.Status}} {{.State.ExitCode}}", "cut"),
                         "exited 9")
        self.ok("rm", "cut")


if __name__ == "__main__":
    unittest.main(verbosity=2)
