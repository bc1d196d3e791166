#!/usr/bin/python3
"""Debian's docker-compose (1.29) with no network_mode: a web service
(busybox httpd) and a client that fetches its page by service name on the
project's default network; ps, logs (the page), down; then nothing of the
project is left: no network, bridge, veth, nftables element or chain,
sandbox, names table, lease or endpoint row.  The client tries once and
says whether that first try failed (its address may arrive a few ms after
its first instruction), then retries."""
import importlib
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")
net = importlib.import_module("44-networks-common")

COMPOSE = """version: "2.4"
services:
  web:
    image: busybox
    command: sh -c "mkdir -p /www && echo page-from-web > /www/index.html && exec httpd -f -p 80 -h /www"
  client:
    image: busybox
    depends_on: [web]
    command:
      - sh
      - -c
      - |
        if wget -q -O - http://web/ ; then echo first-try-ok; else echo first-try-failed; fi
        i=0
        while [ $$i -lt 100 ]; do
          wget -q -O - http://web/ && exit 0
          sleep 0.1; i=$$((i+1))
        done
        exit 1
"""


class Compose(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        if shutil.which("docker-compose") is None:
            print("no docker-compose (scripts/deps.sh test installs it)")
            sys.exit(1)
        super().setUpClass()

    def compose(self, *args, timeout=120):
        return super().compose("nt", COMPOSE, *args, timeout=timeout)

    def test_two_services_by_name_and_nothing_left(self):
        self.compose("up", "-d")
        nets = net.net_ids(self, self.alice)
        self.assertIn("nt_default", nets)
        nid = nets["nt_default"]
        cids = self.docker(self.alice, "ps", "-aq", "--no-trunc").stdout.split()
        self.assertEqual(len(cids), 2)
        self.wait_until("the client to exit", lambda: self.inspect("nt_client_1")
                        ["State"]["Status"] == "exited", timeout=30)
        self.assertEqual(self.inspect("nt_client_1")["State"]["ExitCode"], 0,
                         self.compose("logs", "--no-color", "client"))
        ps = self.compose("ps")
        self.assertIn("nt_web_1", ps)
        self.assertIn("nt_client_1", ps)
        logs = self.compose("logs", "--no-color", "client")
        self.assertIn("page-from-web", logs)
        print("\nclient's first try: %s" % ("failed" if "first-try-failed" in logs
                                             else "ok"), file=sys.stderr)
        # both on the project's network, by service name
        j = self.inspect("nt_web_1")
        self.assertIn("web", j["NetworkSettings"]["Networks"]["nt_default"]["Aliases"])
        self.assertTrue(net.lease_rows(self.d, None))
        # what the leak check looks for is there while the project runs
        seen = " ".join(net.leftovers(self.d, cids, [nid]))
        for what in ("bridge sdc", "nft element", "link sdv", "sandbox file", "names table"):
            self.assertIn(what, seen)
        # httpd, the web service's pid 1, ignores SIGTERM: killed after
        # 1 s rather than the 10 s default
        self.compose("down", "-t", "1")
        self.assertNotIn("nt_default", self.ok("network", "ls"))
        self.assertEqual(self.ok("ps", "-aq"), "")
        left = net.wait_empty("leftovers", lambda: net.leftovers(self.d, cids, [nid])
                              + net.lease_rows(self.d, None))
        self.assertEqual(left, [])


if __name__ == "__main__":
    common.main()
