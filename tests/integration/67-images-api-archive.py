#!/usr/bin/python3
"""Images as tarballs through the real docker CLI: docker save | docker
load round trips with identical ids (also into another account, and in a
format skopeo reads as a docker-archive), docker import with --change,
dangling images, quiet and verbose load, the old API, and a broken
archive refused with the daemon still serving."""
import importlib.util
import json
import os
import subprocess
import tarfile

_spec = importlib.util.spec_from_file_location("imagesapi", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "65-images-api-common.py"))
common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(common)


tarball = common.tarball


class Archive(common.ImagesTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plus = common.oci_add_layer(cls.busybox, cls.work, "plus",
                                        {"/etc/motd": b"hi\n" * 1000})
        cls.reg.push(cls.plus, "plus:latest")
        cls.bb = cls.reg.addr + "/busybox"
        cls.pl = cls.reg.addr + "/plus"

    def setUp(self):
        for name in (self.bb, self.pl):
            self.docker_ok(self.alice, "pull", name)

    def save(self, certs, *names):
        path = os.path.join(self.work, "save-%d.tar" % len(os.listdir(self.work)))
        self.docker_ok(certs, "save", "-o", path, *names)
        return path

    def ids(self, certs, *names):
        return [json.loads(self.docker_ok(certs, "inspect", n))[0]["Id"] for n in names]

    def test_1_save_load_round_trip(self):
        before = self.ids(self.alice, self.bb, self.pl)
        path = self.save(self.alice, self.bb, self.pl)
        with tarfile.open(path) as t:
            manifest = json.load(t.extractfile("manifest.json"))
        self.assertEqual(sorted(m["RepoTags"][0] for m in manifest),
                         sorted([self.bb + ":latest", self.pl + ":latest"]))
        # a stock tool reads it as a docker-archive
        r = subprocess.run(["skopeo", "inspect", "--config",
                            "docker-archive:%s:%s:latest" % (path, self.bb)],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["config"]["Cmd"], ["sh"])
        self.docker_ok(self.alice, "rmi", self.bb, self.pl)
        self.assertEqual(self.docker_ok(self.alice, "images", "-q"), "")
        out = self.docker_ok(self.alice, "load", "-i", path)
        self.assertIn("Loaded image: %s:latest" % self.bb, out)
        self.assertIn("Loaded image: %s:latest" % self.pl, out)
        self.assertEqual(self.ids(self.alice, self.bb, self.pl), before)
        # the pipe the user types: docker save | docker load, into bob
        with open(path, "rb") as f:
            data = f.read()
        st, hdrs, body = self.api(self.alice, "GET", "/images/%s/get" % self.bb)
        self.assertEqual(st, 200)
        self.assertEqual(hdrs.get("Content-Type"), "application/x-tar")
        p = subprocess.run(["docker", "load"], input=body, capture_output=True,
                           env=self.d.docker_env(self.bob))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.ids(self.bob, self.bb), before[:1])
        self.assertEqual(self.image_ids(self.bob), before[:1])
        self.assertGreater(len(data), len(body))

    def test_2_load_progress_and_quiet(self):
        path = self.save(self.alice, self.pl)
        with open(path, "rb") as f:
            data = f.read()
        self.docker_ok(self.alice, "rmi", self.pl)     # its top layer goes
        st, hdrs, body = self.api(self.alice, "POST", "/v1.41/images/load?quiet=0", data,
                                  {"Content-Type": "application/x-tar"})
        self.assertEqual(st, 200, body)
        self.assertEqual(hdrs.get("Content-Type"), "application/json")
        lines = common.json_lines(body.decode())
        self.assertIn("Loading layer", [x.get("status") for x in lines])
        self.assertEqual(lines[-1], {"stream": "Loaded image: %s:latest\n" % self.pl})
        st, _, body = self.api(self.alice, "POST", "/v1.41/images/load?quiet=1", data)
        self.assertEqual(common.json_lines(body.decode()),
                         [{"stream": "Loaded image: %s:latest\n" % self.pl}])
        # API 1.24 has the same stream
        st, _, body = self.api(self.alice, "POST", "/v1.24/images/load", data)
        self.assertEqual(st, 200)
        self.assertIn("Loaded image", body.decode())

    def test_3_load_by_id_only(self):
        pid = self.ids(self.alice, self.pl)[0]
        st, _, body = self.api(self.alice, "GET", "/images/get?names=" + pid)
        self.assertEqual(st, 200)
        self.docker_ok(self.alice, "rmi", self.pl)
        st, _, out = self.api(self.alice, "POST", "/images/load?quiet=1", body)
        self.assertEqual(st, 200, out)
        self.assertIn("Loaded image ID: " + pid, out.decode())
        dangling = self.docker_ok(self.alice, "images", "--filter", "dangling=true",
                                  "-q", "--no-trunc")
        self.assertEqual(dangling.split(), [pid])
        out = self.docker_ok(self.alice, "images", "-a")
        self.assertIn("<none>", out)
        self.docker_ok(self.alice, "rmi", pid)

    def test_4_import_with_changes(self):
        tar = os.path.join(self.work, "rootfs.tar")
        with open(tar, "wb") as f:
            f.write(tarball({"bin/hello": b"#!/bin/sh\necho hi\n", "etc/motd": b"x\n"}))
        out = self.docker_ok(self.alice, "import", "--change", 'CMD ["/bin/hello"]',
                             "--change", "ENV A=b", "--change", "WORKDIR /etc",
                             "--message", "from a test", tar, "imported:v1")
        self.assertRegex(out.strip(), r"^sha256:[0-9a-f]{64}$")
        info = json.loads(self.docker_ok(self.alice, "inspect", "imported:v1"))[0]
        self.assertEqual(info["Id"], out.strip())
        self.assertEqual(info["Config"]["Cmd"], ["/bin/hello"])
        self.assertIn("A=b", info["Config"]["Env"])
        self.assertEqual(info["Config"]["WorkingDir"], "/etc")
        self.assertEqual(info["Comment"], "from a test")
        self.assertEqual(len(info["RootFS"]["Layers"]), 1)
        hist = self.docker_ok(self.alice, "history", "imported:v1")
        self.assertIn("from a test", hist)
        # from stdin, untagged: a dangling image
        p = subprocess.run(["docker", "import", "-"], input=tarball({"a": b"1"}),
                           capture_output=True, env=self.d.docker_env(self.alice))
        self.assertEqual(p.returncode, 0, p.stderr)
        iid = p.stdout.decode().strip()
        dangling = self.docker_ok(self.alice, "images", "-q", "--no-trunc",
                                  "--filter", "dangling=true")
        self.assertIn(iid, dangling.split())
        err = self.docker_fails(self.alice, "import", "--change", "FROBNICATE x", tar)
        self.assertIn("FROBNICATE", err)
        self.assertEqual(self.docker_fails(self.bob, "inspect", "imported:v1").count(
            "No such"), 1)
        self.docker_ok(self.alice, "rmi", "imported:v1", iid)

    def test_5_bad_archives_refused(self):
        counts = self.store_dirs()
        n = len(self.image_ids(self.alice))
        st, _, body = self.api(self.alice, "POST", "/images/load?quiet=1",
                               b"this is not a tar file" * 100)
        lines = body.decode()
        self.assertTrue(st >= 400 or '"error"' in lines, (st, lines))
        r = subprocess.run(["docker", "load"], input=tarball({"x": b"y"}),
                           capture_output=True, env=self.d.docker_env(self.alice))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"manifest", r.stderr.lower() + r.stdout.lower())
        # half an archive: the layer is cut short
        path = self.save(self.alice, self.pl)
        with open(path, "rb") as f:
            data = f.read()
        r = subprocess.run(["docker", "load"], input=data[:len(data) // 2],
                           capture_output=True, env=self.d.docker_env(self.alice))
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertEqual(self.store_dirs(), counts)
        self.assertEqual(len(self.image_ids(self.alice)), n)
        # save of an unknown name, and of nothing
        err = self.docker_fails(self.alice, "save", "-o",
                                os.path.join(self.work, "none.tar"), "nosuch:1")
        self.assertIn("No such image: nosuch:1", err)
        st, _, _ = self.api(self.alice, "GET", "/images/get")
        self.assertEqual(st, 400)
        # importing from a URL is refused plainly
        st, _, body = self.api(self.alice, "POST",
                               "/images/create?fromSrc=http://127.0.0.1:1/x.tar")
        self.assertEqual(st, 501)
        self.assertIn("not supported", json.loads(body)["message"])

    def test_5b_large_load_streams(self):
        """A load bigger than the daemon's buffers: the body is paused
        and resumed while the job unpacks, and arrives whole."""
        big = common.oci_add_layer(self.busybox, self.work, "big",
                                   {"/big.bin": os.urandom(24 * 1000 * 1000)})
        self.reg.push(big, "big:latest")
        name = self.reg.addr + "/big"
        # the CLI shows bars only on a terminal: look at what it is sent
        st, _, body = self.api(self.alice, "POST", "/images/create?fromImage=%s&tag=latest"
                               % name)
        self.assertEqual(st, 200)
        lines = common.json_lines(body.decode())
        down = [x for x in lines if x.get("status") == "Downloading"]
        self.assertTrue(down, lines)
        self.assertEqual(sorted(down[-1]["progressDetail"]), ["current", "total"])
        self.assertIn("[=", down[-1]["progress"])
        self.assertIn("Extracting", [x.get("status") for x in lines])
        iid = self.ids(self.alice, name)
        path = self.save(self.alice, name)
        self.assertGreater(os.path.getsize(path), 24 * 1000 * 1000)
        self.docker_ok(self.alice, "rmi", name)
        out = self.docker_ok(self.alice, "load", "-i", path)
        self.assertIn("Loaded image: %s:latest" % name, out)
        self.assertEqual(self.ids(self.alice, name), iid)
        self.docker_ok(self.alice, "rmi", name)

    def test_6_old_api_save_load(self):
        os.environ["DOCKER_API_VERSION"] = "1.24"
        try:
            path = os.path.join(self.work, "old.tar")
            self.docker_ok(self.alice, "save", "-o", path, self.bb)
            out = self.docker_ok(self.alice, "load", "-i", path)
            self.assertIn("Loaded image", out)
        finally:
            os.environ.pop("DOCKER_API_VERSION")

    def test_9_prune(self):
        ids = []
        for data in (b"1", b"2"):
            p = subprocess.run(["docker", "import", "-"], input=tarball({"f": data}),
                               capture_output=True, env=self.d.docker_env(self.alice))
            self.assertEqual(p.returncode, 0, p.stderr)
            ids.append(p.stdout.decode().strip())
        keep = self.ids(self.alice, self.bb)[0]
        out = self.docker_ok(self.alice, "image", "prune", "-f")
        self.assertIn("Deleted Images:", out)
        for iid in ids:
            self.assertIn("deleted: " + iid, out)
        self.assertIn("Total reclaimed space:", out)
        self.assertEqual(self.docker_ok(self.alice, "images", "-q", "--filter",
                                        "dangling=true"), "")
        self.assertIn(keep, self.image_ids(self.alice))
        err = self.docker_fails(self.alice, "image", "prune", "-f", "--filter", "until=1h")
        self.assertIn("invalid filter 'until'", err)
        # -a: every image no container uses, in every repository
        r = self.docker(self.alice, "create", "--name", "pruneuser", self.bb, "true")
        try:
            out = self.docker_ok(self.alice, "image", "prune", "-a", "-f")
            self.assertIn("untagged: %s:latest" % self.pl, out)
            left = self.image_ids(self.alice)
            self.assertEqual(left, [keep] if r.returncode == 0 else [])
        finally:
            self.docker(self.alice, "rm", "-f", "pruneuser")
        # bob's prune is about bob's images only
        mine = self.image_ids(self.alice)
        self.docker_ok(self.bob, "image", "prune", "-a", "-f")
        self.assertEqual(self.image_ids(self.bob), [])
        self.assertEqual(self.image_ids(self.alice), mine)


if __name__ == "__main__":
    common.main()
