#!/usr/bin/python3
"""docker commit with the real docker CLI and docker-py: the new image runs
with the changed files and without the deleted one, -c CMD/ENV/... apply
and an unknown change is refused with Docker's message, -m/-a land in
history and inspect, the image saves and lists like any other and counts
in the account's quota, --pause freezes only for the read, and another
account's container is not found."""
import importlib
import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

CHANGE = ("mkdir -p /app && echo v1 > /app/conf && echo extra >> /etc/passwd && "
          "rm /bin/ls && mkdir /gone && touch /gone/x && chown 1000:1000 /app/conf")


class Commit(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.d.docker(cls.alice, "run", "--name", "src", "-e", "FROM_RUN=1",
                         "busybox", "sh", "-c", CHANGE)
        assert r.returncode == 0, r.stderr + cls.d.log("dockerapi")[-2000:]

    def test_1_commit_and_run(self):
        out = self.ok("commit", "-m", "my message", "-a", "Ann <ann@x>", "src", "mine:v1")
        self.assertTrue(out.strip().startswith("sha256:"), out)
        self.assertEqual(self.ok("run", "--rm", "mine:v1", "cat", "/app/conf"), "v1\n")
        self.assertEqual(self.ok("run", "--rm", "mine:v1", "stat", "-c", "%u", "/app/conf"),
                         "1000\n")
        self.assertIn("extra", self.ok("run", "--rm", "mine:v1", "cat", "/etc/passwd"))
        r = self.docker(self.alice, "run", "--rm", "mine:v1", "ls", "/bin/ls")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        # busybox's other links are still there
        self.ok("run", "--rm", "mine:v1", "cat", "/app/conf")
        img = json.loads(self.ok("image", "inspect", "mine:v1"))[0]
        self.assertEqual(img["Comment"], "my message")
        self.assertEqual(img["Author"], "Ann <ann@x>")
        self.assertIn("FROM_RUN=1", img["Config"]["Env"])
        base = json.loads(self.ok("image", "inspect", "busybox"))[0]
        self.assertEqual(len(img["RootFS"]["Layers"]), len(base["RootFS"]["Layers"]) + 1)
        self.assertEqual(img["RootFS"]["Layers"][:-1], base["RootFS"]["Layers"])
        hist = self.ok("history", "--no-trunc", "--format", "{{.Comment}}", "mine:v1")
        self.assertEqual(hist.splitlines()[0], "my message")
        self.assertIn("mine", self.ok("images", "--format", "{{.Repository}}:{{.Tag}}"))

    def test_2_layer_is_docker_format(self):
        # the saved image's new layer holds Docker's whiteout, owners as
        # the container saw them
        self.ok("commit", "src", "mine:v2")
        path = os.path.join(self.work, "mine.tar")
        self.ok("save", "-o", path, "mine:v2")
        with tarfile.open(path) as t:
            manifest = json.load(t.extractfile("manifest.json"))
            top = manifest[0]["Layers"][-1]
            layer = tarfile.open(fileobj=t.extractfile(top))
            names = layer.getnames()
            self.assertIn("bin/.wh.ls", names)
            self.assertIn("app/conf", names)
            self.assertEqual(layer.getmember("app/conf").uid, 1000)
            self.assertNotIn("bin/busybox", names)
        # save | load into the other account, and it runs there
        r = self.d.docker(self.bob, "load", "-i", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.ok("run", "--rm", "mine:v2", "cat", "/app/conf",
                                 certs=self.bob), "v1\n")

    def test_3_changes(self):
        self.ok("commit", "-c", "CMD [\"cat\", \"/app/conf\"]", "-c", "ENV A=b",
                "-c", "WORKDIR /app", "-c", "LABEL team=x", "-c", "EXPOSE 8080",
                "-c", "USER 1000", "-c", "VOLUME /data", "-c", "STOPSIGNAL SIGINT",
                "-c", "ONBUILD RUN true", "src", "mine:cmd")
        self.assertEqual(self.ok("run", "--rm", "mine:cmd"), "v1\n")
        cfg = json.loads(self.ok("image", "inspect", "mine:cmd"))[0]["Config"]
        self.assertIn("A=b", cfg["Env"])
        self.assertEqual(cfg["WorkingDir"], "/app")
        self.assertEqual(cfg["Labels"]["team"], "x")
        self.assertIn("8080/tcp", cfg["ExposedPorts"])
        self.assertEqual(cfg["User"], "1000")
        self.assertIn("/data", cfg["Volumes"])
        self.assertEqual(cfg["StopSignal"], "SIGINT")
        self.assertEqual(cfg["OnBuild"], ["RUN true"])
        r = self.fails("commit", "-c", "RUN rm -rf /", "src", "mine:bad")
        self.assertIn("run is not a valid change command", r.stderr)
        r = self.fails("commit", "-c", "FROM x", "src", "mine:bad")
        self.assertIn("not a valid change command", r.stderr)
        self.assertNotIn("mine:bad", self.ok("images", "--format",
                                             "{{.Repository}}:{{.Tag}}"))

    def test_4_running_paused_for_the_read(self):
        self.ok("run", "-d", "--name", "busy", "busybox", "sh", "-c",
                "echo live > /live && sleep 100")
        self.wait_until("the file", lambda: "/live" in self.ok("diff", "busy"))
        self.ok("commit", "busy", "mine:live")
        # thawed again
        self.assertEqual(self.inspect("busy")["State"]["Status"], "running")
        self.assertEqual(self.ok("exec", "busy", "cat", "/live"), "live\n")
        self.ok("commit", "--pause=false", "busy", "mine:live2")
        self.assertEqual(self.ok("run", "--rm", "mine:live2", "cat", "/live"), "live\n")
        # a container the user paused stays paused
        self.ok("pause", "busy")
        self.ok("commit", "busy", "mine:live3")
        self.assertEqual(self.inspect("busy")["State"]["Status"], "paused")
        self.ok("unpause", "busy")
        self.ok("rm", "-f", "busy")

    def test_5_docker_py(self):
        client = self.d.dockerpy(self.alice, version="auto")
        img = client.containers.get("src").commit(repository="pyimg", tag="1",
                                                  message="from py",
                                                  changes=["CMD cat /app/conf"])
        self.assertTrue(img.id.startswith("sha256:"))
        out = client.containers.run("pyimg:1", remove=True)
        self.assertEqual(out, b"v1\n")
        client.close()

    def test_6_other_account_refused(self):
        r = self.fails("commit", "src", "stolen:1", certs=self.bob)
        self.assertIn("No such container", r.stderr)
        cid = self.inspect("src")["Id"]
        st, _, body = self.d.https("POST", "/commit?container=%s&repo=stolen" % cid, self.bob)
        self.assertEqual(st, 404, body)
        self.assertNotIn("stolen", self.ok("images", "--format", "{{.Repository}}",
                                           certs=self.bob))

    def test_7_quota(self):
        # a quota the account is already at refuses a commit that adds bytes
        self.ok("run", "--name", "big", "busybox", "sh", "-c",
                "dd if=/dev/zero of=/big bs=1M count=4 2>/dev/null")
        st, q = self.d.admin("GET", "/accounts/alice/quota")
        self.assertEqual(st, 200, q)
        used = q["image_bytes"]["used"]
        st, j = self.d.admin("PUT", "/accounts/alice/quota",
                             {"image_bytes": used + 1024 * 1024})
        self.assertEqual(st, 200, j)
        try:
            r = self.fails("commit", "big", "mine:big")
            self.assertIn("quota", r.stderr)
            # within the quota, a commit is counted in it
            self.d.admin("PUT", "/accounts/alice/quota", {"image_bytes": used + (16 << 20)})
            self.ok("commit", "big", "mine:big")
            st, q = self.d.admin("GET", "/accounts/alice/quota")
            self.assertGreaterEqual(q["image_bytes"]["used"], used + (4 << 20))
        finally:
            self.d.admin("PUT", "/accounts/alice/quota", {"image_bytes": None})


if __name__ == "__main__":
    common.main()
