#!/usr/bin/env python3
"""attach with logs=1: the replay read from the node that holds the log.

25-nodes-files' head and one sdc-docker-agent beside it, the agent
with a zones root of its own: a container's folder, its log included,
is only on the node, as on another machine, so a replay read from the
head's own folder comes back empty.  Checked with docker-py (the docker
CLI's attach asks no logs) and a raw attach:

- an exited container attached with logs=1 and no stream gets what it
  wrote, stdout and stderr, and the end; with stdout only, stdout only;
- a running container attached with logs=1 and stream=1 gets what it
  wrote first, then what it writes next, live;
- a TTY container's replay is the bare text;
- nothing of the containers is in the head's zones root;
- bob's attach with logs=1 to alice's container is 404, and reads
  nothing of it.
"""
import importlib
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

attach = importlib.import_module("25-nodes-attach")
files = importlib.import_module("25-nodes-files")
common = attach.common
BB = attach.BB


class NodesReplay(files.FilesNode):

    TENANTS = ("alice", "bob")
    docker = attach.NodesAttach.docker
    ok = attach.NodesAttach.ok
    uuid_of = attach.NodesAttach.uuid_of
    on_node = attach.NodesAttach.on_node
    raw_attach = attach.NodesAttach.raw_attach

    @classmethod
    def tearDownClass(cls):
        for who in (cls.alice, cls.bob):
            ids = cls.d.docker(who, "ps", "-aq").stdout.split()
            if ids:
                cls.d.docker(who, "rm", "-f", *ids)
        cls.d.stop()

    def head_zones(self):
        p = os.path.join(self.d.tmp, "zones")
        return os.listdir(p) if os.path.isdir(p) else []

    def test_1_exited(self):
        self.wait_available(True)
        self.ok("run", "--name", "rp1", "tiny:1", BB, "sh", "-c",
                "echo out-one; echo err-one >&2; echo out-two")
        u = self.on_node("rp1")
        self.assertTrue(os.path.isdir(os.path.join(self.node_zones, u)))
        self.assertNotIn(u, self.head_zones())
        api = self.d.dockerpy(self.alice).api
        cid = self.ok("inspect", "--format", "{{.Id}}", "rp1")
        got = api.attach(cid, stdout=True, stderr=True, stream=False, logs=True)
        self.assertEqual(sorted(got.decode().split()),
                         ["err-one", "out-one", "out-two"])
        got = api.attach(cid, stdout=True, stderr=False, stream=False,
                         logs=True)
        self.assertEqual(got.decode(), "out-one\nout-two\n")
        # bob: no such container, nothing read
        bapi = self.d.dockerpy(self.bob).api
        with self.assertRaises(Exception) as e:
            bapi.attach(cid, stdout=True, stderr=True, stream=False, logs=True)
        self.assertIn("404", str(e.exception))
        self.ok("rm", "rp1")

    def test_2_running_then_live(self):
        self.wait_available(True)
        self.ok("run", "-d", "-i", "--name", "rp2", "tiny:1", BB, "sh", "-c",
                "echo before-attach; read x; echo after-$x; sleep 300")
        u = self.on_node("rp2")
        cid = self.ok("inspect", "--format", "{{.Id}}", "rp2")
        sdctest.wait_for("the first line logged", lambda: "before-attach" in
                         self.docker("logs", "rp2").stdout, 15)
        status, s, rest = self.raw_attach(
            self.alice, cid, "stream=1&stdin=1&stdout=1&stderr=1&logs=1")
        self.assertIn("101", status)
        buf = rest
        s.settimeout(10)
        end = time.time() + 10
        while b"before-attach" not in buf and time.time() < end:
            buf += s.recv(65536)
        self.assertIn(b"before-attach", buf)
        s.sendall(b"live\n")
        while b"after-live" not in buf and time.time() < end:
            buf += s.recv(65536)
        self.assertIn(b"after-live", buf)
        self.assertEqual(buf.count(b"before-attach"), 1)
        s.close()
        self.assertNotIn(u, self.head_zones())
        self.ok("rm", "-f", "rp2")

    def test_3_tty(self):
        self.wait_available(True)
        self.ok("run", "-t", "--name", "rp3", "tiny:1", BB, "echo", "tty-line")
        cid = self.ok("inspect", "--format", "{{.Id}}", "rp3")
        api = self.d.dockerpy(self.alice).api
        got = api.attach(cid, stdout=True, stderr=True, stream=False, logs=True)
        self.assertEqual(got, b"tty-line\r\n")
        self.ok("rm", "rp3")


def load_tests(loader, tests, pattern):
    return loader.loadTestsFromTestCase(NodesReplay)


if __name__ == "__main__":
    unittest.main(verbosity=2)
