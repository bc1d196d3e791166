#!/usr/bin/python3
"""Containers end to end with the real docker CLI over TLS: run (attached,
--rm, at API 1.24 and at the CLI's highest), exit codes, and the life of a
detached container: ps, logs -f, exec, top, stats, pause, stop, kill,
restart, rename, rm -f, wait, events; and nothing left behind."""
import concurrent.futures
import importlib
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")


class Run(common.ContainersTest):
    def test_run_rm_echo(self):
        self.assertEqual(self.ok("run", "--rm", "--name", "rmtest1", "busybox", "echo", "hi"),
                         "hi\n")
        env = dict(self.d.docker_env(self.alice), DOCKER_API_VERSION="1.24")
        r = subprocess.run(["docker", "run", "--rm", "--name", "rmtest2", "busybox", "echo", "hi"],
                           env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (0, "hi\n"), r.stderr)
        self.assertEqual(self.ok("ps", "-aq", "--filter", "name=rmtest"), "")

    def test_exit_codes(self):
        r = self.docker(self.alice, "run", "--name", "three", "busybox", "sh", "-c", "exit 3")
        self.assertEqual(r.returncode, 3, r.stderr)
        st = self.inspect("three")["State"]
        self.assertEqual((st["Status"], st["ExitCode"], st["OOMKilled"]), ("exited", 3, False))
        self.assertFalse(st["StartedAt"].startswith("0001"))
        self.assertGreaterEqual(st["FinishedAt"], st["StartedAt"])
        r = self.docker(self.alice, "run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "out\n", "err\n"))
        self.ok("run", "-d", "--name", "victim", "busybox", "sleep", "100")
        self.ok("kill", "victim")
        self.assertEqual(self.ok("wait", "victim").strip(), "137")
        self.assertEqual(self.inspect("victim")["State"]["ExitCode"], 137)
        r = self.docker(self.alice, "run", "--name", "nocmd", "busybox", "nosuchcommand")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nosuchcommand", r.stderr)
        self.ok("rm", "three", "victim", "nocmd")

    def test_tty_and_stdin(self):
        self.assertEqual(self.ok("run", "--rm", "-t", "busybox", "echo", "tty"), "tty\n")
        self.assertEqual(self.ok("run", "--rm", "-i", "busybox", "cat", input="piped\n"),
                         "piped\n")

    def test_exec_output_every_time(self):
        """The CLI half-closes an exec's stream at once; output queued at
        that moment must still arrive (it was lost about once in 20).
        Forty execs, four at a time: an exec created while another's
        start was under way must not take that one's folder away."""
        self.ok("run", "-d", "--name", "execd", "busybox", "sleep", "300")
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            rs = list(pool.map(lambda _: self.d.docker(
                self.alice, "exec", "execd", "echo", "hello"), range(40)))
        self.assertEqual([r.stdout for r in rs].count("hello\n"), 40,
                         [r.stderr for r in rs if r.stdout != "hello\n"])
        self.ok("rm", "-f", "execd")

    def test_detached_life(self):
        script = ('trap "echo got HUP" HUP; i=0; while true; do echo tick $i; '
                  'i=$((i+1)); sleep 0.2; done')
        cid = self.ok("run", "-d", "--name", "life", "busybox", "sh", "-c", script).strip()
        self.assertEqual(len(cid), 64)
        self.assertIn("life", self.ok("ps", "--format", "{{.Names}} {{.Status}}"))
        self.assertEqual(self.ok("ps", "-q", "--filter", "name=life"), cid[:12] + "\n")
        self.assertEqual(self.ok("ps", "-q", "--filter", "id=" + cid[:5]), cid[:12] + "\n")
        self.assertEqual(self.ok("ps", "-q", "--no-trunc", "--filter", "ancestor=busybox"),
                         cid + "\n")
        # logs -f follows, and sees the trap's line after kill -s HUP
        follow = subprocess.Popen(["docker", "logs", "-f", "life"],
                                  env=self.d.docker_env(self.alice),
                                  stdout=subprocess.PIPE, text=True)
        followed = []

        def read():
            for line in follow.stdout:
                followed.append(line)
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        self.wait_until("logs -f's first line", lambda: followed)
        self.ok("kill", "-s", "HUP", "life")
        self.wait_until("the trap", lambda: "got HUP" in self.ok("logs", "life"))
        self.assertEqual(self.ok("exec", "life", "echo", "in"), "in\n")
        r = self.docker(self.alice, "exec", "life", "sh", "-c", "exit 7")
        self.assertEqual(r.returncode, 7)
        self.assertEqual(self.ok("exec", "-i", "life", "cat", input="x\n"), "x\n")
        top = self.ok("top", "life")
        self.assertIn("PID", top)
        self.assertIn("sh -c", top)
        self.assertIn("COMMAND", self.ok("top", "life", "aux"))
        stats = self.ok("stats", "--no-stream", "--format",
                        "{{.Name}} {{.CPUPerc}} {{.MemUsage}}", "life")
        self.assertRegex(stats, r"^life \d+\.\d+% [\d.]+[KMG]iB / 1GiB")
        self.assertRegex(self.ok("ps", "-s", "--filter", "name=life", "--format", "{{.Size}}"),
                         r"^\d+(\.\d+)?[kMG]?B")
        self.assertEqual(self.ok("ps", "-q", "--filter", "status=running",
                                 "--filter", "name=life"), cid[:12] + "\n")
        self.ok("pause", "life")
        self.assertEqual(self.inspect("life")["State"]["Status"], "paused")
        self.assertIn("(Paused)", self.ok("ps", "--format", "{{.Status}}",
                                          "--filter", "name=life"))
        self.ok("unpause", "life")
        self.ok("rename", "life", "life2")
        self.assertEqual(self.inspect("life2")["Name"], "/life2")
        self.ok("restart", "-t", "1", "life2")
        self.assertEqual(self.inspect("life2")["State"]["Status"], "running")
        t0 = time.time()
        self.ok("stop", "-t", "1", "life2")
        self.assertLess(time.time() - t0, 5)
        follow.wait(10)
        reader.join(10)
        follow.stdout.close()
        out = "".join(followed)
        self.assertIn("tick 0\n", out)
        self.assertIn("got HUP\n", out)
        st = self.inspect("life2")["State"]
        self.assertEqual((st["Status"], st["ExitCode"]), ("exited", 137))
        self.assertEqual(self.ok("ps", "-aq", "--filter", "exited=137",
                                 "--filter", "name=life2"), cid[:12] + "\n")
        self.ok("start", "life2")
        uuid = self.uuid_of("life2")
        self.assertNotEqual(common.ContainersTest.cgroups_of(uuid), [])
        self.ok("rm", "-f", "life2")
        self.assert_gone(uuid)
        r = self.fails("container", "inspect", "life2")
        self.assertIn("No such container", r.stderr)

    def test_top_cpu_column(self):
        """top's C: a process that never sleeps shows its share of a CPU."""
        self.ok("run", "-d", "--name", "spins", "busybox", "sh", "-c",
                "while true; do :; done")
        lines = []

        def busy():     # C is whole percents: 0 until it has run a while
            lines[:] = self.ok("top", "spins").splitlines()
            return len(lines) > 1 and int(lines[1].split()[3]) > 0
        self.wait_until("the spinner's share of a CPU in top's C", busy)
        self.assertEqual(lines[0].split()[:4], ["UID", "PID", "PPID", "C"])
        self.ok("rm", "-f", "spins")

    def test_names_and_conflicts(self):
        self.ok("create", "--name", "taken", "busybox", "true")
        r = self.fails("create", "--name", "taken", "busybox", "true")
        self.assertIn("is already in use", r.stderr)
        r = self.fails("rm", "taken2")
        self.assertIn("No such container: taken2", r.stderr)
        self.ok("start", "-a", "taken")
        self.ok("rm", "taken")
        name = self.inspect(self.ok("create", "busybox", "true").strip())["Name"]
        self.assertRegex(name, r"^/[a-z]+_[a-z]+\d*$")
        self.ok("create", "--name", "older", "busybox", "true")
        self.ok("create", "--name", "newer", "busybox", "true")
        self.assertEqual(self.ok("ps", "-a", "--filter", "since=older",
                                 "--format", "{{.Names}}"), "newer\n")
        self.assertIn("older", self.ok("ps", "-a", "--filter", "before=newer",
                                       "--format", "{{.Names}}").split())
        self.assertEqual(self.ok("ps", "-a", "-n", "1", "--format", "{{.Names}}"), "newer\n")
        self.ok("rm", "older", "newer", name[1:])

    def test_prune(self):
        self.ok("create", "--name", "p1", "busybox", "true", certs=self.bob)
        self.ok("create", "--name", "p2", "--label", "keep=1", "busybox", "true",
                certs=self.bob)
        self.ok("run", "-d", "--name", "p3", "busybox", "sleep", "100", certs=self.bob)
        out = self.ok("container", "prune", "-f", "--filter", "label!=keep", certs=self.bob)
        self.assertIn("Deleted Containers:", out)
        self.assertEqual(sorted(self.ok("ps", "-a", "--format", "{{.Names}}",
                                        certs=self.bob).split()), ["p2", "p3"])
        self.ok("rm", "-f", "p2", "p3", certs=self.bob)

    def test_events_and_wait(self):
        since = str(int(time.time()) - 1)
        self.ok("run", "--name", "ev", "busybox", "true")
        self.ok("rm", "ev")
        out = self.ok("events", "--since", since, "--until", str(int(time.time()) + 1),
                      "--filter", "container=ev", "--format", "{{json .}}")
        msgs = [json.loads(l) for l in out.splitlines()]
        actions = [m["Action"] for m in msgs]
        for a in ("create", "start", "die", "destroy"):
            self.assertIn(a, actions)
        die = [m for m in msgs if m["Action"] == "die"][0]
        self.assertEqual(die["Actor"]["Attributes"]["exitCode"], "0")
        self.assertEqual(die["Actor"]["Attributes"]["name"], "ev")
        self.assertEqual(die["Actor"]["Attributes"]["image"], "busybox")
        # bob sees none of alice's events
        out = self.ok("events", "--since", since, "--until", str(int(time.time()) + 1),
                      certs=self.bob)
        self.assertNotIn("ev", out.split())

    def test_other_account_sees_nothing(self):
        cid = self.ok("run", "-d", "--name", "mine", "busybox", "sleep", "100").strip()
        for ref in ("mine", cid, cid[:12]):
            r = self.fails("container", "inspect", ref, certs=self.bob)
            self.assertIn("No such container", r.stderr)
            r = self.fails("stop", ref, certs=self.bob)
            self.assertIn("No such container", r.stderr)
            self.docker(self.bob, "rm", "-f", ref)
        self.assertTrue(self.inspect("mine")["State"]["Running"])
        self.assertEqual(self.ok("ps", "-aq", certs=self.bob), "")
        st, lst = self.d.admin("GET", "/containers?account=alice&all=1")
        self.assertEqual(st, 200)
        self.assertIn(cid, [c["Id"] for c in lst])
        st, _ = self.d.admin("DELETE", "/accounts/alice")
        self.assertEqual(st, 409)
        self.ok("rm", "-f", "mine")


if __name__ == "__main__":
    common.main()
