#!/usr/bin/python3
"""The syslog, gelf and fluentd log drivers against real receivers in this
test: what arrives (format, priority, tag, host, GELF fields, compression
and chunks, fluentd's MessagePack record) for stdout and stderr, with
`docker logs` still answering; a stream server away failing the start as
dockerd's does (or not, with fluentd-async-connect); and the addresses a
tenant may not aim the node at: loopback and the metadata address unless
the operator allows them (LOG_ALLOW_PRIVATE), a unix socket on the node,
and another account's container network even when private ones are
allowed."""
import gzip
import importlib
import json
import os
import socket
import struct
import sys
import threading
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")


def unpack(b, i=0):
    """A small MessagePack reader: what the fluentd driver sends."""
    t = b[i]
    if t <= 0x7f:
        return t, i + 1
    if 0x80 <= t <= 0x8f or t == 0xde:
        n, i = (t & 15, i + 1) if t != 0xde else (struct.unpack(">H", b[i+1:i+3])[0], i + 3)
        d = {}
        for _ in range(n):
            k, i = unpack(b, i)
            d[k], i = unpack(b, i)
        return d, i
    if 0x90 <= t <= 0x9f:
        out = []
        i += 1
        for _ in range(t & 15):
            v, i = unpack(b, i)
            out.append(v)
        return out, i
    if 0xa0 <= t <= 0xbf or t in (0xd9, 0xda, 0xdb):
        if t <= 0xbf:
            n, i = t & 31, i + 1
        else:
            w = {0xd9: 1, 0xda: 2, 0xdb: 4}[t]
            n, i = int.from_bytes(b[i+1:i+1+w], "big"), i + 1 + w
        return b[i:i+n].decode(), i + n
    if t == 0xce:
        return struct.unpack(">I", b[i+1:i+5])[0], i + 5
    raise ValueError("unexpected type 0x%x" % t)


class Receiver:
    """A UDP or TCP listener on 127.0.0.1 keeping what arrives."""

    def __init__(self, kind):
        self.kind = kind
        self.data = []
        self.stream = b""
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp"
                                  else socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        if kind == "tcp":
            self.sock.listen(8)
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            if self.kind == "udp":
                d, _ = self.sock.recvfrom(65536)
                with self.lock:
                    self.data.append(d)
                continue
            c, _ = self.sock.accept()
            threading.Thread(target=self.read, args=(c,), daemon=True).start()

    def read(self, c):
        while True:
            d = c.recv(65536)
            if not d:
                return
            with self.lock:
                self.stream += d

    def close(self):
        self.sock.close()


class LogDrivers(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.d.set_tunable("ENABLED_LOG_DRIVERS", "json-file,syslog,gelf,fluentd,none")
        cls.d.set_tunable("LOG_ALLOW_PRIVATE", ["127.0.0.1"])

    def run_with(self, driver, opts, script, name, certs=None, ok=True):
        args = ["run", "--name", name, "--log-driver", driver]
        for o in opts:
            args += ["--log-opt", o]
        args += ["busybox", "sh", "-c", script]
        if ok:
            # the tunables reach the daemon through SAPI: wait for them
            self.wait_until("the drivers enabled", lambda: self.docker(
                certs or self.alice, "run", "--rm", "--log-driver", "gelf",
                "--log-opt", "gelf-address=udp://127.0.0.1:9", "busybox",
                "true").returncode == 0, timeout=30)
            return self.ok(*args, certs=certs)
        return self.fails(*args, certs=certs)

    def wait_for(self, what, fn):
        self.wait_until(what, fn, timeout=10)

    def test_syslog_udp_and_tcp(self):
        udp = Receiver("udp")
        self.run_with("syslog", ["syslog-address=udp://127.0.0.1:%d" % udp.port,
                                 "syslog-format=rfc5424", "tag={{.Name}}/x",
                                 "syslog-facility=local0"],
                      "echo to out; echo to err >&2", "sl1")
        self.wait_for("two datagrams", lambda: len(udp.data) >= 2)
        msgs = sorted(d.decode() for d in udp.data)
        host = socket.gethostname()
        # local0 = 16: stdout info (6) 134, stderr err (3) 131
        self.assertRegex(msgs[0], r"^<131>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) "
                         + host + r" sl1/x \d+ sl1/x - to err\n$")
        self.assertRegex(msgs[1], r"^<134>1 .* sl1/x \d+ sl1/x - to out\n$")
        # docker logs still answers (the local copy dockerd keeps too)
        self.assertEqual(self.ok("logs", "sl1").strip().split("\n"), ["to out"])
        udp.close()
        tcp = Receiver("tcp")
        cid = self.run_with("syslog", ["syslog-address=tcp://127.0.0.1:%d" % tcp.port,
                                       "syslog-format=rfc3164"],
                            "echo one; echo two", "sl2")
        del cid
        full = self.inspect("sl2")["Id"]
        self.wait_for("two lines", lambda: tcp.stream.count(b"\n") >= 2)
        lines = tcp.stream.decode().splitlines()
        # daemon (3): stdout 30
        self.assertRegex(lines[0], r"^<30>\w{3} [ \d]\d \d\d:\d\d:\d\d " + host +
                         " " + full[:12] + r"\[\d+\]: one$")
        self.assertTrue(lines[1].endswith(": two"))
        tcp.close()

    def test_gelf_udp_compressions_and_tcp(self):
        for comp, dec in (("gzip", gzip.decompress), ("zlib", zlib.decompress),
                          ("none", lambda b: b)):
            udp = Receiver("udp")
            name = "gl-" + comp
            self.run_with("gelf", ["gelf-address=udp://127.0.0.1:%d" % udp.port,
                                   "gelf-compression-type=" + comp, "labels=team",
                                   "env=STAGE"],
                          "echo hello gelf; echo oops >&2", name)
            self.wait_for("two messages", lambda: len(udp.data) >= 2)
            got = sorted((json.loads(dec(d)) for d in udp.data),
                         key=lambda m: m["level"])
            info = self.inspect(name)
            self.assertEqual(got[0]["short_message"], "oops")
            self.assertEqual(got[0]["level"], 3)
            m = got[1]
            self.assertEqual(m["version"], "1.1")
            self.assertEqual(m["short_message"], "hello gelf")
            self.assertEqual(m["level"], 6)
            self.assertEqual(m["host"], socket.gethostname())
            self.assertEqual(m["_container_id"], info["Id"])
            self.assertEqual(m["_container_name"], "/" + name)
            self.assertEqual(m["_image_id"], info["Image"])
            self.assertEqual(m["_tag"], info["Id"][:12])
            self.assertIn("echo hello gelf", m["_command"])
            self.assertIsInstance(m["timestamp"], float)
            udp.close()
        # labels and env asked for become fields
        udp = Receiver("udp")
        self.ok("run", "--name", "gl-extra", "--label", "team=blue", "-e", "STAGE=prod",
                "--log-driver", "gelf", "--log-opt",
                "gelf-address=udp://127.0.0.1:%d" % udp.port, "--log-opt", "labels=team",
                "--log-opt", "env=STAGE", "busybox", "echo", "x")
        self.wait_for("one message", lambda: len(udp.data) >= 1)
        m = json.loads(gzip.decompress(udp.data[0]))
        self.assertEqual((m["_team"], m["_STAGE"]), ("blue", "prod"))
        # a long line goes in GELF chunks that put back together make it
        self.ok("run", "--name", "gl-big", "--log-driver", "gelf", "--log-opt",
                "gelf-address=udp://127.0.0.1:%d" % udp.port, "--log-opt",
                "gelf-compression-type=none", "busybox", "sh", "-c",
                "head -c 6000 /dev/zero | tr '\\0' a; echo")
        self.wait_for("chunks", lambda: any(d[:2] == b"\x1e\x0f" for d in udp.data))
        self.wait_for("every chunk", lambda: len([d for d in udp.data if d[:2] == b"\x1e\x0f"])
                      >= [d for d in udp.data if d[:2] == b"\x1e\x0f"][0][11])
        chunks = sorted((d for d in udp.data if d[:2] == b"\x1e\x0f"), key=lambda d: d[10])
        self.assertEqual(len({c[2:10] for c in chunks}), 1)
        self.assertEqual(chunks[0][11], len(chunks))
        big = json.loads(b"".join(c[12:] for c in chunks))
        self.assertEqual(big["short_message"], "a" * 6000)
        udp.close()
        tcp = Receiver("tcp")
        self.run_with("gelf", ["gelf-address=tcp://127.0.0.1:%d" % tcp.port],
                      "echo over tcp", "gl-tcp")
        self.wait_for("a NUL-ended message", lambda: b"\0" in tcp.stream)
        self.assertEqual(json.loads(tcp.stream.split(b"\0")[0])["short_message"],
                         "over tcp")
        tcp.close()
        r = self.run_with("gelf", ["gelf-address=tcp://127.0.0.1:1",
                                   "gelf-compression-type=gzip"], "true", "gl-bad",
                          ok=False)
        self.assertIn("gelf over tcp is not compressed", r.stderr)

    def test_fluentd(self):
        tcp = Receiver("tcp")
        self.run_with("fluentd", ["fluentd-address=127.0.0.1:%d" % tcp.port,
                                  "tag=app.{{.Name}}"],
                      "echo first; echo second >&2", "fl1")
        info = self.inspect("fl1")
        recs = []

        def decoded():
            recs.clear()
            i, b = 0, tcp.stream
            try:
                while i < len(b):
                    v, i = unpack(b, i)
                    recs.append(v)
            except (IndexError, ValueError):
                pass
            return len(recs) >= 2
        self.wait_for("two records", decoded)
        by = {r[2]["source"]: r for r in recs}
        tag, t, rec = by["stdout"]
        self.assertEqual(tag, "app.fl1")
        self.assertIsInstance(t, int)
        self.assertEqual(rec["log"], "first")
        self.assertEqual(rec["container_id"], info["Id"])
        self.assertEqual(rec["container_name"], "/fl1")
        self.assertEqual(by["stderr"][2]["log"], "second")
        tcp.close()
        # nobody listening: the start fails as dockerd's does ...
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        r = self.run_with("fluentd", ["fluentd-address=127.0.0.1:%d" % port], "true",
                          "fl2", ok=False)
        self.assertIn("failed to initialize logging driver", r.stderr)
        # ... unless async-connect was asked for
        self.run_with("fluentd", ["fluentd-address=127.0.0.1:%d" % port,
                                  "fluentd-async-connect=true"], "echo fine", "fl3")
        self.assertEqual(self.ok("logs", "fl3"), "fine\n")

    def test_refused_addresses(self):
        self.wait_until("the drivers enabled", lambda: self.docker(
            self.alice, "run", "--rm", "--log-driver", "gelf",
            "--log-opt", "gelf-address=udp://127.0.0.1:9", "busybox",
            "true").returncode == 0, timeout=30)
        for opts, words in (
                (["--log-driver", "syslog", "--log-opt", "syslog-address=udp://127.0.0.2:514"],
                 "LOG_ALLOW_PRIVATE"),
                (["--log-driver", "gelf", "--log-opt", "gelf-address=udp://169.254.169.254:80"],
                 "link-local"),
                (["--log-driver", "fluentd", "--log-opt", "fluentd-address=[::1]:24224"],
                 "LOG_ALLOW_PRIVATE"),
                (["--log-driver", "syslog", "--log-opt", "syslog-address=unix:///run/docker.sock"],
                 "unix socket is a path on the node"),
                (["--log-driver", "syslog", "--log-opt", "syslog-address=tcp+tls://h:1"],
                 "tcp+tls"),
                (["--log-driver", "syslog", "--log-opt", "syslog-address=udp://h:1",
                  "--log-opt", "syslog-format=json"], "Invalid syslog format"),
                (["--log-driver", "gelf", "--log-opt", "gelf-address=udp://h:1",
                  "--log-opt", "tag={{.Config.Env}}"], "not offered here")):
            r = self.fails("run", "--rm", *opts, "busybox", "true")
            self.assertIn(words, r.stderr)
        # a name resolving to loopback is judged at start, and refused
        r = self.fails("run", "--rm", "--log-driver", "gelf", "--log-opt",
                       "gelf-address=udp://localhost.:12201", "busybox", "true")
        self.assertRegex(r.stderr, "refused|resolving")
        # bob's container network, with private networks allowed: refused
        self.ok("run", "-d", "--name", "bobs", "busybox", "sleep", "300", certs=self.bob)
        ip = self.inspect("bobs", certs=self.bob)["NetworkSettings"]["IPAddress"]
        self.assertTrue(ip)
        try:
            self.d.set_tunable("LOG_ALLOW_PRIVATE", ["127.0.0.1", "10.0.0.0/8",
                                                     "172.16.0.0/12", "192.168.0.0/16",
                                                     "100.64.0.0/10"])
            self.wait_until("private allowed", lambda: self.docker(
                self.alice, "run", "--rm", "--log-driver", "gelf", "--log-opt",
                "gelf-address=udp://192.168.255.254:9", "busybox",
                "true").returncode == 0, timeout=30)
            r = self.fails("run", "--rm", "--log-driver", "gelf", "--log-opt",
                           "gelf-address=udp://%s:12201" % ip, "busybox", "true")
            self.assertIn("another account's container network", r.stderr)
        finally:
            self.d.set_tunable("LOG_ALLOW_PRIVATE", ["127.0.0.1"])


if __name__ == "__main__":
    common.main()
