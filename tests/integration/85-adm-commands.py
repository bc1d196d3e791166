#!/usr/bin/python3
"""sdcadm-docker against the real daemons: every account, key, config and
maint subcommand, their refusals and exit codes, the shell's completion of
logins, and the TUI under tmux (shows an account, opens its inspect view,
edits DEFAULT_MAX_LOG_SIZE through SAPI, quits leaving a sane terminal)."""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdctest  # noqa: E402

ADM = os.path.join(sdctest.BIN, "sdcadm-docker")


class Adm(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = sdctest.Daemons().start()
        cls.env = dict(os.environ, DOCKERAPI_ADMIN=cls.d.admin_socket,
                       SAPI_URL=cls.d.sapi_url, COLUMNS="120")
        cls.key = sdctest.keygen(os.path.join(cls.d.tmp, "k1"), "ed25519")
        cls.key2 = sdctest.keygen(os.path.join(cls.d.tmp, "k2"), "rsa", 2048)

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def adm(self, *args, rc=0):
        r = subprocess.run([ADM] + list(args), env=self.env, capture_output=True,
                           text=True, timeout=60)
        if rc is not None:
            self.assertEqual(r.returncode, rc, "%s\n%s%s" % (args, r.stdout, r.stderr))
        return r

    def admj(self, *args):
        return json.loads(self.adm("--json", *args).stdout)

    # --- accounts and keys ---

    def test_account_lifecycle(self):
        out = self.adm("account", "create", "alice", "--approved", "--email",
                       "a@example.com", "--key", self.key + ".pub").stdout
        self.assertIn("alice", out)
        acct = self.admj("account", "get", "alice")
        self.assertTrue(acct["approved_for_provisioning"])
        self.assertEqual(acct["email"], "a@example.com")
        self.assertIn("alice", [a["login"] for a in self.admj("account", "list")])
        self.adm("account", "update", "alice", "--disable", "--allowed-dcs", "dc1,dc2")
        acct = self.admj("account", "get", acct["uuid"])
        self.assertTrue(acct["disabled"])
        self.assertEqual(acct["allowed_dcs"], ["dc1", "dc2"])
        self.adm("account", "update", "alice", "--enable")
        self.assertFalse(self.admj("account", "get", "alice")["disabled"])
        self.adm("account", "delete", "alice")
        r = self.adm("account", "get", "alice", rc=1)
        self.assertIn("no such account", r.stderr)

    def test_account_refusals(self):
        self.adm("account", "create", "dupe")
        r = self.adm("account", "create", "dupe", rc=1)
        self.assertIn("already exists", r.stderr)
        r = self.adm("account", "create", "1bad", rc=1)
        self.assertIn("invalid login", r.stderr)
        r = self.adm("account", "get", "nosuch", rc=1)
        self.assertIn("no such account: nosuch", r.stderr)
        r = self.adm("account", "update", "dupe", rc=2)
        self.assertIn("nothing to change", r.stderr)
        self.adm("account", "create", rc=2)
        self.adm("account", "create", "x1x", "--bogus", rc=2)

    def test_keys(self):
        self.adm("account", "create", "keyed")
        self.adm("key", "add", "keyed", self.key + ".pub", "--name", "laptop")
        self.adm("key", "add", "keyed", self.key2 + ".pub")
        keys = self.admj("key", "list", "keyed")
        self.assertEqual(len(keys), 2)
        md5 = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", self.key + ".pub"],
                             capture_output=True, text=True).stdout.split()[1]
        sha = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", self.key2 + ".pub"],
                             capture_output=True, text=True).stdout.split()[1]
        self.assertIn(md5[4:], [k["fingerprint"] for k in keys])
        self.assertIn(sha[7:], [k["sha256"] for k in keys])
        table = self.adm("key", "list", "keyed").stdout
        self.assertIn("laptop", table)
        # Refusals: duplicate, malformed, unknown account, unknown key.
        r = self.adm("key", "add", "keyed", self.key + ".pub", rc=1)
        self.assertIn("already has a key", r.stderr)
        bad = os.path.join(self.d.tmp, "bad.pub")
        with open(bad, "w") as f:
            f.write("ssh-rsa bm90IGEga2V5 broken\n")
        r = self.adm("key", "add", "keyed", bad, rc=1)
        self.assertTrue(r.stderr.strip())
        self.adm("key", "add", "nosuch", self.key + ".pub", rc=1)
        self.adm("key", "remove", "keyed", "MD5:00:11", rc=1)
        # Remove by name and by fingerprint as ssh-keygen prints it.
        self.adm("key", "remove", "keyed", "laptop")
        self.adm("key", "remove", "keyed", sha)
        self.assertEqual(self.admj("key", "list", "keyed"), [])

    def test_delete_refused_with_containers_needs_force(self):
        # Without containers a plain delete works; the refusal itself is
        # covered with real containers in the container tests.
        self.adm("account", "create", "gone1")
        self.adm("account", "delete", "gone1")

    # --- certificates ---

    def test_cert(self):
        out = os.path.join(self.d.tmp, "certout")
        self.adm("cert", "client", "jill", "--key", self.key2, "--out", out)
        self.assertEqual(oct(os.stat(os.path.join(out, "key.pem")).st_mode & 0o777), "0o600")
        shown = self.admj("cert", "show", os.path.join(out, "cert.pem"))
        md5 = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", self.key2 + ".pub"],
                             capture_output=True, text=True).stdout.split()[1][4:]
        self.assertEqual(shown["key_md5"], md5)
        self.assertEqual(shown["subject_cn"], "jill")
        self.assertTrue(shown["self_signed"])
        issued = os.path.join(self.d.tmp, "issued")
        self.adm("cert", "client", "jill", "--key", self.key2, "--out", issued,
                 "--issued", "--days", "2")
        shown = self.admj("cert", "show", os.path.join(issued, "cert.pem"))
        self.assertEqual(shown["issuer_cn"], md5)
        srv = os.path.join(self.d.tmp, "srv")
        self.adm("cert", "server", "--cn", "docker.test", "--san",
                 "IP:127.0.0.1,DNS:docker.test", "--out", srv)
        text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in",
                               os.path.join(srv, "server-cert.pem")],
                              capture_output=True, text=True).stdout
        self.assertIn("DNS:docker.test", text)
        self.assertIn("IP Address:127.0.0.1", text)
        self.adm("cert", "client", "jill", "--key", "/nonexistent", "--out", out, rc=1)
        self.adm("cert", "client", "jill", "--out", out, rc=2)
        self.adm("cert", "client", "jill", "--key", self.key2, "--out", out, "--days", "0", rc=2)
        self.adm("cert", "show", self.key2 + ".pub", rc=1)

    # --- config ---

    def test_config(self):
        rows = self.admj("config", "show")
        by_key = {r["key"]: r for r in rows}
        self.assertEqual(by_key["DEFAULT_MAX_LOG_SIZE"]["from"], "service")
        self.assertEqual(by_key["datacenter_name"]["from"], "application")
        self.assertEqual(self.adm("config", "get", "datacenter_name").stdout.strip(), "coal")
        self.adm("config", "set", "datacenter_name=west-1", "DEFAULT_MEMORY=2048")
        self.assertEqual(self.adm("config", "get", "datacenter_name").stdout.strip(), "west-1")
        self.assertEqual(self.adm("config", "get", "DEFAULT_MEMORY").stdout.strip(), "2048")
        # The daemon sees it live.
        status, cfg = self.d.admin("GET", "/config")
        sdctest.wait_for("dockerapi sees west-1", lambda: self.d.admin(
            "GET", "/config")[1]["config"]["datacenter_name"] == "west-1", 3)
        # A stale If-Match is refused and changes nothing.
        version = {r["key"]: r for r in self.admj("config", "show")}["DEFAULT_MEMORY"]["version"]
        r = self.adm("config", "set", "--if-match", str(version - 1), "DEFAULT_MEMORY=4096", rc=1)
        self.assertIn("stale", r.stderr)
        self.assertEqual(self.adm("config", "get", "DEFAULT_MEMORY").stdout.strip(), "2048")
        self.adm("config", "set", "--if-match", str(version), "DEFAULT_MEMORY=1024")
        # Schema: a wrong type is refused by SAPI.
        r = self.adm("config", "set", "DEFAULT_MEMORY=lots", rc=1)
        self.assertIn("DEFAULT_MEMORY", r.stderr)
        # Unset, and an unset key.
        self.adm("config", "set", "MY_NOTE=hello")
        self.adm("config", "unset", "MY_NOTE")
        self.adm("config", "get", "MY_NOTE", rc=1)
        self.adm("config", "unset", "MY_NOTE", rc=1)
        self.adm("config", "set", "nonsense", rc=2)
        self.adm("config", "set", "datacenter_name=coal")

    def test_packages(self):
        names = [p["name"] for p in self.admj("config", "packages", "list")]
        self.assertEqual(names[0], "t4-standard-128M")
        self.assertEqual(len(names), 10)
        self.adm("config", "packages", "add", "t4-standard-3G", "--memory", "3072",
                 "--vcpus", "1.5", "--disk", "76800")
        names = [p["name"] for p in self.admj("config", "packages", "list")]
        self.assertEqual(names.index("t4-standard-3G"), names.index("t4-standard-2G") + 1)
        self.adm("config", "packages", "add", "t4-standard-3G", "--memory", "1",
                 "--vcpus", "1", "--disk", "1", rc=1)
        self.adm("config", "packages", "add", "p", "--memory", "-5", "--vcpus", "1",
                 "--disk", "1", rc=2)
        self.adm("config", "packages", "remove", "t4-standard-3G")
        self.adm("config", "packages", "remove", "t4-standard-3G", rc=1)
        self.assertEqual(len(self.admj("config", "packages", "list")), 10)

    def test_maint(self):
        self.adm("maint", "on", "--message", "Back soon", "--eta", "2099-01-01T00:00:00Z")
        self.assertEqual(self.adm("config", "get", "DOCKER_READONLY").stdout.strip(), "true")
        self.assertEqual(self.adm("config", "get", "DC_MAINT_MESSAGE").stdout.strip(), "Back soon")
        self.adm("maint", "off")
        self.assertEqual(self.adm("config", "get", "DOCKER_READONLY").stdout.strip(), "false")

    def test_unreachable(self):
        env = dict(self.env, DOCKERAPI_ADMIN="/nonexistent.sock", SAPI_URL="http://127.0.0.1:1")
        r = subprocess.run([ADM, "account", "list"], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent.sock", r.stderr)
        r = subprocess.run([ADM, "config", "show"], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)

    def test_help(self):
        for cmd in (["account", "create"], ["key", "add"], ["config", "set"], ["maint", "on"],
                    ["container", "list"], ["tui"]):
            r = self.adm(*cmd, "--help")
            self.assertIn("usage: sdcadm-docker " + " ".join(cmd), r.stdout + r.stderr)

    # --- the shell and the TUI, under tmux ---

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.sock] + list(args), capture_output=True,
                              text=True, timeout=20)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "t").stdout

    def wait_screen(self, text, timeout=8):
        sdctest.wait_for(repr(text) + " on screen:\n" + self.screen(),
                         lambda: text in self.screen(), timeout)

    def start_tmux(self, *cmd):
        self.sock = "sdcadm-test-%d" % os.getpid()
        envs = []
        for k in ("DOCKERAPI_ADMIN", "SAPI_URL"):
            envs += ["-e", "%s=%s" % (k, self.env[k])]
        self.tmux("kill-server")
        r = self.tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", *envs,
                      " ".join(cmd))
        self.assertEqual(r.returncode, 0, r.stderr)

    def tearDown(self):
        if getattr(self, "sock", None):
            self.tmux("kill-server")
            self.sock = None

    def test_shell_completes_and_runs(self):
        self.adm("account", "create", "shelly")
        home = os.path.join(self.d.tmp, "home")
        os.makedirs(home, exist_ok=True)
        self.start_tmux("env", "HOME=" + home, "XDG_STATE_HOME=", ADM)
        self.wait_screen("sdcadm-docker>")
        self.tmux("send-keys", "-t", "t", "acc", "Tab")
        self.wait_screen("sdcadm-docker> account")
        self.tmux("send-keys", "-t", "t", " li", "Tab", "Enter")
        self.wait_screen("shelly")
        # Completion of a login, then Ctrl-C cancels the line.
        self.tmux("send-keys", "-t", "t", "account get shel", "Tab")
        self.wait_screen("account get shelly")
        self.tmux("send-keys", "-t", "t", "C-c")
        time.sleep(0.3)
        self.tmux("send-keys", "-t", "t", "exit", "Enter")
        sdctest.wait_for("shell exit", lambda: self.tmux("has-session", "-t", "t").returncode != 0, 5)

    def test_tui(self):
        self.adm("account", "create", "tuiuser", "--email", "t@example.com")
        self.start_tmux(ADM, "tui")
        self.wait_screen("tuiuser")
        self.assertIn("1:Accounts", self.screen())
        # Filter to the account, open its inspect view, back.
        self.tmux("send-keys", "-t", "t", "/", "tuiuser", "Enter")
        self.wait_screen("1 of")
        self.tmux("send-keys", "-t", "t", "Enter")
        self.wait_screen('"email": "t@example.com"')
        self.tmux("send-keys", "-t", "t", "q")
        self.wait_screen("1:Accounts")
        # Tunables pane: edit DEFAULT_MAX_LOG_SIZE.
        self.tmux("send-keys", "-t", "t", "3")
        self.wait_screen("DEFAULT_MAX_LOG_SIZE")
        self.tmux("send-keys", "-t", "t", "/", "DEFAULT_MAX_LOG", "Enter")
        self.wait_screen("1 of")
        self.tmux("send-keys", "-t", "t", "e")
        self.wait_screen("DEFAULT_MAX_LOG_SIZE = ")
        for _ in range(12):
            self.tmux("send-keys", "-t", "t", "BSpace")
        self.tmux("send-keys", "-t", "t", "7777777", "Enter")
        self.wait_screen("saved")
        self.assertEqual(self.adm("config", "get", "DEFAULT_MAX_LOG_SIZE").stdout.strip(),
                         "7777777")
        # Log usage pane: asked of the head (no agents here: its own
        # folder), not read from /zones on this machine.
        self.tmux("send-keys", "-t", "t", "4")
        self.wait_screen("NODE  CONTAINER")
        self.assertNotIn("cannot open", self.screen())
        # Keys, resize, quit: the terminal is given back (no alternate screen left).
        self.tmux("send-keys", "-t", "t", "?")
        self.wait_screen("Keys")
        self.tmux("send-keys", "-t", "t", "q")
        self.tmux("resize-window", "-t", "t", "-x", "80", "-y", "24")
        self.wait_screen("1:Accounts")
        self.tmux("send-keys", "-t", "t", "q")
        sdctest.wait_for("tui exit", lambda: self.tmux("has-session", "-t", "t").returncode != 0, 5)
        self.adm("config", "set", "DEFAULT_MAX_LOG_SIZE=50000000")


if __name__ == "__main__":
    unittest.main(verbosity=2)
