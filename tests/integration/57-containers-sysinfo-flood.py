#!/usr/bin/python3
"""A tenant calling sysinfo(2) in a tight loop cannot load the container's
monitor, which answers each call from outside the container's cgroup: the
calls are throttled (about 500 a second at most, the callers waiting in the
kernel), the monitor's CPU time stays small, and the answers stay right
(the container's memory limit)."""
import importlib
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

FLOOD = r"""
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>
int main(void) {
	struct sysinfo si;
	struct timespec a, b;
	long n = 0, bad = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		if (syscall(SYS_sysinfo, &si) != 0) bad++;
		n++;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 2000);
	printf("%ld %ld %lu\n", n, bad, (unsigned long)si.totalram * si.mem_unit);
	return 0;
}
"""


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


class SysinfoFlood(common.ContainersTest):
    def test_flood_is_throttled(self):
        src = os.path.join(self.work, "flood.c")
        exe = os.path.join(self.work, "flood")
        with open(src, "w") as f:
            f.write(FLOOD)
        subprocess.run(["cc", "-O2", "-static", "-o", exe, src], check=True)
        self.ok("run", "-d", "--name", "fl", "-m", "128m", "busybox", "sleep", "300")
        self.ok("cp", exe, "fl:/flood")
        uuid = self.uuid_of("fl")
        mons = subprocess.run(["pgrep", "-f", "--", "--dir " + os.path.join(
            self.zones, uuid)], capture_output=True, text=True).stdout.split()
        self.assertEqual(len(mons), 1, mons)
        mon = int(mons[0])
        before, t0 = cpu_ticks(mon), time.time()
        out = self.ok("exec", "fl", "/flood").split()
        used = (cpu_ticks(mon) - before) / os.sysconf("SC_CLK_TCK")
        calls, bad, total = int(out[0]), int(out[1]), int(out[2])
        print("sysinfo calls in 2 s: %d; the monitor's CPU: %.2f s" % (calls, used))
        self.assertEqual(bad, 0)
        self.assertEqual(total, self.inspect("fl")["HostConfig"]["Memory"])
        # 100 a 200 ms window: 1000 in 2 s, with room for the edges
        self.assertLess(calls, 1500, "sysinfo calls in 2 s: %d" % calls)
        self.assertGreater(calls, 100)
        self.assertLess(used, 0.5, "monitor CPU %.2fs in %.1fs" % (used, time.time() - t0))
        # an ordinary caller is not held up
        t = time.time()
        self.ok("exec", "fl", "free")
        self.assertLess(time.time() - t, 5)


if __name__ == "__main__":
    common.main()
