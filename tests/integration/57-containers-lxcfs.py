#!/usr/bin/python3
"""What a container sees of its own size: the seed's walkthrough
`docker run --rm -m 128m busybox free` shows 128 MiB (sysinfo(2), answered
by the container's monitor), also in an exec; through lxcfs /proc/meminfo
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
    def test_free_shows_the_package(self):
        """The seed's walkthrough: busybox free reads sysinfo(2), which the
        container's monitor answers (monitor/sysinfo.c)."""
        out = self.ok("run", "--rm", "-m", "128m", "busybox", "free")
        mem = [line.split() for line in out.splitlines() if line.startswith("Mem:")]
        self.assertEqual(len(mem), 1, out)
        self.assertEqual(int(mem[0][1]), 128 * 1024, out)
        used, free = int(mem[0][2]), int(mem[0][3])
        self.assertLessEqual(used + free, 128 * 1024, out)
        # uptime(1) reads sysinfo too: the container's seconds, not the host's
        out = self.ok("run", "--rm", "busybox", "sh", "-c", "cat /proc/uptime")
        self.assertLess(float(out.split()[0]), 120.0, out)

    def test_sysinfo_in_exec(self):
        self.ok("run", "-d", "--name", "sysi", "-m", "256m", "busybox", "sleep", "300")
        limit = self.inspect("sysi")["HostConfig"]["Memory"]
        out = self.ok("exec", "sysi", "free")
        mem = [line.split() for line in out.splitlines() if line.startswith("Mem:")]
        self.assertEqual(int(mem[0][1]), limit // 1024, out)
        self.ok("rm", "-f", "sysi")

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
