#!/usr/bin/python3
"""Restart policies through the docker CLI: on-failure:N restarts a failing
container N times and stops there, never a clean exit; always restarts
after any exit until the user stops it (also while it waits between two
runs), with RestartCount and the "restarting" state; the refusals (an
unknown policy, a retry count with always, --restart with --rm, rm of a
restarting container); a kill with another signal than the container's
own stop signal is no stop; and after a restart of dockerapi, "always" and
"unless-stopped" containers that are not running start again, except an
"unless-stopped" one the user stopped."""
import importlib
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")


class Restart(common.ContainersTest):
    def state(self, name):
        return self.inspect(name)["State"]

    def assert_none_pending(self, name):
        """No restart of the exited container is to come: the policy is
        applied at the exit, with its die, and a restart decided is
        "restarting" (Restarting) until its start has answered, so
        "exited" without it is final on the head that took the exit (the
        only one here), where a wait of a second or two would miss a
        restart after a longer backoff."""
        st = self.state(name)
        self.assertEqual((st["Status"], st["Restarting"]), ("exited", False), name)

    def test_1_on_failure(self):
        self.ok("run", "-d", "--name", "fails", "--restart", "on-failure:2",
                "busybox", "sh", "-c", "echo run; exit 3")
        self.wait_until("two restarts", lambda: self.inspect("fails")["RestartCount"] == 2
                        and self.state("fails")["Status"] == "exited", timeout=15)
        self.assert_none_pending("fails")       # and no third
        c = self.inspect("fails")
        self.assertEqual((c["RestartCount"], c["State"]["ExitCode"]), (2, 3))
        self.assertEqual(self.ok("logs", "fails"), "run\nrun\nrun\n")
        self.assertEqual(c["HostConfig"]["RestartPolicy"],
                         {"Name": "on-failure", "MaximumRetryCount": 2})
        self.ok("run", "-d", "--name", "clean", "--restart", "on-failure",
                "busybox", "true")
        self.wait_until("the exit", lambda: self.state("clean")["Status"] == "exited")
        self.assert_none_pending("clean")
        self.assertEqual(self.inspect("clean")["RestartCount"], 0)
        self.ok("rm", "fails", "clean")

    def test_2_always_until_stopped(self):
        self.ok("run", "-d", "--name", "loops", "--restart", "always",
                "busybox", "sh", "-c", "sleep 0.3")
        self.wait_until("three restarts",
                        lambda: self.inspect("loops")["RestartCount"] >= 3, timeout=20)
        # (a duration in --until is whole seconds: a time just ahead instead)
        events = self.ok("events", "--since", "60s", "--until", "%.3f" % (time.time() + 0.5),
                         "--filter", "container=loops", "--format", "{{.Action}}")
        self.assertGreaterEqual(events.split().count("start"), 4, events)
        self.assertGreaterEqual(events.split().count("die"), 3, events)
        self.ok("stop", "-t", "1", "loops")
        self.assertEqual(self.state("loops")["Status"], "exited")
        self.assert_none_pending("loops")
        # a user start begins the count again
        self.ok("start", "loops")
        self.assertEqual(self.inspect("loops")["RestartCount"], 0)
        self.ok("rm", "-f", "loops")

    def test_3_restarting_state(self):
        # exits at once: after the fourth run the wait is 1.6 s, long
        # enough to look at it
        self.ok("run", "-d", "--name", "flaps", "--restart", "always",
                "busybox", "false")

        seen = set()

        def waiting_long():
            c = self.inspect("flaps")
            seen.add(c["State"]["Status"])
            return c["State"]["Restarting"] and c["RestartCount"] >= 4
        self.wait_until("the restarting state", waiting_long, timeout=15)
        # never "exited" between its runs, its restart's start under way
        # included: an exit shown "exited" is final
        self.assertNotIn("exited", seen)
        st = self.state("flaps")
        self.assertEqual((st["Status"], st["Running"]), ("restarting", True))
        ps = self.ok("ps", "--filter", "name=flaps", "--format", "{{.Status}}")
        self.assertTrue(ps.startswith("Restarting (1) "), ps)
        r = self.fails("rm", "flaps")
        self.assertIn("You cannot remove a restarting container", r.stderr)
        self.ok("stop", "flaps")
        self.assertEqual(self.state("flaps")["Status"], "exited")
        self.assert_none_pending("flaps")
        self.ok("rm", "flaps")

    def test_4_refusals(self):
        r = self.fails("run", "-d", "--restart", "sometimes", "busybox", "true")
        self.assertIn("invalid restart policy", r.stderr)
        r = self.fails("run", "-d", "--rm", "--restart", "always", "busybox", "true")
        self.assertIn("--restart and --rm", r.stderr)
        import docker
        client = self.d.dockerpy(self.alice).api
        try:
            with self.assertRaises(docker.errors.APIError) as cm:
                client.create_container("busybox", "true", host_config=client.create_host_config(
                    restart_policy={"Name": "always", "MaximumRetryCount": 3}))
            self.assertEqual(cm.exception.status_code, 400)
            self.assertIn("can only be used with 'on-failure'", str(cm.exception))
            with self.assertRaises(docker.errors.APIError) as cm:
                client.create_container("busybox", "true", host_config=client.create_host_config(
                    restart_policy={"Name": "sometimes"}))
            self.assertEqual(cm.exception.status_code, 400)
            self.assertIn("unknown policy 'sometimes'", str(cm.exception))
            # the CLI refuses --rm with --restart itself; the API does too
            with self.assertRaises(docker.errors.APIError) as cm:
                client.create_container("busybox", "true", host_config=client.create_host_config(
                    auto_remove=True, restart_policy={"Name": "always"}))
            self.assertEqual(cm.exception.status_code, 400)
            self.assertIn("cannot specify both --restart and --rm", str(cm.exception))
        finally:
            client.close()
        self.assertEqual(self.ok("ps", "-aq"), "")

    def test_5_daemon_restart(self):
        self.ok("run", "-d", "--name", "always", "--restart", "always",
                "busybox", "sleep", "1000")
        self.ok("run", "-d", "--name", "unless", "--restart", "unless-stopped",
                "busybox", "sleep", "1000")
        self.ok("run", "-d", "--name", "stopped", "--restart", "unless-stopped",
                "busybox", "sleep", "1000")
        self.ok("run", "-d", "--name", "plain", "busybox", "sleep", "1000")
        self.ok("stop", "-t", "0", "stopped")
        uuids = [self.uuid_of(name) for name in ("always", "unless", "plain")]
        started = {n: self.state(n)["StartedAt"] for n in ("always", "unless")}
        self.d.stop_one("dockerapi", signal.SIGKILL)
        for uuid in uuids:     # while no daemon is there, they die
            self.kill_container(uuid)
        self.d.start_dockerapi()
        # the daemon may answer before it has read every container's
        # state (a node's agent is asked once the head serves): wait for
        # the states its restart pass leaves, then check that the one
        # stopped by hand was left alone by that pass
        for name in ("always", "unless"):
            self.wait_until(name + " started again", lambda: (
                self.state(name)["Status"] == "running"
                and self.state(name)["StartedAt"] > started[name]))
        self.wait_until("plain seen exited",
                        lambda: self.state("plain")["Status"] == "exited")
        self.assertEqual(self.state("stopped")["Status"], "exited")
        self.ok("rm", "-f", "always", "unless", "stopped", "plain")

    def test_6_kill_with_another_signal(self):
        """With a stop signal of its own, a kill with another one (a reload)
        is not a stop: the exit it causes is followed by the restart."""
        self.ok("run", "-d", "--name", "reloads", "--restart", "always",
                "--stop-signal", "USR1", "busybox", "sh", "-c",
                'trap "exit 3" HUP; while true; do sleep 0.1; done')
        # its trap set (sh, its pid 1, ignores a HUP until then): the
        # loop after it has begun
        self.wait_until("the loop's sleep", lambda: "sleep 0.1" in self.ok("top", "reloads"))
        self.ok("kill", "-s", "HUP", "reloads")
        self.wait_until("the restart after HUP",
                        lambda: self.inspect("reloads")["RestartCount"] == 1)
        self.ok("kill", "reloads")       # SIGKILL: a stop
        self.wait_until("the exit", lambda: self.state("reloads")["Status"] == "exited")
        self.assert_none_pending("reloads")
        self.ok("rm", "reloads")

    # The way a crash would: the container's init killed (runc's pid file),
    # and its monitor left to record the exit.
    def kill_container(self, uuid):
        with open(os.path.join(self.zones, uuid, "pid")) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGKILL)
        state = os.path.join(self.zones, uuid, "state.json")

        def exited():
            with open(state) as f:
                return '"exited"' in f.read()
        self.wait_until("the exit of " + uuid, exited)


if __name__ == "__main__":
    common.main()
