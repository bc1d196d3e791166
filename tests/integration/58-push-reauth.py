#!/usr/bin/python3
"""docker push outliving its bearer token: Debian's docker-registry
behind a gate of the test's that is its token server too and takes each
token for a few requests only (a short-lived token, counted in requests
rather than seconds, so that no test waits), answering the next with 401
and a Bearer challenge as a registry does once a token has expired.  A
push of a multi-layer image with layers larger than one upload chunk
meets that 401 on HEAD, POST, PATCH, the upload's PUT and the manifest's
PUT, renews its token each time with the same credentials and scope, and
succeeds; bob pulls the image back.  A gate that also forgets an upload
session begun under an older token has the upload started again.  When
the token server refuses the renewal, or the registry refuses the new
token too, the push fails with Docker's error after one try, asking for
no more tokens, and no manifest is made."""
import base64
import http.client
import http.server
import importlib
import json
import os
import random
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402

images_common = importlib.import_module("65-images-api-common")

USER, PASSWORD = "pusher", "renew-me-Pa55"
MIB = 1024 * 1024


class Gate:
    """A token server and a registry front in one listener: a token is
    good for `uses` requests; mode "refuse" refuses every token after the
    first, "reject" grants them but the registry takes none of them, and
    bind_sessions makes an upload session unknown to any token but the
    one that began it."""

    def __init__(self, backend, uses):
        self.backend = backend
        self.uses = uses
        self.mode = "ok"
        self.bind_sessions = False
        self.expire_kinds = set()
        self.lock = threading.Lock()
        self.reset()
        gate = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, code, body=b"", headers=None):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                if self.path.startswith("/token"):
                    return self.token()
                kind = gate.kind(self.command, self.path)
                auth = self.headers.get("Authorization", "")
                tok = auth[7:] if auth.startswith("Bearer ") else None
                with gate.lock:
                    left = gate.tokens.get(tok, 0)
                    if kind in gate.expire_kinds and left > 0:
                        # this one expires just as it arrives
                        gate.expire_kinds.discard(kind)
                        left = gate.tokens[tok] = 0
                    if left <= 0:
                        if tok is not None:
                            gate.refused.append(kind)
                        ok = False
                    else:
                        gate.tokens[tok] = left - 1
                        ok = True
                    gate.log.append((kind, tok, ok))
                if not ok:
                    return self.send(401, json.dumps({"errors": [{
                        "code": "UNAUTHORIZED", "message":
                        "authentication required", "detail": None}]}).encode(), {
                        "Content-Type": "application/json",
                        "WWW-Authenticate": 'Bearer realm="http://%s/token",'
                        'service="gate",scope="repository:x:pull,push"' % gate.addr})
                upload = "/blobs/uploads/" in self.path and \
                    self.command in ("PATCH", "PUT")
                uuid = self.path.split("/blobs/uploads/")[-1].split("?")[0]
                if upload and gate.bind_sessions and gate.sessions.get(uuid) != tok:
                    with gate.lock:
                        gate.forgotten += 1
                    return self.send(404, json.dumps({"errors": [{
                        "code": "BLOB_UPLOAD_UNKNOWN",
                        "message": "blob upload unknown to registry"}]}).encode(),
                        {"Content-Type": "application/json"})
                self.forward(body, tok)

            def forward(self, body, tok):
                c = http.client.HTTPConnection(gate.backend, timeout=60)
                hdrs = {k: v for k, v in self.headers.items()
                        if k.lower() in ("content-type", "content-range", "accept")}
                hdrs["Host"] = gate.addr
                c.request(self.command, self.path, body=body or None, headers=hdrs)
                r = c.getresponse()
                data = r.read()
                c.close()
                out = {k: v for k, v in r.getheaders()
                       if k.lower() not in ("content-length", "connection",
                                            "transfer-encoding", "date")}
                if self.command == "POST" and r.status == 202:
                    gate.sessions[r.getheader("Docker-Upload-UUID")] = tok
                if self.command == "HEAD":
                    self.send_response(r.status)
                    for k, v in out.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length",
                                     r.getheader("Content-Length") or "0")
                    self.end_headers()
                    return
                self.send(r.status, data, out)

            def token(self):
                want = "Basic " + base64.b64encode(
                    ("%s:%s" % (USER, PASSWORD)).encode()).decode()
                with gate.lock:
                    gate.token_requests += 1
                    if self.headers.get("Authorization") != want or (
                            gate.mode == "refuse" and gate.issued >= 1):
                        refuse = True
                    else:
                        refuse = False
                        gate.issued += 1
                        t = "tok-%d-%s" % (gate.issued, os.urandom(4).hex())
                        gate.tokens[t] = (0 if gate.mode == "reject" and
                                          gate.issued > 1 else gate.uses)
                if refuse:
                    return self.send(401, json.dumps(
                        {"details": "incorrect username or password"}).encode(),
                        {"Content-Type": "application/json"})
                # short-lived, as Docker's token servers' are
                self.send(200, json.dumps({"token": t, "expires_in": 5}).encode(),
                          {"Content-Type": "application/json"})

            do_GET = do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = handle_any

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.addr = "127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def reset(self):
        self.tokens, self.sessions = {}, {}
        self.issued = self.token_requests = self.forgotten = 0
        self.refused, self.log = [], []

    @staticmethod
    def kind(method, path):
        if path == "/v2/":
            return "ping"
        if method == "PUT":
            return "PUT manifest" if "/manifests/" in path else "PUT blob"
        return method

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


class PushReauth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        images_common.need("docker", "docker-registry")
        cls.d = sdctest.Daemons(allow_private_registries=())
        cls.work = os.path.join(cls.d.tmp, "work")
        os.makedirs(cls.work)
        cls.reg = images_common.Registry(cls.work)
        cls.gate = Gate(cls.reg.addr, uses=2)
        cls.d.start_sapi()
        cls.d.set_tunable("INSECURE_REGISTRIES", [cls.reg.addr, cls.gate.addr])
        cls.d.start_dockerapi()
        certs, _ = cls.d.add_tenants("alice", "bob")
        cls.alice, cls.bob = certs["alice"], certs["bob"]
        rnd = random.Random(17)
        with open("/bin/busybox", "rb") as f:
            files = {"bin/sh": f.read()}
        # two layers larger than an upload chunk (8 MiB): PATCHes and a PUT
        for name in ("big1", "big2"):
            files[name] = rnd.randbytes(9 * MIB)
        st, out = cls.api(cls.alice, "POST", "/build?t=multi:1", images_common.tarball(dict(
            files, Dockerfile=b"FROM scratch\nCOPY bin/sh /bin/sh\n"
            b"COPY big1 /big1\nCOPY big2 /big2\n")),
            {"Content-Type": "application/x-tar"})
        assert st == 200 and b"Successfully built" in out, out[-2000:]

    @classmethod
    def tearDownClass(cls):
        cls.gate.stop()
        cls.reg.stop()
        cls.d.stop()

    @classmethod
    def api(cls, certs, method, path, body=None, headers=None):
        st, _, data = images_common.ImagesTest.api(cls, certs, method, path,
                                                   body, headers)
        return st, data

    def push(self, repo, mode="ok", bind_sessions=False, expire=(),
             image="multi:1"):
        """Tag image as gate/repo:1 and push it with the credentials:
        (the stream's lines, the error or None)."""
        self.gate.reset()
        self.gate.mode = mode
        self.gate.bind_sessions = bind_sessions
        self.gate.expire_kinds = set(expire)
        name = "%s/%s" % (self.gate.addr, repo)
        st, out = self.api(self.alice, "POST", "/images/%s/tag?repo=%s&tag=1"
                           % (image, name))
        self.assertEqual(st, 201, out)
        auth = base64.urlsafe_b64encode(json.dumps({
            "username": USER, "password": PASSWORD,
            "serveraddress": self.gate.addr}).encode()).decode()
        st, out = self.api(self.alice, "POST", "/images/%s/push?tag=1" % name,
                           headers={"X-Registry-Auth": auth})
        self.assertEqual(st, 200, out)
        lines = [json.loads(x) for x in out.decode().splitlines() if x.strip()]
        errs = [x["error"] for x in lines if "error" in x]
        return lines, errs[0] if errs else None

    def manifest(self, repo):
        c = http.client.HTTPConnection(self.reg.addr, timeout=10)
        c.request("GET", "/v2/%s/manifests/1" % repo, headers={
            "Accept": "application/vnd.docker.distribution.manifest.v2+json"})
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body

    def test_1_renewed_on_every_kind_of_request(self):
        lines, err = self.push("renew", expire=("PUT manifest",))
        self.assertIsNone(err, (err, self.gate.log, self.d.log("dockerapi")[-3000:]))
        digest = [x["aux"]["Digest"] for x in lines if "aux" in x][0]
        # every kind of request met an expired token and was sent again
        for kind in ("HEAD", "POST", "PATCH", "PUT blob", "PUT manifest"):
            self.assertIn(kind, self.gate.refused, self.gate.log)
        # one new token a refusal, never more
        self.assertEqual(self.gate.token_requests, len(self.gate.refused) + 1,
                         self.gate.log)
        st, body = self.manifest("renew")
        self.assertEqual(st, 200, body)
        self.assertEqual(len(json.loads(body)["layers"]), 3)
        # another account pulls it back (from the registry behind the gate)
        r = self.d.docker(self.bob, "pull", "%s/renew:1" % self.reg.addr, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(digest, r.stdout)

    def test_2_upload_session_forgotten_starts_again(self):
        # a layer of its own, so that it is uploaded, not mounted; tokens
        # good for 5 requests run out in its first upload, which the gate
        # then forgets, and last the whole second one
        with open("/bin/busybox", "rb") as f:
            files = {"bin/sh": f.read(), "big3": random.Random(3).randbytes(9 * MIB)}
        st, out = self.api(self.alice, "POST", "/build?t=multi:2", images_common.tarball(dict(
            files, Dockerfile=b"FROM scratch\nCOPY bin/sh /bin/sh\nCOPY big3 /big3\n")),
            {"Content-Type": "application/x-tar"})
        self.assertTrue(st == 200 and b"Successfully built" in out, out[-2000:])
        self.gate.uses = 5
        try:
            lines, err = self.push("sessions", bind_sessions=True, image="multi:2")
        finally:
            self.gate.uses = 2
        self.assertIsNone(err, (err, self.gate.log))
        self.assertGreater(self.gate.forgotten, 0, self.gate.log)
        st, body = self.manifest("sessions")
        self.assertEqual(st, 200, body)

    def test_3_renewal_refused(self):
        lines, err = self.push("refused", mode="refuse")
        self.assertEqual(err, "unauthorized: incorrect username or password")
        self.assertEqual(self.gate.token_requests, 2, self.gate.log)
        self.assertEqual(self.manifest("refused")[0], 404)

    def test_4_new_token_refused_too(self):
        lines, err = self.push("rejected", mode="reject")
        self.assertEqual(err, "unauthorized: authentication required")
        # the request that met the 401 was sent once more, not again
        self.assertEqual(self.gate.token_requests, 2, self.gate.log)
        self.assertEqual(len(self.gate.refused), 2, self.gate.log)
        self.assertEqual(self.manifest("rejected")[0], 404)
        # dockerapi still pushes with a good token afterwards
        lines, err = self.push("rejected")
        self.assertIsNone(err, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
