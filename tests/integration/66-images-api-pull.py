#!/usr/bin/python3
"""The image routes with the real docker CLI over TLS: pull from a
registry on loopback and through the docker.io mirror set in SAPI, images
with its filters and digests, tag, inspect (names with a registry port,
slashes and a tag), history, rmi, /info's count, the old API, a pull of
every tag, and that a second account sees none of the first one's
images."""
import importlib.util
import json
import os
import time

_spec = importlib.util.spec_from_file_location("imagesapi", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "65-images-api-common.py"))
common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(common)


class Pull(common.ImagesTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plus = common.oci_add_layer(cls.busybox, cls.work, "plus",
                                        {"/hello.txt": b"hello\n"})
        cls.reg.push(cls.plus, "plus:latest")
        cls.reg.push(cls.busybox, "library/busybox:latest")
        cls.bb = cls.reg.addr + "/busybox"

    def pull(self, certs, name, env=None):
        out = self.docker_ok(certs, "pull", name)
        return out

    def test_1_pull_shows_progress(self):
        out = self.pull(self.alice, self.bb)
        self.assertIn("latest: Pulling from busybox", out)
        self.assertIn("Pull complete", out)
        self.assertRegex(out, r"Digest: sha256:[0-9a-f]{64}")
        self.assertIn("Status: Downloaded newer image for %s:latest" % self.bb, out)
        out = self.pull(self.alice, self.bb)
        self.assertIn("Status: Image is up to date for %s:latest" % self.bb, out)
        # the raw stream carries the CLI's progress bar data
        st, hdrs, body = self.api(self.alice, "POST",
                                  "/v1.41/images/create?fromImage=%s&tag=latest" % self.bb)
        self.assertEqual(st, 200)
        self.assertEqual(hdrs.get("Content-Type"), "application/json")
        lines = common.json_lines(body.decode())
        self.assertEqual(lines[0], {"status": "Pulling from busybox", "id": "latest"})
        self.assertTrue(lines[-1]["status"].startswith("Status: Image is up to date"))
        # the tag parameter wins over a tag in fromImage, as in Docker
        st, _, body = self.api(self.alice, "POST",
                               "/images/create?fromImage=%s:nope&tag=latest" % self.bb)
        self.assertEqual(st, 200, body)
        self.assertIn("Image is up to date for %s:latest" % self.bb, body.decode())
        # by digest: the CLI sends it as the tag
        digest = [x for x in lines if x["status"].startswith("Digest:")][0]["status"][8:]
        out = self.pull(self.alice, "%s@%s" % (self.bb, digest))
        self.assertIn("Digest: " + digest, out)
        out = self.docker_ok(self.alice, "images", "--digests", "--format",
                             "{{.Repository}} {{.Digest}}")
        self.assertIn("%s %s" % (self.bb, digest), out.splitlines())

    def test_2_images_list_and_filters(self):
        self.pull(self.alice, self.bb)
        self.pull(self.alice, self.reg.addr + "/plus")
        out = self.docker_ok(self.alice, "images", "--digests")
        self.assertRegex(out, r"%s\s+latest\s+sha256:[0-9a-f]{64}" % self.bb)
        self.assertIn(self.reg.addr + "/plus", out)
        out = self.docker_ok(self.alice, "images", "-a", "--format", "{{.Repository}}")
        self.assertIn(self.bb, out.split())
        out = self.docker_ok(self.alice, "images", "--filter", "dangling=true", "-q")
        self.assertEqual(out.strip(), "")
        out = self.docker_ok(self.alice, "images", "--filter",
                             "reference=%s/plus" % self.reg.addr, "--format",
                             "{{.Repository}}:{{.Tag}}")
        self.assertEqual(out.split(), [self.reg.addr + "/plus:latest"])
        out = self.docker_ok(self.alice, "images", "--filter", "reference=*/bus*",
                             "--format", "{{.Repository}}")
        self.assertEqual(out.split(), [self.bb])
        # since/before by creation time: plus was made after busybox
        out = self.docker_ok(self.alice, "images", "--filter", "since=" + self.bb,
                             "--format", "{{.Repository}}")
        self.assertEqual(out.split(), [self.reg.addr + "/plus"])
        out = self.docker_ok(self.alice, "images", "--filter",
                             "before=%s/plus" % self.reg.addr, "--format", "{{.Repository}}")
        self.assertIn(self.bb, out.split())
        err = self.docker_fails(self.alice, "images", "--filter", "bogus=1")
        self.assertIn("invalid filter 'bogus'", err)
        err = self.docker_fails(self.alice, "images", "--filter", "since=nosuch")
        self.assertIn("No such image: nosuch", err)

    def test_3_tag_inspect_history(self):
        self.pull(self.alice, self.bb)
        self.docker_ok(self.alice, "tag", self.bb, "mybox:v1")
        out = self.docker_ok(self.alice, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
        ids = dict(line.split() for line in out.splitlines())
        self.assertEqual(ids["mybox:v1"], ids[self.bb + ":latest"])
        info = json.loads(self.docker_ok(self.alice, "inspect", "mybox:v1"))[0]
        self.assertIn("mybox:v1", info["RepoTags"])
        self.assertIn(self.bb + ":latest", info["RepoTags"])
        self.assertEqual(info["Config"]["Cmd"], ["sh"])
        self.assertEqual(info["Os"], "linux")
        self.assertEqual(len(info["RootFS"]["Layers"]), 1)
        # a name with a registry port, a slash and a tag, straight in the path
        st, _, body = self.api(self.alice, "GET", "/v1.41/images/%s:latest/json" % self.bb)
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)["Id"], info["Id"])
        st, _, body = self.api(self.alice, "GET", "/images/%s/json" % info["Id"])
        self.assertEqual(st, 200, body)
        out = self.docker_ok(self.alice, "history", "--no-trunc", "mybox:v1")
        self.assertIn(info["Id"], out)
        self.assertIn("umoci", out)
        hist = json.loads(self.api(self.alice, "GET", "/images/mybox:v1/history")[2])
        self.assertEqual(hist[0]["Id"], info["Id"])
        self.assertIn("mybox:v1", hist[0]["Tags"])
        err = self.docker_fails(self.alice, "tag", "nosuch:1", "x:1")
        self.assertIn("No such image: nosuch:1", err)
        err = self.docker_fails(self.alice, "tag", self.bb, "UPPER:1")
        self.assertIn("invalid reference format", err)

    def test_4_other_account_sees_nothing(self):
        self.pull(self.alice, self.bb)
        info = json.loads(self.docker_ok(self.alice, "inspect", self.bb))[0]
        self.assertEqual(self.docker_ok(self.bob, "images", "-aq").strip(), "")
        for name in (self.bb, info["Id"], info["Id"][7:19]):
            err = self.docker_fails(self.bob, "inspect", "--type", "image", name)
            self.assertIn("No such image", err)
            st, _, body = self.api(self.bob, "GET", "/images/%s/json" % name)
            self.assertEqual(st, 404)
            self.assertEqual(json.loads(body), {"message": "No such image: " + name})
        err = self.docker_fails(self.bob, "rmi", self.bb)
        self.assertIn("No such image", err)
        err = self.docker_fails(self.bob, "tag", info["Id"], "stolen:1")
        self.assertIn("No such image", err)
        st, _, _ = self.api(self.bob, "GET", "/images/get?names=" + self.bb)
        self.assertEqual(st, 404)
        # bob pulls his own copy: it shares the layer, not the visibility
        self.pull(self.bob, self.bb)
        self.assertEqual(self.image_ids(self.bob), [info["Id"]])
        self.docker_ok(self.bob, "rmi", self.bb)
        self.assertIn(info["Id"], self.image_ids(self.alice))

    def test_5_info_counts_the_callers_images(self):
        self.pull(self.alice, self.bb)
        n = len(self.image_ids(self.alice))
        info = json.loads(self.docker_ok(self.alice, "info", "--format", "{{json .}}"))
        self.assertEqual(info["Images"], n)
        info = json.loads(self.docker_ok(self.bob, "info", "--format", "{{json .}}"))
        self.assertEqual(info["Images"], len(self.image_ids(self.bob)))

    def test_6_mirror_from_sapi(self):
        self.d.set_tunable("DOCKER_IO_MIRROR", self.reg.addr)
        deadline = time.time() + 15
        while True:
            r = self.docker(self.alice, "pull", "busybox")
            if r.returncode == 0 or time.time() > deadline:
                break
            time.sleep(0.3)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("latest: Pulling from library/busybox", r.stdout)
        self.assertIn("Status: Downloaded newer image for busybox:latest", r.stdout)
        self.assertIn("docker.io/library/busybox:latest", r.stdout)
        out = self.docker_ok(self.alice, "images", "busybox", "--format",
                             "{{.Repository}}:{{.Tag}}")
        self.assertEqual(out.split(), ["busybox:latest"])
        self.docker_ok(self.alice, "inspect", "docker.io/library/busybox:latest")
        self.d.set_tunable("DOCKER_IO_MIRROR", "")

    def test_7_old_api(self):
        env = dict(DOCKER_API_VERSION="1.24")
        os.environ.update(env)
        try:
            out = self.docker_ok(self.alice, "pull", self.bb)
            self.assertIn("Status:", out)
            out = self.docker_ok(self.alice, "images", "--format", "{{.Repository}}")
            self.assertIn(self.bb, out.split())
            self.docker_ok(self.alice, "tag", self.bb, "old:api")
            self.docker_ok(self.alice, "inspect", "old:api")
            self.docker_ok(self.alice, "history", "old:api")
            out = self.docker_ok(self.alice, "rmi", "old:api")
            self.assertIn("Untagged: old:api", out)
        finally:
            os.environ.pop("DOCKER_API_VERSION")
        # the oldest version served
        st, _, body = self.api(self.alice, "POST",
                               "/v1.20/images/create?fromImage=%s&tag=latest" % self.bb)
        self.assertEqual(st, 200, body)
        st, _, body = self.api(self.alice, "GET", "/v1.20/images/json")
        self.assertEqual(st, 200, body)
        self.assertIn(self.bb + ":latest", [t for i in json.loads(body) for t in i["RepoTags"]])
        st, _, body = self.api(self.alice, "POST", "/v1.20/images/prune")
        self.assertEqual(st, 400, body)
        self.assertIn("requires API version 1.25", body.decode())
        # the 1.24 "filter" parameter
        st, _, body = self.api(self.alice, "GET", "/v1.24/images/json?filter=" + self.bb)
        self.assertEqual(st, 200)
        self.assertEqual([i["RepoTags"] for i in json.loads(body)], [[self.bb + ":latest"]])

    def test_8_rmi(self):
        self.pull(self.alice, self.reg.addr + "/plus")
        self.docker_ok(self.alice, "tag", self.reg.addr + "/plus", "plus2:x")
        out = self.docker_ok(self.alice, "rmi", "plus2:x")
        self.assertEqual(out.strip(), "Untagged: plus2:x")
        out = self.docker_ok(self.alice, "rmi", self.reg.addr + "/plus")
        self.assertIn("Untagged: %s/plus:latest" % self.reg.addr, out)
        self.assertIn("Deleted: sha256:", out)
        err = self.docker_fails(self.alice, "rmi", self.reg.addr + "/plus")
        self.assertIn("No such image", err)
        # by id, with two repositories: must be forced
        self.pull(self.alice, self.reg.addr + "/plus")
        self.docker_ok(self.alice, "tag", self.reg.addr + "/plus", "plus3:y")
        pid = json.loads(self.docker_ok(self.alice, "inspect", "plus3:y"))[0]["Id"]
        err = self.docker_fails(self.alice, "rmi", pid[7:19])
        self.assertIn("must be forced", err)
        out = self.docker_ok(self.alice, "rmi", "-f", pid[7:19])
        self.assertIn("Deleted: " + pid, out)

    def test_9_rmi_refused_while_a_container_uses_it(self):
        pl = self.reg.addr + "/plus"
        self.pull(self.alice, pl)
        pid = json.loads(self.docker_ok(self.alice, "inspect", pl))[0]["Id"]
        self.docker_ok(self.alice, "create", "--name", "user1", pl, "true")
        try:
            err = self.docker_fails(self.alice, "rmi", pl)
            self.assertIn("conflict: unable to remove repository reference", err)
            self.assertIn("must force", err)
            err = self.docker_fails(self.alice, "rmi", pid)
            self.assertIn("image is being used by stopped container", err)
            self.assertIn(pl, self.docker_ok(self.alice, "images"))
            # forced: untagged, but kept while the container stands on it
            out = self.docker_ok(self.alice, "rmi", "-f", pl)
            self.assertIn("Untagged: %s:latest" % pl, out)
            self.assertNotIn("Deleted", out)
            self.assertIn(pid, self.docker_ok(self.alice, "images", "-q", "--no-trunc",
                                              "--filter", "dangling=true").split())
        finally:
            self.docker(self.alice, "rm", "-f", "user1")
        out = self.docker_ok(self.alice, "rmi", pid)
        self.assertIn("Deleted: " + pid, out)
    def test_a_pull_every_tag(self):
        self.reg.push(self.plus, "multi:one")
        self.reg.push(self.busybox, "multi:two")
        multi = self.reg.addr + "/multi"
        out = self.docker_ok(self.alice, "pull", "-a", multi)
        self.assertIn("one: Pulling from multi", out)
        self.assertIn("two: Pulling from multi", out)
        self.assertEqual(len(self.re_digests(out)), 2, out)
        self.assertIn("Status: Downloaded newer image for " + multi, out)
        tags = self.docker_ok(self.alice, "images", "--format", "{{.Tag}}", multi)
        self.assertEqual(sorted(tags.split()), ["one", "two"])
        out = self.docker_ok(self.alice, "pull", "-a", multi)
        self.assertIn("Status: Image is up to date for " + multi, out)
        # the API without a tag is the same, as with dockerd
        self.docker_ok(self.alice, "rmi", multi + ":one", multi + ":two")
        st, _, body = self.api(self.alice, "POST", "/v1.41/images/create?fromImage=" + multi)
        self.assertEqual(st, 200, body)
        self.assertIn("Downloaded newer image for " + multi, body.decode())
        tags = self.docker_ok(self.alice, "images", "--format", "{{.Tag}}", multi)
        self.assertEqual(sorted(tags.split()), ["one", "two"])
        err = self.docker_fails(self.alice, "pull", "-a", self.reg.addr + "/nothere")
        self.assertIn("repository does not exist", err)
        self.docker_ok(self.alice, "rmi", multi + ":one", multi + ":two")

    @staticmethod
    def re_digests(out):
        import re
        return re.findall(r"Digest: sha256:[0-9a-f]{64}", out)


if __name__ == "__main__":
    common.main()
