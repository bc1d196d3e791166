#!/usr/bin/python3
"""Volumes with the real docker CLI and docker-py: docker volume create,
ls (filters), inspect, rm (in use refused), prune; -v NAME:/path made on
first use and shared by two containers; --mount type=volume and
type=tmpfs; --tmpfs; --volumes-from (:ro); the image's VOLUME as an
anonymous volume filled from the image, gone with rm -v; the account's
volume quota; and a second account that tries to reach the first's
volumes, symlinks planted in a volume, names that climb out."""
import importlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")
images_common = importlib.import_module("65-images-api-common")


class Volumes(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # an image with a VOLUME whose folder has content, a symlink to /
        # among it, as a tenant may build one
        ref = images_common.oci_add_layer(
            "oci:" + os.path.join(cls.work, "bb", "oci") + ":latest", cls.work, "vol",
            {"/seed/hello": b"from the image\n", "/seed/sub/deep": b"deep\n"})
        layout = ref[4:].rsplit(":", 1)[0]
        bundle = os.path.join(cls.work, "bundle-link")
        subprocess.run(["umoci", "unpack", "--image", layout + ":vol", bundle], check=True,
                       stdout=subprocess.DEVNULL)
        os.symlink("/", os.path.join(bundle, "rootfs", "seed", "root"))
        subprocess.run(["umoci", "repack", "--image", layout + ":vol", bundle], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", bundle], check=True)
        subprocess.run(["umoci", "config", "--image", layout + ":vol",
                        "--config.volume", "/seed"], check=True, stdout=subprocess.DEVNULL)
        cls.reg.push(ref, "vol:latest")
        for c in (cls.alice, cls.bob):
            for args in (("pull", cls.reg.addr + "/vol"), ("tag", cls.reg.addr + "/vol", "vol")):
                r = cls.d.docker(c, *args)
                assert r.returncode == 0, r.stderr

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
                for root, dirs, files in os.walk(os.path.join(
                        cls.d.tmp, "dockerapi", "volumes")):
                    left += [os.path.join(root, x) for x in files]
                if left == [] or time.time() > end:
                    break
                time.sleep(0.1)
            assert left == [], "volume files left: %s" % left
        finally:
            super().tearDownClass()

    def vinspect(self, name, certs=None):
        return json.loads(self.ok("volume", "inspect", name, certs=certs))[0]

    def vls(self, *args, certs=None):
        return self.ok("volume", "ls", "-q", *args, certs=certs).split()

    def host_dir(self, name, certs=None):
        """The host folder of the caller's volume (the test reads the
        store the way an operator would, SQLite or PostgreSQL)."""
        acct = "alice" if (certs or self.alice) == self.alice else "bob"
        st, j = self.d.admin("GET", "/accounts/" + acct)
        rows = self.d.store_rows("dockerapi", "SELECT uuid FROM volumes WHERE "
                                 "account = ? AND name = ?", (j["uuid"], name))
        self.assertEqual(len(rows), 1, name)
        return os.path.join(self.d.tmp, "dockerapi", "volumes", j["uuid"], rows[0][0], "_data")

    # --- the lifecycle ---

    def test_lifecycle_and_filters(self):
        out = self.ok("volume", "create", "--label", "team=blue", "data1").strip()
        self.assertEqual(out, "data1")
        v = self.vinspect("data1")
        self.assertEqual((v["Name"], v["Driver"], v["Scope"], v["Labels"], v["Options"]),
                         ("data1", "local", "local", {"team": "blue"}, None))
        self.assertEqual(v["Mountpoint"], "/var/lib/docker/volumes/data1/_data")
        self.assertRegex(v["CreatedAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # create again: the same volume
        self.assertEqual(self.ok("volume", "create", "data1").strip(), "data1")
        gen = self.ok("volume", "create").strip()
        self.assertRegex(gen, r"^[0-9a-f]{64}$")
        self.ok("volume", "create", "data2")
        self.assertIn("data1", self.vls())
        self.assertEqual(self.vls("--filter", "label=team=blue"), ["data1"])
        self.assertEqual(self.vls("--filter", "label=team"), ["data1"])
        self.assertEqual(self.vls("--filter", "name=data2"), ["data2"])
        self.assertEqual(sorted(self.vls("--filter", "name=^data")), ["data1", "data2"])
        self.assertIn(gen, self.vls("--filter", "driver=local"))
        self.assertEqual(self.vls("--filter", "driver=nfs"), [])
        self.ok("create", "--name", "user1", "-v", "data1:/d", "busybox", "true")
        dangling = self.vls("--filter", "dangling=true")
        self.assertIn("data2", dangling)
        self.assertNotIn("data1", dangling)
        self.assertIn("data1", self.vls("--filter", "dangling=false"))
        r = self.fails("volume", "ls", "--filter", "bogus=1")
        self.assertIn("invalid filter", r.stderr.lower())
        # in use: dockerd's answer, with the container's id
        cid = self.inspect("user1")["Id"]
        r = self.fails("volume", "rm", "data1")
        self.assertIn("volume is in use - [%s]" % cid, r.stderr)
        self.ok("rm", "user1")
        self.ok("volume", "rm", "data1", gen)
        r = self.fails("volume", "inspect", "data1")
        self.assertIn("no such volume", r.stderr)
        self.ok("volume", "rm", "-f", "data1")     # gone already: -f says nothing
        # refusals
        r = self.fails("volume", "create", "-d", "nfs", "x1")
        self.assertIn("only the local driver", r.stderr)
        r = self.fails("volume", "create", "-o", "type=none", "-o", "device=/etc",
                       "-o", "o=bind", "x2")
        self.assertIn("not offered", r.stderr)
        for bad in ("../x", "a/b", "..", "/etc"):
            r = self.fails("volume", "create", bad)
            self.assertIn("invalid characters", r.stderr, bad)
        self.ok("volume", "rm", "data2")

    def test_sharing_between_containers(self):
        self.ok("run", "--rm", "-v", "shared:/data", "busybox", "sh", "-c",
                "echo hello > /data/f; id -u > /data/uid")
        self.assertIn("shared", self.vls())
        self.assertEqual(self.ok("run", "--rm", "-v", "shared:/x:ro", "busybox",
                                 "cat", "/x/f"), "hello\n")
        r = self.docker(self.alice, "run", "--rm", "-v", "shared:/x:ro", "busybox",
                        "sh", "-c", "echo no > /x/g")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Read-only", r.stderr)
        # two running containers see each other's writes
        self.ok("run", "-d", "--name", "w1", "--mount", "type=volume,src=shared,dst=/a",
                "busybox", "sleep", "60")
        self.ok("run", "-d", "--name", "w2", "-v", "shared:/b", "busybox", "sleep", "60")
        self.ok("exec", "w1", "sh", "-c", "echo live > /a/live")
        self.assertEqual(self.ok("exec", "w2", "cat", "/b/live"), "live\n")
        m = self.inspect("w1")["Mounts"]
        self.assertEqual([(x["Type"], x["Name"], x["Destination"], x["RW"]) for x in m],
                         [("volume", "shared", "/a", True)])
        # owned on the host by the account's ids, root's folders above
        data = self.host_dir("shared")
        st = os.stat(os.path.join(data, "f"))
        self.assertGreaterEqual(st.st_uid, 1000000000)
        self.assertEqual(os.stat(os.path.dirname(data)).st_mode & 0o777, 0o700)
        self.assertEqual(os.stat(os.path.dirname(data)).st_uid, 0)
        # --volumes-from, and :ro
        self.assertEqual(self.ok("run", "--rm", "--volumes-from", "w1", "busybox",
                                 "cat", "/a/live"), "live\n")
        r = self.docker(self.alice, "run", "--rm", "--volumes-from", "w1:ro", "busybox",
                        "touch", "/a/x")
        self.assertNotEqual(r.returncode, 0)
        self.ok("rm", "-f", "w1", "w2")
        self.ok("volume", "rm", "shared")

    def test_image_volume_copy_and_rm_v(self):
        self.ok("run", "--name", "anon", "vol", "sh", "-c",
                "cat /seed/hello /seed/sub/deep; readlink /seed/root")
        self.assertEqual(self.ok("logs", "anon"), "from the image\ndeep\n/\n")
        m = self.inspect("anon")["Mounts"]
        self.assertEqual(len(m), 1)
        name = m[0]["Name"]
        self.assertRegex(name, r"^[0-9a-f]{64}$")
        self.assertEqual(self.vinspect(name)["Labels"], {"com.docker.volume.anonymous": ""})
        # the image's symlink to / was copied as a symlink, not followed
        data = self.host_dir(name)
        self.assertTrue(os.path.islink(os.path.join(data, "root")))
        self.assertEqual(sorted(os.listdir(data)), ["hello", "root", "sub"])
        self.ok("rm", "-v", "anon")
        self.assertNotIn(name, self.vls())
        self.wait_until("the volume's folder to go",
                        lambda: not os.path.exists(data), timeout=30)
        # without -v the anonymous volume stays; -v /path too
        self.ok("run", "--name", "anon2", "-v", "/more", "vol", "true")
        names = [x["Name"] for x in self.inspect("anon2")["Mounts"]]
        self.assertEqual(len(names), 2)
        self.ok("rm", "anon2")
        for n in names:
            self.assertIn(n, self.vls())
        # nocopy, and a named volume filled from the image on first use
        self.assertEqual(self.ok("run", "--rm", "-v", "seeded:/seed", "vol", "cat",
                                 "/seed/hello"), "from the image\n")
        self.assertEqual(self.ok("run", "--rm", "--mount",
                                 "type=volume,src=empty,dst=/seed,volume-nocopy",
                                 "vol", "ls", "/seed"), "")
        # prune at 1.41: every unused volume (docker CLI negotiates 1.41)
        out = self.ok("volume", "prune", "-f")
        self.assertIn("Total reclaimed space", out)
        left = self.vls()
        for n in names + ["seeded", "empty"]:
            self.assertNotIn(n, left)

    def test_prune_raw(self):
        """Prune's answer: the names and the bytes reclaimed.  The API
        served is 1.41, where every unused volume goes (from 1.42, only
        anonymous ones unless all=true)."""
        self.ok("volume", "create", "named1")
        self.ok("run", "--name", "anon3", "-v", "/x", "busybox", "sh", "-c",
                "head -c 5000 /dev/zero > /x/f")
        anon = self.inspect("anon3")["Mounts"][0]["Name"]
        self.ok("volume", "create", "--label", "keep=1", "kept")
        out = self.raw("POST", "/v1.41/volumes/prune?filters=" +
                       '%7B%22label!%22%3A%5B%22keep%22%5D%7D')
        self.assertEqual(out, {"VolumesDeleted": ["named1"], "SpaceReclaimed": 0})
        self.ok("rm", "anon3")
        out = self.raw("POST", "/v1.41/volumes/prune?filters=" +
                       '%7B%22label!%22%3A%5B%22keep%22%5D%7D')
        self.assertEqual(out["VolumesDeleted"], [anon])
        self.assertEqual(out["SpaceReclaimed"], 5000)
        self.assertIn("kept", self.vls())
        self.ok("volume", "rm", "kept")

    def client(self):
        return self.d.dockerpy(self.alice, version="auto")

    def raw(self, method, path):
        r = subprocess.run(["curl", "-s", "-X", method, "--cacert",
                            os.path.join(self.alice, "ca.pem"), "--cert",
                            os.path.join(self.alice, "cert.pem"), "--key",
                            os.path.join(self.alice, "key.pem"),
                            "https://127.0.0.1:%d%s" % (self.d.docker_port, path)],
                           capture_output=True, text=True, timeout=30,
                           env={k: v for k, v in os.environ.items()
                                if k not in ("CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE")})
        return json.loads(r.stdout)

    def test_docker_py(self):
        import docker
        client = self.client()
        try:
            v = client.volumes.create("pyvol", labels={"a": "b"})
            self.assertEqual(v.attrs["Labels"], {"a": "b"})
            out = client.containers.run("busybox", "sh -c 'echo py > /v/f; cat /v/f'",
                                        volumes={"pyvol": {"bind": "/v", "mode": "rw"}},
                                        remove=True)
            self.assertEqual(out, b"py\n")
            self.assertEqual([x.name for x in client.volumes.list(filters={"label": "a=b"})],
                             ["pyvol"])
            c = client.containers.create("busybox", "true", volumes=["pyvol:/v"])
            with self.assertRaises(docker.errors.APIError) as e:
                client.volumes.get("pyvol").remove()
            self.assertEqual(e.exception.status_code, 409)
            c.remove()
            client.volumes.get("pyvol").remove()
            with self.assertRaises(docker.errors.NotFound):
                client.volumes.get("pyvol")
        finally:
            client.close()

    def test_tmpfs(self):
        out = self.ok("run", "--rm", "--tmpfs", "/scratch:size=1m", "busybox", "sh", "-c",
                      "grep ' /scratch ' /proc/mounts")
        self.assertIn("tmpfs /scratch tmpfs", out)
        self.assertIn("size=1024k", out)
        out = self.ok("run", "--rm", "--mount",
                      "type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=1770", "busybox", "sh", "-c",
                      "grep ' /t ' /proc/mounts; stat -c %a /t")
        self.assertIn("size=2048k", out)
        self.assertTrue(out.strip().endswith("1770"), out)
        # host paths: refused, saying so; tmpfs never gets that answer
        for args in (("-v", "/etc:/hostetc"), ("--mount", "type=bind,src=/etc,dst=/x"),
                     ("-v", "./rel:/x")):
            r = self.fails("run", "--rm", *args, "busybox", "true")
            self.assertIn("host paths are not offered", r.stderr, args)
        r = self.fails("run", "--rm", "--mount", "type=tmpfs,dst=/t,tmpfs-size=999g",
                       "busybox", "true")
        self.assertNotIn("host paths", r.stderr)
        self.assertIn("package's memory", r.stderr)

    # --- the quota ---

    def test_quota(self):
        st, _ = self.d.admin("PUT", "/accounts/alice/quota", {"volume_bytes": 100000})
        self.assertEqual(st, 200)
        try:
            self.ok("run", "--rm", "-v", "big:/b", "busybox", "sh", "-c",
                    "head -c 200000 /dev/zero > /b/f")
            r = self.fails("volume", "create", "more")
            self.assertIn("quota volume_bytes", r.stderr)
            r = self.fails("run", "--rm", "-v", "big:/b", "busybox", "true")
            self.assertIn("quota volume_bytes", r.stderr)
            st, j = self.d.admin("GET", "/accounts/alice/quota")
            self.assertGreaterEqual(j["volume_bytes"]["used"], 200000)
            # bob's own volumes are not alice's quota
            self.ok("volume", "create", "bobs1", certs=self.bob)
            self.ok("volume", "rm", "bobs1", certs=self.bob)
            self.ok("volume", "rm", "big")
            self.ok("volume", "create", "more")
            self.ok("volume", "rm", "more")
        finally:
            self.d.admin("PUT", "/accounts/alice/quota", {"volume_bytes": None})

    # --- a hostile tenant ---

    def test_other_account(self):
        self.ok("run", "--name", "owner", "-v", "secret:/s", "busybox", "sh", "-c",
                "echo alice-only > /s/f")
        cid = self.inspect("owner")["Id"]
        r = self.fails("volume", "inspect", "secret", certs=self.bob)
        self.assertIn("no such volume", r.stderr)
        self.assertNotIn("secret", self.vls(certs=self.bob))
        r = self.fails("volume", "rm", "secret", certs=self.bob)
        self.assertIn("no such volume", r.stderr)
        for ref in ("owner", cid):
            r = self.fails("run", "--rm", "--volumes-from", ref, "busybox", "true",
                           certs=self.bob)
            self.assertIn("No such container", r.stderr)
        # bob's "secret" is his own, empty
        self.assertEqual(self.ok("run", "--rm", "-v", "secret:/s", "busybox", "ls", "/s",
                                 certs=self.bob), "")
        self.assertNotEqual(self.host_dir("secret"), self.host_dir("secret", self.bob))
        # each account's _data belongs to its own id range
        mine = os.stat(self.host_dir("secret")).st_uid
        his = os.stat(self.host_dir("secret", self.bob)).st_uid
        self.assertGreaterEqual(abs(mine - his), 65536)
        self.assertEqual(os.stat(os.path.join(self.host_dir("secret"), "f")).st_uid, mine)
        # bob's prune takes his volume, not alice's
        self.assertIn("secret", self.ok("volume", "prune", "-f", certs=self.bob))
        self.assertEqual(self.vls("--filter", "name=secret", certs=self.bob), [])
        self.assertEqual(self.vls("--filter", "name=secret"), ["secret"])
        self.ok("rm", "owner")
        self.ok("volume", "rm", "secret")

    def test_account_deleted(self):
        """Deleting an account with force takes its volumes."""
        key = os.path.join(self.work, "carol")
        import sdctest
        sdctest.keygen(key, "ed25519")
        self.d.add_account("carol", key + ".pub")
        carol = self.d.client_certs("carol", key)
        self.ok("volume", "create", "c1", certs=carol)
        st, j = self.d.admin("GET", "/accounts/carol")
        folder = os.path.join(self.d.tmp, "dockerapi", "volumes", j["uuid"])
        # one volume's folder, beside the account's trash (volumes.c)
        self.assertEqual(len([v for v in os.listdir(folder)
                              if v != ".trash"]), 1)
        st, _ = self.d.admin("DELETE", "/accounts/carol?force=true")
        self.assertEqual(st, 204)
        # its folders unlinked after the answer, off the loop
        self.wait_until("the account's volumes to go",
                        lambda: not os.path.exists(folder), timeout=30)

    def test_planted_symlinks(self):
        canary = os.path.join(self.work, "canary")
        os.makedirs(canary, exist_ok=True)
        with open(os.path.join(canary, "keep"), "w") as f:
            f.write("host\n")
        # symlinks to / and to a host folder planted in a volume
        self.ok("run", "--rm", "-v", "trap:/seed", "busybox", "sh", "-c",
                "ln -s / /seed/root; ln -s %s /seed/canary; mkdir /seed/d; "
                "ln -s %s/keep /seed/d/keep" % (canary, canary))
        # mounted where the image has content: not empty, so no copy
        # through the symlinks
        self.assertEqual(self.ok("run", "--rm", "-v", "trap:/seed", "vol", "ls", "/seed"),
                         "canary\nd\nroot\n")
        self.assertEqual(os.listdir(canary), ["keep"])
        # removal takes the links, not what they point to
        self.ok("volume", "rm", "trap")
        with open(os.path.join(canary, "keep")) as f:
            self.assertEqual(f.read(), "host\n")
        self.assertTrue(os.path.isdir("/etc") and os.path.exists("/etc/passwd"))
        # errors name no host path
        r = self.fails("run", "--rm", "-v", "x1:/bin/sh", "busybox", "true")
        self.assertNotIn(self.d.tmp, r.stderr)
        self.ok("volume", "rm", "x1")


if __name__ == "__main__":
    common.main()
