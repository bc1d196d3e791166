#!/usr/bin/env python3
# 33-sapi-durability.py: kill -9 in the middle of a write storm, restart:
# every write that got a 2xx is there, and the store file is intact.
#
# Four writers create applications (POST) and four bump their own key of a
# shared application's metadata (PUT); each remembers what was
# acknowledged.  sapi answers only after its commit is fsync'd, so after a
# SIGKILL every acknowledged object and value must be found, and a value
# may be at most one ahead of its last acknowledgement (a write committed
# whose answer was lost with the process).
import importlib.util
import json
import os
import signal
import sqlite3
import threading
import time

_spec = importlib.util.spec_from_file_location("sapicommon", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "30-sapi-common.py"))
T = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(T)

s = T.Sapi()
shared = s.req("POST", "/applications", {"name": "shared"})[2]
created = [[] for _ in range(4)]
bumped = [0] * 4
stop = threading.Event()


def post_writer(i):
    c = s.http(timeout=10)
    n = 0
    try:
        while not stop.is_set():
            name = "storm-%d-%d" % (i, n)
            c.request("POST", "/applications", body=json.dumps(
                {"name": name, "metadata": {"i": i, "n": n}}),
                headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            if r.status == 200:
                created[i].append(name)
            n += 1
    except Exception:
        pass


def put_writer(i):
    c = s.http(timeout=10)
    n = 0
    try:
        while not stop.is_set():
            n += 1
            c.request("PUT", "/applications/" + shared["uuid"],
                      body=json.dumps({"metadata": {"w%d" % i: n}}),
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            if r.status == 200:
                bumped[i] = n
    except Exception:
        pass


threads = [threading.Thread(target=post_writer, args=(i,)) for i in range(4)]
threads += [threading.Thread(target=put_writer, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
time.sleep(1.5)
s.proc.send_signal(signal.SIGKILL)      # in the middle of the storm
s.proc.wait()
stop.set()
for t in threads:
    t.join(15)
acked = sum(len(c) for c in created)
print("acknowledged before the kill: %d creates, %d updates" %
      (acked, sum(bumped)))
T.check(acked > 50 and sum(bumped) > 50, "the storm did write")

s.start()
T.check(s.alive(), "sapi restarts after kill -9")
names = {a["name"] for a in s.req("GET", "/applications")[2]}
missing = [n for c in created for n in c if n not in names]
T.check(not missing, "every acknowledged create is there (%d missing: %s)" %
        (len(missing), missing[:5]))
md = s.req("GET", "/applications/" + shared["uuid"])[2]["metadata"]
for i in range(4):
    got = md.get("w%d" % i, 0)
    T.check(bumped[i] <= got <= bumped[i] + 1,
            "writer %d: acknowledged %d, stored %d" % (i, bumped[i], got))
st, _, _ = s.req("PUT", "/applications/" + shared["uuid"],
                 {"metadata": {"after": True}})
T.check(st == 200, "writes work after the restart")
T.check(s.stop() == 0, "clean stop")

if T.sdctest.test_store_postgres():
    # no file of ours: PostgreSQL keeps its own pages whole
    T.check(not os.path.exists(os.path.join(s.data_dir, "sapi.db")),
            "no SQLite file beside PostgreSQL")
else:
    db = sqlite3.connect(os.path.join(s.data_dir, "sapi.db"))
    res = db.execute("PRAGMA integrity_check").fetchall()
    db.close()
    T.check(res == [("ok",)], "PRAGMA integrity_check: %s" % res)
s.stop(kill=True)
T.finish()
