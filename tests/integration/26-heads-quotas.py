#!/usr/bin/env python3
"""Account quotas hold across heads.

Two dockerapi heads on one PostgreSQL store and one node agent (as
26-heads-postgres and 25-nodes-create have them), the containers made by
the agent, so that a create is in flight for a while after its check.
A tenant that spreads its creates over both heads at once gets no more
than its quota:

- alice, with room for 3 containers, sends 12 creates at once, half
  through each head: exactly 3 are made, every other one is refused with
  the quota's message, and both heads list the same 3; bob's creates at
  the same moment are all made;
- a head killed (SIGKILL) in the middle of a create, its node not yet
  answering: the create's claim counts at first on the other head (alice
  is at her quota), and no longer once the dead head stops vouching for
  it, so the room comes back within seconds, not never;
- two imports at once, one through each head, each within what alice
  has left of her image bytes but not both: one recorded, one refused.

Volumes and networks are not counted per account (a volume's bytes are
capped by the kernel: the account's filesystem); see
docs/architecture.md "Several heads".
"""
import importlib
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "postgres"
import sdctest  # noqa: E402

nodes_common = importlib.import_module("37-nodes-common")

QUOTA = 3
TRIES = 12


class HeadsQuotas(nodes_common.NodesBase):
    TENANTS = ("alice", "bob")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bob = cls.certs["bob"]
        cls.zones = os.path.join(cls.d.tmp, "zones")
        cls.b_port = sdctest.free_port()
        cls.b_admin = os.path.join(cls.d.tmp, "admin-b.sock")
        cls.start_b()

    @classmethod
    def start_b(cls):
        cls.d.start_other_head("dockerapi-b", cls.b_port, cls.b_admin,
                               extra=("--agent-url", "https://127.0.0.1:%d"
                                      % cls.agent_port, "--agent-cert-path",
                                      cls.head_certs))

    def env(self, head, certs):
        env = self.d.docker_env(certs)
        if head == "b":
            env["DOCKER_HOST"] = "tcp://127.0.0.1:%d" % self.b_port
        return env

    def docker_on(self, head, certs, *args, timeout=60):
        return subprocess.run(["docker"] + list(args),
                              env=self.env(head, certs), capture_output=True,
                              text=True, timeout=timeout, input="")

    def names(self, head, certs):
        r = self.docker_on(head, certs, "ps", "-a", "--format", "{{.Names}}")
        self.assertEqual(r.returncode, 0, r.stderr)
        return sorted(r.stdout.split())

    def set_quota(self, login, n):
        st, q = self.d.admin("PUT", "/accounts/%s/quota" % login,
                             {"containers": n})
        self.assertEqual(st, 200, q)

    def remove(self, certs):
        ids = self.docker_on("b", certs, "ps", "-aq").stdout.split()
        if ids:
            self.docker_on("b", certs, "rm", "-f", *ids, timeout=120)

    def agent(self, method, path):
        """The agent's API with the head's certificate: the status."""
        ctx = ssl.create_default_context(
            cafile=os.path.join(self.agent_dir, "tls", "ca.pem"))
        ctx.load_cert_chain(os.path.join(self.head_certs, "cert.pem"),
                            os.path.join(self.head_certs, "key.pem"))
        rq = urllib.request.Request("https://127.0.0.1:%d%s" % (
            self.agent_port, path), method=method)
        try:
            with urllib.request.urlopen(rq, context=ctx, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def claims(self):
        return self.d.store_rows("dockerapi", "SELECT id, origin FROM "
                                 "quota_claims")

    @classmethod
    def tearDownClass(cls):
        # the heads go before the agent they call
        cls.d.stop_one("dockerapi-b")
        super().tearDownClass()

    # --- the checks ---

    def test_1_spread_over_heads(self):
        self.wait_available(True)
        self.import_image()
        self.set_quota("alice", QUOTA)
        results = {}

        def create(login, certs, i):
            head = "ab"[i % 2]
            results[(login, i)] = self.docker_on(
                head, certs, "create", "--name", "%s%d" % (login, i),
                "tiny:1", "/bin/busybox", "true", timeout=120)

        threads = [threading.Thread(target=create, args=("alice", self.alice, i))
                   for i in range(TRIES)]
        threads += [threading.Thread(target=create, args=("bob", self.bob, i))
                    for i in range(2)] if self.bob_image() else []
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join(180)
            made = [k for k, r in results.items() if k[0] == "alice" and
                    r.returncode == 0]
            refused = [r for k, r in results.items() if k[0] == "alice" and
                       r.returncode != 0]
            self.assertEqual(len(made), QUOTA, {k: (r.returncode, r.stderr)
                                                for k, r in results.items()})
            for r in refused:
                self.assertIn("quota exceeded: this account may have at most "
                              "%d containers (quota containers)" % QUOTA,
                              r.stderr)
            want = sorted("alice%d" % k[1] for k in made)
            self.assertEqual(self.names("a", self.alice), want)
            self.assertEqual(self.names("b", self.alice), want)
            # bob, with no quota of his own, made both of his
            for i in range(2):
                r = results[("bob", i)]
                self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.names("b", self.bob), ["bob0", "bob1"])
            # nothing left claimed once the creates are done
            self.assertEqual(self.claims(), [])
            # full: one more through either head is refused
            for head in "ab":
                r = self.docker_on(head, self.alice, "create", "tiny:1",
                                   "/bin/busybox", "true")
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("quota exceeded", r.stderr)
        finally:
            self.set_quota("alice", None)
            self.remove(self.alice)
            self.remove(self.bob)

    def bob_image(self):
        """tiny:1 for bob too (import, as alice's)."""
        import io
        import tarfile
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            t.add("/bin/busybox", arcname="bin/busybox")
        r = subprocess.run(["docker", "import", "-", "tiny:1"],
                           env=self.env("b", self.bob), input=raw.getvalue(),
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return True

    def test_2_image_bytes(self):
        """Two imports at once, one through each head, each within what
        alice has left of her image bytes but not both: one is recorded,
        the other refused with the quota's message."""
        import io
        import tarfile
        self.import_image()
        st, q = self.d.admin("GET", "/accounts/alice/quota")
        self.assertEqual(st, 200, q)
        used = q["image_bytes"]["used"]
        mib = 1024 * 1024
        st, q = self.d.admin("PUT", "/accounts/alice/quota",
                             {"image_bytes": used + mib * 3 // 2})
        self.assertEqual(st, 200, q)
        tars = []
        for i in range(2):
            raw = io.BytesIO()
            with tarfile.open(fileobj=raw, mode="w") as t:
                data = os.urandom(mib)
                info = tarfile.TarInfo("blob%d" % i)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            tars.append(raw.getvalue())
        results = {}

        def imp(i):
            results[i] = subprocess.run(
                ["docker", "import", "-", "big:%d" % i],
                env=self.env("ab"[i], self.alice), input=tars[i],
                capture_output=True, timeout=120)
        try:
            threads = [threading.Thread(target=imp, args=(i,)) for i in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(180)
            ok = [i for i in results if results[i].returncode == 0]
            self.assertEqual(len(ok), 1, {i: results[i].stderr for i in results})
            other = results[1 - ok[0]]
            self.assertIn(b"image store quota exceeded", other.stderr)
            r = self.docker_on("b", self.alice, "images", "--format",
                               "{{.Repository}}")
            self.assertEqual(sorted(x for x in r.stdout.split()
                                    if x == "big"), ["big"])
        finally:
            self.d.admin("PUT", "/accounts/alice/quota", {"image_bytes": None})
            for i in (0, 1):
                self.docker_on("a", self.alice, "rmi", "big:%d" % i)

    def test_3_head_killed_mid_create(self):
        self.wait_available(True)
        self.import_image()
        self.set_quota("alice", 1)
        agent = self.d.pid("agent")
        head_a = self.d.procs["dockerapi"]
        p = None
        try:
            # the node stops answering but looks alive: a's create waits
            # for it (a second, the connection's limit) with its claim
            # made; a is killed in that second, as soon as the claim is
            # seen (a loop in the store, started before the create)
            os.kill(agent, signal.SIGSTOP)
            self.d.store_rows("dockerapi", "UPDATE nodes SET "
                              "last_heartbeat_ms = ?",
                              (int(time.time() * 1000) + 600000,))
            uri = sdctest.postgres().uri(sdctest.store_db(
                os.path.join(self.d.tmp, "dockerapi")))
            watch = subprocess.Popen([
                "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", uri, "-c",
                "DO $$ BEGIN LOOP EXIT WHEN EXISTS (SELECT 1 FROM "
                "quota_claims); PERFORM pg_sleep(0.002); END LOOP; END $$"])
            p = subprocess.Popen(["docker", "create", "--name", "inflight",
                                  "tiny:1", "/bin/busybox", "true"],
                                 env=self.env("a", self.alice),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            watch.wait(timeout=60)
            head_a.send_signal(signal.SIGKILL)
            head_a.wait()
            killed = time.monotonic()
            claims = self.claims()
            self.assertEqual(len(claims), 1, "the create ended before a was "
                             "killed: %s" % self.d.log("dockerapi")[-1500:])
            uuid = claims[0][0]
            os.kill(agent, signal.SIGCONT)
            # the dead head's create still counts on b for a while ...
            r = self.docker_on("b", self.alice, "create", "--name", "after",
                               "tiny:1", "/bin/busybox", "true")
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn("quota exceeded", r.stderr)
            # ... then its room comes back
            while True:
                r = self.docker_on("b", self.alice, "create", "--name",
                                   "after", "tiny:1", "/bin/busybox", "true")
                if r.returncode == 0:
                    break
                self.assertIn("quota exceeded", r.stderr)
                self.assertLess(time.monotonic() - killed, 25,
                                "the dead head's claim still counts")
                time.sleep(0.5)
            # the stale row, if not yet deleted, is the dead head's only
            self.assertIn(self.claims(), ([], claims))
            self.assertEqual(self.names("b", self.alice), ["after"])
            # the node's half of the dead head's create, if it made it
            self.agent("DELETE", "/v1/containers/%s?force=1" % uuid)
        finally:
            try:
                os.kill(agent, signal.SIGCONT)
            except ProcessLookupError:
                pass
            if p is not None:
                p.communicate(timeout=60)
            if head_a.poll() is not None:
                # the last test: b serves what is left of it
                self.d.admin_socket = self.b_admin
            self.set_quota("alice", None)
            self.remove(self.alice)


if __name__ == "__main__":
    unittest.main(verbosity=2)
