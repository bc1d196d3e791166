#!/usr/bin/env python3
"""`docker events` across dockerapi processes on one PostgreSQL store: two
dockerapi processes (heads) share the store, the TLS identity and the
accounts; what a container does through one head (create, start, die,
destroy) is streamed by `docker events` through the other within seconds
(one with labels past PostgreSQL's payload limit, without its labels),
to the account's own stream only (bob's shows none of alice's), and kept
in the other head's history (`--since`).  After PostgreSQL restarts
underneath, the listening head hears again by itself.  (On SQLite nothing
of this runs; the events tests of one daemon cover it.)"""
import importlib
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "postgres"
import sdctest  # noqa: E402

common = importlib.import_module("76-containers-common")


class Stream:
    """`docker events --format {{json .}}` of an account through a head,
    its lines gathered by a thread."""

    def __init__(self, env, *args):
        # --since: an event the head published before the stream was
        # subscribed comes from its history, so no event is raced
        self.p = subprocess.Popen(["docker", "events", "--format", "{{json .}}",
                                   "--since", str(int(time.time()) - 1)]
                                  + list(args), env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        self.q = queue.Queue()
        self.got = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.q.put(json.loads(line))

    def until(self, check, timeout=15):
        """The events seen, once check(events) holds (or the time is out)."""
        end = time.time() + timeout
        while not check(self.got) and time.time() < end:
            try:
                self.got.append(self.q.get(timeout=0.2))
            except queue.Empty:
                pass
        return self.got

    def stop(self):
        self.p.kill()
        self.p.wait()
        self.p.stdout.close()
        self.p.stderr.close()


def actions(events, cid):
    return [e.get("Action") or e.get("status") for e in events
            if e.get("id") == cid or e.get("Actor", {}).get("ID") == cid]


class EventsAcrossHeads(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.d
        # head b: its own data dir, ports, admin socket and zones; the same
        # store and the same TLS identity (heads behind one endpoint)
        b_dir = os.path.join(d.tmp, "dockerapi-b")
        os.makedirs(b_dir, mode=0o700)
        shutil.copytree(os.path.join(d.tmp, "dockerapi", "tls"),
                        os.path.join(b_dir, "tls"))
        cls.b_port = sdctest.free_port()
        b_cloud = sdctest.free_port()
        b_admin = os.path.join(d.tmp, "admin-b.sock")
        uri = sdctest.postgres().uri(sdctest.store_db(os.path.join(d.tmp,
                                                                   "dockerapi")))
        d._spawn("dockerapi-b", [
            os.path.join(sdctest.BIN, "dockerapi"), "--data-dir", b_dir,
            "--sapi-url", d.sapi_url,
            "--listen", "127.0.0.1:%d" % cls.b_port,
            "--cloudapi-listen", "127.0.0.1:%d" % b_cloud,
            "--admin-socket", b_admin,
            "--zones", os.path.join(d.tmp, "zones-b"), "--store", uri])
        sdctest.wait_for("dockerapi b", lambda: os.path.exists(b_admin) and
                         sdctest.port_open(cls.b_port))

    def env_b(self, certs):
        env = self.d.docker_env(certs)
        env["DOCKER_HOST"] = "tcp://127.0.0.1:%d" % self.b_port
        return env

    def test_events_reach_the_other_head(self):
        t0 = int(time.time()) - 1
        alice = Stream(self.env_b(self.alice))
        bob = Stream(self.env_b(self.bob))
        try:
            self.ok("run", "--name", "evx", "--label", "side=a", "busybox",
                    "true")
            cid = self.inspect("evx")["Id"]
            self.ok("rm", "evx")
            got = alice.until(lambda ev: "destroy" in actions(ev, cid))
            self.assertEqual([a for a in actions(got, cid)
                              if a in ("create", "start", "die", "destroy")],
                             ["create", "start", "die", "destroy"],
                             "%s\n%s" % (got, self.d.log("dockerapi-b")[-2000:]))
            ev = [e for e in got if e.get("Actor", {}).get("ID") == cid][0]
            self.assertEqual(ev["Actor"]["Attributes"]["name"], "evx")
            self.assertEqual(ev["Actor"]["Attributes"]["side"], "a")
            # an event past PostgreSQL's 8000-byte payload: sent with its
            # name and image, without the labels
            self.ok("create", "--name", "evbig", "--label", "big=" + "x" * 9000,
                    "busybox", "true")
            big = self.inspect("evbig")["Id"]
            got = alice.until(lambda ev: "create" in actions(ev, big))
            ev = [e for e in got if e.get("Actor", {}).get("ID") == big]
            self.assertTrue(ev, self.d.log("dockerapi")[-2000:])
            self.assertEqual(ev[0]["Actor"]["Attributes"]["name"], "evbig")
            self.assertNotIn("big", ev[0]["Actor"]["Attributes"])
            self.ok("rm", "evbig")
            # bob's stream: his own event arrives, none of alice's
            self.ok("create", "--name", "bobx", "busybox", "true", certs=self.bob)
            bid = self.inspect("bobx", certs=self.bob)["Id"]
            got = bob.until(lambda ev: "create" in actions(ev, bid))
            self.assertIn("create", actions(got, bid))
            self.assertEqual(actions(got, cid), [])
            self.assertFalse([e for e in got if "evx" in json.dumps(e)])
        finally:
            alice.stop()
            bob.stop()
        # b's history has them for --since
        r = subprocess.run(["docker", "events", "--since", str(t0), "--until",
                            str(int(time.time()) + 1), "--format", "{{json .}}",
                            "--filter", "container=evx"],
                           env=self.env_b(self.alice), capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        hist = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertIn("destroy", actions(hist, cid))

    def test_z_after_postgres_restarts(self):
        alice = Stream(self.env_b(self.alice))
        try:
            # the stream is up: a's event reached it
            self.ok("create", "--name", "evw", "busybox", "true")
            wid = self.inspect("evw")["Id"]
            self.assertIn("create", actions(alice.until(
                lambda ev: "create" in actions(ev, wid)), wid))
            self.ok("rm", "evw")
            sdctest.postgres().restart()
            sdctest.wait_for("b listening again", lambda: "listening to other "
                             "dockerapi processes' events again" in
                             self.d.log("dockerapi-b"))
            # a's own connection comes back at its next call
            r = self.docker(self.alice, "create", "--name", "evy", "busybox",
                            "true")
            if r.returncode != 0:
                self.ok("create", "--name", "evy", "busybox", "true")
            cid = self.inspect("evy")["Id"]
            got = alice.until(lambda ev: "create" in actions(ev, cid))
            self.assertIn("create", actions(got, cid),
                          self.d.log("dockerapi-b")[-2000:])
            self.ok("rm", "evy")
        finally:
            alice.stop()


if __name__ == "__main__":
    common.main()
