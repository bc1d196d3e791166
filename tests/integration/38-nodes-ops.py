#!/usr/bin/env python3
"""A container's lifecycle through its node's agent, off the head's loop.

`make run`'s shape, as 37-nodes-common.py sets it up: sapi + dockerapi
(sdctest) and one sdc-docker-agent beside it on the head's store (the
SQLite file, or the throw-away PostgreSQL when SDC_TEST_STORE=postgres),
with a node certificate and the head's client certificate made by
sdc-docker-certgen under the head's CA.  Checked with the real docker CLI:

- the agent's container routes take only the operator's heads: no
  certificate, and a head's certificate of another CA, are refused at
  the handshake; the head's own certificate reaches them;
- start, pause, unpause, update, restart, stop and kill of a container
  that records the node go through its agent (the agent's log names
  each), and the agent's refusals reach the client as the runtime's do;
- an agent not heard from (SIGSTOP): every one of them answers "node
  unavailable" at once and the container is left as it was; after
  SIGCONT they work again;
- an agent that hangs while a call is in flight holds that call only:
  another tenant's requests are answered meanwhile (the loop is free),
  and the call ends in "node unavailable" within its limit;
- the exit of a container the agent started is seen: docker wait, the
  restart policy (its restarts through the agent again) and --rm, from
  the agent's report; an agent killed while its container exits reports
  it when it is back, and the head acts on it once;
- runc stuck on one container of the node holds that call only: the
  agent goes on heartbeating and serving the node's other containers.
"""
import importlib
import io
import json
import os
import signal
import ssl
import subprocess
import sys
import tarfile
import threading
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

common = importlib.import_module("37-nodes-common")
# Heartbeats of 1 s: the node is judged unavailable 3 s after its agent
# stops, time for a call to reach a stopped agent before that.
BEAT = "1"

# The node's runtime for test_7: runc, except for a command and container
# the test marked, where it stalls (as 98-runtime-hang's wrapper) and
# says its pid, so the test can end the stall.
HANG_DIR = "/tmp/sdc-test-agent-hang.%d" % os.getpid()
WRAPPER = os.path.join(HANG_DIR, "runc")
WRAPPER_TEXT = """#!/bin/sh
id=""
for a in "$@"; do id="$a"; done
for a in "$@"; do
    case "$a" in
    run|pause|resume|update)
        if [ -e "%(dir)s/$id.$a" ]; then
            echo $$ > "%(dir)s/$id.$a.hung"
            exec sleep 600
        fi
        break;;
    esac
done
exec /usr/sbin/runc "$@"
""" % {"dir": HANG_DIR}


class NodeOpsTest(common.NodesBase):

    HEARTBEAT = BEAT
    HOSTNAME = "cn-ops"
    TENANTS = ("alice", "bob")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bob = cls.certs["bob"]
        sdctest.wait_for("head knows its node", lambda: "containers run on node"
                         in cls.d.log("dockerapi"), 20)
        cls.import_images()

    @classmethod
    def import_images(cls):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            t.add("/bin/busybox", arcname="bin/busybox")
        for who in (cls.alice, cls.bob):
            r = subprocess.run(["docker", "import", "-", "tiny:1"],
                               env=cls.d.docker_env(who), input=raw.getvalue(),
                               capture_output=True, timeout=60)
            assert r.returncode == 0, r.stderr

    # --- helpers ---

    def docker(self, *args, who=None, **kw):
        return self.d.docker(who or self.alice, *args, **kw)

    def ok(self, *args, who=None):
        r = self.docker(*args, who=who)
        self.assertEqual(r.returncode, 0, "%s: %s" % (args, r.stderr))
        return r.stdout.strip()

    def inspect(self, name):
        # docker-py in this process: quicker than a CLI per look
        if not hasattr(self, "_api"):
            type(self)._api = self.d.dockerpy(self.alice).api
        return self._api.inspect_container(name)

    def state(self, name):
        return self.inspect(name)["State"]

    def uuid(self, name):
        cid = self.inspect(name)["Id"]
        st, one = self.d.admin("GET", "/containers/" + cid)
        self.assertEqual(st, 200, one)
        return one["Uuid"]

    def agent_log(self):
        return self.d.log("agent")

    def available(self):
        nodes = self.nodes()
        return len(nodes) == 1 and nodes[0]["Available"]

    def wait_available(self, want, timeout=15):
        super().wait_available(want, timeout)

    def agent_post(self, path, certdir=None):
        ctx = ssl.create_default_context(
            cafile=os.path.join(self.agent_dir, "tls", "ca.pem"))
        if certdir is not None:
            ctx.load_cert_chain(os.path.join(certdir, "cert.pem"),
                                os.path.join(certdir, "key.pem"))
        req = urllib.request.Request("https://127.0.0.1:%d%s" % (
            self.agent_port, path), data=b"{}", method="POST")
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    # --- the tests, in order ---

    def test_1_mutual_tls(self):
        self.ok("create", "--name", "t1", "tiny:1", "/bin/busybox", "sleep", "300")
        path = "/v1/containers/%s/start" % self.uuid("t1")
        for certdir in (None, os.path.join(self.other, "head")):
            with self.assertRaises((ssl.SSLError, ConnectionError,
                                    urllib.error.URLError, OSError)):
                self.agent_post(path, certdir)
        self.assertEqual(self.state("t1")["Status"], "created")
        # the head's certificate reaches the route; its refusals are the
        # runtime's (a container the node does not hold: 404)
        st, body = self.agent_post("/v1/containers/%s/pause" %
                                   "00000000-0000-4000-8000-000000000000",
                                   self.head_certs)
        self.assertEqual((st, body["message"]),
                         (404, "No such container on this node"))
        self.ok("rm", "-f", "t1")

    def test_2_ops_through_agent(self):
        self.wait_available(True)
        self.ok("create", "--name", "o1", "tiny:1", "/bin/busybox", "sleep", "300")
        u = self.uuid("o1")
        self.ok("start", "o1")
        self.assertIn("container %s: started, pid" % u, self.agent_log())
        self.assertTrue(self.state("o1")["Running"])
        self.ok("pause", "o1")
        self.assertIn("container %s: paused" % u, self.agent_log())
        self.assertEqual(self.state("o1")["Status"], "paused")
        # the refusals are the runtime's: 409
        r = self.docker("pause", "o1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("already paused", r.stderr)
        self.ok("unpause", "o1")
        self.assertIn("container %s: unpaused" % u, self.agent_log())
        self.assertEqual(self.state("o1")["Status"], "running")
        self.ok("update", "--cpu-shares", "512", "--pids-limit", "99", "o1")
        self.assertIn("container %s: resources updated" % u, self.agent_log())
        hc = self.inspect("o1")["HostConfig"]
        self.assertEqual((hc["CpuShares"], hc["PidsLimit"]), (512, 99))
        # restart: the stop signal (busybox sleep as init ignores SIGTERM,
        # so the SIGKILL after one second) and a start, all by the agent
        before = self.agent_log().count("container %s: started" % u)
        self.ok("restart", "-t", "1", "o1")
        log = self.agent_log()
        self.assertIn("container %s: signal 15" % u, log)
        self.assertIn("container %s: signal 9" % u, log)
        self.assertEqual(log.count("container %s: started" % u), before + 1)
        self.assertTrue(self.state("o1")["Running"])
        self.assertNotEqual(self.state("o1")["Pid"], 0)
        # stop of a paused container: signalled, thawed, gone
        self.ok("pause", "o1")
        self.ok("stop", "-t", "1", "o1")
        st = self.state("o1")
        self.assertEqual((st["Running"], st["ExitCode"]), (False, 137))
        # a stopped container: 409 for pause, as the runtime's
        r = self.docker("pause", "o1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("is not running", r.stderr)
        self.ok("start", "o1")
        self.ok("kill", "o1")
        self.assertEqual(self.state("o1")["ExitCode"], 137)
        self.ok("rm", "o1")

    def test_3_node_unavailable(self):
        self.wait_available(True)
        self.ok("run", "-d", "--name", "u1", "tiny:1", "/bin/busybox", "sleep", "300")
        self.ok("create", "--name", "u2", "tiny:1", "/bin/busybox", "sleep", "300")
        pid = self.d.pid("agent")
        os.kill(pid, signal.SIGSTOP)
        try:
            self.wait_available(False)
            for args in (("pause", "u1"), ("update", "--cpu-shares", "256", "u1"),
                         ("stop", "-t", "1", "u1"), ("restart", "-t", "1", "u1"),
                         ("kill", "u1"), ("start", "u2")):
                t0 = time.monotonic()
                r = self.docker(*args)
                self.assertNotEqual(r.returncode, 0, args)
                self.assertIn("node unavailable", r.stderr, args)
                # at once: the node is not asked
                self.assertLess(time.monotonic() - t0, 2.5, args)
            st = self.state("u1")
            self.assertEqual((st["Status"], st["Running"]), ("running", True))
            self.assertNotEqual(self.inspect("u1")["HostConfig"]["CpuShares"], 256)
            self.assertEqual(self.state("u2")["Status"], "created")
            # the container itself lives on meanwhile
            self.assertNotIn("Paused", self.ok("ps", "--filter", "name=u1",
                                               "--format", "{{.Status}}"))
        finally:
            os.kill(pid, signal.SIGCONT)
        self.wait_available(True)
        self.ok("pause", "u1")
        self.ok("unpause", "u1")
        self.ok("start", "u2")
        self.assertTrue(self.state("u2")["Running"])
        self.ok("rm", "-f", "u1", "u2")

    def test_4_hung_agent_holds_no_loop(self):
        self.wait_available(True)
        self.ok("run", "-d", "--name", "h1", "tiny:1", "/bin/busybox", "sleep", "300")
        self.ok("run", "-d", "--name", "b1", "tiny:1", "/bin/busybox", "sleep", "300",
                who=self.bob)
        # a warm connection from the head to the agent, as in steady use
        self.ok("kill", "-s", "WINCH", "h1")
        pid = self.d.pid("agent")
        worst = [0.0]
        done = threading.Event()

        bob = self.d.dockerpy(self.bob).api
        bob.containers()                # connected before

        def bob_asks():
            # another tenant's requests while alice's call hangs
            while not done.is_set():
                t0 = time.monotonic()
                bob.containers()
                worst[0] = max(worst[0], time.monotonic() - t0)
                time.sleep(0.05)

        os.kill(pid, signal.SIGSTOP)
        try:
            self.assertTrue(self.available())      # not yet judged
            probe = threading.Thread(target=bob_asks)
            probe.start()
            t0 = time.monotonic()
            # a harmless signal: the hung call may still reach the agent
            # once it runs again
            r = self.docker("kill", "-s", "WINCH", "h1")
            took = time.monotonic() - t0
            done.set()
            probe.join()
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("node unavailable", r.stderr)
            self.assertLess(took, 10)
            self.assertGreater(took, 2)           # it did wait on the agent
            # bob was answered all along (a loop held by the call would
            # have kept him waiting the call's three seconds)
            self.assertLess(worst[0], 2.0, "the loop was held %.1f s" % worst[0])
            self.assertTrue(self.state("h1")["Running"])
        finally:
            os.kill(pid, signal.SIGCONT)
        self.wait_available(True)
        self.ok("rm", "-f", "h1")
        self.ok("rm", "-f", "b1", who=self.bob)

    def test_5_exits(self):
        self.wait_available(True)
        # docker wait on a container the agent started
        self.ok("run", "-d", "--name", "e1", "tiny:1", "/bin/busybox", "sh", "-c",
                "exit 3")
        u = self.uuid("e1")
        self.assertIn("container %s: started" % u, self.agent_log())
        self.assertEqual(self.ok("wait", "e1"), "3")
        self.assertEqual(self.state("e1")["ExitCode"], 3)
        # learned on the node, reported by its agent
        self.assertIn("container %s: exited (code 3), reported" % u,
                      self.agent_log())
        self.ok("rm", "e1")
        # the restart policy: its restarts go through the agent too
        self.ok("run", "-d", "--name", "e2", "--restart", "on-failure:2", "tiny:1",
                "/bin/busybox", "sh", "-c", "exit 1")
        u = self.uuid("e2")
        sdctest.wait_for("two restarts", lambda: (
            self.inspect("e2")["RestartCount"], self.state("e2")["Running"],
            self.state("e2")["Restarting"]) == (2, False, False), 30)
        self.assertEqual(self.agent_log().count("container %s: started" % u), 3)
        self.assertEqual(self.agent_log().count(
            "container %s: exited (code 1), reported" % u), 3)
        self.ok("rm", "e2")
        # --rm: the container goes once its exit is seen
        cid = self.ok("run", "-d", "--rm", "tiny:1", "/bin/busybox", "sleep", "1")
        st, one = self.d.admin("GET", "/containers/" + cid)
        self.assertEqual(st, 200, one)
        self.assertIn("container %s: started" % one["Uuid"], self.agent_log())
        sdctest.wait_for("--rm removed", lambda: cid not in self.ok(
            "ps", "-a", "--no-trunc", "--format", "{{.ID}}"), 20)
        # docker stop of an --rm container answers (the exit removes it
        # while the stop's signal is in flight)
        self.ok("run", "-d", "--rm", "--name", "e3", "tiny:1", "/bin/busybox",
                "sleep", "300")
        self.ok("stop", "-t", "0", "e3")
        sdctest.wait_for("e3 removed", lambda: "e3" not in self.ok(
            "ps", "-a", "--format", "{{.Names}}"), 20)

    def test_6_exit_while_agent_down(self):
        """An agent killed while its container exits: the exit is reported
        when it is back, acted on once (one die event, the wait answered)."""
        self.wait_available(True)
        since = str(int(time.time()) - 1)
        self.ok("run", "-d", "--name", "r1", "tiny:1", "/bin/busybox", "sleep", "300")
        u = self.uuid("r1")
        init = self.state("r1")["Pid"]
        waiter = subprocess.Popen(["docker", "wait", "r1"], env=self.d.docker_env(
            self.alice), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.d.stop_one("agent", signal.SIGKILL)
            os.kill(init, signal.SIGKILL)
            sdctest.wait_for("r1's init gone", lambda: not os.path.exists(
                "/proc/%d" % init), 10)
            self.start_agent()
            out, err = waiter.communicate(timeout=30)
        finally:
            if waiter.poll() is None:
                waiter.kill()
        self.assertEqual((waiter.returncode, out.strip()), (0, "137"), err)
        self.assertIn("container %s: exited (code 137), reported" % u,
                      self.agent_log())
        st = self.state("r1")
        self.assertEqual((st["Running"], st["ExitCode"]), (False, 137))
        dies = self.ok("events", "--since", since, "--until",
                       str(int(time.time()) + 1), "--filter", "container=r1",
                       "--filter", "event=die", "--format", "{{.Status}}")
        self.assertEqual(dies.split(), ["die"])
        # reported once however often the agent looks again
        self.d.stop_one("agent")
        self.start_agent()
        self.wait_available(True)
        self.assertEqual(self.agent_log().count(
            "container %s: exited (code 137), reported" % u), 1)
        self.ok("rm", "r1")

    def test_7_hung_runtime_on_the_node(self):
        """runc stuck on one container holds that call only: the agent
        goes on heartbeating and serving its other containers."""
        os.makedirs(HANG_DIR, exist_ok=True)
        with open(WRAPPER, "w") as f:
            f.write(WRAPPER_TEXT)
        os.chmod(WRAPPER, 0o755)
        self.d.stop_one("agent")
        type(self).AGENT_EXTRA = ("--runtime", WRAPPER)
        self.start_agent()
        try:
            self.wait_available(True)
            self.ok("run", "-d", "--name", "s1", "tiny:1", "/bin/busybox",
                    "sleep", "300")
            self.ok("run", "-d", "--name", "s2", "tiny:1", "/bin/busybox",
                    "sleep", "300")
            u = self.uuid("s1")
            open(os.path.join(HANG_DIR, u + ".pause"), "w").close()
            hung = os.path.join(HANG_DIR, u + ".pause.hung")
            stuck = subprocess.Popen(["docker", "pause", "s1"],
                                     env=self.d.docker_env(self.alice),
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
            try:
                sdctest.wait_for("the node's runc stuck", lambda: (
                    os.path.exists(hung) and open(hung).read().strip()), 20)
                beat = self.nodes()[0]["LastHeartbeat"]
                # the other container's call, and the heartbeats, go on
                t0 = time.monotonic()
                self.ok("pause", "s2")
                self.assertLess(time.monotonic() - t0, 10)
                self.assertEqual(self.state("s2")["Status"], "paused")
                for _ in range(2):
                    sdctest.wait_for("heartbeats go on", lambda: (
                        self.nodes()[0]["LastHeartbeat"] != beat), 10)
                    beat = self.nodes()[0]["LastHeartbeat"]
                self.assertTrue(self.available())
                self.assertIsNone(stuck.poll())
            finally:
                with open(hung) as f:
                    os.kill(int(f.read()), signal.SIGKILL)
                os.unlink(os.path.join(HANG_DIR, u + ".pause"))
                out, err = stuck.communicate(timeout=30)
            # the failed call left s1 as it was
            self.assertNotEqual(stuck.returncode, 0)
            self.assertEqual(self.state("s1")["Status"], "running")
            self.ok("rm", "-f", "s1", "s2")
        finally:
            self.d.stop_one("agent")
            type(self).AGENT_EXTRA = ()
            self.start_agent()
            subprocess.run(["rm", "-rf", HANG_DIR])


if __name__ == "__main__":
    unittest.main(verbosity=2)
