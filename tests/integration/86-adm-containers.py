#!/usr/bin/python3
"""sdcadm-docker's container commands against real containers: list
across accounts (login, package, log bytes), inspect, logs (framed or
tty, --tail), kill with a signal the process sees, stop, the refusal
to delete an account that still has containers unless --force, and logs
usage of where the containers run (the head's own zones root, or its
machine's node)."""
import importlib
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

common = importlib.import_module("76-containers-common")
ADM = os.path.join(sdctest.BIN, "sdcadm-docker")


class AdmContainers(common.ContainersTest):
    def adm(self, *args, rc=0):
        env = dict(os.environ, DOCKERAPI_ADMIN=self.d.admin_socket,
                   SAPI_URL=self.d.sapi_url, COLUMNS="160")
        r = subprocess.run([ADM] + list(args), env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, rc, "%s\n%s%s" % (args, r.stdout, r.stderr))
        return r

    def run_ok(self, certs, *args):
        r = self.d.docker(certs, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def test_list_inspect_logs_kill_stop(self):
        trap = "trap 'echo got-hup' HUP; i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done"
        cid = self.run_ok(self.alice, "run", "-d", "--name", "chatty", "-m", "256m",
                          "busybox", "sh", "-c", trap)
        self.run_ok(self.bob, "run", "-d", "--name", "quiet", "busybox", "sleep", "300")
        sdctest.wait_for("output", lambda: "line3" in self.run_ok(self.alice, "logs", cid), 10)

        rows = json.loads(self.adm("--json", "container", "list").stdout)
        by_name = {r["name"]: r for r in rows}
        self.assertEqual(by_name["chatty"]["account"], "alice")
        self.assertEqual(by_name["quiet"]["account"], "bob")
        self.assertEqual(by_name["chatty"]["package"], "t4-standard-256M")
        self.assertEqual(by_name["chatty"]["state"], "running")
        self.assertGreater(by_name["chatty"]["log_bytes"], 0)
        only_bob = json.loads(self.adm("--json", "container", "list", "--account", "bob").stdout)
        self.assertEqual([r["name"] for r in only_bob], ["quiet"])
        table = self.adm("container", "list").stdout
        self.assertIn("chatty", table)
        self.assertIn("alice", table)

        inspect = json.loads(self.adm("container", "inspect", cid[:12]).stdout)
        self.assertEqual(inspect["Id"], cid)
        self.assertEqual(inspect["Account"], self.d.admin("GET", "/accounts/alice")[1]["uuid"])

        out = self.adm("container", "logs", cid[:12]).stdout
        self.assertIn("line0\nline1\n", out)
        self.assertNotIn("\x01\x00", out)       # frames taken apart
        tail = self.adm("container", "logs", cid[:12], "--tail", "2").stdout
        self.assertEqual(len(tail.splitlines()), 2)

        self.adm("container", "kill", cid[:12], "--signal", "HUP")
        sdctest.wait_for("got-hup", lambda: "got-hup" in self.adm(
            "container", "logs", cid[:12]).stdout, 10)

        # An account with containers is not deleted unless forced.
        r = self.adm("account", "delete", "bob", rc=1)
        self.assertIn("still has", r.stderr)
        # With --force, its containers go with it.
        self.d.add_account("carol", self.keys["bob"] + ".pub")
        carol = self.d.client_certs("carol", self.keys["bob"])
        self.run_ok(carol, "pull", self.reg.addr + "/busybox")
        gone = self.run_ok(carol, "run", "-d", self.reg.addr + "/busybox", "sleep", "300")
        self.adm("account", "delete", "carol", "--force")
        self.adm("container", "inspect", gone, rc=1)
        # Its images went too; alice still has hers (the layers are shared).
        self.d.add_account("carol", self.keys["bob"] + ".pub")
        self.assertEqual(self.run_ok(carol, "images", "-q"), "")
        self.assertNotEqual(self.run_ok(self.alice, "images", "-q"), "")
        self.adm("account", "delete", "carol")

        self.adm("container", "stop", cid[:12], "--time", "1")
        state = json.loads(self.adm("container", "inspect", cid).stdout)["State"]
        self.assertEqual(state["Status"], "exited")
        self.adm("container", "inspect", "ffffffffffff", rc=1)
        self.adm("container", "kill", "ffffffffffff", rc=1)
        self.adm("container", "logs", "ffffffffffff", rc=1)
        self.adm("container", "logs", cid, "--tail", "x", rc=2)

    def test_logs_usage_of_the_head(self):
        """`logs usage` (no --zones) measures where the containers run:
        a head with no agents its own zones root (node "-"), a head with
        the one agent of its machine (SDC_TEST_NODE=agent) that node,
        which answers with its id and hostname; either way the live log
        and a rotated one put in the container's folder."""
        cid = self.run_ok(self.alice, "run", "-d", "busybox", "sh", "-c",
                          "echo usage-line")
        self.run_ok(self.alice, "wait", cid)
        uuid = self.d.admin("GET", "/containers/" + cid)[1]["Uuid"]
        logs = os.path.join(self.d.tmp, "zones", uuid, "logs")
        with open(os.path.join(logs, "stdio.log.2026-11-23T18:20:01Z"),
                  "w") as f:
            f.write("r" * 300)
        live = os.path.getsize(os.path.join(logs, "stdio.log"))
        self.assertGreater(live, 0)
        st, nodes = self.d.admin("GET", "/nodes")
        self.assertEqual(st, 200, nodes)
        node_id, host = ("", "-") if not nodes else (nodes[0]["ID"], nodes[0]["Hostname"])
        self.assertLessEqual(len(nodes), 1, nodes)     # one machine
        u = json.loads(self.adm("--json", "logs", "usage").stdout)
        self.assertEqual(u["nodes"], [{"id": node_id, "hostname": host,
                                       "answered": True, "complete": True,
                                       "containers": len(u["containers"])}])
        mine = [c for c in u["containers"] if c["uuid"] == uuid]
        self.assertEqual(mine, [{"uuid": uuid, "live": live, "rotated": 300,
                                 "rotatedFiles": 1, "total": live + 300,
                                 "node": host, "nodeId": node_id}])
        self.assertIn(uuid, self.adm("logs", "usage").stdout)
        self.run_ok(self.alice, "rm", cid)

    def test_tty_logs(self):
        cid = self.run_ok(self.alice, "run", "-d", "-t", "busybox", "sh", "-c", "echo hello-tty")
        self.run_ok(self.alice, "wait", cid)
        self.assertIn("hello-tty", self.adm("container", "logs", cid).stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
