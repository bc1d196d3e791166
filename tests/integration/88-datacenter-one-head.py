#!/usr/bin/env python3
"""The data center as one Docker host through one head, and its faults,
one at a time.

Three compute nodes (each a network namespace with its own agent and
zones root, joined by a bridge standing for the data center's network),
head a (dockerapi, in the root namespace; no other head) and one sapi on
one throw-away PostgreSQL 15: 88-datacenter-common's, set up once for
all the checks below.  With the real docker CLI, as alice and bob.
(The checks through two heads are 88-datacenter-two-heads.py's, on a
data center of their own, so that the two run side by side.)

- `docker run -d` spreads containers over the three nodes (inspect's
  Node; each made in its node's zones root, none in the head's), ps
  lists them all; stop, start, kill, rm and wait of a container on each
  node; an exit on a remote node seen (docker wait returns its code, a
  restart policy restarts it);
- `sdcadm-docker logs usage` through the head: each node's agent asked
  (GET /v1/log-usage, a head's certificate only, never a tenant's),
  each container on its node with its files' sizes; a stopped agent
  named as not answering, the others' figures still there;
- affinity container==, != (also the swarm label's form) honoured
  across nodes, and a rule no node can meet refused with Triton's
  message;
- an agent killed (SIGKILL): its containers keep running, operations
  on them answer "node unavailable", containers on the other nodes are
  unaffected, and once the agent is started again the head shows them
  as before;
- the head restarted without any --zones: it lists every container with
  the right state (also one whose process was killed while no head was
  up), from the agents, and its operations work on every node;
  restarted again while a node's agent is down, it answers "node
  unavailable" for that node's container and learns its state once the
  agent is back;
- networks across nodes ("Networks across nodes" in
  docs/architecture.md), with a running container connected to, and
  disconnected from, a network whose other container is on another
  node, an exec into a container joined to a remote container's
  namespace, and an attach with logs replayed from the remote node;
- a build's RUN steps placed on the nodes, each run by its node's agent.
"""
import http.client
import importlib
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
dc = importlib.import_module("88-datacenter-common")
run, until, alive = dc.run, dc.until, dc.alive
SMALL, SERVE = dc.SMALL, dc.SERVE
class DataCenterOneHead(dc.DataCenterBase):
    # the checks in order (one setup for all), head b never started: an
    # exit no head saw, a head restarted with no other up
    HEAD_B = False

    def test_1_spread(self):
        for n in ("c1", "c2", "c3"):
            self.run_d(n)
        js = self.inspect_all("c1", "c2", "c3")
        where = {n: j["Node"]["Name"] for n, j in js.items()}
        self.assertEqual(sorted(where.values()), ["cn-1", "cn-2", "cn-3"],
                         where)
        for n, j in js.items():
            i = int(where[n][-1])
            self.assertEqual(j["Node"]["ID"], self.node_of[where[n]])
            made = [f for f in os.listdir(self.zones(i)) if len(f) == 36]
            self.assertEqual(len(made), 1, (n, made))
            self.assertEqual(j["State"]["Status"], "running")
        self.assertFalse(os.path.exists(self.head_zones) and
                         os.listdir(self.head_zones), "made in the head's")
        self.assertEqual(self.ps(), {"c1": "running", "c2": "running",
                                     "c3": "running"})
        type(self).where = where

    def test_1a_logs_usage_of_every_node(self):
        """`sdcadm-docker logs usage` through head a: every node's agent
        asked (GET /v1/log-usage, for heads' certificates only), each
        container on its node with its files' sizes; a stopped agent
        named as not answering, the others' figures still there."""
        uuids = {}
        for n in ("c1", "c2", "c3"):
            st, raw = self.admin_get("/containers/" + self.inspect(n)["Id"])
            self.assertEqual(st, 200, raw)
            uuids[n] = json.loads(raw)["Uuid"]
        made = self.zones_made()
        logs = {n: os.path.join(self.zones(made[u]), u, "logs")
                for n, u in uuids.items()}
        # rotated logs by hand: 100 bytes on c1's node, 2 x 150 on c2's,
        # and a link with a rotated name, which counts nothing
        for n, sizes in (("c1", (100,)), ("c2", (150, 150))):
            for k, size in enumerate(sizes):
                with open(os.path.join(logs[n], "stdio.log.2026-11-23T18:20:"
                                       "0%dZ" % k), "w") as f:
                    f.write("x" * size)
        os.symlink("/bin/busybox", os.path.join(
            logs["c2"], "stdio.log.2026-11-23T18:20:09Z"))
        want = {}
        for n, u in uuids.items():
            live = os.path.getsize(os.path.join(logs[n], "stdio.log"))
            rot, files = {"c1": (100, 1), "c2": (300, 2), "c3": (0, 0)}[n]
            want[u] = {"node": self.where[n], "nodeId":
                       self.node_of[self.where[n]], "uuid": u, "live": live,
                       "rotated": rot, "rotatedFiles": files,
                       "total": live + rot}
        env = dict(os.environ, DOCKERAPI_ADMIN=self.d.admin_socket)
        r = subprocess.run([dc.common.ADM, "--json", "logs", "usage"],
                           env=env, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        u = json.loads(r.stdout)
        self.assertEqual(sorted((n["hostname"], n["answered"], n["complete"])
                                for n in u["nodes"]),
                         [("cn-%d" % i, True, True) for i in (1, 2, 3)])
        self.assertEqual({c["uuid"]: c for c in u["containers"]}, want)
        self.assertEqual(u["total"]["rotated"], 400)
        table = subprocess.run([dc.common.ADM, "logs", "usage"], env=dict(
            env, COLUMNS="120"), capture_output=True, text=True, timeout=30)
        self.assertEqual(table.returncode, 0, table.stderr)
        for n, x in uuids.items():
            self.assertRegex(table.stdout, r"(?m)^%s +%s " % (
                self.where[n], x))
        # the agent's route: a head's certificate, never a tenant's
        i = made[uuids["c2"]]
        ca = os.path.join(self.data, "tls", "ca.pem")

        def agent_get(certs):
            ctx = ssl.create_default_context(cafile=ca)
            ctx.load_cert_chain(os.path.join(certs, "cert.pem"),
                                os.path.join(certs, "key.pem"))
            conn = http.client.HTTPSConnection(self.addr[i], dc.AGENT_PORT,
                                               context=ctx, timeout=10)
            try:
                conn.request("GET", "/v1/log-usage")
                resp = conn.getresponse()
                return resp.status, json.loads(resp.read())
            finally:
                conn.close()
        st, body = agent_get(self.head_certs)
        self.assertEqual((st, body["Node"], body["Complete"]),
                         (200, self.node_of["cn-%d" % i], True))
        self.assertEqual(body["LogUsage"][uuids["c2"]],
                         {"Live": want[uuids["c2"]]["live"], "Rotated": 300,
                          "RotatedFiles": 2})
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            agent_get(self.certs["alice"])
        # c3's node's agent stopped: named, not left out; the rest shown
        k = made[uuids["c3"]]
        pid = self.d.pid("agent-%d" % k)
        os.kill(pid, signal.SIGSTOP)
        try:
            r = subprocess.run([dc.common.ADM, "--json", "logs", "usage"],
                               env=env, capture_output=True, text=True,
                               timeout=30)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("node cn-%d (%s) did not answer" % (
            k, self.node_of["cn-%d" % k]), r.stderr)
        u = json.loads(r.stdout)
        gone = [n for n in u["nodes"] if not n["answered"]]
        self.assertEqual([n["hostname"] for n in gone], ["cn-%d" % k])
        self.assertTrue(gone[0]["error"])
        self.assertEqual({c["uuid"]: c for c in u["containers"]},
                         {x: c for x, c in want.items() if x != uuids["c3"]})
        until("cn-%d available again" % k, lambda: [
            n for n in self.admin_nodes()
            if n["Hostname"] == "cn-%d" % k and n.get("Available")])

    def test_2_lifecycle_on_each_node(self):
        cs = ("c1", "c2", "c3")
        self.docker("stop", "-t", "5", *cs)
        for n, j in self.inspect_all(*cs).items():
            # SIGTERM through the agent: the trap's exit code
            self.assertEqual((j["State"]["Status"], j["State"]["ExitCode"]),
                             ("exited", 0), n)
        self.docker("start", *cs)
        pids = {n: j["State"]["Pid"] for n, j in self.inspect_all(*cs).items()}
        for n, pid in pids.items():
            self.assertTrue(pid > 0 and alive(pid), n)
        self.docker("kill", *cs)
        until("killed on every node", lambda: all(
            j["State"]["Status"] == "exited"
            for j in self.inspect_all(*cs).values()))
        for n, j in self.inspect_all(*cs).items():
            self.assertEqual(j["State"]["ExitCode"], 137, n)
            self.assertFalse(alive(pids[n]), n)
        self.docker("start", *cs)
        self.assertEqual(self.ps(), {n: "running" for n in cs})
        # a throw-away container on each node: made, waited for, removed
        ws = []
        for node in ("cn-1", "cn-2", "cn-3"):
            other = [n for n, w in self.where.items() if w == node][0]
            ws.append("w" + node[-1])
            self.run_d(ws[-1], "-e", "affinity:container==" + other,
                       cmd=("sh", "-c", "sleep 0.5; exit %s" % node[-1]))
        self.assertEqual({n: j["Node"]["Name"] for n, j in
                          self.inspect_all(*ws).items()},
                         {"w1": "cn-1", "w2": "cn-2", "w3": "cn-3"})
        r = self.docker("wait", *ws, timeout=30)
        self.assertEqual(r.stdout.split(), ["1", "2", "3"])
        self.docker("rm", *ws)
        self.assertEqual(sorted(self.ps()), list(cs))
        for i in self.nodes:
            self.assertEqual(len([f for f in os.listdir(self.zones(i))
                                  if len(f) == 36]), 1, i)

    def test_3_restart_policy_remote(self):
        far = self.where["c3"]
        self.run_d("rp", "--restart", "always",
                   "-e", "affinity:container==c3",
                   cmd=("sh", "-c", "sleep 0.3; exit 5"))
        self.assertEqual(self.node("rp"), far)
        until("rp restarted by its policy",
              lambda: self.inspect("rp")["RestartCount"] >= 1, timeout=30)
        self.docker("rm", "-f", "rp")

    def test_4_affinity(self):
        w = self.where
        self.run_d("a1", "-e", "affinity:container==c2")
        self.assertEqual(self.node("a1"), w["c2"])
        # two rules: the label's form (two -e affinity:container!=...
        # would be one variable to the CLI), then the label and -e mixed
        self.run_d("a2", "--label",
                   'com.docker.swarm.affinities=["container!=c1",'
                   '"container!=c2"]')
        self.assertEqual(self.node("a2"), w["c3"])
        self.run_d("a3", "--label",
                   'com.docker.swarm.affinities=["container!=c2"]',
                   "-e", "affinity:container!=c3")
        self.assertEqual(self.node("a3"), w["c1"])
        before = self.ps()
        r = self.docker("run", "-d", *SMALL, "-e", "affinity:container!=c*",
                        "busybox", "true", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No compute resources available", r.stderr)
        r = self.docker("run", "-d", *SMALL, "-e", "affinity:container==nope",
                        "busybox", "true", check=False)
        self.assertIn("no active containers found", r.stderr)
        self.assertEqual(self.ps(), before)
        self.docker("rm", "-f", "a1", "a2", "a3")

    def test_5_agent_killed(self):
        w = self.where
        victim = w["c2"]
        i = int(victim[-1])
        pid = self.state("c2")["Pid"]
        self.d.stop_one("agent-%d" % i, signal.SIGKILL)
        try:
            r = self.docker("stop", "-t", "1", "c2", check=False)
            self.assertIn("node unavailable", r.stderr)
            r = self.docker("kill", "c2", check=False)
            self.assertIn("node unavailable", r.stderr)
            self.assertTrue(alive(pid), "c2's process kept running")
            self.assertEqual(self.state("c2")["Status"], "running")
            self.assertEqual(self.state("c2")["Pid"], pid)
            # the other nodes' containers unaffected
            self.docker("pause", "c1", "c3")
            self.assertEqual(self.ps(), {"c1": "paused", "c2": "running",
                                         "c3": "paused"})
            self.docker("unpause", "c1", "c3")
            # once its missed heartbeats say so, the node is no candidate
            # (before, a create placed there answers "node unavailable")
            until(victim + " unavailable", lambda: [
                n for n in self.admin_nodes()
                if n["Hostname"] == victim and not n.get("Available")])
            r = self.docker("run", "-d", *SMALL, "-e",
                            "affinity:container==c2", "busybox", "true",
                            check=False)
            self.assertIn("No compute resources available", r.stderr)
        finally:
            self.start_agent(i)
        until(victim + " available again", lambda: [
            n for n in self.admin_nodes()
            if n["Hostname"] == victim and n.get("Available")])
        st = self.state("c2")
        self.assertEqual((st["Status"], st["Pid"]), ("running", pid))
        self.docker("stop", "-t", "1", "c2")
        self.assertEqual(self.state("c2")["Status"], "exited")
        self.docker("start", "c2")

    def test_6_head_restarted_without_zones(self):
        self.docker("stop", "-t", "1", "c1")
        before = self.ps()
        self.assertEqual(before, {"c1": "exited", "c2": "running",
                                  "c3": "running"})
        pid3 = self.state("c3")["Pid"]
        self.d.stop_one("dockerapi")
        # an exit while no head is up: the agent's to tell
        os.kill(pid3, signal.SIGKILL)
        until("c3's process gone", lambda: not alive(pid3))
        self.start_head()
        self.assertNotIn("--zones", " ".join(self.d.procs["dockerapi"].args))
        until("c3 seen exited", lambda: self.ps().get("c3") == "exited")
        self.assertEqual(self.ps(), {"c1": "exited", "c2": "running",
                                     "c3": "exited"})
        self.assertEqual(self.state("c3")["ExitCode"], 137)
        self.assertFalse(os.path.exists(self.head_zones), "head's zones made")
        for n in ("c1", "c3"):
            self.docker("start", n)
        self.assertEqual(self.ps(), {"c1": "running", "c2": "running",
                                     "c3": "running"})
        # the head restarted while a node's agent is down: that node's
        # container is learned once the agent is back
        victim = self.where["c2"]
        i = int(victim[-1])
        pid2 = self.state("c2")["Pid"]
        self.d.stop_one("agent-%d" % i, signal.SIGKILL)
        until(victim + " unavailable", lambda: [
            n for n in self.admin_nodes()
            if n["Hostname"] == victim and not n.get("Available")])
        self.d.stop_one("dockerapi")
        self.start_head()
        r = self.docker("stop", "-t", "1", "c2", check=False)
        self.assertIn("node unavailable", r.stderr)
        self.assertEqual(self.ps()["c1"], "running")
        self.start_agent(i)
        until("c2 learned from its agent", lambda:
              self.state("c2")["Status"] == "running")
        self.assertEqual(self.state("c2")["Pid"], pid2)
        self.docker("kill", "c2")
        r = self.docker("wait", "c2", timeout=30)
        self.assertEqual(r.stdout.strip(), "137")
        self.docker("rm", "-f", "c1", "c2", "c3")
        self.assertEqual(self.ps(), {})
        for i in self.nodes:
            self.assertEqual([f for f in os.listdir(self.zones(i))
                              if len(f) == 36], [], i)

    def test_7_networks_across_nodes(self):
        def ping(name, target):
            return self.execs(name, "ping", "-c", "1", "-W", "1", target)

        self.docker("network", "create", "--subnet",
                    self.d.pool_net(1) + ".0/24", "an")
        self.docker("network", "create", "--subnet",
                    self.d.pool_net(2) + ".0/24", "bn", who="bob")
        web = ("sh", "-c", "echo hi > /tmp/index.html; "
               "exec httpd -f -p 8080 -h /tmp")
        self.docker("run", "-d", "--name", "n1", "-m", "128m", "--network",
                    "an", "busybox", *SERVE)
        self.docker("run", "-d", "--name", "n2", "-m", "128m", "--network",
                    "an", "-p", "8080", "-e", "affinity:container!=n1",
                    "busybox", *web)
        self.docker("run", "-d", "--name", "b1", "-m", "128m", "--network",
                    "bn", "busybox", *SERVE, who="bob")
        js = self.inspect_all("n1", "n2")
        where = {n: j["Node"]["Name"] for n, j in js.items()}
        self.assertNotEqual(where["n1"], where["n2"], where)
        ip = {n: j["NetworkSettings"]["Networks"]["an"]["IPAddress"]
              for n, j in js.items()}
        until("n1 pinging n2's address across nodes",
              lambda: ping("n1", ip["n2"]))
        until("n2 reaching n1 by name", lambda: ping("n2", "n1"))
        self.assertTrue(ping("n1", "n2"), "n1 resolving n2")
        self.assert_bob_reaches_none("b1", (ip["n1"], ip["n2"]), "n1")
        # the published port, on its node's address
        port = self.docker("port", "n2", "8080").stdout.split(":")[-1].strip()
        url = "http://%s:%s/" % (self.addr[int(where["n2"][-1])], port)
        body = until("n2's port on its node's address", lambda: run(
            "curl", "-sf", "-m", "2", url, check=False).stdout)
        self.assertEqual(body.strip(), "hi")
        # in n2's namespace: on n2's node, n2's port its own
        r = self.docker("run", "--name", "j2", "-m", "128m", "--network",
                        "container:n2", "busybox", "wget", "-qO-",
                        "http://127.0.0.1:8080/")
        self.assertEqual(r.stdout.strip(), "hi")
        self.assertEqual(self.node("j2"), where["n2"])
        # the default network on a node other than the head's: out
        # through that node's NAT to the data center's network
        far = "n1" if where["n1"] != "cn-1" else "n2"
        self.docker("run", "-d", "--name", "d1", "-m", "128m",
                    "-e", "affinity:container==" + far, "busybox", *SERVE)
        self.assertEqual(self.node("d1"), where[far])
        until("d1 reaching the head's address from " + where[far],
              lambda: ping("d1", self.head_addr))
        # n2 connected while it runs to a network whose other container
        # is on n1's node: reached by name across nodes; bob's tries
        # through the node path refused; disconnected, out of reach
        self.docker("network", "create", "--subnet",
                    self.d.pool_net(3) + ".0/24", "cn")
        self.docker("run", "-d", "--name", "n3", "-m", "128m", "--network",
                    "cn", "-e", "affinity:container==n1", "busybox", *SERVE)
        self.assertEqual(self.node("n3"), where["n1"])
        self.docker("network", "connect", "cn", "n2")
        until("n3 reaching n2 by name on the network connected",
              lambda: ping("n3", "n2"))
        r = self.docker("network", "connect", "bn", "n2", who="bob",
                        check=False)
        self.assertIn("No such container", r.stderr)
        r = self.docker("network", "connect", "cn", "b1", who="bob",
                        check=False)
        self.assertIn("not found", r.stderr)
        self.docker("network", "disconnect", "cn", "n2")
        until("n2 out of n3's reach", lambda: not ping("n3", "n2"))
        # an exec in a container joined to n2's namespace, on n2's node
        self.docker("run", "-d", "--name", "j3", "-m", "128m", "--network",
                    "container:n2", "busybox", *SERVE)
        r = self.docker("exec", "j3", "wget", "-qO-", "http://127.0.0.1:8080/")
        self.assertEqual(r.stdout.strip(), "hi")
        # j2's output replayed by an attach with logs, from its node
        got = self.d.dockerpy(self.certs["alice"]).api.attach(
            self.inspect("j2")["Id"], stdout=True, stderr=False,
            stream=False, logs=True)
        self.assertEqual(got.strip(), b"hi")
        self.docker("rm", "-f", "j2", "j3", "n1", "n2", "n3", "d1")
        self.docker("rm", "-f", "b1", who="bob")
        self.docker("network", "rm", "an")
        self.docker("network", "rm", "bn", who="bob")
        self.docker("network", "rm", "cn")

    def test_8_build_run_on_nodes(self):
        """A build's RUN steps placed on the nodes as containers are,
        each run by its node's agent (made, started with its output
        relayed, its layer read, removed: that agent's log), the image
        running as built."""
        ctx = os.path.join(self.d.tmp, "ctx8")
        os.makedirs(ctx)
        steps = 3
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write("FROM busybox\n" + "".join(
                "RUN echo step-%d-ran && echo %d > /s%d\n" % (i, i, i)
                for i in range(steps)))
        env = dict(self.d.docker_env(self.certs["alice"]), DOCKER_BUILDKIT="0")
        r = subprocess.run(["docker", "build", "--network", "none", "-t",
                            "built8", ctx], env=env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr +
                         self.d.log("dockerapi")[-3000:])
        ran = [l.split()[-1] for l in r.stdout.splitlines()
               if " ---> Running in " in l]
        self.assertEqual(len(ran), steps, r.stdout)
        for i in range(steps):
            self.assertIn("step-%d-ran" % i, r.stdout)
        logs = {i: self.d.log("agent-%d" % i) for i in self.nodes}
        seen = set()
        for short in ran:
            made = [(i, m.group(1)) for i, log in logs.items()
                    for m in re.finditer(r"container ([0-9a-f-]{36}): created",
                                         log)
                    if m.group(1).replace("-", "").startswith(short)]
            self.assertEqual(len(made), 1, "RUN %s: %s" % (short, made))
            i, u = made[0]
            seen.add(i)
            for what in ("start relayed to the head", "layer"):
                self.assertIn("container %s: %s" % (u, what), logs[i])
        print("RUN steps on nodes %s" % sorted(seen), file=sys.stderr)
        out = self.docker("run", "--rm", *SMALL, "built8", "cat", "/s0", "/s1",
                          "/s2").stdout.split()
        self.assertEqual(out, ["0", "1", "2"])
        self.docker("rmi", "built8")

if __name__ == "__main__":
    unittest.main(verbosity=2, failfast=True)
