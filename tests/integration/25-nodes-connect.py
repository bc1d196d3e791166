#!/usr/bin/env python3
"""docker network connect and disconnect of a container running on a node.

25-nodes-net's head and agent (the agent's --net-dir a folder of its
own, so only the agent's plumbing makes these pass).  Checked with the
real docker CLI:

- `network connect` of a running container: it gets an address on the
  network (inspect), a second veth on the node, its name in the node's
  names table, and the network's other container reaches it by name and
  by address (the agent's log names the connect); `disconnect`: the
  veth, the name and the reach go, the first network untouched, and
  the network's connect and disconnect events are dockerd's; stopped
  with a connected network, everything of both goes;
- what Docker refuses, refused: a second connect to the same network, a
  disconnect from a network it is not on, a connect of a container
  sharing another's namespace (`--network container:`);
- bob, through the same head and node: connecting alice's running
  container to his network, or his running container to alice's, is
  refused, nothing made on the node;
- documents forged with a head's certificate and sent to the agent's
  connect route (bob's network, an address never leased, a bridge of
  the host, a container not running, an unknown field, another
  version, two networks) and disconnect route (an endpoint the store
  still gives an address, another account, a network it is not on)
  and rename route (a name the store does not give the container, a
  name with a NUL or too long, another account, another container's
  id) are refused with 400 or 409 and nothing changed: a forged rename
  leaves the names table as it was;
- connected to n1, n2, n3 (eth0, eth1, eth2), disconnected from n2, a
  connect to n4 takes eth1, the lowest free name, as Docker, and is
  reached by name; a connect document naming an interface another
  endpoint holds in the namespace is refused with a 409.
"""
import importlib
import json
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

net = importlib.import_module("25-nodes-net")
common = net.common
BB = "/bin/busybox"


class NodesConnect(net.NetNode):

    def ping(self, who, name, target):
        return self.docker(who, "exec", name, BB, "ping", "-c", "1", "-W", "2",
                           target).returncode == 0

    def ip_on(self, who, name, netname):
        nets = self.inspect(who, name)["NetworkSettings"]["Networks"]
        return (nets.get(netname) or {}).get("IPAddress", "")

    def test_1_connect_disconnect(self):
        self.wait_available(True)
        sub1, sub2 = self.d.pool_net(31), self.d.pool_net(32)
        n1 = self.ok(self.alice, "network", "create", "--subnet",
                     sub1 + ".0/24", "cn1")
        self.ok(self.alice, "network", "create", "--subnet", sub2 + ".0/24",
                "cn2")
        self.ok(self.alice, "run", "-d", "--name", "c1", "--network", "cn1",
                "tiny:1", BB, "sleep", "300")
        self.ok(self.alice, "run", "-d", "--name", "c2", "--network", "cn2",
                "tiny:1", BB, "sleep", "300")
        c2 = self.inspect(self.alice, "c2")["Id"]
        u2 = self.row("SELECT uuid FROM containers WHERE id = ?", c2)[0]
        self.assertEqual(len(self.veths_of(c2)), 1)
        self.assertFalse(self.ping(self.alice, "c1", "c2"))

        # connected while it runs: an address, a veth, its name, reached
        t0 = int(time.time()) - 1
        took = time.monotonic()
        self.ok(self.alice, "network", "connect", "--alias", "second", "cn1",
                "c2")
        took = time.monotonic() - took
        ip = self.ip_on(self.alice, "c2", "cn1")
        self.assertTrue(ip.startswith(sub1 + "."), ip)
        self.assertEqual(len(self.veths_of(c2)), 2, self.links())
        self.assertIn(c2, self.names_table(n1))
        self.assertIn("container %s: network %s connected" % (u2, n1[:12]),
                      self.d.log("agent"))
        self.assertTrue(self.ping(self.alice, "c1", ip))
        self.assertTrue(self.ping(self.alice, "c1", "c2"), self.names_table(n1))
        self.assertTrue(self.ping(self.alice, "c1", "second"))
        addrs = self.ok(self.alice, "exec", "c2", BB, "ip", "-o", "-4", "addr")
        self.assertIn(ip + "/24", addrs)

        # what Docker refuses
        r = self.docker(self.alice, "network", "connect", "cn1", "c2")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("already exists", r.stderr)
        self.ok(self.alice, "run", "-d", "--name", "c3", "--network",
                "container:c1", "tiny:1", BB, "sleep", "300")
        r = self.docker(self.alice, "network", "connect", "cn2", "c3")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cannot join networks", r.stderr)

        # disconnected: the veth, the name and the reach go
        took2 = time.monotonic()
        self.ok(self.alice, "network", "disconnect", "cn1", "c2")
        print("docker network connect %.0f ms, disconnect %.0f ms (the CLI "
              "included)" % (took * 1000, (time.monotonic() - took2) * 1000),
              file=sys.stderr)
        self.assertEqual(self.ip_on(self.alice, "c2", "cn1"), "")
        self.assertEqual(len(self.veths_of(c2)), 1, self.links())
        self.assertNotIn(c2, self.names_table(n1))
        self.assertIn("container %s: network %s disconnected" % (u2, n1[:12]),
                      self.d.log("agent"))
        self.assertFalse(self.ping(self.alice, "c1", ip))
        self.assertNotIn(ip + "/", self.ok(self.alice, "exec", "c2", BB, "ip",
                                           "-o", "-4", "addr"))
        self.assertTrue(self.ip_on(self.alice, "c2", "cn2"))
        r = self.docker(self.alice, "network", "disconnect", "cn1", "c2")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("is not connected", r.stderr)
        # dockerd's events, one each
        ev = self.ok(self.alice, "events", "--since", str(t0), "--until",
                     str(int(time.time()) + 1), "--filter", "type=network",
                     "--format", "{{.Action}} {{.Actor.ID}} "
                     "{{index .Actor.Attributes \"container\"}}").splitlines()
        self.assertEqual(ev, ["connect %s %s" % (n1, c2),
                              "disconnect %s %s" % (n1, c2)])

        # connected again, then stopped: everything of both goes
        self.ok(self.alice, "network", "connect", "cn1", "c2")
        self.assertEqual(len(self.veths_of(c2)), 2, self.links())
        self.ok(self.alice, "stop", "-t", "1", "c2")
        sdctest.wait_for("c2's veths and name gone", lambda: (
            not self.veths_of(c2) and c2 not in self.names_table(n1)),
            timeout=10)
        # started again: on both networks from the start
        self.ok(self.alice, "start", "c2")
        self.assertEqual(len(self.veths_of(c2)), 2, self.links())
        self.assertTrue(self.ping(self.alice, "c1", "c2"))
        self.ok(self.alice, "rm", "-f", "c1", "c2", "c3")

    def test_2_other_account(self):
        self.wait_available(True)
        sa, sb = self.d.pool_net(33), self.d.pool_net(34)
        an = self.ok(self.alice, "network", "create", "--subnet",
                     sa + ".0/24", "an4")
        bn = self.ok(self.bob, "network", "create", "--subnet", sb + ".0/24",
                     "bn4")
        self.ok(self.alice, "run", "-d", "--name", "ax4", "--network", "an4",
                "tiny:1", BB, "sleep", "300")
        self.ok(self.bob, "run", "-d", "--name", "bx4", "--network", "bn4",
                "tiny:1", BB, "sleep", "300")
        a4 = self.inspect(self.alice, "ax4")["Id"]
        b4 = self.inspect(self.bob, "bx4")["Id"]
        # bob: alice's container to his network, by name and by id (names
        # that are no hex: "a4" would be a prefix of one id in 256, bob's
        # own container's among them)
        for target in ("ax4", a4):
            r = self.docker(self.bob, "network", "connect", "bn4", target)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("No such container", r.stderr)
        # his container to alice's network, by name and by id
        for target in ("an4", an):
            r = self.docker(self.bob, "network", "connect", target, "bx4")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("not found", r.stderr)
            r = self.docker(self.bob, "network", "disconnect", target, "ax4")
            self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(self.veths_of(a4)), 1, self.links())
        self.assertEqual(len(self.veths_of(b4)), 1, self.links())
        self.assertNotIn(b4, self.names_table(an))
        self.assertNotIn(a4, self.names_table(bn))
        self.assertIsNone(self.row("SELECT 1 FROM network_endpoints WHERE "
                                   "container = ? AND network = ?", b4, an))
        self.assertFalse(self.docker(self.bob, "exec", "bx4", BB, "ping", "-c",
                                     "1", "-W", "1", "ax4").returncode == 0)
        self.ok(self.alice, "rm", "-f", "ax4")
        self.ok(self.bob, "rm", "-f", "bx4")

    def test_3_forged_documents(self):
        self.wait_available(True)
        sa, sa2, sb = (self.d.pool_net(i) for i in (35, 36, 37))
        an = self.ok(self.alice, "network", "create", "--subnet",
                     sa + ".0/24", "an5")
        an2 = self.ok(self.alice, "network", "create", "--subnet",
                      sa2 + ".0/24", "an6")
        bn = self.ok(self.bob, "network", "create", "--subnet", sb + ".0/24",
                     "bn5")
        self.ok(self.alice, "run", "-d", "--name", "f1", "--network", "an5",
                "tiny:1", BB, "sleep", "300")
        self.ok(self.alice, "create", "--name", "f2", "--network", "an6",
                "tiny:1", BB, "sleep", "300")
        cid = self.inspect(self.alice, "f1")["Id"]
        uuid, alice = self.row("SELECT uuid, account FROM containers WHERE "
                               "id = ?", cid)
        f2 = self.inspect(self.alice, "f2")["Id"]
        u2 = self.row("SELECT uuid FROM containers WHERE id = ?", f2)[0]
        bob = self.row("SELECT account FROM networks WHERE id = ?", bn)[0]

        def vni(n):
            return self.row("SELECT vni FROM networks WHERE id = ?", n)[0] or 0

        def netdoc(nid, sub, ip):
            return {"ID": nid, "Bridge": "sdc" + nid[:12],
                    "Subnet": sub + ".0/24", "Gateway": sub + ".1",
                    "VNI": vni(nid), "MTU": 1450, "Internal": False,
                    "IP": ip, "MAC": "02:42:0a:41:17:33", "Aliases": []}

        def doc(cid=cid, **over):
            d = {"Version": 1, "Account": alice, "ID": cid,
                 "Networks": [netdoc(an2, sa2, sa2 + ".51")], "Index": 1}
            d.update(over)
            return {k: v for k, v in d.items() if v is not None}

        bad_bridge = netdoc(an2, sa2, sa2 + ".51")
        bad_bridge["Bridge"] = "eth0"
        connect = [
            ("bob's network", doc(Networks=[netdoc(bn, sb, sb + ".51")]),
             400, "not the container's account's"),
            ("bob's account", doc(Account=bob), 400, "not that account's"),
            ("an address never leased", doc(), 400, "not the ones leased"),
            ("the host's eth0", doc(Networks=[bad_bridge]), 400,
             "not the network's own"),
            ("two networks", doc(Networks=[netdoc(an2, sa2, sa2 + ".51"),
                                           netdoc(an, sa, sa + ".52")]),
             400, "the one network"),
            ("ports", doc(Ports=[]), 400, "unknown field"),
            ("an unknown field", doc(Netns="/proc/1/ns/net"), 400,
             "unknown field"),
            ("another version", doc(Version=2), 400, "version"),
            ("an index out of range", doc(Index=99), 400, "Index"),
        ]
        mine = ("sdc" + an2[:12], "sdc" + bn[:12], cid, f2)

        def links():
            return sorted(l.split("link/")[0] for l in self.links().splitlines()
                          if any(m[:12] in l for m in mine))
        before = links()
        for what, body, status, why in connect:
            st, ans = self.agent("POST", "/v1/containers/%s/connect" % uuid,
                                 body)
            self.assertEqual(st, status, "%s: %s %s" % (what, st, ans))
            self.assertIn(why, ans["message"], what)
        # a container not running (its own document)
        st, ans = self.agent("POST", "/v1/containers/%s/connect" % u2,
                             doc(cid=f2))
        self.assertIn(st, (400, 409), ans)
        disconnect = [
            ("an endpoint the store still gives an address",
             {"Version": 1, "Account": alice, "ID": cid, "Network": an},
             400, "still holds"),
            ("bob's account",
             {"Version": 1, "Account": bob, "ID": cid, "Network": an},
             400, "not that account's"),
            ("a network it is not on",
             {"Version": 1, "Account": alice, "ID": cid, "Network": an2},
             409, "not connected"),
            ("an unknown field", {"Version": 1, "Account": alice, "ID": cid,
                                  "Network": an, "Bridge": "eth0"},
             400, "unknown field"),
        ]
        for what, body, status, why in disconnect:
            st, ans = self.agent("POST", "/v1/containers/%s/disconnect" % uuid,
                                 body)
            self.assertEqual(st, status, "%s: %s %s" % (what, st, ans))
            self.assertIn(why, ans["message"], what)
        table = self.names_table(an)
        def ren(**over):
            d = {"Version": 1, "Account": alice, "ID": cid, "Name": "f1"}
            d.update(over)
            return d
        rename = [
            ("a name the store does not give it", ren(Name="x1"),
             "not the container's name"),
            ("a NUL in the name", ren(Name="f1\u0000"), "NUL"),
            ("a name too long", ren(Name="f" * 129), "at most 128"),
            ("bob's account", ren(Account=bob), "not that account's"),
            ("another container's id", ren(ID=f2), "not the container's"),
            ("an unknown field", ren(Network=an), "unknown field"),
            ("another version", ren(Version=2), "version"),
        ]
        for what, body, why in rename:
            st, ans = self.agent("POST", "/v1/containers/%s/rename" % uuid,
                                 body)
            self.assertEqual(st, 400, "%s: %s %s" % (what, st, ans))
            self.assertIn(why, ans["message"], what)
        self.assertEqual(self.names_table(an), table)
        self.assertEqual(links(), before)
        self.assertEqual(len(self.veths_of(cid)), 1, self.links())
        with open(os.path.join(self.zones, uuid, "netnode.json")) as f:
            self.assertEqual(json.load(f)["Networks"], [an])
        addrs = self.ok(self.alice, "exec", "f1", BB, "ip", "-o", "-4", "addr")
        self.assertIn(" eth0 ", addrs)
        self.assertNotIn("eth1", addrs)
        self.ok(self.alice, "rm", "-f", "f1", "f2")

    def test_4_connect_takes_lowest_free_interface(self):
        # on g1, g2, g3 as eth0, eth1, eth2; g2 leaves; g4 takes eth1 (the
        # lowest free, as Docker), not eth2, which g3's interface holds
        self.wait_available(True)
        subs = [self.d.pool_net(i) for i in (38, 39, 40, 41)]
        for k, sub in enumerate(subs, 1):
            self.ok(self.alice, "network", "create", "--subnet",
                    sub + ".0/24", "g%d" % k)
        self.ok(self.alice, "run", "-d", "--name", "gc", "--network", "g1",
                "tiny:1", BB, "sleep", "300")
        self.ok(self.alice, "run", "-d", "--name", "gpeer", "--network", "g4",
                "tiny:1", BB, "sleep", "300")
        self.ok(self.alice, "network", "connect", "g2", "gc")
        self.ok(self.alice, "network", "connect", "g3", "gc")
        self.ok(self.alice, "network", "disconnect", "g2", "gc")
        self.ok(self.alice, "network", "connect", "g4", "gc")
        cid = self.inspect(self.alice, "gc")["Id"]
        self.assertEqual(len(self.veths_of(cid)), 3, self.links())
        addrs = self.ok(self.alice, "exec", "gc", BB, "ip", "-o", "-4", "addr")
        names = {line.split()[1]: line.split()[3].split("/")[0]
                 for line in addrs.splitlines()}
        for ifname, netname in (("eth0", "g1"), ("eth1", "g4"),
                                ("eth2", "g3")):
            self.assertEqual(names.get(ifname),
                             self.ip_on(self.alice, "gc", netname), addrs)
        # reached by name from g4's other container
        sdctest.wait_for("gc by name on g4", lambda: self.ping(
            self.alice, "gpeer", "gc"), timeout=10)
        self.assertEqual(self.row("SELECT ifname FROM network_endpoints "
                                  "WHERE container = ? AND network = "
                                  "(SELECT id FROM networks WHERE name = "
                                  "'g4')", cid)[0], "eth1")
        # the agent refuses a name in use in the namespace with a 409: g4
        # leased but unknown to the node (a connect lost on the way),
        # asked as eth0 (g1's), then as eth1 (its own, made again)
        uuid, alice = self.row("SELECT uuid, account FROM containers WHERE "
                               "id = ?", cid)
        g4 = self.row("SELECT id, vni FROM networks WHERE name = 'g4'")
        rec = os.path.join(self.zones, uuid, "netnode.json")
        with open(rec) as f:
            r = json.load(f)
        r["Networks"].remove(g4[0])
        with open(rec, "w") as f:
            json.dump(r, f)
        ep = self.inspect(self.alice, "gc")["NetworkSettings"]["Networks"]["g4"]
        doc = {"Version": 1, "Account": alice, "ID": cid, "Index": 0,
               "Networks": [{"ID": g4[0], "Bridge": "sdc" + g4[0][:12],
                             "Subnet": subs[3] + ".0/24",
                             "Gateway": subs[3] + ".1", "VNI": g4[1] or 0,
                             "MTU": 1450, "Internal": False,
                             "IP": ep["IPAddress"], "MAC": ep["MacAddress"],
                             "Aliases": []}]}
        st, ans = self.agent("POST", "/v1/containers/%s/connect" % uuid, doc)
        self.assertEqual(st, 409, ans)
        self.assertIn("eth0 is already in use", ans["message"])
        doc["Index"] = 1
        st, ans = self.agent("POST", "/v1/containers/%s/connect" % uuid, doc)
        self.assertEqual(st, 200, ans)
        addrs = self.ok(self.alice, "exec", "gc", BB, "ip", "-o", "-4", "addr")
        self.assertIn(" eth1 ", addrs)
        self.assertIn(ep["IPAddress"] + "/24", addrs)
        self.assertIn(" eth0 ", addrs)
        self.assertIn(self.ip_on(self.alice, "gc", "g1") + "/24", addrs)
        self.assertEqual(len(self.veths_of(cid)), 3, self.links())
        self.ok(self.alice, "rm", "-f", "gc", "gpeer")
        for k in range(1, 5):
            self.ok(self.alice, "network", "rm", "g%d" % k)


def load_tests(loader, tests, pattern):
    return loader.loadTestsFromTestCase(NodesConnect)


if __name__ == "__main__":
    unittest.main(verbosity=2)
