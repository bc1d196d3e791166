#!/usr/bin/env python3
# A registry impostor for the image tests: it serves one image built from
# the layer tars named on the command line (gzip'd, Docker schema2), and
# misbehaves on request, the ways a registry or a network can:
#   --mode tamper    layer 0 is served with one byte changed
#   --mode truncate  layer 0: full Content-Length, half the bytes, close
#   --mode short     layer 0: Content-Length and body both half
#   --mode error500  every layer after the first answers 500
#   --mode baddiff   the config's first diff id is wrong
#   --mode slow      the last layer trickles out over ~20 s
#   --auth USER:PASS bearer auth: /v2/ answers 401, /token hands out a token
#   --basic          with --auth: Basic auth on every request, no token
#   --claim DIFFID   the config names DIFFID as its last layer's diff id
#                    (another's layer, claimed with other bytes)
#   --realm URL      with --auth: the bearer challenge names this realm
#   --redirect URL   blobs answer 307 to URL + "/" + digest
#   --config-digest D  the manifest names config D (another's, not served)
# Prints the port when ready.  Not a test itself (not executable).
import argparse
import base64
import gzip
import hashlib
import http.server
import json
import socketserver
import sys
import time


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def build(args):
    blobs, layers, diffs = {}, [], []
    for path in args.layer:
        raw = open(path, "rb").read()
        gz = gzip.compress(raw, mtime=0)
        blobs[sha(gz)] = gz
        diffs.append(sha(raw))
        layers.append({"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                       "size": len(gz), "digest": sha(gz)})
    if args.mode == "baddiff":
        diffs[0] = sha(b"not this")
    if args.claim:
        diffs[-1] = args.claim
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "created": "2024-01-01T00:00:00Z",
                         "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
    blobs[sha(config)] = config
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                      "size": len(config), "digest": sha(config)},
                           "layers": layers}).encode()
    return blobs, [l["digest"] for l in layers], manifest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layer", action="append", default=[])
    ap.add_argument("--repo", default="evil")
    ap.add_argument("--tag", default="latest")
    ap.add_argument("--mode", default="")
    ap.add_argument("--auth", default="")
    ap.add_argument("--basic", action="store_true")
    ap.add_argument("--claim", default="")
    ap.add_argument("--realm", default="")
    ap.add_argument("--redirect", default="")
    ap.add_argument("--config-digest", default="")
    args = ap.parse_args()
    blobs, order, manifest = build(args)
    if args.config_digest:
        m = json.loads(manifest)
        m["config"] = {"mediaType": m["config"]["mediaType"],
                       "digest": args.config_digest}
        manifest = json.dumps(m).encode()
    token = "tok-" + hashlib.sha256(args.auth.encode()).hexdigest()[:16]

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send(self, code, body=b"", ctype="application/json", extra=None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def authed(self):
            if not args.auth:
                return True
            basic = "Basic " + base64.b64encode(args.auth.encode()).decode()
            if self.headers.get("Authorization") == (basic if args.basic else "Bearer " + token):
                return True
            port = self.server.server_address[1]
            challenge = ('Basic realm="fake"' if args.basic else
                         'Bearer realm="%s",service="fake",'
                         'scope="repository:%s:pull"' % (
                             args.realm or "http://127.0.0.1:%d/token" % port, args.repo))
            self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                      extra={"WWW-Authenticate": challenge})
            return False

        def do_GET(self):
            p = self.path
            if p.startswith("/token"):
                want = "Basic " + base64.b64encode(args.auth.encode()).decode()
                if self.headers.get("Authorization") != want:
                    return self.send(401, b'{"details":"bad credentials"}')
                return self.send(200, json.dumps({"token": token}).encode())
            if not self.authed():
                return
            if p == "/v2/":
                return self.send(200, b"{}")
            prefix = "/v2/%s/" % args.repo
            if not p.startswith(prefix):
                return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}')
            rest = p[len(prefix):]
            if rest in ("manifests/" + args.tag, "manifests/" + sha(manifest)):
                return self.send(200, manifest,
                                 "application/vnd.docker.distribution.manifest.v2+json",
                                 {"Docker-Content-Digest": sha(manifest)})
            if rest.startswith("manifests/"):
                return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')
            d = rest[len("blobs/"):]
            if args.redirect:
                return self.send(307, extra={"Location": args.redirect + "/" + d})
            if d not in blobs:
                return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}')
            body = blobs[d]
            idx = order.index(d) if d in order else -1
            if args.mode == "error500" and idx > 0:
                return self.send(500, b'{"errors":[{"code":"UNKNOWN","message":"internal error"}]}')
            if idx == 0 and args.mode == "tamper":
                body = body[:-1] + bytes([body[-1] ^ 1])
            if idx == 0 and args.mode == "short":
                body = body[:len(body) // 2]
            if idx == len(order) - 1 and args.mode == "slow":
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                step = max(1, len(body) // 200)
                try:
                    for i in range(0, len(body), step):
                        self.wfile.write(body[i:i + step])
                        self.wfile.flush()
                        time.sleep(0.1)
                except OSError:
                    pass
                return
            if idx == 0 and args.mode == "truncate":
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            return self.send(200, body, "application/octet-stream")

    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    srv = S(("127.0.0.1", 0), H)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
