#!/usr/bin/python3
"""docker login (POST /auth), with the docker CLI and docker-py: a bearer
token registry and a Basic one take the right password and refuse a wrong
one in Docker's words; the CLI keeps what it logged in with and its next
pull gets through; a registry without auth takes anyone; an unreachable
one and a bad body are clear errors."""
import importlib.util
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("imagesapi", os.path.join(
    HERE, "65-images-api-common.py"))
common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(common)


class Login(common.ImagesTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        root = os.path.join(cls.work, "login-root")
        os.makedirs(root)
        with open(os.path.join(root, "secret.txt"), "w") as f:
            f.write("only for alice\n")
        cls.layer = os.path.join(cls.work, "login-layer.tar")
        common.subprocess.run(["tar", "-C", root, "-cf", cls.layer, "."], check=True)

    def setUp(self):
        # each test starts with no stored credentials
        shutil.rmtree(os.path.join(self.d.tmp, "docker-config"), ignore_errors=True)

    def login(self, addr, user, password):
        return self.d.docker(self.alice, "login", "-u", user, "--password-stdin",
                             addr, input=password + "\n")

    def client(self):
        return self.d.dockerpy(self.alice).api

    def test_1_bearer_registry_then_pull(self):
        fake = common.FakeRegistry("--repo", "private/app", "--auth", "alice:s3cret",
                                   "--layer", self.layer)
        repo = fake.addr + "/private/app"
        try:
            r = self.login(fake.addr, "alice", "wrong")
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn("unauthorized: incorrect username or password", r.stderr)
            self.assertIn("pull access denied",
                          self.docker_fails(self.alice, "pull", repo))
            r = self.login(fake.addr, "alice", "s3cret")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Login Succeeded", r.stdout)
            out = self.docker_ok(self.alice, "pull", repo)
            self.assertIn("Downloaded newer image for %s:latest" % repo, out)
            self.docker_ok(self.alice, "rmi", repo)
            self.docker_ok(self.alice, "logout", fake.addr)
            self.assertIn("pull access denied",
                          self.docker_fails(self.alice, "pull", repo))
        finally:
            fake.stop()

    def test_2_basic_registry(self):
        fake = common.FakeRegistry("--repo", "private/app", "--auth", "alice:s3cret",
                                   "--basic", "--layer", self.layer)
        try:
            r = self.login(fake.addr, "alice", "wrong")
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn("login attempt to http://%s/v2/ failed with status: 401"
                          % fake.addr, r.stderr)
            r = self.login(fake.addr, "alice", "s3cret")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Login Succeeded", r.stdout)
        finally:
            fake.stop()

    def test_3_docker_py(self):
        import docker
        fake = common.FakeRegistry("--repo", "private/app", "--auth", "alice:s3cret",
                                   "--layer", self.layer)
        client = self.client()
        try:
            res = client.login("alice", "s3cret", registry="http://%s/v2/" % fake.addr)
            self.assertEqual(res["Status"], "Login Succeeded")
            with self.assertRaises(docker.errors.APIError) as cm:
                client.login("alice", "nope", registry=fake.addr, reauth=True)
            self.assertEqual(cm.exception.status_code, 401)
            self.assertIn("incorrect username or password", str(cm.exception))
        finally:
            client.close()
            fake.stop()

    def test_4_open_registry_and_errors(self):
        # Debian's docker-registry with no auth: any login holds, as with Docker
        r = self.login(self.reg.addr, "whoever", "whatever")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.login("127.0.0.1:1", "alice", "s3cret")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("127.0.0.1:1", r.stderr)
        self.assertIn("Connection refused", r.stderr)
        status, _, body = self.api(self.alice, "POST", "/v1.41/auth", body=b"{nope",
                                   headers={"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        self.assertIn(b"a login takes a JSON object", body)
        status, _, body = self.api(self.alice, "POST", "/v1.41/auth",
                                   body=b'{"serveraddress": "bad host/x"}',
                                   headers={"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        self.assertIn(b"invalid registry address", body)
        # and the daemon still answers
        self.docker_ok(self.alice, "version")


if __name__ == "__main__":
    common.main()
