#!/usr/bin/python3
"""docker push as a hostile tenant would try it: bob pushing alice's
image by her name or by its id gets "does not exist locally" and the
registry gets nothing; a push cannot reach the host's own services or a
registry on a private address the operator did not allow, neither
directly nor through a token realm; and docker-py's push streams
Docker's progress."""
import http.server
import importlib
import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("58-push-common")
registry_get = common.registry_get


class Trap:
    """A listener on a loopback port nobody allowed: counts connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            c.close()


class RealmRegistry:
    """An allowed "registry" whose bearer realm points at the trap."""

    def __init__(self, realm):
        class H(http.server.BaseHTTPRequestHandler):
            def do_any(self):
                self.send_response(401)
                self.send_header("WWW-Authenticate",
                                 'Bearer realm="%s",service="x"' % realm)
                self.send_header("Content-Length", "0")
                self.end_headers()
            do_GET = do_POST = do_HEAD = do_PUT = do_any

            def log_message(self, *a):
                pass
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.addr = "127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()


TRAP = Trap()
REALM = RealmRegistry("http://127.0.0.1:%d/token" % TRAP.port)


class PushHostile(common.PushTest):
    extra_registries = (REALM.addr,)

    def catalog(self):
        st, _, body = registry_get(self.reg.addr, "/v2/_catalog")
        self.assertEqual(st, 200)
        return json.loads(body)["repositories"]

    def test_1_other_accounts_image(self):
        name = self.reg.addr + "/alice/private:v1"
        self.ok(self.alice, "tag", self.bb, name)
        iid = self.ok(self.alice, "inspect", "--format", "{{.Id}}", name).strip()
        before = self.catalog()
        # by alice's name
        out = self.fails(self.bob, "push", name)
        self.assertIn("An image does not exist locally with the tag: %s/alice/private"
                      % self.reg.addr, out)
        # by her image id, full or short, through the API
        for n in (iid, iid[7:], iid[7:19], "%s/%s" % (self.reg.addr, iid[7:])):
            st, _, body = self.api(self.bob, "POST", "/images/%s/push?tag=v1" % n)
            self.assertNotIn(b"digest:", body, n)
            self.assertTrue(st == 400 or b"does not exist locally" in body, (n, st, body))
        # bob cannot give it a name of his either
        self.fails(self.bob, "tag", iid, self.reg.addr + "/bob/stolen")
        self.fails(self.bob, "tag", name, self.reg.addr + "/bob/stolen")
        self.assertEqual(self.catalog(), before)
        self.assertNotIn("alice/private", before)

    def test_2_address_rules(self):
        # a registry on loopback the operator did not list
        name = "127.0.0.1:%d/x:1" % TRAP.port
        self.ok(self.alice, "tag", self.bb, name)
        out = self.fails(self.alice, "push", name)
        self.assertIn("push to 127.0.0.1:%d/x refused" % TRAP.port, out)
        # the host's own services: the docker port itself, the metadata address
        for target in ("127.0.0.1:%d/x:1" % self.d.docker_port,
                       "localhost:%d/x:1" % self.d.cloudapi_port,
                       "169.254.169.254/x:1", "10.1.2.3:5000/x:1"):
            self.ok(self.alice, "tag", self.bb, target)
            out = self.fails(self.alice, "push", target)
            self.assertIn("refused", out, target)
        # an allowed registry whose token realm points at a host port
        name = REALM.addr + "/x:1"
        self.ok(self.alice, "tag", self.bb, name)
        out = self.fails(self.alice, "push", name)
        self.assertIn("refused", out)
        self.assertEqual(TRAP.hits, 0)

    def test_3_docker_py(self):
        c = self.d.dockerpy(self.alice, version=None)
        try:
            img = c.images.get(self.bb)
            repo = self.reg.addr + "/alice/py"
            self.assertTrue(img.tag(repo, "t1"))
            lines = list(c.images.push(repo, "t1", stream=True, decode=True))
            self.assertEqual(lines[0], {"status": "The push refers to repository [%s]"
                                        % repo})
            st = [x.get("status") for x in lines]
            self.assertIn("Preparing", st)
            pushing = [x for x in lines if x.get("status") == "Pushing"]
            self.assertTrue(pushing)
            self.assertIn("total", pushing[-1]["progressDetail"])
            self.assertTrue(any(s in st for s in ("Pushed", "Layer already exists"))
                            or any(s and s.startswith("Mounted from") for s in st), st)
            aux = [x["aux"] for x in lines if "aux" in x]
            self.assertEqual(len(aux), 1)
            self.assertEqual(aux[0]["Tag"], "t1")
            self.assertRegex(aux[0]["Digest"], r"^sha256:[0-9a-f]{64}$")
            self.assertTrue(st[-2].startswith("t1: digest: " + aux[0]["Digest"]))
            # the non-streaming form and an error as docker-py reports it
            out = c.images.push(repo, "t1")
            self.assertIn("Layer already exists", out)
            out = c.images.push(repo, "absent")
            self.assertIn("An image does not exist locally", out)
        finally:
            c.close()


if __name__ == "__main__":
    common.main()
