#!/usr/bin/python3
"""busybox-archive.py ROOTFS OUT.tar: a one-layer docker-archive (what
`docker save` writes: manifest.json, the image config, the layer tar) of
a root filesystem folder, tagged busybox:latest, for `docker load` into
both daemons of the benchmark.  No network needed."""
import hashlib
import io
import json
import sys
import tarfile
import time


def main():
    rootfs, out = sys.argv[1], sys.argv[2]
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
        t.add(rootfs, arcname=".")
    layer = layer.getvalue()
    diff = hashlib.sha256(layer).hexdigest()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": now,
        "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:"
                                          "/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff]},
        "history": [{"created": now, "created_by": "busybox-archive.py"}],
    }).encode()
    cid = hashlib.sha256(config).hexdigest()
    manifest = json.dumps([{"Config": cid + ".json", "RepoTags": ["busybox:latest"],
                            "Layers": [diff + "/layer.tar"]}]).encode()
    with tarfile.open(out, "w") as t:
        for name, data in ((diff + "/layer.tar", layer), (cid + ".json", config),
                           ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(time.time())
            t.addfile(info, io.BytesIO(data))


main()
