#!/usr/bin/python3
"""docker cp both ways, as a user sees it: a file and a folder in and out
of a running container and of one never started, a tar on stdout and
from stdin, ownership as Docker documents it (the container's root, or
with -a the files' own ids), the path's stat (HEAD, linkTarget), the
errors Docker gives (404 for a missing path, 400 for an extraction point
that is not a folder, 403 for a read-only root), and docker-py's
get_archive and put_archive."""
import importlib
import io
import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")


def tar_of(entries):
    """A tar from (name, data or None for a folder, uid) triples."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for name, data, uid in entries:
            ti = tarfile.TarInfo(name)
            ti.uid = ti.gid = uid
            if data is None:
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                t.addfile(ti)
            else:
                ti.size = len(data)
                ti.mode = 0o4755 if name.endswith("suid") else 0o644
                t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


class Cp(common.ContainersTest):
    def client(self, certs=None):
        return self.d.dockerpy(certs or self.alice).api

    def local(self, *parts):
        return os.path.join(self.work, *parts)

    def test_file_and_folder_running_and_created(self):
        src = self.local("src")
        os.makedirs(os.path.join(src, "sub", "deeper"))
        with open(os.path.join(src, "a.txt"), "w") as f:
            f.write("alpha\n")
        with open(os.path.join(src, "sub", "deeper", "b.bin"), "wb") as f:
            f.write(os.urandom(300000))
        os.symlink("a.txt", os.path.join(src, "link"))
        for name, args in (("run1", ["run", "-d", "--name", "run1", "busybox",
                                     "sleep", "300"]),
                           ("new1", ["create", "--name", "new1", "busybox",
                                     "cat", "/tmp/src/a.txt", "/tmp/one"])):
            self.ok(*args)
            self.ok("cp", os.path.join(src, "a.txt"), name + ":/tmp/one")
            self.ok("cp", src, name + ":/tmp/")
            out = self.local("out-" + name)
            self.ok("cp", name + ":/tmp/src", out)
            for rel in ("a.txt", "sub/deeper/b.bin"):
                with open(os.path.join(src, rel), "rb") as a, \
                        open(os.path.join(out, rel), "rb") as b:
                    self.assertEqual(a.read(), b.read(), rel)
            self.assertEqual(os.readlink(os.path.join(out, "link")), "a.txt")
            self.ok("cp", name + ":/tmp/one", self.local("one-" + name))
            with open(self.local("one-" + name)) as f:
                self.assertEqual(f.read(), "alpha\n")
        # what was copied into the container never started is there at start
        self.assertEqual(self.ok("start", "-a", "new1"), "alpha\nalpha\n")
        # and a stopped one still answers
        self.ok("cp", "new1:/tmp/one", self.local("one-stopped"))
        # inside, the container's root owns what docker cp put there
        ls = self.ok("exec", "run1", "stat", "-c", "%u:%g %a", "/tmp/one",
                     "/tmp/src/sub/deeper/b.bin", "/tmp/src")
        self.assertEqual(ls.split("\n")[0], "0:0 644", ls)
        self.assertTrue(all(l.startswith("0:0 ") for l in ls.split("\n") if l), ls)
        self.ok("rm", "-f", "run1", "new1")

    def test_tar_streams_and_ownership(self):
        self.ok("run", "-d", "--name", "own", "busybox", "sh", "-c",
                "echo hi > /tmp/h; chown 42:43 /tmp/h; exec sleep 300")
        self.wait_until("the file", lambda: self.d.docker(
            self.alice, "exec", "own", "test", "-s", "/tmp/h").returncode == 0)
        # docker cp ctr:path - : a tar on stdout, ids as the container sees them
        r = self.d.docker(self.alice, "cp", "own:/tmp/h", "-")
        self.assertEqual(r.returncode, 0, r.stderr)
        import subprocess
        raw = subprocess.run(["docker", "cp", "own:/tmp/h", "-"],
                             env=self.d.docker_env(self.alice), capture_output=True)
        with tarfile.open(fileobj=io.BytesIO(raw.stdout)) as t:
            m = t.getmembers()
            self.assertEqual([x.name for x in m], ["h"])
            self.assertEqual((m[0].uid, m[0].gid), (42, 43))
            self.assertEqual(t.extractfile(m[0]).read(), b"hi\n")
        # docker cp - ctr:path : a tar from stdin; -a keeps the tar's ids
        data = tar_of([("in", None, 7), ("in/f", b"data", 1000), ("in/suid", b"#", 0)])
        r = subprocess.run(["docker", "cp", "-", "own:/tmp"], input=data,
                           env=self.d.docker_env(self.alice), capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.ok("exec", "own", "stat", "-c", "%u %a", "/tmp/in",
                                 "/tmp/in/f", "/tmp/in/suid"), "0 755\n0 644\n0 4755\n")
        f = self.local("mine")
        with open(f, "w") as fh:
            fh.write("x")
        os.chown(f, 1234, 2345)
        self.ok("cp", "-a", f, "own:/tmp/")
        self.ok("cp", f, "own:/tmp/notmine")
        self.assertEqual(self.ok("exec", "own", "stat", "-c", "%u:%g", "/tmp/mine",
                                 "/tmp/notmine"), "1234:2345\n0:0\n")
        # on the host, the account's range: base + 1234
        uuid = self.uuid_of("own")
        root = os.path.join(self.zones, uuid, "root")
        st = os.stat(os.path.join(root, "tmp", "mine"))
        base = os.stat(os.path.join(root, "tmp", "notmine")).st_uid
        self.assertGreaterEqual(base, 1000000000)
        self.assertEqual(st.st_uid, base + 1234)
        self.ok("rm", "-f", "own")

    def test_stat_errors_and_docker_py(self):
        self.ok("run", "-d", "--name", "py", "busybox", "sh", "-c",
                "ln -s /etc/hostname /tmp/l; exec sleep 300")
        self.wait_until("the link", lambda: self.d.docker(
            self.alice, "exec", "py", "test", "-L", "/tmp/l").returncode == 0)
        c = self.client()
        import docker
        # HEAD: the stat header, as dockerd encodes it
        st, headers, _ = self.d.https("HEAD", "/v1.41/containers/py/archive?path=/tmp/l",
                                      self.alice)
        self.assertEqual(st, 200)
        import base64
        stat = json.loads(base64.b64decode(headers["X-Docker-Container-Path-Stat"]))
        self.assertEqual(stat["name"], "l")
        self.assertEqual(stat["linkTarget"], "/etc/hostname")
        self.assertTrue(stat["mode"] & (1 << 27))
        strm, stat = c.get_archive("py", "/etc")
        self.assertEqual(stat["name"], "etc")
        self.assertTrue(stat["mode"] & (1 << 31))
        data = b"".join(strm)
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            names = t.getnames()
        self.assertIn("etc/hostname", names)
        self.assertIn("etc", names)
        # put_archive into a folder, then read it back
        self.assertTrue(c.put_archive("py", "/tmp", tar_of([("p/q", b"py!", 0)])))
        self.assertEqual(self.ok("exec", "py", "cat", "/tmp/p/q"), "py!")
        # errors as Docker's
        r = self.fails("cp", "py:/nope", self.local("nope"))
        self.assertIn("Could not find the file /nope in container py", r.stderr)
        with self.assertRaises(docker.errors.APIError) as e:
            c.put_archive("py", "/etc/hostname", tar_of([("z", b"", 0)]))
        self.assertEqual(e.exception.status_code, 400)
        self.assertIn("extraction point is not a directory", str(e.exception))
        with self.assertRaises(docker.errors.NotFound):
            c.put_archive("py", "/no/such", tar_of([("z", b"", 0)]))
        with self.assertRaises(docker.errors.NotFound):
            c.get_archive("py", "/no/such")
        # noOverwriteDirNonDir: a file never replaces a folder
        self.ok("exec", "py", "mkdir", "/tmp/dir")
        st, _, body = self.d.https("GET", "/v1.41/containers/py/archive", self.alice)
        self.assertEqual(st, 400, body)
        with self.assertRaises(docker.errors.APIError):
            r = c._put(c._url("/containers/py/archive"), params={
                "path": "/tmp", "noOverwriteDirNonDir": "1"},
                data=tar_of([("dir", b"file", 0)]))
            c._raise_for_status(r)
        self.assertEqual(self.ok("exec", "py", "stat", "-c", "%F", "/tmp/dir"),
                         "directory\n")
        # a read-only root filesystem: 403
        self.ok("run", "-d", "--name", "ro", "--read-only", "busybox", "sleep", "300")
        with self.assertRaises(docker.errors.APIError) as e:
            c.put_archive("ro", "/tmp", tar_of([("z", b"", 0)]))
        self.assertEqual(e.exception.status_code, 403)
        self.assertIn("read-only", str(e.exception))
        # the old copy route, for API 1.23 and older
        old = self.client()
        old._version = "1.23"
        r = old._post_json(old._url("/containers/{0}/copy", "py"),
                           data={"Resource": "/tmp/p"}, stream=True)
        old._raise_for_status(r)
        with tarfile.open(fileobj=io.BytesIO(r.raw.read())) as t:
            self.assertEqual(sorted(t.getnames()), ["p", "p/q"])
        r = c._post_json(c._url("/containers/{0}/copy", "py"), data={"Resource": "/tmp/p"})
        self.assertEqual(r.status_code, 404)
        old.close()
        # a volume is not in the host's view of the root: a path in it is
        # copied in the volume (51-containers-cp-volumes.py), a path above
        # it goes through it (51-containers-cp-mounts.py), never into the
        # folder beneath it
        self.ok("run", "-d", "--name", "vol", "-v", "/data", "busybox", "sleep", "300")
        r = self.fails("cp", "vol:/data/x", self.local("volx"))
        self.assertIn("Could not find the file /data/x", r.stderr)
        self.assertTrue(c.put_archive("vol", "/", tar_of([("data/z", b"in", 0)])))
        self.assertEqual(self.ok("exec", "vol", "cat", "/data/z"), "in")
        c.close()
        self.ok("rm", "-f", "py", "ro", "vol")


if __name__ == "__main__":
    common.main()
