#!/usr/bin/python3
"""Leaks and hangs, as a tenant meets them with the docker CLI:
- runtime errors name no host path (the zones root, the test's temporary
  folder, /proc/<pid>/fd links), only the reason and the container's own
  paths;
- `docker run --rm` whose start fails returns the start error at once and
  leaves no container, as with dockerd;
- an rm the daemon did not finish (killed between marking the container
  as being removed and deleting its row: the mark is written into the
  store while the daemon is down) is finished at the next start, for a
  created and for a running container: no row, folder, mount, cgroup or
  monitor left;
- self-signed client certificates before their notBefore or past their
  notAfter are refused;
- an unknown login and a known login with a key not its own get the same
  401 text;
- the kernel's per-uid key quota (all of an account's containers are one
  host uid, and runc gives each a session keyring) is raised at start, so
  an account is not stopped near 200 containers; never lowered."""
import datetime
import importlib
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")
import sdctest  # noqa: E402


class Leaks(common.ContainersTest):
    def assert_no_host_path(self, text):
        for word in (self.d.tmp, "/zones", "sdctest", "/proc/self/fd", "/run/sdc-docker"):
            self.assertNotIn(word, text)

    def test_runtime_errors_name_no_host_path(self):
        r = self.docker(self.alice, "run", "--name", "nope", "busybox", "/nope")
        self.assertEqual(r.returncode, 127, r.stderr)
        self.assertIn('exec: "/nope"', r.stderr)
        self.assertIn("no such file or directory", r.stderr)
        self.assert_no_host_path(r.stderr)
        # a volume over a file: runc names the volume's folder on the host
        r = self.docker(self.alice, "run", "--name", "volfile", "-v", "/bin/sh",
                        "busybox", "true")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/bin/sh", r.stderr)
        self.assert_no_host_path(r.stderr)
        # ... and the operator's log has it whole
        log = self.d.log("dockerapi")
        self.assertIn("the runtime said", log)
        self.assertIn(self.zones, log)
        self.ok("rm", "nope", "volfile")

    def test_run_rm_whose_start_fails(self):
        t0 = time.time()
        r = self.docker(self.alice, "run", "--rm", "--name", "rmfail", "busybox",
                        "/nope", timeout=30)
        self.assertEqual(r.returncode, 127, r.stderr)
        self.assertIn("no such file or directory", r.stderr)
        self.assertLess(time.time() - t0, 20)
        self.assertEqual(self.ok("ps", "-aq", "--filter", "name=rmfail"), "")
        # the same through `start` of a created --rm container
        self.ok("create", "--rm", "--name", "rmfail2", "busybox", "/nope")
        r = self.docker(self.alice, "start", "rmfail2", timeout=30)
        self.assertNotEqual(r.returncode, 0)
        # its removal began before the answer and ends off the loop
        sdctest.wait_for("rmfail2 removed", lambda: self.ok(
            "ps", "-aq", "--filter", "name=rmfail2") == "", 10)
        sdctest.wait_for("no folder left", lambda: (os.listdir(
            self.zones) if os.path.isdir(self.zones) else []) == [], 10)

    def test_rm_finished_after_a_crash(self):
        self.ok("create", "--name", "halfcreated", "busybox", "true")
        self.ok("run", "-d", "--name", "halfrunning", "busybox", "sleep", "300")
        self.ok("create", "--name", "kept", "busybox", "true")
        ids = {n: self.inspect(n)["Id"] for n in ("halfcreated", "halfrunning", "kept")}
        uuids = {n: self.uuid_of(n) for n in ids}
        self.assertNotEqual(self.cgroups_of(uuids["halfrunning"]), [])
        # the daemon dies between the mark and the end of the removal; part
        # of the created container's folder is already gone
        self.d.stop_one("dockerapi", signal.SIGKILL)
        try:
            for n in ("halfcreated", "halfrunning"):
                self.d.store_rows("dockerapi", "UPDATE containers SET removing = 1 "
                                  "WHERE id = ?", (ids[n],))
            os.unlink(os.path.join(self.zones, uuids["halfcreated"], "config.json"))
        finally:
            self.d.start_dockerapi()
        names = self.ok("ps", "-a", "--format", "{{.Names}}").split()
        self.assertNotIn("halfcreated", names)
        self.assertNotIn("halfrunning", names)
        self.assertIn("kept", names)
        for n in ("halfcreated", "halfrunning"):
            self.assert_gone(uuids[n])
            r = self.fails("container", "inspect", n)
            self.assertIn("No such container", r.stderr)
        mons = subprocess.run(["pgrep", "-f", "--", "--dir " + os.path.join(
            self.zones, uuids["halfrunning"])], capture_output=True, text=True).stdout
        self.assertEqual(mons, "")
        rows = self.d.store_rows("dockerapi", "SELECT name FROM containers")
        self.assertEqual(rows, [("kept",)])
        self.assertIn("finishing its removal", self.d.log("dockerapi"))
        # an ordinary rm leaves no mark behind
        self.ok("rm", "kept")

    # --- certificates ---

    def self_signed(self, login, key_path, before, after, name):
        """A self-signed client certificate of key_path's key, CN login,
        valid from now+before to now+after."""
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.x509.oid import NameOID
        with open(key_path, "rb") as f:
            key = serialization.load_ssh_private_key(f.read(), None)
        now = datetime.datetime.now(datetime.timezone.utc)
        cn = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, login)])
        cert = (x509.CertificateBuilder().subject_name(cn).issuer_name(cn)
                .public_key(key.public_key()).serial_number(7)
                .not_valid_before(now + before).not_valid_after(now + after)
                .sign(key, None))
        out = os.path.join(self.d.tmp, "cert-" + name)
        os.makedirs(out)
        with open(os.path.join(out, "cert.pem"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(os.path.join(out, "key.pem"), "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        subprocess.run(["cp", os.path.join(self.alice, "ca.pem"), out], check=True)
        return out

    def info(self, certdir):
        st, _, body = self.d.https("GET", "/v1.41/info", certdir)
        return st, json.loads(body)

    def test_self_signed_validity(self):
        day = datetime.timedelta(days=1)
        ok = self.self_signed("alice", self.keys["alice"], -day, day, "ok")
        self.assertEqual(self.info(ok)[0], 200)
        expired = self.self_signed("alice", self.keys["alice"], -10 * day, -day, "expired")
        st, j = self.info(expired)
        self.assertEqual(st, 401, j)
        self.assertIn("expired", j["message"])
        future = self.self_signed("alice", self.keys["alice"], day, 10 * day, "future")
        st, j = self.info(future)
        self.assertEqual(st, 401, j)
        self.assertIn("not valid yet", j["message"])
        # the docker CLI too
        r = self.docker(expired, "ps")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("expired", r.stderr)
        # a certificate made by sdc-docker-certgen still works
        self.ok("ps")

    def test_same_401_for_unknown_login_and_wrong_key(self):
        stranger = sdctest.keygen(os.path.join(self.d.tmp, "stranger"), "ed25519")
        unknown = self.d.client_certs("nosuchlogin", self.keys["alice"])
        wrong_key = self.d.client_certs("alice", stranger)
        other_key = self.d.client_certs("alice", self.keys["bob"])
        answers = [self.info(c) for c in (unknown, wrong_key, other_key)]
        for st, j in answers:
            self.assertEqual(st, 401, j)
        self.assertEqual(answers[0][1], answers[1][1])
        self.assertEqual(answers[0][1], answers[2][1])
        self.assertNotIn("nosuchlogin", answers[0][1]["message"])
        r1 = self.docker(unknown, "ps")
        r2 = self.docker(wrong_key, "ps")
        self.assertNotEqual(r1.returncode, 0)
        self.assertEqual(r1.stderr, r2.stderr)


    def test_key_quota_raised_at_start(self):
        keys = "/proc/sys/kernel/keys/"
        saved = {n: open(keys + n).read() for n in ("maxkeys", "maxbytes")}
        try:
            # the kernel's defaults, as on a fresh machine
            for n, v in (("maxkeys", "200"), ("maxbytes", "20000")):
                with open(keys + n, "w") as f:
                    f.write(v)
            self.d.stop_one("dockerapi")
            self.d.start_dockerapi()
            self.assertEqual(int(open(keys + "maxkeys").read()), 20000)
            self.assertEqual(int(open(keys + "maxbytes").read()), 2000000)
            self.assertIn("kernel.keys.maxkeys raised from 200 to 20000",
                          self.d.log("dockerapi"))
            # a higher value an operator set stays
            with open(keys + "maxkeys", "w") as f:
                f.write("50000")
            self.d.stop_one("dockerapi")
            self.d.start_dockerapi()
            self.assertEqual(int(open(keys + "maxkeys").read()), 50000)
            self.assertEqual(self.ok("run", "--rm", "busybox", "echo", "ok"), "ok\n")
        finally:
            # back to what it was, or the daemon's floor if that is higher
            for n, floor in (("maxkeys", 20000), ("maxbytes", 2000000)):
                with open(keys + n, "w") as f:
                    f.write(str(max(int(saved[n]), floor)))


if __name__ == "__main__":
    common.main()
