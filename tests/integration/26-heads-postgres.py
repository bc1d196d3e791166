#!/usr/bin/env python3
"""Two dockerapi heads on one PostgreSQL store and one node (the same
zones root, data dir and local agent, as two heads of one machine): a
client may talk to either and sees the same containers, images, networks
and volumes, with the real docker CLI and docker-py.  A container made
through head a is listed, inspected, started, logged, stopped and removed
through head b; an image tagged through a is run and removed through b;
networks and volumes likewise.  The same name created through both at
once: exactly one create wins, the other gets Docker's 409; the same
fixed address or published port asked through both at once: never both.
An exit is reacted to by one head only (one die per exit, the restart
policy's count as with one daemon, AutoRemove's one destroy).
An exec made through a is started through b and its exit code read
through a.  PostgreSQL restarted: both heads go on.  Head a
killed with SIGKILL: b serves everything, no container stopped; a started
again sees everything."""
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "postgres"
import sdctest  # noqa: E402

common = importlib.import_module("76-containers-common")


class TwoHeads(common.ContainersTest):
    # The smallest package by default (1/16 of a CPU): more of these
    # containers run at once than a two-core node has CPUs for 1G ones.
    TUNABLES = {"DEFAULT_MEMORY": 128}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.d
        # head b: the node's data dir and zones root, the same store; its
        # own ports and admin socket
        cls.b_port = sdctest.free_port()
        cls.b_admin = os.path.join(d.tmp, "admin-b.sock")
        cls.start_b()

    @classmethod
    def start_b(cls):
        cls.d.start_other_head("dockerapi-b", cls.b_port, cls.b_admin)

    # --- through head b ---

    def env_b(self, certs=None):
        env = self.d.docker_env(certs or self.alice)
        env["DOCKER_HOST"] = "tcp://127.0.0.1:%d" % self.b_port
        return env

    def b(self, *args, certs=None, timeout=60):
        return subprocess.run(["docker"] + list(args), env=self.env_b(certs),
                              capture_output=True, text=True, timeout=timeout,
                              input="")

    def ok_b(self, *args, certs=None, **kw):
        r = self.b(*args, certs=certs, **kw)
        self.assertEqual(r.returncode, 0, "docker (b) %s: %s%s%s" % (
            " ".join(args), r.stdout, r.stderr,
            self.d.log("dockerapi-b")[-1500:]))
        return r.stdout

    def py(self, head, certs=None):
        """docker-py through head "a" or "b"."""
        c = self.d.dockerpy(certs or self.alice)
        if head == "b":
            c.close()
            import docker
            tls = docker.tls.TLSConfig(
                client_cert=(os.path.join(certs or self.alice, "cert.pem"),
                             os.path.join(certs or self.alice, "key.pem")),
                ca_cert=os.path.join(certs or self.alice, "ca.pem"),
                verify=True)
            c = docker.DockerClient(base_url="https://127.0.0.1:%d" %
                                    self.b_port, tls=tls, version="1.41",
                                    timeout=60)
        return c

    def inspect_b(self, ref, certs=None):
        return json.loads(self.ok_b("inspect", ref, certs=certs))[0]

    def events(self, head_env, cid, since):
        r = subprocess.run(["docker", "events", "--since", str(since),
                            "--until", str(int(time.time()) + 1), "--format",
                            "{{json .}}", "--filter", "container=" + cid],
                           env=head_env, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(line).get("Action") for line in
                r.stdout.splitlines()]

    # --- the checks ---

    def test_a_container_through_both(self):
        self.ok("create", "--name", "both", "busybox", "sh", "-c",
                "echo hello from both; exec sleep 1000")
        cid = self.inspect("both")["Id"]
        # b lists and inspects it, docker-py too
        self.assertIn("both", self.ok_b("ps", "-a", "--format", "{{.Names}}"))
        self.assertEqual(self.inspect_b("both")["Id"], cid)
        pb = self.py("b")
        try:
            self.assertEqual(pb.containers.get("both").id, cid)
            self.assertIn(cid, [c.id for c in pb.containers.list(all=True)])
        finally:
            pb.close()
        # started through b: running through a
        self.ok_b("start", "both")
        self.assertTrue(self.inspect("both")["State"]["Running"])
        self.assertIn("both", self.ok("ps", "--format", "{{.Names}}"))
        sdctest.wait_for("the log", lambda: "hello from both" in
                         self.b("logs", "both").stdout)
        pa = self.py("a")
        try:
            self.assertIn(b"hello from both", pa.containers.get("both").logs())
        finally:
            pa.close()
        # renamed through a: b knows the new name
        self.ok("rename", "both", "both2")
        self.assertEqual(self.inspect_b("both2")["Id"], cid)
        # stopped through b: exited through a, once
        t0 = int(time.time()) - 1
        # a wait and a logs -f held by a end at the exit made through b
        held = [subprocess.Popen(["docker"] + args, env=self.d.docker_env(
            self.alice), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True) for args in (["wait", "both2"],
                                    ["logs", "-f", "both2"])]
        sdctest.wait_for("the log followed", lambda: "hello from both" in
                         held[1].stdout.readline())
        self.ok_b("stop", "-t", "0", "both2")
        self.assertEqual(held[0].communicate(timeout=30)[0].strip(), "137")
        self.assertEqual(held[1].wait(timeout=30), 0)
        held[1].communicate()
        st = self.inspect("both2")["State"]
        self.assertFalse(st["Running"])
        self.assertEqual(self.inspect_b("both2")["State"]["Status"], "exited")
        self.assertEqual(self.events(self.d.docker_env(self.alice), cid,
                                     t0).count("die"), 1)
        # removed through b: gone through a
        self.ok_b("rm", "both2")
        r = self.docker(self.alice, "inspect", "both2")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No such", r.stderr)
        self.assertNotIn("both2", self.ok("ps", "-a", "--format", "{{.Names}}"))
        # bob sees none of it through either head
        self.assertEqual(self.ok_b("ps", "-aq", certs=self.bob).split(), [])

    def test_b_images(self):
        self.ok("tag", "busybox", "mine:one")
        out = self.ok_b("images", "--format", "{{.Repository}}:{{.Tag}}")
        self.assertIn("mine:one", out)
        pb = self.py("b")
        try:
            self.assertIn("mine:one", [t for i in pb.images.list()
                                       for t in i.tags])
        finally:
            pb.close()
        self.assertIn("via b", self.ok_b("run", "--rm", "mine:one", "echo",
                                         "via b"))
        self.ok_b("rmi", "mine:one")
        self.assertNotIn("mine:one", self.ok("images", "--format",
                                             "{{.Repository}}:{{.Tag}}"))
        # not bob's
        self.assertNotIn("mine", self.ok_b("images", certs=self.bob))

    def test_c_networks_and_volumes(self):
        net = self.d.pool_net(3)
        self.ok("network", "create", "--subnet", net + ".0/24", "hnet")
        self.ok("volume", "create", "hvol")
        self.assertIn("hnet", self.ok_b("network", "ls", "--format",
                                        "{{.Name}}"))
        self.assertIn("hvol", self.ok_b("volume", "ls", "--format",
                                        "{{.Name}}"))
        # a container through b on a's network, writing a's volume
        self.ok_b("run", "--rm", "--network", "hnet", "-v", "hvol:/data",
                  "busybox", "sh", "-c", "echo kept > /data/f")
        out = self.ok("run", "--rm", "-v", "hvol:/data", "busybox", "cat",
                      "/data/f")
        self.assertEqual(out.strip(), "kept")
        self.ok_b("network", "rm", "hnet")
        self.ok_b("volume", "rm", "hvol")
        self.assertNotIn("hnet", self.ok("network", "ls"))
        self.assertNotIn("hvol", self.ok("volume", "ls"))

    def race(self, fn_a, fn_b):
        """fn_a and fn_b run at once (a barrier between them); their
        outcomes, each a value or the exception raised."""
        gate = threading.Barrier(2)
        out = [None, None]

        def run(i, fn):
            gate.wait()
            try:
                out[i] = fn()
            except Exception as e:  # the outcome is the check's
                out[i] = e
        ts = [threading.Thread(target=run, args=(i, f))
              for i, f in enumerate((fn_a, fn_b))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return out

    def test_d_same_name_at_once(self):
        import docker
        pa, pb = self.py("a"), self.py("b")
        try:
            for i in range(4):
                name = "race%d" % i
                got = self.race(
                    lambda: pa.api.create_container("busybox", "true",
                                                    name=name),
                    lambda: pb.api.create_container("busybox", "true",
                                                    name=name))
                won = [g for g in got if isinstance(g, dict)]
                lost = [g for g in got if not isinstance(g, dict)]
                self.assertEqual(len(won), 1, got)
                self.assertIsInstance(lost[0], docker.errors.APIError, got)
                self.assertEqual(lost[0].status_code, 409, got)
                self.assertIn("is already in use", str(lost[0]))
                self.assertEqual(self.inspect_b(name)["Id"], won[0]["Id"])
                self.assertEqual(self.inspect(name)["Id"], won[0]["Id"])
                self.ok("rm", name)
        finally:
            pa.close()
            pb.close()

    def test_e_address_and_port_at_once(self):
        import docker
        net = self.d.pool_net(4)
        self.ok("network", "create", "--subnet", net + ".0/24", "inet")
        pa, pb = self.py("a"), self.py("b")
        try:
            for i in range(2):
                ip = "%s.%d" % (net, 50 + i)
                got = self.race(lambda: self.run_ip(self.ok, "ipa%d" % i, ip),
                                lambda: self.run_ip(self.ok_b, "ipb%d" % i,
                                                    ip))
                ok = [g for g in got if not isinstance(g, Exception)]
                self.assertEqual(len(ok), 1, got)
            port = sdctest.free_port(host="0.0.0.0")
            got = self.race(
                lambda: pa.containers.run("busybox", "sleep 1000",
                                          detach=True, name="pa",
                                          ports={"80/tcp": port}),
                lambda: pb.containers.run("busybox", "sleep 1000",
                                          detach=True, name="pb",
                                          ports={"80/tcp": port}))
            ok = [g for g in got if not isinstance(g, Exception)]
            self.assertEqual(len(ok), 1, got)
            bad = [g for g in got if isinstance(g, Exception)][0]
            self.assertIsInstance(bad, docker.errors.APIError, got)
            # no address asked: both heads pick the lowest free one at
            # the same moment, and both containers start, apart
            for i in range(3):
                got = self.race(
                    lambda: self.ok("run", "-d", "--network", "inet",
                                    "--name", "auto-a%d" % i, "busybox",
                                    "sleep", "1000"),
                    lambda: self.ok_b("run", "-d", "--network", "inet",
                                      "--name", "auto-b%d" % i, "busybox",
                                      "sleep", "1000"))
                self.assertEqual([g for g in got if isinstance(g, Exception)],
                                 [], got)
            ips = [self.inspect(n)["NetworkSettings"]["Networks"]["inet"]
                   ["IPAddress"] for n in ("auto-a0", "auto-b0", "auto-a1",
                                          "auto-b1", "auto-a2", "auto-b2")]
            self.assertEqual(len(set(ips)), 6, ips)
        finally:
            pa.close()
            pb.close()
        ids = self.ok("ps", "-aq").split()
        self.ok("rm", "-f", *ids)
        self.ok("network", "rm", "inet")

    def run_ip(self, run, name, ip):
        """docker run with a fixed address through a head (run: self.ok
        or self.ok_b): the address is held from the start."""
        return run("run", "-d", "--network", "inet", "--ip", ip, "--name",
                   name, "busybox", "sleep", "1000")

    def test_f_one_reaction_per_exit(self):
        t0 = int(time.time()) - 1
        # on-failure:2: two restarts, three dies, whichever head watches
        self.ok("run", "-d", "--name", "flaky", "--restart", "on-failure:2",
                "busybox", "sh", "-c", "exit 3")
        cid = self.inspect("flaky")["Id"]
        sdctest.wait_for("the policy's end", lambda: (lambda s: not
                         s["State"]["Running"] and s["RestartCount"] == 2 and
                         not s["State"]["Restarting"])(self.inspect("flaky")),
                         timeout=30)
        ev = self.events(self.d.docker_env(self.alice), cid, t0)
        self.assertEqual(ev.count("die"), 3, ev)
        self.assertEqual(ev.count("start"), 3, ev)
        self.assertEqual(self.inspect_b("flaky")["RestartCount"], 2)
        self.ok("rm", "flaky")
        # --restart always, stopped through the other head: it stays
        # stopped, whichever head claims the exit
        t0 = int(time.time()) - 1
        self.ok("run", "-d", "--name", "steady", "--restart", "always",
                "busybox", "sleep", "1000")
        cid = self.inspect("steady")["Id"]
        self.ok_b("stop", "-t", "1", "steady")
        # the policy's first restart would come 100 ms after the exit
        deadline = time.time() + 1
        while time.time() < deadline:
            st = self.inspect("steady")
            self.assertFalse(st["State"]["Running"] or
                             st["State"]["Restarting"], st["State"])
            time.sleep(0.2)
        ev = self.events(self.d.docker_env(self.alice), cid, t0)
        self.assertEqual((ev.count("start"), ev.count("die")), (1, 1), ev)
        self.ok("rm", "steady")
        # --rm through b: one destroy, no head complaining of a second
        t0 = int(time.time()) - 1
        out = self.ok_b("run", "--rm", "--name", "once", "busybox", "echo",
                        "once")
        self.assertIn("once", out)
        sdctest.wait_for("gone through a", lambda: self.docker(
            self.alice, "inspect", "once").returncode != 0)
        for head in ("dockerapi", "dockerapi-b"):
            self.assertNotIn("auto-remove", self.d.log(head))

    def test_g_exec_across_heads(self):
        import docker
        self.ok("run", "-d", "--name", "ex", "busybox", "sleep", "1000")
        pa, pb = self.py("a"), self.py("b")
        try:
            # made through a, started through b, inspected through a
            ex = pa.api.exec_create("ex", ["sh", "-c", "echo across; exit 7"])
            out = pb.api.exec_start(ex["Id"])
            self.assertEqual(out.strip(), b"across")
            sdctest.wait_for("the exit through a", lambda: pa.api.exec_inspect(
                ex["Id"])["ExitCode"] == 7)
            self.assertFalse(pb.api.exec_inspect(ex["Id"])["Running"])
            # started once: a's start is refused
            with self.assertRaises(docker.errors.APIError) as e:
                pa.api.exec_start(ex["Id"])
            self.assertEqual(e.exception.status_code, 409)
            # bob knows none of it
            pbob = self.py("b", self.bob)
            try:
                with self.assertRaises(docker.errors.NotFound):
                    pbob.api.exec_inspect(ex["Id"])
            finally:
                pbob.close()
        finally:
            pa.close()
            pb.close()
        self.ok("rm", "-f", "ex")

    def test_x_postgres_restarts(self):
        # both heads connect again by themselves; the log goes on
        self.ok("create", "--name", "before", "busybox", "true")
        self.assertEqual(self.inspect_b("before")["Name"], "/before")
        sdctest.postgres().restart()
        r = self.docker(self.alice, "create", "--name", "after-pg", "busybox",
                        "true")
        if r.returncode != 0:   # a call cut by the restart is refused whole
            self.ok("create", "--name", "after-pg", "busybox", "true")
        self.assertEqual(self.inspect_b("after-pg")["Name"], "/after-pg")
        self.ok_b("rm", "before", "after-pg")
        self.assertEqual(self.ok("ps", "-aq"), "")

    def test_y_head_a_killed(self):
        self.ok("run", "-d", "--name", "lives", "busybox", "sleep", "1000")
        self.ok_b("run", "-d", "--name", "lives-b", "busybox", "sleep", "1000")
        pid = self.inspect("lives")["State"]["Pid"]
        self.d.procs["dockerapi"].send_signal(signal.SIGKILL)
        self.d.procs["dockerapi"].wait()
        self.d.procs.pop("dockerapi")
        # b serves all of it; the containers run on
        names = self.ok_b("ps", "--format", "{{.Names}}").split()
        self.assertIn("lives", names)
        self.assertIn("lives-b", names)
        os.kill(pid, 0)
        self.assertTrue(self.inspect_b("lives")["State"]["Running"])
        self.assertEqual(self.ok_b("exec", "lives", "echo", "in").strip(), "in")
        self.ok_b("create", "--name", "after", "busybox", "true")
        # its exits are b's to react to now: one die
        t0 = int(time.time()) - 1
        self.ok_b("stop", "-t", "0", "lives-b")
        cid = self.inspect_b("lives-b")["Id"]
        self.assertEqual(self.events(self.env_b(), cid, t0).count("die"), 1)
        # a again: everything, as b has it
        self.d.start_dockerapi()
        want = sorted(self.ok_b("ps", "-a", "--format",
                                "{{.Names}} {{.State}}").splitlines())
        got = sorted(self.ok("ps", "-a", "--format",
                             "{{.Names}} {{.State}}").splitlines())
        self.assertEqual(got, want)
        self.assertIn("lives running", got)
        self.assertIn("after created", got)
        os.kill(pid, 0)
        self.ok("rm", "-f", "lives", "lives-b", "after")

    def test_z_sqlite_one_head(self):
        # a SQLite store has one head: a second on the file is refused
        d = self.d
        data = os.path.join(d.tmp, "lite")
        args = [os.path.join(sdctest.BIN, "dockerapi"), "--data-dir", data,
                "--sapi-url", d.sapi_url, "--zones",
                os.path.join(d.tmp, "zones-lite")]
        d._spawn("lite-1", args + [
            "--listen", "127.0.0.1:%d" % sdctest.free_port(),
            "--cloudapi-listen", "127.0.0.1:%d" % sdctest.free_port(),
            "--admin-socket", os.path.join(d.tmp, "lite1.sock")])
        sdctest.wait_for("the first", lambda: os.path.exists(
            os.path.join(d.tmp, "lite1.sock")), timeout=30)
        r = subprocess.run(args + [
            "--listen", "127.0.0.1:%d" % sdctest.free_port(),
            "--cloudapi-listen", "127.0.0.1:%d" % sdctest.free_port(),
            "--admin-socket", os.path.join(d.tmp, "lite2.sock")],
            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("a SQLite store has one head", r.stderr)
        d.stop_one("lite-1")


if __name__ == "__main__":
    common.main()
