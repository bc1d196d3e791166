#!/usr/bin/python3
"""docker cp through a container's mounts as Docker does it: a tree
copied into a path above a volume lands in the volume (running and
stopped), a tar of a path above a volume has the volume's files, a path
in a tmpfs (--tmpfs, --mount type=tmpfs) of a running container is its
tmpfs both ways, and a tree copied above a tmpfs lands in it.  Tried as
a tenant would break it: links planted in the volume and the tmpfs (to a
host folder, to "/", climbing with ".."), a tar entry that would replace
a mount point with a file, a read-only volume reached from above or
through a link planted in the root: nothing on the host is read or
written, no mount point is replaced, the read-only volume stays empty."""
import importlib
import io
import os
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")


class CpMounts(common.ContainersTest):
    def local(self, *parts):
        return os.path.join(self.work, *parts)

    def tree(self, name, files):
        top = self.local(name)
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(top, rel)), exist_ok=True)
            with open(os.path.join(top, rel), "w") as f:
                f.write(text)
        return top

    def tar_out(self, ctr, path):
        r = subprocess.run(["docker", "cp", ctr + ":" + path, "-"],
                           env=self.d.docker_env(self.alice), capture_output=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with tarfile.open(fileobj=io.BytesIO(r.stdout)) as t:
            return {m.name: (t.extractfile(m).read().decode() if m.isfile() else None)
                    for m in t.getmembers()}

    def put_tar(self, ctr, path, entries):
        b = io.BytesIO()
        with tarfile.open(fileobj=b, mode="w") as t:
            for name, data in entries:
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
        return subprocess.run(["docker", "cp", "-", ctr + ":" + path],
                              env=self.d.docker_env(self.alice), input=b.getvalue(),
                              capture_output=True, timeout=60)

    def test_above_a_volume(self):
        self.ok("run", "-d", "--name", "av", "-v", "avol:/srv/data", "busybox",
                "sleep", "300")
        src = self.tree("avsrc", {"srv/data/in.txt": "in the volume\n",
                                  "srv/top.txt": "in the root\n"})
        self.ok("cp", src + "/.", "av:/")
        self.assertEqual(self.ok("exec", "av", "cat", "/srv/data/in.txt", "/srv/top.txt"),
                         "in the volume\nin the root\n")
        # it is the volume's: another container sees it
        self.assertEqual(self.ok("run", "--rm", "-v", "avol:/v", "busybox", "cat",
                                 "/v/in.txt"), "in the volume\n")
        # out: a tar of the folder above has the volume's files
        self.ok("exec", "av", "sh", "-c", "echo made > /srv/data/made")
        got = self.tar_out("av", "/srv")
        self.assertEqual(got.get("srv/data/made"), "made\n", sorted(got))
        self.assertEqual(got.get("srv/top.txt"), "in the root\n")
        # stopped: the same, the volume still grafted in
        self.ok("stop", "-t", "0", "av")
        src2 = self.tree("avsrc2", {"srv/data/stopped.txt": "while stopped\n"})
        self.ok("cp", src2 + "/.", "av:/")
        got = self.tar_out("av", "/srv")
        self.assertEqual(got.get("srv/data/stopped.txt"), "while stopped\n", sorted(got))
        self.assertEqual(self.ok("run", "--rm", "-v", "avol:/v", "busybox", "cat",
                                 "/v/stopped.txt"), "while stopped\n")

    def test_tmpfs(self):
        self.ok("run", "-d", "--name", "tm", "--tmpfs", "/scratch",
                "--mount", "type=tmpfs,dst=/srv/t", "busybox", "sleep", "300")
        with open(self.local("one.txt"), "w") as f:
            f.write("one\n")
        self.ok("cp", self.local("one.txt"), "tm:/scratch/one.txt")
        self.assertEqual(self.ok("exec", "tm", "cat", "/scratch/one.txt"), "one\n")
        self.ok("exec", "tm", "sh", "-c", "echo inside > /scratch/made")
        self.ok("cp", "tm:/scratch/made", self.local("made"))
        with open(self.local("made")) as f:
            self.assertEqual(f.read(), "inside\n")
        # a tree above a tmpfs lands in it; a tar of the path above has it
        src = self.tree("tmsrc", {"srv/t/deep/f.txt": "in the tmpfs\n"})
        self.ok("cp", src + "/.", "tm:/")
        self.assertEqual(self.ok("exec", "tm", "cat", "/srv/t/deep/f.txt"), "in the tmpfs\n")
        self.assertEqual(self.ok("exec", "tm", "grep", "-c", " /srv/t tmpfs", "/proc/mounts"),
                         "1\n")
        got = self.tar_out("tm", "/srv")
        self.assertEqual(got.get("srv/t/deep/f.txt"), "in the tmpfs\n", sorted(got))
        # stopped, a tmpfs is gone and its path is the root's folder, as
        # dockerd has it
        self.ok("stop", "-t", "0", "tm")
        self.ok("cp", self.local("one.txt"), "tm:/scratch/after.txt")
        self.ok("start", "tm")
        self.assertEqual(self.ok("exec", "tm", "ls", "/scratch"), "")

    def test_hostile(self):
        host = self.local("host-secret")
        os.makedirs(host)
        with open(os.path.join(host, "secret"), "w") as f:
            f.write("the node's\n")
        self.ok("volume", "create", "hro")
        self.ok("run", "-d", "--name", "hv", "-v", "hvol:/srv/data",
                "-v", "hro:/srv/ro:ro", "--tmpfs", "/scratch", "busybox", "sleep", "300")
        self.ok("exec", "hv", "sh", "-c",
                "ln -s %s /srv/data/tohost && ln -s / /srv/data/toroot && "
                "ln -s ../../../../../../.. /scratch/up && ln -s %s /scratch/tohost && "
                "ln -s /srv/data /srv/link && ln -s /srv/ro /srv/toro" %
                (host, host))
        # in: entries through the planted links stay inside the container
        for ctr_path, entries in (
                ("/", [("srv/data/tohost/new", b"bad\n"),
                       ("srv/data/toroot" + host + "/new2", b"bad\n"),
                       ("srv/link/tohost/new3", b"bad\n")]),
                ("/scratch/", [("tohost/new4", b"bad\n"),
                               ("up" + host + "/new5", b"bad\n")])):
            self.put_tar("hv", ctr_path, entries)
        self.assertEqual(sorted(os.listdir(host)), ["secret"])
        # out: the node's file never comes back
        for path in ("/srv/data/tohost/secret", "/scratch/up" + host + "/secret",
                     "/scratch/tohost/secret"):
            r = self.docker(self.alice, "cp", "hv:" + path, "-")
            self.assertNotIn("the node's", r.stdout, path)
        got = self.tar_out("hv", "/srv")
        self.assertNotIn("the node's", "".join(v or "" for v in got.values()))
        # a link from the root into the volume is followed into the volume
        r = self.put_tar("hv", "/srv/link/", [("vialink", b"ok\n")])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.ok("exec", "hv", "cat", "/srv/data/vialink"), "ok\n")
        # no mount point is replaced by a file, nor removed
        r = self.put_tar("hv", "/srv/", [("data", b"a file\n")])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("mount point", r.stderr.decode())
        r = self.put_tar("hv", "/", [("srv", b"a file\n")])
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.ok("exec", "hv", "cat", "/srv/data/vialink"), "ok\n")
        # a read-only volume reached from above refuses the copy
        r = self.put_tar("hv", "/srv/", [("ro/x", b"x\n")])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("read-only", r.stderr.decode())
        # and so does one a link planted in the root leads to (the mount
        # the path names is found by its text: /srv/toro is in none)
        for ctr_path in ("/srv/toro/", "/srv/toro"):
            r = self.put_tar("hv", ctr_path, [("x", b"x\n")])
            self.assertNotEqual(r.returncode, 0, ctr_path)
            self.assertIn("read-only", r.stderr.decode(), ctr_path)
        self.assertEqual(self.ok("run", "--rm", "-v", "hro:/v", "busybox", "ls", "/v"), "")
        # bob reaches none of it
        r = self.docker(self.bob, "cp", "hv:/srv", "-")
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    common.main()
