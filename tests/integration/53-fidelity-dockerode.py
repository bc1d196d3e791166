#!/usr/bin/python3
"""dockerode (npm's Docker client for Node.js) with the profile
sdc-docker-setup.sh writes (DOCKER_HOST, DOCKER_CERT_PATH,
DOCKER_TLS_VERIFY, nothing else): list, create, start, logs, exec,
stats, wait, remove, networks and volumes, as a Node program would use
them.  dockerode reads DOCKER_CLIENT_TIMEOUT as milliseconds, so the
profile must not set it: stats, wait and logs take longer than 0.3 s.

The module is installed by npm (from the registry) into a cache folder
the first time, as the suite installs what it needs."""
import importlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
common = importlib.import_module("76-containers-common")
sdctest = common.sdctest

# outside the build (make reads every .d file there) and kept between runs
NPM_DIR = os.path.join(os.environ.get("XDG_CACHE_HOME") or
                       os.path.join(os.path.expanduser("~"), ".cache"),
                       "sdc-docker-tests", "npm")

# Each step prints one JSON line, {"step": name, ...what it saw}.
SCRIPT = r"""
const Docker = require('dockerode');
const docker = new Docker();
const out = (step, v) => console.log(JSON.stringify(Object.assign({step}, v)));
const drain = (stream) => new Promise((res, rej) => {
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  stream.on('end', () => res(Buffer.concat(chunks)));
  stream.on('error', rej);
});
// the multiplexed stream of a non-TTY container, demuxed
const demux = (buf) => {
  let s = '';
  for (let i = 0; i + 8 <= buf.length;) {
    const n = buf.readUInt32BE(i + 4);
    s += buf.slice(i + 8, i + 8 + n).toString();
    i += 8 + n;
  }
  return s;
};
(async () => {
  const ver = await docker.version();
  out('version', {api: ver.ApiVersion});
  const before = await docker.listContainers({all: true});
  out('list', {n: before.length});
  const vol = await docker.createVolume({Name: 'nodevol', Labels: {by: 'node'}});
  const vols = await docker.listVolumes();
  out('volumes', {created: vol.name, names: vols.Volumes.map((v) => v.Name),
    inspected: (await docker.getVolume('nodevol').inspect()).Labels});
  const net = await docker.createNetwork({Name: 'nodenet'});
  const nets = await docker.listNetworks();
  out('networks', {names: nets.map((n) => n.Name),
    inspected: (await docker.getNetwork(net.id).inspect()).Name});
  const c = await docker.createContainer({
    Image: 'busybox', name: 'nodectr',
    Cmd: ['sh', '-c', 'echo hello from node; echo on-volume > /v/f; sleep 2; exit 3'],
    HostConfig: {Binds: ['nodevol:/v'], NetworkMode: 'nodenet'},
  });
  await c.start();
  const listed = await docker.listContainers({filters: {name: ['nodectr']}});
  out('started', {listed: listed.map((x) => x.Names[0]), state: listed[0] && listed[0].State});
  const ex = await c.exec({Cmd: ['cat', '/v/f'], AttachStdout: true, AttachStderr: true});
  const exs = await ex.start({hijack: true, stdin: false});
  const exo = demux(await drain(exs));
  const exi = await ex.inspect();
  out('exec', {output: exo, exitCode: exi.ExitCode});
  const stats = await c.stats({stream: false});
  out('stats', {memoryLimit: stats.memory_stats && stats.memory_stats.limit,
    hasCpu: !!stats.cpu_stats});
  const waited = await c.wait();
  out('wait', {code: waited.StatusCode});
  const logs = await c.logs({stdout: true, stderr: true});
  out('logs', {text: demux(logs)});
  await c.remove();
  try { await c.inspect(); out('removed', {gone: false}); }
  catch (e) { out('removed', {gone: e.statusCode === 404}); }
  await docker.getNetwork(net.id).remove();
  await docker.getVolume('nodevol').remove();
  out('cleaned', {volumes: (await docker.listVolumes()).Volumes.map((v) => v.Name),
    networks: (await docker.listNetworks()).map((n) => n.Name)});
})().catch((e) => { out('error', {message: String(e && (e.message || e)),
  status: e && e.statusCode}); process.exit(1); });
"""


def install_dockerode():
    """npm install dockerode into the cache folder, once."""
    if os.path.isdir(os.path.join(NPM_DIR, "node_modules", "dockerode")):
        return
    for t in ("node", "npm"):
        if subprocess.run(["sh", "-c", "command -v " + t], capture_output=True).returncode:
            print("missing: %s not installed (scripts/deps.sh test)" % t)
            sys.exit(1)
    os.makedirs(NPM_DIR, exist_ok=True)
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                        "--prefix", NPM_DIR, "dockerode@4"], capture_output=True,
                       text=True, timeout=600)
    if r.returncode != 0:
        print("npm install dockerode failed: " + r.stdout + r.stderr)
        sys.exit(1)


class Dockerode(common.ContainersTest):
    @classmethod
    def setUpClass(cls):
        install_dockerode()
        super().setUpClass()

    def profile(self):
        """sdc-docker-setup.sh run as a new user would run it: the profile's
        env.sh, sourced."""
        home = os.path.join(self.d.tmp, "home-node")
        os.makedirs(home, exist_ok=True)
        env = dict(os.environ, HOME=home, SDC_BIN=sdctest.BIN,
                   CURL_CA_BUNDLE=os.path.join(self.d.tmp, "dockerapi", "tls", "ca.pem"))
        r = subprocess.run([os.path.join(sdctest.TOP, "sdc-docker-setup.sh"),
                            "https://127.0.0.1:%d" % self.d.cloudapi_port, "alice",
                            self.keys["alice"]],
                           env=env, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        prof = os.path.join(home, ".sdc", "docker", "alice", "env.sh")
        with open(prof) as f:
            text = f.read()
        self.assertIn("export DOCKER_TLS_VERIFY=1", text)
        self.assertNotIn("DOCKER_CLIENT_TIMEOUT", text)
        return prof

    def test_dockerode(self):
        prof = self.profile()
        script = os.path.join(self.d.tmp, "dockerode-steps.js")
        with open(script, "w") as f:
            f.write(SCRIPT)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env["NODE_PATH"] = os.path.join(NPM_DIR, "node_modules")
        r = subprocess.run(["sh", "-c", '. "$1" && exec node "$2"', "sh", prof, script],
                           env=env, capture_output=True, text=True, timeout=120)
        steps = {}
        for line in r.stdout.splitlines():
            if line.startswith("{"):
                j = json.loads(line)
                steps[j.pop("step")] = j
        self.assertEqual(r.returncode, 0, "%s%s%s" % (r.stdout, r.stderr,
                                                       self.d.log("dockerapi")[-1500:]))
        self.assertNotIn("error", steps)
        self.assertEqual(steps["version"]["api"], "1.41")
        self.assertEqual(steps["volumes"]["created"], "nodevol")
        self.assertIn("nodevol", steps["volumes"]["names"])
        self.assertEqual(steps["volumes"]["inspected"], {"by": "node"})
        self.assertIn("nodenet", steps["networks"]["names"])
        self.assertEqual(steps["networks"]["inspected"], "nodenet")
        self.assertEqual(steps["started"]["listed"], ["/nodectr"])
        self.assertEqual(steps["started"]["state"], "running")
        self.assertEqual(steps["exec"], {"output": "on-volume\n", "exitCode": 0})
        self.assertGreater(steps["stats"]["memoryLimit"], 0)
        self.assertTrue(steps["stats"]["hasCpu"])
        self.assertEqual(steps["wait"]["code"], 3)
        self.assertEqual(steps["logs"]["text"], "hello from node\n")
        self.assertTrue(steps["removed"]["gone"])
        self.assertNotIn("nodevol", steps["cleaned"]["volumes"])
        self.assertNotIn("nodenet", steps["cleaned"]["networks"])


if __name__ == "__main__":
    common.main()
