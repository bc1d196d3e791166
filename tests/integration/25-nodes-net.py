#!/usr/bin/env python3
"""A container's network plumbed by its node's agent.

A head (sapi + dockerapi) and one sdc-docker-agent beside it, as in
25-nodes-create.py, but the agent's --net-dir is a folder of its own, not
the head's <data>/net: what the head would plumb on its own side is not
the node's, so only the agent's plumbing makes these pass.  Checked, with
the real docker CLI:

- `run -d -p`: the published port answers curl from the host; the
  container's sandbox, its plan and the ports' chain are the agent's
  (its --net-dir, its log), none of it in the head's folder;
- two of alice's containers on her network reach each other by name
  and by address (the names table and aardvark-dns are the agent's);
- bob's container on his own network reaches neither, by address, by
  name, or by ARP from a forged address in alice's subnet;
- stop, start and rm: no ports' chain, veth or name left behind (the
  kernel's own word: nft, ip link, the names table);
- hostile start documents sent with a head's certificate (a port out of
  range or not reserved, an address outside the subnet, a bridge of the
  host, another account's network, account or container's files, a
  file with a NUL, an unknown field, another version) refused with 400
  and nothing changed:
  no link, chain, sandbox or record made, the container not started;
- a container plumbed that is not running (its agent killed between the
  plumbing and runc's run) is taken down at the agent's next start.
"""
import importlib
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

common = importlib.import_module("37-nodes-common")
create = importlib.import_module("25-nodes-create")


run = common.run


class NetNode(common.NodesBase):
    """The head and its agent with a networking folder of its own, and
    what the tests read of them; other node tests build on it."""

    TENANTS = ("alice", "bob")

    @classmethod
    def setUpClass(cls):
        common.NodesBase.setUpClass.__func__(cls)
        cls.zones = os.path.join(cls.d.tmp, "zones")
        cls.head_net = os.path.join(cls.d.tmp, "dockerapi", "net")
        cls.bob = cls.certs["bob"]
        sdctest.wait_for("head knows its node", lambda: "containers run on node"
                         in cls.d.log("dockerapi"))
        for who in (cls.alice, cls.bob):
            cls.import_for(who)

    @classmethod
    def agent_dirs(cls):
        """The agent with a networking folder of its own."""
        cls.agent_net = os.path.join(cls.d.tmp, "agent-net")
        return dict(super().agent_dirs(), **{"net-dir": cls.agent_net})

    @classmethod
    def import_for(cls, certs):
        import io
        import tarfile
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            t.add("/bin/busybox", arcname="bin/busybox")
        r = subprocess.run(["docker", "import", "-", "tiny:1"],
                           env=cls.d.docker_env(certs), input=raw.getvalue(),
                           capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        for who in (cls.alice, cls.bob):
            r = cls.d.docker(who, "ps", "-aq")
            ids = r.stdout.split()
            if ids:
                cls.d.docker(who, "rm", "-f", *ids)
        for name in reversed(list(cls.d.procs)):
            cls.d.stop_one(name)
        # what the agent's names servers, bridges and rules leave, as
        # sdctest does for the head's folder
        driver = os.path.join(sdctest.BIN, "..", "tests", "net-driver")
        run(driver, "-r", cls.agent_net, "sweep", "-", "-", check=False)
        run("umount", "-l", os.path.join(cls.agent_net, "netns"), check=False)
        cls.d.stop()

    # --- helpers ---

    def docker(self, who, *args):
        return self.d.docker(who, *args)

    def ok(self, who, *args):
        r = self.docker(who, *args)
        self.assertEqual(r.returncode, 0, r.stderr + self.d.log("agent")[-1500:]
                         + self.d.log("dockerapi")[-1500:])
        return r.stdout.strip()

    def exec_ok(self, who, name, *cmd):
        return self.docker(who, "exec", name, "/bin/busybox", *cmd).returncode == 0

    def inspect(self, who, name):
        return json.loads(self.ok(who, "inspect", name))[0]

    def names_table(self, net_id):
        p = os.path.join(self.agent_net, "dns", "net", net_id, net_id)
        try:
            with open(p) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def ruleset(self):
        return run("nft", "list", "table", "inet", "sdc_docker",
                   check=False).stdout

    def links(self):
        return run("ip", "-o", "link", "show").stdout

    def veths_of(self, cid):
        return [l for l in self.links().splitlines() if ("sdc %s" % cid) in l]

    # the agent's API with the head's certificate: (status, body)
    agent = create.NodesCreate.agent

    def row(self, sql, *params):
        rows = self.d.store_rows("dockerapi", sql, params)
        return rows[0] if rows else None

    # --- the tests ---

class NodesNet(NetNode):

    def test_1_published_port(self):
        self.wait_available(True)
        port = sdctest.free_port(host="0.0.0.0")
        self.ok(self.alice, "run", "-d", "--name", "web", "-p", "%d:80" % port,
                "tiny:1", "/bin/busybox", "sh", "-c",
                "/bin/busybox mkdir -p /www && echo hello-node > /www/index.html"
                " && exec /bin/busybox httpd -f -p 80 -h /www")
        cid = self.inspect(self.alice, "web")["Id"]
        uuid = self.row("SELECT uuid FROM containers WHERE id = ?", cid)[0]
        sdctest.wait_for("the published port answering", lambda: run(
            "curl", "-sf", "-m", "2", "http://127.0.0.1:%d/index.html" % port,
            check=False).stdout.strip() == "hello-node", timeout=15)
        # the agent's plumbing, in its own folder; none in the head's
        self.assertTrue(os.path.exists(os.path.join(self.agent_net, "netns", cid)))
        self.assertFalse(os.path.exists(os.path.join(self.head_net, "netns", cid)))
        self.assertIn("p_%s" % cid[:12], self.ruleset().replace(cid, cid[:12]))
        log = self.d.log("agent")
        self.assertIn("container %s: network " % uuid, log)
        self.assertIn("plumbed", log)
        self.assertIn("container %s: port %d/tcp published to 80" % (uuid, port), log)
        self.assertEqual(len(self.veths_of(cid)), 1, self.links())
        # stopped: the chain, the veth and the sandbox go
        self.ok(self.alice, "stop", "-t", "1", "web")
        sdctest.wait_for("web's ports, veth and sandbox gone", lambda: (
            cid not in self.ruleset() and not self.veths_of(cid) and
            not os.path.exists(os.path.join(self.agent_net, "netns", cid))),
            timeout=10)
        self.assertIn("container %s: network taken down" % uuid,
                      self.d.log("agent"))
        r = run("curl", "-sf", "-m", "2", "http://127.0.0.1:%d/" % port,
                check=False)
        self.assertNotEqual(r.returncode, 0)
        # started again, then removed
        self.ok(self.alice, "start", "web")
        sdctest.wait_for("the port answering again", lambda: run(
            "curl", "-sf", "-m", "2", "http://127.0.0.1:%d/index.html" % port,
            check=False).stdout.strip() == "hello-node", timeout=15)
        self.ok(self.alice, "rm", "-f", "web")
        sdctest.wait_for("web's ports and veth gone after rm", lambda: (
            cid not in self.ruleset() and not self.veths_of(cid)), timeout=10)

    def test_2_names_and_isolation(self):
        self.wait_available(True)
        a_sub = self.d.pool_net(21)
        b_sub = self.d.pool_net(22)
        an = self.ok(self.alice, "network", "create", "--subnet",
                     a_sub + ".0/24", "an")
        bn = self.ok(self.bob, "network", "create", "--subnet",
                     b_sub + ".0/24", "bn")
        for name in ("a1", "a2"):
            self.ok(self.alice, "run", "-d", "--name", name, "--network", "an",
                    "tiny:1", "/bin/busybox", "sleep", "300")
        self.ok(self.bob, "run", "-d", "--name", "b1", "--network", "bn",
                "tiny:1", "/bin/busybox", "sleep", "300")
        both = json.loads(self.ok(self.alice, "inspect", "a1", "a2"))
        ip1, ip2 = (one["NetworkSettings"]["Networks"]["an"]["IPAddress"]
                    for one in both)
        a2 = both[1]["Id"]
        # names: the agent's table, none of the head's
        self.assertIn("a2", self.names_table(an))
        self.assertFalse(os.path.exists(os.path.join(self.head_net, "dns", "net",
                                                     an)))
        self.assertTrue(self.exec_ok(self.alice, "a1", "ping", "-c", "1", "-W",
                                     "2", ip2))
        self.assertTrue(self.exec_ok(self.alice, "a1", "ping", "-c", "1", "-W",
                                     "2", "a2"), self.names_table(an))
        self.assertTrue(self.exec_ok(self.alice, "a2", "ping", "-c", "1", "-W",
                                     "2", "a1"))
        # bob reaches neither, by address, name or a forged ARP (one
        # exec: any of them answering fails it)
        bb = "/bin/busybox"
        r = self.docker(self.bob, "exec", "b1", bb, "sh", "-c",
                        " || ".join(["%s ping -c 1 -W 1 %s" % (bb, t)
                                     for t in (ip1, ip2)] +
                                    ["%s nslookup %s" % (bb, n)
                                     for n in ("a1", "a2")]))
        self.assertNotEqual(r.returncode, 0, "bob reached alice's: " + r.stdout)
        forged = a_sub + ".200"
        self.assertFalse(self.exec_ok(self.bob, "b1", "arping", "-c", "2",
                                      "-w", "2", "-I", "eth0", "-s", forged,
                                      ip1), "alice's container answered bob's ARP")
        self.assertNotIn(forged, self.docker(self.alice, "exec", "a1",
                                             "/bin/busybox", "ip", "neigh").stdout)
        # a2 stopped: its name and veth go from the node
        self.ok(self.alice, "stop", "-t", "1", "a2")
        sdctest.wait_for("a2's name gone from the table", lambda:
                         a2 not in self.names_table(an), timeout=10)
        self.assertFalse(self.veths_of(a2))
        self.assertFalse(self.exec_ok(self.alice, "a1", "ping", "-c", "1",
                                      "-W", "1", "a2"))
        # started again: back by name; removed: gone
        self.ok(self.alice, "start", "a2")
        self.assertIn(a2, self.names_table(an))
        self.assertTrue(self.exec_ok(self.alice, "a1", "ping", "-c", "1", "-W",
                                     "2", "a2"))
        self.ok(self.alice, "rm", "-f", "a2")
        sdctest.wait_for("a2's name and veth gone after rm", lambda: (
            a2 not in self.names_table(an) and not self.veths_of(a2)),
            timeout=10)
        self.bn = bn

    def test_3_hostile_documents(self):
        self.wait_available(True)
        a_sub = self.d.pool_net(23)
        an = self.ok(self.alice, "network", "create", "--subnet",
                     a_sub + ".0/24", "an3")
        b_sub = self.d.pool_net(24)
        bn = self.ok(self.bob, "network", "create", "--subnet",
                     b_sub + ".0/24", "bn3")
        port = sdctest.free_port(host="0.0.0.0")
        self.ok(self.alice, "create", "--name", "h1", "--network", "an3",
                "-p", "%d:80" % port, "tiny:1", "/bin/busybox", "sleep", "300")
        cid = self.inspect(self.alice, "h1")["Id"]
        uuid, alice = self.row("SELECT uuid, account FROM containers WHERE "
                               "id = ?", cid)
        bob = self.row("SELECT account FROM networks WHERE id = ?", bn)[0]
        bobs = self.ok(self.bob, "create", "tiny:1", "/bin/busybox", "true")
        vni = self.row("SELECT vni FROM networks WHERE id = ?", an)[0] or 0
        bvni = self.row("SELECT vni FROM networks WHERE id = ?", bn)[0] or 0

        def doc(**over):
            net = {"ID": an, "Bridge": "sdc" + an[:12],
                   "Subnet": a_sub + ".0/24", "Gateway": a_sub + ".1",
                   "VNI": vni, "MTU": 1450, "Internal": False,
                   "IP": a_sub + ".50", "MAC": "02:42:0a:41:17:32",
                   "Aliases": []}
            net.update(over.pop("net", {}))
            d = {"Version": 1, "Account": alice, "ID": cid,
                 "Networks": [net],
                 "Ports": [{"Proto": "tcp", "HostIP": "0.0.0.0",
                            "HostPort": port, "ContainerPort": 80}],
                 "Files": {"hosts": "127.0.0.1\tlocalhost\n",
                           "resolv.conf": "nameserver %s.1\n" % a_sub}}
            d.update(over)
            return {"NoLog": True, "Network": {k: v for k, v in d.items()
                                               if v is not None}}

        hostile = [
            ("a port out of range", doc(Ports=[{
                "Proto": "tcp", "HostIP": "0.0.0.0", "HostPort": 70000,
                "ContainerPort": 80}]), "HostPort"),
            ("sshd's port, never reserved", doc(Ports=[{
                "Proto": "tcp", "HostIP": "0.0.0.0", "HostPort": 22,
                "ContainerPort": 22}]), "not a port reserved"),
            ("an address outside the subnet", doc(net={"IP": "10.250.0.5"}),
             "not a container's address"),
            ("the gateway's address", doc(net={"IP": a_sub + ".1"}),
             "not a container's address"),
            ("the host's eth0", doc(net={"Bridge": "eth0"}), "not the network's own"),
            ("docker0", doc(net={"Bridge": "docker0"}), "not the network's own"),
            ("another account's network", doc(Ports=[], net={
                "ID": bn, "Bridge": "sdc" + bn[:12], "Subnet": b_sub + ".0/24",
                "Gateway": b_sub + ".1", "VNI": bvni, "IP": b_sub + ".50"}),
             "not the container's account's"),
            ("another account", doc(Account=bob), "not that account's"),
            ("an address never leased", doc(Ports=[]), "not the ones leased"),
            ("another account's container's files", doc(
                Networks=[], Ports=[], Files=None, FilesOf=bobs),
             "FilesOf"),
            ("a NUL in a file", doc(Files={"hosts": "a\u0000b",
                                           "resolv.conf": ""}), "NUL"),
            ("an unknown field", doc(Netns="/proc/1/ns/net"), "unknown field"),
            ("another version", doc(Version=2), "version"),
        ]
        # what these documents could have made (the host is shared with
        # other tests' daemons: only this test's objects are compared)
        mine = ("sdc" + an[:12], "sdc" + bn[:12], "eth0", "docker0", cid)

        def links():
            return sorted(l.split("link/")[0] for l in self.links().splitlines()
                          if any(m in l for m in mine))

        def rules():
            return [l for l in self.ruleset().splitlines()
                    if any(m[:12] in l for m in mine)]
        before_links, before_rules = links(), rules()
        for what, body, why in hostile:
            st, ans = self.agent("POST", "/v1/containers/%s/start" % uuid, body)
            self.assertEqual(st, 400, "%s: %s %s" % (what, st, ans))
            self.assertIn(why, ans["message"], what)
        self.assertEqual(links(), before_links)
        self.assertEqual(rules(), before_rules)
        self.assertFalse(os.path.exists(os.path.join(self.agent_net, "netns", cid)))
        self.assertFalse(os.path.exists(os.path.join(self.zones, uuid,
                                                     "netnode.json")))
        self.assertEqual(self.inspect(self.alice, "h1")["State"]["Status"],
                         "created")
        st, one = self.agent("GET", "/v1/containers/%s" % uuid)
        self.assertEqual(st, 200, one)
        self.assertNotEqual(one.get("Status"), "running", one)
        # the head's own start of it works
        self.ok(self.alice, "start", "h1")
        self.assertTrue(os.path.exists(os.path.join(self.agent_net, "netns", cid)))
        self.ok(self.alice, "rm", "-f", "h1")

    def test_4_agent_start_takes_down_what_never_ran(self):
        # a plumbed container that is not running (its agent killed
        # between the plumbing and runc's run) is taken down at the
        # agent's next start
        self.wait_available(True)
        self.ok(self.alice, "create", "--name", "k1", "tiny:1", "/bin/busybox",
                "sleep", "300")
        cid = self.inspect(self.alice, "k1")["Id"]
        uuid = self.row("SELECT uuid FROM containers WHERE id = ?", cid)[0]
        record = os.path.join(self.zones, uuid, "netnode.json")
        with open(record, "w") as f:
            json.dump({"ID": cid, "Networks": [], "Ports": True}, f)
        self.d.stop_one("agent")
        self.start_agent()
        sdctest.wait_for("the record taken down", lambda:
                         not os.path.exists(record), timeout=10)
        self.assertIn("container %s: network taken down" % uuid,
                      self.d.log("agent"))
        self.wait_available(True)
        self.ok(self.alice, "rm", "k1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
