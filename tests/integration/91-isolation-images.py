#!/usr/bin/python3
"""Tenants and the image store, tried as a hostile second account would,
with the real docker CLI and the raw API.

Account alice (A) imports a layer holding a secret.  Account bob (B):
loads `docker save` archives crafted with Python's tarfile whose config
names A's diff id with other bytes or none, pulls an image whose config
claims it from a registry bob controls, and pulls images whose layers A
already has, looking for "Already exists".  A layer with device nodes is
imported and the store checked on disk.  Pulls and logins to loopback and
private addresses, open port or closed, by address or by name, through a
bearer realm or a redirect, get one message and no connection (a
listening socket records any accept), until the operator allows them.
"""
import hashlib
import importlib.util
import io
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import tarfile
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("imagesapi", os.path.join(
    HERE, "65-images-api-common.py"))
common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(common)
sdctest = common.sdctest

SECRET = b"alice's secret " + os.urandom(8).hex().encode() + b"\n"


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def tar_bytes(entries):
    """A tar from (TarInfo, data or None) pairs."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def entry(name, kind=tarfile.REGTYPE, data=None, mode=0o644, uid=0, gid=0,
          dev=(0, 0), link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = kind, mode, uid, gid, 1700000000
    ti.devmajor, ti.devminor = dev
    ti.linkname = link
    if data is not None:
        ti.size = len(data)
    return ti, data


SECRET_TAR = tar_bytes([entry("secret.txt", data=SECRET, mode=0o600)])
SECRET_DIFF = sha(SECRET_TAR)
JUNK_TAR = tar_bytes([entry("secret.txt", data=b"not the secret\n")])


class Trap:
    """A listening socket on loopback that records every accept."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("0.0.0.0", 0))     # the host's own addresses too
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, peer = self.sock.accept()
            except OSError:
                return
            self.accepted.append(peer)
            c.close()


class Isolation(common.ImagesTest):

    @classmethod
    def setUpClass(cls):
        common.need("docker", "umoci", "skopeo", "docker-registry", "busybox")
        cls.tmp = tempfile.mkdtemp(prefix="sdc91.")
        cls.work = os.path.join(cls.tmp, "work")
        os.makedirs(cls.work)
        cls.busybox = common.build_busybox(cls.work)
        cls.plus = common.oci_add_layer(cls.busybox, cls.work, "plus",
                                        {"/hello.txt": b"hello\n"})
        cls.reg = common.Registry(cls.work)
        cls.reg.push(cls.busybox, "busybox:latest")
        cls.reg.push(cls.plus, "plus:latest")
        layer = os.path.join(cls.work, "junk.tar")
        with open(layer, "wb") as f:
            f.write(JUNK_TAR)
        good = os.path.join(cls.work, "good.tar")
        with open(good, "wb") as f:
            f.write(tar_bytes([entry("good.txt", data=b"good\n")]))
        cls.trap = Trap()
        cls.closed = sdctest.free_port()
        fr = common.FakeRegistry
        cls.claim = fr("--layer", layer, "--claim", SECRET_DIFF)
        cls.realm = fr("--layer", good, "--auth", "u:p", "--realm",
                       "http://127.0.0.1:%d/token" % cls.trap.port)
        cls.redirect = fr("--layer", good, "--redirect",
                          "http://127.0.0.1:%d" % cls.trap.port)
        cls.late = fr("--layer", good)
        cls.late2 = fr("--layer", good)
        cls.fakes = [cls.claim, cls.realm, cls.redirect, cls.late, cls.late2]
        # the operator allows these registries on loopback, and no other
        cls.allowed = [cls.reg.addr, cls.claim.addr, cls.realm.addr,
                       cls.redirect.addr]
        cls.d = sdctest.Daemons(allow_private_registries=cls.allowed).start()
        certs, _ = cls.d.add_tenants("alice", "bob")
        cls.alice, cls.bob = certs["alice"], certs["bob"]
        # A's layer with the secret
        path = os.path.join(cls.work, "secret.tar")
        with open(path, "wb") as f:
            f.write(SECRET_TAR)
        r = cls.d.docker(cls.alice, "import", path, "alice/secret:1")
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        for f in cls.fakes:
            f.stop()
        cls.trap.sock.close()
        cls.reg.stop()
        cls.d.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def store_root(self):
        return os.path.join(self.d.tmp, "dockerapi", "images")

    # ---- layer theft ----------------------------------------------------

    def bob_archive(self, claim_bytes, name):
        """bob's own busybox (saved), plus a layer whose diff id in the
        config is A's secret layer, with claim_bytes as its tar (None: the
        archive lacks it)."""
        self.docker_ok(self.bob, "pull", self.reg.addr + "/busybox")
        saved = os.path.join(self.work, "bob-bb.tar")
        self.docker_ok(self.bob, "save", "-o", saved, self.reg.addr + "/busybox")
        with tarfile.open(saved) as t:
            files = {m.name: t.extractfile(m).read() for m in t.getmembers()
                     if m.isfile()}
        man = json.loads(files["manifest.json"])[0]
        config = json.loads(files[man["Config"]])
        config["rootfs"]["diff_ids"].append(SECRET_DIFF)
        config["config"]["Cmd"] = ["cat", "/secret.txt"]
        cbytes = json.dumps(config).encode()
        cname = sha(cbytes)[7:] + ".json"
        lname = SECRET_DIFF[7:] + "/layer.tar"
        layers = man["Layers"] + [lname]
        out = [entry(n, data=files[n]) for n in man["Layers"]]
        if claim_bytes is not None:
            out.append(entry(lname, data=claim_bytes))
        out.append(entry(cname, data=cbytes))
        out.append(entry("manifest.json", data=json.dumps(
            [{"Config": cname, "RepoTags": [name], "Layers": layers}]).encode()))
        return tar_bytes(out)

    def assert_bob_has_no_secret(self, name):
        r = self.docker(self.bob, "run", "--rm", name)
        self.assertNotIn(SECRET.decode(), r.stdout + r.stderr)
        r = self.docker(self.bob, "image", "inspect", name)
        self.assertNotEqual(r.returncode, 0, "bob has %s" % name)

    def test_1_load_with_other_bytes_fails(self):
        before_ids, before_store = self.image_ids(self.bob), None
        for i, claim in enumerate((JUNK_TAR, None, b"")):
            name = "bob/stolen:%d" % i
            arch = os.path.join(self.work, "stolen%d.tar" % i)
            with open(arch, "wb") as f:
                f.write(self.bob_archive(claim, name))
            before_ids = self.image_ids(self.bob)
            before_store = self.store_dirs()
            err = self.docker_fails(self.bob, "load", "-i", arch)
            if claim is None:
                self.assertIn("archive lacks layer", err)
            elif claim:
                self.assertIn("diff id mismatch", err)
            else:
                self.assertIn("reading layer: Unrecognized archive format", err)
            self.assertNotIn(self.store_root(), err)
            self.assertEqual(self.image_ids(self.bob), before_ids)
            self.assertEqual(self.store_dirs(), before_store, "load left files")
            self.assert_bob_has_no_secret(name)
        # the raw API, the same archive
        with open(os.path.join(self.work, "stolen0.tar"), "rb") as f:
            body = f.read()
        status, _, data = self.api(self.bob, "POST", "/v1.41/images/load?quiet=1",
                                   body, {"Content-Type": "application/x-tar"})
        self.assertIn(b"diff id mismatch", data, (status, data))
        self.assertEqual(self.image_ids(self.bob), before_ids)
        self.assertEqual(self.store_dirs(), before_store)
        self.assert_bob_has_no_secret("bob/stolen:0")
        # nor by alice's image id
        theirs = self.docker_ok(self.alice, "image", "inspect", "-f", "{{.Id}}",
                                "alice/secret:1").strip()
        for args in (("run", "--rm", theirs, "cat", "/secret.txt"),
                     ("save", theirs), ("tag", theirs, "bob/mine")):
            r = self.docker(self.bob, *args)
            self.assertNotEqual(r.returncode, 0, args)
            self.assertNotIn(SECRET.decode(), r.stdout + r.stderr)
        # A still has and runs its own
        self.assertIn(SECRET_DIFF, self.docker_ok(
            self.alice, "image", "inspect", "-f", "{{json .RootFS.Layers}}",
            "alice/secret:1"))

    def test_2_pull_claiming_a_layer_fails(self):
        name = self.claim.addr + "/evil"
        before = self.store_dirs()
        r = self.docker(self.bob, "pull", name)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertNotIn("Already exists", r.stdout)
        self.assertIn("diff id mismatch", r.stdout + r.stderr)
        self.assert_bob_has_no_secret(name)
        self.assertEqual(self.store_dirs(), before)

    # ---- "Already exists" ---------------------------------------------

    def test_3_already_exists_only_for_own_layers(self):
        self.docker_ok(self.alice, "pull", self.reg.addr + "/busybox")
        self.docker_ok(self.alice, "pull", self.reg.addr + "/plus")
        # carol has nothing: every layer is downloaded, none "exists"
        key = sdctest.keygen(os.path.join(self.d.tmp, "keys", "carol"), "ed25519")
        self.d.add_account("carol", key + ".pub")
        carol = self.d.client_certs("carol", key)
        status, _, data = self.api(
            carol, "POST", "/v1.41/images/create?fromImage=%s/busybox&tag=latest"
            % self.reg.addr)
        self.assertEqual(status, 200, data)
        lines = common.json_lines(data.decode())
        states = [x.get("status", "") for x in lines]
        self.assertNotIn("Already exists", states, lines)
        self.assertIn("Download complete", states, lines)
        self.assertIn("Pull complete", states, lines)
        self.assertFalse([x for x in lines if "error" in x], lines)
        # now carol proved busybox's layer: only that one "exists"
        out = self.docker_ok(carol, "pull", self.reg.addr + "/plus")
        self.assertEqual(out.count("Already exists"), 1, out)
        self.assertEqual(out.count("Pull complete"), 1, out)
        self.assertIn(self.reg.addr + "/plus", self.docker_ok(
            carol, "images", "--format", "{{.Repository}}"))

    def test_3b_proof_goes_with_the_last_image(self):
        """Once dave removes his only image with busybox's layer, a pull
        no longer says "Already exists" for it, although alice still
        holds it: that would tell dave that someone does."""
        key = sdctest.keygen(os.path.join(self.d.tmp, "keys", "dave"), "ed25519")
        self.d.add_account("dave", key + ".pub")
        dave = self.d.client_certs("dave", key)
        self.docker_ok(self.alice, "pull", self.reg.addr + "/busybox")
        self.docker_ok(dave, "pull", self.reg.addr + "/busybox")
        out = self.docker_ok(dave, "pull", self.reg.addr + "/plus")
        self.assertEqual(out.count("Already exists"), 1, out)
        self.docker_ok(dave, "rmi", self.reg.addr + "/busybox", self.reg.addr + "/plus")
        out = self.docker_ok(dave, "pull", self.reg.addr + "/plus")
        self.assertNotIn("Already exists", out)
        self.assertEqual(out.count("Pull complete"), 2, out)

    # ---- device nodes ---------------------------------------------------

    def test_4_device_nodes_not_made(self):
        layer = tar_bytes([
            entry("dev/", tarfile.DIRTYPE, mode=0o755),
            entry("dev/mem", tarfile.CHRTYPE, mode=0o666, dev=(1, 1)),
            entry("dev/sda", tarfile.BLKTYPE, mode=0o666, dev=(8, 0)),
            entry("dev/memlink", tarfile.LNKTYPE, link="dev/mem"),
            entry("dev/gone", tarfile.CHRTYPE, mode=0, dev=(0, 0)),
            entry("dev/fifo", tarfile.FIFOTYPE, mode=0o600),
            entry("bin/", tarfile.DIRTYPE, mode=0o755),
            entry("bin/su", data=b"#!/bin/sh\n", mode=0o4755, uid=1000, gid=1001),
        ])
        path = os.path.join(self.work, "devices.tar")
        with open(path, "wb") as f:
            f.write(layer)
        self.docker_ok(self.bob, "import", path, "bob/devices:1")
        diff = json.loads(self.docker_ok(
            self.bob, "image", "inspect", "-f", "{{json .RootFS.Layers}}",
            "bob/devices:1"))[0]
        self.assertEqual(diff, sha(layer))
        root = os.path.join(self.store_root(), "layers", diff[7:], "diff")
        for n in ("dev/mem", "dev/sda", "dev/memlink"):
            self.assertFalse(os.path.lexists(os.path.join(root, n)),
                             "%s made in the store" % n)
        # nothing but the whiteout is a device anywhere in the store
        for top, dirs, files in os.walk(self.store_root()):
            for n in files + dirs:
                st = os.lstat(os.path.join(top, n))
                if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                    self.assertTrue(stat.S_ISCHR(st.st_mode) and st.st_rdev == 0,
                                    "device %s in the store" % os.path.join(top, n))
        st = os.lstat(os.path.join(root, "dev/gone"))
        self.assertTrue(stat.S_ISCHR(st.st_mode) and st.st_rdev == 0)
        self.assertTrue(stat.S_ISFIFO(os.lstat(os.path.join(root, "dev/fifo")).st_mode))
        st = os.lstat(os.path.join(root, "bin/su"))
        self.assertEqual((st.st_mode & 0o7777, st.st_uid, st.st_gid), (0o4755, 1000, 1001))
        # save still hands out the very tar (its diff id)
        saved = os.path.join(self.work, "devices-saved.tar")
        self.docker_ok(self.bob, "save", "-o", saved, "bob/devices:1")
        with tarfile.open(saved) as t:
            self.assertEqual(sha(t.extractfile(diff[7:] + "/layer.tar").read()), diff)

    # ---- pulls as a port scanner ---------------------------------------

    @staticmethod
    def norm(msg):
        """The message with the names it quotes taken out."""
        m = re.sub(r"(pull from|login to) \S+ refused: \S+ is",
                   r"\1 NAME refused: HOST is", msg.strip())
        return m.replace("Error response from daemon: ", "")

    def test_5_private_addresses_refused_alike(self):
        t = self.trap.port
        names = ["127.0.0.1:%d/x" % t, "127.0.0.1:%d/x" % self.closed,
                 "10.0.0.1/x", "localhost:%d/x" % t, "169.254.169.254/x",
                 "0.0.0.0:%d/x" % t]
        # the host's own addresses, even public ones, are the host
        out = subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"],
                             capture_output=True, text=True).stdout
        names += ["%s:%d/x" % (a, t) for a in re.findall(r"inet (\S+)/", out)]
        msgs = set()
        for n in names:
            start = time.monotonic()
            err = self.docker_fails(self.bob, "pull", n)
            self.assertLess(time.monotonic() - start, 10, n)
            self.assertIn("refused", err, n)
            msgs.add(self.norm(err))
        self.assertEqual(len(msgs), 1, msgs)
        # the raw API answers the same, open port or closed
        answers = set()
        for port in (t, self.closed):
            status, _, data = self.api(
                self.bob, "POST", "/v1.41/images/create?fromImage=127.0.0.1:%d/x&tag=1"
                % port)
            answers.add((status, self.norm(json.loads(data)["message"])))
        self.assertEqual(len(answers), 1, answers)
        self.assertEqual(answers.pop()[0], 403)
        # docker login follows the same rule
        msgs = set()
        for port in (t, self.closed):
            r = self.docker(self.bob, "login", "-u", "u", "--password-stdin",
                            "127.0.0.1:%d" % port, input="p\n")
            self.assertNotEqual(r.returncode, 0)
            msgs.add(self.norm(r.stderr))
        self.assertEqual(len(msgs), 1, msgs)
        self.assertIn("login to NAME refused", msgs.pop())
        self.assertEqual(self.trap.accepted, [], "the daemon connected")

    def test_6_realm_and_redirect_refused(self):
        err = self.docker_fails(self.bob, "pull", self.realm.addr + "/evil")
        self.assertIn("refused: 127.0.0.1:%d is a loopback" % self.trap.port, err)
        r = self.docker(self.bob, "pull", self.redirect.addr + "/evil")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("refused: 127.0.0.1:%d is a loopback" % self.trap.port,
                      r.stdout + r.stderr)
        self.assertEqual(self.trap.accepted, [], "the daemon connected")

    def test_8_pull_naming_another_config_fails(self):
        """bob's registry names alice's image config (its id) in a
        manifest whose layers bob can prove: bob must not get alice's
        config (its environment) from the store."""
        token = "TOKEN=" + os.urandom(8).hex()
        self.docker_ok(self.alice, "pull", self.reg.addr + "/busybox")
        saved = os.path.join(self.work, "alice-bb.tar")
        self.docker_ok(self.alice, "save", "-o", saved, self.reg.addr + "/busybox")
        with tarfile.open(saved) as t:
            files = {m.name: t.extractfile(m).read() for m in t.getmembers()
                     if m.isfile()}
        man = json.loads(files["manifest.json"])[0]
        config = json.loads(files[man["Config"]])
        config["config"]["Env"] = (config["config"].get("Env") or []) + [token]
        cbytes = json.dumps(config).encode()
        cname = sha(cbytes)[7:] + ".json"
        arch = os.path.join(self.work, "alice-env.tar")
        with open(arch, "wb") as f:
            f.write(tar_bytes([entry(n, data=files[n]) for n in man["Layers"]] + [
                entry(cname, data=cbytes),
                entry("manifest.json", data=json.dumps(
                    [{"Config": cname, "RepoTags": ["alice/env:1"],
                      "Layers": man["Layers"]}]).encode())]))
        self.docker_ok(self.alice, "load", "-i", arch)
        layers = []
        for i, n in enumerate(man["Layers"]):
            p = os.path.join(self.work, "bb-layer%d.tar" % i)
            with open(p, "wb") as f:
                f.write(files[n])
            layers += ["--layer", p]
        fake = common.FakeRegistry(*layers, "--config-digest", sha(cbytes))
        self.fakes.append(fake)
        self.d.set_tunable("REGISTRY_ALLOW_PRIVATE", self.allowed + [
            self.late.addr, fake.addr])
        deadline = time.monotonic() + 20
        while True:
            r = self.docker(self.bob, "pull", fake.addr + "/evil")
            if "refused" not in r.stderr or time.monotonic() > deadline:
                break
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertNotIn(token, r.stdout + r.stderr)
        r = self.docker(self.bob, "image", "inspect", sha(cbytes))
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertNotIn(token, r.stdout + r.stderr)
        self.assertNotIn(token, self.docker_ok(self.bob, "images", "-a",
                                               "--no-trunc"))

    def test_9_oci_index_reads_only_the_archive(self):
        """An OCI layout whose index names a blob the store holds for
        alice (her image's config) is refused just like one naming a blob
        nobody has: the store is not read for bob."""
        theirs = self.docker_ok(self.alice, "image", "inspect", "-f", "{{.Id}}",
                                "alice/secret:1").strip()
        nobody = sha(os.urandom(16))
        msgs = set()
        for d in (theirs, nobody):
            index = {"schemaVersion": 2, "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": d, "size": 100}]}
            arch = os.path.join(self.work, "index.tar")
            with open(arch, "wb") as f:
                f.write(tar_bytes([
                    entry("oci-layout", data=b'{"imageLayoutVersion":"1.0.0"}'),
                    entry("index.json", data=json.dumps(index).encode())]))
            err = self.docker_fails(self.bob, "load", "-i", arch)
            msgs.add(err.replace(d, "DIGEST"))
        self.assertEqual(len(msgs), 1, msgs)
        self.assertIn("the archive lacks blob DIGEST", msgs.pop())

    def wait_pull(self, name):
        deadline = time.monotonic() + 20
        while True:
            r = self.docker(self.bob, "pull", name)
            if r.returncode == 0 or time.monotonic() > deadline:
                return r
            self.assertIn("refused", r.stderr)

    def test_7_operator_allows(self):
        name = self.late.addr + "/evil"
        self.assertIn("refused", self.docker_fails(self.bob, "pull", name))
        self.d.set_tunable("REGISTRY_ALLOW_PRIVATE", self.allowed + [self.late.addr])
        r = self.wait_pull(name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Pull complete", r.stdout)
        name = self.late2.addr + "/evil"
        self.assertIn("refused", self.docker_fails(self.bob, "pull", name))
        self.d.set_tunable("INSECURE_REGISTRIES", [self.late2.addr])
        r = self.wait_pull(name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.trap.accepted, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
