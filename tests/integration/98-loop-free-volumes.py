#!/usr/bin/env python3
"""A volume's slow file system work holds neither the loop nor the store.

A tenant decides how many files a volume holds, and so how long the
daemon's own work on it takes: the first copy of an image's files into a
new volume (an image with a hundred thousand files under its VOLUME),
and a volume's removal.  Each is staged here with thousands of files
(made by the test on the host) and, while it is seen under way (the
copy partly made, the removed folder partly unlinked), another
account's /_ping and `docker ps` must be answered: sent while the job runs and answered while it still runs.  On
the loop thread none could be.  The answers' times are printed (the
figures are bench/'s to judge).

A second create mounting the same new volume while its first copy runs
waits for that copy's end, on its own thread: it is answered with every
file of the image in the volume, never on part of them.  So is a start
of a container mounting that volume, the user's and a restart policy's:
it runs once the copy has ended (the policy's held by the volume's lock
taken here, other tenants answered meanwhile).

The walk of the volumes prune removes (for SpaceReclaimed) is stalled
in a FUSE mount instead, as 98-loop-free.py stalls the quota's walk.

A daemon killed (-9) in the middle of a volume's removal must leave no
row over a half-removed folder, and its next start must finish the
removal: no folder left, no row, the account's volume filesystem (its
QUOTA_VOLUME_BYTES) let go.
"""
import fcntl
import importlib
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time

import docker

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
common = importlib.import_module("76-containers-common")
loopfree = importlib.import_module("98-loop-free")
import sdctest  # noqa: E402

FILES = loopfree.FILES
# A copy makes more of each file than an unlink undoes (a file, its ids,
# its mode, its bytes): fewer files copied last as long.  The killed
# removal's are enough to be caught in its middle.
COPY_DIRS = KILL_DIRS = 5
RM_DIRS = 10
MIB = 1024 * 1024


def count_files(data):
    """Files under data's many* folders (0 when data is gone)."""
    n = 0
    try:
        for sub in os.scandir(data):
            try:
                n += sum(1 for _ in os.scandir(sub.path))
            except OSError:
                pass
    except OSError:
        return 0
    return n


def volume_folders(folder):
    """The volumes' folders in an account's folder (not its .trash, nor
    its filesystem's lost+found)."""
    return [v for v in os.listdir(folder)
            if not v.startswith(".") and v != "lost+found"]


class LoopFreeVolumesTest(common.ContainersTest):
    def background(self, *args, certs=None):
        return subprocess.Popen(["docker"] + list(args),
                                env=self.d.docker_env(certs or self.alice),
                                text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

    def bob_answered_while(self, busy, over, what, also=None):
        """bob's /_ping and GET /containers/json (and also(), whose
        requests and checks may be made again) answered while busy():
        at least one of each sent and answered with busy() true
        throughout.  Polls until over().  Prints the answers' times."""
        end = time.time() + 120
        seen, times, done = False, [], set()
        want = 2 if also is None else 3
        while time.time() < end and not over():
            if not busy():
                time.sleep(0.005)
                continue
            seen = True
            for path in ("/_ping", "/containers/json"):
                t0 = time.monotonic()
                st, _, body = self.d.https("GET", path, certdir=self.bob)
                times.append(time.monotonic() - t0)
                self.assertEqual(st, 200, body)
                if busy():
                    done.add(path)
            if also is not None:
                also()
                if busy():
                    done.add("also")
            if len(done) == want:
                print("\n%s: bob answered in %.1f ms at most (%d answers)"
                      % (what, 1000 * max(times), len(times)),
                      file=sys.stderr)
                return
        self.fail("bob's /_ping and ps were not answered while %s (%s)" %
                  (what, "seen under way" if seen else
                   "never seen under way"))

    def account_volumes(self, login):
        st, j = self.d.admin("GET", "/accounts/" + login)
        self.assertEqual(st, 200, j)
        return j["uuid"], os.path.join(self.d.tmp, "dockerapi", "volumes",
                                       j["uuid"])

    def copy_held(self):
        """While alice's create of copier fills its new volume: the name
        is held (a second create of it refused as dockerd refuses a name
        in use), the volume is in use (no rm takes it half filled), and
        bob cannot reach it at all."""
        alice = self.d.dockerpy(self.alice).api
        with self.assertRaises(docker.errors.APIError) as e:
            alice.create_container("manyfiles", "true", name="copier")
        self.assertEqual(e.exception.status_code, 409)
        self.assertIn('name "/copier" is already in use', str(e.exception))
        with self.assertRaises(docker.errors.APIError) as e:
            alice.remove_volume("copied")
        self.assertEqual(e.exception.status_code, 409)
        self.assertIn("volume is in use", str(e.exception))
        with self.assertRaises(docker.errors.NotFound):
            self.d.dockerpy(self.bob).api.remove_volume("copied")

    def many_files_image(self, name):
        """An image name of one marker file, then COPY_DIRS folders of
        FILES files each under /data put straight into its layer (an
        import of that many would be slow): how many files it has
        there."""
        tar = os.path.join(self.work, name + ".tar")
        with tarfile.open(tar, mode="w") as tf:
            info = tarfile.TarInfo("marker")
            info.size = 6
            tf.addfile(info, io.BytesIO(b"alice\n"))
        self.ok("import", tar, name + ":latest")
        diff = json.loads(self.ok("image", "inspect", name))[0][
            "RootFS"]["Layers"][0]
        layer = os.path.join(self.d.tmp, "dockerapi", "images", "layers",
                             diff.split(":")[1])
        loopfree.fill(os.path.join(layer, "diff", "data"), COPY_DIRS)
        return COPY_DIRS * FILES

    def test_populate(self):
        """The first copy of an image's many files into a new volume, at
        the container's create."""
        total = self.many_files_image("manyfiles")
        _, folder = self.account_volumes("alice")
        self.assertFalse(os.path.isdir(folder) and volume_folders(folder))
        p = self.background("create", "--name", "copier", "-v",
                            "copied:/data", "manyfiles", "true")

        def data():
            vols = volume_folders(folder) if os.path.isdir(folder) else []
            return os.path.join(folder, vols[0], "_data") if vols else None

        def copying():
            d = data()
            return d is not None and 0 < count_files(d) < total
        self.bob_answered_while(
            copying, lambda: p.poll() is not None,
            "%d files were copied into a new volume" % total,
            also=self.copy_held)
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(count_files(data()), total)
        self.assertEqual(self.inspect("copier")["Mounts"][0]["Name"],
                         "copied")
        self.ok("rm", "copier")
        self.ok("volume", "rm", "copied")
        self.ok("rmi", "manyfiles")

    def test_populate_shared(self):
        """Two creates mounting the same new volume, the second sent
        while the first copies into it: the second waits for that copy's
        end, so its container finds every file of the image in the
        volume, and neither create fails ("File exists" when both copy)."""
        total = self.many_files_image("sharedfiles")
        _, folder = self.account_volumes("alice")
        before = set(volume_folders(folder)) if os.path.isdir(folder) \
            else set()

        def data():
            vols = (set(volume_folders(folder)) - before
                    if os.path.isdir(folder) else set())
            return (os.path.join(folder, vols.pop(), "_data") if vols
                    else None)
        first = self.background("create", "--name", "sharer1", "-v",
                                "shared:/data", "sharedfiles", "true")
        end = time.time() + 60
        while time.time() < end and not (data() is not None and
                                          0 < count_files(data()) < total):
            time.sleep(0.002)
        self.assertIsNone(first.poll(), "the first copy was never seen "
                          "under way")
        # sent at once (no CLI to start): the first copy still runs
        self.d.dockerpy(self.alice).api.create_container(
            "sharedfiles", "true", name="sharer2",
            host_config={"Binds": ["shared:/data"]})
        # what sharer2 would start on, the moment its create is answered
        seen = count_files(data())
        out, err = first.communicate(timeout=120)
        self.assertEqual(first.returncode, 0, err)
        self.assertEqual(seen, total, "sharer2 was made on a volume "
                         "partly filled")
        self.assertEqual(count_files(data()), total)
        for name in ("sharer1", "sharer2"):
            self.assertEqual(self.inspect(name)["Mounts"][0]["Name"],
                             "shared")
            self.ok("rm", name)
        self.ok("volume", "rm", "shared")
        self.ok("rmi", "sharedfiles")

    def test_start_waits_populate(self):
        """A container mounting an empty volume (nocopy), started while
        another create's first copy fills that volume: the start waits
        for the copy's end, so it counts every file of the image."""
        total = self.many_files_image("startfiles")
        _, folder = self.account_volumes("alice")
        before = set(volume_folders(folder)) if os.path.isdir(folder) \
            else set()
        self.ok("volume", "create", "filling")
        (vol,) = set(volume_folders(folder)) - before
        self.ok("create", "--name", "reader", "--mount", "type=volume,"
                "src=filling,dst=/data,volume-nocopy", "busybox", "sh",
                "-c", "find /data -type f | wc -l")
        data = os.path.join(folder, vol, "_data")
        filler = self.background("create", "--name", "filler", "-v",
                                 "filling:/data", "startfiles", "true")
        end = time.time() + 60
        while time.time() < end and not 0 < count_files(data) < total:
            time.sleep(0.002)
        self.assertIsNone(filler.poll(), "the copy was never seen under "
                          "way")
        out = self.ok("start", "-a", "reader")
        out_f, err = filler.communicate(timeout=120)
        self.assertEqual(filler.returncode, 0, err)
        self.assertEqual(out.strip(), str(total), "reader started on a "
                         "volume partly filled")
        for name in ("reader", "filler"):
            self.ok("rm", name)
        self.ok("volume", "rm", "filling")
        self.ok("rmi", "startfiles")

    def test_restart_waits_populate(self):
        """A restart policy's start of a container whose volume another
        create is filling (its folder's flock held here, as the copy holds
        it) waits on its thread until the lock goes, bob answered
        meanwhile; then the container runs again."""
        _, folder = self.account_volumes("alice")
        before = set(volume_folders(folder)) if os.path.isdir(folder) \
            else set()
        self.ok("volume", "create", "refilled")
        (vol,) = set(volume_folders(folder)) - before
        self.ok("run", "-d", "--name", "again", "--restart", "always", "-v",
                "refilled:/data", "busybox", "sh", "-c", "while [ ! -e "
                "/data/exit ]; do sleep 0.05; done; rm /data/exit; exit 3")
        pid, path = self.d.pid("dockerapi"), os.path.join(folder, vol)
        lock = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            # the container exits by itself: its policy's start follows
            open(os.path.join(path, "_data", "exit"), "w").close()
            sdctest.wait_for("the policy's start waiting for the lock",
                             lambda: pid in sdctest.flock_waiters(path))
            self.bob_answered_while(lambda: pid in sdctest.flock_waiters(
                path), lambda: False, "a restart waits for a volume's copy")
            self.assertEqual(self.ok("inspect", "--format",
                                     "{{.State.Status}} {{.State.Pid}}",
                                     "again").strip(), "restarting 0")
        finally:
            os.close(lock)      # the lock goes with it
        sdctest.wait_for("the restart once the copy ended", lambda: self.ok(
            "inspect", "--format", "{{.State.Status}} {{.RestartCount}}",
            "again").strip() == "running 1")
        self.ok("rm", "-f", "again")
        self.ok("volume", "rm", "refilled")

    def tenant(self, login):
        key = os.path.join(self.work, login)
        sdctest.keygen(key, "ed25519")
        self.d.add_account(login, key + ".pub")
        return self.d.client_certs(login, key)

    def test_prune_walk(self):
        """docker volume prune's SpaceReclaimed: the walk of the volumes
        it removes, stalled in a FUSE mount that answers only when told:
        other accounts are answered meanwhile, the prune only after."""
        erin = self.tenant("erin")
        self.ok("volume", "create", "pruned", certs=erin)
        _, folder = self.account_volumes("erin")
        (vol,) = volume_folders(folder)
        stall = loopfree.FuseStall(os.path.join(folder, vol, "_data",
                                                "stall"))
        try:
            p = self.background("volume", "prune", "-f", "--filter",
                                "all=true", certs=erin)
            self.assertTrue(stall.stalled.wait(60), "the walk never came")
            for path in ("/_ping", "/containers/json"):
                try:
                    st, _, body = self.d.https("GET", path,
                                               certdir=self.bob)
                except TimeoutError:
                    self.fail("bob was not answered while prune's walk "
                              "stalled")
                self.assertEqual(st, 200, body)
            self.assertIsNone(p.poll(), "prune answered before its walk")
            stall.release()
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
            self.assertIn("pruned", out)
        finally:
            # the volume's folder went into the trash, the mount with it
            moved = os.path.join(folder, ".trash", vol, "_data", "stall")
            if os.path.isdir(moved):
                stall.path = moved
            try:
                stall.close()
            except FileNotFoundError:
                pass            # unlinked with the volume's folder
        self.assertEqual(self.ok("volume", "ls", "-q", certs=erin), "")

    def test_volume_rm(self):
        """docker volume rm of a volume of many files: its folder goes
        into the account's trash at once, then is unlinked."""
        self.ok("volume", "create", "full", certs=self.bob)
        _, folder = self.account_volumes("bob")
        (vol,) = volume_folders(folder)
        loopfree.fill(os.path.join(folder, vol, "_data"), RM_DIRS)
        total = RM_DIRS * FILES
        data = os.path.join(folder, ".trash", vol, "_data")
        p = self.background("volume", "rm", "full", certs=self.bob)
        self.bob_answered_while(
            lambda: 0 < count_files(data) < total,
            lambda: p.poll() is not None and not os.path.exists(data),
            "a removed volume's %d files were unlinked" % total)
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(self.ok("volume", "ls", "-q", certs=self.bob), "")
        self.wait_until("the volume's files to go",
                        lambda: not os.path.exists(folder), timeout=120)

    def test_zz_killed_in_rm(self):
        """dockerapi killed -9 while it unlinks a volume's files: the
        next start finishes the removal and lets the quota's filesystem
        go.  (Last: it restarts the daemon.)"""
        dave = self.tenant("dave")
        st, _ = self.d.admin("PUT", "/accounts/dave/quota",
                             {"volume_bytes": 1024 * MIB})
        self.assertIn(st, (200, 204))
        self.ok("volume", "create", "big", certs=dave)
        uuid, folder = self.account_volumes("dave")
        img = folder + ".img"
        self.assertTrue(os.path.exists(img), "no filesystem for the quota")
        (vol,) = volume_folders(folder)
        loopfree.fill(os.path.join(folder, vol, "_data"), KILL_DIRS)
        total = KILL_DIRS * FILES

        def left():
            """Files of the volume still on disk, wherever they are."""
            return (count_files(os.path.join(folder, vol, "_data")) +
                    count_files(os.path.join(folder, ".trash", vol,
                                             "_data")))
        p = self.background("volume", "rm", "big", certs=dave)
        end = time.time() + 60
        while time.time() < end and not 0 < left() < total:
            time.sleep(0.002)
        self.d.stop_one("dockerapi", signal.SIGKILL)
        p.communicate(timeout=60)
        n = left()
        self.assertTrue(0 < n < total,
                        "not killed in the removal (%d files left)" % n)
        # what the stop left is no volume's folder any more
        self.assertFalse(os.path.exists(os.path.join(folder, vol)),
                         "a half-removed folder where the volume was")
        self.assertEqual(self.d.store_rows(
            "dockerapi", "SELECT name FROM volumes WHERE uuid = ?", (vol,)),
            [])
        self.d.start_dockerapi()
        self.wait_until("the removal to be finished",
                        lambda: not os.path.exists(folder), timeout=60)
        self.assertFalse(os.path.exists(img),
                         "the account's filesystem was not let go")
        self.assertEqual(self.ok("volume", "ls", "-q", certs=dave), "")
        st, q = self.d.admin("GET", "/accounts/dave/quota")
        self.assertEqual(st, 200, q)
        self.assertEqual(q["volume_bytes"]["used"], 0, q)
        # the quota's room is whole again: a new volume, a new filesystem
        self.ok("volume", "create", "again", certs=dave)
        self.ok("volume", "rm", "again", certs=dave)


if __name__ == "__main__":
    common.require_tools()
    common.main()
