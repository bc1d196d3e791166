#!/usr/bin/env python3
"""Layers fetched by the node that needs them, from the head's store.

A head (sapi + dockerapi) and one sdc-docker-agent, as 25-nodes-create
has them, but the agent's layer store (--images) is its own and starts
empty, as a compute node's does.  Checked:

- docker run of a loaded three-layer image (files, a symlink, a
  whiteout): the node answers the create 424 naming the layers, the head
  sends each (PUT /v1/layers/DIFF_ID, the layer's gzip from its store),
  the agent checks and unpacks them into its own store (its log, its
  folders), the create goes through and the container sees the image's
  files; a second run sends nothing;
- uploads as a holder of a head's certificate could craft them, each
  refused with nothing left in the node's store (no layer, nothing in
  .incoming) and nothing written outside it: a blob whose digest is not
  the one declared, a tar whose diff id is not the layer's name, entries
  walking out with "../", with an absolute path, through a symlink
  made by an earlier entry, a hard link out, a whiteout through a
  symlink, a body cut short (the client gone midway), bytes past the
  declared length, a declared size no disk has, no size, an unknown
  media type, a layer name that is no digest;
- two uploads of one layer at once end as one layer; two runs at once
  of an image the node lacks have each layer sent once;
- with --layer-idle 1, the layers sent to the node that no container
  uses are removed within seconds, those of a running container stay
  until it is removed, and a run that needs them again has them sent
  again;
- a client without the head's certificate, or with another CA's, is
  refused at the handshake.
"""
import gzip
import hashlib
import http.client
import importlib
import io
import json
import os
import socket
import ssl
import subprocess
import sys
import tarfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

os.environ["SDC_TEST_STORE"] = "sqlite"
common = importlib.import_module("37-nodes-common")


def add_bytes(t, name, data, mode=0o644, **kw):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 1700000000
    for k, v in kw.items():
        setattr(info, k, v)
    t.addfile(info, io.BytesIO(data))


def add_entry(t, name, kind, target="", mode=0o755):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    info.mode = mode
    info.mtime = 1700000000
    t.addfile(info)


def layer_tar(fill):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        fill(t)
    return raw.getvalue()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def three_layers():
    def base(t):
        add_entry(t, "bin", tarfile.DIRTYPE)
        with open("/bin/busybox", "rb") as f:
            add_bytes(t, "bin/busybox", f.read(), mode=0o755)
        add_entry(t, "bin/sh", tarfile.SYMTYPE, "busybox")
        add_entry(t, "data", tarfile.DIRTYPE)
        add_bytes(t, "data/gone", b"removed by the top layer\n")

    def middle(t):
        add_entry(t, "etc", tarfile.DIRTYPE)
        add_bytes(t, "etc/motd", b"hello from layer two\n")

    def top(t):
        add_entry(t, "data", tarfile.DIRTYPE)
        add_bytes(t, "data/.wh.gone", b"")
        add_bytes(t, "data/kept", b"layer three\n")
    return [layer_tar(base), layer_tar(middle), layer_tar(top)]


def docker_archive(layers, tag):
    diff_ids = [sha(l) for l in layers]
    cfg = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "test"} for _ in layers]}).encode()
    arch = io.BytesIO()
    with tarfile.open(fileobj=arch, mode="w") as t:
        names = []
        for i, l in enumerate(layers):
            add_bytes(t, "l%d/layer.tar" % i, l)
            names.append("l%d/layer.tar" % i)
        add_bytes(t, "config.json", cfg)
        add_bytes(t, "manifest.json", json.dumps([{
            "Config": "config.json", "RepoTags": [tag],
            "Layers": names}]).encode())
    return arch.getvalue(), diff_ids


class NodesLayers(common.NodesBase):

    @classmethod
    def setUpClass(cls):
        common.NodesBase.setUpClass.__func__(cls)
        d = cls.d
        sdctest.wait_for("head knows its node", lambda: "containers run on node"
                         in d.log("dockerapi"))
        cls.layers, cls.diff_ids = None, None
        # where a hostile layer would land if it got out
        cls.outside = os.path.join(d.tmp, "outside")
        os.makedirs(cls.outside)

    @classmethod
    def agent_dirs(cls):
        """A compute node's own layer store, empty at first."""
        cls.store = os.path.join(cls.d.tmp, "node-layers")
        return dict(super().agent_dirs(), images=cls.store)

    wait_available = common.NodesTest.wait_available
    nodes = common.NodesTest.nodes

    # --- helpers ---

    def ok(self, *args):
        r = self.d.docker(self.alice, *args)
        self.assertEqual(r.returncode, 0, r.stderr + self.d.log("dockerapi")[-2000:]
                         + self.d.log("agent")[-2000:])
        return r.stdout.strip()

    def stored(self):
        return sorted(e for e in os.listdir(self.store) if e != ".incoming")

    def incoming(self):
        return os.listdir(os.path.join(self.store, ".incoming"))

    def ctx(self, certdir=None):
        ctx = ssl.create_default_context(
            cafile=os.path.join(self.agent_dir, "tls", "ca.pem"))
        certdir = certdir or self.head_certs
        ctx.load_cert_chain(os.path.join(certdir, "cert.pem"),
                            os.path.join(certdir, "key.pem"))
        return ctx

    def put(self, diff_id, blob, digest=None, media="application/vnd.docker."
            "image.rootfs.diff.tar", length=None, send=None, path=None,
            cut=False):
        """PUT a layer with the head's certificate: (status, body)."""
        c = http.client.HTTPSConnection("127.0.0.1", self.agent_port,
                                        context=self.ctx(), timeout=60)
        c.putrequest("PUT", path or "/v1/layers/%s?digest=%s" % (
            diff_id, digest or sha(blob)))
        if media is not None:
            c.putheader("Content-Type", media)
        if length is not False:
            c.putheader("Content-Length", str(len(blob) if length is None
                                              else length))
        c.endheaders()
        try:
            c.send(blob if send is None else send)
            if cut:             # the client goes midway
                c.sock.shutdown(socket.SHUT_RDWR)
                return None, "cut"
            r = c.getresponse()
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
        except (ConnectionError, BrokenPipeError) as e:
            return None, str(e)
        finally:
            c.close()

    def refused_upload(self, what, status, diff_id, blob, **kw):
        before = self.stored()
        st, body = self.put(diff_id, blob, **kw)
        self.assertEqual(st, status, "%s: %s" % (what, body))
        self.assertEqual(self.stored(), before, what)
        sdctest.wait_for("nothing left of " + what, lambda: self.incoming() == [])
        self.assertEqual(os.listdir(self.outside), [], what)
        return body

    # --- the tests, in order ---

    def test_1_run_fetches_each_layer_once(self):
        self.wait_available(True)
        self.assertEqual(self.stored(), [])
        arch, diff_ids = docker_archive(three_layers(), "three:1")
        r = subprocess.run(["docker", "load"], input=arch, capture_output=True,
                           env=self.d.docker_env(self.alice), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        t = time.time()
        out = self.ok("run", "--rm", "three:1", "/bin/sh", "-c",
                      "cat /etc/motd /data/kept; ls /data")
        first = time.time() - t
        self.assertEqual(out.split("\n"), ["hello from layer two", "layer three",
                                           "kept"])
        log = self.d.log("agent")
        for d in diff_ids:
            self.assertEqual(log.count("layer %s: received (" % d), 1, log[-3000:])
            self.assertIn("layer %s sent" % d, self.d.log("dockerapi"))
        self.assertEqual(self.stored(), sorted(d[7:] for d in diff_ids))
        # the whiteout as overlayfs reads it, the symlink kept
        wh = os.lstat(os.path.join(self.store, diff_ids[2][7:], "diff", "data",
                                   "gone"))
        self.assertEqual((wh.st_mode & 0o170000, wh.st_rdev), (0o020000, 0))
        self.assertEqual(os.readlink(os.path.join(self.store, diff_ids[0][7:],
                                                  "diff", "bin", "sh")), "busybox")
        # a second run sends nothing
        sent = self.d.log("dockerapi").count(" sent (")
        t = time.time()
        self.assertEqual(self.ok("run", "--rm", "three:1", "/bin/sh", "-c",
                                 "cat /etc/motd"), "hello from layer two")
        second = time.time() - t
        self.assertEqual(self.d.log("dockerapi").count(" sent ("), sent)
        self.assertEqual(self.d.log("agent").count(": receiving "), 3)
        print("\nfirst run (3 layers sent) %.2f s, second %.2f s" % (first, second),
              file=sys.stderr)

    def test_2_hostile_uploads(self):
        self.wait_available(True)
        good = layer_tar(lambda t: add_bytes(t, "f", b"a good layer\n"))
        # the blob is not what its digest says
        self.refused_upload("a blob whose digest lies", 400, sha(good), good,
                            digest=sha(b"something else"))
        # the tar is not the layer it is sent as
        self.refused_upload("a diff id that lies", 400, sha(b"another layer"),
                            good)
        # gzip: the blob's digest matches, the diff id not
        gz = gzip.compress(good)
        self.refused_upload("a gzip whose tar is another", 400,
                            sha(b"another layer"), gz, digest=sha(gz),
                            media="application/vnd.docker.image.rootfs.diff"
                            ".tar.gzip")
        # entries walking out
        rel = os.path.relpath(os.path.join(self.outside, "pwned"), "/")
        walks = {
            "dot-dot": layer_tar(lambda t: add_bytes(
                t, "../../../../../../../../" + rel, b"x")),
            "absolute": layer_tar(lambda t: add_bytes(
                t, os.path.join(self.outside, "pwned"), b"x")),
            "symlink then file": layer_tar(lambda t: (
                add_entry(t, "lnk", tarfile.SYMTYPE, self.outside),
                add_bytes(t, "lnk/pwned", b"x"))),
            "hard link out": layer_tar(lambda t: add_entry(
                t, "h", tarfile.LNKTYPE, "/etc/passwd")),
            "whiteout through a symlink": layer_tar(lambda t: (
                add_entry(t, "lnk", tarfile.SYMTYPE, self.outside),
                add_bytes(t, "lnk/.wh.x", b""))),
        }
        for what, tar in walks.items():
            body = self.refused_upload(what, 400, sha(tar), tar)
            self.assertIn("refusing", body["message"], what)
        # a body cut short: the connection closes midway
        before = self.stored()
        st, _ = self.put(sha(good), good, length=len(good) * 4, send=good,
                         cut=True)
        self.assertIsNone(st)
        sdctest.wait_for("the cut-short upload refused", lambda:
                         "truncated blob" in self.d.log("agent"))
        self.assertEqual(self.stored(), before)
        sdctest.wait_for("nothing left", lambda: self.incoming() == [])
        # bytes past the declared length are no part of the blob
        self.refused_upload("a longer body", 400, sha(good), good + b"\0" * 70000,
                            digest=sha(good + b"\0" * 70000),
                            length=len(good))
        # a size no node has, none, a media type of no layer, a bad name
        t = time.time()
        body = self.refused_upload("a huge declared size", 507, sha(good), b"",
                                   length=1 << 50)
        self.assertIn("do not fit", body["message"])
        self.assertLess(time.time() - t, 5)
        self.refused_upload("no size", 411, sha(good), good, length=False)
        self.refused_upload("a foreign media type", 400, sha(good), good,
                            media="application/vnd.docker.image.rootfs."
                            "foreign.diff.tar.gzip")
        self.refused_upload("a name that is no digest", 400, sha(good), good,
                            path="/v1/layers/sha256:%s?digest=%s" % (
                                "..." + "E" * 61, sha(good)))
        self.refused_upload("a name walking up", 404, sha(good), good,
                            path="/v1/layers/sha256:..%2F..%2Fetc?digest="
                            + sha(good))
        # and the good one is taken
        st, body = self.put(sha(good), good)
        self.assertEqual((st, body["Created"]), (201, True))
        st, body = self.put(sha(good), good)
        self.assertEqual((st, body["Created"]), (200, False))

    def test_3_two_uploads_at_once(self):
        self.wait_available(True)
        big = layer_tar(lambda t: add_bytes(t, "big", os.urandom(4 << 20)))
        got = []
        ths = [threading.Thread(target=lambda: got.append(
            self.put(sha(big), big)[0])) for _ in range(2)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        self.assertTrue(set(got) <= {200, 201} and 201 in got, got)
        self.assertEqual(self.stored().count(sha(big)[7:]), 1)
        sdctest.wait_for("nothing left", lambda: self.incoming() == [])
        self.assertEqual(sorted(os.listdir(os.path.join(self.store,
                                                        sha(big)[7:]))),
                         ["diff", "tar-split"])

    def test_4_other_clients_refused(self):
        def handshake(certdir):
            ctx = ssl.create_default_context(
                cafile=os.path.join(self.agent_dir, "tls", "ca.pem"))
            if certdir is not None:
                ctx.load_cert_chain(os.path.join(certdir, "cert.pem"),
                                    os.path.join(certdir, "key.pem"))
            c = http.client.HTTPSConnection("127.0.0.1", self.agent_port,
                                            context=ctx, timeout=10)
            good = layer_tar(lambda t: add_bytes(t, "g", b"nobody's\n"))
            try:
                c.request("PUT", "/v1/layers/%s?digest=%s" % (sha(good), sha(good)),
                          body=good, headers={"Content-Type":
                                              "application/vnd.docker.image."
                                              "rootfs.diff.tar"})
                return c.getresponse().status
            except (ssl.SSLError, ConnectionError, OSError) as e:
                return e
            finally:
                c.close()
        before = self.stored()
        for who in (None, os.path.join(self.other, "head")):
            r = handshake(who)
            self.assertNotIsInstance(r, int, "%s got an answer" % who)
        self.assertEqual(self.stored(), before)

    def test_4b_two_runs_at_once(self):
        # two creates needing the same new layers on one node: each layer
        # is sent and unpacked once
        self.wait_available(True)
        layers = [layer_tar(lambda t: add_bytes(t, "f%d" % i, os.urandom(2 << 20)))
                  for i in range(3)]
        arch, diff_ids = docker_archive(three_layers()[:1] + layers, "four:1")
        r = subprocess.run(["docker", "load"], input=arch, capture_output=True,
                           env=self.d.docker_env(self.alice), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        runs = [subprocess.Popen(["docker", "run", "--rm", "four:1", "/bin/sh",
                                  "-c", "ls /f0 /f1 /f2"],
                                 env=self.d.docker_env(self.alice),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(2)]
        for p in runs:
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
        log = self.d.log("agent")
        for d in diff_ids[1:]:
            self.assertEqual(log.count("layer %s: received (" % d), 1, d)
            self.assertEqual(log.count("layer %s: receiving " % d), 1, d)

    def test_5_unused_layers_swept(self):
        # the agent again, keeping a layer no container uses for 1 s
        self.d.stop_one("agent")
        self.__class__.AGENT_EXTRA = ("--layer-idle", "1")
        self.start_agent()
        self.wait_available(True)
        three = json.loads(self.ok("image", "inspect", "--format",
                                   "{{json .RootFS.Layers}}", "three:1"))
        self.ok("run", "-d", "--name", "keep", "three:1", "/bin/sh", "-c",
                "sleep 300")
        # the layers test 2 and 3 sent go; the running container's stay
        sdctest.wait_for("unused layers swept", lambda: self.stored() ==
                         sorted(d[7:] for d in three), timeout=15)
        self.assertIn("removed, no container used it", self.d.log("agent"))
        time.sleep(1.5)         # a sweep or more later, still there
        self.assertEqual(self.stored(), sorted(d[7:] for d in three))
        self.ok("rm", "-f", "keep")
        sdctest.wait_for("the image's layers swept once unused", lambda:
                         self.stored() == [], timeout=15)
        sdctest.wait_for("nothing left", lambda: self.incoming() == [])
        # a run needs them again: sent again
        sent = self.d.log("dockerapi").count(" sent (")
        self.assertEqual(self.ok("run", "--rm", "three:1", "/bin/sh", "-c",
                                 "cat /data/kept"), "layer three")
        self.assertEqual(self.d.log("dockerapi").count(" sent ("), sent + 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
