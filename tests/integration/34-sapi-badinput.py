#!/usr/bin/env python3
# 34-sapi-badinput.py: malformed JSON, wrong types, a 10 MB body, unknown
# uuids, path tricks and raw garbage each get a clear error, and the daemon
# keeps serving after every one of them.
import importlib.util
import os
import time

_spec = importlib.util.spec_from_file_location("sapicommon", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "30-sapi-common.py"))
T = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(T)
check, expect = T.check, T.expect

s = T.Sapi()
R = s.req
app = R("POST", "/applications", {"name": "victim", "metadata": {"k": 1}})[2]
u = "/applications/" + app["uuid"]
JSON = {"Content-Type": "application/json"}


def alive(what):
    st, _, b = R("GET", "/ping")
    check(st == 200 and s.alive(), "still serving after " + what)


# malformed JSON
for raw in (b"{", b"{\"name\": }", b"nul", b"\xff\xfe{}", b"{\"a\":1}}",
            b"[1, 2"):
    st, _, b = R("POST", "/applications", headers=JSON, raw=raw)
    check(st == 400 and b.get("code") == "InvalidContent" and b.get("message"),
          "malformed JSON %r -> 400 InvalidContent: %s" % (raw[:10], b))
    st, _, b = R("PUT", u, headers=JSON, raw=raw)
    check(st == 400, "malformed PUT body %r -> 400" % raw[:10])
alive("malformed JSON")

# JSON that is not an object
for raw in (b"[]", b"\"x\"", b"42", b"null"):
    expect(R("POST", "/applications", headers=JSON, raw=raw), 400,
           "body %s" % raw.decode(), "InvalidContent")

# wrong types
for body in ({"name": ["x"]}, {"name": ""}, {"name": "x", "params": 3},
             {"name": "x", "metadata": None and 1 or "s"},
             {"name": "x", "manifests": {"m": 5}},
             {"name": "x", "owner_uuid": 5},
             {"name": "x", "metadata_schema": "object"},
             {"name": "x", "metadata_schema": {"type": "whatever"}},
             {"name": "x", "uuid": 12}):
    expect(R("POST", "/applications", body), 409, "POST %s" % body,
           "InvalidArgument")
for body in ({"action": 1}, {"action": "upsert"}, {"params": []},
             {"name": 7}, {"action": "delete", "metadata": [1]}):
    expect(R("PUT", u, body), 409, "PUT %s" % body, "InvalidArgument")
st, _, b = R("POST", "/instances", {"service_uuid": "../../etc/passwd"})
check(st == 409 and b["code"] == "InvalidArgument",
      "a parent that is not a uuid -> 409: %s" % b)
expect(R("GET", "/configs/x?wait=-1", headers={"If-None-Match": "\"a\""}), 409,
       "negative wait", "InvalidArgument")
check(R("GET", u)[2]["metadata"] == {"k": 1}, "refused writes changed nothing")
alive("wrong types")

# a 10 MB body
big = b"{\"name\": \"" + b"x" * (10 * 1024 * 1024) + b"\"}"
try:
    st, _, b = R("POST", "/applications", headers=JSON, raw=big)
except (ConnectionError, BrokenPipeError) as e:
    st, b = 413, "connection closed while sending (%s)" % e
check(st == 413, "a 10 MB body -> 413 (%s)" % (b if st != 413 else "ok"))
alive("a 10 MB body")

# unknown uuids and path tricks
for path in ("/applications/00000000-0000-4000-8000-000000000000",
             "/applications/not-a-uuid", "/applications/..%2f..%2fetc",
             "/applications/../x", "/applications/%00",
             "/applications/" + app["uuid"] + "%00",
             "/applications/" + app["uuid"].upper(),
             "/configs/..", "/configs/%2e%2e/instances",
             "/instances/" + app["uuid"], "/manifests/" + app["uuid"]):
    st, _, b = R("GET", path)
    # (the HTTP layer itself refuses a NUL byte: 400 {"message"})
    check(st in (400, 404) and isinstance(b, dict) and b.get("message"), "GET %s -> %d %s" % (path, st,
                                                  b.get("code") if
                                                  isinstance(b, dict) else b))
for path in ("/applications/../applications", "/applications//x",
             "/%2e%2e/applications"):
    st, _, b = R("DELETE", path)
    check(st in (400, 404, 405), "DELETE %s -> %d" % (path, st))
expect(R("GET", u), 200, "the application is untouched")
alive("path tricks")

# raw garbage on the socket
for junk in (b"\x00\x01\x02garbage\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
             b"GET /ping HTTP/1.1\r\n" + b"X-Long: " + b"a" * 100000 +
             b"\r\n\r\n", b"POST /applications HTTP/1.1\r\nContent-Length: "
             b"-5\r\n\r\n"):
    so = s.connect(timeout=5)
    try:
        so.sendall(junk)
        so.recv(4096)
    except OSError:
        pass
    so.close()
alive("raw garbage")

# a client that sends half a request and goes away
so = s.connect()
so.sendall(b"PUT " + u.encode() + b" HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
so.close()
time.sleep(0.1)
alive("half a request")
check(s.stop() == 0, "clean stop after all that")
s.stop(kill=True)
T.finish()
