#!/usr/bin/python3
"""docker build's RUN through the classic builder, with the real docker
CLI: shell form (SHELL's shell) and exec form, with the step's ENV, ARG,
WORKDIR and USER, its output in the build's stream, each RUN committed
as the step's image and its container removed; the image runs and shows
the files.  A failing RUN gives Docker's message and leaves no image and
no container, nor does a client leaving while a RUN runs; --rm=false
keeps a successful step's container (not with --force-rm), and --pull is
refused.  A RUN is a container of the building account like any
other: it reaches neither a host service (on the host's loopback, its
address, the gateway) nor bob's container, and sees no sapi socket.
The step cache: a build again is all "Using cache" (its RUN not run, the
same image); another build arg, changed COPY content, --no-cache and
another account miss."""
import importlib
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

DOCKERFILE = """\
FROM busybox
ARG WHO=nobody
ENV GREET=hello
WORKDIR /work
RUN echo "$GREET $WHO" > shell.txt && pwd > pwd.txt
RUN ["/bin/sh", "-c", "echo exec $GREET > /work/exec.txt"]
RUN ["touch", "/work/plain"]
USER 1000
RUN id -u > /tmp/uid.txt; echo out-to-stdout; echo err-to-stderr >&2
SHELL ["/bin/sh", "-ec"]
RUN test "$WHO" = world; echo shell-ec-ran
CMD ["cat", "/work/shell.txt", "/work/exec.txt", "/work/pwd.txt", "/tmp/uid.txt"]
"""


class BuildRun(common.ContainersTest):
    def build(self, ctx, dockerfile, *args, certs=None):
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(dockerfile)
        os.environ["DOCKER_BUILDKIT"] = "0"
        return self.d.docker(certs or self.alice, "build", *args, ctx, timeout=120)

    def images(self, certs=None):
        return set(self.ok("images", "-aq", "--no-trunc", certs=certs).split())

    def containers(self, certs=None):
        return self.ok("ps", "-aq", certs=certs).split()

    def test_1_run_forms(self):
        r = self.build(os.path.join(self.work, "ctx1"), DOCKERFILE,
                       "--build-arg", "WHO=world", "-t", "ran")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.d.log("dockerapi")[-3000:])
        self.assertIn(" ---> Running in ", r.stdout)
        self.assertIn("out-to-stdout", r.stdout)
        self.assertIn("err-to-stderr", r.stdout)
        self.assertIn("shell-ec-ran", r.stdout)
        self.assertIn("Removing intermediate container", r.stdout)
        self.assertIn("Successfully tagged ran", r.stdout)
        self.assertEqual(self.containers(), [])
        self.assertEqual(self.ok("run", "--rm", "ran"), "hello world\nexec hello\n/work\n1000\n")
        self.assertEqual(self.ok("run", "--rm", "ran", "ls", "/work"),
                         "exec.txt\nplain\npwd.txt\nshell.txt\n")
        hist = self.ok("history", "--no-trunc", "--format", "{{.CreatedBy}}", "ran")
        self.assertIn("/bin/sh -c echo \"$GREET $WHO\" > shell.txt && pwd > pwd.txt", hist)
        self.assertIn("touch /work/plain", hist)
        cfg = json.loads(self.ok("image", "inspect", "ran"))[0]["Config"]
        self.assertEqual(cfg["User"], "1000")
        self.assertEqual(cfg["Shell"], ["/bin/sh", "-ec"])

    def test_1b_copy_through_a_linked_folder(self):
        """COPY into a folder the image reaches through a link writes
        where the link points, inside the image, and keeps the link, as
        Docker does; a link pointing out of the root stays inside it."""
        ctx = os.path.join(self.work, "ctxlink")
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "f.txt"), "w") as f:
            f.write("through\n")
        df = ("FROM busybox\nRUN mkdir -p /real/sub && ln -s /real /link && "
              "ln -s ../../.. /up\n"
              "COPY f.txt /link/\nCOPY f.txt /link/sub/g.txt\n"
              "COPY f.txt /up/etc/h.txt\n")
        r = self.build(ctx, df, "-t", "linked")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.d.log("dockerapi")[-3000:])
        out = self.ok("run", "--rm", "linked", "sh", "-c",
                      "readlink /link; cat /real/f.txt /real/sub/g.txt /etc/h.txt")
        self.assertEqual(out, "/real\nthrough\nthrough\nthrough\n")
        self.ok("rmi", "linked")

    def test_2_failing_run_leaves_nothing(self):
        before = self.images()
        cases = [("FROM busybox\nRUN touch /x\nRUN false\n",
                  "The command '/bin/sh -c false' returned a non-zero code: 1"),
                 ("FROM busybox\nENV A=1\nRUN [\"sh\", \"-c\", \"exit 3\"]\n",
                  "The command 'sh -c exit 3' returned a non-zero code: 3"),
                 ("FROM busybox\nRUN [\"/no/such/binary\"]\n", "RUN")]
        for i, (df, msg) in enumerate(cases):
            r = self.build(os.path.join(self.work, "bad%d" % i), df, "-t", "bad:%d" % i)
            self.assertNotEqual(r.returncode, 0, df + r.stdout)
            self.assertIn(msg, r.stdout + r.stderr, df)
            self.assertEqual(self.containers(), [], df)
        self.assertEqual(self.images(), before)

    def test_2b_client_leaving_mid_run(self):
        before = self.images()
        ctx = os.path.join(self.work, "leave")
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write("FROM busybox\nENV X=1\nRUN echo started; sleep 120\n")
        env = dict(self.d.docker_env(self.alice), DOCKER_BUILDKIT="0")
        p = subprocess.Popen(["docker", "build", "-t", "left", ctx], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            # the RUN's container is there and has said so
            out = ""
            while "started" not in out:
                line = p.stdout.readline()
                self.assertTrue(line, out)
                out += line
            self.assertEqual(len(self.containers()), 1)
        finally:
            p.kill()
            p.wait()
        sdctest = common.sdctest
        sdctest.wait_for("the RUN container removed",
                         lambda: self.containers() == [] and self.images() == before)

    def test_2c_rm_forcerm_and_pull(self):
        df = "FROM busybox\nRUN echo kept > /k\n"
        # --rm=false keeps a successful RUN's container, as Docker does
        r = self.build(os.path.join(self.work, "keep"), df, "--rm=false", "-t", "keep")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("Removing intermediate container", r.stdout)
        kept = self.containers()
        self.assertEqual(len(kept), 1, r.stdout)
        self.ok("rm", kept[0])
        # --force-rm wins over --rm=false
        r = self.build(os.path.join(self.work, "force"), df, "--rm=false",
                       "--force-rm", "--no-cache", "-t", "force")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.containers(), [])
        # --pull pulls (docker.io is out of reach here): the pull's error,
        # and nothing made
        before = self.images()
        r = self.build(os.path.join(self.work, "pull"), df, "--pull", "-t", "pulled")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("registry-1.docker.io", r.stdout + r.stderr)
        self.assertEqual(self.images(), before)
        self.assertEqual(self.containers(), [])

    def test_3_run_is_a_tenant_container(self):
        # a TCP service of the host's on every address; the host reaches it
        srv, port = common.sdctest.host_tcp_service()
        try:
            self.ok("run", "-d", "--name", "bobsrv", "busybox", "sh", "-c",
                    "mkdir -p /www && echo bob-secret > /www/index.html && "
                    "exec httpd -f -p 80 -h /www", certs=self.bob)
            bob_ip = json.loads(self.ok("container", "inspect", "bobsrv", certs=self.bob)
                                )[0]["NetworkSettings"]["IPAddress"]
            self.assertTrue(bob_ip)
            hostip = [a for a in subprocess.run(["hostname", "-I"], capture_output=True,
                                                text=True).stdout.split() if "." in a][0]
            with socket.create_connection((hostip, port), timeout=3) as c:
                self.assertIn(b"host-service", c.recv(100))
            gw = "$(ip route | awk '/default/ {print $3}')"
            tries = " ".join("(timeout 3 nc %s %d </dev/null | sed 's|^|%s: |') &" % (a, p, a)
                             for a, p in (("127.0.0.1", port), (hostip, port), (gw, port),
                                          ("127.0.0.1", self.d.docker_port),
                                          (hostip, self.d.docker_port)))
            tries += " (timeout 3 wget -q -O - http://%s/ | sed 's|^|bob: |') &" % bob_ip
            df = ("FROM busybox\nRUN %s wait; ls %s || echo no-sapi-socket; "
                  "echo tried-all\n" % (tries, self.d.sapi_socket))
            r = self.build(os.path.join(self.work, "ctx3"), df, "-t", "probe")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("tried-all", r.stdout)
            self.assertIn("no-sapi-socket", r.stdout)
            self.assertNotIn("host-service", r.stdout)
            self.assertNotIn("bob-secret", r.stdout)
            # and bob's container answers bob's own
            r = self.d.docker(self.bob, "run", "--rm", "busybox", "sh", "-c",
                              "i=0; until wget -q -O - http://%s/ || [ $i -gt 20 ]; do "
                              "sleep 0.2; i=$((i+1)); done" % bob_ip)
            self.assertIn("bob-secret", r.stdout)
        finally:
            srv.close()
            self.d.docker(self.bob, "rm", "-f", "bobsrv")
        # --network none: no interface but lo
        r = self.build(os.path.join(self.work, "ctx4"),
                       "FROM busybox\nRUN ip -o link | cut -d: -f2 | tr -d ' \\n'; echo\n",
                       "--network", "none")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("\nlo\n", r.stdout)

    def test_4_step_cache(self):
        ctx = os.path.join(self.work, "cache")
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "f.txt"), "w") as f:
            f.write("one\n")
        df = ("FROM busybox\nARG V=1\nENV E=$V\nCOPY f.txt /f.txt\n"
              "RUN echo ran-now; cat /f.txt > /g.txt\nCMD [\"cat\", \"/g.txt\"]\n")
        r = self.build(ctx, df, "-t", "cached:1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("Using cache", r.stdout)
        first = json.loads(self.ok("image", "inspect", "cached:1"))[0]["Id"]
        # again: every step from the cache, the RUN not run, the same image
        r = self.build(ctx, df, "-t", "cached:2")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count(" ---> Using cache"), 4, r.stdout)
        self.assertNotIn("\nran-now\n", r.stdout)
        self.assertEqual(json.loads(self.ok("image", "inspect", "cached:2"))[0]["Id"], first)
        self.assertEqual(self.ok("run", "--rm", "cached:2"), "one\n")
        # another build arg: from the ENV on, built again
        r = self.build(ctx, df, "--build-arg", "V=2", "-t", "cached:3")
        self.assertEqual(r.stdout.count(" ---> Using cache"), 0, r.stdout)
        # the COPY's content changed: the COPY and what follows run again
        with open(os.path.join(ctx, "f.txt"), "w") as f:
            f.write("two\n")
        r = self.build(ctx, df, "-t", "cached:4")
        self.assertEqual(r.stdout.count(" ---> Using cache"), 1, r.stdout)
        self.assertIn("\nran-now\n", r.stdout)
        self.assertEqual(self.ok("run", "--rm", "cached:4"), "two\n")
        # --no-cache, and another account: nothing from this cache
        r = self.build(ctx, df, "--no-cache", "-t", "cached:5")
        self.assertNotIn("Using cache", r.stdout)
        r = self.build(os.path.join(self.work, "cache"), df, "-t", "bobs", certs=self.bob)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("Using cache", r.stdout)


if __name__ == "__main__":
    common.main()
