#!/usr/bin/python3
"""Debian's docker-compose with a named volume shared by two services:
up makes the volume (with compose's labels), the writer's file reaches
the reader, and down -v removes it.  The services use network_mode: none
(containers have no networks to join here yet)."""
import importlib
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

COMPOSE = """version: "2.4"
services:
  writer:
    image: busybox
    network_mode: none
    command: sh -c "echo shared-by-compose > /data/f"
    volumes:
      - data:/data
  reader:
    image: busybox
    network_mode: none
    command: sh -c "while [ ! -f /data/f ]; do sleep 0.1; done; cat /data/f"
    volumes:
      - data:/data:ro
volumes:
  data: {}
"""


class Compose(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        if shutil.which("docker-compose") is None:
            print("no docker-compose (scripts/deps.sh test installs it)")
            sys.exit(1)
        super().setUpClass()

    def compose(self, *args, timeout=120):
        return super().compose("vt", COMPOSE, *args, timeout=timeout)

    def test_named_volume_shared_by_two_services(self):
        self.compose("up", "--no-color", "--abort-on-container-exit",
                     "--exit-code-from", "reader")
        v = json.loads(self.ok("volume", "inspect", "vt_data"))[0]
        self.assertEqual(v["Labels"].get("com.docker.compose.project"), "vt")
        self.assertEqual(v["Labels"].get("com.docker.compose.volume"), "data")
        logs = self.compose("logs", "--no-color", "reader")
        self.assertIn("shared-by-compose", logs)
        mounts = self.inspect("vt_reader_1")["Mounts"]
        self.assertEqual([(m["Name"], m["Destination"], m["RW"]) for m in mounts],
                         [("vt_data", "/data", False)])
        self.compose("down", "-v")
        self.assertEqual(self.ok("volume", "ls", "-q"), "")
        self.assertEqual(self.ok("ps", "-aq"), "")


if __name__ == "__main__":
    common.main()
