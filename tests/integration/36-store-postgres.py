#!/usr/bin/env python3
"""sapi and dockerapi on PostgreSQL (store: postgresql://...), driven with
the real docker CLI: accounts, images, containers, networks and volumes
land in PostgreSQL tables (no SQLite file is made); PostgreSQL restarted
underneath, the daemons reconnect by themselves and serve reads and
writes, and nothing written before is lost; the daemons restarted on the
same database find everything again; an event the daemon made while
PostgreSQL was away reaches `docker events --since` though the daemon was
killed (SIGKILL) before PostgreSQL came back."""
import importlib
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["SDC_TEST_STORE"] = "postgres"
import sdctest  # noqa: E402

common = importlib.import_module("76-containers-common")


class StorePostgres(common.ContainersTest):

    def q(self, daemon, sql):
        db = sdctest.store_db(os.path.join(self.d.tmp, daemon))
        return sdctest.postgres().psql(sql, db=db).strip()

    def docker_ok(self, certs, *args):
        """A docker command, which may meet a daemon reconnecting: the
        first failure right after the restart is allowed once."""
        return self.ok(*args, certs=certs)

    def test_pg_store(self):
        d = self.d
        # Both daemons run on PostgreSQL: sapi says so, neither made a file.
        st, ping = d.sapi_http("GET", "/ping")
        self.assertEqual((st, ping["storType"]), (200, "postgresql"))
        for f in ("sapi/sapi.db", "dockerapi/dockerapi.db"):
            self.assertFalse(os.path.exists(os.path.join(d.tmp, f)), f)
        self.assertEqual(self.q("dockerapi", "SELECT login FROM accounts "
                                "ORDER BY login"), "alice\nbob")

        # State of every kind, through the docker CLI.
        self.ok("network", "create", "pgnet")
        self.ok("volume", "create", "pgvol")
        self.ok("tag", "busybox", "pgimage:kept")
        self.ok("run", "-d", "--name", "pgtop", "--network", "pgnet",
                "-v", "pgvol:/data", "-p", "80", "busybox", "sleep", "600")
        self.ok("exec", "pgtop", "sh", "-c", "echo kept > /data/f")
        self.ok("create", "--name", "pgidle", "busybox", "true", certs=self.bob)
        d.set_tunable("DC_MAINT_MESSAGE", "pg-before")
        before = {
            "ps": self.ok("ps", "-a", "--format", "{{.Names}} {{.Image}}"),
            "bobps": self.ok("ps", "-a", "--format", "{{.Names}}", certs=self.bob),
            "net": self.ok("network", "ls", "--format", "{{.Name}}"),
            "vol": self.ok("volume", "ls", "-q"),
            "img": self.ok("images", "--format", "{{.Repository}}:{{.Tag}}"),
            "port": self.ok("port", "pgtop"),
        }
        self.assertIn("pgtop", before["ps"])
        self.assertIn("pgnet", before["net"])
        self.assertEqual(self.q("dockerapi", "SELECT count(*) FROM containers"), "2")
        self.assertEqual(self.q("dockerapi", "SELECT name FROM networks WHERE "
                                "name = 'pgnet'"), "pgnet")
        self.assertEqual(self.q("dockerapi", "SELECT name FROM volumes"), "pgvol")
        self.assertIn("pg-before", self.q("sapi", "SELECT body FROM sapi_objects "
                                          "WHERE kind = 'service'"))

        # PostgreSQL restarts under the running daemons.
        t0 = time.monotonic()
        sdctest.postgres().restart()
        restart_s = time.monotonic() - t0
        # Reads and writes through both daemons, on fresh connections.
        for key, args, certs in (
                ("ps", ("ps", "-a", "--format", "{{.Names}} {{.Image}}"), self.alice),
                ("bobps", ("ps", "-a", "--format", "{{.Names}}"), self.bob),
                ("net", ("network", "ls", "--format", "{{.Name}}"), self.alice),
                ("vol", ("volume", "ls", "-q"), self.alice),
                ("img", ("images", "--format", "{{.Repository}}:{{.Tag}}"), self.alice),
                ("port", ("port", "pgtop"), self.alice)):
            got = self.ok(*args, certs=certs)
            if key == "img":
                # The CLI groups an image's tags by repository in a Go map,
                # so their order changes from one call to the next.
                got, want = sorted(got.splitlines()), sorted(before[key].splitlines())
                self.assertEqual(got, want, key)
            else:
                self.assertEqual(got, before[key], key)
        self.assertEqual(self.ok("exec", "pgtop", "cat", "/data/f").strip(), "kept")
        out = self.ok("run", "--rm", "--network", "pgnet", "-v", "pgvol:/data",
                      "busybox", "cat", "/data/f")
        self.assertEqual(out.strip(), "kept")
        self.ok("network", "create", "pgnet2")
        self.ok("volume", "create", "pgvol2")
        d.add_account("carol")
        d.set_tunable("DC_MAINT_MESSAGE", "pg-after")
        st, svc = d.sapi_http("GET", "/services?name=docker")
        self.assertEqual(svc[0]["metadata"]["DC_MAINT_MESSAGE"], "pg-after")
        self.assertEqual(self.q("dockerapi", "SELECT count(*) FROM accounts"), "3")
        self.assertIn("pgnet2", self.q("dockerapi", "SELECT name FROM networks"))

        # The daemons themselves restarted on the same database.
        d.stop_one("dockerapi")
        d.stop_one("sapi")
        d.start_sapi()
        d.start_dockerapi()
        self.assertEqual(self.ok("ps", "-a", "--format", "{{.Names}} {{.Image}}"),
                         before["ps"])
        self.assertIn("pgnet2", self.ok("network", "ls", "--format", "{{.Name}}"))
        self.assertEqual(sorted(self.ok("volume", "ls", "-q").split()),
                         ["pgvol", "pgvol2"])
        st, svc = d.sapi_http("GET", "/services?name=docker")
        self.assertEqual(svc[0]["metadata"]["DC_MAINT_MESSAGE"], "pg-after")
        self.assertEqual(self.ok("exec", "pgtop", "cat", "/data/f").strip(), "kept")
        print("postgres restart took %.2f s" % restart_s)
        self.event_kept_across_a_kill()

        # Cleanup through the API: the rows go from PostgreSQL.
        self.ok("rm", "-f", "pgtop")
        self.ok("rm", "pgidle", certs=self.bob)
        self.ok("network", "rm", "pgnet", "pgnet2")
        self.ok("volume", "rm", "pgvol", "pgvol2")
        self.assertEqual(self.q("dockerapi", "SELECT count(*) FROM containers"), "0")
        self.assertEqual(self.q("dockerapi", "SELECT count(*) FROM volumes"), "0")

    def event_kept_across_a_kill(self):
        """An exec's end while PostgreSQL is stopped (no request: those
        are refused then) waits in dockerapi's outbox; dockerapi killed,
        PostgreSQL started, dockerapi started again: the event is sent
        from DATA/events-outbox and `docker events --since` shows it."""
        d, pg = self.d, sdctest.postgres()
        sleep = "sleep %d" % (os.getpid() % 100000 + 9000)
        t = time.time()
        cid = self.ok("inspect", "-f", "{{.Id}}", "pgtop").strip()
        ex = subprocess.Popen(["docker", "exec", "pgtop", *sleep.split()],
                              env=d.docker_env(self.alice),
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)

        def pid():
            r = subprocess.run(["pgrep", "-x", "-f", sleep],
                               capture_output=True, text=True)
            return int(r.stdout.split()[0]) if r.stdout.split() else None
        try:
            sdctest.wait_for("the exec running", pid, timeout=30)
            log_from = len(d.log("dockerapi"))
            pg._pgtmp("stop")
            os.kill(pid(), signal.SIGKILL)
            sdctest.wait_for("the exec's end waiting for the store",
                             lambda: "events not sent to the other" in
                             d.log("dockerapi")[log_from:], timeout=30)
        finally:
            ex.kill()
            ex.wait()
        d.stop_one("dockerapi", signal.SIGKILL)
        pg._pgtmp("start")
        d.start_dockerapi()

        def exec_dies():
            return d.docker(self.alice, "events", "--since", "%.3f" % t,
                            "--until", "%.3f" % time.time(), "--filter",
                            "event=exec_die", "--format",
                            "{{.ID}}").stdout.split()
        sdctest.wait_for("the exec_die through --since", exec_dies,
                         timeout=30)
        self.assertEqual(exec_dies(), [cid])


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
