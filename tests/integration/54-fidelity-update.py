#!/usr/bin/python3
"""docker update, with the docker CLI and docker-py: memory, CPUs (--cpus,
quota and period, shares), cpuset, pids and the restart policy changed on
a running container and on a stopped one, within the container's package;
the cgroups hold the new limits at once, an allocation above the new
memory limit is killed, inspect shows them, and a restart keeps them.
More than the package, unlimited, or a field update cannot change is
refused with a 400 naming the field; another account cannot update the
container at all."""
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

MIB = 1024 * 1024


class Update(common.ContainersTest):
    def client(self, certs=None):
        return self.d.dockerpy(certs or self.alice, timeout=30)

    def cgroup(self, name, controller, f):
        path = "/sys/fs/cgroup/%s/sdc-docker/%s/%s" % (controller, self.uuid_of(name), f)
        with open(path) as fp:
            return fp.read().strip()

    def hog(self, name, mib):
        """Exit code and output of an exec holding mib MiB at once: dd's
        one block, read whole from /dev/zero (each page of it touched),
        then counted by wc.  (A shell variable that size took busybox's
        sh 10 to 20 s to build.)"""
        r = self.docker(self.alice, "exec", name, "sh", "-c",
                        "set -o pipefail; n=$(dd if=/dev/zero bs=%dM count=1 "
                        "2>/dev/null | wc -c) || exit $?; echo held $n" % mib)
        return r.returncode, r.stdout

    def test_update_running(self):
        self.ok("run", "-d", "--name", "up", "-m", "512m", "busybox", "sleep", "600")
        hc = self.inspect("up")["HostConfig"]
        self.assertEqual(hc["Memory"], 512 * MIB)
        self.assertEqual(self.hog("up", 100), (0, "held %d\n" % (100 * MIB)))
        # memory: lower, at once, enforced
        self.ok("update", "-m", "64m", "up")
        hc = self.inspect("up")["HostConfig"]
        self.assertEqual((hc["Memory"], hc["MemorySwap"]), (64 * MIB, 64 * MIB))
        self.assertEqual(int(self.cgroup("up", "memory", "memory.limit_in_bytes")), 64 * MIB)
        code, out = self.hog("up", 100)
        self.assertNotEqual(code, 0, out)
        self.assertTrue(self.inspect("up")["State"]["Running"])
        # CPUs, shares, cpuset, pids
        self.ok("update", "--cpus", "0.125", "--cpu-shares", "256", "--pids-limit", "100",
                "--cpuset-cpus", "0", "up")
        hc = self.inspect("up")["HostConfig"]
        self.assertEqual((hc["NanoCpus"], hc["CpuQuota"], hc["CpuPeriod"]),
                         (125000000, 12500, 100000))
        self.assertEqual((hc["CpuShares"], hc["PidsLimit"], hc["CpusetCpus"]),
                         (256, 100, "0"))
        self.assertEqual(self.cgroup("up", "cpu", "cpu.cfs_quota_us"), "12500")
        self.assertEqual(self.cgroup("up", "cpu", "cpu.shares"), "256")
        self.assertEqual(self.cgroup("up", "pids", "pids.max"), "100")
        self.assertEqual(self.cgroup("up", "cpuset", "cpuset.cpus"), "0")
        self.ok("update", "--cpu-quota", "20000", "--cpu-period", "200000", "up")
        self.assertEqual(self.cgroup("up", "cpu", "cpu.cfs_period_us"), "200000")
        self.assertEqual(self.inspect("up")["HostConfig"]["NanoCpus"], 100000000)
        # the restart policy
        self.ok("update", "--restart", "on-failure:3", "up")
        self.assertEqual(self.inspect("up")["HostConfig"]["RestartPolicy"],
                         {"Name": "on-failure", "MaximumRetryCount": 3})
        # docker-py
        self.client().api.update_container("up", mem_limit="96m")
        self.assertEqual(self.inspect("up")["HostConfig"]["Memory"], 96 * MIB)
        # a restart keeps every change
        self.ok("restart", "-t", "0", "up")
        self.assertEqual(int(self.cgroup("up", "memory", "memory.limit_in_bytes")), 96 * MIB)
        self.assertEqual(self.cgroup("up", "cpu", "cpu.cfs_quota_us"), "20000")
        self.assertEqual(self.cgroup("up", "pids", "pids.max"), "100")
        self.assertEqual(self.cgroup("up", "cpuset", "cpuset.cpus"), "0")
        hc = self.inspect("up")["HostConfig"]
        self.assertEqual((hc["Memory"], hc["PidsLimit"]), (96 * MIB, 100))
        self.ok("rm", "-f", "up")

    def test_update_refused(self):
        self.ok("run", "-d", "--name", "cap", "-m", "256m", "busybox", "sleep", "600")
        for args, text in (
                (("-m", "1g"), "Memory (--memory): 1073741824 bytes is more than the "
                 "package's memory (t4-standard-256M, 256 MiB)"),
                (("--cpus", "1"), "NanoCpus (--cpus): 1 CPUs is more than the package's"),
                (("--cpu-quota", "-1"), "CpuQuota (--cpu-quota): an unlimited quota"),
                (("--cpu-quota", "50000"), "CpuQuota (--cpu-quota): 0.5 CPUs is more"),
                (("--cpu-shares", "4096"), "CpuShares (--cpu-shares): 4096 is out of range"),
                (("--pids-limit", "5000"), "PidsLimit (--pids-limit): that is more than"),
                (("--pids-limit", "-1"), "PidsLimit (--pids-limit): unlimited is more"),
                (("--cpuset-cpus", "64"), "CpusetCpus (--cpuset-cpus): \"64\" is not a list"),
                (("-m", "128m", "--memory-swap", "1g"), "MemorySwap (--memory-swap): "
                 "1073741824 is not supported: swap is not offered")):
            r = self.fails("update", *args, "cap")
            self.assertIn(text, r.stderr, args)
        r = self.docker(self.alice, "update", "--blkio-weight", "300", "cap")
        if r.returncode != 0:
            self.assertIn("BlkioWeight (--blkio-weight): not supported", r.stderr)
        import docker
        api = self.client().api
        with self.assertRaises(docker.errors.APIError) as e:
            api.update_container("cap", kernel_memory="10m")
        self.assertEqual(e.exception.status_code, 400)
        self.assertIn("KernelMemory (--kernel-memory): not supported", str(e.exception))
        with self.assertRaises(docker.errors.APIError) as e:
            api._result(api._post_json(api._url("/containers/{0}/update", "cap"),
                                       data={"Devices": [{"PathOnHost": "/dev/sda"}]}))
        self.assertEqual(e.exception.status_code, 400)
        self.assertIn("Devices: not supported", str(e.exception))
        # nothing of a refused update was applied
        hc = self.inspect("cap")["HostConfig"]
        self.assertEqual((hc["Memory"], hc["NanoCpus"]), (256 * MIB, 125000000))
        self.assertEqual(int(self.cgroup("cap", "memory", "memory.limit_in_bytes")), 256 * MIB)
        # AutoRemove keeps its policy
        self.ok("run", "-d", "--rm", "--name", "auto", "busybox", "sleep", "600")
        r = self.fails("update", "--restart", "always", "auto")
        self.assertIn("Restart policy cannot be updated because AutoRemove is enabled",
                      r.stderr)
        self.ok("rm", "-f", "cap", "auto")

    def test_update_stopped_then_started(self):
        self.ok("create", "--name", "later", "-m", "512m", "busybox", "sleep", "600")
        self.ok("update", "-m", "128m", "--pids-limit", "50", "later")
        self.ok("start", "later")
        self.assertEqual(int(self.cgroup("later", "memory", "memory.limit_in_bytes")),
                         128 * MIB)
        self.assertEqual(self.cgroup("later", "pids", "pids.max"), "50")
        self.ok("rm", "-f", "later")

    def test_update_other_account(self):
        self.ok("run", "-d", "--name", "mine", "-m", "256m", "busybox", "sleep", "600")
        cid = self.inspect("mine")["Id"]
        for ref in ("mine", cid, cid[:12]):
            r = self.fails("update", "-m", "64m", ref, certs=self.bob)
            self.assertIn("No such container", r.stderr)
        import docker
        with self.assertRaises(docker.errors.NotFound):
            self.client(self.bob).api.update_container(cid, restart_policy={"Name": "always"})
        hc = self.inspect("mine")["HostConfig"]
        self.assertEqual(hc["Memory"], 256 * MIB)
        self.assertEqual(hc["RestartPolicy"]["Name"], "no")
        self.ok("rm", "-f", "mine")


if __name__ == "__main__":
    common.main()
