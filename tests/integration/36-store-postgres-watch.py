#!/usr/bin/env python3
# 36-store-postgres-watch.py: two sapi processes on one PostgreSQL store
# serve the same objects, and a long poll held by one is answered when a
# write goes through the other (LISTEN/NOTIFY), within a second; after
# PostgreSQL restarts underneath, the listening connection comes back by
# itself and a write through one again wakes a poll on the other.
import importlib.util
import os
import threading
import time

os.environ["SDC_TEST_STORE"] = "postgres"
_spec = importlib.util.spec_from_file_location("sapicommon", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "30-sapi-common.py"))
T = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(T)
check, expect = T.check, T.expect

pg = T.sdctest.postgres()
uri = pg.uri("watch")
a = T.Sapi(extra=["--store", uri])
b = T.Sapi(extra=["--store", uri])

# The bootstrap ran once: both see the same docker service.
sa = expect(a.req("GET", "/services?name=docker"), 200, "services through a")
sb = expect(b.req("GET", "/services?name=docker"), 200, "services through b")
check(len(sa) == 1 and sa == sb, "one docker service, the same through both")
insts = expect(b.req("GET", "/instances?name=dockerapi0"), 200, "instance")
inst = insts[0]["uuid"]
svc = sa[0]["uuid"]


def poll_b_then_write_a(value, what):
    st, h, _ = b.req("GET", "/configs/" + inst)
    etag = h.get("etag")
    got = {}

    def poll():
        t0 = time.monotonic()
        got["r"] = b.req("GET", "/configs/%s?wait=20" % inst,
                         headers={"If-None-Match": etag}, timeout=40)
        got["t"] = time.monotonic() - t0
        got["end"] = time.monotonic()

    th = threading.Thread(target=poll)
    th.start()
    time.sleep(0.3)          # the poll is held by b before a writes
    expect(a.req("PUT", "/services/" + svc,
                 body={"metadata": {"DC_MAINT_MESSAGE": value}}), 200,
           "write through a (%s)" % what)
    wrote = time.monotonic()
    th.join(45)
    st, h2, body = got.get("r", (0, {}, None))
    check(st == 200 and isinstance(body, dict) and
          body.get("metadata", {}).get("DC_MAINT_MESSAGE") == value,
          "b's long poll answers with a's write (%s; got %s)" % (what, st))
    if "end" in got:
        lag = got["end"] - wrote
        check(lag < 2.0, "within 2 s of the write (%.3f s, %s)" % (lag, what))


poll_b_then_write_a("first", "before a restart")
t0 = time.monotonic()
pg.restart()
# b's listening connection broke and comes back within about a second
deadline = time.time() + 20
while time.time() < deadline and "listening to other sapi" not in b.logtext():
    time.sleep(0.1)
check("listening to other sapi" in b.logtext(), "b listens again after the restart")
poll_b_then_write_a("second", "after PostgreSQL restarted")
T.finish()
