#!/usr/bin/python3
"""docker build's done-means: the real docker CLI builds one multi-stage
Dockerfile using every instruction (FROM ... AS, a stage named in FROM
and COPY --from by name and index, COPY --from an image of the account,
ONBUILD triggers of the base run, --chown by user and group name, ADD of
a tar, ARG, ENV, WORKDIR, SHELL, RUN, USER, LABEL, EXPOSE, VOLUME,
STOPSIGNAL, HEALTHCHECK, ENTRYPOINT, CMD, MAINTAINER), runs it, rebuilds
it with every step from the cache (also after a file it does not copy
changed; a copied one misses its COPY), pushes it to Debian's
docker-registry, and bob pulls and runs it.  The labels parameter and
--pull are applied.  A COPY into an existing folder leaves its mode.
Errors (a stage or image that is not there, bob's image named in
COPY --from, a --chown name the image lacks, or one read through an
/etc/passwd linking out of the image) leave no image, container or
layer.  ADD <url> and the operators' cache: 56-build-operators."""
import importlib
import json
import http.server
import os
import sys
import threading
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("58-push-common")

ONBASE = """\
FROM {bb}
ONBUILD RUN echo triggered > /trig
ONBUILD COPY trig.txt /trig2
"""

DOCKERFILE = """\
# escape=\\
ARG BASE={bb}
FROM ${{BASE}} AS builder
MAINTAINER builder@example.com
ARG GREETING=hi
ENV APP=/app \\
    MODE=multi
WORKDIR $APP
SHELL ["/bin/sh", "-c"]
RUN echo "$GREETING from the builder" > built.txt && \\
    echo "usr:x:4243:4242::/app:/bin/sh" >> /etc/passwd && echo "grp:x:4242:" > /etc/group
COPY --chown=usr:grp src/ ./src/
ADD bundle.tar /opt/
USER usr

FROM builder AS middle
RUN ls /app/src > /tmp/listing

FROM onbase
COPY --from=builder /app/built.txt /srv/
COPY --from=1 /tmp/listing /srv/
COPY --from=0 /app/src/one /srv/one
COPY --from={bb} /etc/passwd /srv/passwd.image
COPY keep.txt /tmp/sub/keep.txt
COPY *.conf /etc/conf/
COPY link.txt /srv/link.txt
LABEL org.example.v="1"
EXPOSE 8080
VOLUME /data
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s CMD ["true"]
ONBUILD RUN echo child
USER 0
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /srv/built.txt /trig /trig2 /srv/listing"]
"""


def write(root, files):
    for name, text in files.items():
        p = os.path.join(root, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)


class Helpers(common.PushTest):
    """What the 56-build-multistage and 56-build-operators tests share."""

    def build(self, ctx, *args, certs=None):
        old = os.environ.get("DOCKER_BUILDKIT")
        os.environ["DOCKER_BUILDKIT"] = "0"
        try:
            return self.d.docker(certs or self.alice, "build", *args, ctx, timeout=180)
        finally:
            if old is None:
                os.environ.pop("DOCKER_BUILDKIT", None)
            else:
                os.environ["DOCKER_BUILDKIT"] = old

    def built(self, ctx, *args, certs=None):
        r = self.build(ctx, *args, certs=certs)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr +
                         self.d.log("dockerapi")[-3000:])
        return r.stdout

    def state(self, certs=None):
        """The account's images and containers, and the layer folders."""
        certs = certs or self.alice
        layers = os.path.join(self.d.tmp, "dockerapi", "images", "layers")
        return (set(self.ok(certs, "images", "-aq", "--no-trunc").split()),
                self.ok(certs, "ps", "-aq").split(),
                sorted(os.listdir(layers)) if os.path.isdir(layers) else [])

    def context(self, name, dockerfile, files=None):
        ctx = os.path.join(self.work, name)
        write(ctx, dict({"Dockerfile": dockerfile}, **(files or {})))
        return ctx

class Multistage(Helpers):
    def test_1_multistage_cache_push_pull(self):
        bb = self.bb
        self.built(self.context("onbase", ONBASE.format(bb=bb)), "-t", "onbase")
        ctx = self.context("main", DOCKERFILE.format(bb=bb), {
            "src/one": "1\n", "src/two": "2\n", "trig.txt": "trig2\n",
            "keep.txt": "keep\n", "unused.txt": "a\n", "b.conf": "b\n",
            "a.conf": "a\n", "c.conf": "c\n"})
        os.symlink("keep.txt", os.path.join(ctx, "link.txt"))
        inner = os.path.join(self.work, "inner.txt")
        write(self.work, {"inner.txt": "from the tar\n"})
        with tarfile.open(os.path.join(ctx, "bundle.tar"), "w") as t:
            t.add(inner, arcname="bundle/inner.txt")

        out = self.built(ctx, "-t", "app:1", "--label", "org.example.param=yes")
        self.assertIn("# Executing 2 build triggers", out)
        self.assertIn("Successfully tagged app:1", out)
        img = json.loads(self.ok(self.alice, "image", "inspect", "app:1"))[0]
        cfg = img["Config"]
        self.assertEqual(cfg["Labels"], {"org.example.v": "1", "org.example.param": "yes"})
        self.assertEqual(cfg["OnBuild"], ["RUN echo child"])
        self.assertEqual(set(cfg["ExposedPorts"]), {"8080/tcp"})
        self.assertEqual(set(cfg["Volumes"]), {"/data"})
        self.assertEqual(cfg["StopSignal"], "SIGTERM")
        self.assertEqual(cfg["Healthcheck"]["Test"], ["CMD", "true"])
        self.assertEqual(cfg["Entrypoint"], ["/bin/sh", "-c"])

        # it runs: the builder's file, both triggers, the middle stage's
        self.assertEqual(self.ok(self.alice, "run", "--rm", "app:1"),
                         "hi from the builder\ntriggered\ntrig2\none\ntwo\n")
        run = ["run", "--rm", "app:1"]
        # --chown by name, read from the builder's /etc/passwd and /etc/group
        out = self.built(ctx, "--target", "builder", "-t", "app:builder")
        self.assertNotIn("Running in", out)
        self.assertEqual(self.ok(self.alice, "run", "--rm", "--entrypoint", "stat",
                                 "app:builder", "-c", "%u:%g", "/app/src/one"),
                         "4243:4242\n")
        self.assertEqual(self.ok(self.alice, *run, "cat /srv/passwd.image"),
                         "root:x:0:0:root:/root:/bin/sh\n")
        self.assertEqual(self.ok(self.alice, *run, "cat /etc/conf/*.conf /srv/link.txt"),
                         "a\nb\nc\nkeep\n")
        # /tmp keeps its 1777; the new folder is 0755
        self.assertEqual(self.ok(self.alice, *run, "stat -c %a /tmp /tmp/sub"), "1777\n755\n")

        # every step again from the cache; a file not copied changes nothing
        write(ctx, {"unused.txt": "b\n"})
        out = self.built(ctx, "-t", "app:1", "--label", "org.example.param=yes")
        self.assertNotIn("Running in", out)
        steps = [l for l in out.splitlines() if l.startswith("Step ")]
        cacheable = [l for l in steps if not l.split(" : ", 1)[1].startswith(("FROM", "ARG"))]
        # plus the two triggers and the labels' step
        self.assertEqual(out.count("Using cache"), len(cacheable) + 3, out)
        self.assertEqual(json.loads(self.ok(self.alice, "image", "inspect", "app:1"))[0]["Id"],
                         img["Id"])
        # a copied file changed: its COPY misses, what comes before hits
        write(ctx, {"keep.txt": "changed\n"})
        out = self.built(ctx, "-t", "app:2")
        before, after = out.split("COPY keep.txt /tmp/sub/keep.txt", 1)
        self.assertIn("Using cache", before)
        self.assertNotIn("Using cache", after.split("\n", 2)[1])

        # pushed, pulled by bob, run by bob
        target = self.reg.addr + "/app:1"
        self.ok(self.alice, "tag", "app:1", target)
        self.ok(self.alice, "push", target, timeout=120)
        self.ok(self.bob, "pull", target, timeout=120)
        self.assertEqual(self.ok(self.bob, "run", "--rm", target),
                         "hi from the builder\ntriggered\ntrig2\none\ntwo\n")

    def test_2_pull_and_registry_config(self):
        # --pull pulls the base from the registry for the account
        ctx = self.context("pull", "FROM %s\nRUN echo pulled > /p\n" % self.bb)
        out = self.built(ctx, "--pull", "-t", "pulled")
        self.assertIn("Step 1/2", out)
        self.assertEqual(self.ok(self.alice, "run", "--rm", "pulled", "cat", "/p"), "pulled\n")
        # bob has not pulled busybox: --pull gets it for him
        out = self.built(ctx, "--pull", "-t", "bobpulled", certs=self.bob)
        self.assertEqual(self.ok(self.bob, "run", "--rm", "bobpulled", "cat", "/p"), "pulled\n")

    def test_3_errors_leave_nothing(self):
        self.ok(self.bob, "tag", self.bb, "bobsecret")
        before = self.state()
        cases = [
            ("FROM %s\nCOPY --from=nosuch /etc/passwd /x\n" % self.bb, "nosuch"),
            ("FROM %s\nCOPY --from=bobsecret /etc/passwd /x\n" % self.bb, "bobsecret"),
            ("FROM %s AS a\nCOPY --from=0 /etc/passwd /x\n" % self.bb, "current"),
            ("FROM %s\nCOPY --chown=nobody2 a /a\n" % self.bb, "can't find uid"),
            ("FROM %s\nCOPY --chown=root:nogroup a /a\n" % self.bb, "can't find gid"),
            # /etc/passwd linking out of the image is read inside it:
            # the host's _apt is never found
            ("FROM %s\nRUN rm /etc/passwd && ln -s ../../../../../../../etc/passwd "
             "/etc/passwd\nCOPY --chown=_apt a /a\n" % self.bb, "can't find uid"),
            ("FROM %s\nCOPY --from=%s /nonexistent /x\n" % (self.bb, self.bb),
             "does not exist"),
        ]
        for i, (df, msg) in enumerate(cases):
            ctx = self.context("err%d" % i, df, {"a": "a\n"})
            r = self.build(ctx, "-t", "bad%d" % i)
            self.assertNotEqual(r.returncode, 0, df + r.stdout)
            self.assertIn(msg, r.stdout + r.stderr, df)
            self.assertEqual(self.state(), before, df)
        # ADD <url> under the pull rules: the host's loopback service and
        # the metadata address are refused before any connection
        got = []

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                got.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"host-secret\n")

            def log_message(self, *a):
                pass
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            for url in ("http://127.0.0.1:%d/secret" % srv.server_address[1],
                        "http://169.254.169.254/latest/meta-data"):
                ctx = self.context("addurl", "FROM %s\nADD %s /got\n" % (self.bb, url))
                r = self.build(ctx, "-t", "addurl")
                self.assertNotEqual(r.returncode, 0, r.stdout)
                self.assertIn("the address is not allowed", r.stdout + r.stderr)
                self.assertEqual(self.state(), before)
            self.assertEqual(got, [])
        finally:
            srv.shutdown()
            srv.server_close()
        # a reserved label as the labels parameter
        ctx = self.context("errlabel", "FROM %s\n" % self.bb)
        r = self.build(ctx, "--label", "com.joyent.package=x")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("reserved", r.stdout + r.stderr)
        self.assertEqual(self.state(), before)


if __name__ == "__main__":
    common.main()
