#!/usr/bin/python3
"""Docker fidelity of containers, through the docker CLI and docker-py.

The README's offline first image (docker import of busybox-static); an
exec's TTY from its create config; kill -s KILL answering once the
container is dead; container inspect holding every key of Docker's newest
ContainerInspectResponse (the API reference's schema), HostConfig.Runtime
included."""
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

REFERENCE = os.environ.get("DOCKER_API_REFERENCE") or "/work/shared/reference/docker-api"


def schema_keys(defs, name):
    """The property names of a definition, through allOf and $ref."""
    d = defs[name]
    keys = set(d.get("properties", {}))
    for part in d.get("allOf", []):
        if "$ref" in part:
            keys |= schema_keys(defs, part["$ref"].split("/")[-1])
        keys |= set(part.get("properties", {}))
    return keys


class Fidelity(common.ContainersTest):
    def client(self):
        return self.d.dockerpy(self.alice)

    def test_readme_first_image_offline(self):
        d = tempfile.mkdtemp(dir=self.work)
        os.mkdir(os.path.join(d, "bin"))
        shutil.copy("/bin/busybox", os.path.join(d, "bin"))
        for c in ("sh", "ls", "cat", "echo", "sleep", "free", "top"):
            os.symlink("busybox", os.path.join(d, "bin", c))
        tar = subprocess.run(["tar", "-C", d, "-c", "."], capture_output=True, check=True).stdout
        r = subprocess.run(["docker", "import", "-c", 'CMD ["/bin/sh"]', "-", "firstimg"],
                           input=tar, capture_output=True, env=self.d.docker_env(self.alice),
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.ok("run", "--rm", "firstimg", "echo", "hello").strip(), "hello")

    def test_exec_tty_from_create_config(self):
        self.ok("run", "-d", "--name", "ttyc", "busybox", "sleep", "60")
        cl = self.client()
        api = cl.api
        ex = api.exec_create("ttyc", ["sh", "-c", "tty; echo done"], tty=True)
        # docker-py's exec_start sends Tty false: the process keeps its TTY,
        # only the stream is framed.
        out = api.exec_start(ex["Id"], tty=False, demux=True)
        self.assertIn(b"/dev/pts/", out[0] or b"", out)
        ex = api.exec_create("ttyc", ["sh", "-c", "tty; true"], tty=False)
        out = api.exec_start(ex["Id"], tty=False, demux=True)
        self.assertIn(b"not a tty", out[0] or b"", out)
        cl.close()
        self.ok("rm", "-f", "ttyc")

    def test_kill_returns_when_dead(self):
        api = self.client().api
        for i in range(8):
            name = "killme%d" % i
            self.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
                    "trap '' TERM; while :; do sleep 1; done")
            if i == 0:
                self.ok("kill", name)
            else:
                api.kill(name)
            st = api.inspect_container(name)["State"]
            self.assertFalse(st["Running"], st)
            self.assertEqual(st["Status"], "exited", st)
            self.assertEqual(st["ExitCode"], 137, st)
        ps = self.ok("ps", "-q", "--filter", "name=killme")
        self.assertEqual(ps.strip(), "")

    def test_inspect_has_docker_keys(self):
        import yaml
        with open(os.path.join(REFERENCE, "v1.56.yaml")) as f:
            defs = yaml.safe_load(f)["definitions"]
        self.ok("create", "--name", "keys", "busybox", "true")
        j = self.inspect("keys")
        # SizeRw/SizeRootFs come only with size=1; ImageManifestDescriptor and
        # Storage only from a containerd image store; Health only with a
        # health check: dockerd leaves them out too.
        top = schema_keys(defs, "ContainerInspectResponse") - {
            "SizeRw", "SizeRootFs", "ImageManifestDescriptor", "Storage"}
        missing = {"": top - set(j)}
        missing["State"] = schema_keys(defs, "ContainerState") - {"Health"} - set(j["State"])
        # the HostConfig and Config keys Go writes with omitempty, which
        # dockerd leaves out when empty
        missing["HostConfig"] = schema_keys(defs, "HostConfig") - {
            "Annotations", "Init", "Mounts", "StorageOpt", "Sysctls",
            "Tmpfs"} - set(j["HostConfig"])
        missing["Config"] = schema_keys(defs, "ContainerConfig") - {
            "Healthcheck", "ArgsEscaped", "Shell", "StopTimeout", "ExposedPorts",
            "MacAddress", "NetworkDisabled", "OnBuild"} - set(j["Config"])
        missing["NetworkSettings"] = schema_keys(defs, "NetworkSettings") - set(
            j["NetworkSettings"])
        missing = {k: sorted(v) for k, v in missing.items() if v}
        self.assertEqual(missing, {})
        self.assertEqual(j["HostConfig"]["Runtime"], "runc")
        out = self.client().api.inspect_container("keys")
        self.assertEqual(out["HostConfig"]["Runtime"], "runc")
        self.ok("rm", "keys")

    def test_prune_space_reclaimed(self):
        self.ok("run", "--name", "fat", "busybox", "sh", "-c",
                "dd if=/dev/zero of=/big bs=1024 count=3000 2>/dev/null")
        fat = self.inspect("fat")["Id"]
        r = self.client().api.prune_containers()
        self.assertIn(fat, r["ContainersDeleted"])
        self.assertGreaterEqual(r["SpaceReclaimed"], 3000 * 1024, r)
        self.fails("inspect", "fat")
    def test_log_options_as_dockerd(self):
        r = self.fails("run", "--rm", "--log-driver", "nosuchdriver", "busybox", "true")
        self.assertIn("logger: no log driver named 'nosuchdriver' is registered", r.stderr)
        self.ok("run", "--name", "mf", "--log-opt", "max-file=3", "busybox", "echo", "hi")
        self.assertEqual(self.ok("logs", "mf"), "hi\n")
        self.assertEqual(self.inspect("mf")["HostConfig"]["LogConfig"]["Config"],
                         {"max-file": "3"})
        r = self.fails("run", "--rm", "--log-opt", "max-file=0", "busybox", "true")
        self.assertIn("max-file cannot be less than 1", r.stderr)
        self.ok("rm", "mf")

    def test_env_without_equals(self):
        # dockerd: an exec's bare name unsets the container's variable
        self.ok("run", "-d", "--name", "envc", "-e", "KEEP=1", "-e", "GONE=2",
                "busybox", "sleep", "60")
        api = self.client().api
        ex = api.exec_create("envc", ["env"], environment=["GONE", "NEW=3", "NOPE"])
        out = api.exec_start(ex["Id"]).decode()
        lines = out.splitlines()
        self.assertIn("KEEP=1", lines)
        self.assertIn("NEW=3", lines)
        self.assertFalse([l for l in lines if l.startswith("GONE") or l.startswith("NOPE")],
                         out)
        self.ok("rm", "-f", "envc")

    def test_top_ps_options(self):
        self.ok("run", "-d", "--name", "topc", "busybox", "sleep", "60")
        out = self.ok("top", "topc", "-o", "pid,comm").splitlines()
        self.assertEqual(out[0].split(), ["PID", "COMMAND"], out)
        self.assertEqual(out[1].split()[1], "sleep", out)
        self.assertEqual(self.ok("top", "topc", "aux").splitlines()[0].split()[:2],
                         ["USER", "PID"])
        self.assertEqual(self.ok("top", "topc", "-ef").splitlines()[0].split()[:2],
                         ["UID", "PID"])
        self.ok("rm", "-f", "topc")

if __name__ == "__main__":
    common.main()
