#!/usr/bin/python3
"""docker build, the rest of its done-means beside 56-build-multistage:
ADD <url> fetched under the pull rules (an allowed registry's address
fetched, 0600), and the operators' build cache: sdcadm-docker
build-cache usage shows an account's keys, step images and bytes, prune
empties it (the built image still runs, the next build runs every
step), and the gzip a push keeps counts in the image quota."""
import importlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("58-push-common")
ms = importlib.import_module("56-build-multistage")


class Operators(ms.Helpers):
    def test_1_add_url(self):
        # a registry the operator allowed is fetched from, as a pull would
        url = "http://%s/v2/_catalog" % self.reg.addr
        ctx = self.context("addok", "FROM %s\nADD %s /srv/\n" % (self.bb, url))
        self.built(ctx, "-t", "addok")
        out = self.ok(self.alice, "run", "--rm", "addok", "sh", "-c",
                      "stat -c %a /srv/_catalog && cat /srv/_catalog")
        self.assertTrue(out.startswith("600\n"), out)
        self.assertIn("repositories", out)

    def adm(self, *args):
        env = dict(os.environ, DOCKERAPI_ADMIN=self.d.admin_socket,
                   SAPI_URL=self.d.sapi_url, COLUMNS="200")
        r = subprocess.run([os.path.join(common.sdctest.BIN, "sdcadm-docker")] +
                           list(args), env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def test_2_operator_cache_and_quota(self):
        ctx = self.context("ops", "FROM %s\nCOPY a /a\nRUN echo x > /x\nENV E=1\n" %
                           self.bb, {"a": "a" * 4096})
        self.built(ctx, "--pull", "-t", "ops:1", certs=self.bob)   # bob's first base
        rows = {r["Login"]: r for r in json.loads(self.adm("--json", "build-cache", "usage"))}
        self.assertIn("alice", rows)
        bob = rows["bob"]
        self.assertEqual(bob["Keys"], 3, bob)
        self.assertEqual(bob["Images"], 2, bob)	# the last one is tagged
        self.assertGreater(bob["Bytes"], 4096, bob)
        self.assertIn("bob", self.adm("build-cache", "usage", "bob"))
        out = json.loads(self.adm("--json", "build-cache", "prune", "bob"))
        self.assertEqual(out["KeysDeleted"], 3, out)
        self.assertEqual(out["ImagesDeleted"], 2, out)
        self.assertEqual(json.loads(self.adm("--json", "build-cache", "usage", "bob"))["Keys"], 0)
        # the image built still runs; a rebuild runs every step again
        self.assertEqual(self.ok(self.bob, "run", "--rm", "ops:1", "cat", "/x"), "x\n")
        self.assertNotIn("Using cache", self.built(ctx, "-t", "ops:1", certs=self.bob))

        # the gzip a push keeps beside a layer counts in the image quota
        def used():
            st, q = self.d.admin("GET", "/accounts/bob/quota")
            self.assertEqual(st, 200, q)
            return q["image_bytes"]["used"]
        before = used()
        self.ok(self.bob, "tag", "ops:1", self.reg.addr + "/ops:1")
        self.ok(self.bob, "push", self.reg.addr + "/ops:1", timeout=120)
        layers = os.path.join(self.d.tmp, "dockerapi", "images", "layers")
        gz = sum(os.path.getsize(os.path.join(layers, l, "push.gz"))
                 for l in os.listdir(layers)
                 if os.path.exists(os.path.join(layers, l, "push.gz")))
        self.assertGreater(gz, 0)
        self.assertGreater(used(), before)


if __name__ == "__main__":
    common.main()
