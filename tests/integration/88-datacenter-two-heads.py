#!/usr/bin/env python3
"""The data center as one Docker host through two heads, and its faults,
one at a time.

Three compute nodes (each a network namespace with its own agent and
zones root, joined by a bridge standing for the data center's network),
heads a and b (dockerapi, in the root namespace, on one store) and one
sapi on one throw-away PostgreSQL 15: 88-datacenter-common's, set up
once for all the checks below.  With the real docker CLI, as alice and
bob.  (The checks through head a alone are 88-datacenter-one-head.py's,
on a data center of their own, so that the two run side by side.)

- containers spread over the three nodes; ps, inspect, network ls,
  images and events through either head give the same answer;
- two of alice's containers on different nodes reach each other by
  name; bob's container reaches neither, nor resolves them;
- affinity honoured (==, !=) and refused when no node can meet it;
- head a killed (SIGKILL) with creates in flight on it: b serves
  everything, nothing lost, no container stopped, each create in flight
  ends whole (one container on one node, inspectable) or not at all (no
  folder left on any node); a started again agrees with b;
- an agent killed (SIGKILL): its container keeps running, operations on
  it answer "node unavailable" through both heads, the other nodes'
  containers are unaffected, and once the agent is back both heads show
  it as before and operate on it;
- PostgreSQL stopped and started, then its postmaster killed with
  SIGKILL and started again: the same head and agent processes go on
  (ps, run, an exit made while the store was away reported through both
  heads, with its die event); a request meanwhile is told to try again
  (503), not that its key is unknown, and a connection whose handshake
  came meanwhile is served once the store is back;
- the events head a made while PostgreSQL was stopped (every request is
  refused then, but a detach, an exec's end and an attached run's exit
  through a still happen) reach alice's `docker events` through b, live
  and with --since, once each, in order, with their own times; bob's
  sees none of them;
- a stop through b whose exit a took is answered, not left waiting.
"""
import http.client
import importlib
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
dc = importlib.import_module("88-datacenter-common")
sdctest = dc.sdctest
run, until, alive = dc.run, dc.until, dc.alive
SMALL, SERVE = dc.SMALL, dc.SERVE
# all of ps but the status's "Up N seconds" (a second may pass between)
PS = ("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Image}} {{.Command}}"
      " {{.CreatedAt}} {{.State}} {{.Ports}} {{.Names}} {{.Labels}}"
      " {{.Mounts}} {{.Networks}} {{.Size}}")


def flat(v, key=""):
    """{"a.b.0": leaf} of a JSON value: differences named by their path."""
    if isinstance(v, dict):
        items = v.items()
    elif isinstance(v, list):
        items = enumerate(v)
    else:
        return {key: v}
    out = {}
    for k, x in items:
        out.update(flat(x, "%s.%s" % (key, k) if key else str(k)))
    return out


class Follow:
    """`docker events` left running: its messages, as they come."""

    def __init__(self, env, *args):
        self.p = subprocess.Popen(
            ["docker", "events", "--format", "{{json .}}", *args], env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        self.got = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.got.append(json.loads(line))

    def has(self, action, cid):
        return [m for m in list(self.got)
                if m["Action"] == action and m["id"] == cid]

    def since(self, ns):
        return [(m["Action"], m["id"], m["timeNano"]) for m in list(self.got)
                if m["timeNano"] >= ns]

    def end(self):
        self.p.kill()
        self.p.wait()
        self.p.stdout.close()


def find_pid(text):
    """The pid of the one process whose command line is text."""
    for p in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if f.read().replace(b"\0", b" ").strip() == text.encode():
                    return int(p)
        except (OSError, ValueError):
            pass
    return None

class DataCenterTwoHeads(dc.DataCenterBase):
    # the checks in order (one setup for all): c1, c2 and c3, made by
    # the first, are the later ones' containers


    def test_a_spread_through_both_heads(self):
        # made through a and b in turn
        for n, h in (("c1", "a"), ("c2", "b"), ("c3", "a")):
            self.docker("run", "-d", "--name", n, *SMALL, "busybox", *SERVE,
                    head=h)
        self.docker("run", "-d", "--name", "bc", *SMALL, "busybox", *SERVE,
                head="b", who="bob")
        js = self.inspect_all("c1", "c2", "c3")
        where = {n: j["Node"]["Name"] for n, j in js.items()}
        self.assertEqual(sorted(where.values()), ["cn-1", "cn-2", "cn-3"],
                         where)
        type(self).where = where
        type(self).pids = {n: j["State"]["Pid"] for n, j in js.items()}
        # the same answers through either head
        self.same(*PS)
        self.same(*PS, who="bob")
        self.assertEqual(sorted(self.ps_on("b")), ["c1", "c2", "c3"])
        self.assertEqual(sorted(self.ps_on("a", who="bob")), ["bc"])
        a, b = (flat(json.loads(x)) for x in self.both("inspect", "c1", "c2",
                                                        "c3"))
        # the node's paths too, whatever each head's own --zones
        self.assertEqual({k: (a.get(k), b.get(k)) for k in set(a) | set(b)
                          if a.get(k) != b.get(k)}, {}, "inspect: a, b")
        self.same("network", "ls", "--no-trunc")
        self.same("images", "--no-trunc", "--digests", "--format",
                  "{{.Repository}} {{.Tag}} {{.Digest}} {{.ID}} {{.CreatedAt}}"
                  " {{.Size}}")
        cid = js["c2"]["Id"]
        since = int(self.t0) - 1
        ev = [self.events(cid, since, h) for h in "ab"]
        self.assertEqual(ev[0], ev[1])
        self.assertEqual(ev[0][-2:], ["create", "start"], ev)

    def test_b_names_across_nodes(self):
        ok = self.execs
        self.docker("network", "create", "--subnet",
                self.d.pool_net(1) + ".0/24", "an")
        self.docker("network", "create", "--subnet",
                self.d.pool_net(2) + ".0/24", "bn", who="bob", head="b")
        self.docker("run", "-d", "--name", "n1", "-m", "128m", "--network", "an",
                "busybox", *SERVE)
        self.docker("run", "-d", "--name", "n2", "-m", "128m", "--network", "an",
                "-e", "affinity:container!=n1", "busybox", *SERVE, head="b")
        self.docker("run", "-d", "--name", "b1", "-m", "128m", "--network", "bn",
                "busybox", *SERVE, who="bob")
        js = self.inspect_all("n1", "n2")
        self.assertNotEqual(js["n1"]["Node"]["Name"],
                            js["n2"]["Node"]["Name"])
        ip = {n: j["NetworkSettings"]["Networks"]["an"]["IPAddress"]
              for n, j in js.items()}
        ping = ("ping", "-c", "1", "-W", "1")
        until("n1 reaching n2 by name", lambda: ok("n1", *ping, "n2"))
        self.assertTrue(ok("n2", *ping, "n1"), "n2 reaching n1 by name")
        self.assert_bob_reaches_none("b1", (ip["n1"], ip["n2"]), "n1")
        self.docker("rm", "-f", "n1", "n2", head="b")
        self.docker("rm", "-f", "b1", who="bob")
        self.docker("network", "rm", "an")
        self.docker("network", "rm", "bn", who="bob")

    def test_c_affinity(self):
        w = self.where
        self.docker("run", "-d", "--name", "a1", *SMALL,
                "-e", "affinity:container==c2", "busybox", *SERVE, head="b")
        self.assertEqual(self.node("a1"), w["c2"])
        self.docker("run", "-d", "--name", "a2", *SMALL, "--label",
                'com.docker.swarm.affinities=["container!=c1",'
                '"container!=c2"]', "busybox", *SERVE)
        self.assertEqual(self.node("a2"), w["c3"])
        before = self.ps_on("a")
        for h in "ab":
            r = self.docker("run", "-d", *SMALL, "-e", "affinity:container!=c*",
                        "busybox", "true", head=h, check=False)
            self.assertIn("No compute resources available", r.stderr)
        self.assertEqual(self.ps_on("b"), before)
        self.docker("rm", "-f", "a1", "a2")

    def test_d_head_killed(self):
        before = self.ps_on("b")
        known = set(self.zones_made())
        names = ["f%d" % i for i in range(4)]
        flying = [subprocess.Popen(
            ["docker", "run", "-d", "--name", n, *SMALL, "busybox", *SERVE],
            env=self.d.docker_env(self.certs["alice"]),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for n in names]
        # the first of them reaches its node: head a dies
        until("a create reaching a node",
              lambda: set(self.zones_made()) - known, timeout=30)
        self.d.stop_one("dockerapi", signal.SIGKILL)
        for p in flying:
            p.communicate(timeout=60)
        # nothing lost, nothing stopped
        after = self.ps_on("b")
        for n, st in before.items():
            self.assertEqual(after.get(n), st, n)
        for n, pid in self.pids.items():
            self.assertTrue(alive(pid), n)
        # each create in flight whole on one node, or nowhere
        def whole():
            made = self.zones_made()
            ps = self.ps_on("b")
            mine = {self.uuid_of(n): n for n in names if n in ps}
            extra = set(made) - known - set(mine)
            return (made, mine) if not extra and set(mine) <= set(made) \
                else None
        made, mine = until("each create in flight whole or gone", whole,
                           timeout=20)
        for u, n in mine.items():
            j = self.docker("inspect", n, head="b")
            self.assertEqual(json.loads(j.stdout)[0]["Node"]["Name"],
                             "cn-%d" % made[u], n)
        # b serves everything: a run, an exec, a stop, on any node
        self.docker("run", "-d", "--name", "after", *SMALL,
                "-e", "affinity:container==c1", "busybox", *SERVE, head="b")
        for n in ("c1", "c2", "c3"):
            self.assertEqual(self.docker("exec", n, "echo", "in", head="b")
                             .stdout.strip(), "in")
        # a again: the same answers as b (also of a create in flight
        # whose start a asked for: b learns it runs from its node's log)
        self.start_head()
        self.assertEqual(self.ps_on("a"), self.ps_on("b"))
        self.docker("rm", "-f", "after", *[n for n in names if n in
                                       self.ps_on("a")])
        for n, pid in self.pids.items():
            self.assertTrue(alive(pid), n)

    def test_e_agent_killed(self):
        w = self.where
        victim = w["c2"]
        i = int(victim[-1])
        pid = self.pids["c2"]
        self.d.stop_one("agent-%d" % i, signal.SIGKILL)
        try:
            for h in "ab":
                for op in (("stop", "-t", "1"), ("kill",), ("pause",)):
                    r = self.docker(*op, "c2", head=h, check=False)
                    self.assertIn("node unavailable", r.stderr, (h, op))
                self.assertEqual(self.ps_on(h)["c2"], "running")
            self.assertTrue(alive(pid), "c2's process kept running")
            # the other nodes: through both heads
            self.docker("pause", "c1")
            self.docker("pause", "c3", head="b")
            for h in "ab":
                ps = self.ps_on(h)
                self.assertEqual((ps["c1"], ps["c2"], ps["c3"]),
                                 ("paused", "running", "paused"))
            self.docker("unpause", "c1", head="b")
            self.docker("unpause", "c3")
        finally:
            self.start_agent(i)
        until(victim + " available again", lambda: [
            n for n in self.admin_nodes()
            if n["Hostname"] == victim and n.get("Available")])
        for h in "ab":
            st = json.loads(self.docker("inspect", "c2", head=h).stdout)[0]
            self.assertEqual((st["State"]["Status"], st["State"]["Pid"]),
                             ("running", pid), h)
        self.docker("stop", "-t", "1", "c2", head="b")
        self.assertEqual(self.ps_on("a")["c2"], "exited")
        self.docker("start", "c2")
        type(self).pids["c2"] = self.state("c2")["Pid"]

    def pg_away_and_back(self, away, back):
        """The store gone (away()) while c3's process is killed, then back
        (back()): the same processes go on, and report the exit."""
        procs = self.procs_pids()
        cid = self.inspect("c3")["Id"]
        since = int(time.time()) - 1
        away()
        kept = self.kept_connection()
        self.refused_meanwhile(kept)
        os.kill(self.pids["c3"], signal.SIGKILL)
        until("c3's process gone", lambda: not alive(self.pids["c3"]))
        back()
        # the certificate of a handshake made while the store was away is
        # checked again at the connection's next request
        until("alice's kept connection served", lambda:
              self.kept_get(kept)[0] == 200)
        kept.close()
        for h in "ab":
            until("c3's exit through " + h, lambda: self.ps_on(h).get("c3")
                  == "exited", timeout=30)
        self.assertEqual(self.state("c3")["ExitCode"], 137)
        # one die, through both: the claiming head's, and the other's
        # copy even if it came before that head listened again
        for h in "ab":
            self.assertEqual(self.events(cid, since, h).count("die"), 1, h)
        for h, n in (("a", "p1"), ("b", "p2")):
            self.docker("run", "-d", "--name", n, *SMALL, "busybox", *SERVE,
                    head=h)
        r = self.docker("run", "--rm", *SMALL, "-e", "affinity:container==c1",
                    "busybox", "sh", "-c", "exit 4", head="b", check=False)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertEqual(self.ps_on("a"), self.ps_on("b"))
        self.docker("rm", "-f", "p1", "p2")
        self.docker("start", "c3", head="b")
        type(self).pids["c3"] = self.state("c3")["Pid"]
        self.assertEqual(self.procs_pids(), procs, "a daemon restarted")

    def kept_connection(self):
        """A connection of alice's to head a, kept alive across
        requests, its handshake made now."""
        ctx = ssl.create_default_context(cafile=os.path.join(
            self.data, "tls", "ca.pem"))
        ctx.load_cert_chain(os.path.join(self.certs["alice"], "cert.pem"),
                            os.path.join(self.certs["alice"], "key.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.d.docker_port,
                                           context=ctx, timeout=30)
        conn.connect()
        return conn

    @staticmethod
    def kept_get(conn):
        conn.request("GET", "/v1.24/containers/json")
        r = conn.getresponse()
        return r.status, r.read().decode()

    def refused_meanwhile(self, kept):
        """While the store is away a request is told to try again (503),
        not that its key is not registered (401): through a new
        connection to either head, and through one whose handshake came
        meanwhile."""
        for h in "ab":
            r = self.docker("ps", head=h, check=False)
            self.assertNotEqual(r.returncode, 0, h)
            self.assertIn("try again", r.stderr, h)
            self.assertNotIn("Unauthorized", r.stderr, h)
        status, body = self.kept_get(kept)
        self.assertEqual(status, 503, body)
        self.assertIn("try again", body)

    def late_events(self):
        """Events head a makes while the store is away, none of them a
        request (those are refused meanwhile): a detach and an exec's end;
        and an attached run's exit, told to its client at once, and
        reacted to (its die) by one head once the store is back.  A
        generator: set up, then (next) made once the store is away, then
        (next) checked once it is back: alice's clients of b, live and
        --since, have a's events, once each, in order, with their own
        times, and one die; bob's none of them."""
        env = {h: self.d.docker_env(self.certs["alice"]) for h in "ab"}
        env["b"]["DOCKER_HOST"] = "tcp://127.0.0.1:%d" % self.b_port
        bob = self.d.docker_env(self.certs["bob"])
        bob["DOCKER_HOST"] = env["b"]["DOCKER_HOST"]
        sleeps = ["sleep %d" % (os.getpid() % 100000 + 7000 + i)
                  for i in (0, 1)]
        ours = ("--filter", "container=ev", "--filter", "container=ew")
        fa, fb = Follow(env["a"], *ours), Follow(env["b"], *ours)
        fbob = Follow(bob)
        self.docker("run", "-d", "-i", "--name", "ev", *SMALL, "busybox", "cat")
        cid = self.inspect("ev")["Id"]
        until("alice's clients following",
              lambda: fa.has("start", cid) and fb.has("start", cid))
        procs = [subprocess.Popen(
            ["docker", *cmd], env=env["a"], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for cmd in (("attach", "--detach-keys", "ctrl-x", "ev"),
                        ("exec", "ev", *sleeps[0].split()),
                        ("run", "--name", "ew", *SMALL, "busybox",
                         *sleeps[1].split()))]
        # ew's process may run before its start event reaches fa
        def ew_started():
            return [m["id"] for m in list(fa.got) if m["Action"] == "start"
                    and m["id"] != cid]
        until("attached, exec'd and run through a", lambda:
              fa.has("attach", cid) and all(map(find_pid, sleeps)) and
              ew_started())
        wid = ew_started()[0]
        t = time.time_ns()
        yield
        procs[0].stdin.write(b"\x18")
        procs[0].stdin.flush()
        for cmd in sleeps:
            os.kill(find_pid(cmd), signal.SIGKILL)
        made = until("the detach and exec_die made by a", lambda:
                     fa.has("detach", cid) and fa.has("exec_die", cid) and
                     fa.since(t))
        until("the run's exit told to its client",
              lambda: procs[2].poll() is not None)
        self.assertEqual(procs[2].returncode, 137)
        yield
        procs[0].kill()     # detached, it waits for ev's exit, as docker's
        for p in procs:
            p.communicate(timeout=30)
        until("ew's die and a's events through b", lambda:
              fa.has("die", wid) and len(fb.since(t)) >= len(fa.since(t)))
        since = self.docker("events", "--since", "%.9f" % (t / 1e9), "--until",
                        "%.9f" % time.time(), "--format", "{{json .}}",
                        *ours, head="b").stdout.splitlines()
        since = [(m["Action"], m["id"], m["timeNano"])
                 for m in map(json.loads, since)]
        got, mine = fa.since(t), fb.since(t)
        # a send made again after its outcome was unknown: its row twice
        # (the copy's notification after the original); b skips the copy
        pg = sdctest.postgres()
        pg.psql("WITH e AS (INSERT INTO head_events (origin, payload, at) "
                "SELECT origin, payload, at FROM head_events WHERE payload "
                "LIKE '%exec_die%' ORDER BY seq DESC LIMIT 1 RETURNING seq, "
                "payload) SELECT pg_notify('dockerapi_events', e.seq::text "
                "|| chr(10) || e.payload) FROM e",
                db=sdctest.store_db(self.data))
        self.docker("rm", "-f", "ev", "ew")
        until("ev's destroy through b", lambda: fb.has("destroy", cid))
        for f in (fa, fb, fbob):
            f.end()
        self.assertEqual(len(fb.has("exec_die", cid)), 1, "the copy skipped")
        self.assertEqual(got[:len(made)], made)
        self.assertEqual([a for a, i, _ in got if i == wid], ["die"])
        # live: what a made in the order made (b's own die may come
        # first); --since: all in the order of their times
        self.assertEqual(sorted(mine), sorted(got), "b's live client")
        self.assertEqual([e for e in mine if e in made], made)
        self.assertEqual(since, got, "b's --since client")
        self.assertEqual([m for m in fbob.got if m["id"] in (cid, wid)], [])

    def test_f_postgres_restarted(self):
        pg = sdctest.postgres()
        late = self.late_events()
        next(late)
        self.pg_away_and_back(lambda: (pg._pgtmp("stop"), next(late)),
                              lambda: pg._pgtmp("start"))
        next(late, None)

    def test_g_postmaster_killed(self):
        pg = sdctest.postgres()
        pidfile = os.path.join(pg.dir, "pg", "data", "postmaster.pid")

        def away():
            with open(pidfile) as f:
                pid = int(f.readline())
            os.kill(pid, signal.SIGKILL)
            until("the postmaster gone", lambda: not alive(pid))

        def back():
            # refused while its orphaned backends still hold its memory
            def started():
                try:
                    pg._pgtmp("start")
                    return True
                except RuntimeError:
                    return False
            until("PostgreSQL started again", started)

        self.pg_away_and_back(away, back)

    def test_h_stop_exit_taken_by_the_other_head(self):
        """A stop through b whose exit a took (b frozen while it came) is
        answered once b hears of it from the node, not left waiting."""
        self.docker("run", "-d", "--name", "late", *SMALL, "busybox", "sh",
                "-c", "trap 'sleep 2; exit 3' TERM; echo trapped; "
                "while :; do sleep 0.1; done")
        cid = self.inspect("late")["Id"]
        # sh as pid 1 ignores a SIGTERM that comes before its trap
        until("late's trap set", lambda: "trapped" in self.docker(
            "logs", "late").stdout)
        since = int(time.time()) - 1
        env = self.d.docker_env(self.certs["alice"])
        env["DOCKER_HOST"] = "tcp://127.0.0.1:%d" % self.b_port
        stop = subprocess.Popen(["docker", "stop", "-t", "30", "late"],
                                env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        b = self.d.procs["dockerapi-b"].pid
        try:
            until("the stop's SIGTERM sent by b",
                  lambda: "kill" in self.events(cid, since, "a"))
            os.kill(b, signal.SIGSTOP)
            try:
                until("late's exit through a", lambda:
                      self.ps_on("a").get("late") == "exited")
            finally:
                os.kill(b, signal.SIGCONT)
            try:
                out, errs = stop.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                self.dump()
                raise
            self.assertEqual(stop.returncode, 0, errs)
        finally:
            if stop.poll() is None:
                stop.kill()
                stop.wait()
        self.assertEqual(self.ps_on("b")["late"], "exited")
        self.assertEqual(self.state("late")["ExitCode"], 3)
        self.docker("rm", "late")


if __name__ == "__main__":
    unittest.main(verbosity=2, failfast=True)
