#!/usr/bin/env python3
"""Isolation at run time: a tenant's container reaches neither the host
nor another tenant's container (issue 13: seccomp, capabilities, masked
paths, a user namespace per account).

Two accounts (alice, bob) run an image holding busybox, a static attacker
(build/tests/isolation-helper: the syscalls themselves), a setuid-root
copy of it and a file owned by uid 1000, through the real docker CLI.
Each attack is judged by what the attacker gets: a host secret placed in
the host root's user keyring is never read, keyrings and namespaces are
refused, and on the host the container's root is the account's own
unprivileged ids, disjoint from the other account's.
"""
import importlib
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
common = importlib.import_module("76-containers-common")
images_common = common.images_common
sdctest = common.sdctest

HELPER = os.path.join(sdctest.TOP, os.environ.get("BUILD", "build"), "tests",
                      "isolation-helper")


def build_image(work, base):
    """base ("oci:DIR:TAG") plus the helper, a setuid-root copy, and a file
    of uid 1000; returns the new "oci:" reference."""
    layout, tag = base[4:].rsplit(":", 1)
    bundle = os.path.join(work, "bundle-iso")
    subprocess.run(["umoci", "unpack", "--image", "%s:%s" % (layout, tag), bundle],
                   check=True, stdout=subprocess.DEVNULL)
    root = os.path.join(bundle, "rootfs")
    shutil.copy(HELPER, os.path.join(root, "bin", "isolation-helper"))
    suid = os.path.join(root, "bin", "suid-helper")
    shutil.copy(HELPER, suid)
    os.chown(suid, 0, 0)
    os.chmod(suid, 0o4755)
    app = os.path.join(root, "home", "app")
    os.makedirs(app, exist_ok=True)
    with open(os.path.join(app, "owned"), "w") as f:
        f.write("app's\n")
    for p in (app, os.path.join(app, "owned")):
        os.chown(p, 1000, 1000)
    subprocess.run(["umoci", "repack", "--image", "%s:iso" % layout, bundle],
                   check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(bundle)
    return "oci:%s:iso" % layout


def status_ids(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return [int(x) for x in line.split()[1:]]
    raise AssertionError("no %s in /proc/%d/status" % (key, pid))


class Isolation(common.ContainersTest):

    @classmethod
    def setUpClass(cls):
        if not os.access(HELPER, os.X_OK):
            print("no %s (make builds it)" % HELPER)
            sys.exit(1)
        images_common.need("keyctl")
        super().setUpClass()
        # the busybox layout the base class built and pushed
        ref = build_image(cls.work, "oci:%s:latest" % os.path.join(cls.work, "bb", "oci"))
        cls.reg.push(ref, "iso:latest")
        for c in (cls.alice, cls.bob):
            for args in (("pull", cls.reg.addr + "/iso"),
                         ("tag", cls.reg.addr + "/iso", "iso")):
                r = cls.d.docker(c, *args)
                assert r.returncode == 0, r.stderr

    def run_iso(self, *args, certs=None):
        r = self.docker(certs or self.alice, "run", "--rm", "iso", *args)
        return r.stdout + r.stderr

    def pid_of(self, name, certs=None):
        pid = self.inspect(name, certs=certs)["State"]["Pid"]
        self.assertGreater(pid, 0)
        return pid

    def test_busybox_runs(self):
        self.assertEqual(self.ok("run", "--rm", "busybox", "echo", "hi"), "hi\n")

    def test_keyctl_refused(self):
        out = self.run_iso("isolation-helper", "keys")
        for call in ("add_key", "keyctl", "request_key"):
            self.assertIn("%s: EPERM" % call, out)

    def test_host_keyring_secret_unreadable(self):
        secret = "host-secret-%d" % os.getpid()
        key = subprocess.run(["keyctl", "add", "user", "sdc-iso-secret", secret, "@u"],
                             capture_output=True, text=True, check=True).stdout.strip()
        try:
            out = self.run_iso("isolation-helper", "read-key", "sdc-iso-secret")
            self.assertNotIn(secret, out)
            self.assertIn("link: EPERM", out)
            self.assertIn("search: EPERM", out)
            out = self.run_iso("sh", "-c", "cat /proc/keys; cat /proc/key-users")
            self.assertNotIn("sdc-iso-secret", out)
        finally:
            subprocess.run(["keyctl", "unlink", key, "@u"], capture_output=True)

    def test_other_tenants_session_keyring(self):
        self.ok("run", "-d", "--name", "victim", "iso", "sleep", "1000")
        uuid = self.uuid_of("victim")
        out = self.run_iso("isolation-helper", "join", "_ses." + uuid, certs=self.bob)
        self.assertIn("join: EPERM", out)
        self.assertNotIn("list: ok", out)
        self.ok("rm", "-f", "victim")

    def test_unshare_and_mount_refused(self):
        out = self.run_iso("sh", "-c", "unshare -U -r sh -c 'mount -t tmpfs t /mnt "
                           "&& echo MOUNTED'; echo rc=$?")
        self.assertNotIn("MOUNTED", out)
        self.assertIn("Operation not permitted", out)
        out = self.run_iso("isolation-helper", "unshare-mount")
        self.assertIn("unshare: EPERM", out)
        out = self.run_iso("isolation-helper", "clone3")
        self.assertIn("clone3: ENOSYS", out)

    def test_proc_kcore_and_sysrq(self):
        out = self.run_iso("sh", "-c", "head -c 16 /proc/kcore | wc -c; "
                           "echo h > /proc/sysrq-trigger && echo WROTE; "
                           "ls /sys/devices/virtual/powercap | wc -l; "
                           "cat /proc/interrupts | wc -c")
        self.assertNotIn("WROTE", out)
        self.assertEqual(re.findall(r"^\s*(\d+)$", out, re.M), ["0", "0", "0"], out)

    def test_root_is_the_accounts_host_uid(self):
        self.ok("run", "-d", "--name", "a1", "iso", "sleep", "1000")
        self.ok("run", "-d", "--name", "b1", "iso", "sleep", "1000", certs=self.bob)
        pa, pb = self.pid_of("a1"), self.pid_of("b1", certs=self.bob)
        ua, ub = status_ids(pa, "Uid"), status_ids(pb, "Uid")
        ga = status_ids(pa, "Gid")
        # container root, seen from the host: one unprivileged id
        self.assertEqual(len(set(ua)), 1, ua)
        self.assertGreaterEqual(ua[0], 100000)
        self.assertEqual(ga[0], ua[0])
        with open("/proc/%d/uid_map" % pa) as f:
            base_a, count_a = [int(x) for x in f.read().split()[1:]]
        with open("/proc/%d/uid_map" % pb) as f:
            base_b, count_b = [int(x) for x in f.read().split()[1:]]
        self.assertEqual(ua[0], base_a)
        self.assertEqual(ub[0], base_b)
        # the two accounts' ranges are disjoint
        self.assertTrue(base_a + count_a <= base_b or base_b + count_b <= base_a,
                        (base_a, count_a, base_b, count_b))
        # exec joins the same namespaces, under the same seccomp filter
        out = self.ok("exec", "a1", "sh", "-c", "cat /proc/self/uid_map; "
                      "isolation-helper keys")
        self.assertEqual(out.split()[:3], ["0", str(base_a), str(count_a)])
        self.assertIn("add_key: EPERM", out)
        self.ok("rm", "-f", "a1")
        self.ok("rm", "-f", "b1", certs=self.bob)

    def uid_base(self, certs):
        """The host uid of container root for the account of certs."""
        self.ok("run", "-d", "--name", "probe", "iso", "sleep", "1000", certs=certs)
        with open("/proc/%d/uid_map" % self.pid_of("probe", certs=certs)) as f:
            base = int(f.read().split()[1])
        self.ok("rm", "-f", "probe", certs=certs)
        return base

    def test_ranges_never_reused(self):
        # a deleted account's range is not given to the next account
        keys = os.path.join(self.d.tmp, "keys")
        bases = []
        for login in ("carol", "dave"):
            key = sdctest.keygen(os.path.join(keys, login), "ed25519")
            self.d.add_account(login, key + ".pub")
            certs = self.d.client_certs(login, key)
            for args in (("pull", self.reg.addr + "/iso"),
                         ("tag", self.reg.addr + "/iso", "iso")):
                self.ok(*args, certs=certs)
            base = self.uid_base(certs)
            self.assertEqual(self.uid_base(certs), base)    # allocated once
            bases.append(base)
            st, j = self.d.admin("DELETE", "/accounts/%s?force=true" % login)
            self.assertIn(st, (200, 204), j)
        self.assertNotEqual(bases[0], bases[1])
        self.assertGreaterEqual(abs(bases[0] - bases[1]), 65536)
        self.assertNotIn(self.uid_base(self.alice), bases)

    def test_written_file_owned_by_the_account(self):
        self.ok("run", "-d", "--name", "w1", "iso", "sh", "-c",
                "echo x > /written; mkdir /d; sleep 1000")
        pid = self.pid_of("w1")
        with open("/proc/%d/uid_map" % pid) as f:
            base = int(f.read().split()[1])
        self.assertGreaterEqual(base, 100000)
        upper = os.path.join(self.zones, self.uuid_of("w1"), "rw", "upper")
        self.wait_until("the file", lambda: os.path.exists(os.path.join(upper, "written")))
        st = os.stat(os.path.join(upper, "written"))
        self.assertEqual((st.st_uid, st.st_gid), (base, base))
        self.ok("rm", "-f", "w1")

    def test_image_ownership_and_setuid(self):
        out = self.run_iso("ls", "-ln", "/home/app/owned", "/bin/busybox")
        self.assertRegex(out, r" 1000 +1000 .*/home/app/owned")
        self.assertRegex(out, r" 0 +0 .*/bin/busybox")
        out = self.run_iso("sh", "-c", "cat /home/app/owned; echo more >> /home/app/owned "
                           "&& echo appended")
        self.assertIn("appended", out)
        self.assertEqual(self.ok("run", "--rm", "-u", "1000", "iso", "suid-helper", "ids"),
                         "uid=1000 euid=0\n")
        self.assertEqual(self.ok("run", "--rm", "-u", "1000", "iso", "id", "-u"), "1000\n")


if __name__ == "__main__":
    common.main()
