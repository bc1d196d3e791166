#!/usr/bin/python3
"""docker cp as a hostile tenant.  alice plants symlinks in her container
(`ln -s / /x`, `ln -s /etc /tmp/e`, a relative ../../.. chain), sends
tars with `..`, absolute names, links through symlinks, hard links out
and device nodes, and flips a folder and a symlink in a loop while
copies run: nothing outside her container's root is ever read or
written (a canary folder on the host keeps its one file and its secret
never comes back; the host's /etc is untouched).  bob cannot copy from
or into her container; a PUT over the container's disk limit fails with
a clear error and leaves the daemon serving."""
import importlib
import io
import os
import sys
import tarfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402
common = importlib.import_module("76-containers-common")

SECRET = "CANARY_7c4a8d09ca3762af"
TINY = {"name": "t4-standard-tiny", "uuid": "0bd3c3a0-2d5b-4a4e-9a54-3f0e8b7d1c11",
        "memory": 64, "vcpus": 0.0625, "disk": 10, "pids": 32}


def tar_with(*members):
    """members: (TarInfo, data or None)."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
        for ti, data in members:
            if data is not None:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
    return b.getvalue()


def reg(name, data=b"evil"):
    ti = tarfile.TarInfo(name)
    ti.mode = 0o644
    return ti, data


def link(name, target, kind=tarfile.SYMTYPE):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = target
    return ti, None


class CpAttacks(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.host = os.path.join(cls.d.tmp, "hostdir")
        os.makedirs(cls.host)
        with open(os.path.join(cls.host, "canary"), "w") as f:
            f.write(SECRET)
        cls.etc = sorted(os.listdir("/etc"))

    def setUp(self):
        self.assertEqual(os.listdir(self.host), ["canary"])

    def tearDown(self):
        # nothing was written outside: the canary alone, unchanged
        self.assertEqual(os.listdir(self.host), ["canary"])
        with open(os.path.join(self.host, "canary")) as f:
            self.assertEqual(f.read(), SECRET)
        self.assertEqual(sorted(os.listdir("/etc")), self.etc)

    def client(self, certs=None):
        return self.d.dockerpy(certs or self.alice).api

    def read(self, c, name, path):
        """The bytes of a GET archive, or None when refused."""
        import docker
        try:
            strm, _ = c.get_archive(name, path)
            return b"".join(strm)
        except docker.errors.APIError:
            return None

    def test_planted_symlinks(self):
        self.ok("run", "-d", "--name", "sl", "busybox", "sh", "-c",
                "ln -s / /x; ln -s /etc /tmp/e; mkdir -p /a/b/c; "
                "ln -s ../../../../../../../.. /a/b/c/up; exec sleep 300")
        self.wait_until("the links", lambda: self.d.docker(
            self.alice, "exec", "sl", "test", "-L", "/a/b/c/up").returncode == 0)
        c = self.client()
        out = self.local("o")
        for p in ("/x" + self.host + "/canary", "/a/b/c/up" + self.host + "/canary",
                  "/tmp/e/../../.." + self.host + "/canary", "/x/../.." + self.host,
                  "/a/b/c/up/../../.." + self.host):
            r = self.fails("cp", "sl:" + p, out)
            self.assertIn("Could not find the file", r.stderr)
            self.assertFalse(os.path.exists(out))
            data = self.read(c, "sl", p)
            self.assertIsNone(data, p)
        # the container's own /etc, not the host's
        with tarfile.open(fileobj=io.BytesIO(self.read(c, "sl", "/etc/"))) as t:
            own = sorted(t.getnames())
        for p in ("/x/etc/", "/a/b/c/up/etc/", "/tmp/e/"):
            data = self.read(c, "sl", p)
            self.assertNotIn(SECRET.encode(), data)
            with tarfile.open(fileobj=io.BytesIO(data)) as t:
                names = sorted(n.replace("e/", "etc/", 1) if n.startswith("e/")
                               else ("etc" if n == "e" else n) for n in t.getnames())
            self.assertEqual(names, own, p)
        # the whole root, through the links too: the secret never comes out
        self.assertNotIn(SECRET.encode(), self.read(c, "sl", "/x/"))
        # writes through the links land inside
        f = self.local("dropped")
        with open(f, "w") as fh:
            fh.write("dropped")
        self.ok("cp", f, "sl:/tmp/e/")
        self.assertEqual(self.ok("exec", "sl", "cat", "/etc/dropped"), "dropped")
        self.assertFalse(os.path.exists("/etc/dropped"))
        r = self.fails("cp", f, "sl:/x" + self.host + "/")
        self.fails("cp", f, "sl:/a/b/c/up" + self.host + "/")
        # once the folder exists in the container, that is where it goes
        self.ok("exec", "sl", "mkdir", "-p", self.host)
        self.ok("cp", f, "sl:/x" + self.host + "/")
        self.ok("cp", f, "sl:/a/b/c/up/" + self.host + "/d2")
        self.assertEqual(self.ok("exec", "sl", "ls", self.host), "d2\ndropped\n")
        c.close()
        self.ok("rm", "-f", "sl")

    def local(self, name):
        d = os.path.join(self.work, str(time.monotonic_ns()))
        os.makedirs(d)
        return os.path.join(d, name)

    def test_hostile_tars(self):
        import docker
        self.ok("run", "-d", "--name", "tars", "busybox", "sh", "-c",
                "mkdir -p /in " + self.host + "; exec sleep 300")
        self.wait_until("the folder", lambda: self.d.docker(
            self.alice, "exec", "tars", "test", "-d", self.host).returncode == 0)
        c = self.client()
        up = "../" * 12
        refused = [
            ("dotdot", [reg(up + self.host.lstrip("/") + "/evil")]),
            ("dotdot2", [reg("a/../../" + up + "etc/evil")]),
            ("hardlink out", [link("hl", up + self.host.lstrip("/") + "/canary",
                                   tarfile.LNKTYPE)]),
            ("hardlink abs", [link("hl2", "/etc/passwd", tarfile.LNKTYPE)]),
        ]
        dev = tarfile.TarInfo("null2")
        dev.type = tarfile.CHRTYPE
        dev.devmajor, dev.devminor = 1, 3
        refused.append(("device", [(dev, None)]))
        for what, members in refused:
            with self.assertRaises(docker.errors.APIError, msg=what) as e:
                c.put_archive("tars", "/in", tar_with(*members))
            self.assertEqual(e.exception.status_code, 400, what)
        self.assertIn("device", self.ok("logs", "tars") + str(e.exception))
        # contained: absolute names, and writes through a symlink (one in
        # the tar, one planted) resolve inside the root
        self.assertTrue(c.put_archive("tars", "/in", tar_with(
            reg(self.host + "/abs"),
            link("s", self.host), reg("s/through"),
            link("t", "/"), reg("t/etc/through"),
            link("u", "../../../../.."), reg("u" + self.host + "/dotted"))))
        ls = self.ok("exec", "tars", "sh", "-c", "ls /in" + self.host + "; ls " +
                     self.host + "; ls /etc/through")
        self.assertEqual(ls, "abs\ndotted\nthrough\n/etc/through\n")
        # a symlink that is then overwritten by a file: the link is
        # replaced, its target untouched
        self.assertTrue(c.put_archive("tars", "/in", tar_with(
            link("v", self.host + "/canary"), reg("v", b"replaced"))))
        self.assertEqual(self.ok("exec", "tars", "cat", "/in/v"), "replaced")
        c.close()
        self.ok("rm", "-f", "tars")

    def test_race_flipping_symlink(self):
        # /tmp/r/d flips between a folder and a symlink to the host's
        # canary folder (absent in the container) while copies run
        self.ok("run", "-d", "--name", "race", "busybox", "sh", "-c",
                "mkdir -p /tmp/r; while :; do rm -rf /tmp/r/d; mkdir /tmp/r/d; "
                "echo inside > /tmp/r/d/canary; rm -rf /tmp/r/d; "
                "ln -s " + self.host + " /tmp/r/d; done")
        c = self.client()
        got = {"in": 0, "out": 0}
        stop = time.time() + 8

        def reader():
            while time.time() < stop:
                for p in ("/tmp/r/d/canary", "/tmp/r/d/", "/tmp/r"):
                    data = self.read(c2, "race", p)
                    if data is not None:
                        self.assertNotIn(SECRET.encode(), data)
                        got["out"] += 1
        c2 = self.client()
        t = threading.Thread(target=reader)
        t.start()
        payload = tar_with(reg("planted", b"x"), reg("canary", b"overwritten"))
        while time.time() < stop:
            try:
                c.put_archive("race", "/tmp/r/d", payload)
                got["in"] += 1
            except Exception:
                pass
        t.join()
        self.assertGreater(got["out"], 0)
        c.close()
        c2.close()
        self.ok("rm", "-f", "race")

    def test_other_account_and_disk_limit(self):
        import docker
        self.ok("run", "-d", "--name", "mine", "busybox", "sleep", "300")
        r = self.fails("cp", "mine:/etc/hostname", self.local("b"), certs=self.bob)
        self.assertIn("No such container", r.stderr)
        f = self.local("bobs")
        with open(f, "w") as fh:
            fh.write("bob")
        # the CLI's HEAD has no body to read: it says the folder is not there
        self.fails("cp", f, "mine:/tmp/", certs=self.bob)
        b = self.client(self.bob)
        with self.assertRaises(docker.errors.NotFound):
            b.put_archive("mine", "/tmp", tar_with(reg("bob")))
        with self.assertRaises(docker.errors.NotFound):
            b.get_archive("mine", "/etc/hostname")
        st, _, _ = self.d.https("HEAD", "/v1.41/containers/mine/archive?path=/",
                                self.bob)
        self.assertEqual(st, 404)
        b.close()
        self.assertNotIn("bob", self.ok("exec", "mine", "ls", "/tmp"))
        # a PUT larger than the container's disk: refused cleanly
        st, cfg = self.d.admin("GET", "/config")
        pk = cfg["config"]["PACKAGES"] + [TINY]
        self.d.set_tunable("PACKAGES", pk)
        sdctest.wait_for("PACKAGES", lambda: self.d.admin(
            "GET", "/config")[1]["config"].get("PACKAGES") == pk)
        self.ok("run", "-d", "--name", "tiny", "-m", "64m", "busybox", "sleep", "300")
        c = self.client()
        with self.assertRaises(docker.errors.APIError) as e:
            c.put_archive("tiny", "/tmp", tar_with(reg("big", b"\0" * (30 << 20))))
        self.assertEqual(e.exception.status_code, 403)
        self.assertIn("no space left", str(e.exception))
        df = self.ok("exec", "tiny", "df", "-k", "/").splitlines()[1].split()
        self.assertLess(int(df[2]), 10 * 1024)
        # the daemon serves on; a small copy still fits once room is made
        self.ok("exec", "tiny", "rm", "-f", "/tmp/big")
        self.assertTrue(c.put_archive("tiny", "/tmp", tar_with(reg("small"))))
        c.close()
        self.ok("rm", "-f", "mine", "tiny")


if __name__ == "__main__":
    common.main()
