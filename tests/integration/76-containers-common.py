"""What the 7x-containers tests share (imported, not run).

Real sapi and dockerapi (sdctest), two accounts with client certificates,
and the busybox image built with no network by the image tests' helper
(65-images-api-common: busybox-static into an OCI layout, pushed to
Debian's docker-registry), pulled by each account and tagged "busybox".
Containers need root (mounts, cgroups, runc).  At the end every container
is removed through the API and the test checks that nothing of them is
left on the host: no folder, mount, cgroup, monitor or runc state.
"""
import glob
import importlib
import json
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

images_common = importlib.import_module("65-images-api-common")


def require_tools():
    if os.geteuid() != 0:
        print("needs root (mounts, cgroups, runc)")
        sys.exit(1)
    images_common.need("runc", "busybox", "umoci", "skopeo", "docker-registry", "docker")
    if not os.path.exists(os.path.join(sdctest.BIN, "sdc-docker-monitor")):
        print("no sdc-docker-monitor in " + sdctest.BIN)
        sys.exit(1)


class ContainersTest(unittest.TestCase):
    """Daemons with accounts alice and bob (certificates in cls.alice and
    cls.bob), each with the busybox image.  TUNABLES are set before
    dockerapi starts; SDC_TEST_OCI_RUNTIME=crun runs the containers of
    every such test under crun (OCI_RUNTIME)."""

    TUNABLES = {}

    @classmethod
    def tunables(cls):
        t = dict(cls.TUNABLES)
        if os.environ.get("SDC_TEST_OCI_RUNTIME"):
            t.setdefault("OCI_RUNTIME", os.environ["SDC_TEST_OCI_RUNTIME"])
        return t

    @classmethod
    def remove_tenants_things(cls):
        """Every container and user network of alice and bob, removed."""
        for c in (cls.alice, cls.bob):
            ids = cls.d.docker(c, "ps", "-aq").stdout.split()
            if ids:
                cls.d.docker(c, "rm", "-f", *ids)
            cls.d.docker(c, "network", "prune", "-f")

    def compose(self, project, yml, *args, timeout=120):
        """docker-compose (Debian's 1.29) as alice, project's file yml."""
        proj = os.path.join(self.work, project)
        os.makedirs(proj, exist_ok=True)
        with open(os.path.join(proj, "docker-compose.yml"), "w") as f:
            f.write(yml)
        env = self.d.docker_env(self.alice)
        env["COMPOSE_HTTP_TIMEOUT"] = "120"
        for v in ("CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
            env.pop(v, None)
        r = subprocess.run(["docker-compose", "-p", project, "--ansi", "never"] +
                           list(args), cwd=proj, env=env, capture_output=True,
                           text=True, timeout=timeout)
        self.assertEqual(r.returncode, 0, "docker-compose %s: %s%s%s" % (
            " ".join(args), r.stdout, r.stderr, self.d.log("dockerapi")[-1500:]))
        return r.stdout + r.stderr

    @classmethod
    def setUpClass(cls):
        require_tools()
        cls.d = sdctest.Daemons().start(tunables=cls.tunables())
        cls.zones = os.path.join(cls.d.tmp, "zones")
        cls.work = os.path.join(cls.d.tmp, "work")
        os.makedirs(cls.work)
        certs, cls.keys = cls.d.add_tenants("alice", "bob")
        cls.alice, cls.bob = certs["alice"], certs["bob"]
        cls.reg = images_common.Registry(cls.work)
        cls.reg.push(images_common.build_busybox(cls.work), "busybox:latest")
        for c in (cls.alice, cls.bob):
            for args in (("pull", cls.reg.addr + "/busybox"),
                         ("tag", cls.reg.addr + "/busybox", "busybox")):
                r = cls.d.docker(c, *args)
                assert r.returncode == 0, r.stderr + cls.d.log("dockerapi")[-2000:]

    @classmethod
    def tearDownClass(cls):
        try:
            cls.remove_all()
            cls.assert_no_leak()
        finally:
            cls.reg.stop()
            cls.d.stop()

    @classmethod
    def remove_all(cls):
        for c in (cls.alice, cls.bob):
            ids = cls.d.docker(c, "ps", "-aq").stdout.split()
            if ids:
                cls.d.docker(c, "rm", "-f", *ids)

    @classmethod
    def assert_no_leak(cls):
        left = [x for x in os.listdir(cls.zones)] if os.path.isdir(cls.zones) else []
        assert left == [], "container folders left: %s" % left
        with open("/proc/mounts") as f:
            mounts = [l.split()[1] for l in f if cls.zones + "/" in l.split()[1]]
        assert mounts == [], "mounts left: %s" % mounts
        mons = subprocess.run(["pgrep", "-f", "--", "--dir " + cls.zones + "/"],
                              capture_output=True, text=True).stdout.split()
        assert mons == [], "monitors left: %s" % mons

    @classmethod
    def cgroups_of(cls, uuid):
        return [p for p in glob.glob("/sys/fs/cgroup/*/sdc-docker/" + uuid)
                if os.path.isdir(p)]

    # --- helpers ---

    def docker(self, certs, *args, **kw):
        return self.d.docker(certs, *args, **kw)

    def ok(self, *args, certs=None, **kw):
        r = self.d.docker(certs or self.alice, *args, **kw)
        self.assertEqual(r.returncode, 0, "docker %s: %s%s%s" % (
            " ".join(args), r.stdout, r.stderr, self.d.log("dockerapi")[-1500:]))
        return r.stdout

    def fails(self, *args, certs=None, **kw):
        r = self.d.docker(certs or self.alice, *args, **kw)
        self.assertNotEqual(r.returncode, 0, "docker %s succeeded: %s" % (
            " ".join(args), r.stdout))
        return r

    def inspect(self, name, certs=None):
        return json.loads(self.ok("container", "inspect", name, certs=certs))[0]

    def uuid_of(self, name):
        st, j = self.d.admin("GET", "/containers/" + self.inspect(name)["Id"])
        self.assertEqual(st, 200, j)
        return j["Uuid"]

    def wait_until(self, what, check, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if check():
                return
            time.sleep(0.1)
        self.fail("timed out waiting for " + what)

    def assert_gone(self, uuid):
        self.assertFalse(os.path.exists(os.path.join(self.zones, uuid)))
        self.assertEqual(self.cgroups_of(uuid), [])


def main():
    unittest.main(verbosity=2)
