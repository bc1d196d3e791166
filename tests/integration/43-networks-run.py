#!/usr/bin/python3
"""Containers on real networks, with the docker CLI over TLS: a published
port answers from the host (`run -d -p P:80 busybox httpd`), -P and
`docker port`, two containers of a user network find each other by name
and alias, --link adds the legacy entry, the default network resolves
names too, and alice's container cannot reach bob's container's address.
At the end nothing of the networks is left: no veth, bridge or sandbox
of ours."""
import concurrent.futures
import importlib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

common = importlib.import_module("76-containers-common")




class NetworksRun(common.ContainersTest):
    @classmethod
    def tearDownClass(cls):
        cls.remove_tenants_things()
        try:
            super().tearDownClass()
        finally:
            sandboxes = os.path.join(cls.d.tmp, "dockerapi", "net", "netns")
            left = os.listdir(sandboxes) if os.path.isdir(sandboxes) else []
            assert left == [], "sandboxes left: %s" % left

    def httpd(self, name, *args, certs=None):
        self.ok("run", "-d", "--name", name, *args, "busybox", "sh", "-c",
                "mkdir -p /www && echo hello from %s > /www/index.html && "
                "exec httpd -f -p 80 -h /www" % name, certs=certs)

    def wait_served(self, url, certs=None, network=None):
        """From a container of the same account: the server answers."""
        net = ["--network", network] if network else []
        r = self.sh(*net, "busybox", "sh", "-c",
                    "i=0; while [ $i -lt 50 ]; do timeout 2 wget -q -O - %s && exit 0; "
                    "sleep 0.2; i=$((i+1)); done; exit 1" % url, certs=certs)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def sh(self, *args, certs=None):
        """run --rm: its addresses are there before its first instruction."""
        return self.docker(certs or self.alice, "run", "--rm", *args)

    def test_published_port_from_the_host(self):
        port = sdctest.free_port(host="0.0.0.0")
        self.httpd("web1", "-p", "%d:80" % port)
        self.assertEqual(sdctest.fetch("http://127.0.0.1:%d/" % port).strip(), "hello from web1")
        ip = [a for a in subprocess.run(["hostname", "-I"], capture_output=True, text=True)
              .stdout.split() if "." in a][0]
        self.assertEqual(sdctest.fetch("http://%s:%d/" % (ip, port)).strip(), "hello from web1")
        # -P: a port of the ephemeral range, shown by docker port
        self.httpd("web2", "-P", "--expose", "80")
        hp = self.ok("port", "web2", "80/tcp").split()[0].rsplit(":", 1)[1]
        self.assertEqual(sdctest.fetch("http://127.0.0.1:%s/" % hp).strip(), "hello from web2")
        # stopped: the port answers no more and is free again
        self.ok("rm", "-f", "web1")
        self.httpd("web3", "-p", "%d:80" % port)
        self.assertEqual(sdctest.fetch("http://127.0.0.1:%d/" % port).strip(), "hello from web3")
        self.ok("rm", "-f", "web2", "web3")

    def test_names_on_a_user_network(self):
        self.ok("network", "create", "front")
        self.httpd("srv", "--network", "front", "--network-alias", "api")
        self.wait_served("http://srv/", network="front")
        for name in ("srv", "api"):
            r = self.sh("--network", "front", "busybox", "wget", "-q", "-O", "-",
                        "http://%s/" % name)
            self.assertEqual(r.returncode, 0, r.stderr + self.d.log("dockerapi")[-1500:])
            self.assertEqual(r.stdout.strip(), "hello from srv")
        # --link: the legacy /etc/hosts entry, under its alias
        r = self.sh("--network", "front", "--link", "srv:legacy", "busybox", "sh", "-c",
                    "grep legacy /etc/hosts && wget -q -O - http://legacy/")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("hello from srv", r.stdout)
        self.ok("rm", "-f", "srv")
        self.ok("network", "rm", "front")

    def test_default_network_resolves(self):
        self.httpd("dflt")
        self.wait_served("http://dflt/")
        r = self.sh("busybox", "wget", "-q", "-O", "-", "http://dflt/")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "hello from dflt")
        self.ok("rm", "-f", "dflt")

    def test_accounts_cannot_reach_each_other(self):
        self.httpd("bobweb", certs=self.bob)
        bip = self.inspect("bobweb", certs=self.bob)["NetworkSettings"]["IPAddress"]
        self.assertTrue(bip)
        # bob's own neighbour reaches it: the server is up
        self.assertEqual(self.wait_served("http://%s/" % bip, certs=self.bob).strip(),
                         "hello from bobweb")
        # alice's does not, on that port or any, nor by name: her tries
        # at once, each waiting out its timeout
        # (busybox's wget -T crashes: timeout(1) bounds it instead)
        # (and not as pid 1, which would ignore timeout's signal)
        tries = {"port 80": "timeout 3 wget -q -O - http://%s/; exit $?" % bip,
                 "port 22": "timeout 3 nc %s 22 </dev/null; exit $?" % bip,
                 "by name": "timeout 3 wget -q -O - http://bobweb/; exit $?"}
        with concurrent.futures.ThreadPoolExecutor(len(tries)) as pool:
            got = {what: pool.submit(self.sh, "busybox", "sh", "-c", cmd)
                   for what, cmd in tries.items()}
            for what, f in got.items():
                r = f.result()
                self.assertNotEqual(r.returncode, 0, what)
                self.assertNotIn("hello", r.stdout, what)
        self.ok("rm", "-f", "bobweb", certs=self.bob)


if __name__ == "__main__":
    common.main()
