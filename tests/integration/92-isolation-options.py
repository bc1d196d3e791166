#!/usr/bin/python3
"""Every field of a container create body is applied or refused.

The table of fields lives in dockerapi/container-options.c and is
rendered into docs/container-options.md (a unit test keeps the two the
same).  This test reads that table, checks it names every field of the
create body in Docker's API 1.41 and 1.56 schemas, and walks it with the
raw API: each field's accepted example is created and seen applied
(inspect, and config.json where the runtime is told), each refused example
is a 400 naming the field.  Then the common flags through the real docker
CLI, observed from inside the container, and an image whose own labels
try to choose a big package.
"""
import http.client
import importlib
import json
import os
import re
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
common = importlib.import_module("76-containers-common")
images_common = importlib.import_module("65-images-api-common")
sdctest = common.sdctest

# The create body's fields in Docker's API reference (ContainerConfig,
# HostConfig with Resources, NetworkingConfig), v1.41 and v1.56.
SCHEMA = {
    "Config": """ArgsEscaped AttachStderr AttachStdin AttachStdout Cmd Domainname
        Entrypoint Env ExposedPorts Healthcheck Hostname Image Labels MacAddress
        NetworkDisabled OnBuild OpenStdin Shell StdinOnce StopSignal StopTimeout Tty
        User Volumes WorkingDir""",
    "HostConfig": """Annotations AutoRemove Binds CapAdd CapDrop Cgroup CgroupnsMode
        ConsoleSize ContainerIDFile Dns DnsOptions DnsSearch ExtraHosts GroupAdd
        IpcMode Isolation Links LogConfig MaskedPaths Mounts NetworkMode OomScoreAdj
        PidMode PortBindings Privileged PublishAllPorts ReadonlyPaths ReadonlyRootfs
        RestartPolicy Runtime SecurityOpt ShmSize StorageOpt Sysctls Tmpfs UTSMode
        UsernsMode VolumeDriver VolumesFrom
        BlkioDeviceReadBps BlkioDeviceReadIOps BlkioDeviceWriteBps
        BlkioDeviceWriteIOps BlkioWeight BlkioWeightDevice CgroupParent CpuCount
        CpuPercent CpuPeriod CpuQuota CpuRealtimePeriod CpuRealtimeRuntime CpuShares
        CpusetCpus CpusetMems DeviceCgroupRules DeviceRequests Devices
        IOMaximumBandwidth IOMaximumIOps Init KernelMemory KernelMemoryTCP Memory
        MemoryReservation MemorySwap MemorySwappiness NanoCpus OomKillDisable
        PidsLimit Ulimits""",
    "NetworkingConfig": "EndpointsConfig",
}

# Refusals by other modules name the value rather than the field.
NAMED_BY_VALUE = {
    "Config.Labels": "triton.bogus",
    "Config.Volumes": "data",
    "HostConfig.LogConfig": "bogus",
    "HostConfig.RestartPolicy": "sometimes",
    "HostConfig.GroupAdd": "no-such-group",
}
# The package replaces these in inspect with its own figures.
PACKAGE_SET = {"HostConfig.NanoCpus", "HostConfig.Memory"}


def table():
    rows = []
    with open(os.path.join(sdctest.TOP, "docs", "container-options.md")) as f:
        for line in f:
            m = re.match(r"^\| `([A-Za-z]+\.[A-Za-z]+)` \|", line)
            if not m:
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            code = lambda c: json.loads(c[1:-1]) if c.startswith("`") else None  # noqa: E731
            rows.append({"field": m.group(1), "how": cells[2],
                         "ok": code(cells[4]), "bad": code(cells[5]),
                         "has_ok": cells[4] != "", "has_bad": cells[5] != ""})
    return rows


def contains(want, got):
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and contains(v, got[k])
                                             for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and all(any(contains(w, g) for g in got)
                                             for w in want)
    return want == got


def mount(cfg, dest):
    return [m for m in cfg["mounts"] if m["destination"] == dest]


# What config.json says for an applied field's accepted example.
RUNTIME = {
    "HostConfig.CapDrop": lambda c, h: "CAP_NET_RAW" not in c["process"]["capabilities"]["bounding"],
    "HostConfig.CapAdd": lambda c, h: "CAP_CHOWN" in c["process"]["capabilities"]["effective"],
    "HostConfig.SecurityOpt": lambda c, h: c["process"]["noNewPrivileges"] is True,
    "HostConfig.Ulimits": lambda c, h: {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}
    in c["process"]["rlimits"],
    "HostConfig.ShmSize": lambda c, h: "size=16384k" in mount(c, "/dev/shm")[0]["options"],
    "HostConfig.Tmpfs": lambda c, h: mount(c, "/run")[0]["options"][-2:] == ["size=1m", "exec"],
    "HostConfig.Init": lambda c, h: c["process"]["args"][:3] == ["/sbin/docker-init", "--", "true"]
    and mount(c, "/sbin/docker-init")[0]["source"] == "/usr/bin/tini-static",
    "HostConfig.OomScoreAdj": lambda c, h: c["process"]["oomScoreAdj"] == 500,
    "HostConfig.Sysctls": lambda c, h: c["linux"]["sysctl"] == {"kernel.shmmni": "1000"},
    "HostConfig.CgroupnsMode": lambda c, h: {"type": "cgroup"} in c["linux"]["namespaces"],
    "HostConfig.ReadonlyRootfs": lambda c, h: c["root"]["readonly"] is True,
    "HostConfig.PidsLimit": lambda c, h: c["linux"]["resources"]["pids"]["limit"] == 100,
    "HostConfig.MemoryReservation": lambda c, h:
    c["linux"]["resources"]["memory"]["reservation"] == 67108864,
    "HostConfig.ExtraHosts": lambda c, h: "10.0.0.5\tdb\n" in h,
    "HostConfig.GroupAdd": lambda c, h: 10 in c["process"]["user"]["additionalGids"],
    "Config.Hostname": lambda c, h: c["hostname"] == "box",
    "Config.User": lambda c, h: c["process"]["user"]["uid"] == 1000,
    "Config.WorkingDir": lambda c, h: c["process"]["cwd"] == "/tmp",
}


def build_opts_image(work, base, reg, certs, d):
    """busybox with an /etc/group, a stop signal, and labels that would
    choose the biggest package, pushed and pulled as "opts"."""
    ref = images_common.oci_add_layer(base, work, "opts", {
        "/etc/group": b"root:x:0:\nwheel:x:10:\nstaff:x:50:\n"})
    layout = ref[4:].rsplit(":", 1)[0]
    subprocess.run(["umoci", "config", "--image", layout + ":opts",
                    "--config.label", "com.joyent.package=t4-standard-64G",
                    "--config.label", "triton.bogus=1",
                    "--config.label", "triton.cns.disable=true",
                    "--config.label", "keep=me",
                    "--config.stopsignal", "SIGUSR1"], check=True,
                   stdout=subprocess.DEVNULL)
    reg.push(ref, "opts:latest")
    for args in (("pull", reg.addr + "/opts"), ("tag", reg.addr + "/opts", "opts")):
        r = d.docker(certs, *args)
        assert r.returncode == 0, r.stderr


class Options(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ctx = ssl.create_default_context(cafile=os.path.join(cls.alice, "ca.pem"))
        ctx.load_cert_chain(os.path.join(cls.alice, "cert.pem"),
                            os.path.join(cls.alice, "key.pem"))
        cls.ctx = ctx
        try:
            build_opts_image(cls.work, "oci:" + os.path.join(cls.work, "bb", "oci") + ":latest",
                             cls.reg, cls.alice, cls.d)
        except BaseException:
            cls.tearDownClass()
            raise

    def api(self, method, path, body=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.d.docker_port,
                                           context=self.ctx, timeout=60)
        data = json.dumps(body) if body is not None else None
        conn.request(method, "/v1.41" + path, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, raw

    def create(self, field, value):
        body = {"Image": "busybox", "Cmd": ["true"], "HostConfig": {}}
        section, key = field.split(".")
        if section == "Config":
            body[key] = value
        elif section == "HostConfig":
            body["HostConfig"][key] = value
        else:
            body["NetworkingConfig"] = {key: value}
        return self.api("POST", "/containers/create", body)

    def runtime_files(self, cid):
        st, j = self.d.admin("GET", "/containers/" + cid)
        self.assertEqual(st, 200, j)
        folder = os.path.join(self.zones, j["Uuid"])
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(folder, "hosts")) as f:
            return cfg, f.read()

    # --- the table ---

    def test_table_names_every_field(self):
        rows = table()
        fields = [r["field"] for r in rows]
        want = {"%s.%s" % (s, k) for s, ks in SCHEMA.items() for k in ks.split()}
        self.assertEqual(set(fields), want)
        self.assertEqual(len(fields), len(set(fields)), "a field listed twice")
        with open(os.path.join(sdctest.TOP, "man", "dockerapi.8")) as f:
            man = f.read()
        for field in fields:
            self.assertIn(".B " + field + "\n", man)

    def test_walk_the_table(self):
        walked = 0
        for row in table():
            field, short = row["field"], row["field"].split(".")[1]
            with self.subTest(field=field, value=row["bad"]):
                if row["has_bad"]:
                    st, j = self.create(field, row["bad"])
                    self.assertIn(st, (400, 422) if field in NAMED_BY_VALUE else (400,), j)
                    self.assertIn(NAMED_BY_VALUE.get(field, short), j["message"])
                    walked += 1
            with self.subTest(field=field, value=row["ok"]):
                if not row["has_ok"]:
                    self.assertNotEqual(row["how"], "applied", field)
                    continue
                st, j = self.create(field, row["ok"])
                self.assertEqual(st, 201, "%s=%r: %s" % (field, row["ok"], j))
                cid = j["Id"]
                try:
                    st, c = self.api("GET", "/containers/%s/json" % cid)
                    self.assertEqual(st, 200)
                    where = c["Config"] if field.startswith("Config.") else c["HostConfig"]
                    if field not in PACKAGE_SET and not field.startswith("Networking"):
                        self.assertTrue(contains(row["ok"], where.get(short)),
                                        "%s: inspect shows %r" % (field, where.get(short)))
                    if field in RUNTIME:
                        cfg, hosts = self.runtime_files(cid)
                        self.assertTrue(RUNTIME[field](cfg, hosts),
                                        "%s: config.json %s" % (field, json.dumps(cfg)))
                finally:
                    self.api("DELETE", "/containers/%s?force=1" % cid)
                walked += 1
        self.assertGreater(walked, 100)

    def test_zero_values_are_accepted(self):
        # What the docker CLI 28 sends for `docker create busybox true`.
        body = {"Hostname": "", "Domainname": "", "User": "", "AttachStdin": False,
                "AttachStdout": True, "AttachStderr": True, "Tty": False,
                "OpenStdin": False, "StdinOnce": False, "Env": None, "Cmd": ["true"],
                "Image": "busybox", "Volumes": {}, "WorkingDir": "", "Entrypoint": None,
                "OnBuild": None, "Labels": {}, "HostConfig": {
                    "Binds": None, "ContainerIDFile": "",
                    "LogConfig": {"Type": "", "Config": {}}, "NetworkMode": "default",
                    "PortBindings": {}, "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
                    "AutoRemove": False, "VolumeDriver": "", "VolumesFrom": None,
                    "ConsoleSize": [0, 0], "CapAdd": None, "CapDrop": None,
                    "CgroupnsMode": "", "Dns": [], "DnsOptions": [], "DnsSearch": [],
                    "ExtraHosts": None, "GroupAdd": None, "IpcMode": "", "Cgroup": "",
                    "Links": None, "OomScoreAdj": 0, "PidMode": "", "Privileged": False,
                    "PublishAllPorts": False, "ReadonlyRootfs": False, "SecurityOpt": None,
                    "UTSMode": "", "UsernsMode": "", "ShmSize": 0, "Isolation": "",
                    "CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CgroupParent": "",
                    "BlkioWeight": 0, "BlkioWeightDevice": [], "BlkioDeviceReadBps": [],
                    "BlkioDeviceWriteBps": [], "BlkioDeviceReadIOps": [],
                    "BlkioDeviceWriteIOps": [], "CpuPeriod": 0, "CpuQuota": 0,
                    "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0, "CpusetCpus": "",
                    "CpusetMems": "", "Devices": [], "DeviceCgroupRules": None,
                    "DeviceRequests": None, "MemoryReservation": 0, "MemorySwap": 0,
                    "MemorySwappiness": -1, "OomKillDisable": False, "PidsLimit": 0,
                    "Ulimits": [], "CpuCount": 0, "CpuPercent": 0, "IOMaximumIOps": 0,
                    "IOMaximumBandwidth": 0, "MaskedPaths": None, "ReadonlyPaths": None},
                "NetworkingConfig": {"EndpointsConfig": {"default": {
                    "IPAMConfig": None, "Links": None, "Aliases": None, "MacAddress": "",
                    "DriverOpts": None, "GwPriority": 0, "NetworkID": "", "EndpointID": "",
                    "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
                    "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": None}}}}
        st, j = self.api("POST", "/containers/create", body)
        self.assertEqual(st, 201, j)
        self.api("DELETE", "/containers/%s?force=1" % j["Id"])
        # docker-py's
        st, j = self.api("POST", "/containers/create", {
            "Tty": False, "OpenStdin": False, "StdinOnce": False, "AttachStdin": False,
            "AttachStdout": True, "AttachStderr": True, "Cmd": ["true"],
            "Image": "busybox", "NetworkDisabled": False,
            "HostConfig": {"NetworkMode": "default"}})
        self.assertEqual(st, 201, j)
        self.api("DELETE", "/containers/%s?force=1" % j["Id"])
        # a field no Docker has, with a value, is refused too
        st, j = self.api("POST", "/containers/create", {
            "Image": "busybox", "Cmd": ["true"], "HostConfig": {"privileged": True}})
        self.assertEqual(st, 400, j)
        self.assertIn("HostConfig.privileged", j["message"])

    def test_console_size(self):
        st, j = self.api("POST", "/containers/create", {
            "Image": "busybox", "Cmd": ["stty", "size"], "Tty": True,
            "HostConfig": {"ConsoleSize": [30, 100]}})
        self.assertEqual(st, 201, j)
        cid = j["Id"]
        self.assertEqual(self.api("POST", "/containers/%s/start" % cid)[0], 204)
        self.assertEqual(self.api("POST", "/containers/%s/wait" % cid)[1]["StatusCode"], 0)
        self.assertEqual(self.ok("logs", cid).strip(), "30 100")
        self.api("DELETE", "/containers/%s?force=1" % cid)

    # --- the docker CLI ---

    def test_cli_refusals(self):
        for args, words in (
                (["--privileged"], "Privileged"),
                (["--domainname", "example.com"], "Domainname"),
                (["--cap-add", "NET_ADMIN"], "CAP_NET_ADMIN"),
                (["--cap-add", "ALL"], "CapAdd"),
                (["--security-opt", "seccomp=unconfined"], "seccomp=unconfined"),
                (["--security-opt", "apparmor=unconfined"], "apparmor=unconfined"),
                (["--security-opt", "label=disable"], "label=disable"),
                (["--sysctl", "kernel.core_pattern=|/x"], "kernel.core_pattern"),
                (["--sysctl", "vm.overcommit_memory=1"], "vm.overcommit_memory"),
                (["--device", "/dev/null:/dev/x"], "Devices"),
                (["--pid", "host"], "PidMode"),
                (["--ipc", "host"], "IpcMode"),
                (["--uts", "host"], "UTSMode"),
                (["--userns", "host"], "UsernsMode"),
                (["--cgroupns", "host"], "CgroupnsMode"),
                (["--network", "host"], "NetworkMode"),
                (["--cgroup-parent", "/x"], "CgroupParent"),
                (["--runtime", "runsc"], "Runtime"),
                (["--oom-score-adj", "-500"], "OomScoreAdj"),
                (["--oom-kill-disable"], "OomKillDisable"),
                (["--ulimit", "nofile=1:2000000"], "nofile"),
                (["--ulimit", "rtprio=1"], "rtprio"),
                (["--shm-size", "2g", "-m", "1g"], "ShmSize"),
                (["--tmpfs", "/x:size=2g", "-m", "1g"], "Tmpfs"),
                (["--tmpfs", "/x:suid"], "suid"),
                (["--stop-signal", "NOPE"], "Invalid signal"),
                (["-v", "/etc:/hostetc"], "host paths are not offered"),
                (["--mount", "type=bind,src=/etc,dst=/x"], "host paths are not offered")):
            with self.subTest(args=args):
                r = self.docker(self.alice, "run", "--rm", *args, "busybox", "true")
                self.assertNotEqual(r.returncode, 0, args)
                self.assertIn(words, r.stderr)
                self.assertNotIn("Unable to find image", r.stderr)

    def test_pids_limit_within_the_package(self):
        self.d.set_tunable("DEFAULT_PIDS_LIMIT", 200)
        try:
            self.wait_until("the default pids limit", lambda: "package's limit" in self.docker(
                self.alice, "create", "--pids-limit", "500", "busybox", "true").stderr)
            r = self.fails("create", "--pids-limit", "-1", "busybox", "true")
            self.assertIn("HostConfig.PidsLimit (--pids-limit): unlimited is more than "
                          "the package's limit (t4-standard-1G: 200)", r.stderr)
            self.ok("create", "--name", "pids", "--pids-limit", "150", "busybox", "true")
            self.assertEqual(self.inspect("pids")["HostConfig"]["PidsLimit"], 150)
            self.ok("rm", "pids")
        finally:
            self.d.set_tunable("DEFAULT_PIDS_LIMIT", 0)

    def test_joining_another_container(self):
        # bob names alice's running container in every option that joins
        # or borrows from another one: each is refused, and his own
        # container name gets the same answer as hers
        self.ok("run", "-d", "--name", "victim", "busybox", "sleep", "100")
        vid = self.inspect("victim")["Id"]
        self.ok("run", "-d", "--name", "bobs", "busybox", "sleep", "100", certs=self.bob)
        # (--volumes-from of one's own container is offered: 48-volumes
        # tries it on another account's; --network container: is offered
        # within an account: bob naming alice's is in 42-networks-api)
        for opt in ("--pid", "--ipc", "--uts", "--cgroupns"):
            answers = []
            for target in (vid, "bobs"):
                value = "container:" + target
                if opt in ("--uts", "--cgroupns"):
                    value = "host"
                r = self.docker(self.bob, "run", "--rm", opt, value, "busybox", "true")
                self.assertNotEqual(r.returncode, 0, (opt, value))
                answers.append(r.stderr.replace(target, "X"))
            self.assertEqual(answers[0], answers[1], opt)
        self.ok("rm", "-f", "victim")
        self.ok("rm", "-f", "bobs", certs=self.bob)

    def inside(self, *args):
        return self.ok("run", "--rm", *args)

    def test_cli_applied(self):
        status = lambda out, key: re.search(key + r":\s*(\S+)", out).group(1)  # noqa: E731
        out = self.inside("--cap-drop", "ALL", "busybox", "cat", "/proc/self/status")
        self.assertEqual(status(out, "CapEff"), "0000000000000000")
        self.assertEqual(status(out, "CapBnd"), "0000000000000000")
        out = self.inside("--cap-drop", "ALL", "--cap-add", "CHOWN", "busybox",
                          "cat", "/proc/self/status")
        self.assertEqual(status(out, "CapEff"), "0000000000000001")
        # the rest in one container
        script = ("cat /proc/self/status; echo PIDS $(cat /sys/fs/cgroup/pids/pids.max "
                  "2>/dev/null || cat /sys/fs/cgroup/pids.max); echo NOFILE $(ulimit -n) "
                  "$(ulimit -Hn); echo SHMMNI $(cat /proc/sys/kernel/shmmni); "
                  "echo PORTS $(cat /proc/sys/net/ipv4/ip_unprivileged_port_start); "
                  "echo OOM $(cat /proc/self/oom_score_adj); grep db /etc/hosts; "
                  "touch /x 2>/dev/null || echo READONLY; df -k /dev/shm /run; "
                  "echo CGROUP $(grep -c -v ':/$' /proc/self/cgroup); "
                  "grep -E ' /run ' /proc/mounts")
        out = self.inside("--cap-drop", "NET_RAW", "--security-opt", "no-new-privileges",
                          "--pids-limit", "50", "--ulimit", "nofile=100:200", "--sysctl",
                          "kernel.shmmni=1000", "--sysctl",
                          "net.ipv4.ip_unprivileged_port_start=80", "--oom-score-adj", "500",
                          "--add-host",
                          "db:10.0.0.5", "--read-only",
                          "--shm-size", "10m", "--tmpfs", "/run:size=1m,exec",
                          "--cgroupns", "private", "busybox",
                          "sh", "-c", script)
        self.assertEqual(int(status(out, "CapEff"), 16) & (1 << 13), 0)
        self.assertNotEqual(int(status(out, "CapEff"), 16), 0)
        self.assertEqual(status(out, "NoNewPrivs"), "1")
        for line in ("PIDS 50", "NOFILE 100 200", "SHMMNI 1000", "PORTS 80", "OOM 500",
                     "10.0.0.5\tdb",
                     "READONLY", "CGROUP 0"):
            self.assertIn(line + "\n", out)
        self.assertRegex(out, r"shm\s+10240\s")
        self.assertRegex(out, r"tmpfs\s+1024\s")
        mnt = out.strip().splitlines()[-1]
        self.assertIn("nosuid", mnt)
        self.assertNotIn("noexec", mnt)
        self.assertIn("size=1024k", mnt)
        out = self.inside("--tmpfs", "/scratch", "-m", "256m", "busybox", "sh", "-c",
                          "grep ' /scratch ' /proc/mounts")
        self.assertIn("noexec", out)
        self.assertIn("size=262144k", out)
        self.assertEqual(self.inside("--group-add", "10", "--group-add", "staff", "opts",
                                     "id", "-G"), "0 10 50\n")
        r = self.fails("run", "--rm", "--group-add", "nope", "opts", "true")
        self.assertIn("unable to find group nope", r.stderr)
        out = self.inside("--init", "busybox", "sh", "-c",
                          "tr '\\0' ' ' </proc/1/cmdline; echo; echo $$")
        self.assertEqual(out.splitlines()[0], "/sbin/docker-init -- sh -c "
                         "tr '\\0' ' ' </proc/1/cmdline; echo; echo $$ ")
        self.assertNotEqual(out.splitlines()[1], "1")
        self.ok("create", "--name", "ini", "--init", "busybox", "true")
        self.assertIs(self.inspect("ini")["HostConfig"]["Init"], True)
        self.ok("rm", "ini")

    def test_exec_keeps_the_options(self):
        self.ok("run", "-d", "--name", "dropped", "--cap-drop", "ALL", "--security-opt",
                "no-new-privileges", "--ulimit", "nofile=100:200", "busybox",
                "sleep", "100")
        out = self.ok("exec", "dropped", "cat", "/proc/self/status")
        self.assertRegex(out, r"CapEff:\s*0000000000000000")
        self.assertRegex(out, r"NoNewPrivs:\s*1")
        # the hard limit; runc 1.1.5 (Go 1.19) raises an exec's soft nofile
        # to its hard limit itself
        self.assertEqual(self.ok("exec", "dropped", "sh", "-c", "ulimit -Hn"), "200\n")
        self.ok("rm", "-f", "dropped")

    def test_stop_signal_and_timeout(self):
        trap = "trap 'echo got; exit 3' HUP; echo up; while :; do sleep 0.1; done"
        self.ok("run", "-d", "--name", "hup", "--stop-signal", "HUP", "busybox",
                "sh", "-c", trap)
        self.wait_until("up", lambda: "up" in self.ok("logs", "hup"))
        self.ok("stop", "hup")
        c = self.inspect("hup")
        self.assertEqual(c["State"]["ExitCode"], 3)
        self.assertEqual(c["Config"]["StopSignal"], "HUP")
        self.ok("rm", "hup")
        # a process that ignores TERM is killed after StopTimeout, not 10 s
        self.ok("run", "-d", "--name", "deaf", "--stop-timeout", "1", "busybox",
                "sh", "-c", "trap '' TERM; echo up; while :; do sleep 0.1; done")
        self.wait_until("up", lambda: "up" in self.ok("logs", "deaf"))
        t = time.time()
        self.ok("stop", "deaf")
        self.assertLess(time.time() - t, 8)
        self.assertEqual(self.inspect("deaf")["State"]["ExitCode"], 137)
        self.assertEqual(self.inspect("deaf")["Config"]["StopTimeout"], 1)
        self.ok("restart", "deaf")
        self.assertTrue(self.inspect("deaf")["State"]["Running"])
        self.ok("rm", "-f", "deaf")
        # the image's own StopSignal (USR1 here) is the container's
        self.ok("create", "--name", "imgsig", "opts", "true")
        self.assertEqual(self.inspect("imgsig")["Config"]["StopSignal"], "SIGUSR1")
        self.ok("rm", "imgsig")

    # --- image labels ---

    def test_image_labels_do_not_choose_the_package(self):
        img = json.loads(self.ok("image", "inspect", "opts"))[0]
        self.assertEqual(img["Config"]["Labels"]["com.joyent.package"], "t4-standard-64G")
        self.ok("create", "--name", "lab", "opts", "true")
        c = self.inspect("lab")
        labels = c["Config"]["Labels"]
        self.assertEqual(labels["com.joyent.package"], "t4-standard-1G")
        self.assertNotIn("triton.bogus", labels)
        self.assertNotIn("triton.cns.disable", labels)
        self.assertEqual(labels["keep"], "me")
        self.assertEqual(c["HostConfig"]["Memory"], 1 << 30)
        self.ok("rm", "lab")
        # the request's own reserved labels still count and are still checked
        self.ok("create", "--name", "lab2", "--label", "com.joyent.package=t4-standard-512M",
                "opts", "true")
        self.assertEqual(self.inspect("lab2")["HostConfig"]["Memory"], 512 << 20)
        self.ok("rm", "lab2")
        r = self.fails("create", "--label", "triton.bogus=1", "opts", "true")
        self.assertIn("triton.bogus", r.stderr)


if __name__ == "__main__":
    common.main()
