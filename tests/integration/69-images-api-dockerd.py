#!/usr/bin/python3
"""Images move between this endpoint and a stock Docker: Debian's dockerd
(started here, with its state in a temp dir) pulls the same image from the
registry, and `docker save` from either side loads on the other with the
same image id and tags.  Skipped when dockerd is not installed."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

_spec = importlib.util.spec_from_file_location("imagesapi", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "65-images-api-common.py"))
common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(common)


class Dockerd:
    def __init__(self, workdir):
        self.dir = tempfile.mkdtemp(prefix="dockerd.", dir=workdir)
        self.sock = os.path.join(self.dir, "docker.sock")
        log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(
            ["dockerd", "--data-root", os.path.join(self.dir, "root"),
             "--exec-root", os.path.join(self.dir, "exec"),
             "--pidfile", os.path.join(self.dir, "pid"), "-H", "unix://" + self.sock,
             "--iptables=false", "--ip6tables=false", "--bridge=none"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        common.sdctest.wait_for("dockerd", lambda: self.docker("version").returncode == 0,
                                timeout=30)

    def docker(self, *args, **kw):
        env = dict(os.environ, DOCKER_HOST="unix://" + self.sock,
                   DOCKER_CONFIG=os.path.join(self.dir, "cli"))
        for v in ("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_API_VERSION"):
            env.pop(v, None)
        return subprocess.run(["docker"] + list(args), env=env, capture_output=True,
                              timeout=120, **kw)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class StockDocker(common.ImagesTest):
    @classmethod
    def setUpClass(cls):
        if shutil.which("dockerd") is None or os.geteuid() != 0:
            print("dockerd not installed, or not root")
            sys.exit(1)
        super().setUpClass()
        cls.plus = common.oci_add_layer(cls.busybox, cls.work, "plus",
                                        {"/etc/motd": b"from a test\n"})
        cls.reg.push(cls.plus, "plus:latest")
        cls.dockerd = Dockerd(cls.work)

    @classmethod
    def tearDownClass(cls):
        cls.dockerd.stop()
        super().tearDownClass()

    def stock_ok(self, *args, **kw):
        r = self.dockerd.docker(*args, **kw)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_both_ways(self):
        name = self.reg.addr + "/plus"
        self.stock_ok("pull", name)
        self.docker_ok(self.alice, "pull", name)
        theirs = json.loads(self.stock_ok("inspect", name))[0]
        ours = json.loads(self.docker_ok(self.alice, "inspect", name))[0]
        self.assertEqual(ours["Id"], theirs["Id"])
        self.assertEqual(ours["RootFS"]["Layers"], theirs["RootFS"]["Layers"])

        # dockerd's save loads here
        tar = self.stock_ok("save", name)
        self.docker_ok(self.alice, "rmi", name)
        p = subprocess.run(["docker", "load"], input=tar, capture_output=True,
                           env=self.d.docker_env(self.alice))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"Loaded image: " + name.encode(), p.stdout)
        ours = json.loads(self.docker_ok(self.alice, "inspect", name))[0]
        self.assertEqual(ours["Id"], theirs["Id"])

        # and ours loads there
        st, _, body = self.api(self.alice, "GET", "/images/%s/get" % name)
        self.assertEqual(st, 200)
        self.stock_ok("rmi", name)
        out = self.stock_ok("load", input=body)
        self.assertIn(b"Loaded image: " + name.encode(), out)
        again = json.loads(self.stock_ok("inspect", name))[0]
        self.assertEqual(again["Id"], theirs["Id"])
        self.assertEqual(again["RepoTags"], [name + ":latest"])


if __name__ == "__main__":
    common.main()
