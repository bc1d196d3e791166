#!/usr/bin/python3
"""Recovery of the networks: dockerapi is killed (-9) while containers
run on a user network with a published port, and one of them dies while
no daemon is there; at the next start the dead one's sandbox, veth,
port chain, names entry, lease and port are gone, the living one is still
reachable by name and port, and after rm of everything and network rm
nothing of them is left."""
import glob
import importlib
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402

common = importlib.import_module("76-containers-common")
net = importlib.import_module("44-networks-common")




def names_tables(d):
    """Every network's names table (<run>/dns/net/<id>/<id>), as one text."""
    text = ""
    for p in glob.glob(os.path.join(d.tmp, "dockerapi", "net", "dns", "net", "*", "*")):
        if os.path.isfile(p) and not p.endswith(".pid"):
            with open(p, errors="replace") as fh:
                text += fh.read()
    return text


class Sweep(common.ContainersTest):
    def httpd(self, name, *args):
        self.ok("run", "-d", "--name", name, *args, "busybox", "sh", "-c",
                "mkdir -p /www && echo hello from %s > /www/index.html && "
                "exec httpd -f -p 80 -h /www" % name)

    def test_kill9_then_a_container_dies(self):
        self.ok("network", "create", "swnet")
        nid = net.net_ids(self, self.alice)["swnet"]
        pdead, plive = sdctest.free_port(host="0.0.0.0"), sdctest.free_port(host="0.0.0.0")
        self.httpd("dies", "--network", "swnet", "-p", "%d:80" % pdead)
        self.httpd("lives", "--network", "swnet", "-p", "%d:80" % plive)
        self.assertIn("hello from dies", sdctest.fetch("http://127.0.0.1:%d/" % pdead))
        self.assertIn("hello from lives", sdctest.fetch("http://127.0.0.1:%d/" % plive))
        dead = self.inspect("dies")["Id"]
        live = self.inspect("lives")["Id"]
        uuid = self.uuid_of("dies")
        self.assertIn(dead, names_tables(self.d))
        self.d.stop_one("dockerapi", signal.SIGKILL)
        with open(os.path.join(self.zones, uuid, "pid")) as f:
            os.kill(int(f.read()), signal.SIGKILL)
        state = os.path.join(self.zones, uuid, "state.json")

        def exited():
            with open(state) as f:
                return '"exited"' in f.read()
        self.wait_until("the exit while no daemon runs", exited)
        self.d.start_dockerapi()
        self.wait_until("dies exited", lambda: self.inspect("dies")["State"]["Status"]
                        == "exited")
        left = net.wait_empty("the dead one's leftovers", lambda: net.leftovers(
            self.d, [dead], []) + net.lease_rows(self.d, [dead], held_only=True)
            + (["names entry"] if dead in names_tables(self.d) else []))
        self.assertEqual(left, [])
        # its port is free again; the living one is still served
        self.assertIn("hello from lives", sdctest.fetch("http://127.0.0.1:%d/" % plive))
        self.httpd("takes", "-p", "%d:80" % pdead)
        self.assertIn("hello from takes", sdctest.fetch("http://127.0.0.1:%d/" % pdead))
        r = self.docker(self.alice, "run", "--rm", "--network", "swnet", "busybox", "sh",
                        "-c", "i=0; while [ $i -lt 50 ]; do timeout 2 wget -q -O - "
                        "http://lives/ && exit 0; sleep 0.1; i=$((i+1)); done; exit 1")
        self.assertIn("hello from lives", r.stdout, r.stderr)
        cids = self.docker(self.alice, "ps", "-aq", "--no-trunc").stdout.split()
        self.ok("rm", "-f", "dies", "lives", "takes")
        self.ok("network", "rm", "swnet")
        left = net.wait_empty("leftovers", lambda: net.leftovers(self.d, cids, [nid])
                              + net.lease_rows(self.d, set(cids) | {nid, live}))
        self.assertEqual(left, [])


if __name__ == "__main__":
    common.main()
