#!/usr/bin/python3
"""docker push with the real docker CLI: tag and push to Debian's
docker-registry (progress lines, schema2 manifest whose blobs are the
bytes pushed), a second push that uploads nothing, a mount from another
repository, a second account pulling the image back and running it,
basic auth through docker login, and Docker's errors."""
import hashlib
import importlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("58-push-common")
registry_get = common.registry_get


class PushCli(common.PushTest):
    def test_1_round_trip(self):
        name = self.reg.addr + "/alice/bb:v1"
        self.ok(self.alice, "tag", self.bb, name)
        out = self.ok(self.alice, "push", name)
        self.assertIn("The push refers to repository [%s/alice/bb]" % self.reg.addr, out)
        self.assertIn(": Pushed", out)
        m = re.search(r"^v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$", out, re.M)
        self.assertTrue(m, out)
        digest, size = m.group(1), int(m.group(2))
        # the registry holds a schema2 manifest of exactly that digest and size
        st, hdrs, body = registry_get(self.reg.addr, "/v2/alice/bb/manifests/v1")
        self.assertEqual(st, 200)
        self.assertEqual(hdrs["Content-Type"],
                         "application/vnd.docker.distribution.manifest.v2+json")
        self.assertEqual("sha256:" + hashlib.sha256(body).hexdigest(), digest)
        self.assertEqual(len(body), size)
        man = json.loads(body)
        self.assertEqual(man["schemaVersion"], 2)
        # every blob it names is there, byte for byte
        for desc in man["layers"] + [man["config"]]:
            st, _, blob = registry_get(self.reg.addr, "/v2/alice/bb/blobs/" + desc["digest"])
            self.assertEqual(st, 200)
            self.assertEqual("sha256:" + hashlib.sha256(blob).hexdigest(), desc["digest"])
            self.assertEqual(len(blob), desc["size"])
        self.assertEqual(man["layers"][0]["mediaType"],
                         "application/vnd.docker.image.rootfs.diff.tar.gzip")
        # the config is the image's: its digest is the image id
        iid = self.ok(self.alice, "inspect", "--format", "{{.Id}}", name).strip()
        self.assertEqual(man["config"]["digest"], iid)
        # and the pushed digest is now a RepoDigest of the image
        rd = self.ok(self.alice, "inspect", "--format", "{{json .RepoDigests}}", name)
        self.assertIn("%s/alice/bb@%s" % (self.reg.addr, digest), rd)

        # a second push uploads nothing and gives the same digest
        out = self.ok(self.alice, "push", name)
        self.assertIn("Layer already exists", out)
        self.assertNotIn("Pushed", out)
        self.assertIn("v1: digest: %s size: %d" % (digest, size), out)

        # another account pulls it back and runs it
        out = self.ok(self.bob, "pull", name)
        self.assertIn("Digest: " + digest, out)
        self.assertEqual(self.ok(self.bob, "inspect", "--format", "{{.Id}}", name).strip(), iid)
        if os.geteuid() == 0:
            out = self.ok(self.bob, "run", "--rm", name, "echo", "pushed-and-pulled")
            self.assertEqual(out.strip(), "pushed-and-pulled")

    def test_2_mount_from_another_repository(self):
        first = self.reg.addr + "/alice/bb:v1"
        self.ok(self.alice, "tag", self.bb, first)
        self.ok(self.alice, "push", first)
        other = self.reg.addr + "/alice/copy:latest"
        self.ok(self.alice, "tag", self.bb, other)
        out = self.ok(self.alice, "push", other)
        self.assertIn("Mounted from alice/bb", out)
        self.assertNotIn("Pushed", out)

    def test_3_errors(self):
        out = self.fails(self.alice, "push", self.reg.addr + "/nothing:here")
        self.assertIn("The push refers to repository [%s/nothing]" % self.reg.addr, out)
        self.assertIn("An image does not exist locally with the tag: %s/nothing" %
                      self.reg.addr, out)
        # the raw stream: the refers line, then Docker's error line
        st, _, body = self.api(self.alice, "POST",
                               "/images/%s/nothing/push?tag=here" % self.reg.addr)
        self.assertEqual(st, 200)
        lines = [json.loads(x) for x in body.decode().splitlines() if x.strip()]
        self.assertEqual(lines[0], {"status": "The push refers to repository [%s/nothing]"
                                    % self.reg.addr})
        self.assertIn("An image does not exist locally", lines[-1]["error"])
        self.assertEqual(lines[-1]["errorDetail"]["message"], lines[-1]["error"])
        st, _, body = self.api(self.alice, "POST", "/images/%s/x/push?tag=a%%20b"
                               % self.reg.addr)
        self.assertEqual(st, 400, body)

    def test_4_basic_auth(self):
        name = self.areg.addr + "/alice/secret:1"
        self.ok(self.alice, "tag", self.bb, name)
        out = self.fails(self.alice, "push", name)
        self.assertIn("unauthorized: authentication required", out)
        self.ok(self.alice, "login", "-u", common.USER, "--password-stdin", self.areg.addr,
                input=common.PASSWORD)
        try:
            out = self.ok(self.alice, "push", name)
            self.assertIn("1: digest: sha256:", out)
            self.assertIn("Pushed", out)
            out = self.ok(self.alice, "push", name)
            self.assertIn("Layer already exists", out)
            man, _ = self.manifest(self.areg.addr, "alice/secret", "1",
                                   auth=(common.USER, common.PASSWORD))
            self.assertEqual(man["schemaVersion"], 2)
            # bob pulls it with the same credentials
            self.ok(self.bob, "pull", name)
        finally:
            self.ok(self.alice, "logout", self.areg.addr)
        # a wrong password
        st, _, body = self.api(self.alice, "POST", "/images/%s/alice/secret/push?tag=1"
                               % self.areg.addr, headers={
                                   "X-Registry-Auth": common_auth(common.USER, "wrong")})
        self.assertIn(b"unauthorized", body)
        self.assertNotIn(b"digest:", body)
        # no credential ever reaches a log
        logs = self.logs()
        self.assertNotIn(common.PASSWORD, logs)

    def test_5_large_uncompressed_layer(self):
        # an imported tarball: a layer the store keeps uncompressed, bigger
        # than one upload chunk, so it goes up gzipped in PATCHes
        import gzip
        import io
        import tarfile
        data = os.urandom(20 * 1024 * 1024)
        tarpath = os.path.join(self.work, "big.tar")
        with tarfile.open(tarpath, "w") as t:
            ti = tarfile.TarInfo("big.bin")
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        name = self.reg.addr + "/alice/big"
        self.ok(self.alice, "import", tarpath, name + ":1")
        out = self.ok(self.alice, "push", name + ":1")
        self.assertIn("Pushed", out)
        man, _ = self.manifest(self.reg.addr, "alice/big", "1")
        self.assertEqual(len(man["layers"]), 1)
        st, _, blob = registry_get(self.reg.addr, "/v2/alice/big/blobs/" +
                                   man["layers"][0]["digest"])
        self.assertEqual(st, 200)
        self.assertEqual("sha256:" + hashlib.sha256(blob).hexdigest(),
                         man["layers"][0]["digest"])
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as t:
            self.assertEqual(t.extractfile("big.bin").read(), data)
        # compressed once: the copy kept beside the layer is not made again
        kept = [os.path.join(r, "push.gz") for r, _, f in os.walk(
            os.path.join(self.d.tmp, "dockerapi", "images", "layers")) if "push.gz" in f]
        mtimes = [os.stat(k).st_mtime_ns for k in kept]
        self.assertTrue(kept)
        # every tag of the repository: -a
        self.ok(self.alice, "tag", name + ":1", name + ":2")
        out = self.ok(self.alice, "push", "--all-tags", name)
        self.assertIn("Layer already exists", out)
        self.assertNotIn("Pushed", out)
        self.assertIn("1: digest: sha256:", out)
        self.assertIn("2: digest: sha256:", out)
        self.assertEqual([os.stat(k).st_mtime_ns for k in kept], mtimes)
        # the other account pulls what was pushed, and has the same image
        self.ok(self.bob, "pull", name + ":2")
        self.assertEqual(self.ok(self.bob, "inspect", "--format", "{{.Id}}", name + ":2"),
                         self.ok(self.alice, "inspect", "--format", "{{.Id}}", name + ":1"))

    def test_6_token_auth(self):
        name = self.treg.addr + "/alice/tok:1"
        self.ok(self.alice, "tag", self.bb, name)
        out = self.fails(self.alice, "push", name)
        self.assertIn("unauthorized: authentication required", out)
        self.ok(self.alice, "login", "-u", common.USER, "--password-stdin", self.treg.addr,
                input=common.PASSWORD)
        try:
            out = self.ok(self.alice, "push", name)
            self.assertIn("Pushed", out)
            self.assertIn("repository:alice/tok:pull,push", self.treg.scopes)
            out = self.ok(self.alice, "push", name)
            self.assertIn("Layer already exists", out)
            # a mount asks for pull on the source too
            other = self.treg.addr + "/alice/tok2:1"
            self.ok(self.alice, "tag", self.bb, other)
            out = self.ok(self.alice, "push", other)
            self.assertIn("Mounted from alice/tok", out)
            self.assertIn("repository:alice/tok:pull", self.treg.scopes)
            out = self.ok(self.bob, "pull", other)
            self.assertIn("Downloaded newer image", out)
        finally:
            self.ok(self.alice, "logout", self.treg.addr)
        self.assertNotIn(common.PASSWORD, self.logs())


def common_auth(user, password):
    import base64
    return base64.urlsafe_b64encode(json.dumps(
        {"username": user, "password": password}).encode()).decode()


if __name__ == "__main__":
    common.main()
