#!/usr/bin/env python3
"""Networks across nodes, programmed by the agents from the store.

Two compute nodes, each a network namespace with its own head
(dockerapi) and its own sdc-docker-agent, joined by a bridge in a third
namespace standing for the data center's network (192.0.2.0/24); one
sapi and one throw-away PostgreSQL 15 for all, reached through unix
sockets.  Each container is run through the head of the node it is to
run on, the other node drained meanwhile (placement would otherwise
choose among both), with the real docker CLI run inside each node's
namespace.  The heads share the
image store's folder (B's is a link to A's), standing for the layers a
node will fetch for itself.

Checked: alice's network, created once through head A, carries her
container on A and her container on B, which reach each other by
address and by name, also with packets of the underlay's full size
(the veths take the vxlan device's MTU); each agent made the vxlan
device with the network's VNI, the forwarding entries to the other
node's endpoint, and the names table with both; each node's VTEP is
the host of its agent's address (the nodes table says so); mallory's
network spans the same nodes on another VNI, and her container on B
reaches neither of alice's, by address or by name, even sending from
an address in alice's subnet (arping -s); while node B's agent is
stopped (SIGSTOP) node A drops B's entries, and takes them back once B
beats again; alice's container on A renamed, node B's table has the
new name and not the old within 2 s (node B's periodic pass is a
minute: the heads' notifications alone bring it) and her container on
B resolves it and no longer the old, while mallory's container on B
does not resolve the new name and her network's table on B does not
list it; once the renamed container is removed on A, its name leaves
B's table within 2 s and stops resolving on B, and B's entries for it
go and the device with them (the network spans no more).
Prints how long after the network's create the first ping across nodes
got through, what a pass of node A's agent took, and how long after a
rename or an rm on A node B answered with the change.
"""
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "postgres"
import sdctest  # noqa: E402

common = importlib.import_module("37-nodes-common")
run, until = common.run, common.until
CERTGEN = common.CERTGEN
DOCKERAPI = os.path.join(sdctest.BIN, "dockerapi")
SUFFIX = "%d" % os.getpid()
DC, NODES = "sdc27d-" + SUFFIX, {"a": "sdc27a-" + SUFFIX, "b": "sdc27b-" + SUFFIX}
ADDR = {"a": "192.0.2.1", "b": "192.0.2.2"}
# the data center's network: a bridge in a namespace of its own
UNDERLAY = common.Underlay(NODES, ADDR, "dc0", "p%s", bridge_ns=DC)
ns = UNDERLAY.ns


class NodesVxlan(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        common.need_underlay("namespaces, links, nftables")
        if shutil.which("modprobe"):
            run("modprobe", "vxlan", check=False)
        cls.d = sdctest.Daemons(allow_private_registries=())
        cls.heads = {}
        common.set_up(cls, UNDERLAY.plumb, cls.start_all, cls.load_busybox)

    @classmethod
    def start_all(cls):
        d = cls.d
        d.start_sapi()
        # the shipped defaults' pools would do in a namespace; the slot's
        # keep the test's subnets apart from other tests' all the same
        uri = sdctest.postgres().uri(sdctest.store_db(os.path.join(
            d.tmp, "dockerapi")))
        cls.uri = uri
        ca = os.path.join(d.tmp, "dockerapi", "tls")
        head_certs = os.path.join(d.tmp, "head-tls")
        for node in ("a", "b"):
            data = os.path.join(d.tmp, "dockerapi" if node == "a"
                                else "dockerapi-b")
            if node == "b":
                os.makedirs(data, mode=0o700)
                shutil.copytree(ca, os.path.join(data, "tls"))
                os.symlink(os.path.join(d.tmp, "dockerapi", "images"),
                           os.path.join(data, "images"))
            port, agent_port = 2375, 2380
            admin = d.admin_socket if node == "a" else os.path.join(
                d.tmp, "admin-b.sock")
            d._spawn("dockerapi-" + node, [
                "nsenter", "--net=/run/netns/" + NODES[node], DOCKERAPI,
                "--data-dir", data, "--sapi-url", d.sapi_url,
                "--listen", "127.0.0.1:%d" % port,
                "--cloudapi-listen", "127.0.0.1:2376",
                "--admin-socket", admin,
                "--zones", os.path.join(d.tmp, "zones-" + node),
                "--store", uri,
                "--agent-url", "https://127.0.0.1:%d" % agent_port,
                "--agent-cert-path", head_certs])
            seen = {}

            def up():
                seen["nodes"] = os.path.exists(admin) and cls.admin_get(
                    admin, "/nodes")
                return seen["nodes"] and seen["nodes"][0] == 200
            try:
                sdctest.wait_for("dockerapi " + node, up, timeout=60,
                                 proc=d.procs["dockerapi-" + node])
            except AssertionError as e:
                raise AssertionError("%s (last seen: %r)" % (e, seen)) from None
            cls.heads[node] = {"data": data, "port": port, "admin": admin,
                               "zones": os.path.join(d.tmp, "zones-" + node)}
            if node == "a":
                run(CERTGEN, "head", "--ca", ca, "--out", head_certs)
            agent_dir = os.path.join(d.tmp, "agent-" + node)
            run(CERTGEN, "node", "--ca", ca, "--out",
                os.path.join(agent_dir, "tls"), "--cn", "cn-" + node,
                "--san", "IP:127.0.0.1,IP:" + ADDR[node])  # its head; other heads
            d._spawn("agent-" + node, sdctest.agent_argv(
                agent_dir, "0.0.0.0:%d" % agent_port, uri,
                # the node's head's layers, volumes and networking
                {"zones": os.path.join(d.tmp, "zones-" + node),
                 "images": os.path.join(data, "images", "layers"),
                 "volumes": os.path.join(data, "volumes"),
                 "net-dir": os.path.join(data, "net")},
                "cn-" + node, "0.3", netns=NODES[node],
                address="%s:%d" % (ADDR[node], agent_port),
                # the periodic pass is the safety net; the heads'
                # notifications are what the checks below wait on: node
                # B's is a minute, so what B must learn of a change on A
                # (a rename, an rm) comes by them or not in time; node
                # A's is a second, since a node not heard from (B's
                # agent stopped, below) is seen by that pass alone
                extra=("--netsync-interval", "1" if node == "a" else "60",
                       "--log-level", "debug")))
        for node in ("a", "b"):
            sdctest.wait_for("head %s asking its agent" % node, lambda:
                             "nodes: containers run on node" in
                             d.log("dockerapi-" + node), timeout=60)
        cls.certs, _ = d.add_tenants("alice", "mallory")

    # --- the docker CLI inside a node ---

    @classmethod
    def docker(cls, node, who, *args, check=True, timeout=90):
        env = cls.d.docker_env(cls.certs[who])
        env["DOCKER_HOST"] = "tcp://127.0.0.1:%d" % cls.heads[node]["port"]
        r = subprocess.run(["nsenter", "--net=/run/netns/" + NODES[node],
                            "docker"] + list(args), env=env,
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("docker %s through head %s as %s: %s%s" % (
                " ".join(args), node, who, r.stdout + r.stderr,
                cls.d.log("dockerapi-" + node)[-1500:]))
        return r

    @classmethod
    def load_busybox(cls):
        tar = common.busybox_archive(cls.d.tmp)
        for who in ("alice", "mallory"):
            cls.docker("a", who, "load", "-i", tar)

    @classmethod
    def tearDownClass(cls):
        d = cls.d
        try:
            for node, who, names in (("a", "alice", ["aa", "ar"]),
                                     ("b", "alice", ["ab"]),
                                     ("a", "mallory", ["ma"]),
                                     ("b", "mallory", ["mb"])):
                if node in cls.heads and who in getattr(cls, "certs", {}):
                    cls.docker(node, who, "rm", "-f", *names, check=False)
        finally:
            # what each head leaves for its next start (its names
            # server, bridges, rules), in its node
            common.stop_all(d, UNDERLAY, [
                (NODES[node], os.path.join(h["data"], "net"))
                for node, h in cls.heads.items()])

    # --- helpers ---

    def inspect(self, node, who, name):
        return json.loads(self.docker(node, who, "inspect", name).stdout)[0]

    def ip_of(self, node, who, name, net):
        return self.inspect(node, who, name)["NetworkSettings"]["Networks"][
            net]["IPAddress"]

    def exec_ok(self, node, who, name, *cmd):
        return self.docker(node, who, "exec", name, *cmd, check=False,
                           timeout=30).returncode == 0

    def lookup(self, node, who, ctr, name):
        """The address ctr's network server gives name, or None."""
        r = self.docker(node, who, "exec", ctr, "nslookup", name,
                        check=False, timeout=30)
        m = re.search(r"Name:.*?(\d+\.\d+\.\d+\.\d+)", r.stdout, re.S)
        return m.group(1) if r.returncode == 0 and m else None

    def table_path(self, node, net_id):
        return os.path.join(self.heads[node]["data"], "net", "dns", "net",
                            net_id, net_id)

    def table_names(self, node, net_id):
        """Every name in the table node's agent wrote for the network
        (after the gateway's line: "<id> <ipv4> <ipv6> <names> ...")."""
        with open(self.table_path(node, net_id)) as f:
            rows = [line.split() for line in f.read().splitlines()[1:]]
        return {n for r in rows if len(r) > 2 for n in r[2].split(",")}

    def names_are(self, node, net_id, has, lacks):
        names = self.table_names(node, net_id)
        return has in names and lacks not in names

    def fdb(self, node, net_id):
        r = ns(node, "bridge", "fdb", "show", "dev", "sdx" + net_id[:12],
               check=False)
        return r.stdout if r.returncode == 0 else None

    # --- the checks ---

    def test_across_nodes(self):
        t0 = time.time()
        pool = self.d.pool_net(3)
        self.docker("a", "alice", "network", "create", "--subnet",
                    pool + ".0/24", "an")
        self.docker("a", "mallory", "network", "create", "--subnet",
                    self.d.pool_net(4) + ".0/24", "mn")
        an = self.inspect("a", "alice", "an")["Id"]
        # two runs at once through one head, never two on one network
        # (two leases on one network at the same moment may both pick one
        # address: one start then fails), each pair on its head's node:
        # the other node drained meanwhile
        ids = {n["Hostname"]: n["ID"] for n in self.admin_nodes()}
        for pair in ((("a", "alice", "aa", "an"), ("a", "mallory", "ma", "mn")),
                     (("b", "alice", "ab", "an"), ("b", "mallory", "mb", "mn"))):
            other = ids["cn-b" if pair[0][0] == "a" else "cn-a"]
            self.admin_post("/nodes/%s/drain" % other)
            runs = [threading.Thread(target=self.docker, args=(
                node, who, "run", "-d", "--name", name, "--network", net,
                "busybox", "sleep", "600")) for node, who, name, net in pair]
            try:
                for t in runs:
                    t.start()
                for t in runs:
                    t.join()
            finally:
                self.admin_post("/nodes/%s/undrain" % other)
        for node, who, name in (("a", "alice", "aa"), ("b", "alice", "ab"),
                                ("a", "mallory", "ma"), ("b", "mallory", "mb")):
            self.assertEqual(self.inspect(node, who, name)["State"]["Status"],
                             "running", name)
        # each container on the node of the head that ran it
        nodes = {n["Hostname"]: n for n in self.admin_nodes()}
        self.assertEqual(nodes["cn-a"]["VTEP"], ADDR["a"], nodes)
        self.assertEqual(nodes["cn-b"]["VTEP"], ADDR["b"], nodes)
        for node, who, name in (("a", "alice", "aa"), ("b", "alice", "ab"),
                                ("a", "mallory", "ma"), ("b", "mallory", "mb")):
            self.assertEqual(self.inspect(node, who, name)["Node"]["ID"],
                             nodes["cn-" + node]["ID"], name)
        ip_aa = self.ip_of("a", "alice", "aa", "an")
        ip_ab = self.ip_of("b", "alice", "ab", "an")
        ip_ma = self.ip_of("a", "mallory", "ma", "mn")

        # alice's two containers, by address and by name, both ways
        until("aa pinging ab's address across nodes", lambda: self.exec_ok(
            "a", "alice", "aa", "ping", "-c", "1", "-W", "1", ip_ab))
        t_first = time.time() - t0
        until("ab pinging aa's address", lambda: self.exec_ok(
            "b", "alice", "ab", "ping", "-c", "1", "-W", "1", ip_aa))
        until("aa reaching ab by name", lambda: self.exec_ok(
            "a", "alice", "aa", "ping", "-c", "1", "-W", "1", "ab"))
        until("ab reaching aa by name", lambda: self.exec_ok(
            "b", "alice", "ab", "ping", "-c", "1", "-W", "1", "aa"))
        # a packet of the underlay's size (1500): the veths have the
        # vxlan device's MTU, so it leaves in fragments that fit
        self.assertTrue(self.exec_ok("a", "alice", "aa", "ping", "-c", "1",
                                     "-W", "2", "-s", "1472", ip_ab),
                        "a 1500-byte packet across nodes was lost")
        fdb = self.fdb("a", an)
        mac_ab = self.inspect("b", "alice", "ab")["NetworkSettings"][
            "Networks"]["an"]["MacAddress"]
        self.assertIn("00:00:00:00:00:00 dst %s" % ADDR["b"], fdb)
        self.assertIn("%s dst %s" % (mac_ab, ADDR["b"]), fdb)
        link = ns("a", "ip", "-d", "link", "show", "sdx" + an[:12]).stdout
        vni = self.d.store_rows("dockerapi", "SELECT vni FROM networks WHERE "
                                "id = ?", (an,))[0][0]
        self.assertIn("vxlan id %s local %s " % (vni, ADDR["a"]), link)

        # mallory's network spans the same nodes on its own VNI
        until("mb pinging ma (mallory's own, across nodes)", lambda:
              self.exec_ok("b", "mallory", "mb", "ping", "-c", "1", "-W",
                           "1", ip_ma))
        for target in (ip_aa, ip_ab):
            self.assertFalse(self.exec_ok("b", "mallory", "mb", "ping", "-c",
                                          "1", "-W", "1", target),
                             "mallory reaches alice's " + target)
        for name in ("aa", "ab"):
            self.assertFalse(self.exec_ok("b", "mallory", "mb", "nslookup",
                                          name), "mallory resolves " + name)
        # from an address in alice's subnet (her ARP, NET_RAW being in
        # Docker's default set): it stays on mallory's VNI
        forged = pool + ".200"
        self.assertFalse(self.exec_ok("b", "mallory", "mb", "arping", "-c",
                                      "2", "-w", "2", "-I", "eth0", "-s",
                                      forged, ip_aa),
                         "alice's container answered mallory's ARP")
        neigh = self.docker("a", "alice", "exec", "aa", "ip", "neigh").stdout
        self.assertNotIn(forged, neigh)

        # node B not heard from (its agent stopped): node A drops its
        # entries and the device; back once B beats again
        os.kill(self.d.pid("agent-b"), signal.SIGSTOP)
        try:
            until("node A dropping unavailable node B", lambda:
                  self.fdb("a", an) is None, timeout=15)
        finally:
            os.kill(self.d.pid("agent-b"), signal.SIGCONT)
        until("node A taking node B back", lambda:
              mac_ab in (self.fdb("a", an) or ""), timeout=15)

        # a rename on node A reaches node B's table by the head's event,
        # not B's periodic pass (a minute here), within 2 s: the new name
        # resolves from B, the old one no more, and never in mallory's
        # network (the lookups' bound allows for docker exec under load)
        mac_aa = self.inspect("a", "alice", "aa")["NetworkSettings"][
            "Networks"]["an"]["MacAddress"]
        t = time.time()
        self.docker("a", "alice", "rename", "aa", "ar")
        t_call = time.time() - t
        until("node B's table naming ar, not aa", lambda: self.names_are(
            "b", an, has="ar", lacks="aa"), timeout=2)
        # when node B wrote it, after the call's answer (< 0: before)
        t_table = os.stat(self.table_path("b", an)).st_mtime - (t + t_call)
        until("ab resolving aa's new name ar", lambda: self.lookup(
            "b", "alice", "ab", "ar") == ip_aa, timeout=10)
        until("ab no longer resolving aa's old name", lambda: self.lookup(
            "b", "alice", "ab", "aa") is None, timeout=10)
        t_rename = time.time() - t
        self.assertIsNone(self.lookup("b", "mallory", "mb", "ar"),
                          "mallory resolves alice's renamed container")
        mn_names = self.table_names("b", self.inspect("b", "mallory",
                                                      "mn")["Id"])
        self.assertIn("mb", mn_names)
        self.assertNotIn("ar", mn_names)

        # ar (aa) removed on node A: its name leaves node B's table, its
        # entries go from B, and B's device with them (the network spans
        # no more)
        t = time.time()
        self.docker("a", "alice", "rm", "-f", "ar")
        until("node B's table without ar", lambda: self.names_are(
            "b", an, has="ab", lacks="ar"), timeout=2)
        until("ab no longer resolving ar", lambda: self.lookup(
            "b", "alice", "ab", "ar") is None, timeout=10)
        t_rm = time.time() - t
        until("node B dropping ar's entries", lambda:
              mac_aa not in (self.fdb("b", an) or ""), timeout=15)
        until("node B's vxlan device of alice's network gone", lambda:
              self.fdb("b", an) is None, timeout=15)
        self.assertFalse(self.exec_ok("b", "alice", "ab", "ping", "-c", "1",
                                      "-W", "1", ip_aa))
        passes = sorted(json.loads(l)["msg"] for l in
                        self.d.log("agent-a").splitlines()
                        if "a pass in" in l and "2 spanning" in l)
        ms = sorted(float(m.split("a pass in ")[1].split()[0]) for m in passes)
        print("\nfirst ping across nodes %.1f s after the network's create "
              "(4 runs through 2 heads); node A's passes with both networks "
              "spanning: %d, median %.2f ms; a rename on A answered in "
              "%.3f s, in node B's table %+.3f s after the answer, "
              "resolved from B %.2f s after the call was sent (an rm's "
              "end %.2f s)" % (
                  t_first, len(ms), ms[len(ms) // 2] if ms else -1,
                  t_call, t_table, t_rename, t_rm),
              file=sys.stderr)

    admin_get = staticmethod(common.admin_get)

    def admin_post(self, path):
        conn = sdctest.UnixHTTPConnection(self.heads["a"]["admin"])
        try:
            conn.request("POST", path)
            resp = conn.getresponse()
            self.assertLess(resp.status, 300, resp.read())
        finally:
            conn.close()

    def admin_nodes(self):
        status, raw = self.admin_get(self.heads["a"]["admin"], "/nodes")
        self.assertEqual(status, 200, raw)
        return json.loads(raw)


if __name__ == "__main__":
    unittest.main(verbosity=2)
