#!/usr/bin/python3
"""Attach and wait as Docker answers them, through the docker CLI (under a
terminal where Docker's CLI needs one) and docker-py.

attach with logs=1 to an exited container returns its output and ends
(API 1.41 and 1.24); logs=1 with stream=1 replays, then goes on live; the
detach keys (the default ctrl-p ctrl-q, --detach-keys on attach, run and
exec, invalid keys refused by name) end the client's attach and leave the
container (or exec) running, the keys never reaching it; `docker wait` on
a container that died before it answers at once with the exit code, and
the conditions next-exit, removed and not-running."""
import importlib
import os
import pty
import re
import select
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")


class Tty:
    """A docker CLI command on a pseudo-terminal of its own."""

    def __init__(self, test, *args):
        self.master, slave = pty.openpty()
        self.p = subprocess.Popen(["docker"] + list(args), stdin=slave, stdout=slave,
                                  stderr=slave, env=test.d.docker_env(test.alice),
                                  start_new_session=True)
        os.close(slave)
        self.seen = b""

    def expect(self, what, timeout=20):
        end = time.time() + timeout
        while what not in self.seen and time.time() < end:
            r, _, _ = select.select([self.master], [], [], 0.2)
            if r:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:
                    break
        assert what in self.seen, "no %r in %r" % (what, self.seen)

    def send(self, data):
        os.write(self.master, data)

    def exit_code(self, timeout=20):
        try:
            return self.p.wait(timeout=timeout)
        finally:
            os.close(self.master)


class Fidelity(common.ContainersTest):
    def client(self, version="1.41"):
        return self.d.dockerpy(self.alice, version=version, timeout=20)

    def bounded(self, fn, *args, timeout=20, **kw):
        """fn's answer, failing (not hanging) when it has none in time:
        docker-py reads an attach with no timeout of its own."""
        out = {}

        def run():
            try:
                out["r"] = fn(*args, **kw)
            except Exception as e:  # noqa: BLE001 - raised below
                out["e"] = e
        t = threading.Thread(target=run, daemon=True)
        t.start()
        t.join(timeout)
        self.assertFalse(t.is_alive(), "no answer in %ds: %s%s" % (timeout, fn, args))
        if "e" in out:
            raise out["e"]
        return out["r"]

    def exited(self, name):
        self.wait_until(name + " exited",
                        lambda: self.inspect(name)["State"]["Status"] == "exited")

    def running(self, name):
        return self.inspect(name)["State"]["Running"]

    # --- attach with logs ---

    def test_attach_logs_exited(self):
        self.ok("run", "-d", "--name", "said", "busybox", "sh", "-c",
                "echo out1; echo err1 >&2; echo out2")
        self.exited("said")
        for version in ("1.41", "1.24"):
            api = self.client(version).api
            out, err = self.bounded(api.attach, "said", logs=True, stream=False,
                                    demux=True)
            self.assertEqual(out, b"out1\nout2\n", version)
            self.assertEqual(err, b"err1\n", version)
            self.assertEqual(self.bounded(api.attach, "said", stdout=True, stderr=False,
                                          logs=True), b"out1\nout2\n")
            # no logs, no stream: nothing, at once
            self.assertEqual(self.bounded(api.attach, "said", logs=False, stream=False),
                             b"")
        # a TTY container's log has no multiplexing headers
        self.ok("run", "-t", "--name", "saidtty", "busybox", "echo", "tty out")
        self.exited("saidtty")
        self.assertEqual(self.bounded(self.client().api.attach, "saidtty", logs=True),
                         b"tty out\r\n")
        self.ok("rm", "said", "saidtty")

    def test_attach_logs_then_live(self):
        self.ok("run", "-d", "--name", "live", "busybox", "sh", "-c",
                "echo before; read x; echo after $x")
        self.wait_until("before in the log", lambda: "before" in self.ok("logs", "live"))
        self.ok("run", "-d", "--name", "live2", "-i", "busybox", "sh", "-c",
                "echo before; read x; echo after $x")
        self.wait_until("before in the log", lambda: "before" in self.ok("logs", "live2"))
        api = self.client().api
        sock = api.attach_socket("live2", params={"stdin": 1, "stdout": 1, "stream": 1,
                                                  "logs": 1})
        s = getattr(sock, "_sock", sock)
        s.settimeout(20)
        got = b""
        while b"before" not in got:
            got += s.recv(4096)
        s.sendall(b"now\n")
        while b"after now" not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        self.assertIn(b"after now", got)
        self.assertEqual(got.count(b"before"), 1, got)
        s.close()
        self.ok("rm", "-f", "live", "live2")

    # --- detach keys ---

    def attach_raw(self, name, **params):
        q = {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
        q.update(params)
        sock = self.client().api.attach_socket(name, params=q)
        s = getattr(sock, "_sock", sock)
        s.settimeout(20)
        return s

    def read_to_end(self, s):
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return got
            got += chunk

    def test_detach_keys_api(self):
        self.ok("run", "-di", "--name", "cat", "busybox", "cat")
        # the default sequence; a broken one is passed on whole
        s = self.attach_raw("cat")
        s.sendall(b"one\n\x10two\n")
        s.sendall(b"\x10\x11three\n")
        self.read_to_end(s)          # the daemon ended the attach
        s.close()
        self.assertTrue(self.running("cat"))
        self.wait_until("one in the log", lambda: "two" in self.ok("logs", "cat"))
        self.assertEqual(self.ok("logs", "cat"), "one\n\x10two\n")
        # keys of the client's own
        s = self.attach_raw("cat", detachKeys="ctrl-x,e")
        s.sendall(b"\x10\x11four\n\x18e")
        self.read_to_end(s)
        s.close()
        self.assertTrue(self.running("cat"))
        self.wait_until("four in the log", lambda: "four" in self.ok("logs", "cat"))
        self.assertEqual(self.ok("logs", "cat"), "one\n\x10two\n\x10\x11four\n")
        # invalid keys, refused by name
        r = self.fails("attach", "--detach-keys", "ctrl-1", "cat", input="", timeout=20)
        self.assertIn("400", r.stderr)
        api = self.client().api
        import docker
        with self.assertRaises(docker.errors.APIError) as e:
            api._result(api._post(api._url("/containers/{0}/attach", "cat"), params={
                "stream": 1, "stdin": 1, "detachKeys": "ctrl-1"}))
        self.assertEqual(e.exception.status_code, 400)
        self.assertIn("Invalid detach keys (ctrl-1)", str(e.exception))
        with self.assertRaises(docker.errors.APIError) as e:
            api.exec_create("cat", ["true"], detach_keys="nope")
        self.assertEqual(e.exception.status_code, 400)
        self.assertIn("Invalid detach keys (nope)", str(e.exception))
        # an exec detached by its keys runs on, and its exit is seen
        ex = api.exec_create("cat", ["sh", "-c", "read x; echo got $x >/tmp/x; exit 7"],
                             stdin=True, detach_keys="ctrl-e")
        sock = api.exec_start(ex["Id"], socket=True)
        s = getattr(sock, "_sock", sock)
        s.settimeout(20)
        s.sendall(b"\x05")
        self.read_to_end(s)
        s.close()
        self.assertTrue(api.exec_inspect(ex["Id"])["Running"])
        self.assertEqual(api.exec_inspect(ex["Id"])["DetachKeys"], "ctrl-e")
        self.ok("rm", "-f", "cat")

    def test_detach_keys_cli_tty(self):
        t = Tty(self, "run", "-it", "--name", "ttyd", "busybox", "sh")
        t.expect(b"# ")
        t.send(b"echo hel''lo\r")
        t.expect(b"hello")
        t.send(b"\x10\x11")
        self.assertEqual(t.exit_code(), 0, t.seen)
        self.assertTrue(self.running("ttyd"))
        t = Tty(self, "attach", "--detach-keys", "ctrl-a,x", "ttyd")
        t.send(b"echo ag''ain\r")
        t.expect(b"again")
        t.send(b"\x01x")
        # as Docker's CLI: `docker attach` says so and exits 1
        t.expect(b"read escape sequence")
        self.assertEqual(t.exit_code(), 1, t.seen)
        self.assertTrue(self.running("ttyd"))
        t = Tty(self, "exec", "-it", "--detach-keys", "ctrl-e", "ttyd", "sh")
        t.expect(b"# ")
        t.send(b"\x05")
        t.expect(b"read escape sequence")
        t.exit_code()
        self.assertTrue(self.running("ttyd"))
        # the exec's shell runs on beside the container's
        self.assertEqual(self.ok("top", "ttyd", "-o", "comm").split().count("sh"), 2)
        self.ok("rm", "-f", "ttyd")

    # --- wait ---

    def test_wait_after_death(self):
        self.ok("run", "-d", "--name", "died", "busybox", "sh", "-c", "exit 3")
        self.exited("died")
        t0 = time.time()
        self.assertEqual(self.ok("wait", "died").strip(), "3")
        self.assertLess(time.time() - t0, 10)
        api = self.client().api
        self.assertEqual(api.wait("died")["StatusCode"], 3)
        self.assertEqual(api.wait("died", condition="not-running")["StatusCode"], 3)
        self.ok("rm", "died")

    def waiter(self, name, condition):
        """A wait sent (the request written) before this returns; .code()
        reads its answer."""
        c = self.alice
        ctx = ssl.create_default_context(cafile=os.path.join(c, "ca.pem"))
        ctx.check_hostname = False
        ctx.load_cert_chain(os.path.join(c, "cert.pem"), os.path.join(c, "key.pem"))
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.d.docker_port)))
        s.settimeout(30)
        s.sendall(("POST /v1.41/containers/%s/wait?condition=%s HTTP/1.1\r\n"
                   "Host: docker\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                   % (name, condition)).encode())

        class Waiter:
            got = b""

            def done(self, timeout=0.3):
                """Answered (within timeout)?"""
                s.settimeout(timeout)
                try:
                    while b"StatusCode" not in self.got:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        self.got += chunk
                except (socket.timeout, ssl.SSLWantReadError):
                    pass
                finally:
                    s.settimeout(30)
                return b"StatusCode" in self.got

            def code(self):
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    self.got += chunk
                s.close()
                m = re.search(rb'"StatusCode":\s*(\d+)', self.got)
                assert m, self.got
                return int(m.group(1))
        return Waiter()

    def test_wait_conditions(self):
        api = self.client().api
        # next-exit on a created container: its first exit
        self.ok("create", "--name", "nx", "busybox", "sh", "-c", "exit 4")
        w = self.waiter("nx", "next-exit")
        self.ok("start", "nx")
        self.assertEqual(w.code(), 4)
        # next-exit on an exited container waits for the next run
        w = self.waiter("nx", "next-exit")
        self.assertFalse(w.done())
        api.start("nx")
        self.assertEqual(w.code(), 4)
        # removed: answered at the removal, not at the exit
        self.ok("run", "-d", "--name", "rmd", "busybox", "sleep", "60")
        w = self.waiter("rmd", "removed")
        self.ok("kill", "rmd")
        self.exited("rmd")
        self.assertFalse(w.done())
        self.ok("rm", "rmd")
        self.assertEqual(w.code(), 137)
        # not-running on a running one: at its exit; a bad condition: 400
        self.ok("run", "-d", "--name", "nr", "busybox", "sleep", "60")
        w = self.waiter("nr", "not-running")
        self.assertFalse(w.done())
        self.ok("kill", "nr")
        self.assertEqual(w.code(), 137)
        import docker
        with self.assertRaises(docker.errors.APIError) as e:
            api.wait("nr", condition="sometime")
        self.assertEqual(e.exception.status_code, 400)
        self.assertEqual(self.ok("rm", "nx", "nr").split(), ["nx", "nr"])

if __name__ == "__main__":
    common.main()
