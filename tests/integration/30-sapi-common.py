# 30-sapi-common.py: what the sapi integration tests share (not a test:
# not executable; the tests load it by path).
#
# Sapi() starts the real daemon from $SDC_BIN on its unix socket (sapi's
# default; here <tmp>/sapi.sock) with a temporary data dir, and stops it on
# exit whatever happens.  req() is one HTTP exchange returning (status,
# headers, parsed JSON or None); connect() and http() give a raw socket and
# an http.client connection to the daemon, whatever it listens on.
import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import sdctest  # SDC_TEST_STORE: the store's engine

BIN = os.environ.get("SDC_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin")
TOP = os.environ.get("SDC_TOP") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")

_live = []


def _cleanup():
    for s in list(_live):
        s.stop(kill=True)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def need_binaries(*names):
    for n in names:
        if not os.access(os.path.join(BIN, n), os.X_OK):
            print("missing: %s/%s is not built" % (BIN, n))
            sys.exit(1)


class Sapi:
    def __init__(self, data_dir=None, bootstrap=None, extra=()):
        need_binaries("sapi")
        self.own_dir = data_dir is None
        self.tmp = tempfile.mkdtemp(prefix="sapi-test-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.bootstrap = bootstrap or os.path.join(TOP, "etc",
                                                   "sapi-bootstrap.yaml")
        self.extra = list(extra)
        self.proc = None
        self.port = None
        self.socket = os.path.join(self.tmp, "sapi.sock")
        _live.append(self)
        self.start()

    def start(self):
        self.log = open(os.path.join(self.tmp, "sapi.log"), "ab")
        offset = self.log.tell()
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "sapi"), "--listen", "unix:" + self.socket,
             "--data-dir", self.data_dir, "--bootstrap", self.bootstrap]
            + sdctest.store_args(self.data_dir) + self.extra, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(os.path.join(self.tmp, "sapi.log"), "rb") as f:
                f.seek(offset)
                text = f.read().decode("utf-8", "replace")
            m = re.findall(r'"listening on [^"]*\(port (\d+)', text)
            if m:
                self.port = int(m[-1])
                return
            if '"listening on unix:' in text:
                return
            if self.proc.poll() is not None:
                raise RuntimeError("sapi exited %s:\n%s" %
                                   (self.proc.returncode, text))
            time.sleep(0.02)
        raise RuntimeError("sapi did not start:\n" + text)

    @property
    def url(self):
        return "unix:" + self.socket

    def addr(self):
        """Where req(), connect() and http() go: the socket's path."""
        return self.socket

    def connect(self, timeout=None):
        return connect(self.addr(), timeout)

    def http(self, timeout=30):
        return http_conn(self.addr(), timeout)

    def logtext(self):
        with open(os.path.join(self.tmp, "sapi.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, kill=False, sig=signal.SIGTERM):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        text = self.logtext()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if bad in text:
                check(False, "sapi's log has no %s report:\n%s" %
                      (bad, text[text.index(bad) - 200:][:3000]))
                break
        if kill and self in _live:
            _live.remove(self)
            if self.own_dir:
                shutil.rmtree(self.tmp, ignore_errors=True)
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def req(self, method, path, body=None, headers=None, raw=None,
            timeout=30):
        return req(self.addr(), method, path, body, headers, raw, timeout)


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = connect(self.unix_path, self.timeout)


def connect(addr, timeout=None):
    """A socket to addr: a unix socket's path, or a loopback port."""
    if isinstance(addr, int):
        return socket.create_connection(("127.0.0.1", addr), timeout)
    so = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    so.settimeout(timeout)
    so.connect(addr)
    return so


def http_conn(addr, timeout=30):
    if isinstance(addr, int):
        return http.client.HTTPConnection("127.0.0.1", addr, timeout=timeout)
    return _UnixHTTPConnection(addr, timeout)


def req(addr, method, path, body=None, headers=None, raw=None, timeout=30):
    c = http_conn(addr, timeout)
    h = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    try:
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        val = None
        if text:
            try:
                val = json.loads(text)
            except ValueError:
                val = text
        return r.status, hdrs, val
    finally:
        c.close()


failures = []


def check(cond, what):
    if cond:
        print("ok    " + what)
    else:
        print("FAIL  " + what)
        failures.append(what)


def expect(got, status, what, code=None):
    st, _, body = got
    ok = st == status
    if code is not None:
        ok = ok and isinstance(body, dict) and body.get("code") == code
    check(ok, "%s -> %d%s (got %d %s)" % (what, status,
                                         " " + code if code else "", st,
                                         json.dumps(body)[:200]
                                         if not isinstance(body, bytes)
                                         else body[:200]))
    return body


def finish():
    if failures:
        print("%d check(s) failed:" % len(failures))
        for f in failures:
            print("  " + f)
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)
