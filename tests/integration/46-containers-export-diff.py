#!/usr/bin/python3
"""docker diff and docker export with the real docker CLI and docker-py:
the changes of a container (added, changed, deleted, as whiteouts record
them), its whole file system as a tar with the owners the container sees,
export | import | run round trip, a hostile symlink kept a symlink, and
another account refused both."""
import importlib
import io
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

CHANGE = ("mkdir /newdir && echo hi > /newdir/f && chown 1000:1001 /newdir/f && "
          "echo extra >> /etc/passwd && rm /bin/ls && ln -s /etc/shadow /evil")


class ExportDiff(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.d.docker(cls.alice, "run", "--name", "ch", "busybox", "sh", "-c", CHANGE)
        assert r.returncode == 0, r.stderr + cls.d.log("dockerapi")[-2000:]

    def test_1_diff(self):
        out = self.ok("diff", "ch").splitlines()
        for line in ("A /newdir", "A /newdir/f", "C /etc/passwd", "D /bin/ls",
                     "C /bin", "A /evil"):
            self.assertIn(line, out)
        # the runtime's mount points are Docker's init layer, never shown
        self.assertFalse([l for l in out if l.split()[1].startswith(("/proc", "/sys", "/dev"))],
                         out)
        # parents come before what they hold, as Docker sends them
        self.assertLess(out.index("A /newdir"), out.index("A /newdir/f"))
        self.assertLess(out.index("C /bin"), out.index("D /bin/ls"))
        # a new container has changed nothing
        self.ok("create", "--name", "fresh", "busybox", "true")
        self.assertEqual(self.ok("diff", "fresh").strip(), "")

    def test_2_diff_docker_py(self):
        client = self.d.dockerpy(self.alice, version="auto")
        got = client.containers.get("ch").diff()
        self.assertIn({"Path": "/bin/ls", "Kind": 2}, got)
        self.assertIn({"Path": "/newdir/f", "Kind": 1}, got)
        self.assertIn({"Path": "/etc/passwd", "Kind": 0}, got)
        data = b"".join(client.containers.get("ch").export())
        names = tarfile.open(fileobj=io.BytesIO(data)).getnames()
        self.assertIn("newdir/f", names)
        client.close()

    def test_3_export_import_round_trip(self):
        path = os.path.join(self.work, "ch.tar")
        self.ok("export", "-o", path, "ch")
        with tarfile.open(path) as t:
            names = t.getnames()
            self.assertNotIn("bin/ls", names)
            self.assertIn("bin/busybox", names)
            f = t.getmember("newdir/f")
            # the container's ids, not the account's host range
            self.assertEqual((f.uid, f.gid), (1000, 1001))
            self.assertEqual(t.extractfile(f).read(), b"hi\n")
            bb = t.getmember("bin/busybox")
            self.assertEqual((bb.uid, bb.gid, bb.mode & 0o777), (0, 0, 0o755))
            self.assertIn(b"extra\n", t.extractfile("etc/passwd").read())
            # the tenant's symlink is a symlink in the tar, never followed
            evil = t.getmember("evil")
            self.assertTrue(evil.issym())
            self.assertEqual(evil.linkname, "/etc/shadow")
            self.assertEqual(evil.size, 0)
            self.assertTrue(t.getmember("newdir").isdir())
        # docker export | docker import, and the image runs
        imp = self.ok("import", path, "exported:1")
        self.assertTrue(imp.strip().startswith("sha256:"), imp)
        self.assertEqual(self.ok("run", "--rm", "exported:1", "cat", "/newdir/f"), "hi\n")
        r = self.docker(self.alice, "run", "--rm", "exported:1", "ls", "/bin/ls")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.ok("run", "--rm", "exported:1", "stat", "-c", "%u:%g",
                                 "/newdir/f"), "1000:1001\n")

    def test_4_export_running(self):
        self.ok("run", "-d", "--name", "live", "busybox", "sh", "-c",
                "echo running > /state && sleep 100")
        self.wait_until("the file", lambda: "/state" in self.ok("diff", "live"))
        path = os.path.join(self.work, "live.tar")
        self.ok("export", "-o", path, "live")
        with tarfile.open(path) as t:
            self.assertEqual(t.extractfile("state").read(), b"running\n")
        self.ok("rm", "-f", "live")

    def test_5_other_account_refused(self):
        for args in (("diff", "ch"), ("export", "-o", os.path.join(self.work, "bob.tar"), "ch")):
            r = self.fails(*args, certs=self.bob)
            self.assertIn("No such container", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.work, "bob.tar"))
                         and os.path.getsize(os.path.join(self.work, "bob.tar")) > 0)
        # by full id too
        cid = self.inspect("ch")["Id"]
        st, _, body = self.d.https("GET", "/containers/%s/export" % cid, self.bob)
        self.assertEqual(st, 404, body)
        st, _, body = self.d.https("GET", "/containers/%s/changes" % cid, self.bob)
        self.assertEqual(st, 404, body)


if __name__ == "__main__":
    common.main()
