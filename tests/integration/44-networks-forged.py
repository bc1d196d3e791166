#!/usr/bin/python3
"""Frames a container's root makes itself (CAP_NET_RAW is in Docker's
default set), with 44-rawudp.c: to the host's loopback, gateway and
address they never arrive, while the same frame to the outside does; and
one forged with bob's container's address as its source does not leave
alice's network, nor does its echo reach bob's container."""
import importlib
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")
iso = importlib.import_module("44-networks-isolation")


class Forged(iso.IsolationBase):
    def raw_sender(self, name):
        """A container of alice's with 44-rawudp.c built in /rawudp."""
        binary = os.path.join(self.work, "rawudp")
        if not os.path.exists(binary):
            subprocess.run(["gcc", "-static", "-O1", "-o", binary,
                            os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "44-rawudp.c")], check=True)
        self.ok("run", "-d", "--name", name, "busybox", "sleep", "120")
        self.note(self.alice)
        self.ok("cp", binary, name + ":/rawudp")

    def test_spoofed_source_reflects_nothing(self):
        """alice's container sends, with bob's container's address as its
        source, to an outside UDP echo: the frame must not leave (else the
        echo, de-masqueraded, is delivered into bob's container).  Then
        the same frame with its own address, on the same CPU: the kernel
        passes a CPU's frames on in the order sent, so once that one has
        arrived the spoofed one would have too."""
        self.ok("run", "-d", "--name", "target", "busybox", "sleep", "120", certs=self.bob)
        self.note(self.bob)
        bip = self.inspect("target", certs=self.bob)["NetworkSettings"]["IPAddress"]
        port = 40000 + os.getpid() % 20000
        echo = subprocess.Popen(
            ["ip", "netns", "exec", self.outside.ns, "python3", "-c",
             "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
             "s.bind(('0.0.0.0', %d)); s.settimeout(20)\n"
             "try:\n"
             "  while True:\n"
             "    d, a = s.recvfrom(100); print(d.decode(), flush=True); s.sendto(d, a)\n"
             "    if d == b'as-itself': break\n"
             "except OSError: pass" % port], stdout=subprocess.PIPE, text=True)
        try:
            self.raw_sender("spoof")
            info = self.inspect("spoof")["NetworkSettings"]
            gw, ip = info["Gateway"], info["IPAddress"]
            before = self.counters("target")
            # both sent from the first CPU the container may use
            script = ("ping -c 1 -W 1 %s >/dev/null; "
                      "mac=$(awk '$1 == \"%s\" {print $4}' /proc/net/arp); "
                      "cpu=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*\\([0-9]*\\).*/\\1/p' "
                      "/proc/self/status); "
                      "taskset -c $cpu sh -c '"
                      "/rawudp eth0 %s %s %s %d spoofed-as-bob && "
                      "/rawudp eth0 %s %s %s %d as-itself' \"$mac\""
                      % (gw, gw, "$0", bip, self.outside.addr, port,
                         "$0", ip, self.outside.addr, port))
            r = self.docker(self.alice, "exec", "spoof", "sh", "-c", script)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            got = echo.communicate(timeout=20)[0]
            after = self.counters("target")
        finally:
            echo.kill()
            echo.wait()
        self.assertIn("as-itself", got)     # the sender works
        self.assertNotIn("spoofed-as-bob", got)
        self.assertEqual(after, before, "the echo reached bob's container")
        self.ok("rm", "-f", "spoof")
        self.ok("rm", "-f", "target", certs=self.bob)

    def test_raw_frames_to_the_hosts_loopback(self):
        """With CAP_NET_RAW (Docker's default set) a container's root
        sends hand-made frames to its gateway's MAC for any address: the
        host's loopback (where sapi's kind listen), the gateway, the
        host's own address.  None arrives; the same frame to the outside
        does (the sender works)."""
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", 0))
        port = srv.getsockname()[1]
        srv.settimeout(0.5)
        outside = subprocess.Popen(
            ["ip", "netns", "exec", self.outside.ns, "python3", "-c",
             "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
             "s.bind(('0.0.0.0', %d)); s.settimeout(20); print(s.recv(100).decode(), "
             "flush=True)" % port], stdout=subprocess.PIPE, text=True)
        try:
            self.raw_sender("raw")
            info = self.inspect("raw")["NetworkSettings"]
            gw, ip = info["Gateway"], info["IPAddress"]
            hostip = [a for a in subprocess.run(["hostname", "-I"], capture_output=True,
                                                text=True).stdout.split() if "." in a][0]
            script = ("ping -c 1 -W 1 %s >/dev/null; "
                      "mac=$(awk '$1 == \"%s\" {print $4}' /proc/net/arp); "
                      % (gw, gw))
            for dst in ("127.0.0.1", "127.0.0.53", gw, hostip, self.outside.addr):
                script += "/rawudp eth0 $mac %s %s %d to-%s || exit 1; " % (ip, dst, port, dst)
            r = self.docker(self.alice, "exec", "raw", "sh", "-c", script)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            got = outside.communicate(timeout=25)[0]
            self.assertIn("to-" + self.outside.addr, got)
            try:
                data = srv.recv(100)
            except socket.timeout:
                data = b""
            self.assertEqual(data, b"", "the host received %r" % data)
        finally:
            outside.kill()
            outside.wait()
            srv.close()
        self.ok("rm", "-f", "raw")


if __name__ == "__main__":
    common.main()
