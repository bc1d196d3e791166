#!/usr/bin/env python3
"""Swarm's affinity rules as Triton took them, through the docker CLI and
docker-py, on the one node a machine is: `-e affinity:container==web`
(by name, id, short id, glob and /regex/), `!=`, the soft `==~`/`!=~`/`~=`,
the `com.docker.swarm.affinities` label, label affinities (`role==db`).
A rule no node can meet is refused with Triton's "No compute resources
available" and nothing is made; a hard == naming no container is refused
("no active containers found"), never taken for a missing image; a
malformed rule is a 400 naming it; the affinity entries are not the
container's environment, and the label keeps them.  Affinity sees the
account's own containers only: another tenant's names are as unknown as
names nobody has."""
import importlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdctest  # noqa: E402

common = importlib.import_module("76-containers-common")
LABEL = "com.docker.swarm.affinities"


class Affinity(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.d
        for args in (("alice", "web"), ("alice", "db"), ("bob", "secretdb")):
            certs = cls.alice if args[0] == "alice" else cls.bob
            r = d.docker(certs, "create", "--name", args[1], "--label",
                         "role=" + args[1], "-m", "128m", "busybox", "true")
            assert r.returncode == 0, r.stderr + d.log("dockerapi")[-2000:]

    def create(self, *args, certs=None):
        return self.ok("create", "-m", "128m", *args, "busybox", "true",
                       certs=certs).strip()

    def refused(self, *args, certs=None):
        """A create that fails, leaving the account's containers as they
        were; its stderr."""
        before = self.ok("ps", "-aq", "--no-trunc", certs=certs)
        r = self.fails("run", "-m", "128m", *args, "busybox", "true",
                       certs=certs)
        self.assertEqual(self.ok("ps", "-aq", "--no-trunc", certs=certs), before)
        self.assertNotIn("Unable to find image", r.stderr)
        return r.stderr

    def test_with_by_name_id_glob_regex(self):
        web = self.inspect("web")["Id"]
        for rule in ("container==web", "container==" + web,
                     "container==" + web[:12], "container==we*",
                     "container==/^w.b$/"):
            cid = self.create("-e", "affinity:" + rule, "-e", "KEEP=1")
            j = self.inspect(cid)
            env = j["Config"]["Env"]
            self.assertIn("KEEP=1", env)
            self.assertFalse([e for e in env if e.startswith("affinity:")], env)
            self.assertEqual(json.loads(j["Config"]["Labels"][LABEL]), [rule])
            self.ok("rm", cid)

    def test_without_refused_when_met_here(self):
        err = self.refused("-e", "affinity:container!=db")
        self.assertIn("No compute resources available", err)
        self.assertIn("container!=db", err)
        err = self.refused("--label", LABEL + '=["container!=db"]')
        self.assertIn("No compute resources available", err)
        # nobody of that name: met
        self.ok("rm", self.create("-e", "affinity:container!=nosuch"))

    def test_with_nothing_refused(self):
        err = self.refused("-e", "affinity:container==nosuch")
        self.assertIn('no active containers found matching "nosuch" for '
                      'affinity "container==nosuch"', err)
        err = self.refused("-e", "affinity:role==nosuch")
        self.assertIn("no active containers found", err)

    def test_soft_is_a_preference(self):
        for rule in ("container==~nosuch", "container!=~db", "container~=nosuch",
                     "role!=~/^d/"):
            cid = self.create("-e", "affinity:" + rule)
            self.assertEqual(json.loads(self.inspect(cid)["Config"]["Labels"]
                                        [LABEL]), [rule])
            self.ok("rm", cid)

    def test_label_affinity(self):
        self.ok("rm", self.create("-e", "affinity:role==web"))
        self.ok("rm", self.create("-e", "affinity:role==/^(web|db)$/"))
        err = self.refused("-e", "affinity:role!=db*")
        self.assertIn("No compute resources available", err)
        # env and label together: all of them in the label
        cid = self.create("--label", LABEL + '=["role==db"]', "-e",
                          "affinity:container==web")
        self.assertEqual(json.loads(self.inspect(cid)["Config"]["Labels"][LABEL]),
                         ["role==db", "container==web"])
        self.ok("rm", cid)

    def test_malformed_named(self):
        for args, named in (
                (("-e", "affinity:container=web"), "container=web"),
                (("-e", "affinity:container==web;true"), "container==web;true"),
                (("-e", "affinity:container==/(/"), "container==/(/"),
                (("-e", "affinity:image==busybox"), "image==busybox"),
                (("--label", LABEL + "=container==web"), LABEL),
                (("--label", LABEL + '=[1]'), LABEL)):
            err = self.refused(*args)
            self.assertIn(named, err)
            self.assertIn("invalid affinit", err)

    def test_other_tenant_invisible(self):
        # bob's secretdb is no container of alice's: == finds nothing,
        # != is met; the error is word for word the one for a name
        # nobody has
        err = self.refused("-e", "affinity:container==secretdb")
        self.assertIn('no active containers found matching "secretdb"', err)
        sid = self.inspect("secretdb", certs=self.bob)["Id"]
        err = self.refused("-e", "affinity:container==" + sid[:12])
        self.assertIn("no active containers found", err)
        err = self.refused("-e", "affinity:role==secretdb")
        self.assertIn("no active containers found", err)
        self.ok("rm", self.create("-e", "affinity:container!=secretdb"))
        # and bob's own rule sees his
        err = self.refused("-e", "affinity:container!=secretdb", certs=self.bob)
        self.assertIn("No compute resources available", err)

    def test_policy_tunable(self):
        d = self.d
        d.set_tunable("PLACEMENT_POLICY", "pack")
        try:
            sdctest.wait_for("PLACEMENT_POLICY", lambda: d.admin(
                "GET", "/config")[1]["config"].get("PLACEMENT_POLICY") == "pack")
            self.ok("rm", self.create("-e", "affinity:container==web"))
            # SAPI's schema takes spread or pack only
            r = d.sapiadm("update", d.docker_service_uuid(),
                          'metadata.PLACEMENT_POLICY="random"', check=False)
            self.assertNotEqual(r.returncode, 0)
        finally:
            d.set_tunable("PLACEMENT_POLICY", "spread")

    def test_dockerpy(self):
        import docker
        client = self.d.dockerpy(self.alice)
        try:
            before = len(client.containers.list(all=True))
            with self.assertRaises(docker.errors.APIError) as cm:
                client.containers.create("busybox", "true", mem_limit="128m",
                                         environment=["affinity:container!=db"])
            self.assertEqual(cm.exception.status_code, 409)
            self.assertIn("No compute resources available", str(cm.exception))
            with self.assertRaises(docker.errors.APIError) as cm:
                client.containers.create("busybox", "true", mem_limit="128m",
                                         labels={LABEL: "not json"})
            self.assertEqual(cm.exception.status_code, 400)
            self.assertEqual(len(client.containers.list(all=True)), before)
            c = client.containers.create("busybox", "true", mem_limit="128m",
                                         labels={LABEL: '["container==web"]'},
                                         environment={"A": "1"})
            c.reload()
            self.assertEqual(c.attrs["Config"]["Labels"][LABEL],
                             '["container==web"]')
            self.assertIn("A=1", c.attrs["Config"]["Env"])
            c.remove()
        finally:
            client.close()


if __name__ == "__main__":
    common.main()
