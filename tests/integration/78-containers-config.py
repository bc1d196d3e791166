#!/usr/bin/python3
"""Containers as the config service shapes them: packages and their real
limits, reserved labels, log drivers and their options, log rotation
(also when DEFAULT_MAX_LOG_SIZE changes under a running container), and
the core flow through docker-py."""
import glob
import importlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

MEMFILE = "/sys/fs/cgroup/memory/memory.limit_in_bytes"
CHATTY = "i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done"


class Config(common.ContainersTest):
    def mem_inside(self, *args):
        return int(self.ok("run", "--rm", *args, "busybox", "sh", "-c",
                           "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat " + MEMFILE))

    def test_packages(self):
        self.assertEqual(self.mem_inside("-m", "3g"), 4 << 30)
        self.assertEqual(self.mem_inside(), 1 << 30)           # DEFAULT_MEMORY
        self.assertEqual(self.mem_inside("-m", "100m"), 128 << 20)
        # the smallest package of that many vCPUs (2G: 1), whatever its
        # memory; few enough that it fits the node's CPUs (93-isolation-
        # limits refuses one that does not)
        self.assertEqual(self.mem_inside("--cpus", "0.75"), 2 << 30)
        self.assertEqual(self.mem_inside("--storage-opt", "size=60G"), 4 << 30)
        self.ok("create", "--name", "pkg", "-m", "3g", "busybox", "true")
        c = self.inspect("pkg")
        self.assertEqual(c["Config"]["Labels"]["com.joyent.package"], "t4-standard-4G")
        self.assertEqual(c["HostConfig"]["Memory"], 4 << 30)
        self.assertEqual(c["HostConfig"]["CpuQuota"], 200000)
        self.assertEqual(c["HostConfig"]["NanoCpus"], 2000000000)
        self.ok("rm", "pkg")
        self.assertEqual(self.mem_inside("--label", "com.joyent.package=t4-standard-512M"),
                         512 << 20)
        self.assertEqual(self.mem_inside("--label", "com.joyent.package=e7aac5c3"), 512 << 20)
        r = self.fails("run", "--rm", "-m", "100g", "busybox", "true")
        self.assertIn("no package supports the given container constraints: memory=", r.stderr)
        r = self.fails("run", "--rm", "--label", "com.joyent.package=nope", "busybox", "true")
        self.assertIn("nope", r.stderr)

    def test_cpu_quota_is_real(self):
        out = self.ok("run", "--rm", "-m", "256m", "busybox", "sh", "-c",
                      "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us")
        self.assertEqual(int(out), 12500)

    def test_reserved_labels(self):
        r = self.fails("run", "--rm", "--label", "triton.bogus=1", "busybox", "true")
        self.assertIn('invalid label: Unrecognized special triton tag "triton.bogus"', r.stderr)
        r = self.fails("run", "--rm", "--label", "com.joyent.nope=1", "busybox", "true")
        self.assertIn("com.joyent.nope", r.stderr)
        r = self.fails("run", "--rm", "--label", "triton.cns.disable=maybe", "busybox", "true")
        self.assertIn("triton.cns.disable", r.stderr)
        self.ok("create", "--name", "lab", "--label", "triton.cns.disable=true",
                "--label", "team=blue", "busybox", "true")
        self.assertEqual(self.ok("ps", "-a", "--filter", "label=team=blue",
                                 "--format", "{{.Names}}"), "lab\n")
        self.assertEqual(self.ok("ps", "-a", "--filter", "label=team=red", "-q"), "")
        self.ok("rm", "lab")
        # a label the operator defines is accepted at once
        self.d.set_tunable("RESERVED_LABELS", {"triton.new": "string",
                                               "com.joyent.package": "string"})
        self.wait_until("the new label", lambda: self.docker(
            self.alice, "run", "--rm", "--label", "triton.new=x", "busybox", "true"
        ).returncode == 0)
        self.d.set_tunable("RESERVED_LABELS", {"triton.cns.disable": "boolean",
                                               "com.joyent.package": "string"})

    def test_log_drivers(self):
        r = self.fails("run", "--rm", "--log-driver", "syslog", "busybox", "true")
        self.assertIn('Log driver "syslog" is not enabled', r.stderr)
        r = self.fails("run", "--rm", "--log-driver", "bogus", "busybox", "true")
        self.assertIn("bogus", r.stderr)
        r = self.fails("run", "--rm", "--log-opt", "colour=red", "busybox", "true")
        self.assertIn("unknown log opt 'colour' for json-file log driver", r.stderr)
        self.d.set_tunable("ENABLED_LOG_DRIVERS", "json-file,syslog,gelf,fluentd,none")
        self.wait_until("syslog enabled", lambda: self.docker(
            self.alice, "run", "--rm", "--log-driver", "syslog", "--log-opt",
            "syslog-address=udp://192.0.2.1:514", "busybox", "true").returncode == 0)
        for args, words in (
                (("--log-driver", "syslog"), "syslog-address"),
                (("--log-driver", "syslog", "--log-opt", "syslog-address=unix:///x"),
                 "syslog-address"),
                (("--log-driver", "gelf", "--log-opt", "gelf-address=http://h:1"),
                 "gelf-address"),
                (("--log-driver", "fluentd", "--log-opt", "fluentd-address=h"),
                 "fluentd-address"),
                (("--log-driver", "syslog", "--log-opt", "syslog-address=udp://h",
                  "--log-opt", "max-size=1k"),
                 "unknown log opt 'max-size' for syslog log driver"),
                (("--log-driver", "none", "--log-opt", "max-size=1k"), "none")):
            r = self.fails("run", "--rm", *args, "busybox", "true")
            self.assertIn(words, r.stderr)
        self.ok("run", "--name", "gl", "--log-driver", "gelf", "--log-opt",
                "gelf-address=udp://192.0.2.1:12201", "busybox", "echo", "kept")
        uuid = self.uuid_of("gl")
        with open(os.path.join(self.zones, uuid, "logs", "stdio.log")) as f:
            self.assertIn('"log":"kept\\n"', f.read())
        self.ok("run", "--name", "nolog", "--log-driver", "none", "busybox", "echo", "x")
        self.assertFalse(os.path.exists(os.path.join(self.zones, self.uuid_of("nolog"),
                                                     "logs", "stdio.log")))
        self.assertEqual(self.inspect("gl")["HostConfig"]["LogConfig"]["Type"], "gelf")
        self.ok("rm", "gl", "nolog")
        self.d.set_tunable("ENABLED_LOG_DRIVERS", "json-file")

    def test_rotation(self):
        self.ok("run", "--name", "chatty", "--log-opt", "max-size=10k", "busybox",
                "sh", "-c", CHATTY)
        logs = os.path.join(self.zones, self.uuid_of("chatty"), "logs")
        rotated = glob.glob(os.path.join(logs, "stdio.log.*"))
        self.assertGreater(len(rotated), 3)
        for p in rotated:
            self.assertRegex(os.path.basename(p),
                             r"^stdio\.log\.\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
            self.assertLessEqual(os.path.getsize(p), 10 * 1024)
        out = self.ok("logs", "chatty").splitlines()
        self.assertEqual(out, ["line %d" % i for i in range(3000)])
        self.assertEqual(self.ok("logs", "--tail", "2", "chatty"), "line 2998\nline 2999\n")
        ts = self.ok("logs", "-t", "--tail", "1", "chatty")
        self.assertRegex(ts, r"^\d{4}-\d\d-\d\dT[\d:.]+Z line 2999\n$")
        self.assertEqual(self.ok("logs", "--since", str(int(time.time()) + 60), "chatty"), "")
        self.ok("rm", "chatty")
        self.ok("run", "--name", "few", "--log-opt", "max-size=10k", "--log-opt",
                "max-file=2", "busybox", "sh", "-c", CHATTY)
        logs = os.path.join(self.zones, self.uuid_of("few"), "logs")
        self.assertEqual(len(glob.glob(os.path.join(logs, "stdio.log.*"))), 1)
        self.ok("rm", "few")

    def test_default_log_size_reaches_running_containers(self):
        self.ok("run", "-d", "--name", "slow", "busybox", "sh", "-c",
                "while true; do echo a line of some length; sleep 0.01; done")
        logs = os.path.join(self.zones, self.uuid_of("slow"), "logs")
        time.sleep(0.5)
        self.assertEqual(glob.glob(os.path.join(logs, "stdio.log.*")), [])
        self.d.set_tunable("DEFAULT_MAX_LOG_SIZE", 2000)
        try:
            self.wait_until("a rotation", lambda: len(glob.glob(
                os.path.join(logs, "stdio.log.*"))) >= 2)
        finally:
            self.d.set_tunable("DEFAULT_MAX_LOG_SIZE", 50000000)
        self.ok("rm", "-f", "slow")

    def test_process_settings_and_volumes(self):
        out = self.ok("run", "--rm", "-w", "/tmp", "-u", "1000:1000", "-h", "myhost",
                      "-e", "FOO=bar", "busybox", "sh", "-c",
                      'echo "$(pwd) $(id -u):$(id -g) $(hostname) $FOO"')
        self.assertEqual(out, "/tmp 1000:1000 myhost bar\n")
        self.assertEqual(self.ok("run", "--rm", "--entrypoint", "echo", "busybox", "a", "b"),
                         "a b\n")
        self.ok("run", "--name", "vol", "-v", "/data", "busybox", "sh", "-c",
                "echo kept > /data/f")
        c = self.inspect("vol")
        self.assertEqual(c["Mounts"][0]["Destination"], "/data")
        name = c["Mounts"][0]["Name"]
        self.assertEqual(self.ok("run", "--rm", "-v", name + ":/d", "busybox", "cat",
                                 "/d/f"), "kept\n")
        self.assertEqual(self.ok("start", "-a", "vol"), "")
        self.ok("rm", "-v", "vol")
        self.assertEqual(self.ok("volume", "ls", "-q", "--filter", "name=" + name), "")
        r = self.fails("run", "--rm", "-v", "/etc:/hostetc", "busybox", "true")
        self.assertIn("host paths are not offered", r.stderr)

    def test_docker_py(self):
        client = self.d.dockerpy(self.alice, version="auto")
        try:
            self.assertEqual(client.containers.run("busybox", "echo hi", remove=True),
                             b"hi\n")
            c = client.containers.run("busybox", "sh -c 'echo up; sleep 100'", detach=True,
                                      name="py", mem_limit="3g", labels={"app": "py"})
            self.wait_until("output", lambda: c.logs() == b"up\n")
            c.reload()
            self.assertEqual(c.status, "running")
            self.assertEqual(c.labels["com.joyent.package"], "t4-standard-4G")
            code, out = c.exec_run("echo exec")
            self.assertEqual((code, out), (0, b"exec\n"))
            self.assertEqual([x.name for x in client.containers.list(
                filters={"label": "app=py"})], ["py"])
            self.assertIn("Processes", c.top())
            self.assertIn("memory_stats", c.stats(stream=False))
            c.kill()
            self.assertEqual(c.wait()["StatusCode"], 137)
            c.remove()
            self.assertEqual(client.containers.list(all=True, filters={"name": "py"}), [])
        finally:
            client.close()


if __name__ == "__main__":
    common.main()
