#!/usr/bin/env python3
"""A hung OCI runtime holds only its own request.

The node's runtime is a wrapper of runc (OCI_RUNTIME_PATH) that stalls,
for one container and one command, when the test drops a marker file:
the fault of a runc stuck on a frozen cgroup.  With RUNTIME_TIMEOUT at
3 s, the hung `docker pause` and `docker start` must end with a clear
timeout error and leave the container as it was, a second call on the
same container must wait for the first and then see that state, and
meanwhile another tenant's `docker ps` and `docker version` must be
answered: runtime calls run off dockerapi's event loop.
"""
import importlib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
common = importlib.import_module("76-containers-common")

HANG_DIR = "/tmp/sdc-test-runtime-hang.%d" % os.getpid()
WRAPPER = os.path.join(HANG_DIR, "runc")

WRAPPER_TEXT = """#!/bin/sh
# runc, except for a command and container the test marked: it stalls.
id=""
for a in "$@"; do id="$a"; done
for a in "$@"; do
    case "$a" in
    run|exec|pause|resume|update|delete)
        if [ -e "%(dir)s/$id.$a" ]; then
            : > "%(dir)s/$id.$a.hung"
            exec sleep 600
        fi
        break;;
    esac
done
exec /usr/sbin/runc "$@"
""" % {"dir": HANG_DIR}


def write_wrapper():
    os.makedirs(HANG_DIR, exist_ok=True)
    with open(WRAPPER, "w") as f:
        f.write(WRAPPER_TEXT)
    os.chmod(WRAPPER, 0o755)


class RuntimeHangTest(common.ContainersTest):
    TUNABLES = {"OCI_RUNTIME_PATH": WRAPPER, "RUNTIME_TIMEOUT": 3}

    @classmethod
    def setUpClass(cls):
        write_wrapper()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            for f in os.listdir(HANG_DIR):
                os.unlink(os.path.join(HANG_DIR, f))
            super().tearDownClass()
        finally:
            subprocess.run(["rm", "-rf", HANG_DIR])

    def hang(self, name, command):
        """Mark name's next `runc COMMAND` to stall; returns its flag file."""
        uuid = self.uuid_of(name)
        open(os.path.join(HANG_DIR, "%s.%s" % (uuid, command)), "w").close()
        return os.path.join(HANG_DIR, "%s.%s.hung" % (uuid, command))

    def unhang(self):
        for f in os.listdir(HANG_DIR):
            if f != "runc":
                os.unlink(os.path.join(HANG_DIR, f))

    def background(self, *args):
        env = self.d.docker_env(self.alice)
        return subprocess.Popen(["docker"] + list(args), env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def others_answer_while(self, p):
        """bob's ps and version are answered while p still waits on the
        hung runtime."""
        for args in (("ps", "-a"), ("version",), ("ps", "-s")):
            r = self.docker(self.bob, *args, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIsNone(p.poll(), "docker %s answered only after the "
                              "hung request had ended" % " ".join(args))

    def test_pause_hangs(self):
        self.ok("run", "-d", "--name", "slowpause", "busybox", "sleep", "600")
        flag = self.hang("slowpause", "pause")
        p = self.background("pause", "slowpause")
        self.wait_until("the runtime to stall", lambda: os.path.exists(flag))
        self.others_answer_while(p)
        # a second runtime call on the same container waits for the first
        q = self.background("unpause", "slowpause")
        out, err = p.communicate(timeout=60)
        self.assertNotEqual(p.returncode, 0, out)
        self.assertIn("did not answer within 3 s", err)
        # ... and then finds the container as the failed pause left it
        out, err = q.communicate(timeout=60)
        self.assertNotEqual(q.returncode, 0, out)
        self.assertIn("is not paused", err)
        st = self.inspect("slowpause")["State"]
        self.assertTrue(st["Running"], st)
        self.assertFalse(st["Paused"], st)
        # the runtime answers again: the container works as before
        self.unhang()
        self.ok("pause", "slowpause")
        self.assertTrue(self.inspect("slowpause")["State"]["Paused"])
        self.ok("unpause", "slowpause")
        self.ok("rm", "-f", "slowpause")

    def test_exec_hangs(self):
        self.ok("run", "-d", "--name", "slowexec", "busybox", "sleep", "600")
        flag = self.hang("slowexec", "exec")
        # detached, the answer carries the message
        p = self.background("exec", "-d", "slowexec", "sleep", "1")
        self.wait_until("the runtime to stall", lambda: os.path.exists(flag))
        self.others_answer_while(p)
        out, err = p.communicate(timeout=60)
        self.assertNotEqual(p.returncode, 0, out)
        self.assertIn("did not answer within 3 s", err)
        # attached, the CLI shows the status of the refused upgrade
        os.unlink(flag)
        r = self.fails("exec", "slowexec", "echo", "hi", timeout=60)
        self.assertIn("504", r.stderr)
        self.assertTrue(self.inspect("slowexec")["State"]["Running"])
        self.unhang()
        self.assertEqual(self.ok("exec", "slowexec", "echo", "hi"), "hi\n")
        self.ok("rm", "-f", "slowexec")

    def test_stop_paused(self):
        """A paused container stops: it is thawed off the loop for its
        signal, and its state is the exit's, not the thaw's."""
        self.ok("run", "-d", "--name", "frozen", "busybox", "sleep", "600")
        self.ok("pause", "frozen")
        self.ok("stop", "-t", "1", "frozen")
        st = self.inspect("frozen")["State"]
        self.assertEqual((st["Status"], st["Paused"]), ("exited", False), st)
        self.ok("start", "frozen")
        self.ok("pause", "frozen")
        self.ok("kill", "frozen")
        self.assertEqual(self.inspect("frozen")["State"]["Status"], "exited")
        self.ok("rm", "frozen")

    def test_runtime_named(self):
        """docker info and HostConfig.Runtime name the node's runtime;
        another one is refused."""
        self.assertEqual(self.ok("info", "--format", "{{.DefaultRuntime}}").strip(),
                         "runc")
        self.ok("create", "--name", "named", "busybox", "true")
        self.assertEqual(self.inspect("named")["HostConfig"]["Runtime"], "runc")
        r = self.fails("create", "--runtime", "crun", "busybox", "true")
        self.assertIn("\"crun\" is not supported", r.stderr)
        self.ok("rm", "named")

    def test_start_hangs(self):
        self.ok("create", "--name", "slowstart", "busybox", "sleep", "600")
        uuid = self.uuid_of("slowstart")
        flag = self.hang("slowstart", "run")
        p = self.background("start", "slowstart")
        self.wait_until("the runtime to stall", lambda: os.path.exists(flag))
        self.others_answer_while(p)
        out, err = p.communicate(timeout=60)
        self.assertNotEqual(p.returncode, 0, out)
        self.assertIn("did not answer within 3 s", err)
        st = self.inspect("slowstart")["State"]
        self.assertFalse(st["Running"], st)
        # no monitor left behind for it
        mons = subprocess.run(["pgrep", "-f", "--", "--dir " +
                               os.path.join(self.zones, uuid)],
                              capture_output=True, text=True).stdout.split()
        self.assertEqual(mons, [])
        self.unhang()
        self.ok("start", "slowstart")
        self.assertTrue(self.inspect("slowstart")["State"]["Running"])
        self.ok("rm", "-f", "slowstart")


if __name__ == "__main__":
    common.require_tools()
    common.main()
