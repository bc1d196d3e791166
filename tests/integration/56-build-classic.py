#!/usr/bin/python3
"""docker build through the classic builder with the real docker CLI
(DOCKER_BUILDKIT=0, and CLI 28's default, which /_ping's Builder-Version
sends to the classic builder) and docker-py's images.build (a path and a
file object): Docker's step lines, COPY and ADD (globs, --chown, --chmod,
a tar unpacked, .dockerignore), the config instructions, ARG and build
args, FROM scratch, --target, several tags; the result runs.  Errors: a
malformed Dockerfile names its line, COPY ../x and a symlink out of the
context are refused, a failing RUN gives Docker's message, a context over the quota is
refused; none leaves an image behind.  Another account's image is not a
base, and the built image is not the other account's."""
import importlib
import io
import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM ${BASE} AS base
ARG WHO=nobody
ENV GREETING="hello ${WHO}" \\
    EMPTY=${UNSET:-dflt}
LABEL team=blue version="1.0"
WORKDIR /app
COPY --chown=1000:1000 a.txt ./
COPY --chmod=0750 dir/ /app/dir/
COPY *.conf /etc/myconf/
ADD bundle.tar /opt/
COPY link-in /app/linked
EXPOSE 8080 53/udp
VOLUME /data
USER 1000
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --retries=2 CMD ["true"]
ONBUILD COPY . /onbuild
ENTRYPOINT ["cat"]
CMD ["/app/a.txt"]

FROM scratch AS second
COPY a.txt /
"""


def write_context(root, dockerfile=DOCKERFILE):
    os.makedirs(os.path.join(root, "dir", "sub"), exist_ok=True)
    files = {"a.txt": "alpha\n", "dir/one": "1\n", "dir/sub/two": "2\n",
             "x.conf": "x\n", "y.conf": "y\n", "secret.key": "nope\n",
             "Dockerfile": dockerfile, ".dockerignore": "*.key\n"}
    for name, text in files.items():
        with open(os.path.join(root, name), "w") as f:
            f.write(text)
    inner = os.path.join(root, "inner.txt")
    with open(inner, "w") as f:
        f.write("from the tar\n")
    with tarfile.open(os.path.join(root, "bundle.tar"), "w") as t:
        t.add(inner, arcname="bundle/inner.txt")
    os.unlink(inner)
    if not os.path.lexists(os.path.join(root, "link-in")):
        os.symlink("a.txt", os.path.join(root, "link-in"))


class Build(common.ContainersTest):
    def build(self, ctx, *args, buildkit="0", certs=None):
        env_args = ["build"] + list(args) + [ctx]
        # DOCKER_BUILDKIT unset: CLI 28 asks /_ping which builder to use
        old = os.environ.get("DOCKER_BUILDKIT")
        if buildkit is None:
            os.environ.pop("DOCKER_BUILDKIT", None)
        else:
            os.environ["DOCKER_BUILDKIT"] = buildkit
        try:
            return self.d.docker(certs or self.alice, *env_args, timeout=120)
        finally:
            if old is None:
                os.environ.pop("DOCKER_BUILDKIT", None)
            else:
                os.environ["DOCKER_BUILDKIT"] = old

    def images(self, certs=None):
        return set(self.ok("images", "-aq", "--no-trunc", certs=certs).split())

    def test_1_build_and_run(self):
        ctx = os.path.join(self.work, "ctx1")
        write_context(ctx)
        r = self.build(ctx, "--build-arg", "WHO=world", "--target", "base",
                       "-t", "built:1", "-t", "built:also")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.d.log("dockerapi")[-3000:])
        self.assertIn("Step 1/19 : ARG BASE=busybox", r.stdout)
        self.assertIn("Step 2/19 : FROM ${BASE} AS base", r.stdout)
        self.assertIn(" ---> ", r.stdout)
        self.assertIn("Successfully built ", r.stdout)
        self.assertIn("Successfully tagged built:1", r.stdout)
        self.assertIn("Successfully tagged built:also", r.stdout)

        img = json.loads(self.ok("image", "inspect", "built:1"))[0]
        cfg = img["Config"]
        self.assertIn("GREETING=hello world", cfg["Env"])
        self.assertIn("EMPTY=dflt", cfg["Env"])
        self.assertEqual(cfg["Labels"], {"team": "blue", "version": "1.0"})
        self.assertEqual(cfg["WorkingDir"], "/app")
        self.assertEqual(set(cfg["ExposedPorts"]), {"8080/tcp", "53/udp"})
        self.assertEqual(set(cfg["Volumes"]), {"/data"})
        self.assertEqual(cfg["User"], "1000")
        self.assertEqual(cfg["StopSignal"], "SIGINT")
        self.assertEqual(cfg["Healthcheck"]["Test"], ["CMD", "true"])
        self.assertEqual(cfg["Healthcheck"]["Interval"], 30 * 10**9)
        self.assertEqual(cfg["Healthcheck"]["Retries"], 2)
        self.assertEqual(cfg["OnBuild"], ["COPY . /onbuild"])
        self.assertEqual(cfg["Entrypoint"], ["cat"])
        self.assertEqual(cfg["Cmd"], ["/app/a.txt"])
        self.assertEqual(json.loads(self.ok("image", "inspect", "built:also"))[0]["Id"],
                         img["Id"])

        # the image runs, with its files as the Dockerfile put them
        self.assertEqual(self.ok("run", "--rm", "built:1"), "alpha\n")
        run = ["run", "--rm", "--user", "0", "--entrypoint", "sh", "built:1", "-c"]
        self.assertEqual(self.ok(*run, "stat -c '%u:%g' /app/a.txt"), "1000:1000\n")
        self.assertEqual(self.ok(*run, "stat -c '%a' /app/dir/sub/two"), "750\n")
        self.assertEqual(self.ok(*run, "cat /app/dir/one /app/dir/sub/two"), "1\n2\n")
        self.assertEqual(self.ok(*run, "cat /etc/myconf/x.conf /etc/myconf/y.conf"), "x\ny\n")
        self.assertEqual(self.ok(*run, "cat /opt/bundle/inner.txt"), "from the tar\n")
        self.assertEqual(self.ok(*run, "readlink /app/linked || cat /app/linked"), "alpha\n")
        # .dockerignore kept the key out, even of a COPY . (the CLI's and ours)
        self.assertNotIn("secret", self.ok(*run, "ls /etc/myconf /app"))

    def test_2_default_cli_and_scratch_stage(self):
        ctx = os.path.join(self.work, "ctx2")
        write_context(ctx)
        r = self.build(ctx, "-t", "second", buildkit=None)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.d.log("dockerapi")[-3000:])
        self.assertIn("Step 21/21 : COPY a.txt /", r.stdout)
        img = json.loads(self.ok("image", "inspect", "second"))[0]
        self.assertEqual(len(img["RootFS"]["Layers"]), 1)
        # quiet: the id alone
        r = self.build(ctx, "-q", "--target", "second")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.strip().startswith("sha256:"), r.stdout)
        # BuildKit asked for by name: a clear message
        r = self.build(ctx, buildkit="1")
        self.assertNotEqual(r.returncode, 0)

    def layers(self):
        return sorted(os.listdir(os.path.join(self.d.tmp, "dockerapi", "images", "layers")))

    def test_3_errors_leave_nothing(self):
        before = self.images()
        layers = self.layers()
        cases = [
            ("FROM busybox\nCOPY a.txt /\nFOO bar\n", "line 3: unknown instruction: FOO"),
            ("FROM busybox\nCOPY ../x /x\n", "forbidden path outside the build context"),
            ("FROM busybox\nCOPY a.txt /a\nCOPY out /x\n",
             "forbidden path outside the build context"),
            ("FROM busybox\nCOPY a.txt /a\nRUN false\n",
             "The command '/bin/sh -c false' returned a non-zero code: 1"),
            ("FROM busybox\nCOPY missing /x\n", "file not found in build context"),
            ("FROM busybox\nCOPY secret.key /x\n", "excluded by .dockerignore"),
            ("FROM busybox\nLABEL a=b\nCOPY --from=other /a /b\n", "COPY --from"),
            ("FROM busybox\nADD http://example.com/x /x\n", "ADD failed"),
        ]
        for i, (df, msg) in enumerate(cases):
            ctx = os.path.join(self.work, "bad%d" % i)
            write_context(ctx, df)
            if not os.path.lexists(os.path.join(ctx, "out")):
                os.symlink("/etc/passwd", os.path.join(ctx, "out"))
            r = self.build(ctx, "-t", "bad:%d" % i)
            self.assertNotEqual(r.returncode, 0, df + r.stdout)
            self.assertIn(msg, r.stdout + r.stderr, df)
            self.assertNotIn("root:", r.stdout + r.stderr)
        self.assertEqual(self.images(), before)
        self.assertEqual(self.ok("images", "-q", "bad"), "")
        # no container, no layer either
        self.assertEqual(self.ok("ps", "-aq"), "")
        self.assertEqual(self.layers(), layers)

    def test_4_context_over_quota(self):
        before = self.images()
        layers = self.layers()
        st, _ = self.d.admin("PUT", "/accounts/alice/quota", {"image_bytes": 4096 * 1024})
        try:
            ctx = os.path.join(self.work, "big")
            write_context(ctx, "FROM busybox\nCOPY big /big\n")
            with open(os.path.join(ctx, "big"), "wb") as f:
                f.write(os.urandom(5 * 1024 * 1024))
            r = self.build(ctx, "-t", "big")
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn("quota", r.stdout + r.stderr)
        finally:
            self.d.admin("PUT", "/accounts/alice/quota", {"image_bytes": None})
        self.assertEqual(self.images(), before)
        self.assertEqual(self.ok("ps", "-aq"), "")
        self.assertEqual(self.layers(), layers)

    def test_5_other_account(self):
        # bob's private image is no base for alice, and alice's build is not bob's
        ctx = os.path.join(self.work, "ctx5")
        write_context(ctx, "FROM busybox\nCOPY a.txt /bobs\n")
        r = self.build(ctx, "-t", "bobonly", certs=self.bob)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        write_context(ctx, "FROM bobonly\nCOPY a.txt /x\n")
        r = self.build(ctx, "-t", "steal")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("No such image", r.stdout + r.stderr)
        self.assertNotEqual(self.docker(self.alice, "image", "inspect", "bobonly").returncode, 0)

    def test_6_docker_py(self):
        import docker
        cl = self.d.dockerpy(self.alice)
        try:
            ctx = os.path.join(self.work, "ctx6")
            write_context(ctx, "FROM busybox\nCOPY a.txt /py.txt\nCMD [\"cat\", \"/py.txt\"]\n")
            img, logs = cl.images.build(path=ctx, tag="py:path")
            self.assertIn("Successfully built", "".join(l.get("stream", "") for l in logs))
            self.assertEqual(cl.containers.run("py:path", remove=True), b"alpha\n")
            # a Dockerfile as a file object: no context but itself
            f = io.BytesIO(b"FROM busybox\nENV FROMFILE=1\nCMD [\"sh\", \"-c\", \"echo $FROMFILE\"]\n")
            img, logs = cl.images.build(fileobj=f, tag="py:file")
            self.assertEqual(cl.containers.run("py:file", remove=True), b"1\n")
            with self.assertRaises((docker.errors.BuildError, docker.errors.APIError)) as e:
                cl.images.build(fileobj=io.BytesIO(b"FROM busybox\nBAD x\n"))
            self.assertIn("unknown instruction: BAD", str(e.exception))
        finally:
            cl.close()


if __name__ == "__main__":
    common.main()
