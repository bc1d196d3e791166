#!/usr/bin/python3
"""docker cp into and out of a path inside a volume: a file and a folder
both ways, on a running and on a stopped container, seen by a second
container sharing the volume; a read-only mount refused for a copy in;
and links the tenant planted in the volume (to a host folder, to "/",
climbing with "..") that lead nowhere outside it: nothing on the host is
read or written through them."""
import importlib
import io
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")


class CpVolumes(common.ContainersTest):
    def local(self, *parts):
        return os.path.join(self.work, *parts)

    def test_both_ways_and_shared(self):
        self.ok("volume", "create", "cpdata")
        self.ok("run", "-d", "--name", "cv1", "-v", "cpdata:/data",
                "busybox", "sleep", "300")
        src = self.local("cvsrc")
        os.makedirs(os.path.join(src, "sub"))
        with open(os.path.join(src, "sub", "f.txt"), "w") as f:
            f.write("in a volume\n")
        with open(self.local("one.txt"), "w") as f:
            f.write("one\n")
        self.ok("cp", self.local("one.txt"), "cv1:/data/one.txt")
        self.ok("cp", src, "cv1:/data/")
        self.assertEqual(self.ok("exec", "cv1", "cat", "/data/one.txt",
                                 "/data/cvsrc/sub/f.txt"),
                         "one\nin a volume\n")
        # a second container with the volume sees what was copied in
        self.assertEqual(self.ok("run", "--rm", "-v", "cpdata:/mnt", "busybox",
                                 "cat", "/mnt/cvsrc/sub/f.txt"),
                         "in a volume\n")
        # out: a file, a folder below, and the volume's top by its name
        self.ok("exec", "cv1", "sh", "-c", "echo made inside > /data/made")
        self.ok("cp", "cv1:/data/made", self.local("made"))
        with open(self.local("made")) as f:
            self.assertEqual(f.read(), "made inside\n")
        self.ok("cp", "cv1:/data", self.local("whole"))
        with open(self.local("whole", "cvsrc", "sub", "f.txt")) as f:
            self.assertEqual(f.read(), "in a volume\n")
        # stopped, the volume is still reached
        self.ok("stop", "-t", "0", "cv1")
        self.ok("cp", self.local("one.txt"), "cv1:/data/two.txt")
        self.ok("cp", "cv1:/data/two.txt", self.local("two"))
        with open(self.local("two")) as f:
            self.assertEqual(f.read(), "one\n")
        # a missing path in the volume is Docker's 404, named as given
        r = self.fails("cp", "cv1:/data/nothing", self.local("x"))
        self.assertIn("Could not find the file /data/nothing", r.stderr)

    def test_readonly_mount(self):
        self.ok("volume", "create", "cpro")
        self.ok("create", "--name", "cvro", "-v", "cpro:/ro:ro", "busybox",
                "true")
        with open(self.local("ro.txt"), "w") as f:
            f.write("x\n")
        r = self.fails("cp", self.local("ro.txt"), "cvro:/ro/")
        self.assertIn("read-only", r.stderr)
        # reading out of it is fine
        self.ok("cp", "cvro:/ro", self.local("ro-out"))

    def test_planted_links_stay_inside(self):
        host = self.local("host-secret")
        os.makedirs(host)
        with open(os.path.join(host, "secret"), "w") as f:
            f.write("the node's\n")
        self.ok("run", "-d", "--name", "cvevil", "-v", "evil:/data",
                "busybox", "sleep", "300")
        self.ok("exec", "cvevil", "sh", "-c",
                "ln -s %s /data/tohost && ln -s / /data/toroot && "
                "ln -s ../../../../../../../.. /data/up && "
                "mkdir /data/real && echo volume > /data/real/secret" % host)
        # out: through each link, the node's file is never what comes back
        for path in ("/data/tohost/secret", "/data/up" + host + "/secret",
                     "/data/toroot" + host + "/secret"):
            r = self.docker(self.alice, "cp", "cvevil:" + path, "-")
            self.assertNotIn("the node's", r.stdout, path)
        # a link to "/" names the volume's top
        r = self.docker(self.alice, "cp", "cvevil:/data/toroot/real/secret",
                        self.local("via-root"))
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.local("via-root")) as f:
            self.assertEqual(f.read(), "volume\n")
        # in: nothing lands in the host folder
        with open(self.local("planted"), "w") as f:
            f.write("planted\n")
        for path in ("/data/tohost/", "/data/up" + host + "/",
                     "/data/toroot" + host + "/"):
            self.docker(self.alice, "cp", self.local("planted"),
                        "cvevil:" + path)
        self.assertEqual(sorted(os.listdir(host)), ["secret"])
        with open(os.path.join(host, "secret")) as f:
            self.assertEqual(f.read(), "the node's\n")
        # a tar whose entries climb or follow the links stays inside too
        b = io.BytesIO()
        with tarfile.open(fileobj=b, mode="w") as t:
            for name in ("tohost/new", "../../../../../.." + host + "/new2"):
                ti = tarfile.TarInfo(name)
                ti.size = 4
                t.addfile(ti, io.BytesIO(b"bad\n"))
        self.docker(self.alice, "cp", "-", "cvevil:/data/",
                    input=b.getvalue().decode("ascii"))
        self.assertEqual(sorted(os.listdir(host)), ["secret"])
        # bob cannot reach alice's volume through her container
        r = self.docker(self.bob, "cp", "cvevil:/data/real/secret",
                        self.local("bob"))
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(self.local("bob")))


if __name__ == "__main__":
    common.main()
