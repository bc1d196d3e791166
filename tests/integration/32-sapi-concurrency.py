#!/usr/bin/env python3
# 32-sapi-concurrency.py: 8 writers each make 500 read-modify-write
# increments of one counter, each a GET then a PUT with If-Match, retrying
# on 412.  Optimistic concurrency must lose no increment and apply none
# twice: the counter ends at exactly 4000, and the object's version says
# 4000 writes succeeded.
import importlib.util
import json
import os
import threading
import time

_spec = importlib.util.spec_from_file_location("sapicommon", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "30-sapi-common.py"))
T = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(T)

WRITERS, EACH = 8, 500
s = T.Sapi()
app = s.req("POST", "/applications", {"name": "counter",
                                       "metadata": {"n": 0}})[2]
path = "/applications/" + app["uuid"]
conflicts = [0] * WRITERS
errors = []


def writer(i):
    c = s.http(timeout=30)
    try:
        done = 0
        while done < EACH:
            c.request("GET", path)
            r = c.getresponse()
            obj = json.loads(r.read())
            etag = r.getheader("ETag")
            body = json.dumps({"metadata": {"n": obj["metadata"]["n"] + 1}})
            c.request("PUT", path, body=body, headers={
                "If-Match": etag, "Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            if r.status == 200:
                done += 1
            elif r.status == 412:
                conflicts[i] += 1
            else:
                errors.append(r.status)
                return
    except Exception as e:
        errors.append(repr(e))
    finally:
        c.close()


t0 = time.time()
threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
for t in threads:
    t.start()
for t in threads:
    t.join(120)
dt = time.time() - t0
final = s.req("GET", path)[2]
print("%d writes in %.2f s (%.0f committed writes/s), %d retries after 412" %
      (WRITERS * EACH, dt, WRITERS * EACH / dt, sum(conflicts)))
T.check(not errors, "no unexpected answers: %s" % errors[:5])
T.check(final["metadata"]["n"] == WRITERS * EACH,
        "the counter is exactly %d (got %d)" % (WRITERS * EACH,
                                                final["metadata"]["n"]))
T.check(final["version"] == WRITERS * EACH + 1,
        "the version counts every write (%d)" % final["version"])
T.check(s.alive(), "sapi still runs")
s.stop(kill=True)
T.finish()
