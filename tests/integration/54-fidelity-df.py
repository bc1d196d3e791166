#!/usr/bin/python3
"""docker system df (and -v), with the docker CLI and docker-py: the
calling account's images (with the number of its containers on each),
containers (their writable layers' sizes), volumes (their usage) and an
empty build cache; nothing of another account's, whose container and
volume hold more."""
import importlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")


class SystemDf(common.ContainersTest):
    def client(self, certs=None):
        return self.d.dockerpy(certs or self.alice, timeout=30)

    def test_df(self):
        self.ok("run", "--name", "fat", "busybox", "sh", "-c",
                "dd if=/dev/urandom of=/big bs=1024 count=3000 2>/dev/null")
        self.ok("run", "-d", "--name", "idle", "busybox", "sleep", "600")
        self.ok("volume", "create", "data")
        self.ok("run", "--rm", "-v", "data:/data", "busybox", "sh", "-c",
                "dd if=/dev/urandom of=/data/f bs=1024 count=1000 2>/dev/null")
        self.ok("volume", "create", "empty")
        # bob's, bigger: never in alice's figures
        self.ok("run", "--name", "bobfat", "busybox", "sh", "-c",
                "dd if=/dev/urandom of=/big bs=1024 count=5000 2>/dev/null", certs=self.bob)
        self.ok("volume", "create", "bobvol", certs=self.bob)
        self.ok("run", "--rm", "-v", "bobvol:/d", "busybox", "sh", "-c",
                "dd if=/dev/urandom of=/d/f bs=1024 count=2000 2>/dev/null", certs=self.bob)

        df = self.client().df()
        ids = {c["Names"][0]: c for c in df["Containers"]}
        self.assertEqual(sorted(ids), ["/fat", "/idle"])
        self.assertGreaterEqual(ids["/fat"]["SizeRw"], 3000 * 1024)
        self.assertLess(ids["/fat"]["SizeRw"], 5000 * 1024)
        vols = {v["Name"]: v for v in df["Volumes"]}
        self.assertEqual(sorted(vols), ["data", "empty"])
        self.assertGreaterEqual(vols["data"]["UsageData"]["Size"], 1000 * 1024)
        self.assertLess(vols["data"]["UsageData"]["Size"], 2000 * 1024)
        self.assertEqual(vols["empty"]["UsageData"]["RefCount"], 0)
        busybox = [i for i in df["Images"] if any(t.startswith("busybox:")
                                                   for t in i["RepoTags"] or [])]
        self.assertEqual(len(busybox), 1, df["Images"])
        self.assertEqual(busybox[0]["Containers"], 2)
        self.assertGreater(busybox[0]["Size"], 0)
        self.assertEqual(df["LayersSize"], sum(i["Size"] for i in df["Images"]))
        self.assertEqual(df["BuildCache"], [])

        rows = {}
        for line in self.ok("system", "df", "--format", "{{json .}}").splitlines():
            row = json.loads(line)
            rows[row["Type"]] = row
        self.assertEqual(rows["Containers"]["TotalCount"], "2")
        self.assertEqual(rows["Containers"]["Active"], "1")
        self.assertEqual(rows["Local Volumes"]["TotalCount"], "2")
        self.assertEqual(rows["Local Volumes"]["Active"], "0")
        self.assertEqual(rows["Build Cache"]["TotalCount"], "0")
        verbose = self.ok("system", "df", "-v")
        for want in ("fat", "idle", "data", "empty"):
            self.assertIn(want, verbose)
        for other in ("bobfat", "bobvol"):
            self.assertNotIn(other, verbose)
        bob = self.client(self.bob).df()
        self.assertEqual([c["Names"][0] for c in bob["Containers"]], ["/bobfat"])
        self.assertEqual([v["Name"] for v in bob["Volumes"]], ["bobvol"])
        self.ok("rm", "-f", "fat", "idle")
        self.ok("volume", "rm", "data", "empty")
        self.ok("rm", "bobfat", certs=self.bob)
        self.ok("volume", "rm", "bobvol", certs=self.bob)


if __name__ == "__main__":
    common.main()
