#!/usr/bin/env python3
"""Compute nodes on PostgreSQL: the head and sdc-docker-agent on one
throw-away PostgreSQL 15 (tests/pgtmp.sh), as heads and agents of a data
center share one (37-nodes-common.py says what is checked); and
PostgreSQL restarted under them: the agent's heartbeats resume on a new
connection, and the head reads the node as available again."""
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "postgres"
common = importlib.import_module("37-nodes-common")
import sdctest  # noqa: E402


class NodesPostgres(common.NodesTest):

    def test_7_postgres_restart(self):
        self.wait_available(True)
        sdctest.postgres().restart()
        heard = self.nodes()[0]["LastHeartbeat"]
        sdctest.wait_for("heartbeats after the restart", lambda: (
            self.nodes()[0]["LastHeartbeat"] != heard))
        self.wait_available(True)
        # the agent went on by itself, as the same node
        self.assertEqual(self.d.procs["agent"].poll(), None)
        self.assertEqual([n["ID"] for n in self.nodes()], [self.node_id()])


if __name__ == "__main__":
    del common.NodesTest            # run the subclass only
    common.main()
