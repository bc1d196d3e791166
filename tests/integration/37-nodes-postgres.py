#!/usr/bin/env python3
"""Compute nodes on PostgreSQL: the head and sdc-docker-agent on one
throw-away PostgreSQL 15 (tests/pgtmp.sh), as heads and agents of a data
center share one (37-nodes-common.py says what is checked)."""
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "postgres"
common = importlib.import_module("37-nodes-common")


class NodesPostgres(common.NodesTest):
    pass


if __name__ == "__main__":
    del common.NodesTest            # run the subclass only
    common.main()
