"""What the 58-push tests share (imported, not run).

Real sapi and dockerapi with accounts alice and bob, and Debian's
docker-registry on free loopback ports, each in a temp dir with its own
config: one open, one behind htpasswd basic auth, one behind token auth
with a token server of the test's.  Plain HTTP on
127.0.0.1 is not allowed by default: the test sets the operator's
INSECURE_REGISTRIES tunable to exactly these registries, as an operator
would, and nothing else.  busybox (built with no network) is in the open
registry and pulled by alice.
"""
import importlib
import json
import os
import subprocess
import sys
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

images_common = importlib.import_module("65-images-api-common")

USER, PASSWORD = "pusher", "s3cret-Pa55-for-push"


def AuthRegistry(workdir):
    """docker-registry with htpasswd (bcrypt, made by apache2-utils)."""
    def auth(d):
        htpasswd = os.path.join(d, "htpasswd")
        subprocess.run(["htpasswd", "-Bbc", htpasswd, USER, PASSWORD], check=True,
                       capture_output=True)
        return "auth:\n  htpasswd:\n    realm: test\n    path: %s\n" % htpasswd
    return images_common.Registry(workdir, auth)


class TokenRegistry:
    """docker-registry with token auth: a token server here (RS256 JWTs
    with the signing certificate in x5c, the registry trusting it as its
    rootcertbundle) that checks USER/PASSWORD and grants what is asked."""

    def __init__(self, workdir):
        import base64
        import datetime
        import http.server
        import tempfile
        import threading
        import time
        import urllib.parse
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
        from cryptography.x509.oid import NameOID

        self.dir = tempfile.mkdtemp(prefix="regtok.", dir=workdir)
        self.scopes = []
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "token-issuer")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(1)
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                .sign(key, hashes.SHA256()))
        bundle = os.path.join(self.dir, "root.pem")
        with open(bundle, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        outer = self

        def b64(b):
            return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                want = "Basic " + base64.b64encode(
                    ("%s:%s" % (USER, PASSWORD)).encode()).decode()
                if self.headers.get("Authorization") != want:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                access = []
                for sc in q.get("scope", []):
                    outer.scopes.append(sc)
                    kind, rname, actions = sc.split(":")
                    access.append({"type": kind, "name": rname,
                                   "actions": actions.split(",")})
                t = int(time.time())
                head = {"alg": "RS256", "typ": "JWT", "x5c": [x5c]}
                claims = {"iss": "test-issuer", "sub": USER, "aud": "test-registry",
                          "exp": t + 300, "nbf": t - 10, "iat": t,
                          "jti": os.urandom(8).hex(), "access": access}
                signing = (b64(json.dumps(head).encode()) + "." +
                           b64(json.dumps(claims).encode()))
                sig = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
                body = json.dumps({"token": signing + "." + b64(sig)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.tokens = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.realm = "127.0.0.1:%d" % self.tokens.server_address[1]
        threading.Thread(target=self.tokens.serve_forever, daemon=True).start()
        self.reg = images_common.Registry(workdir, lambda d: (
            "auth:\n  token:\n    realm: http://%s/token\n"
            "    service: test-registry\n    issuer: test-issuer\n"
            "    rootcertbundle: %s\n" % (self.realm, bundle)))
        self.addr = self.reg.addr

    def stop(self):
        self.reg.stop()
        self.tokens.shutdown()
        self.tokens.server_close()


def registry_get(addr, path, auth=None, method="GET"):
    """(status, headers, body) of a request straight to a registry."""
    rq = urllib.request.Request("http://%s%s" % (addr, path), method=method)
    rq.add_header("Accept", "application/vnd.docker.distribution.manifest.v2+json")
    if auth:
        import base64
        rq.add_header("Authorization", "Basic " + base64.b64encode(
            ("%s:%s" % auth).encode()).decode())
    try:
        with urllib.request.urlopen(rq, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class PushTest(unittest.TestCase):
    extra_registries = ()

    @classmethod
    def setUpClass(cls):
        images_common.need("docker", "docker-registry", "htpasswd")
        cls.d = sdctest.Daemons(allow_private_registries=())
        cls.work = os.path.join(cls.d.tmp, "work")
        os.makedirs(cls.work)
        cls.reg = images_common.Registry(cls.work)
        cls.areg = AuthRegistry(cls.work)
        cls.treg = TokenRegistry(cls.work)
        cls.d.start_sapi()
        cls.d.set_tunable("INSECURE_REGISTRIES", [cls.reg.addr, cls.areg.addr,
                                                  cls.treg.addr, cls.treg.realm] +
                          list(cls.extra_registries))
        cls.d.start_dockerapi()
        certs, _ = cls.d.add_tenants("alice", "bob")
        cls.alice, cls.bob = certs["alice"], certs["bob"]
        cls.reg.push(images_common.build_busybox(cls.work), "busybox:latest")
        cls.bb = cls.reg.addr + "/busybox"
        r = cls.d.docker(cls.alice, "pull", cls.bb)
        assert r.returncode == 0, r.stderr + cls.d.log("dockerapi")[-2000:]

    @classmethod
    def tearDownClass(cls):
        cls.reg.stop()
        cls.areg.stop()
        cls.treg.stop()
        cls.d.stop()

    def ok(self, certs, *args, **kw):
        r = self.d.docker(certs, *args, **kw)
        self.assertEqual(r.returncode, 0, "docker %s: %s%s%s" % (
            " ".join(args), r.stdout, r.stderr, self.d.log("dockerapi")[-2000:]))
        return r.stdout

    def fails(self, certs, *args, **kw):
        r = self.d.docker(certs, *args, **kw)
        self.assertNotEqual(r.returncode, 0, "docker %s succeeded: %s" % (
            " ".join(args), r.stdout))
        return r.stdout + r.stderr

    def api(self, certs, method, path, body=None, headers=None):
        return images_common.ImagesTest.api(self, certs, method, path, body, headers)

    def manifest(self, addr, repo, tag, auth=None):
        st, hdrs, body = registry_get(addr, "/v2/%s/manifests/%s" % (repo, tag), auth)
        self.assertEqual(st, 200, body)
        return json.loads(body), hdrs

    def logs(self):
        return "".join(self.d.log(n) for n in ("dockerapi", "sapi"))


def main():
    unittest.main(verbosity=2)
