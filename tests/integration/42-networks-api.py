#!/usr/bin/python3
"""Docker's network API over the store, with the real docker CLI over TLS
and docker-py: create, ls and its filters, inspect, rm, prune, connect
and disconnect; per-account names (alice and bob both have "web") and
what bob can do to alice's networks (nothing: not found); --network host
and another account's container:<id> refused; NetworkSettings in
inspect; published ports in ps and `docker port`; a port held by another
container, another account or a host process gives Docker's error and
leaves nothing held; connected to n1, n2, n3 and disconnected from n2, a
connect to n4 comes up as eth1 (the lowest free name, as Docker) and is
reached by name, and a start names the interfaces in order again."""
import importlib
import json
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

common = importlib.import_module("76-containers-common")



class NetworksApi(common.ContainersTest):
    @classmethod
    def tearDownClass(cls):
        cls.remove_tenants_things()
        super().tearDownClass()

    def net_inspect(self, name, certs=None):
        return json.loads(self.ok("network", "inspect", name, certs=certs))[0]

    def test_create_ls_inspect_rm(self):
        nid = self.ok("network", "create", "--label", "team=blue", "lsnet").strip()
        self.assertEqual(len(nid), 64)
        ls = self.ok("network", "ls", "--format", "{{.Name}} {{.Driver}}")
        self.assertIn("lsnet bridge", ls)
        self.assertIn("bridge bridge", ls)        # the account's default
        j = self.net_inspect("lsnet")
        self.assertEqual(j["Id"], nid)
        self.assertEqual(j["Scope"], "local")
        self.assertEqual(j["Driver"], "bridge")
        self.assertEqual(j["Labels"], {"team": "blue"})
        self.assertFalse(j["Internal"])
        sub = j["IPAM"]["Config"][0]["Subnet"]
        self.assertTrue(sub.endswith("/24"), sub)
        self.assertEqual(self.net_inspect(nid[:12])["Name"], "lsnet")
        # filters
        f = self.ok("network", "ls", "-q", "--no-trunc", "--filter", "label=team=blue").split()
        self.assertEqual(f, [nid])
        f = self.ok("network", "ls", "--format", "{{.Name}}", "--filter", "type=custom").split()
        self.assertIn("lsnet", f)
        self.assertNotIn("bridge", f)
        f = self.ok("network", "ls", "--format", "{{.Name}}", "--filter", "type=builtin").split()
        self.assertEqual(f, ["bridge"])
        f = self.ok("network", "ls", "--format", "{{.Name}}", "--filter", "name=lsn").split()
        self.assertEqual(f, ["lsnet"])
        f = self.ok("network", "ls", "--format", "{{.Name}}", "--filter", "dangling=true").split()
        self.assertIn("lsnet", f)
        r = self.fails("network", "ls", "--filter", "type=other")
        self.assertIn("invalid filter", r.stderr)
        # duplicates, drivers, options refused clearly
        r = self.fails("network", "create", "lsnet")
        self.assertIn("network with name lsnet already exists", r.stderr)
        r = self.fails("network", "create", "-d", "overlay", "ov")
        self.assertIn("driver overlay is not supported", r.stderr)
        r = self.fails("network", "create", "-o", "com.docker.network.bridge.name=x", "opt")
        self.assertIn("not supported", r.stderr)
        r = self.fails("network", "create", "--ipv6", "v6")
        self.assertIn("IPv6", r.stderr)
        r = self.fails("network", "rm", "bridge")
        self.assertIn("pre-defined network", r.stderr)
        self.ok("network", "rm", "lsnet")
        r = self.fails("network", "inspect", "lsnet")
        self.assertIn("not found", r.stderr)

    def test_subnets(self):
        s = self.d.pool_net(77)     # a /24 of the daemon's pool
        self.ok("network", "create", "--subnet", s + ".0/24", "--gateway",
                s + ".254", "--ip-range", s + ".128/25", "sub1")
        cfg = self.net_inspect("sub1")["IPAM"]["Config"][0]
        self.assertEqual(cfg, {"Subnet": s + ".0/24", "Gateway": s + ".254",
                               "IPRange": s + ".128/25"})
        # two live networks never overlap, whatever the account
        r = self.fails("network", "create", "--subnet", s + ".0/25", "sub2", certs=self.bob)
        self.assertIn("overlaps", r.stderr)
        r = self.fails("network", "create", "--subnet", "192.168.1.0/24", "sub3")
        self.assertIn("not within", r.stderr)
        # an address from the range, not the gateway
        self.ok("run", "-d", "--name", "subc", "--network", "sub1", "busybox", "sleep", "60")
        ip = self.inspect("subc")["NetworkSettings"]["Networks"]["sub1"]["IPAddress"]
        self.assertEqual(ip, s + ".128")
        self.ok("rm", "-f", "subc")
        self.ok("network", "rm", "sub1")
        # released: the subnet may be had again
        self.ok("network", "create", "--subnet", s + ".0/24", "sub2", certs=self.bob)
        self.ok("network", "rm", "sub2", certs=self.bob)

    def test_accounts_apart(self):
        a = self.ok("network", "create", "web").strip()
        b = self.ok("network", "create", "web", certs=self.bob).strip()
        self.assertNotEqual(a, b)
        sa = self.net_inspect("web")["IPAM"]["Config"][0]["Subnet"]
        sb = self.net_inspect("web", certs=self.bob)["IPAM"]["Config"][0]["Subnet"]
        self.assertNotEqual(sa, sb)
        da = self.net_inspect("bridge")
        db = self.net_inspect("bridge", certs=self.bob)
        self.assertNotEqual(da["Id"], db["Id"])
        self.assertNotEqual(da["IPAM"]["Config"][0]["Subnet"],
                            db["IPAM"]["Config"][0]["Subnet"])
        # bob sees only his; alice's by id, prefix: not found
        ls = self.ok("network", "ls", "-q", "--no-trunc", certs=self.bob).split()
        self.assertNotIn(a, ls)
        self.assertNotIn(da["Id"], ls)
        for ref in (a, a[:12], da["Id"]):
            r = self.fails("network", "inspect", ref, certs=self.bob)
            self.assertIn("not found", r.stderr)
            r = self.fails("network", "rm", ref, certs=self.bob)
            self.assertIn("not found", r.stderr)
        self.ok("create", "--name", "bobc", "busybox", "sleep", "60", certs=self.bob)
        r = self.fails("network", "connect", a, "bobc", certs=self.bob)
        self.assertIn("not found", r.stderr)
        r = self.fails("run", "--rm", "--network", a, "busybox", "true", certs=self.bob)
        self.assertIn("not found", r.stderr)
        # nor alice's container through container:<id>
        self.ok("run", "-d", "--name", "alicec", "busybox", "sleep", "60")
        cid = self.inspect("alicec")["Id"]
        r = self.fails("run", "--rm", "--network", "container:" + cid, "busybox", "true",
                       certs=self.bob)
        self.assertIn("No such container", r.stderr)
        # the same account may
        self.ok("run", "--rm", "--network", "container:alicec", "busybox", "true")
        r = self.fails("run", "--rm", "--network", "host", "busybox", "true")
        self.assertIn("host is not supported", r.stderr)
        self.ok("rm", "-f", "alicec")
        self.ok("rm", "-f", "bobc", certs=self.bob)
        self.ok("network", "rm", "web")
        self.ok("network", "rm", "web", certs=self.bob)

    def test_inspect_and_connect(self):
        a = self.d.pool_net(90)     # a /24 of the daemon's pool
        self.ok("network", "create", "--subnet", a + ".0/24", "app")
        self.ok("run", "-d", "--name", "c1", "--network", "app", "--network-alias", "db",
                "--ip", a + ".50", "--hostname", "one", "busybox", "sleep", "60")
        j = self.inspect("c1")
        ns = j["NetworkSettings"]
        n = ns["Networks"]["app"]
        self.assertEqual(n["IPAddress"], a + ".50")
        self.assertEqual(n["IPPrefixLen"], 24)
        self.assertEqual(n["Gateway"], a + ".1")
        self.assertEqual(n["MacAddress"], "02:42:%02x:%02x:%02x:32" % tuple(int(o) for o in a.split(".")))
        self.assertEqual(n["Aliases"], ["db"])
        self.assertEqual(n["IPAMConfig"], {"IPv4Address": a + ".50"})
        self.assertEqual(n["NetworkID"], self.net_inspect("app")["Id"])
        self.assertEqual(len(n["EndpointID"]), 64)
        self.assertIn("c1", n["DNSNames"])
        self.assertIn("db", n["DNSNames"])
        self.assertEqual(ns["IPAddress"], a + ".50")
        self.assertEqual(j["HostConfig"]["NetworkMode"], "app")
        with open(j["HostsPath"]) as f:
            hosts = f.read()
        self.assertIn(a + ".50\tone", hosts)
        with open(j["ResolvConfPath"]) as f:
            resolv = f.read()
        self.assertIn("nameserver " + a + ".1", resolv)
        cs = self.net_inspect("app")["Containers"]
        self.assertEqual(cs[j["Id"]]["Name"], "c1")
        self.assertEqual(cs[j["Id"]]["IPv4Address"], a + ".50/24")
        # the address is taken while c1 runs
        r = self.fails("run", "--rm", "--network", "app", "--ip", a + ".50", "busybox",
                       "true")
        self.assertIn("Address already in use", r.stderr)
        r = self.fails("network", "rm", "app")
        self.assertIn("has active endpoints", r.stderr)
        # a running container joins and leaves another network
        self.ok("network", "connect", "--alias", "side", "bridge", "c1")
        nets = self.inspect("c1")["NetworkSettings"]["Networks"]
        self.assertEqual(sorted(nets), ["app", "bridge"])
        self.assertTrue(nets["bridge"]["IPAddress"])
        r = self.fails("network", "connect", "bridge", "c1")
        self.assertIn("already exists", r.stderr)
        self.ok("network", "disconnect", "bridge", "c1")
        self.assertEqual(sorted(self.inspect("c1")["NetworkSettings"]["Networks"]), ["app"])
        r = self.fails("network", "disconnect", "bridge", "c1")
        self.assertIn("not connected", r.stderr)
        # stopped: no address, the endpoint stays
        self.ok("stop", "-t", "0", "c1")
        n = self.inspect("c1")["NetworkSettings"]["Networks"]["app"]
        self.assertEqual(n["IPAddress"], "")
        self.assertNotIn(self.inspect("c1")["Id"], self.net_inspect("app")["Containers"])
        self.ok("rm", "c1")
        self.ok("network", "rm", "app")
        # --network none: only "none"
        self.ok("run", "-d", "--name", "nonet", "--network", "none", "busybox", "sleep", "60")
        ns = self.inspect("nonet")["NetworkSettings"]
        self.assertEqual(list(ns["Networks"]), ["none"])
        self.assertEqual(ns["IPAddress"], "")
        r = self.fails("run", "--rm", "--network", "none", "-p", "80", "busybox", "true")
        self.assertIn("conflicting options", r.stderr)
        self.ok("rm", "-f", "nonet")

    def test_connect_takes_lowest_free_interface(self):
        # on n1, n2, n3 as eth0, eth1, eth2; n2 leaves; n4 takes eth1, as
        # Docker names it (the lowest free), not eth2 (still n3's)
        for k in range(1, 5):
            self.ok("network", "create", "gap%d" % k)
        self.ok("run", "-d", "--name", "gapc", "--network", "gap1", "busybox",
                "sleep", "60")
        self.ok("network", "connect", "gap2", "gapc")
        self.ok("network", "connect", "gap3", "gapc")
        self.ok("network", "disconnect", "gap2", "gapc")
        self.ok("network", "connect", "gap4", "gapc")
        nets = self.inspect("gapc")["NetworkSettings"]["Networks"]
        self.assertEqual(sorted(nets), ["gap1", "gap3", "gap4"])
        links = self.ok("exec", "gapc", "ip", "-o", "-4", "addr", "show")
        names = {}
        for line in links.splitlines():
            f = line.split()
            names[f[1]] = f[3].split("/")[0]
        self.assertEqual(names.get("eth0"), nets["gap1"]["IPAddress"], links)
        self.assertEqual(names.get("eth1"), nets["gap4"]["IPAddress"], links)
        self.assertEqual(names.get("eth2"), nets["gap3"]["IPAddress"], links)
        # reachable by name on gap4 from a container there alone
        self.ok("run", "--rm", "--network", "gap4", "busybox", "sh", "-c",
                "i=0; while [ $i -lt 50 ]; do ping -c 1 -W 1 gapc && exit 0; "
                "i=$((i+1)); sleep 0.2; done; exit 1")
        # a start names them in the order they joined again
        self.ok("stop", "-t", "0", "gapc")
        self.ok("start", "gapc")
        nets = self.inspect("gapc")["NetworkSettings"]["Networks"]
        links = self.ok("exec", "gapc", "ip", "-o", "-4", "addr", "show")
        names = {line.split()[1]: line.split()[3].split("/")[0]
                 for line in links.splitlines()}
        self.assertEqual(names.get("eth1"), nets["gap3"]["IPAddress"], links)
        self.assertEqual(names.get("eth2"), nets["gap4"]["IPAddress"], links)
        self.ok("network", "connect", "gap2", "gapc")
        links = self.ok("exec", "gapc", "ip", "-o", "-4", "addr", "show")
        self.assertIn(" eth3 ", links)
        self.ok("rm", "-f", "gapc")
        for k in range(1, 5):
            self.ok("network", "rm", "gap%d" % k)

    def test_ports(self):
        port = sdctest.free_port(host="0.0.0.0")
        self.ok("run", "-d", "--name", "p1", "-p", "%d:80" % port, "--expose", "81",
                "busybox", "sleep", "60")
        j = self.inspect("p1")
        self.assertEqual(j["NetworkSettings"]["Ports"]["80/tcp"],
                         [{"HostIp": "0.0.0.0", "HostPort": str(port)}])
        self.assertIsNone(j["NetworkSettings"]["Ports"]["81/tcp"])
        self.assertEqual(j["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"], str(port))
        ps = self.ok("ps", "--format", "{{.Names}} {{.Ports}}")
        self.assertIn("p1 0.0.0.0:%d->80/tcp" % port, ps)
        self.assertEqual(self.ok("port", "p1", "80").split()[0], "0.0.0.0:%d" % port)
        # taken: by another container of the account, or of another one
        for certs in (self.alice, self.bob):
            r = self.fails("run", "-d", "--name", "p2", "-p", "%d:80" % port, "busybox",
                           "sleep", "60", certs=certs)
            self.assertIn("Bind for 0.0.0.0:%d failed: port is already allocated" % port,
                          r.stderr)
            self.assertEqual(self.inspect("p2", certs=certs)["State"]["Status"], "created")
            self.assertEqual(self.inspect("p2", certs=certs)["NetworkSettings"]["Ports"],
                             {"80/tcp": None})
            self.ok("rm", "p2", certs=certs)
        # a host process holds another one: nothing of p3 is held
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 0))
        s.listen(1)
        held = s.getsockname()[1]
        free = sdctest.free_port(host="0.0.0.0")
        try:
            r = self.fails("run", "-d", "--name", "p3", "-p", "%d:90" % free,
                           "-p", "%d:80" % held, "busybox", "sleep", "60")
            self.assertIn("Bind for 0.0.0.0:%d failed: port is already allocated" % held,
                          r.stderr)
        finally:
            s.close()
        self.ok("rm", "p3")
        # the free port of the failed start was not kept
        self.ok("run", "-d", "--name", "p4", "-p", "%d:90" % free, "busybox", "sleep", "60")
        # stop releases
        self.ok("stop", "-t", "0", "p1")
        self.assertEqual(self.ok("ps", "-a", "--filter", "name=p1", "--format", "{{.Ports}}")
                         .strip(), "")
        self.ok("run", "-d", "--name", "p5", "-p", "%d:80" % port, "busybox", "sleep", "60",
                certs=self.bob)
        # -P picks from the ephemeral range
        self.ok("run", "-d", "--name", "p6", "-P", "--expose", "7000", "busybox", "sleep",
                "60")
        out = self.ok("port", "p6", "7000/tcp").split()[0]
        hp = int(out.rsplit(":", 1)[1])
        lo, hi = sdctest.slot_tunables(self.d.slot)["NETWORK_EPHEMERAL_PORTS"].split("-")
        self.assertTrue(int(lo) <= hp <= int(hi), out)
        self.ok("rm", "-f", "p1", "p4", "p6")
        self.ok("rm", "-f", "p5", certs=self.bob)

    def test_operator_sees_every_account(self):
        a = self.ok("network", "create", "opsnet").strip()
        b = self.ok("network", "create", "opsnet", certs=self.bob).strip()
        self.ok("run", "-d", "--name", "opsc", "--network", "opsnet", "busybox", "sleep", "60")
        env = dict(os.environ, DOCKERAPI_ADMIN=self.d.admin_socket,
                   SAPI_URL=self.d.sapi_url, COLUMNS="200")
        adm = os.path.join(sdctest.BIN, "sdcadm-docker")

        def run(*args):
            r = subprocess.run([adm] + list(args), env=env, capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            return r.stdout
        rows = json.loads(run("--json", "network", "list"))
        mine = {(r["account"], r["name"]) for r in rows}
        self.assertIn(("alice", "opsnet"), mine)
        self.assertIn(("bob", "opsnet"), mine)
        only = json.loads(run("--json", "network", "list", "--account", "bob"))
        self.assertEqual({r["account"] for r in only}, {"bob"})
        j = json.loads(run("network", "inspect", a[:12]))
        self.assertEqual(j["Id"], a)
        self.assertEqual(j["Login"], "alice")
        self.assertEqual(len(j["Containers"]), 1)
        ip = self.inspect("opsc")["NetworkSettings"]["IPAddress"]
        self.assertIn(ip, run("container", "list"))
        self.tui_networks(env)
        self.ok("rm", "-f", "opsc")
        self.ok("network", "rm", "opsnet")
        self.ok("network", "rm", b, certs=self.bob)

    def test_vni(self):
        """Each network gets its own VXLAN id, unique across accounts,
        lowest free first, shown to the operator and never to tenants;
        a create past NETWORK_VNI_RANGE is refused."""
        def vnis():
            st, j = self.d.admin("GET", "/networks")
            self.assertEqual(st, 200, j)
            return {n["Id"]: n["VNI"] for n in j}
        a = self.ok("network", "create", "vnet").strip()
        b = self.ok("network", "create", "vnet", certs=self.bob).strip()
        v = vnis()
        self.assertTrue(all(4096 <= x <= 16777215 for x in v.values()), v)
        self.assertEqual(len(set(v.values())), len(v), v)
        self.assertNotIn("VNI", self.ok("network", "inspect", "vnet"))
        freed = v[a]
        self.ok("network", "rm", "vnet")
        c = self.ok("network", "create", "vnet2").strip()
        self.assertEqual(vnis()[c], freed)
        # a range of one id, which the next network takes
        self.d.set_tunable("NETWORK_VNI_RANGE", "7-7")
        sdctest.wait_for("the range in force", lambda: self.docker(
            self.alice, "network", "create", "vnet3").returncode == 0)
        self.assertEqual(vnis()[self.net_inspect("vnet3")["Id"]], 7)
        r = self.fails("network", "create", "vnet4")
        self.assertIn("NETWORK_VNI_RANGE (7-7)", r.stderr)
        self.d.set_tunable("NETWORK_VNI_RANGE", "4096-16777215")
        sdctest.wait_for("the default range", lambda: self.docker(
            self.alice, "network", "create", "vnet4").returncode == 0)
        for n in ("vnet2", "vnet3", "vnet4"):
            self.ok("network", "rm", n)
        self.ok("network", "rm", b, certs=self.bob)

    def tui_networks(self, env):
        """The TUI's networks pane (5): both accounts' opsnet, each
        row's inspect view."""
        sock = "sdcnet-test-%d" % os.getpid()

        def tmux(*args):
            return subprocess.run(["tmux", "-L", sock] + list(args),
                                  capture_output=True, text=True, timeout=20)

        def screen():
            return tmux("capture-pane", "-p", "-t", "t").stdout

        def wait_screen(text):
            sdctest.wait_for(repr(text) + " on screen:\n" + screen(),
                             lambda: text in screen(), 10)
        adm = os.path.join(sdctest.BIN, "sdcadm-docker")
        r = tmux("new-session", "-d", "-s", "t", "-x", "120", "-y", "30",
                 "-e", "DOCKERAPI_ADMIN=" + env["DOCKERAPI_ADMIN"],
                 "-e", "SAPI_URL=" + env["SAPI_URL"], adm + " tui")
        self.assertEqual(r.returncode, 0, r.stderr)
        try:
            wait_screen("6:Networks")
            tmux("send-keys", "-t", "t", "6")
            wait_screen("SUBNET")
            tmux("send-keys", "-t", "t", "/", "opsnet", "Enter")
            wait_screen("2 of")
            lines = [l.split() for l in screen().splitlines()]
            owners = {l[1] for l in lines if len(l) > 2 and l[2] == "opsnet"}
            self.assertEqual(owners, {"alice", "bob"}, screen())
            tmux("send-keys", "-t", "t", "Enter")
            wait_screen('"Name": "opsnet"')
            tmux("send-keys", "-t", "t", "q")
            wait_screen("6:Networks")
            tmux("send-keys", "-t", "t", "q")
            sdctest.wait_for("tui exit", lambda: tmux("has-session", "-t", "t").returncode != 0, 5)
        finally:
            tmux("kill-server")

    def test_account_deleted(self):
        """Deleting an account with force takes its networks: rows,
        bridges, the default one too."""
        key = os.path.join(self.work, "carol")
        sdctest.keygen(key, "ed25519")
        self.d.add_account("carol", key + ".pub")
        carol = self.d.client_certs("carol", key)
        self.ok("network", "create", "cnet", certs=carol)
        ids = [self.net_inspect(n, certs=carol)["Id"] for n in ("cnet", "bridge")]
        st, j = self.d.admin("GET", "/networks")
        self.assertEqual(len([n for n in j if n.get("Id") in ids]), 2, j)
        st, _ = self.d.admin("DELETE", "/accounts/carol?force=true")
        self.assertEqual(st, 204)
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        for i in ids:
            self.assertNotIn("sdc" + i[:12], links)
        st, j = self.d.admin("GET", "/networks")
        self.assertEqual(st, 200)
        self.assertFalse([n for n in j if n.get("Id") in ids], j)

    def test_docker_py(self):
        cl = self.d.dockerpy(self.alice)
        try:
            net = cl.networks.create("pynet", driver="bridge", labels={"a": "b"})
            self.assertEqual(cl.networks.get("pynet").id, net.id)
            self.assertIn("pynet", [n.name for n in cl.networks.list()])
            self.assertEqual([n.name for n in cl.networks.list(filters={"label": "a=b"})],
                             ["pynet"])
            port = sdctest.free_port(host="0.0.0.0")
            c = cl.containers.run("busybox", ["sleep", "60"], detach=True, name="pyc",
                                  ports={"80/tcp": port})
            c.reload()
            self.assertEqual(c.ports["80/tcp"][0]["HostPort"], str(port))
            net.connect(c, aliases=["pyalias"])
            net.reload()
            self.assertIn(c.id, net.attrs["Containers"])
            c.reload()
            self.assertEqual(c.attrs["NetworkSettings"]["Networks"]["pynet"]["Aliases"],
                             ["pyalias"])
            net.disconnect(c)
            net.reload()
            self.assertEqual(net.attrs["Containers"], {})
            c.remove(force=True)
            net.remove()
            self.assertNotIn("pynet", [n.name for n in cl.networks.list()])
        finally:
            cl.close()


if __name__ == "__main__":
    common.main()
