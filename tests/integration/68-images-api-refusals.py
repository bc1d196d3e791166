#!/usr/bin/python3
"""Refusals on the API side of the image routes, through the docker CLI:
unknown images and repositories, a registry that fails in the middle of a
pull (500), a tampered and a truncated blob, an unsafe layer, an account
not approved for provisioning, bad credentials headers, a client that
leaves in the middle, and search.  Each is a clear error in the CLI's
output, leaves nothing in the store, and the daemon keeps serving.  (The
storage side of these refusals is 62-images-refusals.sh.)"""
import importlib.util
import io
import json
import os
import socket
import subprocess
import ssl
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("imagesapi", os.path.join(
    HERE, "65-images-api-common.py"))
common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(common)


def layer_tar(path, files, symlinks=()):
    with tarfile.open(path, "w") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        for name, target in symlinks:
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            t.addfile(info)
    return path


class Refusals(common.ImagesTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.good = layer_tar(os.path.join(cls.work, "good.tar"),
                             {"a.txt": b"a" * 200000, "b.txt": b"b\n"})
        cls.good2 = layer_tar(os.path.join(cls.work, "good2.tar"),
                              {"c.txt": os.urandom(300000)})
        cls.evil = layer_tar(os.path.join(cls.work, "evil.tar"), {"../../etc/evil": b"x"})
        cls.d.add_account("carol", None, approved=False)
        key = common.sdctest.keygen(os.path.join(cls.d.tmp, "keys", "carol"), "ed25519")
        cls.d.add_key("carol", key + ".pub")
        cls.carol = cls.d.client_certs("carol", key)

    def setUp(self):
        # the last test's removals done first: a layer its job let go sits
        # in tmp/ until its thread has unlinked it, and a snapshot taken
        # meanwhile would count it as the store's own
        common.sdctest.wait_for("tmp/ empty", lambda: self.store_dirs()[2]
                                == 0, timeout=30)
        self.before = self.store_dirs()

    def assertClean(self):
        """Nothing left behind, and the daemon still answers.  A layer a
        failed job made goes out of sight into tmp/ at once and is removed
        there off the loop (tree-remove.c): waited for, then compared."""
        try:
            common.sdctest.wait_for("the store as before", lambda:
                                    self.store_dirs() == self.before,
                                    timeout=30)
        except AssertionError:
            pass
        tmp = os.path.join(self.d.tmp, "dockerapi", "images", "tmp")
        self.assertEqual(self.store_dirs(), self.before,
                         os.listdir(tmp) if os.path.isdir(tmp) else "")

    def pull_refused(self, fake_args, name, text):
        fake = common.FakeRegistry(*fake_args)
        try:
            r = self.docker(self.alice, "pull", "%s/%s" % (fake.addr, name))
        finally:
            fake.stop()
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn(text, r.stdout + r.stderr)
        self.assertClean()
        return r

    def test_unknown_image_and_repository(self):
        r = self.docker(self.alice, "pull", self.reg.addr + "/busybox:nope")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Error response from daemon", r.stderr)
        self.assertIn("manifest unknown", r.stderr)
        r = self.docker(self.alice, "pull", self.reg.addr + "/nothere")
        self.assertIn("Error response from daemon", r.stderr)
        self.assertClean()
        for args in (["inspect", "--type", "image", "nosuch"], ["history", "nosuch"],
                     ["rmi", "nosuch"], ["tag", "nosuch", "x"]):
            err = self.docker_fails(self.alice, *args)
            self.assertIn("No such image: nosuch", err)
        st, _, body = self.api(self.alice, "DELETE", "/images/nosuch:1")
        self.assertEqual((st, json.loads(body)), (404, {"message": "No such image: nosuch:1"}))
        err = self.docker_fails(self.alice, "pull", "127.0.0.1:1/BAD")
        self.assertIn("invalid reference format", err)

    def test_registry_500_mid_pull(self):
        r = self.pull_refused(["--repo", "img", "--mode", "error500", "--layer", self.good,
                               "--layer", self.good2], "img", "500")
        # the progress had started: the error came as a stream line
        self.assertIn("Pulling fs layer", r.stdout)

    def test_tampered_blob(self):
        self.pull_refused(["--repo", "img", "--mode", "tamper", "--layer", self.good],
                          "img", "verification failed")

    def test_truncated_blob(self):
        self.pull_refused(["--repo", "img", "--mode", "truncate", "--layer", self.good],
                          "img", "truncated")
        self.pull_refused(["--repo", "img", "--mode", "short", "--layer", self.good],
                          "img", "truncated")

    def test_unsafe_layer(self):
        self.pull_refused(["--repo", "img", "--layer", self.good, "--layer", self.evil],
                          "img", "'..'")
        with open(self.evil, "rb") as f:
            r = subprocess.run(["docker", "import", "-", "evil:1"], stdin=f,
                               capture_output=True, text=True,
                               env=self.d.docker_env(self.alice))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("'..'", r.stderr)
        self.assertClean()

    def test_good_pull_after_refusals(self):
        fake = common.FakeRegistry("--repo", "img", "--layer", self.good, "--layer", self.good2)
        try:
            out = self.docker_ok(self.alice, "pull", fake.addr + "/img")
            self.assertIn("Pull complete", out)
            self.docker_ok(self.alice, "rmi", fake.addr + "/img")
        finally:
            fake.stop()
        self.assertClean()

    def test_not_approved_for_provisioning(self):
        for args in (["pull", self.reg.addr + "/busybox"], ["load", "-i", self.good],
                     ["import", self.good]):
            err = self.docker_fails(self.carol, *args)
            self.assertIn("not approved for provisioning", err)
        self.assertEqual(self.docker_ok(self.carol, "images", "-q"), "")
        self.assertClean()

    def test_other_platform(self):
        err = self.docker_fails(self.alice, "pull", "--platform", "linux/arm64",
                                self.reg.addr + "/busybox")
        self.assertIn("platform linux/arm64 is not served here", err)
        self.docker_ok(self.alice, "pull", "--platform", "linux/amd64",
                       self.reg.addr + "/busybox")
        self.docker_ok(self.alice, "rmi", self.reg.addr + "/busybox")

    def test_bad_registry_auth_header(self):
        st, _, body = self.api(self.alice, "POST", "/images/create?fromImage=%s/busybox"
                               % self.reg.addr, headers={"X-Registry-Auth": "!!!not base64"})
        self.assertEqual(st, 400, body)
        self.assertIn("X-Registry-Auth", json.loads(body)["message"])

    def test_client_leaves_mid_pull(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.alice, "ca.pem"))
        ctx.load_cert_chain(os.path.join(self.alice, "cert.pem"),
                            os.path.join(self.alice, "key.pem"))
        fake = common.FakeRegistry("--repo", "img", "--mode", "truncate", "--layer", self.good)
        try:
            for _ in range(3):
                with socket.create_connection(("127.0.0.1", self.d.docker_port)) as raw:
                    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
                    s.sendall(("POST /images/create?fromImage=%s/img&tag=latest HTTP/1.1\r\n"
                               "Host: x\r\nContent-Length: 0\r\n\r\n" % fake.addr).encode())
                    time.sleep(0.05)
                    s.close()
        finally:
            fake.stop()
        self.assertClean()

    def test_registry_credentials(self):
        """docker-py sends X-Registry-Auth; the registry wants a bearer
        token for the right login."""
        import docker
        fake = common.FakeRegistry("--repo", "private/app", "--auth", "alice:s3cret",
                            "--layer", self.good)
        client = self.d.dockerpy(self.alice).api
        repo = fake.addr + "/private/app"
        try:
            with self.assertRaises(docker.errors.APIError) as cm:
                client.pull(repo, tag="latest")
            self.assertIn("pull access denied", str(cm.exception))
            with self.assertRaises(docker.errors.APIError):
                client.pull(repo, tag="latest",
                            auth_config={"username": "alice", "password": "wrong"})
            self.assertClean()
            out = client.pull(repo, tag="latest",
                              auth_config={"username": "alice", "password": "s3cret"})
            self.assertIn("Downloaded newer image for %s:latest" % repo, out)
            self.assertEqual(client.inspect_image(repo)["RepoTags"], [repo + ":latest"])
            client.remove_image(repo)
        finally:
            client.close()
            fake.stop()

    def test_search_is_refused_plainly(self):
        err = self.docker_fails(self.alice, "search", "busybox")
        self.assertIn("docker search is not available", err)


if __name__ == "__main__":
    common.main()
