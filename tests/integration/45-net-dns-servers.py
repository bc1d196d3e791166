#!/usr/bin/python3
"""--dns on a network, as Docker's embedded DNS on its networks: the
container's resolv.conf names the network's name server alone, which
still answers the network's names and forwards the names it does not
know to the container's --dns servers (not to the host's).  A fake
upstream on the host (127.77.0.1:53, where only the name server, a host
process, can reach it) answers every A query with 203.0.113.7 and
counts them.  With --network none, --dns servers are the container's
resolv.conf, as before."""
import importlib
import os
import socket
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

common = importlib.import_module("76-containers-common")

UPSTREAM = "127.77.0.1"
ANSWER = bytes([203, 0, 113, 7])


class FakeUpstream(threading.Thread):
    """Answers every query with one A record, ANSWER; keeps the names."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((UPSTREAM, 53))
        self.sock.settimeout(0.2)
        self.names = []
        self.stopping = False

    def run(self):
        while not self.stopping:
            try:
                q, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            labels, i = [], 12
            while i < len(q) and q[i] != 0:
                labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace"))
                i += q[i] + 1
            self.names.append(".".join(labels))
            end = i + 5          # the root label, QTYPE, QCLASS
            qtype = q[i + 1:i + 3]
            ans = (b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + ANSWER
                   if qtype == b"\x00\x01" else b"")
            head = q[:2] + b"\x81\x80" + q[4:6] + \
                (b"\x00\x01" if ans else b"\x00\x00") + b"\x00\x00\x00\x00"
            self.sock.sendto(head + q[12:end] + ans, peer)

    def stop(self):
        self.stopping = True
        self.join(2)
        self.sock.close()


class NetDnsServers(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.upstream = FakeUpstream()
        cls.upstream.start()

    @classmethod
    def tearDownClass(cls):
        cls.upstream.stop()
        cls.remove_tenants_things()
        super().tearDownClass()

    def test_dns_servers_are_the_name_servers_forwarders(self):
        self.ok("network", "create", "dnsfw")
        self.ok("run", "-d", "--name", "peer", "--network", "dnsfw", "busybox",
                "sleep", "600")
        r = self.docker(self.alice, "run", "--rm", "--network", "dnsfw",
                        "--dns", UPSTREAM, "busybox", "sh", "-c",
                        "cat /etc/resolv.conf; echo ---; "
                        "nslookup outside.example.test; echo ---; "
                        "nslookup peer")
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        resolv, outside, peer = out.split("---", 2)
        servers = [line.split()[1] for line in resolv.splitlines()
                   if line.startswith("nameserver")]
        # the network's name server alone, as Docker's 127.0.0.11
        self.assertEqual(len(servers), 1, resolv)
        self.assertNotEqual(servers[0], UPSTREAM, resolv)
        # a name the network does not know: from the --dns server
        self.assertIn("203.0.113.7", outside, out)
        self.assertIn("outside.example.test", self.upstream.names)
        # the network's own names still answered by it
        ip = self.inspect("peer")["NetworkSettings"]["Networks"]["dnsfw"]["IPAddress"]
        self.assertIn(ip, peer, out)
        self.ok("rm", "-f", "peer")
        self.ok("network", "rm", "dnsfw")

    def test_dns_without_a_network_is_resolv_conf(self):
        r = self.docker(self.alice, "run", "--rm", "--network", "none",
                        "--dns", "198.51.100.1", "busybox", "cat",
                        "/etc/resolv.conf")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("nameserver 198.51.100.1", r.stdout)


if __name__ == "__main__":
    common.main()
