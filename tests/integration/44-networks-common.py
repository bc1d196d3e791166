"""What the 44-networks tests share (imported, not run).

The kernel's view of what a test daemon's networks left behind, scoped to
the ids of that daemon's containers and networks (other daemons share the
host's nftables table and links): links named or aliased after them, the
nftables elements and chains of them, sandbox files, names tables, lease
rows.  And an "outside" for containers to reach: a network namespace
joined to the host by a veth, with a route to it, standing for a machine
beyond the host.
"""
import glob
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402


def sh(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("%s: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r.stdout


def leftovers(d, container_ids, network_ids):
    """What the kernel and the daemon's run dir still hold of these ids."""
    left = []
    links = sh("ip", "-d", "-o", "link", "show")
    nft = sh("nft", "list", "table", "inet", "sdc_docker", check=False)
    for nid in network_ids:
        br = "sdc" + nid[:12]
        if br + ":" in links or br + "@" in links:
            left.append("bridge " + br)
        if '"%s"' % br in nft or br in nft:
            left.append("nft element of " + br)
    for cid in list(container_ids) + list(network_ids):
        for line in links.splitlines():
            if cid in line:
                left.append("link " + line.split(":")[1].strip())
        if "p_" + cid in nft or "_" + cid in nft:
            left.append("nft chain of " + cid[:12])
    run = os.path.join(d.tmp, "dockerapi", "net")
    for cid in container_ids:
        if os.path.exists(os.path.join(run, "netns", cid)):
            left.append("sandbox file " + cid[:12])
    for nid in network_ids:
        for p in glob.glob(os.path.join(run, "dns", "**", nid + "*"), recursive=True):
            left.append("names table " + p)
        if os.path.exists(os.path.join(run, "networks", nid)):
            left.append("network mark " + nid[:12])
        for pid in glob.glob("/proc/[0-9]*"):
            try:
                with open(pid + "/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv[0].endswith(b"aardvark-dns") and any(
                    nid.encode() in a for a in argv):
                left.append("aardvark-dns of " + nid[:12] + " (pid " +
                            pid.split("/")[-1] + ")")
    return left


def lease_rows(d, ids, held_only=False):
    """The store's lease and endpoint rows naming these ids (all of them
    when ids is None), on either store (SQLite or PostgreSQL).  held_only:
    an endpoint (a stopped container's membership) counts only when it
    still holds an address."""
    rows = []
    for table, where in (("network_leases", ""),
                         ("network_endpoints", " WHERE ip != ''" if held_only else "")):
        for r in d.store_rows("dockerapi", "SELECT network, container FROM %s%s"
                              % (table, where)):
            if ids is None or any(x in ids for x in r):
                rows.append((table,) + tuple(r))
    return rows


def wait_empty(what, f, timeout=10):
    end = time.time() + timeout
    while True:
        got = f()
        if not got or time.time() > end:
            return got
        time.sleep(0.1)


class Outside:
    """A namespace `sdco<pid>` beyond a veth from the host: address
    `addr` on it, the host's end `host_addr`, and extra /32 addresses routed
    to it (e.g. a link-local one)."""

    def __init__(self, extra=()):
        # a /30 of the process's test slot: apart from other tests' outsides
        n = sdctest.process_slot() + 1
        self.ns = "sdco%d" % os.getpid()
        self.hif = "sdcoh%d" % os.getpid()
        self.host_addr = "198.19.%d.1" % n
        self.addr = "198.19.%d.2" % n
        self.extra = list(extra)
        self.procs = []
        sh("ip", "netns", "add", self.ns)
        sh("ip", "link", "add", self.hif, "type", "veth", "peer", "name", "eth0",
           "netns", self.ns)
        sh("ip", "addr", "add", self.host_addr + "/30", "dev", self.hif)
        sh("ip", "link", "set", self.hif, "up")
        ns = ["ip", "netns", "exec", self.ns]
        sh(*ns, "ip", "link", "set", "lo", "up")
        sh(*ns, "ip", "addr", "add", self.addr + "/30", "dev", "eth0")
        sh(*ns, "ip", "link", "set", "eth0", "up")
        sh(*ns, "ip", "route", "add", "default", "via", self.host_addr)
        for a in self.extra:
            sh(*ns, "ip", "addr", "add", a + "/32", "dev", "eth0")
            sh("ip", "route", "add", a + "/32", "via", self.addr)

    def serve(self, port, text):
        """An HTTP server on every address of the namespace."""
        d = "/tmp/%s.www%d" % (self.ns, port)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write(text + "\n")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns, "busybox", "httpd", "-f",
                              "-p", str(port), "-h", d],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        end = time.time() + 10
        while time.time() < end:
            r = subprocess.run(["ip", "netns", "exec", self.ns, "busybox", "wget", "-q",
                                "-O", "-", "http://127.0.0.1:%d/" % port],
                               capture_output=True, text=True)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise AssertionError("outside server did not start")

    def close(self):
        for p in self.procs:
            p.kill()
            p.wait()
        for a in self.extra:
            sh("ip", "route", "del", a + "/32", check=False)
        sh("ip", "link", "del", self.hif, check=False)
        sh("ip", "netns", "del", self.ns, check=False)
        for p in glob.glob("/tmp/%s.www*" % self.ns):
            for f in os.listdir(p):
                os.unlink(os.path.join(p, f))
            os.rmdir(p)


def ids(test, certs):
    """Ids of the account's containers and networks, full."""
    cids = test.docker(certs, "ps", "-aq", "--no-trunc").stdout.split()
    nids = test.docker(certs, "network", "ls", "-q", "--no-trunc").stdout.split()
    return cids, nids


def net_ids(test, certs):
    out = test.docker(certs, "network", "ls", "--no-trunc", "--format",
                      "{{.ID}} {{.Name}}").stdout.split("\n")
    return dict(reversed(l.split()) for l in out if l.strip())


def inspect_net(test, name, certs):
    return json.loads(test.ok("network", "inspect", name, certs=certs))[0]
