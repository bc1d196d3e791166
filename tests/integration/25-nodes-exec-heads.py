#!/usr/bin/env python3
"""docker exec of a node's container across heads, and the node's
finished execs swept.

Two heads on one PostgreSQL (26-heads-quotas' head b) and one agent whose
zones root is its own (25-nodes-files), so a head can only learn an
exec's state from the agent.  An exec started detached through head a is
inspected through head b: Running with its pid while it runs, then its
exit code.  The agent runs with --exec-keep 3: a finished exec's folder on
the node is gone a few seconds after its exit, while a running exec's
stays; a setting out of range is refused.
"""
import importlib
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "postgres"
import sdctest  # noqa: E402

common = importlib.import_module("37-nodes-common")
files = importlib.import_module("25-nodes-files")      # the agent apart
quotas = importlib.import_module("26-heads-quotas")    # head b
heads = importlib.import_module("26-heads-postgres")   # docker-py on b
BB = importlib.import_module("25-nodes-attach").BB

KEEP = 3


class NodesExecHeads(files.FilesNode):

    AGENT_EXTRA = ("--exec-keep", str(KEEP))

    @classmethod
    def setUpClass(cls):
        files.FilesNode.setUpClass.__func__(cls)
        cls.b_port = sdctest.free_port()
        cls.b_admin = os.path.join(cls.d.tmp, "admin-b.sock")
        cls.start_b()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop_one("dockerapi-b")   # the heads before their agent
        super().tearDownClass()

    start_b = classmethod(quotas.HeadsQuotas.start_b.__func__)
    env = quotas.HeadsQuotas.env
    docker_on = quotas.HeadsQuotas.docker_on
    py = heads.TwoHeads.py

    def execs_on_node(self, u):
        d = os.path.join(self.node_zones, u, "exec")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def test_1_inspect_through_the_other_head(self):
        self.wait_available(True)
        self.ok("run", "-d", "--name", "xh", "tiny:1", BB, "sleep", "300")
        u = self.uuid_of("xh")
        a, b = self.py("a").api, self.py("b").api
        cid = self.ok("inspect", "--format", "{{.Id}}", "xh").strip()
        mark = "/go"
        e = a.exec_create(cid, [BB, "sh", "-c", "until [ -e %s ]; do %s "
                                "sleep 0.1; done; exit 7" % (mark, BB)])["Id"]
        a.exec_start(e, detach=True)          # docker exec -d, through a
        self.assertIn(e, self.execs_on_node(u))
        self.assertFalse(os.path.isdir(os.path.join(self.d.tmp, "zones", u,
                                                    "exec", e)))
        st = b.exec_inspect(e)
        self.assertTrue(st["Running"], st)
        self.assertGreater(st["Pid"], 0, st)
        self.assertIsNone(st["ExitCode"], st)
        # let it end: the mark is made in the container, through b
        self.assertEqual(self.docker_on("b", self.alice, "exec", "xh", BB,
                                        "touch", mark).returncode, 0)
        sdctest.wait_for("the exec's end through b", lambda: not
                         b.exec_inspect(e)["Running"], 15)
        st = b.exec_inspect(e)
        self.assertEqual((st["Running"], st["ExitCode"], st["Pid"]),
                         (False, 7, 0), st)
        self.assertEqual(a.exec_inspect(e)["ExitCode"], 7)
        self.ok("rm", "-f", "xh")

    def test_2_finished_execs_swept(self):
        self.wait_available(True)
        self.ok("run", "-d", "--name", "xs", "tiny:1", BB, "sleep", "300")
        u = self.uuid_of("xs")
        r = self.docker_on("b", self.alice, "exec", "-d", "xs", BB, "sleep",
                           "60")
        self.assertEqual(r.returncode, 0, r.stderr)
        for i in range(3):
            r = self.docker("exec", "xs", BB, "true")
            self.assertEqual(r.returncode, 0, r.stderr)
        # the last one's folder is there, younger than KEEP
        self.assertGreaterEqual(len(self.execs_on_node(u)), 2)
        sdctest.wait_for("the finished execs' folders swept", lambda: len(
            self.execs_on_node(u)) == 1, 30)
        gone = re.findall(r"container %s: (\d+) finished execs? removed" % u,
                          self.d.log("agent"))
        self.assertEqual(sum(int(n) for n in gone), 3, gone)
        # the one left is the one running
        left = self.execs_on_node(u)[0]
        st = self.py("a").api.exec_inspect(left)
        self.assertTrue(st["Running"], st)
        self.ok("rm", "-f", "xs")

    def test_3_exec_keep_refused(self):
        for bad in ("0", "-1", "x", str(31 * 24 * 3600)):
            r = subprocess.run([common.AGENT, "--exec-keep", bad],
                               capture_output=True, text=True, timeout=10)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("exec_keep \"%s\"" % bad, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
