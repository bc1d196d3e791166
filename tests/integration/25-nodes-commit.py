#!/usr/bin/env python3
"""docker commit of a container on a node, its layer read by the node's agent.

A head (sapi + dockerapi) and one sdc-docker-agent, as 25-nodes-files
has them (the agent's zones root is NOT the head's --zones), and the
head's own runtime a wrapper that refuses to run anything, as
25-nodes-attach has it: a commit can only succeed if the node's agent
froze the container, gave its writable layer and thawed it.  With the
real docker CLI:

- a running container committed with the default pause: the agent
  paused it, read its layer and unpaused it (its log), the container
  runs on; -c CMD and ENV, -m and -a land in the image; a container of
  the image shows the file written;
- --pause=false: the layer read without a freeze;
- a stopped container committed: its files in the image;
- another account's commit of it is 404, no image made;
- an agent not heard from (SIGSTOP): the commit answers "node
  unavailable" at once.
"""
import importlib
import json
import os
import signal
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

files = importlib.import_module("25-nodes-files")      # the agent apart
attach = importlib.import_module("25-nodes-attach")    # the head's runc

BB = "/bin/busybox"


class ImageNode(files.FilesNode):
    """The node whose containers only its agent can read into an image:
    the agent's zones root apart (25-nodes-files), the head's runtime
    refusing to run anything (25-nodes-attach); 89-nodes-build builds
    on it too."""

    setUpClass = classmethod(attach.NodesAttach.setUpClass.__func__)

    def ok(self, *args, **kw):
        r = self.docker(*args, **kw)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr +
                         self.d.log("dockerapi")[-2000:] +
                         self.d.log("agent")[-2000:])
        return r.stdout


class NodesCommit(ImageNode):

    def agent_lines(self, since, u):
        """What the agent's log said of container u since (each record's
        message after "container UUID: ")."""
        return [x.split("container %s: " % u, 1)[1].split('"', 1)[0]
                for x in self.d.log("agent")[len(since):].splitlines()
                if "container %s: " % u in x]

    def written(self, name):
        """The container's files, written once /done is there."""
        sdctest.wait_for("the files written", lambda: "A /done" in self.docker(
            "diff", name).stdout, timeout=15)

    def run_image(self, image, *cmd):
        return self.ok("run", "--rm", "--network", "none", "-m", "128m",
                       image, *cmd)

    def test_1_running(self):
        self.wait_available(True)
        u = self.run_on_node("live", "sh", "-c",
                             "mkdir /made; echo live > /made/file; "
                             ": > /done; "
                             "exec sleep 300")
        self.written("live")
        before = self.d.log("agent")
        out = self.ok("commit", "-m", "from the node", "-a", "Ann <ann@x>",
                      "-c", 'CMD ["/bin/busybox", "cat", "/made/file"]',
                      "-c", "ENV FROM_NODE=1", "live", "fromnode:1")
        self.assertTrue(out.strip().startswith("sha256:"), out)
        said = self.agent_lines(before, u)
        self.assertEqual([x for x in said if x in ("paused", "layer", "unpaused")],
                         ["paused", "layer", "unpaused"], said)
        self.assertEqual(self.ok("inspect", "--format", "{{.State.Status}}",
                                 "live").strip(), "running")
        img = json.loads(self.ok("image", "inspect", "fromnode:1"))[0]
        self.assertEqual(img["Comment"], "from the node")
        self.assertEqual(img["Author"], "Ann <ann@x>")
        self.assertIn("FROM_NODE=1", img["Config"]["Env"])
        self.assertEqual(img["Config"]["Cmd"], [BB, "cat", "/made/file"])
        self.assertEqual(self.run_image("fromnode:1"), "live\n")
        self.assertEqual(self.run_image("fromnode:1", BB, "sh", "-c",
                                        "echo $FROM_NODE"), "1\n")

        # --pause=false: read as it runs, never frozen
        before = self.d.log("agent")
        self.ok("commit", "--pause=false", "live", "fromnode:2")
        said = self.agent_lines(before, u)
        self.assertIn("layer", said)
        self.assertNotIn("paused", said)
        self.assertEqual(self.run_image("fromnode:2", BB, "cat", "/made/file"),
                         "live\n")

    def test_2_stopped(self):
        u = self.run_on_node("gone", "sh", "-c",
                             "mkdir /kept; echo stopped > /kept/f; "
                             "echo two > /kept/g; rm /kept/g")
        self.wait_exited("gone")
        before = self.d.log("agent")
        self.ok("commit", "gone", "stopped:1")
        said = self.agent_lines(before, u)
        self.assertIn("layer", said)
        self.assertNotIn("paused", said)
        self.assertEqual(self.run_image("stopped:1", BB, "cat", "/kept/f"),
                         "stopped\n")
        self.assertEqual(self.run_image("stopped:1", BB, "ls", "/kept"), "f\n")

    def test_3_other_account(self):
        images = self.ok("images", "-q")
        before = self.d.log("agent")
        u = self.uuid_of("live")
        r = self.docker("commit", "live", "stolen:1", who=self.bob)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("No such container", r.stderr)
        r = self.docker("images", "-q", who=self.bob)
        self.assertEqual(r.stdout.strip(), "")
        self.assertEqual(self.agent_lines(before, u), [])
        self.assertEqual(self.ok("images", "-q"), images)

    def test_9_node_unavailable(self):
        pid = self.d.pid("agent")
        os.kill(pid, signal.SIGSTOP)
        try:
            self.wait_available(False)
            for name in ("live", "gone"):
                t0 = time.monotonic()
                r = self.docker("commit", name, "late:1", timeout=20)
                self.assertNotEqual(r.returncode, 0, name)
                self.assertIn("node unavailable", r.stderr, name)
                self.assertLess(time.monotonic() - t0, 5, name)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.wait_available(True)
        self.assertEqual(self.ok("inspect", "--format", "{{.State.Status}}",
                                 "live").strip(), "running")
        self.assertNotIn("late", self.ok("images", "--format", "{{.Repository}}"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
