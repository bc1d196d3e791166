#!/usr/bin/python3
"""Containers outlive dockerapi: kill it with SIGKILL while containers run
(and one exits meanwhile, one of them with --rm), start it again, and
everything is where it was: running, logging, stoppable, attachable, with
exit codes recorded by the monitors while no daemon was there."""
import importlib
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")


class Survive(common.ContainersTest):
    def test_sigkill_and_back(self):
        self.ok("run", "-d", "--name", "keeps", "busybox", "sh", "-c",
                "i=0; while true; do echo n $i; i=$((i+1)); sleep 0.1; done")
        self.ok("run", "-d", "--name", "ends", "busybox", "sh", "-c", "sleep 1; exit 4")
        self.ok("run", "-d", "--rm", "--name", "goes", "busybox", "sleep", "1")
        goes = self.uuid_of("goes")
        self.ok("create", "--name", "fresh", "busybox", "echo", "later")
        self.d.stop_one("dockerapi", signal.SIGKILL)
        time.sleep(2)
        self.d.start_dockerapi()
        self.assertEqual(self.inspect("keeps")["State"]["Status"], "running")
        st = self.inspect("ends")["State"]
        self.assertEqual((st["Status"], st["ExitCode"]), ("exited", 4))
        self.assertEqual(self.inspect("fresh")["State"]["Status"], "created")
        self.assert_gone(goes)
        self.assertNotIn("goes", self.ok("ps", "-a", "--format", "{{.Names}}"))
        before = len(self.ok("logs", "keeps").splitlines())
        time.sleep(0.5)
        lines = self.ok("logs", "keeps").splitlines()
        self.assertGreater(len(lines), before)
        self.assertEqual(lines[:3], ["n 0", "n 1", "n 2"])
        self.assertEqual(self.ok("exec", "keeps", "echo", "hello"), "hello\n")
        self.assertEqual(self.ok("start", "-a", "fresh"), "later\n")
        self.ok("stop", "-t", "1", "keeps")
        self.assertEqual(self.ok("wait", "keeps").strip(), "137")
        self.assertEqual(self.ok("run", "--rm", "busybox", "echo", "again"), "again\n")

    def test_monitor_killed(self):
        """A container whose monitor dies still stops, and says so."""
        self.ok("run", "-d", "--name", "orphan", "busybox", "sleep", "1000")
        uuid = self.uuid_of("orphan")
        mon = subprocess.run(["pgrep", "-f", "--", "--dir %s/%s " % (self.zones, uuid)],
                             capture_output=True, text=True).stdout.split()
        self.assertEqual(len(mon), 1)
        os.kill(int(mon[0]), signal.SIGKILL)
        time.sleep(0.5)
        self.assertTrue(self.inspect("orphan")["State"]["Running"])
        self.ok("stop", "-t", "1", "orphan", timeout=20)
        self.assertEqual(self.inspect("orphan")["State"]["Status"], "exited")
        self.ok("rm", "orphan")
        self.assert_gone(uuid)


if __name__ == "__main__":
    common.main()
