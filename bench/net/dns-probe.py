#!/usr/bin/python3
"""bench/net's DNS probe, run in a container's network namespace (nsenter
--net=<run>/netns/<id>) so that it asks the network's aardvark-dns as that
container, a peer of the names it asks for:

  dns-probe.py wait SERVER NAME READY
                                    until NAME answers: print the
                                    CLOCK_REALTIME ns when it first did;
                                    READY is made once the first query
                                    was asked
  dns-probe.py loop SERVER NAME IP STOPFILE
                                    ask NAME again and again until STOPFILE
                                    exists: print "asked lost wrong" (lost:
                                    no answer within 1 s, or refused)

The queries are tests/integration/45-net-dns.py's small DNS client."""
import importlib
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "integration"))
dns = importlib.import_module("45-net-dns")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "wait":
        server, name, ready = sys.argv[2:]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            r = dns.query(server, name, timeout=0.05)
            if not os.path.exists(ready):
                open(ready, "w").close()
            if r is not None and r[0] == dns.NOERROR and r[1]:
                print(time.time_ns())
                return 0
            time.sleep(0.0005)
        return 1
    if len(sys.argv) == 6 and sys.argv[1] == "loop":
        server, name, ip, stop = sys.argv[2:]
        asked = lost = wrong = 0
        while not os.path.exists(stop):
            asked += 1
            r = dns.query(server, name, timeout=1.0)
            if r is None:
                lost += 1
            elif r[1] != [ip]:
                wrong += 1
        print(asked, lost, wrong)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
