#!/usr/bin/python3
"""docker top as a hostile tenant: whatever the ps arguments, alice sees
her container's own processes and nothing else.  A secret in the command
line of a host process, and of a process in bob's container, is never in
any answer, even when the host process runs as a uid, and bob's process
as a uid, equal to a pid of alice's container (with `-eo uid=PID,args`,
a host `ps` filtered by the column titled PID kept exactly those rows).
The titles of the usual forms are dockerd's; user names come from the
container's own /etc/passwd; what ps would take but is not supported is
refused with a message naming it."""
import importlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

HOST_SECRET = "HOSTSECRET_d41d8cd98f"
BOB_SECRET = "BOBSECRET_9e107d9d37"
BOB_ENV_SECRET = "BOBENVSECRET_e4d909c2"

# The attacks on a filter by the column titled PID first, then every form
# a user may pass.
ARGS = ["-eo uid=PID,args", "-e -o user=PID,args,cmd", "-eo ppid=PID,args",
        "-o pid,etimes=PID,args", "-o pid,rss=PID,args", "-o etimes=PID,args",
        "", "-ef", "aux", "-aux", "-e", "-f", "ax", "-o pid,comm",
        "-eo pid,ppid,user,uid,comm,args,cmd,etime,etimes,rss,vsz,pcpu,pmem,"
        "stat,tty,time,nlwp", "axo pid,args"]
# Those whose first column titled PID is the pid.
WITH_PID = ARGS[3:5] + ARGS[6:]


class Top(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.host = []

    @classmethod
    def tearDownClass(cls):
        for p in cls.host:
            p.kill()
            p.wait()
        super().tearDownClass()

    def api_top(self, name, args=None, certs=None):
        path = "/v1.41/containers/%s/top" % name
        if args is not None:
            path += "?ps_args=" + subprocess.run(
                ["python3", "-c", "import sys,urllib.parse;"
                 "print(urllib.parse.quote(sys.argv[1]),end='')", args],
                capture_output=True, text=True).stdout
        st, _, body = self.d.https("GET", path, certs or self.alice)
        return st, json.loads(body)

    def cgroup_pids(self, uuid):
        for d in common.ContainersTest.cgroups_of(uuid):
            if os.path.exists(os.path.join(d, "cgroup.procs")) and "pids" in d:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    return sorted(int(x) for x in f.read().split())
        self.fail("no pids cgroup for " + uuid)

    def test_only_own_processes_whatever_the_args(self):
        # alice's container: its own passwd, a process of uid 1 (the
        # host's "daemon"), none named on the host for troot
        self.ok("run", "-d", "--name", "ac", "busybox", "sh", "-c",
                "printf 'troot:x:0:0::/:/bin/sh\\n' > /etc/passwd; "
                "exec sleep 300")
        self.ok("exec", "-d", "-u", "1", "ac", "sleep", "301")
        uuid = self.uuid_of("ac")
        self.wait_until("two processes", lambda: len(self.cgroup_pids(uuid)) == 2)
        pids = self.cgroup_pids(uuid)
        # a host process and one of bob's, running as a uid equal to a
        # pid of alice's container, secrets in their command lines
        env = dict(os.environ, HOSTENVSECRET=HOST_SECRET + "env")
        host = subprocess.Popen(["sh", "-c", "sleep 300; : " + HOST_SECRET],
                                user=pids[0], env=env)
        self.host.append(host)
        self.ok("run", "-d", "--name", "bc", "-u", str(pids[0]),
                "-e", "SECRET=" + BOB_ENV_SECRET, "busybox", "sh", "-c",
                "sleep 300; : " + BOB_SECRET, certs=self.bob)
        for args in ARGS:
            cli = ["top", "ac"] + args.split()
            out = self.ok(*cli)
            st, j = self.api_top("ac", args)
            self.assertEqual(st, 200, (args, j))
            text = out + json.dumps(j)
            for secret in (HOST_SECRET, BOB_SECRET, BOB_ENV_SECRET):
                self.assertNotIn(secret, text, args)
            self.assertEqual(len(j["Processes"]), 2, (args, j))
            for row in j["Processes"]:
                self.assertEqual(len(row), len(j["Titles"]), (args, row))
                self.assertIn("sleep", " ".join(row), (args, row))
            if args in WITH_PID:
                col = j["Titles"].index("PID")
                self.assertEqual(sorted(int(r[col]) for r in j["Processes"]), pids,
                                 (args, j))
        # names come from the container's passwd: troot for 0, and the
        # number for uid 1 (the host's "daemon" is not the container's)
        st, j = self.api_top("ac", "-o uid,user,args")
        users = sorted((r[0], r[1]) for r in j["Processes"])
        self.assertEqual(users, [("0", "troot"), ("1", "1")], j)
        # bob cannot read alice's container at all
        r = self.fails("top", "ac", certs=self.bob)
        self.assertIn("No such container", r.stderr)
        self.ok("rm", "-f", "bc", certs=self.bob)
        self.ok("rm", "-f", "ac")

    def test_titles_as_dockerd_and_refusals(self):
        self.ok("run", "-d", "--name", "titles", "busybox", "sleep", "300")
        # run -d answers once runc started the process, which may still be
        # inside its execve: its command line is empty ("[sleep]") until
        # then
        self.wait_until("sleep's command line", lambda: self.api_top(
            "titles")[1]["Processes"][0][7] == "sleep 300")
        st, j = self.api_top("titles")
        self.assertEqual(j["Titles"], ["UID", "PID", "PPID", "C", "STIME", "TTY",
                                       "TIME", "CMD"])
        row = j["Processes"][0]
        self.assertEqual((row[0], row[5], row[6], row[7]),
                         ("root", "?", "00:00:00", "sleep 300"))
        st, j = self.api_top("titles", "aux")
        self.assertEqual(j["Titles"], ["USER", "PID", "%CPU", "%MEM", "VSZ", "RSS",
                                       "TTY", "STAT", "START", "TIME", "COMMAND"])
        row = j["Processes"][0]
        self.assertRegex(" ".join(row), r"^root \d+ \d+\.\d \d+\.\d \d+ \d+ \? Ss "
                                        r"\S+ 0:00 sleep 300$")
        st, j = self.api_top("titles", "-o pid,comm")
        self.assertEqual(j["Titles"], ["PID", "COMMAND"])
        self.assertEqual(j["Processes"][0][1], "sleep")
        lines = self.ok("top", "titles", "-o", "pid,comm").splitlines()
        self.assertEqual(lines[0].split(), ["PID", "COMMAND"])
        self.assertEqual(lines[1].split()[1], "sleep")
        # what ps would take but is not supported: refused, named
        for args, words in (("-p 1", 'unsupported option "-p"'),
                            ("auxe", 'unsupported option "auxe"'),
                            ("-ef --sort=pid", '"--sort=pid"'),
                            ("-o pid,environ", '"environ"')):
            r = self.fails("top", "titles", *args.split())
            self.assertIn(words, r.stderr, args)
            st, j = self.api_top("titles", args)
            self.assertEqual(st, 400, (args, j))
            self.assertIn(words, j["message"])
        self.ok("rm", "-f", "titles")


if __name__ == "__main__":
    common.main()
