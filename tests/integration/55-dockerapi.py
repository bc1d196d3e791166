#!/usr/bin/python3
"""dockerapi end to end: the user's first hour (seed 003), the refusals,
live config from SAPI, and docker-py.

Real sapi and dockerapi on free ports, the real docker CLI over TLS, the
real setup script against the real CloudAPI listener."""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402


class DockerAPI(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = sdctest.Daemons().start()
        cls.keys = os.path.join(cls.d.tmp, "keys")
        os.makedirs(cls.keys)
        cls.rsa = sdctest.keygen(os.path.join(cls.keys, "jill_rsa"), "rsa", 2048, fmt="PEM")
        cls.d.add_account("jill", cls.rsa + ".pub", email="jill@example.com")
        cls.jill = cls.d.client_certs("jill", cls.rsa)

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def docker_ok(self, certdir, *args):
        r = self.d.docker(certdir, *args)
        self.assertEqual(r.returncode, 0, r.stderr + self.d.log("dockerapi")[-3000:])
        return r.stdout

    # --- the first hour, through the setup script ---

    def setup_script(self, login, key, *flags, home=None, env=None):
        home = home or os.path.join(self.d.tmp, "home-" + os.path.basename(key))
        os.makedirs(home, exist_ok=True)
        e = dict(os.environ, HOME=home, SDC_BIN=sdctest.BIN)
        e.update(env or {})
        url = "https://127.0.0.1:%d" % self.d.cloudapi_port
        r = subprocess.run([os.path.join(sdctest.TOP, "sdc-docker-setup.sh")] + list(flags) +
                           [url, login, key], env=e, capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        return r, home

    def docker_via_env_sh(self, home, profile, *args):
        script = 'set -e; . "%s/.sdc/docker/%s/env.sh"; docker %s' % (
            home, profile, " ".join(args))
        env = dict(os.environ, HOME=home, DOCKER_CONFIG=os.path.join(home, ".docker"))
        return subprocess.run(["bash", "-c", script], env=env, capture_output=True,
                              text=True, timeout=60)

    def first_hour(self, login, key):
        r, home = self.setup_script(login, key, "-k")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("DOCKER_HOST=tcp://", r.stdout)
        info = self.docker_via_env_sh(home, login, "info")
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertIn("SDCAccount: " + login, info.stdout)
        self.assertIn("Storage Driver: sdc", info.stdout)
        ver = self.docker_via_env_sh(home, login, "version")
        self.assertEqual(ver.returncode, 0, ver.stderr)
        self.assertRegex(ver.stdout, r"API version:\s+1\.41 \(downgraded from")
        self.assertIn("minimum version 1.20", ver.stdout)

    def test_first_hour_rsa(self):
        self.first_hour("jill", self.rsa)

    def test_first_hour_ecdsa_openssh(self):
        key = sdctest.keygen(os.path.join(self.keys, "bob_ecdsa"), "ecdsa", 384)
        self.d.add_account("bobby", key + ".pub")
        self.first_hour("bobby", key)

    def test_first_hour_ed25519_openssh(self):
        key = sdctest.keygen(os.path.join(self.keys, "eve_ed"), "ed25519")
        self.d.add_account("evelyn", key + ".pub")
        self.first_hour("evelyn", key)

    def test_setup_script_verified_tls(self):
        """Without -k the script pins the endpoint's CA and verifies it."""
        r, home = self.setup_script("jill", self.rsa, "-p", "pinned",
                                    env={"CURL_CA_BUNDLE": os.path.join(
                                        self.d.tmp, "dockerapi", "tls", "ca.pem")})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("DOCKER_TLS_VERIFY=1", r.stdout)
        info = self.docker_via_env_sh(home, "pinned", "info")
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertIn("SDCAccount: jill", info.stdout)

    def test_setup_script_refusals(self):
        stranger = sdctest.keygen(os.path.join(self.keys, "stranger"), "rsa", 2048)
        r, _ = self.setup_script("jill", stranger, "-k")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("jill", r.stderr + r.stdout)
        r, _ = self.setup_script("nosuchuser", self.rsa, "-k")
        self.assertNotEqual(r.returncode, 0)

    # --- docker-py ---

    def test_docker_py(self):
        client = self.d.dockerpy(self.jill, version="auto")
        v = client.version()
        self.assertEqual(v["ApiVersion"], "1.41")
        self.assertEqual(v["MinAPIVersion"], "1.20")
        info = client.info()
        self.assertEqual(info["Driver"], "sdc")
        self.assertEqual(info["DriverStatus"], [["SDCAccount", "jill"]])
        self.assertGreater(info["NCPU"], 0)
        self.assertGreater(info["MemTotal"], 0)
        self.assertTrue(client.ping())
        client.close()

    # --- what needs no certificate ---

    def test_ping_and_ca_without_certificate(self):
        for method in ("GET", "HEAD"):
            status, headers, body = self.d.https(method, "/_ping")
            self.assertEqual(status, 200)
            self.assertEqual(headers["Api-Version"], "1.41")
            self.assertEqual(headers["OSType"], "linux")
            self.assertEqual(headers["Docker-Experimental"], "false")
        self.assertEqual(body, b"")
        status, _, body = self.d.https("GET", "/v1.24/_ping")
        self.assertEqual((status, body), (200, b"OK"))
        status, _, body = self.d.https("GET", "/ca.pem")
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith(b"-----BEGIN CERTIFICATE-----"))

    # --- the refusals, one each ---

    def assertRefused(self, certdir, status, words):
        st, _, body = self.d.https("GET", "/v1.24/info", certdir=certdir)
        self.assertEqual(st, status, body)
        self.assertIn(words, body.decode())
        if certdir:
            r = self.d.docker(certdir, "info")
            self.assertNotEqual(r.returncode, 0)
            self.assertNotIn("SDCAccount", r.stdout)

    def test_refuse_no_certificate(self):
        self.assertRefused(None, 401, "no client certificate")

    def test_refuse_unknown_key(self):
        key = sdctest.keygen(os.path.join(self.keys, "unknown"), "rsa", 2048)
        self.assertRefused(self.d.client_certs("jill", key), 401, "Unauthorized")

    def test_refuse_other_accounts_key(self):
        key = sdctest.keygen(os.path.join(self.keys, "mallory"), "ed25519")
        self.d.add_account("mallory", key + ".pub")
        # CN jill, with mallory's (registered) key.
        self.assertRefused(self.d.client_certs("jill", key), 401, "Unauthorized")

    def test_refuse_signed_by_another_key(self):
        """jill's public key in the certificate, but signed by another key."""
        other = sdctest.keygen(os.path.join(self.keys, "other_pem"), "rsa", 2048, fmt="PEM")
        out = os.path.join(self.d.tmp, "forged")
        os.makedirs(out)
        run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=out)
        run("openssl", "req", "-new", "-x509", "-key", other, "-subj", "/CN=jill",
            "-days", "1", "-out", "other.pem")
        run("openssl", "req", "-new", "-key", self.rsa, "-subj", "/CN=jill", "-out", "jill.csr")
        run("openssl", "x509", "-req", "-in", "jill.csr", "-CA", "other.pem", "-CAkey", other,
            "-set_serial", "7", "-days", "1", "-out", "cert.pem")
        # The private key of the TLS connection must match the cert: jill's.
        run("openssl", "pkey", "-in", self.rsa, "-out", "key.pem")
        subprocess.run(["cp", os.path.join(self.jill, "ca.pem"), out], check=True)
        self.assertRefused(out, 401, "Unauthorized")

    def test_refuse_expired_issued_certificate(self):
        good = self.d.client_certs("jill", self.rsa, outdir=os.path.join(self.d.tmp, "issued"),
                                   issued=True)
        self.assertEqual(self.d.https("GET", "/v1.24/info", certdir=good)[0], 200)
        expired = self.expired_issued_cert()
        self.assertRefused(expired, 401, "Unauthorized")

    def expired_issued_cert(self):
        """The issued form, valid only in the past, made with Python's
        cryptography: a fresh key, issuer CN = jill's key's MD5 fingerprint,
        signed by jill's key."""
        import datetime
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        with open(self.rsa, "rb") as f:
            ssh_key = serialization.load_pem_private_key(f.read(), None)
        fp = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", self.rsa + ".pub"],
                            capture_output=True, text=True, check=True).stdout.split()[1][4:]
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.utcnow()
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jill")]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fp)]))
                .public_key(key.public_key()).serial_number(42)
                .not_valid_before(now - datetime.timedelta(days=10))
                .not_valid_after(now - datetime.timedelta(days=1))
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]),
                               critical=False)
                .sign(ssh_key, hashes.SHA256()))
        out = os.path.join(self.d.tmp, "expired")
        os.makedirs(out)
        with open(os.path.join(out, "cert.pem"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(os.path.join(out, "key.pem"), "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        return out

    def test_refuse_removed_key_at_once(self):
        """A certificate checked once is remembered, but never past its key:
        removed through the admin API, the key is refused on the very next
        connection (and request); added back, it is accepted again; the
        account deleted, then made again with that key, accepts it too."""
        key = sdctest.keygen(os.path.join(self.keys, "rotate"), "ed25519")
        spare = sdctest.keygen(os.path.join(self.keys, "rotate_spare"), "rsa", 2048)
        self.d.add_account("rotator", key + ".pub")
        with open(spare + ".pub") as f:
            status, added = self.d.admin("POST", "/accounts/rotator/keys",
                                         {"key": f.read(), "name": "spare"})
        self.assertEqual(status, 201, added)
        certs = self.d.client_certs("rotator", key)
        spare_certs = self.d.client_certs("rotator", spare)
        for _ in range(3):      # the first full check, then remembered ones
            self.assertEqual(self.d.https("GET", "/v1.24/info", certdir=certs)[0], 200)
        kept = self.keepalive(certs)
        self.assertEqual(self.request(kept, "/v1.24/info")[0], 200)

        status, listed = self.d.admin("GET", "/accounts/rotator/keys")
        mine = [k["fingerprint"] for k in listed if k["name"] != "spare"]
        self.assertEqual(len(mine), 1, listed)
        self.assertEqual(self.d.admin("DELETE", "/accounts/rotator/keys/" + mine[0])[0], 204)
        # A new connection is judged afresh at the handshake; the one kept
        # alive keeps its handshake's verdict but is refused per request.
        self.assertRefused(certs, 401, "not vouched for by an SSH key of the account it names")
        status, body = self.request(kept, "/v1.24/info")
        self.assertEqual(status, 401)
        self.assertIn("no longer registered", body.decode())
        kept.close()
        self.assertEqual(self.d.https("GET", "/v1.24/info", certdir=spare_certs)[0], 200)

        self.d.add_key("rotator", key + ".pub")
        self.assertEqual(self.d.https("GET", "/v1.24/info", certdir=certs)[0], 200)

        self.assertEqual(self.d.admin("DELETE", "/accounts/rotator")[0], 204)
        self.assertRefused(certs, 401, "not vouched for by an SSH key of the account it names")
        self.d.add_account("rotator", key + ".pub")
        status, _, body = self.d.https("GET", "/v1.24/info", certdir=certs)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["DriverStatus"], [["SDCAccount", "rotator"]])
        self.assertRefused(spare_certs, 401, "not vouched for")

    def keepalive(self, certdir):
        import http.client
        import ssl
        ctx = ssl.create_default_context(
            cafile=os.path.join(self.d.tmp, "dockerapi", "tls", "ca.pem"))
        ctx.load_cert_chain(os.path.join(certdir, "cert.pem"), os.path.join(certdir, "key.pem"))
        return http.client.HTTPSConnection("127.0.0.1", self.d.docker_port, context=ctx,
                                           timeout=30)

    def request(self, conn, path):
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()

    def test_refuse_disabled_account(self):
        key = sdctest.keygen(os.path.join(self.keys, "dis"), "ed25519")
        self.d.add_account("disabled1", key + ".pub")
        certs = self.d.client_certs("disabled1", key)
        self.assertEqual(self.d.https("GET", "/v1.24/info", certdir=certs)[0], 200)
        status, acct = self.d.admin("PUT", "/accounts/disabled1", {"disabled": True})
        self.assertEqual(status, 200, acct)
        self.assertRefused(certs, 403, "disabled")

    def test_refuse_data_center_not_allowed(self):
        key = sdctest.keygen(os.path.join(self.keys, "far"), "ed25519")
        self.d.add_account("faraway", key + ".pub", allowed_dcs=["us-west-1"])
        certs = self.d.client_certs("faraway", key)
        self.d.sapiadm("update", self.sdc_app_uuid(), "metadata.account_allowed_dcs=true")
        try:
            sdctest.wait_for("allowed_dcs check", lambda: self.d.https(
                "GET", "/v1.24/info", certdir=certs)[0] == 403, 3)
            self.assertRefused(certs, 403, "not allowed")
            # jill has no allowed_dcs at all: refused too while the check is on.
            self.assertEqual(self.d.https("GET", "/v1.24/info", certdir=self.jill)[0], 403)
        finally:
            self.d.sapiadm("update", self.sdc_app_uuid(), "metadata.account_allowed_dcs=false")
            sdctest.wait_for("allowed_dcs off", lambda: self.d.https(
                "GET", "/v1.24/info", certdir=self.jill)[0] == 200, 3)

    def test_refuse_api_version_1_19(self):
        st, _, body = self.d.https("GET", "/v1.19/info", certdir=self.jill)
        self.assertEqual(st, 400)
        self.assertIn("client version 1.19 is too old. Minimum supported API version "
                      "is 1.20", body.decode())
        st, _, body = self.d.https("GET", "/v1.99/info", certdir=self.jill)
        self.assertEqual(st, 400)
        self.assertIn("too new", body.decode())
        self.assertEqual(self.d.https("GET", "/v1.20/info", certdir=self.jill)[0], 200)

    def test_unknown_route_is_json_404(self):
        st, headers, body = self.d.https("GET", "/v1.24/nonsense", certdir=self.jill)
        self.assertEqual(st, 404)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertIn(b'"message"', body)

    # --- live config ---

    def sdc_app_uuid(self):
        r = self.d.sapiadm("--json", "showapp", "sdc")
        return json.loads(r.stdout)["application"]["uuid"]

    def test_live_datacenter_name(self):
        pid = self.d.pid("dockerapi")
        self.d.sapiadm("update", self.sdc_app_uuid(), "metadata.datacenter_name=us-test-9")
        start = time.time()
        sdctest.wait_for("new Name", lambda: "Name: us-test-9" in
                         self.d.docker(self.jill, "info").stdout, 5)
        self.assertLess(time.time() - start, 1.5)
        self.assertEqual(self.d.pid("dockerapi"), pid)
        self.assertIsNone(self.d.procs["dockerapi"].poll())

    def test_readonly_maintenance(self):
        self.d.set_tunable("DC_MAINT_MESSAGE", "Upgrading the data center")
        self.d.set_tunable("DC_MAINT_ETA", "2099-01-01T00:00:00Z")
        self.d.set_tunable("DOCKER_READONLY", True)
        try:
            sdctest.wait_for("readonly", lambda: "Upgrading" in self.d.docker(
                self.jill, "create", "busybox").stderr, 3)
            r = self.d.docker(self.jill, "create", "busybox")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("Upgrading the data center", r.stderr)
            st, headers, _ = self.d.https("POST", "/v1.24/containers/create", certdir=self.jill)
            self.assertEqual(st, 503)
            self.assertGreater(int(headers["Retry-After"]), 1000)
            # Reads still work.
            self.assertIn("SDCAccount: jill", self.docker_ok(self.jill, "info"))
        finally:
            self.d.set_tunable("DOCKER_READONLY", False)
        sdctest.wait_for("writable", lambda: self.d.https(
            "POST", "/v1.24/containers/create", certdir=self.jill)[0] != 503, 3)

    def test_zz_sapi_down_still_serves(self):
        self.d.stop_one("sapi")
        self.assertIn("SDCAccount: jill", self.docker_ok(self.jill, "info"))
        # A restart while SAPI is down serves on the cached config.
        self.d.stop_one("dockerapi")
        self.d.start_dockerapi()
        self.assertIn("SDCAccount: jill", self.docker_ok(self.jill, "info"))
        self.assertIn("cached config", self.d.log("dockerapi"))
        self.d.start_sapi()


if __name__ == "__main__":
    unittest.main(verbosity=2)
