#!/usr/bin/python3
"""What a container may not reach, with the docker CLI over TLS, tried as
the container would: an --internal network has no way out (an "outside"
that the default network reaches, a namespace beyond a veth) but its
members reach each other by name; the host's own services (a TCP
listener on every host address, the bridge's gateway included) and a
link-local address are closed; DNS answers on a container's own gateway
and not on another network's; alice's container reaches nothing of bob's
container (tcp, udp, ping: counted by bob's kernel) and cannot publish a
port bob holds.  At the end nothing of the removed containers and
networks is left."""
import concurrent.futures
import importlib
import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402

common = importlib.import_module("76-containers-common")
net = importlib.import_module("44-networks-common")

# a host route each: of this process's test slot, apart from other tests'
LINK_LOCAL = "169.254.78.%d" % (sdctest.process_slot() + 1)



class IsolationBase(common.ContainersTest):
    """Daemons, an outside, and what the tests share; no test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.outside = net.Outside(extra=[LINK_LOCAL])
        cls.outside_port = sdctest.free_port(host="0.0.0.0")
        cls.outside.serve(cls.outside_port, "from-outside")
        cls.seen_cids, cls.seen_nids = set(), set()

    @classmethod
    def tearDownClass(cls):
        try:
            for c in (cls.alice, cls.bob):
                cids, nids = net.ids(cls, c)
                cls.seen_cids.update(cids)
                cls.seen_nids.update(nids)
            cls.remove_all()
            for c in (cls.alice, cls.bob):
                cls.d.docker(c, "network", "prune", "-f")
            # the default networks stay; every other one must be gone
            kept = set()
            for c in (cls.alice, cls.bob):
                kept.update(net.ids(cls, c)[1])
            gone = cls.seen_nids - kept
            left = net.wait_empty("leftovers", lambda: net.leftovers(cls.d, cls.seen_cids, gone)
                                  + net.lease_rows(cls.d, cls.seen_cids | gone))
            assert left == [], "left behind: %s" % left
        finally:
            cls.outside.close()
            super().tearDownClass()

    @classmethod
    def docker(cls, certs, *args, **kw):
        return cls.d.docker(certs, *args, **kw)

    def note(self, certs):
        cids, nids = net.ids(self, certs)
        self.seen_cids.update(cids)
        self.seen_nids.update(nids)

    def sh(self, script, *args, certs=None):
        """run --rm busybox sh -c script, once the container has its
        address (it arrives just after the process starts)."""
        r = self.docker(certs or self.alice, "run", "--rm", *args, "busybox", "sh", "-c",
                        "i=0; until ip -4 addr show eth0 2>/dev/null | grep -q inet "
                        "|| [ $i -gt 100 ]; do sleep 0.05; i=$((i+1)); done; "
                        + script + "; exit $?")
        return r

    def httpd(self, name, *args, certs=None):
        self.ok("run", "-d", "--name", name, *args, "busybox", "sh", "-c",
                "mkdir -p /www && echo hello from %s > /www/index.html && "
                "exec httpd -f -p 80 -h /www" % name, certs=certs)
        self.note(certs or self.alice)

    def reaches(self, url, *args, certs=None, tries=1):
        r = self.sh("i=0; while [ $i -lt %d ]; do timeout 3 wget -q -O - %s && exit 0; "
                    "sleep 0.2; i=$((i+1)); done; exit 1" % (tries, url), *args, certs=certs)
        return r.returncode == 0, r.stdout

    def counters(self, name):
        """What bob's container's kernel received: tcp segments, udp
        datagrams (to open and closed ports), icmp echo requests."""
        out = self.ok("exec", name, "cat", "/proc/net/snmp", certs=self.bob)
        rows = {}
        lines = out.splitlines()
        for head, vals in zip(lines[::2], lines[1::2]):
            k = head.split(":")[0]
            rows[k] = dict(zip(head.split()[1:], vals.split()[1:]))
        return (int(rows["Tcp"]["InSegs"]), int(rows["Udp"]["InDatagrams"]) +
                int(rows["Udp"]["NoPorts"]), int(rows["Icmp"]["InEchos"]))


class Isolation(IsolationBase):
    def test_internal_network_has_no_way_out(self):
        url = "http://%s:%d/" % (self.outside.addr, self.outside_port)
        ok, out = self.reaches(url, tries=20)
        self.assertTrue(ok, "the default network does not reach the outside")
        self.assertIn("from-outside", out)
        self.ok("network", "create", "--internal", "inner")
        self.note(self.alice)
        self.assertTrue(net.inspect_net(self, "inner", self.alice)["Internal"])
        self.httpd("peer", "--network", "inner")
        ok, out = self.reaches("http://peer/", "--network", "inner", tries=20)
        self.assertTrue(ok, "an internal network's member does not reach its peer by name")
        self.assertIn("hello from peer", out)
        # nor the host's side of the bridge: both tried at once
        host = "http://%s:%d/" % (self.outside.host_addr, self.outside_port)
        r = self.sh(" ".join("(timeout 3 wget -q -O - %s >/dev/null && echo reached %s) &"
                             % (u, u) for u in (url, host)) + " wait",
                    "--network", "inner")
        self.assertNotIn("reached", r.stdout, r.stdout + r.stderr)
        self.ok("rm", "-f", "peer")
        self.ok("network", "rm", "inner")

    def test_host_services_closed(self):
        # a TCP service of the host's, on every address
        srv, port = sdctest.host_tcp_service()
        try:
            self.httpd("named")
            info = self.inspect("named")["NetworkSettings"]
            gw = info["Gateway"]
            hostip = [a for a in subprocess.run(["hostname", "-I"], capture_output=True,
                                                text=True).stdout.split() if "." in a][0]
            addrs = ("127.0.0.1", gw, hostip, self.outside.host_addr)
            for addr in addrs:
                with socket.create_connection((addr, port), timeout=3) as c:
                    self.assertIn(b"host-service", c.recv(100))  # the host reaches it
            # link-local: the host reaches it, a container does not
            with socket.create_connection((LINK_LOCAL, self.outside_port), timeout=3):
                pass
            # DNS: on its own gateway, yes; on another network's gateway
            # (alice's own other network, bob's default), no
            self.ok("network", "create", "othernet")
            self.httpd("othersrv", "--network", "othernet")
            self.httpd("bobsrv", certs=self.bob)
            ogw = net.inspect_net(self, "othernet", self.alice)["IPAM"]["Config"][0]["Gateway"]
            bgw = self.inspect("bobsrv", certs=self.bob)["NetworkSettings"]["Gateway"]
            r = self.sh("i=0; until nslookup named %s; do [ $i -gt 20 ] && exit 1; "
                        "sleep 0.2; i=$((i+1)); done" % gw)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn(info["IPAddress"], r.stdout)
            # the other gateways do answer their own members
            r = self.sh("nslookup othersrv %s" % ogw, "--network", "othernet")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = self.sh("nslookup bobsrv %s" % bgw, certs=self.bob)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            # every try at once, each saying what it reached
            tries = ["(timeout 3 nc %s %d </dev/null | sed 's|^|%s: |') &" % (a, port, a)
                     for a in addrs]
            tries += ["(timeout 3 wget -q -O - http://%s:%d/ | sed 's|^|%s: |') &"
                      % (a, self.outside_port, a) for a in (LINK_LOCAL, "169.254.169.254")]
            tries += ["(timeout 4 nslookup %s %s && echo answered %s) &" % (n, g, g)
                      for n, g in (("othersrv", ogw), ("bobsrv", bgw))]
            r = self.sh(" ".join(tries) + " wait")
            self.assertNotIn("host-service", r.stdout)
            self.assertNotIn("from-outside", r.stdout)
            self.assertNotIn("answered", r.stdout)
        finally:
            srv.close()
        self.ok("rm", "-f", "named", "othersrv")
        self.ok("rm", "-f", "bobsrv", certs=self.bob)
        self.ok("network", "rm", "othernet")

    def test_accounts_apart(self):
        self.httpd("bobweb", certs=self.bob)
        bip = self.inspect("bobweb", certs=self.bob)["NetworkSettings"]["IPAddress"]
        tries = ("timeout 3 wget -q -O - http://{ip}/ & "
                 "timeout 3 nc {ip} 22 </dev/null & "
                 "timeout 3 nc {ip} 8080 </dev/null & "
                 "timeout 3 nslookup x {ip}:9999 & "
                 "timeout 3 nslookup x {ip} & "
                 "timeout 3 ping -c 1 -W 2 {ip} & wait; echo done").format(ip=bip)
        # bob's neighbour: every try arrives (tcp, udp, and ping if it works)
        before = self.counters("bobweb")
        r = self.sh(tries, certs=self.bob)
        after = self.counters("bobweb")
        self.assertIn("hello from bobweb", r.stdout)
        self.assertGreater(after[0], before[0])
        self.assertGreater(after[1], before[1])
        ping_works = after[2] > before[2]
        print("\nbusybox ping as container root: %s" % ("works" if ping_works else
              "does not (%s)" % r.stderr.strip()[-200:]), file=sys.stderr)
        # alice's: nothing arrives, from the default network or a user
        # one (both at once)
        self.ok("network", "create", "alicenet")
        before = self.counters("bobweb")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            rs = list(pool.map(lambda args: self.sh(tries, *args),
                               ((), ("--network", "alicenet"))))
        after = self.counters("bobweb")
        for r in rs:
            self.assertNotIn("hello", r.stdout)
        self.assertEqual(after, before, "alice's packets reached bob's container")
        # a port bob publishes, tcp or udp, is not alice's to take
        port = sdctest.free_port(host="0.0.0.0")
        self.ok("run", "-d", "--name", "bobpub", "-p", "%d:80" % port,
                "-p", "%d:53/udp" % port, "busybox", "sleep", "60", certs=self.bob)
        self.note(self.bob)
        for spec in ("%d:80" % port, "%d:53/udp" % port):
            r = self.fails("run", "-d", "--name", "alicepub", "-p", spec, "busybox",
                           "sleep", "60")
            self.assertTrue(re.search("port is already allocated", r.stderr), r.stderr)
            self.ok("rm", "-f", "alicepub")
        self.ok("rm", "-f", "bobweb", "bobpub", certs=self.bob)
        self.ok("network", "rm", "alicenet")


if __name__ == "__main__":
    common.main()
