#!/usr/bin/python3
"""Docker fidelity of the API's edges, no container needed.

Every route of Docker's API reference (v1.41 and v1.56, read from
/work/shared/reference or $DOCKER_API_REFERENCE) is answered by something
other than "page not found": a real handler, or a 501 naming the feature.
The test walks the reference instead of naming routes, so a route that
gains a real handler keeps passing.  A path that is not Docker's keeps
Docker's 404 "page not found".  An error about a name that is not UTF-8
still carries its message, and plain HTTP sent to the TLS port gets
Docker's readable 400 through the real docker CLI."""
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402

REFERENCE = os.environ.get("DOCKER_API_REFERENCE") or "/work/shared/reference/docker-api"
# Served routes that would stream forever; never "page not found" anyway.
LONG = {("GET", "/events")}


def reference_routes():
    import yaml
    routes = set()
    for v in ("v1.41", "v1.56"):
        with open(os.path.join(REFERENCE, v + ".yaml")) as f:
            spec = yaml.safe_load(f)
        for path, ops in spec["paths"].items():
            for m in ops:
                if m in ("get", "post", "put", "delete"):
                    routes.add((m.upper(), path))
    return sorted(routes)


class FidelityAPI(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(os.path.join(REFERENCE, "v1.56.yaml")):
            print("no Docker API reference in " + REFERENCE)
            sys.exit(77)
        cls.d = sdctest.Daemons().start()
        key = sdctest.keygen(os.path.join(cls.d.tmp, "alice"), "ed25519")
        cls.d.add_account("alice", key + ".pub")
        cls.alice = cls.d.client_certs("alice", key)

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def call(self, method, path):
        st, _, body = self.d.https(method, path, certdir=self.alice)
        try:
            j = json.loads(body) if body else {}
            msg = j.get("message", "") if isinstance(j, dict) else ""
        except ValueError:
            msg = body.decode(errors="replace")
        return st, msg

    def test_every_reference_route_is_known(self):
        routes = reference_routes()
        self.assertGreater(len(routes), 90)
        unsupported = 0
        for method, path in routes:
            if (method, path) in LONG:
                continue
            p = re.sub(r"\{[^}]+\}", "nosuchthing0", path)
            for prefix in ("", "/v1.41"):
                st, msg = self.call(method, prefix + p)
                self.assertNotEqual(msg, "page not found", "%s %s" % (method, prefix + p))
                self.assertNotEqual(st, 405, "%s %s: %s" % (method, p, msg))
                if st == 501:
                    unsupported += 1
                    self.assertRegex(msg, r"^\S.* not (supported|available)",
                                     "%s %s" % (method, p))
        self.assertGreater(unsupported, 0)

    def test_swarm_family_named(self):
        for method, path, word in (("GET", "/swarm", "swarm"),
                                   ("POST", "/swarm/init", "swarm"),
                                   ("GET", "/plugins", "plugins"),
                                   ("GET", "/secrets", "secrets"),
                                   ("GET", "/configs/x", "configs"),
                                   ("GET", "/services", "services"),
                                   ("GET", "/nodes", "nodes"),
                                   ("GET", "/tasks/x/logs", "tasks"),
                                   ("POST", "/session", "session"),
                                   ("GET", "/distribution/busybox/json", "distribution"),
                                   ("POST", "/build/prune", "build cache")):
            st, msg = self.call(method, "/v1.40" + path)
            self.assertEqual(st, 501, "%s %s: %s" % (method, path, msg))
            self.assertIn(word, msg)
        r = self.d.docker(self.alice, "swarm", "init")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("swarm is not supported by this service", r.stderr)
        r = self.d.docker(self.alice, "plugin", "ls")
        self.assertIn("plugins is not supported by this service", r.stderr)

    def test_not_docker_keeps_404(self):
        for method, path in (("GET", "/nosuch"), ("GET", "/v1.41/containers/x/y/z"),
                             ("POST", "/swarm/init/more"), ("GET", "/plugins/")):
            st, msg = self.call(method, path)
            self.assertEqual((st, msg), (404, "page not found"), path)

    def test_invalid_utf8_keeps_message(self):
        st, msg = self.call("GET", "/containers/ab%ffcd/json")
        self.assertEqual(st, 404)
        self.assertEqual(msg, "No such container: ab\ufffdcd")
        st, msg = self.call("POST", "/containers/create?name=x%c3%28y")
        self.assertEqual(st, 400)
        self.assertIn("x\ufffd(y", msg)
        r = subprocess.run(["docker", "rm", b"bad\xfename"], capture_output=True,
                           env=self.d.docker_env(self.alice), timeout=60)
        self.assertIn(b"No such container: bad\xef\xbf\xbdname", r.stderr)

    def test_plain_http_on_tls_port(self):
        env = self.d.docker_env(self.alice)
        env.pop("DOCKER_TLS_VERIFY")
        env.pop("DOCKER_CERT_PATH")
        r = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Client sent an HTTP request to an HTTPS server.", r.stderr)
        # and the listener still serves TLS afterwards
        st, _ = self.call("GET", "/_ping")
        self.assertEqual(st, 200)

    def test_setup_k_profile_verifies_with_its_ca(self):
        home = os.path.join(self.d.tmp, "home-k")
        os.makedirs(home)
        key = os.path.join(self.d.tmp, "alice")
        env = dict(os.environ, HOME=home, SDC_BIN=sdctest.BIN)
        r = subprocess.run([os.path.join(sdctest.TOP, "sdc-docker-setup.sh"), "-k",
                            "https://127.0.0.1:%d" % self.d.cloudapi_port, "alice", key],
                           env=env, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("export DOCKER_TLS_VERIFY=1", r.stdout)
        self.assertIn("sha256 Fingerprint=", r.stdout)
        prof = os.path.join(home, ".sdc", "docker", "alice", "env.sh")
        with open(prof) as f:
            self.assertNotIn("DOCKER_CLIENT_TIMEOUT", f.read())
        script = '. "%s"; export DOCKER_TLS_VERIFY=1; docker info --format "{{.Name}}"' % prof
        r = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, HOME=home,
                                    DOCKER_CONFIG=os.path.join(home, ".docker")))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_account_create_with_bad_key_makes_nothing(self):
        bad = os.path.join(self.d.tmp, "not-a-key.pub")
        with open(bad, "w") as f:
            f.write("ssh-rsa notbase64 x\n")
        for login, key in (("bobby", os.path.join(self.d.tmp, "missing.pub")),
                           ("carol", bad)):
            r = subprocess.run([os.path.join(sdctest.BIN, "sdcadm-docker"), "account",
                                "create", login, "--approved", "--key", key],
                               env=dict(os.environ, DOCKERAPI_ADMIN=self.d.admin_socket),
                               capture_output=True, text=True, timeout=60)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            st, _ = self.d.admin("GET", "/accounts/" + login)
            self.assertEqual(st, 404, login + ": " + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
