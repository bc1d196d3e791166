#!/usr/bin/python3
"""What a container sees of its own size, through lxcfs: /proc/meminfo
and /proc/uptime are the container's (its package's memory, its own
start), not the host's, and a tenant can neither write those files nor
lift them to reach the host's."""
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")


def meminfo_kib(text, key):
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise AssertionError("no %s in %r" % (key, text))


class Lxcfs(common.ContainersTest):
    def test_meminfo_and_uptime_are_the_containers(self):
        self.ok("run", "-d", "--name", "sized", "-m", "256m", "busybox", "sleep", "300")
        limit = self.inspect("sized")["HostConfig"]["Memory"]
        self.assertGreater(limit, 0)
        meminfo = self.ok("exec", "sized", "cat", "/proc/meminfo")
        self.assertEqual(meminfo_kib(meminfo, "MemTotal"), limit // 1024)
        with open("/proc/meminfo") as f:
            self.assertNotEqual(meminfo_kib(f.read(), "MemTotal"), limit // 1024)
        # a container just started has been up for seconds, the host longer
        uptime = self.ok("exec", "sized", "cat", "/proc/uptime")
        with open("/proc/uptime") as f:
            host_up = float(f.read().split()[0])
        self.assertLess(float(uptime.split()[0]), min(120.0, host_up))
        self.ok("rm", "-f", "sized")

    def test_the_files_are_read_only(self):
        r = self.docker(self.alice, "run", "--rm", "busybox", "sh", "-c",
                        "echo x > /proc/meminfo")
        self.assertNotEqual(r.returncode, 0)
        r = self.docker(self.alice, "run", "--rm", "busybox", "sh", "-c",
                        "umount /proc/meminfo")
        self.assertNotEqual(r.returncode, 0, "container root lifted the bind")

    def test_lxcfs_serves_the_node(self):
        with open("/proc/self/mountinfo") as f:
            self.assertIn(" /var/lib/lxcfs ", f.read())
        self.assertIn("lxcfs: containers see their own size", self.d.log("dockerapi"))


if __name__ == "__main__":
    common.main()
