#!/usr/bin/python3
"""docker-py's network calls beyond 42-networks-api's: create with IPAM
(subnet, gateway, ip range), internal, get by short id, list by names and
ids, the network's containers, connect with an address and aliases,
disconnect with force, containers.run on a network with ports as None (a
free one), as a host address and port, udp; create with a networking
config (as compose does), and prune."""
import importlib
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402

common = importlib.import_module("76-containers-common")




HTTPD = ["sh", "-c", "mkdir -p /www && echo hello from py > /www/index.html && "
         "exec httpd -f -p 80 -h /www"]


class DockerPy(common.ContainersTest):
    def client(self):
        return self.d.dockerpy(self.alice)

    def test_network_calls(self):
        import docker
        cl = self.client()
        try:
            # inside the daemon's pool, which no other test's daemon shares
            a, b = self.d.pool_net(200), self.d.pool_net(201)
            ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(
                subnet=a + ".0/24", gateway=a + ".1", iprange=a + ".128/25")])
            n1 = cl.networks.create("pyn1", driver="bridge", ipam=ipam,
                                    check_duplicate=True)
            cfg = n1.attrs["IPAM"]["Config"][0] if n1.attrs.get("IPAM") else \
                cl.networks.get(n1.id).attrs["IPAM"]["Config"][0]
            self.assertEqual((cfg["Subnet"], cfg["Gateway"], cfg.get("IPRange")),
                             (a + ".0/24", a + ".1", a + ".128/25"))
            n2 = cl.networks.create("pyn2", internal=True)
            self.assertTrue(cl.networks.get(n2.id[:12]).attrs["Internal"])
            self.assertEqual([n.name for n in cl.networks.list(names=["pyn1"])], ["pyn1"])
            self.assertEqual([n.id for n in cl.networks.list(ids=[n2.id])], [n2.id])
            # run on a network; ports: None (a free port), (ip, port), udp
            udp = sdctest.free_port(socket.SOCK_DGRAM, "0.0.0.0")
            tcp = sdctest.free_port(host="0.0.0.0")
            c = cl.containers.run("busybox", HTTPD, detach=True, name="pyweb",
                                  network="pyn1",
                                  ports={"80/tcp": None, "81/tcp": ("127.0.0.1", tcp),
                                         "53/udp": udp})
            c.reload()
            p = c.ports
            self.assertTrue(p["80/tcp"][0]["HostPort"])
            self.assertEqual(p["81/tcp"][0], {"HostIp": "127.0.0.1", "HostPort": str(tcp)})
            self.assertEqual(p["53/udp"][0]["HostPort"], str(udp))
            self.assertIn("hello from py", sdctest.fetch("http://127.0.0.1:%s/" % p["80/tcp"][0]
                                                 ["HostPort"]))
            ip = c.attrs["NetworkSettings"]["Networks"]["pyn1"]["IPAddress"]
            self.assertTrue(ip.startswith(a + "."), ip)
            self.assertGreaterEqual(int(ip.rsplit(".", 1)[1]), 128)
            n1.reload()
            self.assertEqual([x.id for x in n1.containers], [c.id])
            # connect with an address and aliases; disconnect with force
            n2.connect(c, ipv4_address=None, aliases=["inner-web"])
            c.reload()
            self.assertEqual(c.attrs["NetworkSettings"]["Networks"]["pyn2"]["Aliases"],
                             ["inner-web"])
            n1b = cl.networks.create("pyn3", ipam=docker.types.IPAMConfig(
                pool_configs=[docker.types.IPAMPool(subnet=b + ".0/24")]))
            n1b.connect(c, ipv4_address=b + ".77")
            c.reload()
            self.assertEqual(c.attrs["NetworkSettings"]["Networks"]["pyn3"]["IPAddress"],
                             b + ".77")
            n1b.disconnect(c, force=True)
            n2.disconnect(c)
            c.reload()
            self.assertEqual(sorted(c.attrs["NetworkSettings"]["Networks"]), ["pyn1"])
            # create with a networking config, as compose does
            api = cl.api
            nc = api.create_networking_config({"pyn2": api.create_endpoint_config(
                aliases=["cfg-alias"])})
            made = api.create_container("busybox", ["sleep", "60"], name="pycfg",
                                        networking_config=nc,
                                        host_config=api.create_host_config(
                                            network_mode="pyn2"))
            api.start(made["Id"])
            j = api.inspect_container(made["Id"])
            self.assertIn("cfg-alias", j["NetworkSettings"]["Networks"]["pyn2"]["Aliases"])
            self.assertTrue(j["NetworkSettings"]["Networks"]["pyn2"]["IPAddress"])
            api.remove_container(made["Id"], force=True)
            c.remove(force=True)
            n1.remove()
            pruned = cl.networks.prune()
            self.assertEqual(sorted(pruned.get("NetworksDeleted") or []), ["pyn2", "pyn3"])
            self.assertEqual(sorted(n.name for n in cl.networks.list()), ["bridge"])
        finally:
            cl.close()


if __name__ == "__main__":
    common.main()
