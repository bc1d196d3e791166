#!/usr/bin/env python3
"""Limits that protect the node, tried as a tenant would: a fork bomb stays
within its package's pids limit; a package larger than the node, or one
that would take the running containers past the node's memory times
NODE_OVERPROVISION_RATIO, is refused with Triton's "No compute resources
available." (at once after a live change of the ratio), and so is one
whose vCPUs would pass the node's CPUs times the same ratio; the containers
quota holds for one account and not the other; a gzip bomb imported,
loaded or pulled stops at the image-bytes quota and leaves no file and no
row; a chatty container's logs stay within its share of its package's
disk."""
import gzip
import importlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

common = importlib.import_module("76-containers-common")
ADM = os.path.join(sdctest.BIN, "sdcadm-docker")
MIB = 1024 * 1024
TINY = {"name": "t4-standard-tiny", "uuid": "0bd3c3a0-2d5b-4a4e-9a54-3f0e8b7d1c11",
        "memory": 64, "vcpus": 0.0625, "disk": 10, "pids": 32}
# The node's CPUs as dockerapi and a node's agent read them.
NCPU = os.sysconf("SC_NPROCESSORS_ONLN")
# Packages chosen by name only (no -m picks them before a standard one):
# memory with next to no CPU, so a test of the memory rule is not
# refused for CPUs first, and CPUs with little memory, the other way.
MEM_1G = {"name": "t4-standard-test-mem-1G", "uuid": "5c0c3b57-9d1e-4d52-8a4c-0d7a3c2f1e01",
          "memory": 1000, "vcpus": 0.01, "disk": 100}
MEM_SMALL = {"name": "t4-standard-test-mem-small", "uuid": "5c0c3b57-9d1e-4d52-8a4c-0d7a3c2f1e02",
             "memory": 100, "vcpus": 0.01, "disk": 100}
CPU_60 = {"name": "t4-standard-test-cpu-60", "uuid": "5c0c3b57-9d1e-4d52-8a4c-0d7a3c2f1e03",
          "memory": 120, "vcpus": round(NCPU * 0.6, 3), "disk": 100}
CPU_MORE = {"name": "t4-standard-test-cpu-more", "uuid": "5c0c3b57-9d1e-4d52-8a4c-0d7a3c2f1e04",
            "memory": 121, "vcpus": NCPU + 1, "disk": 100}


class Zeros(io.RawIOBase):
    """n zero bytes, read in pieces: a layer too big to keep in memory."""

    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        k = min(len(b), self.left)
        b[:k] = bytes(k)
        self.left -= k
        return k


def zero_tar(n, name="zeros"):
    """A gzip'd tar holding one file of n zero bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        with tarfile.open(fileobj=gz, mode="w|") as t:
            ti = tarfile.TarInfo(name)
            ti.size = n
            t.addfile(ti, io.BufferedReader(Zeros(n)))
    return buf.getvalue()


def add_bytes(t, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))


class Limits(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        st, cfg = cls.d.admin("GET", "/config")
        assert st == 200, cfg
        cls.packages = cfg["config"]["PACKAGES"] + [TINY, MEM_1G, MEM_SMALL,
                                                    CPU_60, CPU_MORE]
        cls.d.set_tunable("PACKAGES", cls.packages)
        cls.wait_tunable("PACKAGES", cls.packages)

    @classmethod
    def wait_tunable(cls, key, value):
        """Until the daemon has the value (SAPI's long poll brings it)."""
        sdctest.wait_for("tunable " + key, lambda: cls.d.admin(
            "GET", "/config")[1]["config"].get(key) == value)

    def adm(self, *args, rc=0):
        env = dict(os.environ, DOCKERAPI_ADMIN=self.d.admin_socket,
                   SAPI_URL=self.d.sapi_url, COLUMNS="160")
        r = subprocess.run([ADM] + list(args), env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, rc, "%s\n%s%s" % (args, r.stdout, r.stderr))
        return r.stdout

    def cgroup_file(self, uuid, name):
        for p in self.cgroups_of(uuid):
            if os.path.exists(os.path.join(p, name)):
                with open(os.path.join(p, name)) as f:
                    return f.read()
        return None

    # --- pids ---

    def spec_of(self, uuid):
        with open(os.path.join(self.zones, uuid, "config.json")) as f:
            return json.load(f)

    def kill_cgroup(self, uuid):
        """Whatever is left of a container's processes, frozen and killed:
        a bomb with no limit must not outlive a failed test."""
        fr = "/sys/fs/cgroup/freezer/sdc-docker/" + uuid
        if not os.path.isdir(fr):
            return
        with open(fr + "/freezer.state", "w") as f:
            f.write("FROZEN")
        with open(fr + "/cgroup.procs") as f:
            for pid in f.read().split():
                try:
                    os.kill(int(pid), 9)
                except OSError:
                    pass
        with open(fr + "/freezer.state", "w") as f:
            f.write("THAWED")

    def test_1_fork_bomb_contained(self):
        bomb = "f() { f | f & }; f; sleep 600"
        self.ok("create", "--name", "bomb", "-m", "64m", "busybox", "sh", "-c", bomb)
        uuid = self.uuid_of("bomb")
        try:
            # never light it without a limit
            self.assertEqual(self.spec_of(uuid)["linux"]["resources"].get(
                "pids", {}).get("limit"), 32)
            self.ok("start", "bomb")
            self.assertEqual(self.cgroup_file(uuid, "pids.max").strip(), "32")

            def refused():   # pids.events: "max N", N forks refused
                ev = (self.cgroup_file(uuid, "pids.events") or "").split()
                return len(ev) == 2 and ev[0] == "max" and int(ev[1]) > 0
            self.wait_until("the bomb to hit its pids limit", refused, timeout=30)
            self.assertLessEqual(int(self.cgroup_file(uuid, "pids.current")), 32)
            # the host and the daemon still answer, promptly
            t = time.time()
            subprocess.run(["sh", "-c", "for i in 1 2 3 4 5; do /bin/true; done"],
                           check=True, timeout=10)
            self.ok("ps", "-q")
            self.assertLess(time.time() - t, 20)
        finally:
            if self.docker(self.alice, "rm", "-f", "bomb").returncode != 0:
                self.kill_cgroup(uuid)
                self.docker(self.alice, "rm", "-f", "bomb")
        self.assert_gone(uuid)

    def test_1_default_pids_limit(self):
        # a package without "pids" gets DEFAULT_PIDS_LIMIT
        self.ok("create", "--name", "plain", "-m", "128m", "busybox", "true")
        uuid = self.uuid_of("plain")
        self.assertEqual(self.spec_of(uuid)["linux"]["resources"]["pids"]["limit"],
                         1024)
        self.ok("rm", "plain")

    # --- the node's memory ---

    def test_2_package_larger_than_node(self):
        before = self.ok("ps", "-aq")
        r = self.fails("run", "-m", "64g", "busybox", "true")
        self.assertIn("No compute resources available", r.stderr)
        self.assertEqual(self.ok("ps", "-aq"), before)

    def test_3_sum_past_the_node_after_a_live_change(self):
        with open("/proc/meminfo") as f:
            node_mib = int(f.readline().split()[1]) // 1024
        # packages of next to no CPU: the ratio below leaves little of
        # the node's CPUs, and this is the memory's rule
        mem_1g = ("--label", "com.joyent.package=" + MEM_1G["name"])
        self.ok("run", "-d", "--name", "big1", *mem_1g, "busybox", "sleep", "600")
        self.ok("create", "--name", "big3", *mem_1g, "busybox", "sleep", "600")
        try:
            # room for 1.5 GiB of packages: the running 1G and no second
            ratio = 1536.0 / node_mib
            self.d.set_tunable("NODE_OVERPROVISION_RATIO", ratio)
            self.wait_tunable("NODE_OVERPROVISION_RATIO", ratio)
            before = self.ok("ps", "-aq")
            r = self.fails("run", "-d", "--name", "big2", *mem_1g, "busybox",
                           "sleep", "600")
            self.assertIn("No compute resources available.", r.stderr)
            self.assertEqual(self.ok("ps", "-aq"), before)   # nothing made
            # a created container holds no memory; its start is checked
            r = self.fails("start", "big3")
            self.assertIn("No compute resources available.", r.stderr)
            self.assertEqual(self.inspect("big3")["State"]["Status"], "created")
            # the other account is held by the same node
            r = self.fails("run", "-d", *mem_1g, "busybox", "true", certs=self.bob)
            self.assertIn("No compute resources available.", r.stderr)
            # small ones still fit, and the room comes back with a stop
            self.ok("run", "--rm", "--label", "com.joyent.package=" + MEM_SMALL["name"],
                    "busybox", "true")
            self.ok("stop", "-t", "0", "big1")
            self.ok("start", "big3")
            r = self.fails("start", "big1")
            self.assertIn("No compute resources available.", r.stderr)
        finally:
            self.d.set_tunable("NODE_OVERPROVISION_RATIO", 1.0)
            self.wait_tunable("NODE_OVERPROVISION_RATIO", 1.0)
            self.ok("rm", "-f", "big1", "big3")

    def test_3_cpus_sold_ratio_times(self):
        """The node's CPUs count against the packages' vCPUs, within the
        ratio, whatever the memory: a package of more vCPUs than the node
        has is refused alone, one of 60% of them once another runs, and
        both fit once the ratio sells the CPUs twice."""
        cpu_60 = ("--label", "com.joyent.package=" + CPU_60["name"])
        before = self.ok("ps", "-aq")
        r = self.fails("run", "-d", "--label", "com.joyent.package=" + CPU_MORE["name"],
                       "busybox", "true")
        self.assertIn("No compute resources available", r.stderr)
        self.ok("run", "-d", "--name", "cpu1", *cpu_60, "busybox", "sleep", "600")
        try:
            r = self.fails("run", "-d", "--name", "cpu2", *cpu_60, "busybox",
                           "sleep", "600")
            self.assertIn("No compute resources available.", r.stderr)
            self.assertEqual(self.ok("ps", "-aq").split(),
                             [self.ok("ps", "-q", "-f", "name=cpu1").strip()]
                             + before.split())
            self.d.set_tunable("NODE_OVERPROVISION_RATIO", 2.0)
            self.wait_tunable("NODE_OVERPROVISION_RATIO", 2.0)
            self.ok("run", "-d", "--name", "cpu2", *cpu_60, "busybox", "sleep", "600")
        finally:
            self.d.set_tunable("NODE_OVERPROVISION_RATIO", 1.0)
            self.wait_tunable("NODE_OVERPROVISION_RATIO", 1.0)
            self.ok("rm", "-f", "cpu1")
            self.docker(self.alice, "rm", "-f", "cpu2")

    # --- the containers quota ---

    def test_4_containers_quota(self):
        have = len(self.ok("ps", "-aq").split())
        q = json.loads(self.adm("account", "quota", "alice",
                                "containers=%d" % (have + 1), "--json"))
        self.assertEqual(q["containers"]["limit"], have + 1)
        self.assertEqual(q["containers"]["account"], have + 1)
        self.assertEqual(q["containers"]["used"], have)
        try:
            self.ok("create", "--name", "q1", "busybox", "true")
            r = self.fails("create", "--name", "q2", "busybox", "true")
            self.assertIn("quota containers", r.stderr)
            self.assertIn("at most %d containers" % (have + 1), r.stderr)
            self.assertNotIn("q2", self.ok("ps", "-a", "--format", "{{.Names}}"))
            # bob is not held by alice's quota
            for n in ("b1", "b2", "b3"):
                self.ok("create", "--name", n, "busybox", "true", certs=self.bob)
            self.ok("rm", "b1", "b2", "b3", certs=self.bob)
            # a service default applies to every account without its own
            self.d.set_tunable("QUOTA_CONTAINERS", 1)
            self.wait_tunable("QUOTA_CONTAINERS", 1)
            self.ok("create", "--name", "b1", "busybox", "true", certs=self.bob)
            r = self.fails("create", "--name", "b2", "busybox", "true", certs=self.bob)
            self.assertIn("quota containers", r.stderr)
        finally:
            self.d.set_tunable("QUOTA_CONTAINERS", 100)
            self.wait_tunable("QUOTA_CONTAINERS", 100)
            self.adm("account", "quota", "alice", "containers=default")
            self.docker(self.bob, "rm", "-f", "b1")
            self.docker(self.alice, "rm", "-f", "q1")

    # --- gzip bombs and the image-bytes quota ---

    def store_state(self):
        root = os.path.join(self.d.tmp, "dockerapi", "images")
        files = sorted(os.path.relpath(os.path.join(dp, f), root)
                       for dp, dn, fn in os.walk(root) for f in fn + dn)
        rows = [self.d.store_rows("dockerapi", "SELECT count(*) FROM " + t)[0][0]
                for t in ("images", "image_layers", "image_owners", "image_tags")]
        return files, rows

    def test_5_gzip_bombs(self):
        used = json.loads(self.adm("account", "quota", "alice", "--json"))[
            "image_bytes"]["used"]
        self.assertGreater(used, 0)
        self.adm("account", "quota", "alice", "image-bytes=%d" % (used + 8 * MIB))
        bomb = zero_tar(256 * MIB)
        self.assertLess(len(bomb), 2 * MIB)
        before = self.store_state()
        try:
            # import: the body's uncompressed bytes are counted as stored
            t = time.time()
            p = subprocess.run(["docker", "import", "-", "bomb:1"], input=bomb,
                               env=self.d.docker_env(self.alice), capture_output=True,
                               timeout=60)
            self.assertNotEqual(p.returncode, 0, p.stdout)
            self.assertIn(b"quota image_bytes", p.stderr)
            self.assertLess(time.time() - t, 30)
            self.assertEqual(self.store_state(), before)
            # load: a docker-archive whose layer.tar is the same bomb
            # (loaders unpack compressed layers)
            cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                              "rootfs": {"type": "layers", "diff_ids": [
                                  "sha256:" + "0" * 64]}}).encode()
            arch = io.BytesIO()
            with tarfile.open(fileobj=arch, mode="w") as t2:
                add_bytes(t2, "layer/layer.tar", bomb)
                add_bytes(t2, "config.json", cfg)
                add_bytes(t2, "manifest.json", json.dumps([{
                    "Config": "config.json", "RepoTags": ["bomb:2"],
                    "Layers": ["layer/layer.tar"]}]).encode())
            p = subprocess.run(["docker", "load"], input=arch.getvalue(),
                               env=self.d.docker_env(self.alice), capture_output=True,
                               timeout=60)
            self.assertNotEqual(p.returncode, 0, p.stdout)
            self.assertIn(b"quota image_bytes", p.stderr + p.stdout)
            self.assertEqual(self.store_state(), before)
            # bob's quota is his own: a small import works
            small = zero_tar(MIB, "small")
            p = subprocess.run(["docker", "import", "-", "small:1"], input=small,
                               env=self.d.docker_env(self.bob), capture_output=True,
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.ok("rmi", "small:1", certs=self.bob)
        finally:
            self.adm("account", "quota", "alice", "image-bytes=default")

    def test_5_pull_bomb(self):
        src = "oci:%s:latest" % os.path.join(self.work, "bb", "oci")
        bomb = common.images_common.oci_add_layer(src, self.work, "bomb",
                                                  {"/zeros": bytes(32 * MIB)})
        self.reg.push(bomb, "bomb:latest")
        used = json.loads(self.adm("account", "quota", "alice", "--json"))[
            "image_bytes"]["used"]
        self.adm("account", "quota", "alice", "image-bytes=%d" % (used + 8 * MIB))
        before = self.store_state()
        try:
            # the new layer is unpacked: counted as it is, stopped at the quota
            r = self.fails("pull", self.reg.addr + "/bomb")
            self.assertIn("quota image_bytes", r.stderr + r.stdout)
            self.assertEqual(self.store_state(), before)
            # bob has it now; alice's pull finds the layer on disk, and is
            # still refused before anything is recorded for her
            self.ok("pull", self.reg.addr + "/bomb", certs=self.bob)
            r = self.fails("pull", self.reg.addr + "/bomb")
            self.assertIn("quota image_bytes", r.stderr + r.stdout)
            self.assertNotIn("bomb", self.ok("images", "--format", "{{.Repository}}"))
            self.ok("rmi", self.reg.addr + "/bomb", certs=self.bob)
        finally:
            self.adm("account", "quota", "alice", "image-bytes=default")

    # --- logs within the container's disk ---

    def test_6_chatty_logs_capped(self):
        # tiny: 10 MiB of disk, LOG_DISK_PERCENT 10: 1 MiB for every log file
        self.ok("run", "-d", "--name", "chatty", "-m", "64m", "busybox", "sh", "-c",
                "seq 1 150000; sleep 600")
        uuid = self.uuid_of("chatty")
        logs = os.path.join(self.zones, uuid, "logs")

        def done():
            out = self.docker(self.alice, "logs", "--tail", "1", "chatty").stdout
            return out.strip() == "150000"
        self.wait_until("the last line", done, timeout=40)
        total = sum(os.path.getsize(os.path.join(logs, f)) for f in os.listdir(logs))
        self.assertLessEqual(total, 1 * MIB)
        self.assertGreater(len(os.listdir(logs)), 1)          # it rotated
        first = self.ok("logs", "chatty").split("\n", 1)[0]
        self.assertNotEqual(first, "1")                       # the oldest went
        # the writable layer has the rest of the disk
        df = self.ok("exec", "chatty", "df", "-k", "/").splitlines()[1].split()
        self.ok("rm", "-f", "chatty")
        self.assertTrue(9000 <= int(df[1]) < 9500, df)     # 9 MiB, not 10


if __name__ == "__main__":
    common.main()
