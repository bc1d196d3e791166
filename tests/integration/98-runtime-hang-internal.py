#!/usr/bin/env python3
"""The daemon's own children never hold the event loop.

Beside the API's runtime calls (98-runtime-hang), dockerapi runs
children of its own: `runc delete` when an AutoRemove container exits,
when prune removes, when a build's RUN container goes; `runc run` for a
build's RUN step; mke2fs and mount for an account's volume filesystem.
Each runs here under a wrapper that stalls it, once, until the test lets
it go: the wrapper writes its pid, and while it waits another tenant's
`docker ps` and `docker version` must be answered with the stalled child
still alive (on the loop, they would wait until the runtime's timeout
killed it).  Once let go, each job finishes as it would have: the
container is removed, the prune answers with it, the build completes
(its next step and its end wait for its RUN container's removal, as
Docker's do), the volume is made on its own filesystem.  A sized
volume's own filesystem (--opt size) is made the same way, and an
operator's delete of an account removes its containers so, answered
once they are gone.
"""
import importlib
import os
import shutil
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
common = importlib.import_module("76-containers-common")
import sdctest  # noqa: E402

RUNC_ROOT = "/run/sdc-docker/runc"
HANG_DIR = "/tmp/sdc-test-hang-internal.%d" % os.getpid()
BIN_DIR = os.path.join(HANG_DIR, "bin")
MIB = 1024 * 1024

# Stalls when a marker names this call: "<container id>.<command>" or
# "any.<command>" (taken by the first call that finds it).  It writes
# its pid to the marker's .hung file and waits for the .go file.  The
# runtime's state of an exited container is gone before dockerapi
# removes it (the monitor forgets it), and then dockerapi runs no runc:
# a folder pinned in that state (pin_state) makes the monitor run
# `runc delete`, which a "<container id>.keep" marker makes keep the
# state, so that dockerapi's delete runs runc; a "<container id>.fail"
# marker makes that delete fail.
WRAPPER = """#!/bin/sh
dir=%(dir)s
cmd=%(cmd)s
id=""
for a in "$@"; do id="$a"; done
for a in "$@"; do
    case "$a" in
    %(pattern)s)
        if [ "$a" = delete ] &&
            mv "$dir/$id.keep" "$dir/$id.kept" 2>/dev/null; then
            exit 0
        fi
        if [ "$a" = delete ] && [ -e "$dir/$id.fail" ]; then
            echo "delete refused by the test" >&2
            exit 1
        fi
        key=""
        if [ -e "$dir/$id.$a" ]; then key="$id.$a"
        elif mv "$dir/any.$a" "$dir/any.$a.taken" 2>/dev/null; then key="any.$a"
        fi
        if [ -n "$key" ]; then
            echo $$ > "$dir/$key.tmp" && mv "$dir/$key.tmp" "$dir/$key.hung"
            while [ ! -e "$dir/$key.go" ]; do sleep 0.05; done
        fi
        break;;
    esac
done
exec "$cmd" "$@"
"""


def write_wrapper(name, real, pattern):
    path = os.path.join(BIN_DIR, name)
    with open(path, "w") as f:
        f.write(WRAPPER % {"dir": HANG_DIR, "cmd": real, "pattern": pattern})
    os.chmod(path, 0o755)
    return path


class HangInternalTest(common.ContainersTest):
    TUNABLES = {"OCI_RUNTIME_PATH": os.path.join(BIN_DIR, "runc"),
                "RUNTIME_TIMEOUT": 20}

    @classmethod
    def setUpClass(cls):
        os.makedirs(BIN_DIR, exist_ok=True)
        write_wrapper("runc", "/usr/sbin/runc", "run|delete")
        # mke2fs as the daemon finds it on its PATH
        mke2fs = shutil.which("mke2fs", path=os.environ["PATH"] +
                              ":/usr/sbin:/sbin")
        write_wrapper("mke2fs", mke2fs, "-q")
        cls.old_path = os.environ["PATH"]
        os.environ["PATH"] = BIN_DIR + ":" + cls.old_path
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            for f in os.listdir(HANG_DIR):
                if f.endswith(".hung"):
                    open(os.path.join(HANG_DIR, f[:-5] + ".go"), "w").close()
            super().tearDownClass()
        finally:
            os.environ["PATH"] = cls.old_path
            subprocess.run(["rm", "-rf", HANG_DIR])

    def mark(self, key):
        """The next call that matches key stalls; returns its .hung path."""
        for old in (".taken", ".hung", ".go"):    # an earlier use's
            if os.path.exists(os.path.join(HANG_DIR, key + old)):
                os.remove(os.path.join(HANG_DIR, key + old))
        open(os.path.join(HANG_DIR, key), "w").close()
        return os.path.join(HANG_DIR, key + ".hung")

    def stalled(self, hung):
        """Waits for the stalled child; returns its pid."""
        self.wait_until("the child to stall", lambda: os.path.exists(hung),
                        timeout=60)
        with open(hung) as f:
            return int(f.read())

    def release(self, hung):
        open(hung[:-5] + ".go", "w").close()

    def alive(self, pid):
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False

    def others_answer_while(self, pid):
        """bob is answered while the child pid still waits."""
        for args in (("ps", "-a"), ("version",), ("volume", "ls")):
            r = self.docker(self.bob, *args, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(self.alive(pid), "docker %s was answered only "
                            "after the stalled child had been killed" %
                            " ".join(args))

    def held_while_stalled(self, hung, p, what, timeout=60):
        """The stalled child holds p (still under way: what says so if
        not), no other tenant; once let go, p ends: its out and err."""
        pid = self.stalled(hung)
        self.others_answer_while(pid)
        self.assertIsNone(p.poll(), what)
        self.release(hung)
        return p.communicate(timeout=timeout)

    def pin_state(self, name):
        """name runs: its runtime state is kept past its exit, for
        dockerapi's removal to run `runc delete`."""
        uuid = self.uuid_of(name)
        os.mkdir(os.path.join(RUNC_ROOT, uuid, "pin"))
        self.mark(uuid + ".keep")
        return self.mark(uuid + ".delete")

    def background(self, *args, env=None):
        e = self.d.docker_env(self.alice)
        e.update(env or {})
        return subprocess.Popen(["docker"] + list(args), env=e, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def names(self):
        return self.ok("ps", "-a", "--format", "{{.Names}}").split()

    def test_autoremove_delete(self):
        """runc delete of an AutoRemove container that exited."""
        self.ok("run", "-d", "--rm", "--name", "gone", "busybox",
                "sleep", "600")
        hung = self.pin_state("gone")
        self.ok("kill", "gone")
        pid = self.stalled(hung)
        self.others_answer_while(pid)
        self.release(hung)
        self.wait_until("the container to go",
                        lambda: "gone" not in self.names(), timeout=30)

    def test_prune_delete(self):
        """runc delete and the size walk of prune."""
        self.ok("run", "-d", "--name", "pruned", "busybox", "sh", "-c",
                "head -c 300000 /dev/zero > /big; sleep 600")
        hung = self.pin_state("pruned")
        self.ok("kill", "pruned")
        p = self.background("container", "prune", "-f")
        out, err = self.held_while_stalled(
            hung, p, "prune answered before its removal")
        self.assertEqual(p.returncode, 0, err)
        self.assertNotIn("pruned", self.names())
        # the writable layer's bytes, measured before the delete
        self.assertRegex(out, r"Total reclaimed space: [0-9.]+kB")
        self.assertNotIn("reclaimed space: 0B", out)

    def test_build_run_start(self):
        """runc run of a build's RUN step."""
        ctx = os.path.join(self.work, "ctx")
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write("FROM busybox\nRUN echo step-ran > /ran\n")
        hung = self.mark("any.run")
        p = self.background("build", "-t", "built", ctx,
                            env={"DOCKER_BUILDKIT": "0"})
        out, err = self.held_while_stalled(
            hung, p, "the build ended while its RUN stalled", timeout=120)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertIn("step-ran", self.ok("run", "--rm", "built", "cat", "/ran"))
        self.wait_until("the step's container to go",
                        lambda: self.names() == [], timeout=30)
        self.ok("rmi", "built")

    def build_run_pinned(self, tag, run):
        """A build whose RUN runs run once /go is made (by exec), its
        container's state pinned (pin_state): the build's process, the
        container's name and the hung path of its delete."""
        ctx = os.path.join(self.work, tag)
        os.makedirs(ctx, exist_ok=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write("FROM busybox\nRUN until [ -e /go ]; do sleep 0.05; "
                    "done; %s\n" % run)
        p = self.background("build", "--no-cache", "-t", tag, ctx,
                            env={"DOCKER_BUILDKIT": "0"})
        self.addCleanup(self.end, p)

        def running():
            return self.ok("ps", "--format", "{{.Names}}").split()
        self.wait_until("the RUN container to run", running, timeout=60)
        cid = running()[0]
        return p, cid, self.pin_state(cid)

    def build_waits_for_run_delete(self, tag, run, code):
        """The RUN container's `runc delete` stalls: the build is still
        under way while it does, and ends (with code) with it gone."""
        p, cid, hung = self.build_run_pinned(tag, run)
        self.ok("exec", cid, "touch", "/go")
        out, err = self.held_while_stalled(
            hung, p, "the build ended before its RUN container was removed",
            timeout=120)
        self.assertEqual(p.returncode, code, out + err)
        # right after the build: nothing of it left
        self.assertEqual(self.names(), [])
        return out + err

    def end(self, p):
        if p.poll() is None:
            p.kill()
        p.communicate()

    def test_build_run_delete(self):
        """runc delete of a build's RUN container: the next step, and the
        build's end, wait for it (as Docker's do, so a client listing
        containers right after a build sees none)."""
        out = self.build_waits_for_run_delete("rmwait", "echo step-ran", 0)
        self.assertLess(out.index("Removing intermediate container"),
                        out.index("Successfully built"))
        self.ok("rmi", "rmwait")

    def test_build_run_delete_failed(self):
        """The same for a RUN that failed: the error ends the build once
        its container is gone."""
        out = self.build_waits_for_run_delete("rmwaitfail", "exit 3", 1)
        self.assertIn("returned a non-zero code: 3", out)

    def test_build_run_delete_refused(self):
        """A RUN container whose removal fails: the stream says so, and
        the build goes on to its end, as Docker's does."""
        p, cid, hung = self.build_run_pinned("rmrefused", "echo step-ran")
        os.remove(hung[:-5])            # failed at once, not stalled
        fail = os.path.join(HANG_DIR, self.uuid_of(cid) + ".fail")
        open(fail, "w").close()
        self.addCleanup(lambda: os.path.exists(fail) and os.remove(fail))
        self.ok("exec", cid, "touch", "/go")
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertIn("Error removing intermediate container", out)
        self.assertIn("delete refused by the test", out)
        self.assertIn("Successfully built", out)
        # the container stays, for its owner to remove
        self.assertEqual(self.names(), [cid])
        os.remove(fail)
        self.ok("rm", "-f", cid)
        self.ok("rmi", "rmrefused")

    def test_volume_fs(self):
        """mke2fs of the account's volume filesystem (QUOTA_VOLUME_BYTES)."""
        st, _ = self.d.admin("PUT", "/accounts/alice/quota",
                             {"volume_bytes": 16 * MIB})
        self.assertIn(st, (200, 204))
        hung = self.mark("any.-q")
        p = self.background("volume", "create", "capped")
        out, err = self.held_while_stalled(
            hung, p, "the volume was made before its filesystem")
        self.assertEqual(p.returncode, 0, err)
        # the volume lives on the account's filesystem: 16 MiB at most
        r = self.ok("run", "--rm", "-v", "capped:/v", "busybox", "sh", "-c",
                    "head -c 20000000 /dev/zero > /v/f; df -k /v | tail -1")
        self.assertLess(int(r.split()[1]), 17 * 1024, r)
        self.ok("volume", "rm", "capped")

    def test_volume_fs_at_create(self):
        """mke2fs of the account's volume filesystem at a container's
        create that makes the account's first volume (-v): the create
        waits for it, held by its name, nothing of it listed meanwhile."""
        st, _ = self.d.admin("PUT", "/accounts/alice/quota",
                             {"volume_bytes": 16 * MIB})
        self.assertIn(st, (200, 204))
        st, j = self.d.admin("GET", "/accounts/alice")
        img = os.path.join(self.d.tmp, "dockerapi", "volumes",
                           j["uuid"] + ".img")
        # an earlier test's filesystem goes after its last volume's rm
        self.wait_until("the account's filesystem to go",
                        lambda: not os.path.exists(img), timeout=30)
        hung = self.mark("any.-q")
        p = self.background("create", "--name", "filler", "-v",
                            "firstvol:/v", "busybox", "true")
        pid = self.stalled(hung)
        self.others_answer_while(pid)
        self.assertIsNone(p.poll(), "the container was made before its "
                          "account's volume filesystem")
        self.assertNotIn("filler", self.names())
        r = self.docker(self.alice, "create", "--name", "filler",
                        "busybox", "true")
        self.assertIn("is already in use", r.stderr)
        self.release(hung)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(self.inspect("filler")["Mounts"][0]["Name"],
                         "firstvol")
        self.assertTrue(os.path.exists(img), "no filesystem for the quota")
        self.ok("rm", "filler")
        self.ok("volume", "rm", "firstvol")

    def test_volume_sized_fs(self):
        """mke2fs of a sized volume's own filesystem (--opt size)."""
        # the account's filesystem, if its quota asks for one, made first
        self.ok("volume", "create", "plain")
        hung = self.mark("any.-q")
        p = self.background("volume", "create", "--opt", "size=4m", "sized")
        pid = self.stalled(hung)
        self.others_answer_while(pid)
        self.assertIsNone(p.poll(), "the volume was answered before its "
                          "filesystem was made")
        self.assertNotIn("sized", self.ok("volume", "ls", "-q").split())
        self.release(hung)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        r = self.ok("run", "--rm", "-v", "sized:/v", "busybox", "sh", "-c",
                    "df -k /v | tail -1")
        self.assertLess(int(r.split()[1]), 5 * 1024, r)
        self.ok("volume", "rm", "sized", "plain")

    def test_volume_sized_fs_fails(self):
        """A sized volume whose mke2fs fails on its thread: refused, and
        nothing of it left."""
        self.ok("volume", "create", "plain")
        st, j = self.d.admin("GET", "/accounts/alice")
        folder = os.path.join(self.d.tmp, "dockerapi", "volumes", j["uuid"])
        before = sorted(os.listdir(folder))
        hung = self.mark("any.-q")
        p = self.background("volume", "create", "--opt", "size=4m", "broken")
        os.kill(self.stalled(hung), 9)
        out, err = p.communicate(timeout=60)
        self.assertNotEqual(p.returncode, 0, out)
        self.assertEqual(self.ok("volume", "ls", "-q").split(), ["plain"])
        self.assertEqual(sorted(os.listdir(folder)), before)
        self.ok("volume", "rm", "plain")

    def test_account_delete(self):
        """runc delete of an account's containers, deleted by an operator."""
        key = os.path.join(self.work, "carol")
        sdctest.keygen(key, "ed25519")
        self.d.add_account("carol", key + ".pub")
        carol = self.d.client_certs("carol", key)
        for args in (("pull", self.reg.addr + "/busybox"),
                     ("tag", self.reg.addr + "/busybox", "busybox"),
                     ("run", "-d", "--name", "doomed", "busybox", "sleep",
                      "600")):
            self.ok(*args, certs=carol)
        uuid = self.uuid_of_as("doomed", carol)
        # its state kept past the kill, as pin_state does
        os.mkdir(os.path.join(RUNC_ROOT, uuid, "pin"))
        self.mark(uuid + ".keep")
        hung = self.mark(uuid + ".delete")
        answer = {}
        t = threading.Thread(target=lambda: answer.update(
            st=self.d.admin("DELETE", "/accounts/carol?force=true")[0]))
        t.start()
        pid = self.stalled(hung)
        self.others_answer_while(pid)
        self.assertNotIn("st", answer, "the account's delete was answered "
                         "before its container was removed")
        self.release(hung)
        t.join(60)
        self.assertEqual(answer.get("st"), 204)
        self.assertEqual(self.d.admin("GET", "/accounts/carol")[0], 404)
        self.assert_gone(uuid)

    def uuid_of_as(self, name, certs):
        st, j = self.d.admin("GET", "/containers/" +
                             self.inspect(name, certs=certs)["Id"])
        self.assertEqual(st, 200, j)
        return j["Uuid"]

if __name__ == "__main__":
    common.require_tools()
    common.main()
