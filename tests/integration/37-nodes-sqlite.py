#!/usr/bin/env python3
"""Compute nodes on the embedded store: sdc-docker-agent beside the head,
on the head's SQLite file (37-nodes-common.py says what is checked)."""
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "sqlite"
common = importlib.import_module("37-nodes-common")


class NodesSqlite(common.NodesTest):
    pass


if __name__ == "__main__":
    del common.NodesTest            # run the subclass only
    common.main()
