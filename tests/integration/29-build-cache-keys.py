#!/usr/bin/python3
"""docker build's step keys are bounded, as a hostile tenant would test
them: a key goes with its image (docker rmi, docker image prune,
sdcadm-docker build-cache prune); a key hit whose image is gone is
dropped and misses; and an account building distinct steps in a loop
holds at most BUILD_CACHE_KEYS of them (read live), the oldest going
first, while another account's cache is untouched; the account's
removal takes its keys.  The operator's
`build-cache usage` shows the count."""
import importlib
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402

images_common = importlib.import_module("65-images-api-common")

CAP = 6
GONE = "sha256:" + "0" * 64


class BuildCacheKeys(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = sdctest.Daemons()
        cls.d.start_sapi()
        cls.d.set_tunable("BUILD_CACHE_KEYS", CAP)
        cls.d.start_dockerapi()
        certs, _ = cls.d.add_tenants("alice", "bob")
        cls.alice, cls.bob = certs["alice"], certs["bob"]
        with open("/bin/busybox", "rb") as f:
            cls.busybox = f.read()
        # each account's own base: a shell on scratch (one key each)
        for c in (cls.alice, cls.bob):
            cls.built(c, "FROM scratch\nCOPY bin/sh /bin/sh\n", "sh",
                      {"bin/sh": cls.busybox})

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    @classmethod
    def build(self, certs, dockerfile, tag=None, files=None, q=""):
        """POST /build: (status, the stream's text)."""
        body = images_common.tarball(dict({"Dockerfile": dockerfile.encode()},
                            **(files or {})))
        path = "/build?rm=1" + ("&t=" + tag if tag else "") + q
        st, _, out = self.raw(certs, path, body)
        text = ""
        for line in out.decode(errors="replace").splitlines():
            try:
                o = json.loads(line)
            except ValueError:
                continue
            text += o.get("stream", "") + o.get("error", "")
        return st, text

    @classmethod
    def raw(self, certs, path, body):
        return images_common.ImagesTest.api(self, certs, "POST", path, body, {
            "Content-Type": "application/x-tar"})

    @classmethod
    def built(self, certs, dockerfile, tag=None, files=None):
        st, text = self.build(certs, dockerfile, tag, files)
        assert st == 200 and "Successfully built" in text, (
            st, text, self.d.log("dockerapi")[-3000:])
        return text

    def keys(self, login):
        """The account's key count, as the operator's tool shows it."""
        env = dict(os.environ, DOCKERAPI_ADMIN=self.d.admin_socket,
                   SAPI_URL=self.d.sapi_url)
        r = subprocess.run([os.path.join(sdctest.BIN, "sdcadm-docker"), "--json",
                            "build-cache", "usage", login], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)["Keys"]

    def rows(self, login):
        uuid = self.d.store_rows("dockerapi", "SELECT uuid FROM accounts WHERE "
                                 "login = ?", (login,))[0][0]
        return self.d.store_rows("dockerapi", "SELECT step_key, image_id FROM "
                                 "build_cache_keys WHERE account = ?", (uuid,))

    def docker(self, certs, *args):
        r = self.d.docker(certs, *args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def test_1_keys_go_with_their_image(self):
        base = self.keys("alice")
        df = "FROM sh\nENV A=1\nCOPY a /a\n"
        self.built(self.alice, df, "k1", {"a": b"a" * 100})
        self.assertEqual(self.keys("alice"), base + 2)
        self.assertEqual(self.built(self.alice, df, "k1", {"a": b"a" * 100})
                         .count("Using cache"), 2)
        # rmi: the image goes, and its key (the ENV step's image stays,
        # untagged, and so does its key)
        self.docker(self.alice, "rmi", "k1")
        self.assertEqual(self.keys("alice"), base + 1)
        out = self.built(self.alice, df, "k1", {"a": b"a" * 100})
        self.assertEqual(out.count("Using cache"), 1, out)
        self.docker(self.alice, "rmi", "k1")
        # image prune: the untagged ones (the ENV step's, and one built
        # without a tag) go, with their keys
        self.built(self.alice, "FROM sh\nENV B=2\n")
        self.assertEqual(self.keys("alice"), base + 2)
        self.docker(self.alice, "image", "prune", "-f")
        self.assertEqual(self.keys("alice"), base)
        self.assertNotIn("Using cache", self.built(self.alice, df, None,
                                                   {"a": b"a" * 100}))
        # no row of the account names an image it does not have
        have = set(self.docker(self.alice, "images", "-aq", "--no-trunc").split())
        for _, img in self.rows("alice"):
            self.assertIn(img, have)

    def test_2_hit_on_a_gone_image_drops_the_key(self):
        df = "FROM sh\nRUN dd if=/dev/zero of=/f bs=1024 count=512\n"
        self.built(self.alice, df, "big")
        self.docker(self.alice, "tag", "big", "big2")
        base = self.keys("alice")
        # the RUN step's key now names an image alice does not have (as a
        # key of an image gone by any path would)
        st, q = self.d.admin("GET", "/accounts/alice/quota")
        self.assertEqual(st, 200, q)
        uuid = self.d.store_rows("dockerapi", "SELECT uuid FROM accounts WHERE "
                                 "login = 'alice'")[0][0]
        big = self.docker(self.alice, "inspect", "-f", "{{.Id}}", "big").strip()
        self.d.store_rows("dockerapi", "UPDATE build_cache_keys SET image_id = ? "
                          "WHERE account = ? AND image_id = ?", (GONE, uuid, big))
        self.assertIn((GONE,), [(i,) for _, i in self.rows("alice")])
        # the rebuild misses, and its RUN fails (past the quota): nothing
        # stores the key again, so only the lookup can have dropped it
        st, body = self.d.admin("PUT", "/accounts/alice/quota",
                                {"image_bytes": q["image_bytes"]["used"] + 64 * 1024})
        self.assertEqual(st, 200, body)
        try:
            st, text = self.build(self.alice, df)
            self.assertNotIn("Using cache\n ---> 000000000000", text)
            self.assertIn("quota", text)
        finally:
            self.d.admin("PUT", "/accounts/alice/quota", {"image_bytes": None})
        self.assertNotIn(GONE, [i for _, i in self.rows("alice")])
        self.assertEqual(self.keys("alice"), base - 1)
        self.docker(self.alice, "rmi", "big", "big2")

    def test_3_cap_holds_under_many_distinct_builds(self):
        bob_rows = self.rows("bob")
        self.assertEqual(len(bob_rows), 1)
        for i in range(3 * CAP):
            self.built(self.alice, "FROM sh\nENV N=%d\n" % i)
            self.assertLessEqual(self.keys("alice"), CAP)
        self.assertEqual(self.keys("alice"), CAP)
        # the newest steps are kept, the oldest went first
        self.assertIn("Using cache", self.built(self.alice, "FROM sh\nENV N=%d\n"
                                                % (3 * CAP - 1)))
        self.assertNotIn("Using cache", self.built(self.alice, "FROM sh\nENV N=0\n"))
        # bob's cache is his: untouched, and still used
        self.assertEqual(self.rows("bob"), bob_rows)
        self.assertIn("Using cache", self.built(
            self.bob, "FROM scratch\nCOPY bin/sh /bin/sh\n", "sh",
            {"bin/sh": self.busybox}))
        # the cap is read live: lowered, the next step stored trims to it
        self.d.set_tunable("BUILD_CACHE_KEYS", 2)
        sdctest.wait_for("the lower cap", lambda: self.built(
            self.alice, "FROM sh\nENV M=%s\n" % os.urandom(4).hex()) and
            self.keys("alice") == 2, timeout=30)
        self.d.set_tunable("BUILD_CACHE_KEYS", CAP)
        # and the operator's prune empties it
        self.built(self.alice, "FROM sh\nENV P=1\n")
        env = dict(os.environ, DOCKERAPI_ADMIN=self.d.admin_socket,
                   SAPI_URL=self.d.sapi_url)
        subprocess.run([os.path.join(sdctest.BIN, "sdcadm-docker"), "build-cache",
                        "prune", "alice"], env=env, check=True,
                       capture_output=True, timeout=60)
        self.assertEqual(self.keys("alice"), 0)
        self.assertEqual(self.rows("bob"), bob_rows)

    def test_4_account_removal_takes_its_keys(self):
        certs, _ = self.d.add_tenants("carol")
        carol = certs["carol"]
        self.built(carol, "FROM scratch\nCOPY bin/sh /bin/sh\n", "sh",
                   {"bin/sh": self.busybox})
        self.built(carol, "FROM sh\nENV C=1\n")
        uuid = self.d.store_rows("dockerapi", "SELECT uuid FROM accounts WHERE "
                                 "login = 'carol'")[0][0]
        self.assertEqual(self.keys("carol"), 2)
        st, body = self.d.admin("DELETE", "/accounts/carol?force=true")
        self.assertEqual(st, 204, body)
        self.assertEqual(self.d.store_rows("dockerapi", "SELECT COUNT(*) FROM "
                                           "build_cache_keys WHERE account = ?",
                                           (uuid,)), [(0,)])
        self.assertEqual(len(self.rows("bob")), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
