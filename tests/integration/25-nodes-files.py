#!/usr/bin/env python3
"""A container's logs, stats and files relayed from the node that holds it.

A head (sapi + dockerapi) and one sdc-docker-agent, as 25-nodes-create
has them, except that the agent's zones root is NOT the head's --zones:
the head cannot answer by reading a container's folder itself, so every
answer below came from the agent (whose log names each).  With the real
docker CLI and docker-py:

- logs: all, --tail, --since (a record's own time), --timestamps,
  stdout and stderr apart (docker-py), and -f that ends at the exit with
  every line; a client that leaves -f ends the node's reading;
- stats --no-stream, and a few frames of the stream (docker-py);
- cp both ways (CLI and docker-py), Docker's 404, a tenant's symlink to
  /etc that leads to no file of the node's either way, another
  account's cp 404 both ways;
- ps -s: the writable layers' sizes measured by the node;
- export's tar, diff, top (ps_args through docker-py); another
  account's export, diff, top, logs and stats of them are 404;
- an agent not heard from (SIGSTOP): logs and stats answer "node
  unavailable" at once.
"""
import importlib
import io
import json
import os
import select
import signal
import subprocess
import sys
import tarfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

common = importlib.import_module("37-nodes-common")


class FilesNode(common.NodesBase):
    """The head and its agent with a zones root of its own, and what the
    tests read of them; other node tests build on it."""

    TENANTS = ("alice", "bob")

    @classmethod
    def setUpClass(cls):
        common.NodesBase.setUpClass.__func__(cls)
        cls.bob = cls.certs["bob"]
        sdctest.wait_for("head knows its node", lambda: "containers run on node"
                         in cls.d.log("dockerapi"))
        cls("import_image").import_image()

    @classmethod
    def agent_dirs(cls):
        """The agent's containers in a zones root of its own."""
        cls.node_zones = os.path.join(cls.d.tmp, "node-zones")
        return dict(super().agent_dirs(), zones=cls.node_zones)

    # --- helpers ---

    def docker(self, *args, who=None, **kw):
        return self.d.docker(who or self.alice, *args, **kw)

    def ok(self, *args, **kw):
        r = self.docker(*args, **kw)
        self.assertEqual(r.returncode, 0, r.stderr + self.d.log("dockerapi")[-1500:])
        return r.stdout

    def uuid_of(self, name):
        cid = self.ok("inspect", "--format", "{{.Id}}", name).strip()
        st, one = self.d.admin("GET", "/containers/" + cid)
        self.assertEqual(st, 200, one)
        return one["Uuid"]

    def run_on_node(self, name, *cmd, opts=()):
        """docker run -d, the container's folder on the node.

        The head's zones root gets an empty folder of the container's
        name, so that anything the head read or wrote there would show.
        A small package, so the node's memory holds them all."""
        self.ok("create", "--name", name, "--network", "none", "-m", "128m",
                *opts, "tiny:1", "/bin/busybox", *cmd)
        u = self.uuid_of(name)
        os.makedirs(os.path.join(self.d.tmp, "zones", u))
        self.ok("start", name)
        return self.on_node(name)

    def on_node(self, name):
        """The container's folder is the node's, not the head's."""
        u = self.uuid_of(name)
        self.assertTrue(os.path.isfile(os.path.join(self.node_zones, u,
                                                    "config.json")))
        here = os.path.join(self.d.tmp, "zones", u)
        self.assertLessEqual(set(os.listdir(here)) if os.path.isdir(here) else set(),
                             {"hosts", "resolv.conf", "hostname"})
        return u

    def agent_said(self, text):
        sdctest.wait_for("agent log: " + text, lambda: text in self.d.log("agent"),
                         timeout=5)

    def wait_exited(self, name):
        sdctest.wait_for(name + " exited", lambda: self.ok(
            "inspect", "--format", "{{.State.Status}}", name).strip() == "exited",
            timeout=20)

    # --- the tests ---

class NodesFiles(FilesNode):

    def test_1_logs(self):
        self.wait_available(True)
        u = self.run_on_node("lg", "sh", "-c",
                     "echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; "
                             "sleep 0.1; echo four >&2")
        self.wait_exited("lg")
        r = self.docker("logs", "lg")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "one\nthree\n")
        self.assertEqual(r.stderr, "two\nfour\n")
        self.agent_said("container %s: logs" % u)
        # --tail, --timestamps
        r = self.docker("logs", "--tail", "2", "-t", "lg")
        lines = (r.stdout + r.stderr).splitlines()
        self.assertEqual(sorted(x.split(" ", 1)[1] for x in lines),
                         ["four", "three"])
        stamps = {}
        for x in self.docker("logs", "-t", "lg").stdout.splitlines():
            t, text = x.split(" ", 1)
            stamps[text] = t
        self.assertEqual(set(stamps), {"one", "three"})
        # --since a record's own time keeps it and what follows
        r = self.docker("logs", "--since", stamps["three"], "lg")
        self.assertEqual((r.stdout, r.stderr), ("three\n", "four\n"))
        # docker-py: the streams apart, the frames whole
        c = self.d.dockerpy(self.alice).containers.get("lg")
        self.assertEqual(c.logs(stdout=True, stderr=False), b"one\nthree\n")
        self.assertEqual(c.logs(stdout=False, stderr=True), b"two\nfour\n")
        self.assertEqual(c.logs(tail=1), b"four\n")
        # a bad parameter is the head's 400, as before
        r = self.docker("logs", "--since", "not-a-time", "lg")
        self.assertNotEqual(r.returncode, 0)

    def test_2_logs_follow(self):
        self.run_on_node("fl", "sh", "-c", "for i in 1 2 3 4; do echo n$i; sleep 0.5; done")
        t0 = time.monotonic()
        r = self.docker("logs", "-f", "fl", timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "n1\nn2\nn3\nn4\n")
        self.assertLess(time.monotonic() - t0, 15)
        self.agent_said("logs (follow)")

    def test_2b_logs_follow_left(self):
        """A client that leaves a followed log ends the node's reading."""
        u = self.run_on_node("fw", "sh", "-c", "echo begun; exec sleep 300")
        p = subprocess.Popen(["docker", "logs", "-f", "fw"],
                             env=self.d.docker_env(self.alice),
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            ready, _, _ = select.select([p.stdout], [], [], 15)
            self.assertTrue(ready, "no line from docker logs -f")
            self.assertEqual(p.stdout.readline(), b"begun\n")
            self.agent_said("container %s: logs (follow)" % u)
        finally:
            p.kill()
            p.wait()
            p.stdout.close()
        self.agent_said("container %s: logs: the head has gone" % u)

    def test_3_stats(self):
        u = self.run_on_node("st", "sleep", "300")
        out = self.ok("stats", "--no-stream", "--format", "{{json .}}", "st")
        s = json.loads(out)
        self.assertEqual(s["Name"], "st")
        self.assertNotEqual(s["MemUsage"], "0B / 0B")
        self.agent_said("container %s: stats" % u)
        # the stream: a few frames, each with the previous as precpu
        c = self.d.dockerpy(self.alice).containers.get("st")
        frames = []
        for f in c.stats(stream=True, decode=True):
            frames.append(f)
            if len(frames) == 3:
                break
        self.assertEqual([f["name"] for f in frames], ["/st"] * 3)
        self.assertEqual(frames[0]["id"], c.id)
        self.assertGreater(frames[2]["cpu_stats"]["cpu_usage"]["total_usage"], 0)
        self.assertEqual(frames[2]["precpu_stats"]["cpu_usage"]["total_usage"],
                         frames[1]["cpu_stats"]["cpu_usage"]["total_usage"])
        self.agent_said("container %s: stats (stream)" % u)

    def test_4_export_diff_top(self):
        # /done comes once /made is written whole (diff lists a file
        # from its creation, before the shell's write)
        u = self.run_on_node("fs", "sh", "-c",
                             "echo made > /made; : > /done; exec sleep 300")
        sdctest.wait_for("the file made", lambda: os.path.exists(
            os.path.join(self.node_zones, u, "rw")) and "A /done" in self.docker(
                "diff", "fs").stdout, timeout=10)
        self.agent_said("container %s: changes" % u)
        # export: the tar the node wrote, through the CLI and docker-py
        out = os.path.join(self.d.tmp, "fs.tar")
        self.ok("export", "-o", out, "fs")
        with tarfile.open(out) as t:
            names = set(t.getnames())
            self.assertIn("bin/busybox", names)
            self.assertEqual(t.extractfile("made").read(), b"made\n")
        self.agent_said("container %s: export" % u)
        raw = b"".join(self.d.dockerpy(self.alice).containers.get("fs").export())
        with tarfile.open(fileobj=io.BytesIO(raw)) as t:
            self.assertIn("made", t.getnames())
        # top: the node's processes of the container, ps_args applied
        r = self.ok("top", "fs")
        self.assertIn("sleep 300", r)
        self.agent_said("container %s: top" % u)
        top = self.d.dockerpy(self.alice).containers.get("fs").top(ps_args="-o pid,args")
        self.assertEqual(top["Titles"][-1], "COMMAND")
        self.assertTrue(any("sleep 300" in p[-1] for p in top["Processes"]), top)
        # another account finds none of it
        for args in (("export", "-o", out + ".bob", "fs"), ("diff", "fs"),
                     ("top", "fs"), ("logs", "lg"), ("stats", "--no-stream", "st")):
            r = self.docker(*args, who=self.bob)
            self.assertNotEqual(r.returncode, 0, args)
            self.assertIn("No such container", r.stderr, args)

    def test_5_cp(self):
        u = self.run_on_node("cp", "sh", "-c",
                             "mkdir /box; echo inside > /box/f; "
                             "ln -s /etc /leak; exec sleep 300")
        sdctest.wait_for("/box/f", lambda: self.docker(
            "cp", "cp:/box/f", "-").returncode == 0, timeout=10)
        # out: a file, a folder, through the CLI (HEAD then GET)
        dst = os.path.join(self.d.tmp, "out")
        os.makedirs(dst)
        self.ok("cp", "cp:/box", dst)
        with open(os.path.join(dst, "box", "f")) as f:
            self.assertEqual(f.read(), "inside\n")
        self.agent_said("container %s: archive of /box" % u)
        # in: a file and a folder, then read back
        src = os.path.join(self.d.tmp, "in")
        os.makedirs(os.path.join(src, "sub"))
        with open(os.path.join(src, "sub", "g"), "w") as f:
            f.write("from the client\n")
        self.ok("cp", os.path.join(src, "sub"), "cp:/box/")
        self.agent_said("container %s: extracted into /box/" % u)
        raw = subprocess.run(["docker", "cp", "cp:/box/sub/g", "-"],
                             env=self.d.docker_env(self.alice),
                             capture_output=True, timeout=30)
        with tarfile.open(fileobj=io.BytesIO(raw.stdout)) as t:
            self.assertEqual(t.extractfile("g").read(), b"from the client\n")
        # docker-py: put_archive and get_archive, HEAD's stat
        c = self.d.dockerpy(self.alice).containers.get("cp")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            info = tarfile.TarInfo("py.txt")
            info.size = 3
            t.addfile(info, io.BytesIO(b"py\n"))
        self.assertTrue(c.put_archive("/box", buf.getvalue()))
        bits, stat = c.get_archive("/box/py.txt")
        self.assertEqual(stat["name"], "py.txt")
        with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as t:
            self.assertEqual(t.extractfile("py.txt").read(), b"py\n")
        # a missing path: Docker's 404
        r = self.docker("cp", "cp:/nothing/here", dst)
        self.assertNotEqual(r.returncode, 0)
        # named as the client named it, as Docker does
        self.assertIn("Could not find the file /nothing/here in container cp\n",
                      r.stderr)
        # the tenant's symlink to /etc leads to the container's /etc, never
        # the node's: no host file out, none in
        r = self.docker("cp", "cp:/leak/os-release", dst)
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(dst, "os-release")))
        marker = "sdc-nodes-files-%d" % os.getpid()
        with open(os.path.join(src, marker), "w") as f:
            f.write("x")
        self.docker("cp", os.path.join(src, marker), "cp:/leak/")
        self.assertFalse(os.path.exists(os.path.join("/etc", marker)))
        r = subprocess.run(["docker", "cp", "cp:/leak/" + marker, "-"],
                           env=self.d.docker_env(self.alice), capture_output=True,
                           timeout=30)
        if r.returncode == 0:       # it landed in the container's own /etc
            self.assertTrue(any(marker in files for _, _, files in
                                os.walk(os.path.join(self.node_zones, u))))
        # a volume's path: the node opens the volume's folder
        self.run_on_node("cv", "sleep", "300", opts=("-v", "vdata:/data"))
        self.ok("cp", os.path.join(src, "sub"), "cv:/data/")
        r = subprocess.run(["docker", "cp", "cv:/data/sub/g", "-"],
                           env=self.d.docker_env(self.alice),
                           capture_output=True, timeout=30)
        with tarfile.open(fileobj=io.BytesIO(r.stdout)) as t:
            self.assertEqual(t.extractfile("g").read(), b"from the client\n")
        # another account: 404 both ways, nothing written
        r = self.docker("cp", "cp:/box/f", dst + "-bob", who=self.bob)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No such container", r.stderr)
        r = self.docker("cp", os.path.join(src, "sub"), "cp:/box/bob", who=self.bob)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No such container", r.stderr)
        self.assertNotEqual(self.docker("cp", "cp:/box/bob", "-").returncode, 0)

    def test_6_ps_size(self):
        u = self.uuid_of("fs")
        # the node measures the writable layer (fs wrote /made)
        rows = self.d.dockerpy(self.alice).api.containers(all=True, size=True)
        sizes = {r["Names"][0]: r["SizeRw"] for r in rows}
        self.assertGreater(sizes["/fs"], 0, rows)
        self.agent_said("container %s: size" % u)
        out = self.ok("ps", "-a", "-s", "--format", "{{.Names}} {{.Size}}")
        self.assertRegex(out, r"(?m)^fs [1-9][0-9.]*[kMG]?B")

    def test_9_node_unavailable(self):
        pid = self.d.pid("agent")
        os.kill(pid, signal.SIGSTOP)
        try:
            self.wait_available(False)
            for args in (("logs", "lg"), ("stats", "--no-stream", "st"),
                         ("diff", "fs"), ("top", "fs"), ("cp", "cp:/box", "-"),
                         ("export", "-o", os.path.join(self.d.tmp, "x.tar"), "fs")):
                t0 = time.monotonic()
                r = self.docker(*args, timeout=20)
                self.assertNotEqual(r.returncode, 0, args)
                self.assertIn("node unavailable", r.stderr, args)
                self.assertLess(time.monotonic() - t0, 5, args)
            # ps -s still answers, the node's containers at 0
            r = self.docker("ps", "-a", "-s", timeout=20)
            self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.wait_available(True)
        self.assertEqual(self.docker("logs", "lg").stdout, "one\nthree\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
