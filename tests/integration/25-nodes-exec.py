#!/usr/bin/env python3
"""docker exec of a container on a node behind an agent, run there.

25-nodes-attach's head and agent (the head's own runc refusing to run or
exec anything, so an exec that works ran on the node).  Checked with the
real docker CLI and docker-py: an attached exec prints its output and
returns its exit code, its stream relayed from the node (the agent's log
names the relay); one with stdin echoes what is piped in; a detached one
with a TTY is resized on the node (the agent's log) and its exit code is
read from the stream the head keeps; an exec's bare variable name
unsets the container's, as dockerd does; an exec into a container that
joined another's network (`--network container:`) runs in that network;
the agent refuses an exec body it does not know or whose command,
environment or working directory is not in shape.
"""
import importlib
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

attach = importlib.import_module("25-nodes-attach")
BB = attach.BB


class NodesExec(attach.common.NodesBase):

    TENANTS = attach.NodesAttach.TENANTS
    setUpClass = classmethod(attach.NodesAttach.setUpClass.__func__)
    docker = attach.NodesAttach.docker
    ok = attach.NodesAttach.ok
    agent = attach.NodesAttach.agent
    uuid_of = attach.NodesAttach.uuid_of
    on_node = attach.NodesAttach.on_node
    relays = attach.NodesAttach.relays

    def test_1_exec(self):
        self.wait_available(True)
        self.ok("run", "-d", "--name", "ex", "-e", "KEEP=1", "-e", "GONE=2",
                "tiny:1", BB, "sleep", "300")
        u = self.on_node("ex")
        before = self.relays("exec")
        r = self.docker("exec", "ex", BB, "sh", "-c", "echo in; exit 4")
        self.assertEqual((r.returncode, r.stdout), (4, "in\n"), r.stderr)
        self.assertEqual(self.relays("exec"), before + 1)
        data = "".join("exec line %05d\n" % i for i in range(5000))
        r = self.docker("exec", "-i", "ex", BB, "cat", input=data)
        self.assertEqual((r.returncode, r.stdout), (0, data), r.stderr)
        # detached: its exit code from the relayed stream, and a resize
        api = self.d.dockerpy(self.alice).api
        cid = self.ok("inspect", "--format", "{{.Id}}", "ex")
        e = api.exec_create(cid, [BB, "sh", "-c", "%s sleep 0.5; exit 5" % BB],
                            tty=True)["Id"]
        api.exec_start(e, detach=True)
        api.exec_resize(e, height=20, width=70)
        self.assertIn("container %s: exec %s resized to 20 rows, 70 columns"
                      % (u, e[:12]), self.d.log("agent"))
        sdctest.wait_for("the exec's exit", lambda: not api.exec_inspect(e)[
            "Running"], 15)
        self.assertEqual(api.exec_inspect(e)["ExitCode"], 5)
        # a bare name unsets the container's variable, as dockerd does
        e = api.exec_create(cid, [BB, "env"], environment=["GONE", "NEW=3",
                                                           "NOPE"])["Id"]
        lines = api.exec_start(e).decode().splitlines()
        self.assertIn("KEEP=1", lines)
        self.assertIn("NEW=3", lines)
        self.assertFalse([x for x in lines if x.startswith(("GONE", "NOPE"))],
                         lines)
        self.ok("rm", "-f", "ex")

    def test_2_hostile_bodies(self):
        self.wait_available(True)
        self.ok("run", "-d", "--name", "ex2", "tiny:1", BB, "sleep", "300")
        u = self.on_node("ex2")
        eid = "ab" * 32
        for body in ({"Argv": [BB, "true"], "Privileged": True},
                     {"Argv": [BB, "true"], "Cwd": "relative"},
                     {"Argv": []}, {"Argv": [BB], "Env": ["=x"]},
                     {"Argv": [BB], "Env": [""]},
                     {"Argv": "not a list"}):
            st, ans = self.agent("POST", "/v1/containers/%s/exec/%s/start"
                                 % (u, eid), body)
            self.assertEqual(st, 400, (body, ans))
        st, _ = self.agent("POST", "/v1/containers/%s/exec/%s/start"
                           % (u, "x" * 64), {"Argv": [BB, "true"]})
        self.assertEqual(st, 400)
        self.assertNotIn("exec %s" % eid[:12], self.d.log("agent"))
        self.ok("rm", "-f", "ex2")

    def test_3_exec_joined_netns(self):
        # --network container:X on the node: the exec joins the
        # namespaces of the container's own process, X's network
        self.wait_available(True)
        self.ok("run", "-d", "--name", "jx", "tiny:1", BB, "sleep", "300")
        self.ok("run", "-d", "--name", "jy", "--network", "container:jx",
                "tiny:1", BB, "sleep", "300")
        self.on_node("jy")
        r = self.docker("exec", "jy", BB, "sh", "-c",
                        "%s ip -o link; exit 3" % BB)
        self.assertEqual(r.returncode, 3, r.stderr + self.d.log("agent")[-1500:])
        links = self.ok("exec", "jx", BB, "ip", "-o", "link")
        self.assertEqual(r.stdout.strip(), links)
        r = self.docker("exec", "-i", "jy", BB, "cat", input="x\n")
        self.assertEqual((r.returncode, r.stdout), (0, "x\n"), r.stderr)
        self.ok("rm", "-f", "jy", "jx")


if __name__ == "__main__":
    unittest.main(verbosity=2)
