#!/usr/bin/python3
"""Volumes capped by the kernel, tried as a hostile tenant: with a volume
quota, alice's volumes together cannot hold more than it whatever her
containers write (ENOSPC inside the container, the node's disk takes no
more); `docker volume create --opt size=...` caps one volume (bad sizes,
sizes above the quota and other options refused with a 400 saying so);
bob's volumes and alice's other volumes keep working meanwhile; and
nothing is left on the host when the volumes go."""
import importlib
import io
import json
import os
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

MIB = 1024 * 1024
QUOTA = 24 * MIB


class VolumeSize(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        st, _ = cls.d.admin("PUT", "/accounts/alice/quota", {"volume_bytes": QUOTA})
        assert st == 200, st
        st, j = cls.d.admin("GET", "/accounts/alice")
        cls.alice_uuid = j["uuid"]
        cls.vroot = os.path.join(cls.d.tmp, "dockerapi", "volumes")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.remove_all()
            for c in (cls.alice, cls.bob):
                names = cls.d.docker(c, "volume", "ls", "-q").stdout.split()
                if names:
                    cls.d.docker(c, "volume", "rm", *names)
            # the folders are removed after the answer, off the loop
            end = time.time() + 30
            while True:
                left = []
                for root, dirs, files in os.walk(cls.vroot):
                    left += [os.path.join(root, x) for x in files + dirs]
                with open("/proc/mounts") as f:
                    left += [l.split()[1] for l in f
                             if cls.vroot in l.split()[1]]
                if left == [] or time.time() > end:
                    break
                time.sleep(0.1)
            assert left == [], "volume files or mounts left: %s" % left
        finally:
            super().tearDownClass()

    def fill(self, vol, mib, certs=None):
        """Write mib MiB into the volume from a container; the shell's
        output (dd's complaint) and the file's size as the tenant sees it."""
        out = self.ok("run", "--rm", "-v", vol + ":/v", "busybox", "sh", "-c",
                      "dd if=/dev/zero of=/v/f bs=1M count=%d 2>&1; sync; "
                      "echo size=$(stat -c %%s /v/f)" % mib, certs=certs)
        return out, int(out.rsplit("size=", 1)[1].split()[0])

    def allocated(self, path):
        return os.stat(path).st_blocks * 512

    def test_bad_sizes_refused(self):
        for opt, words in (("size=abc", "invalid size"), ("size=", "invalid size"),
                           ("size=-5m", "invalid size"), ("size=1g", "above this account's "
                                                          "volume quota"),
                           ("size=512k", "at least 1MiB"), ("type=tmpfs", "only size is"),
                           ("device=/dev/vda", "only size is"), ("o=bind", "only size is")):
            r = self.fails("volume", "create", "--opt", opt, "bad")
            self.assertIn(words, r.stderr, opt)
            self.assertNotIn("bad", self.ok("volume", "ls", "-q").split())
        # the API's own answer: 400
        import docker
        client = self.d.dockerpy(self.alice)
        with self.assertRaises(docker.errors.APIError) as cm:
            client.api.create_volume("bad", driver_opts={"size": "lots"})
        self.assertEqual(cm.exception.status_code, 400)
        self.assertIn("invalid size", str(cm.exception))
        client.close()

    def test_sized_volume(self):
        self.ok("volume", "create", "--opt", "size=4m", "capped")
        self.assertEqual(json.loads(self.ok("volume", "inspect", "capped"))[0]["Options"],
                         {"size": str(4 * MIB)})
        out, size = self.fill("capped", 16)
        self.assertIn("No space left on device", out)
        self.assertLessEqual(size, 4 * MIB)
        # the volume's filesystem is the tenant's top: no lost+found, owned
        # by the account's root, and the cap is on the host too
        self.assertEqual(self.ok("run", "--rm", "-v", "capped:/v", "busybox", "ls", "/v"), "f\n")
        img = [p for p in self.walk_files() if p.endswith("/disk.img")]
        self.assertEqual(len(img), 1, img)
        self.assertLessEqual(self.allocated(img[0]), 4 * MIB + MIB)
        # alice's other volume and bob's volume keep working
        out, size = self.fill("other", 2)
        self.assertEqual(size, 2 * MIB, out)
        out, size = self.fill("bobs", 2, certs=self.bob)
        self.assertEqual(size, 2 * MIB, out)
        # space given back: the file removed, the volume takes a new one
        self.ok("run", "--rm", "-v", "capped:/v", "busybox", "rm", "/v/f")
        out, size = self.fill("capped", 2)
        self.assertEqual(size, 2 * MIB, out)
        for v in ("capped", "other"):
            self.ok("volume", "rm", v)
        self.ok("volume", "rm", "bobs", certs=self.bob)
        # the removed folders are unlinked after the answer, off the loop
        self.wait_until("the sized volume's filesystem to go", lambda: not [
            p for p in self.walk_files() if p.endswith("/disk.img")],
            timeout=30)

    def test_account_cap(self):
        """Two plain volumes, each written past the quota: together they
        hold at most the quota, and the node's disk takes no more."""
        self.ok("volume", "create", "a1")
        out, size1 = self.fill("a1", 40)
        self.assertIn("No space left on device", out)
        out, size2 = self.fill("a2", 40)
        self.assertIn("No space left on device", out)
        self.assertLessEqual(size1 + size2, QUOTA)
        acct_img = os.path.join(self.vroot, self.alice_uuid + ".img")
        self.assertLessEqual(self.allocated(acct_img), QUOTA + MIB)
        # bob, without a quota, is not touched by alice's full filesystem
        out, size = self.fill("bobs2", 2, certs=self.bob)
        self.assertEqual(size, 2 * MIB, out)
        self.ok("volume", "rm", "a1", "a2")
        self.ok("volume", "rm", "bobs2", certs=self.bob)
        # the account's filesystem went with its last volume (its
        # folders removed after the answer, off the loop)
        self.wait_until("the account's filesystem to go",
                        lambda: not os.path.exists(acct_img), timeout=30)

    def test_copy_past_quota(self):
        """An image with more under its VOLUME than the quota holds: the
        first copy into the new volume runs out of room, and the create
        fails saying so, leaving no container, no volume and no folder
        (a copy cut short and taken as done left a truncated file)."""
        tar = os.path.join(self.work, "big.tar")
        with tarfile.open(tar, mode="w") as tf:
            info = tarfile.TarInfo("data/big")
            info.size = QUOTA + 8 * MIB
            tf.addfile(info, io.BytesIO(b"\0" * info.size))
        self.ok("import", "--change", "VOLUME /data", tar, "bigdata:latest")
        os.unlink(tar)
        def zones():
            return sorted(os.listdir(self.zones)) if os.path.isdir(
                self.zones) else []
        before = zones()
        r = self.fails("create", "--name", "filler", "-v", "filled:/data",
                       "bigdata", "true")
        self.assertIn("volume filled: copying the image's /data into the "
                      "volume: No space left on device", r.stderr)
        self.assertEqual(self.ok("ps", "-aq", "--filter", "name=filler"), "")
        self.assertNotIn("filled", self.ok("volume", "ls", "-q").split())
        self.wait_until("the failed create's folders to go", lambda: (
            zones() == before and
            not [p for p in self.walk_files() if p.endswith("_data/big")]),
            timeout=30)
        # its name and its volume's are free; nocopy makes it
        self.ok("create", "--name", "filler", "--mount", "type=volume,"
                "src=filled,dst=/data,volume-nocopy", "bigdata", "true")
        self.ok("rm", "-v", "filler")
        self.ok("volume", "rm", "filled")
        self.ok("rmi", "bigdata")

    def walk_files(self):
        out = []
        for root, dirs, files in os.walk(self.vroot):
            out += [os.path.join(root, x) for x in files]
        return out


if __name__ == "__main__":
    common.main()
