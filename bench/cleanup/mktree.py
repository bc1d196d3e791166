#!/usr/bin/env python3
"""Builds a zones tree for the log cleanup tests and benchmark.

    mktree.py DIR COUNT AGES [--size BYTES] [--seed N]

makes COUNT container directories DIR/<uuid>/logs/, each with a live
stdio.log and one rotated stdio.log.<ISO-8601 time> per entry of AGES, a
comma-separated list of ages in hours (fractions allowed).  A rotated file's
mtime is now minus its age, and its name carries that same time, with
milliseconds on every other file (both forms occur in the wild).  The uuids
come from a seeded generator, so two trees built with the same arguments
have the same names.
"""
import argparse
import os
import random
import time
import uuid


def stamp(t, frac):
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    return base + (".%03dZ" % (int(t * 1000) % 1000) if frac else "Z")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("count", type=int)
    ap.add_argument("ages")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=8)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    ages = [float(x) for x in a.ages.split(",") if x != ""]
    now = time.time()
    body = b"x" * a.size
    os.makedirs(a.dir, exist_ok=True)
    for _ in range(a.count):
        logs = os.path.join(a.dir, str(uuid.UUID(int=rng.getrandbits(128), version=4)), "logs")
        os.makedirs(logs)
        with open(os.path.join(logs, "stdio.log"), "wb") as f:
            f.write(body)
        for i, age in enumerate(ages):
            t = now - age * 3600
            path = os.path.join(logs, "stdio.log." + stamp(t, i % 2 == 0))
            with open(path, "wb") as f:
                f.write(body)
            os.utime(path, (t, t))


if __name__ == "__main__":
    main()
