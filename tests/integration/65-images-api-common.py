"""What the 6x-images-api tests share (imported, not run).

A busybox image built with no network by the library tests' own helper
(60-images-common.sh: Debian's busybox-static into a rootfs with umoci),
Debian's docker-registry on a free loopback port, and the daemons with
two accounts that each have a key and client certificates.  Every process
started here is stopped at exit, also when a test fails.
"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402


def need(*cmds):
    for c in cmds:
        if shutil.which(c) is None:
            print(c + " not installed")
            sys.exit(1)


def build_busybox(workdir):
    """An OCI layout workdir/bb/oci with tag "latest"."""
    need("umoci", "busybox", "skopeo", "docker-registry", "docker")
    env = dict(os.environ, IMAGES_DRIVER="/bin/true")
    subprocess.run(["sh", "-c", '. "$0/60-images-common.sh"; build_busybox "$1"',
                    HERE, os.path.join(workdir, "bb")], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return "oci:" + os.path.join(workdir, "bb", "oci") + ":latest"


def oci_add_layer(src, workdir, name, files):
    """A new OCI tag `name` on top of `src` (an "oci:DIR:TAG" reference)
    with `files` ({path: bytes}) added in one layer, made a minute later."""
    layout, tag = src[4:].rsplit(":", 1)
    bundle = os.path.join(workdir, "bundle-" + name)
    subprocess.run(["umoci", "unpack", "--image", "%s:%s" % (layout, tag), bundle],
                   check=True, stdout=subprocess.DEVNULL)
    for path, data in files.items():
        full = os.path.join(bundle, "rootfs", path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    subprocess.run(["umoci", "repack", "--image", "%s:%s" % (layout, name), bundle],
                   check=True, stdout=subprocess.DEVNULL)
    # repack keeps the base's creation time; a new image is newer
    subprocess.run(["umoci", "config", "--image", "%s:%s" % (layout, name), "--created",
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))],
                   check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(bundle)
    return "oci:%s:%s" % (layout, name)


class Registry:
    """Debian's docker-registry on 127.0.0.1, data under a temp dir."""

    def __init__(self, workdir, auth=None):
        """auth(dir): the config's "auth:" section, made in the registry's
        dir, or None for an open registry."""
        self.dir = tempfile.mkdtemp(prefix="reg.", dir=workdir)
        self.port = sdctest.free_port()
        self.addr = "127.0.0.1:%d" % self.port
        with open(os.path.join(self.dir, "config.yml"), "w") as f:
            f.write("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                    "    rootdirectory: %s/data\n  delete:\n    enabled: true\n"
                    "%shttp:\n  addr: %s\n" % (self.dir, auth(self.dir) if auth else "",
                                                self.addr))
        log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve",
                                      os.path.join(self.dir, "config.yml")],
                                     stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        atexit.register(self.stop)
        sdctest.wait_for("docker-registry", lambda: sdctest.port_open(self.port))

    def push(self, src, name, *args):
        subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false"] +
                       list(args) + [src, "docker://%s/%s" % (self.addr, name)],
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class FakeRegistry:
    """60-images-fakereg.py: one image that misbehaves as asked."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, "-u",
                                      os.path.join(HERE, "60-images-fakereg.py")] +
                                     list(args), stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.addr = "127.0.0.1:" + self.proc.stdout.readline().decode().strip()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()


def tarball(files):
    """A plain tar of {path: bytes} (with their directories), mode 0755:
    an image's layer, or a build's context."""
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o755
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def json_lines(text):
    return [json.loads(x) for x in text.splitlines() if x.strip()]


class ImagesTest(unittest.TestCase):
    """Daemons, accounts "alice" and "bob" (certificates in cls.alice and
    cls.bob), a registry holding busybox as cls.reg.addr/busybox."""

    @classmethod
    def setUpClass(cls):
        need("docker")
        cls.d = sdctest.Daemons().start()
        cls.work = os.path.join(cls.d.tmp, "work")
        os.makedirs(cls.work)
        certs, _ = cls.d.add_tenants("alice", "bob")
        cls.alice, cls.bob = certs["alice"], certs["bob"]
        cls.busybox = build_busybox(cls.work)
        cls.reg = Registry(cls.work)
        cls.reg.push(cls.busybox, "busybox:latest")

    @classmethod
    def tearDownClass(cls):
        cls.reg.stop()
        cls.d.stop()

    def docker(self, certs, *args, **kw):
        return self.d.docker(certs, *args, **kw)

    def docker_ok(self, certs, *args, **kw):
        r = self.d.docker(certs, *args, **kw)
        self.assertEqual(r.returncode, 0, "docker %s: %s%s" % (
            " ".join(args), r.stdout, r.stderr + self.d.log("dockerapi")[-2000:]))
        return r.stdout

    def docker_fails(self, certs, *args, **kw):
        r = self.d.docker(certs, *args, **kw)
        self.assertNotEqual(r.returncode, 0, "docker %s succeeded: %s" % (
            " ".join(args), r.stdout))
        return r.stderr

    def api(self, certs, method, path, body=None, headers=None):
        """A raw request over TLS: (status, headers, body bytes)."""
        import http.client
        import ssl
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
        ctx.load_cert_chain(os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.d.docker_port,
                                           context=ctx, timeout=60)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, dict(resp.getheaders()), data

    def image_ids(self, certs):
        out = self.docker_ok(certs, "images", "-a", "-q", "--no-trunc")
        return sorted(set(out.split()))

    def store_dirs(self):
        """(blobs, layers, tmp entries) in the daemon's image store."""
        root = os.path.join(self.d.tmp, "dockerapi", "images")

        def count(p):
            try:
                return len(os.listdir(os.path.join(root, p)))
            except OSError:
                return 0
        return count("blobs/sha256"), count("layers"), count("tmp")


def main():
    unittest.main(verbosity=2)
