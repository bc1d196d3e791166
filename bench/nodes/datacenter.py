"""What bench/nodes' programs share (imported, not run): the data center
of tests/integration/88-datacenter-common.py (PostgreSQL, sapi, three
agents in network namespaces, heads a and b; its class sets it up and
tears it down), found from here."""
import importlib
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
dc = importlib.import_module("88-datacenter-common")
sdctest = dc.sdctest
