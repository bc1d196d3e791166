#!/usr/bin/python3
"""One tenant's data must not cost the other tenants their service.

- The events history is per account: bob floods his own events (1100
  renames, more than the whole history the daemon used to keep for
  everyone) and alice's `docker events --since` still shows hers.
- A log of 300 MB (written straight into the container's logs folder, as
  a chatty container would make it): `docker logs --tail` answers at once
  and right, across the rotated file; a --since that skips the whole file
  answers right; and while a scan of all of it runs, another client's
  /_ping and `docker ps` answer within a second: reading logs is not done
  on the daemon's event loop.
"""
import http.client
import importlib
import json
import os
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")

BIG_MB = 300


class DataDenial(common.ContainersTest):
    def conn(self, certs, timeout=30):
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
        ctx.load_cert_chain(os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem"))
        return http.client.HTTPSConnection("127.0.0.1", self.d.docker_port,
                                           context=ctx, timeout=timeout)

    def test_events_history_is_per_account(self):
        since = str(int(time.time()) - 1)
        aid = self.ok("create", "--name", "a-ev", "busybox", "true").strip()
        self.ok("rename", "a-ev", "a-ev2")
        bid = self.ok("create", "--name", "b-0", "busybox", "true", certs=self.bob).strip()
        c = self.conn(self.bob)
        for i in range(1, 1101):
            c.request("POST", "/containers/%s/rename?name=b-%d" % (bid, i))
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 204)
        c.close()
        until = str(int(time.time()) + 1)
        out = self.ok("events", "--since", since, "--until", until, "--format", "{{json .}}",
                      "--filter", "container=" + aid)
        mine = [json.loads(l) for l in out.splitlines()]
        self.assertEqual([(m["Action"], m["Actor"]["ID"]) for m in mine],
                         [("create", aid), ("rename", aid)])
        # bob's flood is his: he sees his own latest, none of alice's
        out = self.ok("events", "--since", since, "--until", until,
                      "--format", "{{json .}}", certs=self.bob)
        theirs = [json.loads(l) for l in out.splitlines()]
        self.assertGreater(len(theirs), 1000)
        self.assertNotIn(aid, [m["Actor"]["ID"] for m in theirs])
        self.assertEqual(theirs[-1]["Actor"]["Attributes"]["name"], "b-1100")
        self.ok("rm", "a-ev2")
        self.ok("rm", "b-1100", certs=self.bob)

    def test_attach_streams_count_until_they_end(self):
        """An attach stream takes the socket over and keeps its place in
        ACCOUNT_MAX_STREAMS until it ends, not only until its request."""
        self.d.set_tunable("ACCOUNT_MAX_STREAMS", 2)
        try:
            cid = self.ok("create", "--name", "att", "busybox", "true").strip()
            held = []
            self.wait_until("the limit to apply", lambda: self.events_status() == 200)
            for _ in range(2):
                c = self.conn(self.alice)
                c.request("POST", "/containers/%s/attach?stream=1&stdout=1" % cid)
                r = c.getresponse()     # holds the socket: keep it
                self.assertEqual(r.status, 200)
                held.append(r)
            self.wait_until("the limit to apply", lambda: self.events_status() == 429)
            self.assertEqual(self.events_status(self.bob), 200)
            # the streams end with the container, and give their places back
            self.ok("rm", "-f", "att")
            self.wait_until("the places to come back",
                            lambda: self.events_status() == 200, timeout=15)
            for c in held:
                c.close()
        finally:
            self.d.set_tunable("ACCOUNT_MAX_STREAMS", 256)

    def events_status(self, certs=None):
        """GET /events?until=now: a long-lived request that ends at once."""
        c = self.conn(certs or self.alice)
        c.request("GET", "/events?since=1&until=%d" % int(time.time()))
        r = c.getresponse()
        r.read()
        c.close()
        return r.status

    def write_big_log(self, name):
        """A rotated file of BIG_MB of old stdout lines, a MiB of them a
        second from 2020-01-01T00:00:00, and a live file of 20 lines of
        2021.  Returns the lines per MiB."""
        logs = os.path.join(self.zones, self.uuid_of(name), "logs")
        line = json.dumps({"log": "old " + "x" * 180 + "\n", "stream": "stdout",
                           "time": "2020-01-01T00:00:00.000000000Z"},
                          separators=(",", ":")) + "\n"
        per_chunk = 1024 * 1024 // len(line) + 1
        chunk = (line * per_chunk).encode()
        with open(os.path.join(logs, "stdio.log.2020-01-02T00:00:00.000000000Z"), "wb") as f:
            for k in range(BIG_MB):
                f.write(chunk.replace(b"T00:00:00.", b"T00:%02d:%02d." % (k // 60, k % 60)))
        with open(os.path.join(logs, "stdio.log"), "w") as f:
            for i in range(1, 21):
                f.write(json.dumps({"log": "line %d\n" % i, "stream": "stdout",
                                    "time": "2021-01-01T00:00:%02d.000000000Z" % i},
                                   separators=(",", ":")) + "\n")
            # a line still being written: not a record yet
            f.write('{"log":"partial')
        return per_chunk

    def test_big_log_is_read_off_the_loop(self):
        self.ok("create", "--name", "biglog", "busybox", "true")
        per_second = self.write_big_log("biglog")
        # --tail from the end: fast and right, across the rotation
        start = time.time()
        out = self.ok("logs", "--tail", "5", "biglog")
        took = time.time() - start
        self.assertEqual(out, "".join("line %d\n" % i for i in range(16, 21)))
        self.assertLess(took, 2.0, "docker logs --tail 5 took %.1fs" % took)
        out = self.ok("logs", "--tail", "22", "biglog").splitlines()
        self.assertEqual(len(out), 22)
        self.assertTrue(out[0].startswith("old xxx") and out[1].startswith("old xxx"))
        self.assertEqual(out[2:], ["line %d" % i for i in range(1, 21)])
        out = self.ok("logs", "--tail", "3", "--since", "2021-01-01T00:00:19Z", "biglog")
        self.assertEqual(out, "line 19\nline 20\n")
        # a --since past the whole rotated file, and one in its middle:
        # found, not read up to
        start = time.time()
        out = self.ok("logs", "--since", "2020-06-01T00:00:00Z", "--until",
                      "2021-01-01T00:00:03Z", "biglog")
        self.assertEqual(out, "line 1\nline 2\nline 3\n")
        start = time.time()
        out = self.ok("logs", "--timestamps", "--since", "2020-01-01T00:02:30Z",
                      "--until", "2020-01-01T00:02:30Z", "biglog").splitlines()
        took = time.time() - start
        self.assertEqual(len(out), per_second)
        self.assertTrue(out[0].startswith("2020-01-01T00:02:30.000000000Z old xxx"), out[0])
        self.assertTrue(out[-1].startswith("2020-01-01T00:02:30.000000000Z old xxx"), out[-1])
        self.assertLess(took, 3.0, "docker logs --since --until took %.1fs" % took)

        # a scan of every line (all stdout, stderr asked for: each parsed
        # and dropped) while other clients are served
        cid = self.inspect("biglog")["Id"]
        scan = self.conn(self.alice, timeout=120)
        state = {}

        def run_scan():
            scan.request("GET", "/containers/%s/logs?stderr=1&since=1&until=%d"
                         % (cid, int(time.time()) + 10))
            r = scan.getresponse()
            state["status"] = r.status
            try:
                state["body"] = r.read()
            except Exception:   # the test closed it: the point
                pass
            state["end"] = time.time()

        t = threading.Thread(target=run_scan, daemon=True)
        t.start()
        time.sleep(0.2)
        pings, worst = 0, 0.0
        end = time.time() + 3
        while time.time() < end and "end" not in state:
            ping = self.conn(self.bob, timeout=10)
            s = time.time()
            ping.request("GET", "/_ping")
            r = ping.getresponse()
            r.read()
            ping.close()
            self.assertEqual(r.status, 200)
            worst = max(worst, time.time() - s)
            pings += 1
            time.sleep(0.05)
        s = time.time()
        r = self.docker(self.bob, "ps", timeout=30)
        ps_took = time.time() - s
        scan_running = "end" not in state
        self.assertTrue(scan_running, "the scan ended before the pings did: "
                        "make the log larger")
        self.assertGreater(pings, 5)
        self.assertLess(worst, 1.0, "a /_ping took %.2fs during the scan" % worst)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(ps_took, 2.0, "docker ps took %.2fs during the scan" % ps_took)
        # leaving cancels the scan; the daemon goes on
        scan.sock.shutdown(2)
        scan.close()
        t.join(10)
        self.ok("rm", "biglog")
        self.assertEqual(self.ok("ps", "-aq"), "")


if __name__ == "__main__":
    common.main()
