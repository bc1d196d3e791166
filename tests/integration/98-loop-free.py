#!/usr/bin/env python3
"""Slow file system work never holds the event loop.

A tenant decides how long some of the daemon's own work takes: an image
layer or a volume of many thousand files takes seconds to unlink.  Each
such job is staged here with a folder of many files, and while the job
is seen under way (its folder still on disk, partly removed) another
account's request must be answered: a request sent while the job runs
and answered while it still runs.  On the loop thread none could be:
the job would hold it from its first file to its last.  Each job still
ends as a client expects: the image or the account gone, its files
removed soon after.  (How long the loop waits is measured in bench/, not
here.)
"""
import ctypes
import errno
import importlib
import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import threading
import time

import docker

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
common = importlib.import_module("76-containers-common")
import sdctest  # noqa: E402

# Enough files that unlinking them outlasts many requests.
DIRS, FILES = 20, 1000
MIB = 1024 * 1024


def fill(folder, dirs=DIRS):
    """dirs sub-folders of FILES empty files each, in folder."""
    for i in range(dirs):
        sub = os.path.join(folder, "many%d" % i)
        os.makedirs(sub, exist_ok=True)
        for j in range(FILES):
            os.close(os.open(os.path.join(sub, "f%d" % j),
                             os.O_CREAT | os.O_WRONLY, 0o644))


class FuseStall:
    """A FUSE mount at path whose first request (the walker's stat of
    its root) is left unanswered until release(): a walk that reaches it
    waits there, as on a slow disk.  Spoken to /dev/fuse directly (no
    FUSE library in the test's packages); later requests fail ENOENT."""
    IN_HEADER = struct.Struct("=IIQQIIII")
    OUT_HEADER = struct.Struct("=IiQ")
    INIT = 26

    def __init__(self, path):
        self.path = path
        os.makedirs(path, exist_ok=True)
        self.fd = os.open("/dev/fuse", os.O_RDWR)
        libc = ctypes.CDLL(None, use_errno=True)
        opts = "fd=%d,rootmode=40000,user_id=0,group_id=0" % self.fd
        if libc.mount(b"sdc-stall", path.encode(), b"fuse", 0,
                      opts.encode()) != 0:
            raise OSError(ctypes.get_errno(), "mount fuse on " + path)
        self.stalled = threading.Event()
        self.go = threading.Event()
        self.pending = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def reply(self, unique, error, body=b""):
        os.write(self.fd, self.OUT_HEADER.pack(16 + len(body), error,
                                               unique) + body)

    def serve(self):
        while True:
            try:
                req = os.read(self.fd, 1 << 17 | 4096)
            except OSError:
                return          # unmounted
            size, op, unique = self.IN_HEADER.unpack_from(req)[:3]
            if op == self.INIT:
                self.reply(unique, 0, struct.pack("=IIIIHHI", 7, 22,
                                                  0, 0, 0, 0, 65536))
            elif not self.go.is_set():
                self.pending.append(unique)
                self.stalled.set()
            else:
                try:
                    self.reply(unique, -errno.ENOENT)
                except OSError:
                    return      # closed meanwhile

    def release(self):
        self.go.set()
        for unique in self.pending:
            self.reply(unique, -errno.ENOENT)

    def close(self):
        if not self.go.is_set():
            self.release()
        subprocess.run(["umount", "-l", self.path], capture_output=True)
        os.close(self.fd)
        os.rmdir(self.path)


class AdminCall(threading.Thread):
    """An operator's GET of path, answered on a thread of the test's, as
    a background docker command is (poll, communicate, returncode)."""

    def __init__(self, d, path):
        super().__init__(daemon=True)
        self.d, self.path, self.returncode = d, path, None
        self.start()

    def run(self):
        st, self.body = self.d.admin("GET", self.path)
        self.returncode = 0 if st == 200 else st

    def poll(self):
        return None if self.is_alive() else self.returncode

    def communicate(self, timeout=None):
        self.join(timeout)
        return self.body, self.body


class LoopFreeTest(common.ContainersTest):

    def background(self, *args, certs=None):
        return subprocess.Popen(["docker"] + list(args),
                                env=self.d.docker_env(certs or self.alice),
                                text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

    def others_answered_while(self, busy, over, what):
        """bob's requests are answered while busy(): at least one sent
        and answered with busy() true throughout.  Polls until over()."""
        end = time.time() + 120
        seen = False
        while time.time() < end and not over():
            if not busy():
                time.sleep(0.005)
                continue
            seen = True
            st, _, body = self.d.https("GET", "/version", certdir=self.bob)
            self.assertEqual(st, 200, body)
            if busy():
                return
        self.fail("no request of another account was answered while %s "
                  "(%s)" % (what, "seen under way" if seen else
                            "never seen under way"))

    def images_dir(self, *parts):
        return os.path.join(self.d.tmp, "dockerapi", "images", *parts)

    def graves(self):
        return [g for g in os.listdir(self.images_dir("tmp"))
                if g.startswith("gone")]

    def test_rmi_layer(self):
        """rmi of an image whose layer has many files."""
        t = io.BytesIO()
        with tarfile.open(fileobj=t, mode="w") as tf:
            data = b"only alice's\n"
            info = tarfile.TarInfo("marker")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        tar = os.path.join(self.work, "many.tar")
        with open(tar, "wb") as f:
            f.write(t.getvalue())
        self.ok("import", tar, "many:latest")
        diff = json.loads(self.ok("image", "inspect", "many"))[0][
            "RootFS"]["Layers"][0]
        layer = self.images_dir("layers", diff.split(":")[1])
        self.assertTrue(os.path.isdir(layer), layer)
        fill(os.path.join(layer, "diff"))
        self.assertEqual(self.graves(), [])
        p = self.background("rmi", "many")
        self.others_answered_while(
            lambda: self.graves() != [],
            lambda: p.poll() is not None and self.graves() == [],
            "a layer of %d files was removed" % (DIRS * FILES))
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, err)
        self.assertNotIn("many", self.ok("images", "--format",
                                         "{{.Repository}}"))
        self.assertFalse(os.path.exists(layer))
        self.wait_until("the layer's files to go",
                        lambda: self.graves() == [], timeout=120)

    def walk_stalled(self, *args, admin=None, meanwhile=None):
        """docker args as bob (or the operator's GET of path admin), whose
        volume "walked" has a FUSE mount that stalls the quota's walk:
        alice is answered meanwhile (and meanwhile() is called: its
        requests answered while the walk still stalls) and the command
        only once the walk goes on."""
        st, j = self.d.admin("GET", "/accounts/bob")
        folder = os.path.join(self.d.tmp, "dockerapi", "volumes", j["uuid"])
        # "walked" is the oldest, the first the walk reaches
        vol = min((v for v in os.listdir(folder)
                   if os.path.isdir(os.path.join(folder, v, "_data"))),
                  key=lambda v: os.stat(os.path.join(folder, v)).st_mtime)
        stall = FuseStall(os.path.join(folder, vol, "_data", "stall"))
        try:
            p = self.background(*args, certs=self.bob) if admin is None \
                else AdminCall(self.d, admin)
            self.assertTrue(stall.stalled.wait(60), "the walk never came")
            for _ in range(3):
                try:
                    st, _, body = self.d.https("GET", "/version",
                                               certdir=self.alice)
                except TimeoutError:
                    self.fail("another account was not answered while "
                              "the quota's walk stalled")
                self.assertEqual(st, 200, body)
            if meanwhile is not None:
                meanwhile()
            self.assertTrue(stall.pending and not stall.go.is_set())
            self.assertIsNone(p.poll(), "%s was answered before the "
                              "quota's walk ended" % (admin or " ".join(
                                  ("docker",) + args)))
            stall.release()
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
        finally:
            stall.close()

    def create_held(self):
        """While bob's create of walker2 walks his volumes: a second
        create of that name is refused as dockerd refuses a name in use,
        an rm finds no container and the volume it makes is not there
        yet; alice's own walker2 is hers, made at once."""
        bob = self.d.dockerpy(self.bob).api
        with self.assertRaises(docker.errors.APIError) as e:
            bob.create_container("busybox", "true", name="walker2")
        self.assertEqual(e.exception.status_code, 409)
        self.assertIn('name "/walker2" is already in use', str(e.exception))
        with self.assertRaises(docker.errors.NotFound):
            bob.remove_container("walker2", force=True)
        with self.assertRaises(docker.errors.NotFound):
            bob.remove_volume("third")
        alice = self.d.dockerpy(self.alice).api
        alice.create_container("busybox", "true", name="walker2")
        alice.remove_container("walker2")

    def test_quota_walk(self):
        """The walk of the account's volumes under QUOTA_VOLUME_BYTES,
        before a start, before a volume's create and before a container's
        create with volumes, and for the operator's GET of the quota."""
        st, _ = self.d.admin("PUT", "/accounts/bob/quota",
                             {"volume_bytes": 64 * MIB})
        self.assertIn(st, (200, 204))
        self.ok("volume", "create", "walked", certs=self.bob)
        self.ok("create", "--name", "walker", "-v", "walked:/v", "busybox",
                "true", certs=self.bob)
        self.walk_stalled("start", "walker")
        self.walk_stalled("volume", "create", "second")
        # a local create with a volume walks the account's before it;
        # meanwhile its name is held and nothing of it is made yet
        self.walk_stalled("create", "--name", "walker2", "-v", "third:/v",
                          "busybox", "true", meanwhile=self.create_held)
        # and the operator's view of the quota, its volume_bytes used
        self.walk_stalled(admin="/accounts/bob/quota")
        self.ok("rm", "-f", "walker", "walker2", certs=self.bob)
        self.ok("volume", "rm", "walked", "second", "third", certs=self.bob)

    def test_account_delete(self):
        """An operator's delete of an account whose volume has many files."""
        key = os.path.join(self.work, "carol")
        sdctest.keygen(key, "ed25519")
        self.d.add_account("carol", key + ".pub")
        carol = self.d.client_certs("carol", key)
        self.ok("volume", "create", "full", certs=carol)
        st, j = self.d.admin("GET", "/accounts/carol")
        self.assertEqual(st, 200, j)
        folder = os.path.join(self.d.tmp, "dockerapi", "volumes", j["uuid"])
        (vol,) = [v for v in os.listdir(folder) if v != ".trash"]
        fill(os.path.join(folder, vol, "_data"))
        # its folder is renamed into the account's trash, then unlinked
        data = os.path.join(folder, ".trash", vol, "_data")
        answer = {}
        t = threading.Thread(target=lambda: answer.update(
            st=self.d.admin("DELETE", "/accounts/carol?force=true")[0]))
        t.start()

        def under_way():
            try:
                return len(os.listdir(data)) < DIRS
            except FileNotFoundError:
                return False
        self.others_answered_while(
            under_way, lambda: not t.is_alive() and not os.path.exists(data),
            "a deleted account's volume of %d files was removed" %
            (DIRS * FILES))
        t.join(120)
        self.assertEqual(answer.get("st"), 204)
        self.assertEqual(self.d.admin("GET", "/accounts/carol")[0], 404)
        self.wait_until("the account's volumes to go",
                        lambda: not os.path.exists(folder), timeout=120)


if __name__ == "__main__":
    common.require_tools()
    common.main()
