#!/usr/bin/env python3
"""A small CloudAPI stand-in for testing sdc-docker-setup.sh.

It is a test peer, not product code: it answers the four requests the
setup script makes, over HTTPS, and really checks the HTTP Signature
(with the `cryptography` module) so a script that signs wrongly fails
here as it would against dockerapi.

  GET /--ping              no auth
  GET /:login, /my         signed
  GET /:login/services     signed: {"docker": "tcp://127.0.0.1:DPORT"}, or
                           the content of KEYS/LOGIN/services.json
  GET /ca.pem              on the second ("docker") listener, no auth

Accounts are the folders of KEYS; each *.pub in one is a key of that
account.  Both ports are written to --port-file as "CLOUDAPI DOCKER" once
listening.  Every request is logged to stderr.
"""

import argparse
import base64
import email.utils
import hashlib
import json
import os
import re
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

ARGS = None
DOCKER_PORT = 0
CURVES = {"secp256r1": "sha256", "secp384r1": "sha384", "secp521r1": "sha512"}
HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class AuthError(Exception):
    pass


def account_keys(login):
    """{md5 fingerprint: public key} of an account, None if unknown."""
    folder = os.path.join(ARGS.keys, login)
    if not os.path.isdir(folder) or login.startswith("."):
        return None
    keys = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".pub"):
            continue
        with open(os.path.join(folder, name), "rb") as f:
            line = f.read().strip()
        blob = base64.b64decode(line.split()[1])
        md5 = hashlib.md5(blob).hexdigest()
        fp = ":".join(md5[i:i + 2] for i in range(0, 32, 2))
        keys[fp] = serialization.load_ssh_public_key(line)
    return keys


def check_signature(login, headers):
    date = headers.get("Date")
    auth = headers.get("Authorization")
    if not date or not auth:
        raise AuthError("Date and Authorization headers are required")
    when = email.utils.parsedate_to_datetime(date).timestamp()
    if abs(time.time() - when) > 300:
        raise AuthError("Date header is more than 5 minutes off")
    if not auth.startswith("Signature "):
        raise AuthError("Authorization is not an HTTP Signature")
    params = dict(re.findall(r'(\w+)="([^"]*)"', auth[len("Signature "):]))
    if params.get("headers", "date").lower() != "date":
        raise AuthError("only the date header may be signed")
    m = re.fullmatch(r"/([^/]+)/keys/([0-9a-f:]+)", params.get("keyId", ""))
    if not m:
        raise AuthError("bad keyId %r" % params.get("keyId"))
    if login != "my" and m.group(1) != login:
        raise AuthError("keyId names %s, the path %s" % (m.group(1), login))
    keys = account_keys(m.group(1))
    if keys is None:
        raise AuthError("account %s does not exist" % m.group(1))
    key = keys.get(m.group(2))
    if key is None:
        raise AuthError("key %s is not a key of %s" % (m.group(2), m.group(1)))
    alg = params.get("algorithm", "")
    sig = base64.b64decode(params.get("signature", ""))
    data = ("date: " + date).encode()
    try:
        if isinstance(key, rsa.RSAPublicKey) and alg == "rsa-sha256":
            key.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey) and \
                alg == "ecdsa-" + CURVES.get(key.curve.name, "?"):
            key.verify(sig, data, ec.ECDSA(HASHES[alg[6:]]()))
        elif isinstance(key, ed25519.Ed25519PublicKey) and alg == "ed25519":
            key.verify(sig, data)
        else:
            raise AuthError("algorithm %s does not fit the key" % alg)
    except InvalidSignature:
        raise AuthError("signature does not verify") from None
    return m.group(1)


class CloudAPI(BaseHTTPRequestHandler):
    def reply(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        if parts == ["--ping"]:
            return self.reply(200, {"ping": "pong", "cloudapi": {"versions": ["9.0.0"]}})
        if not 1 <= len(parts) <= 2 or (len(parts) == 2 and parts[1] != "services"):
            return self.reply(404, {"code": "ResourceNotFound", "message": self.path})
        try:
            login = check_signature(parts[0], self.headers)
        except AuthError as e:
            return self.reply(401, {"code": "InvalidCredentials", "message": str(e)})
        if len(parts) == 1:
            return self.reply(200, {"login": login, "id": "0" * 8})
        override = os.path.join(ARGS.keys, login, "services.json")
        if os.path.exists(override):
            with open(override, "rb") as f:
                return self.reply(200, f.read())
        return self.reply(200, {"docker": "tcp://127.0.0.1:%d" % DOCKER_PORT})

    def log_message(self, fmt, *args):
        sys.stderr.write("cloudapi: %s\n" % (fmt % args))


class Docker(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/ca.pem":
            self.send_error(404)
            return
        with open(ARGS.ca, "rb") as f:
            data = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-pem-file")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("docker: %s\n" % (fmt % args))


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def main():
    global ARGS, DOCKER_PORT
    p = argparse.ArgumentParser()
    for name in ("cert", "key", "ca", "keys", "port-file"):
        p.add_argument("--" + name, required=True)
    ARGS = p.parse_args()
    DOCKER_PORT = serve(Docker)
    cport = serve(CloudAPI)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (cport, DOCKER_PORT))
    os.rename(tmp, ARGS.port_file)
    threading.Event().wait()


if __name__ == "__main__":
    main()
