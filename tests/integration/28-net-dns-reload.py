#!/usr/bin/python3
"""Names on one network are not disturbed by another network's changes:
one aardvark-dns per network (dockerapi/net/dns.c).  Through the daemon and
real containers:
- while bob starts and stops containers on his network back to back
  (each a reload of its names), a resolver on the host asking alice's
  network's server in a loop, and one in alice's container, lose no
  query and get no wrong answer (with one aardvark-dns for the node, each
  reload closed every network's socket and queries were refused);
- a removed network's aardvark-dns goes soon after (stopped off the loop);
- after a kill -9 of dockerapi and a restart, exactly the networks with a
  running container have one (a network whose last container stopped has
  none), and a kill -9 of one is undone by the daemon's periodic check."""
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402,F401

common = importlib.import_module("76-containers-common")
dns = importlib.import_module("45-net-dns")

CHURN_SECONDS = 15


def dns_servers(d):
    """{network id: pid} of the aardvark-dns processes of d's run dir."""
    base = os.path.join(d.tmp, "dockerapi", "net", "dns") + "/"
    out = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if not argv[0].endswith("aardvark-dns") or "--config" not in argv:
            continue
        conf = argv[argv.index("--config") + 1]
        if conf.startswith(base):
            out.setdefault(os.path.basename(conf), []).append(int(p))
    return out


class DnsReload(common.ContainersTest):
    # The smallest package by default (1/16 of a CPU): more of these
    # containers run at once than a two-core node has CPUs for 1G ones.
    TUNABLES = {"DEFAULT_MEMORY": 128}

    def net(self, name, certs):
        j = json.loads(self.ok("network", "inspect", name, certs=certs))[0]
        return j["Id"], j["IPAM"]["Config"][0]["Gateway"]

    def ip(self, name, net):
        return self.inspect(name)["NetworkSettings"]["Networks"][net]["IPAddress"]

    def test_1_churn_on_another_network_loses_nothing(self):
        self.ok("network", "create", "dra")
        self.ok("network", "create", "drb", certs=self.bob)
        _, gw = self.net("dra", self.alice)
        self.ok("run", "-d", "--name", "peer", "--network", "dra", "busybox",
                "sleep", "600")
        self.ok("run", "-d", "--name", "asker", "--network", "dra", "busybox",
                "sleep", "600")
        peer = self.ip("peer", "dra")
        bobs = ["churn%d" % i for i in range(3)]
        for b in bobs:
            self.ok("run", "-d", "--name", b, "--network", "drb", "busybox",
                    "sleep", "600", certs=self.bob)
        self.assertEqual(dns.resolve(gw, "peer"), [peer])
        stop = threading.Event()
        counts = {"asked": 0, "lost": 0, "wrong": 0}

        def host_loop():
            while not stop.is_set():
                r = dns.query(gw, "peer", timeout=1.0)
                counts["asked"] += 1
                if r is None:
                    counts["lost"] += 1
                elif r[1] != [peer]:
                    counts["wrong"] += 1
        t = threading.Thread(target=host_loop)
        t.start()
        # the container's own resolver (busybox nslookup), for as long
        inside = subprocess.Popen(
            ["docker", "exec", "asker", "sh", "-c",
             "end=$(( $(date +%%s) + %d )); n=0; f=0; "
             "while [ $(date +%%s) -lt $end ]; do n=$((n+1)); "
             "nslookup peer 2>&1 | grep -q '%s' || f=$((f+1)); done; "
             "echo $n $f" % (CHURN_SECONDS, peer)],
            env=self.d.docker_env(self.alice), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        reloads = 0
        end = time.monotonic() + CHURN_SECONDS - 2
        try:
            while time.monotonic() < end:
                self.ok("stop", "-t", "0", *bobs, certs=self.bob)
                self.ok("start", *bobs, certs=self.bob)
                reloads += 2 * len(bobs)
        finally:
            out, err = inside.communicate(timeout=CHURN_SECONDS + 60)
            stop.set()
            t.join()
        n, f = (int(x) for x in out.split())
        print("churn: %d name changes on bob's network; alice's: %d of %d host "
              "queries lost, %d wrong; %d of %d lookups in her container failed"
              % (reloads, counts["lost"], counts["asked"], counts["wrong"], f, n))
        self.assertGreater(reloads, 10)
        self.assertGreater(counts["asked"], 100)
        self.assertEqual((counts["lost"], counts["wrong"]), (0, 0))
        self.assertGreater(n, 5, err)
        self.assertEqual(f, 0)
        # one server per network with a running container
        servers = dns_servers(self.d)
        a_id, _ = self.net("dra", self.alice)
        b_id, _ = self.net("drb", self.bob)
        self.assertEqual(len(servers[a_id]), 1)
        self.assertEqual(len(servers[b_id]), 1)
        # bob's network removed: its server goes with it (stopped off the
        # daemon's loop, dns-queue.c: soon after the answer)
        self.ok("rm", "-f", *bobs, certs=self.bob)
        self.ok("network", "rm", "drb", certs=self.bob)
        self.wait_until("drb's server to go",
                        lambda: b_id not in dns_servers(self.d), timeout=5)
        self.ok("rm", "-f", "peer", "asker")
        self.ok("network", "rm", "dra")
        self.wait_until("dra's server to go",
                        lambda: a_id not in dns_servers(self.d), timeout=5)

    def test_2_kill9_leaves_exactly_the_servers_needed(self):
        self.ok("network", "create", "drk")
        self.ok("network", "create", "drq")
        k_id, gw = self.net("drk", self.alice)
        q_id, _ = self.net("drq", self.alice)
        self.ok("run", "-d", "--name", "kpeer", "--network", "drk", "busybox",
                "sleep", "600")
        kpeer = self.ip("kpeer", "drk")
        # drq's last container stops: its server idles, not yet stopped
        self.ok("run", "--rm", "--network", "drq", "busybox", "true")
        self.assertIn(q_id, dns_servers(self.d))
        self.d.stop_one("dockerapi", signal.SIGKILL)
        self.d.start_dockerapi()
        self.wait_until("the sweep", lambda: q_id not in dns_servers(self.d))
        servers = dns_servers(self.d)
        self.assertEqual(len(servers.get(k_id, [])), 1, servers)
        want = {k_id}
        for nid, pids in servers.items():
            self.assertIn(nid, want, "a server of a network with no running "
                          "container: %s" % servers)
        self.assertEqual(dns.resolve(gw, "kpeer"), [kpeer])
        # a kill -9 of the server: the daemon starts it again
        os.kill(servers[k_id][0], signal.SIGKILL)
        def started_again():
            # one reading per try: between two, the killed server may go
            # and its successor not yet have begun
            now = dns_servers(self.d).get(k_id, [])
            return len(now) == 1 and now[0] != servers[k_id][0]
        self.wait_until("drk's server again", started_again)
        self.assertEqual(dns.resolve(gw, "kpeer"), [kpeer])
        self.ok("rm", "-f", "kpeer")
        self.ok("network", "rm", "drk", "drq")
        self.assertEqual(dns_servers(self.d), {})


if __name__ == "__main__":
    common.main()
