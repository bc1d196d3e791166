#!/usr/bin/python3
"""New TLS handshakes per second against one port: N full handshakes
(no session reuse) with a client certificate, one after another, timed on
the wall clock.  Usage: handshakes.py PORT CERT KEY [N]"""
import socket
import ssl
import sys
import time

port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 500
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.load_cert_chain(cert, key)
start = time.perf_counter()
for _ in range(n):
    with socket.create_connection(("127.0.0.1", port)) as s:
        with ctx.wrap_socket(s) as t:
            t.do_handshake()
print("%.0f" % (n / (time.perf_counter() - start)))
