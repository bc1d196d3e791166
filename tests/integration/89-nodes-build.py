#!/usr/bin/env python3
"""docker build's RUN on the node placement gives it, through its agent.

A head (sapi + dockerapi) and one sdc-docker-agent, 25-nodes-commit's
(the agent's zones root is NOT the head's --zones, and the head's own
runtime a wrapper that refuses to run anything): a RUN step's container
can only run if the node's agent made it, started it, relayed its
output and gave its writable layer for the commit.  With the real docker CLI (the classic
builder):

- a build of two RUN steps (a file written, one of the image's files
  removed, output on stdout and stderr) succeeds; its output is in the
  build's stream; each RUN container was made, started (relayed) and
  removed by the agent, in the node's zones root, and its layer read
  from there (the agent's log), each removed before the build went on;
  none is left when the build returns;
- the image builds as it does on one machine (a head without agents,
  started beside for the comparison): the same files in each layer
  (docker save), the RUN steps' holding the file written and the
  removed file's whiteout; its history names the RUN commands, and a
  container of it shows the file and not the removed one;
- a RUN that fails gives Docker's message with its code, and leaves no
  image nor container (gone before the build's answer ends).
"""
import importlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

commit = importlib.import_module("25-nodes-commit")    # its node

BB = "/bin/busybox"
DOCKERFILE = """\
FROM tiny:1
RUN ["/bin/busybox", "sh", "-c", "echo ran-on-node; echo to-stderr >&2; \
/bin/busybox mkdir -p /made && echo built > /made/file"]
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox rm /made/file; \
echo second > /made/second"]
CMD ["/bin/busybox", "ls", "/made"]
"""


class NodesBuild(commit.ImageNode):
    """25-nodes-commit's node: the agent's zones root apart, the head's
    runtime refusing to run anything."""

    def build(self, dockerfile, *args, d=None, certs=None):
        d = d or self.d
        ctx = tempfile.mkdtemp(dir=self.d.tmp, prefix="ctx")
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(dockerfile)
        env = dict(d.docker_env(certs or self.alice), DOCKER_BUILDKIT="0")
        return subprocess.run(["docker", "build", *args, ctx], env=env,
                              capture_output=True, text=True, timeout=120)

    def containers(self):
        return self.ok("ps", "-aq").split()

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "plain", None) is not None:
            cls.plain.stop()
        super().tearDownClass()

    def layers_of(self, image, d=None, certs=None):
        """[each layer's tar's names] of docker save's image."""
        d = d or self.d
        raw = subprocess.run(["docker", "save", image],
                             env=d.docker_env(certs or self.alice),
                             capture_output=True, timeout=60)
        self.assertEqual(raw.returncode, 0, raw.stderr)
        out = tarfile.open(fileobj=io.BytesIO(raw.stdout))
        manifest = json.load(out.extractfile("manifest.json"))[0]
        names = []
        for path in manifest["Layers"]:
            layer = tarfile.open(fileobj=io.BytesIO(
                out.extractfile(path).read()))
            names.append(sorted(m.name.rstrip("/") for m in layer))
        return names

    def test_1_run_steps_on_the_node(self):
        agent_before = self.d.log("agent")
        r = self.build(DOCKERFILE, "-t", "built:1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr +
                         self.d.log("dockerapi")[-3000:] +
                         self.d.log("agent")[-3000:])
        self.assertIn("ran-on-node", r.stdout)
        self.assertIn("to-stderr", r.stdout)
        ran = [line.split()[-1] for line in r.stdout.splitlines()
               if " ---> Running in " in line]
        self.assertEqual(len(ran), 2, r.stdout)
        agent = self.d.log("agent")[len(agent_before):]
        for short in ran:
            # made, started with its output relayed, its layer read and
            # removed, each by the node's agent
            uuid = [w for w in agent.split() if w.replace("-", "").startswith(
                short)]
            self.assertTrue(uuid, "RUN container %s unknown to the agent:\n%s"
                            % (short, agent))
            u = uuid[0].rstrip(":")
            for what in ("created", "start relayed to the head", "layer"):
                self.assertIn("container %s: %s" % (u, what), agent)
            # removed before the build went on, and before it ended
            self.assertIn("container %s: removed" % u, self.d.log("agent"))
            self.assertFalse(os.path.exists(os.path.join(self.d.tmp, "node-zones", u)))
        self.assertEqual(self.containers(), [])

        # the image as one machine builds it
        layers = self.layers_of("built:1")
        self.assertEqual(len(layers), 3, layers)
        self.assertEqual(layers[0], ["bin/busybox"])
        self.assertIn("made/file", layers[1])
        self.assertIn("made/.wh.file", layers[2])
        self.assertIn("made/second", layers[2])
        self.assertEqual(layers, self.one_machine_layers())
        hist = self.ok("history", "--no-trunc", "--format", "{{.CreatedBy}}",
                       "built:1")
        self.assertIn("echo ran-on-node", hist)
        self.assertIn("echo second > /made/second", hist)
        self.assertEqual(self.ok("run", "--rm", "--network", "none",
                                 "built:1").split(), ["second"])

    def one_machine_layers(self):
        """The same build's layers on a head without agents."""
        plain = type(self).plain = sdctest.Daemons(allow_private_registries=())
        plain.start()
        certs, _ = plain.add_tenants("carol")
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            t.add(BB, arcname="bin/busybox")
        r = subprocess.run(["docker", "import", "-", "tiny:1"],
                           env=plain.docker_env(certs["carol"]),
                           input=raw.getvalue(), capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.build(DOCKERFILE, "-t", "built:1", d=plain, certs=certs["carol"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return self.layers_of("built:1", d=plain, certs=certs["carol"])

    def test_2_run_fails(self):
        images = set(self.ok("images", "-aq").split())
        r = self.build('FROM tiny:1\nRUN ["/bin/busybox", "sh", "-c", '
                       '"echo failing; exit 3"]\n', "-t", "failed:1")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("returned a non-zero code: 3", r.stdout + r.stderr)
        self.assertIn("failing", r.stdout)
        self.assertEqual(set(self.ok("images", "-aq").split()), images)
        # its container gone before the build's end
        self.assertEqual(self.containers(), [])


def main():
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
