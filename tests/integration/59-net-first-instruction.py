#!/usr/bin/python3
"""A container's networks are there before its first instruction: with
no wait of any kind, `run --rm --network N busybox sh -c '...'` finds its
address and default route on eth0, /etc/hosts and resolv.conf written,
and fetches a page from another container by name, ten times in a row.
`docker exec` enters a networked container (its network namespace is in
the container's user namespace, as runc made it), and the container's
root binds port 80.  (What networking adds to `docker run --rm busybox
true`, the default network against --network none, is bench/net's to
measure: a figure, not a check.)"""
import importlib
import os
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

common = importlib.import_module("76-containers-common")

RUNS = 10
FIRST = ("ip -4 addr show eth0 | grep -q inet && "
         "ip -4 route | grep -q '^default via' && "
         "grep -q \"$(hostname)\" /etc/hosts && "
         "grep -q '^nameserver' /etc/resolv.conf && "
         "wget -q -O - http://web/")


class NetFirstInstruction(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        a = cls.alice
        r = cls.d.docker(a, "network", "create", "nf")
        assert r.returncode == 0, r.stderr
        r = cls.d.docker(a, "run", "-d", "--name", "web", "--network", "nf",
                         "busybox", "sh", "-c",
                         "mkdir -p /www && echo hello from web > /www/index.html"
                         " && exec httpd -f -p 80 -h /www")
        assert r.returncode == 0, r.stderr
        # the server's own start (not the network's): from the host
        ip = cls.d.docker(a, "inspect", "-f",
                          "{{.NetworkSettings.Networks.nf.IPAddress}}",
                          "web").stdout.strip()
        end = time.time() + 20
        while True:
            try:
                with urllib.request.urlopen("http://%s/" % ip, timeout=2) as r:
                    assert r.read().decode().strip() == "hello from web"
                    break
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.1)
        cls.web_ip = ip

    @classmethod
    def tearDownClass(cls):
        cls.remove_tenants_things()
        super().tearDownClass()

    def test_first_instruction_has_its_network(self):
        for i in range(RUNS):
            r = self.docker(self.alice, "run", "--rm", "--network", "nf",
                            "busybox", "sh", "-c", FIRST)
            self.assertEqual(r.returncode, 0, "run %d: %s" % (i, r.stderr))
            self.assertEqual(r.stdout.strip(), "hello from web", "run %d" % i)
        # the default network too, by address
        for i in range(3):
            r = self.docker(self.alice, "run", "--rm", "busybox", "sh", "-c",
                            "ip -4 addr show eth0 | grep -q inet && "
                            "ip -4 route | grep -q '^default via'")
            self.assertEqual(r.returncode, 0, "default network, run %d: %s"
                             % (i, r.stderr))

    def test_exec_and_low_ports(self):
        self.ok("run", "-d", "--name", "box", "--network", "nf", "busybox",
                "sleep", "300")
        ip = self.inspect("box")["NetworkSettings"]["Networks"]["nf"]["IPAddress"]
        r = self.docker(self.alice, "exec", "box", "ip", "-4", "addr", "show", "eth0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("inet %s/" % ip, r.stdout)
        r = self.docker(self.alice, "exec", "box", "wget", "-q", "-O", "-", "http://web/")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "hello from web")
        # the container's root binds a low port, in exec as in run
        r = self.docker(self.alice, "exec", "box", "sh", "-c",
                        "httpd -p 81 && echo bound")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "bound")
        r = self.docker(self.alice, "run", "--rm", "--network", "nf", "busybox",
                        "sh", "-c", "httpd -p 80 && echo bound")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "bound")
        self.ok("rm", "-f", "box")

    def test_names_and_bridge_kept_between_runs(self):
        """A network whose last container went keeps its (empty) names
        table and, for a while, its aardvark-dns, so the next start reloads
        it rather than starting one; a bridge deleted by hand is made again at the
        next start, rules and all, and the table goes with the network."""
        self.ok("network", "create", "solo")
        nid = self.docker(self.alice, "network", "inspect", "-f", "{{.Id}}",
                          "solo").stdout.strip()
        conf = os.path.join(self.d.tmp, "dockerapi", "net", "dns", "net",
                            nid)
        gw = self.docker(self.alice, "network", "inspect", "-f",
                         "{{(index .IPAM.Config 0).Gateway}}",
                         "solo").stdout.strip()
        self.ok("run", "--rm", "--network", "solo", "busybox", "true")
        with open(os.path.join(conf, nid)) as f:
            self.assertEqual(f.read().strip(), gw)
        with open(os.path.join(conf, "aardvark.pid")) as f:
            pid = f.read().strip()
        r = self.docker(self.alice, "run", "--rm", "--network", "solo",
                        "--name", "who", "busybox", "nslookup", "who")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(conf, "aardvark.pid")) as f:
            self.assertEqual(f.read().strip(), pid)
        # by hand, the bridge goes: the next start makes it again
        subprocess.run(["ip", "link", "delete", "sdc" + nid[:12]], check=True)
        r = self.docker(self.alice, "run", "--rm", "--network", "solo",
                        "--name", "back", "busybox", "sh", "-c",
                        "ip -4 route | grep -q '^default via %s' && "
                        "nslookup back %s >/dev/null && echo ok" % (gw, gw))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "ok")
        out = subprocess.run(["nft", "list", "set", "inet", "sdc_docker",
                              "bridges"], capture_output=True,
                             text=True).stdout
        self.assertIn("sdc" + nid[:12], out)
        self.ok("network", "rm", "solo")
        self.assertFalse(os.path.exists(os.path.join(conf, nid)))


if __name__ == "__main__":
    common.main()
