#!/usr/bin/env python3
"""OCI_RUNTIME=crun: the node runs its containers under crun, or says at
start why it cannot.

crun 1.8 refuses a v1/v2 hybrid whose v2 tree holds controllers (this
build host's layout); runc runs there.  On such a host dockerapi must stop
at start with a message naming crun, the cgroup layout and what to do,
and a bad OCI_RUNTIME or a missing binary must be refused as clearly.
Where crun can run, a representative subset runs under it: run and
logs, limits, exec, pause, update, top, userns and seccomp as a tenant
sees them, and docker info / HostConfig.Runtime naming crun.
"""
import importlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
common = importlib.import_module("76-containers-common")
sdctest = common.sdctest


def crun_runs_here():
    """crun's own rule (libcrun's cgroup mode): a hybrid whose v2 tree has
    controllers is refused."""
    try:
        if os.statvfs("/sys/fs/cgroup") and os.path.ismount("/sys/fs/cgroup/unified"):
            with open("/sys/fs/cgroup/unified/cgroup.controllers") as f:
                return f.read().strip() == ""
    except OSError:
        pass
    return True


def dockerapi_refuses(tunables):
    """Start dockerapi with tunables; it must exit non-zero.  Its log."""
    d = sdctest.Daemons()
    try:
        d.start_sapi()
        for k, v in tunables.items():
            d.set_tunable(k, v)
        d._spawn("dockerapi", [os.path.join(sdctest.BIN, "dockerapi"),
                               "--data-dir", os.path.join(d.tmp, "dockerapi"),
                               "--sapi-url", d.sapi_url,
                               "--listen", "127.0.0.1:%d" % d.docker_port,
                               "--cloudapi-listen", "127.0.0.1:%d" % d.cloudapi_port,
                               "--admin-socket", d.admin_socket,
                               "--zones", os.path.join(d.tmp, "zones")]
                  + sdctest.store_args(os.path.join(d.tmp, "dockerapi")))
        p = d.procs["dockerapi"]
        try:
            rc = p.wait(30)
        except subprocess.TimeoutExpired:
            raise AssertionError("dockerapi started with %s: %s" %
                                 (tunables, d.log("dockerapi")[-1000:]))
        assert rc != 0, d.log("dockerapi")
        return d.log("dockerapi")
    finally:
        d.stop()


class CrunRefusals(common.unittest.TestCase):
    def test_bad_name(self):
        log = dockerapi_refuses({"OCI_RUNTIME_PATH": "runc"})
        self.assertIn("OCI_RUNTIME_PATH: \"runc\" is not an absolute path", log)

    def test_missing_binary(self):
        log = dockerapi_refuses({"OCI_RUNTIME": "crun",
                                 "OCI_RUNTIME_PATH": "/nonexistent/crun"})
        self.assertIn("OCI_RUNTIME crun: /nonexistent/crun is missing", log)

    def test_host_cgroups(self):
        if crun_runs_here():
            return      # CrunSubset below runs instead
        log = dockerapi_refuses({"OCI_RUNTIME": "crun"})
        self.assertIn("OCI_RUNTIME crun: this host's cgroups refuse it", log)
        self.assertIn("use runc here", log)
        # the cause named: which controllers, and crun's own words
        with open("/sys/fs/cgroup/unified/cgroup.controllers") as f:
            ctl = ",".join(f.read().split())
        self.assertIn("no v1 hierarchy has (%s)" % ctl, log)
        self.assertIn("mount -t cgroup -o %s cgroup" % ctl, log)
        self.assertIn("cgroups in hybrid mode not supported", log)
        # and crun itself agrees: the probe is not stricter than crun
        r = subprocess.run(["crun", "--version"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)


if crun_runs_here():
    class CrunSubset(common.ContainersTest):
        TUNABLES = {"OCI_RUNTIME": "crun"}

        def test_info_and_inspect(self):
            info = json.loads(self.ok("info", "--format", "{{json .}}"))
            self.assertEqual(info["DefaultRuntime"], "crun")
            self.ok("create", "--name", "c1", "busybox", "true")
            self.assertEqual(self.inspect("c1")["HostConfig"]["Runtime"], "crun")
            r = self.fails("create", "--runtime", "runc", "busybox", "true")
            self.assertIn("runc", r.stderr)
            self.ok("rm", "c1")

        def test_run_exec_pause_update_top(self):
            out = self.ok("run", "--rm", "-m", "64m", "busybox", "sh", "-c",
                          "echo hi; cat /proc/self/uid_map")
            self.assertIn("hi", out)
            self.ok("run", "-d", "--name", "c2", "busybox", "sleep", "600")
            self.assertEqual(self.ok("exec", "c2", "echo", "x").strip(), "x")
            self.ok("pause", "c2")
            self.assertTrue(self.inspect("c2")["State"]["Paused"])
            self.ok("unpause", "c2")
            self.ok("update", "--cpu-shares", "512", "c2")
            self.assertIn("sleep", self.ok("top", "c2"))
            # seccomp: Docker's profile refuses unshare of a user namespace
            r = self.docker(self.alice, "exec", "c2", "unshare", "-U", "true")
            self.assertNotEqual(r.returncode, 0)
            self.ok("rm", "-f", "c2")


if __name__ == "__main__":
    common.require_tools()
    if not os.path.exists("/usr/bin/crun"):
        print("crun is not installed (scripts/deps.sh installs it)")
        sys.exit(1)
    common.main()
