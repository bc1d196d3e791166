#!/usr/bin/env python3
# 31-sapi-api.py: every route of the config service over HTTP, with each
# status code, the three update actions on nested values (the merge is
# shallow), the merge order application -> service -> instance, ETag/304,
# If-Match/412, schema refusal, the bootstrap objects, and the long poll
# (answered within 100 ms of a change; timing out cleanly).
import importlib.util
import os
import threading
import time

_spec = importlib.util.spec_from_file_location("sapicommon", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "30-sapi-common.py"))
T = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(T)
check, expect = T.check, T.expect

s = T.Sapi()
R = s.req

# --- ping, mode ---
b = expect(R("GET", "/ping"), 200, "GET /ping")
check(b == {"mode": "full", "storType": "postgresql" if
            T.sdctest.test_store_postgres() else "sqlite",
            "storAvailable": True}, "ping body")
check(expect(R("GET", "/mode"), 200, "GET /mode") == "full", "mode is full")
expect(R("POST", "/mode?mode=full"), 204, "POST /mode?mode=full")
expect(R("POST", "/mode", {"mode": "full"}), 204, "POST /mode {mode: full}")
expect(R("POST", "/mode?mode=proto"), 409, "POST /mode proto",
       "InvalidArgument")
expect(R("POST", "/mode"), 409, "POST /mode without mode", "MissingParameter")
expect(R("DELETE", "/mode"), 405, "DELETE /mode")
expect(R("GET", "/nothing/here"), 404, "unknown route", "ResourceNotFound")

# --- the bootstrap ---
apps = expect(R("GET", "/applications?name=sdc"), 200, "GET /applications?name=sdc")
check(len(apps) == 1 and apps[0]["metadata"]["datacenter_name"] == "coal",
      "bootstrap application sdc")
sdc = apps[0]
svcs = expect(R("GET", "/services?name=docker"), 200, "GET /services?name=docker")
check(len(svcs) == 1 and svcs[0]["application_uuid"] == sdc["uuid"],
      "bootstrap service docker under sdc")
md = svcs[0]["metadata"]
check(md.get("DEFAULT_MAX_LOG_SIZE") == 50000000 and
      md.get("DEFAULT_MEMORY") == 1024 and
      md.get("ENABLED_LOG_DRIVERS") == "json-file" and
      md.get("USE_TLS") is True and md.get("DOCKER_READONLY") is False,
      "docker tunables and their defaults")
pk = md.get("PACKAGES", [])
check(len(pk) == 10 and pk[0]["name"] == "t4-standard-128M" and
      pk[0]["memory"] == 128 and pk[0]["vcpus"] == 0.0625 and
      pk[0]["disk"] == 3072 and pk[-1]["name"] == "t4-standard-64G" and
      pk[-1]["memory"] == 65536 and pk[-1]["vcpus"] == 32 and
      pk[-1]["disk"] == 1600 * 1024, "PACKAGES: the t4-standard table")
check(md.get("RESERVED_LABELS", {}).get("triton.cns.disable") == "boolean" and
      md["RESERVED_LABELS"].get("com.joyent.package") == "string" and
      md.get("RESERVED_LABEL_NAMESPACES") == ["triton.", "com.joyent."],
      "reserved label namespaces and labels")
insts = expect(R("GET", "/instances?name=dockerapi0"), 200,
               "GET /instances?name=dockerapi0")
check(len(insts) == 1 and insts[0]["service_uuid"] == svcs[0]["uuid"],
      "bootstrap instance dockerapi0")

# --- lists are [] and filters work ---
check(expect(R("GET", "/applications?name=nope"), 200, "empty list") == [],
      "a list that matches nothing is []")
check(expect(R("GET", "/instances?service_uuid=" + sdc["uuid"]), 200,
             "filter by a uuid that is not a service") == [], "[] again")
check(expect(R("GET", "/manifests"), 200, "GET /manifests") == [],
      "no manifests yet")

# --- create: an application, a service, an instance ---
expect(R("POST", "/applications", {}), 409, "POST app without name",
       "MissingParameter")
st, _, b = R("POST", "/services", {"type": "vm"})
check(st == 409 and b["code"] == "MissingParameter" and "name" in b["message"]
      and "application_uuid" in b["message"],
      "MissingParameter names every missing key: " + str(b))
expect(R("POST", "/applications", {"name": 5}), 409, "name of wrong type",
       "InvalidArgument")
expect(R("POST", "/applications", {"name": "x", "metadata": [1]}), 409,
       "metadata of wrong type", "InvalidArgument")
expect(R("POST", "/applications", {"name": "x", "uuid": "not-a-uuid"}), 409,
       "bad uuid", "InvalidArgument")
app = expect(R("POST", "/applications", {
    "name": "t", "owner_uuid": "930896af-bf8c-48d4-885c-6573a94b1853",
    "params": {"p": 1},
    "metadata": {"A": "app", "B": "app", "C": "app", "N": {"x": 1, "y": 2}}}),
    200, "POST /applications")
check(app["version"] == 1, "a new object is version 1")
expect(R("POST", "/applications", {"name": "dup", "uuid": app["uuid"]}), 409,
       "POST an existing uuid", "ObjectAlreadyExists")
expect(R("POST", "/services", {"name": "s", "application_uuid":
                               "930896af-bf8c-48d4-885c-6573a94b1853"}),
       404, "service under an unknown application", "ResourceNotFound")
expect(R("POST", "/services", {"name": "s", "application_uuid": app["uuid"],
                               "type": "zone"}), 409, "bad type",
       "InvalidArgument")
svc = expect(R("POST", "/services", {
    "name": "s", "application_uuid": app["uuid"], "type": "agent",
    "metadata": {"B": "svc", "C": "svc"}}), 200, "POST /services")
inst = expect(R("POST", "/instances", {
    "service_uuid": svc["uuid"], "metadata": {"C": "inst"}}), 200,
    "POST /instances")
check(inst["type"] == "agent", "instance type defaults to its service's")
check(inst["name"].startswith("s-"), "instance name defaults: " + inst["name"])
fixed = "11111111-2222-4333-8444-555555555555"
inst2 = expect(R("POST", "/instances", {"uuid": fixed, "name": "i2",
                                        "service_uuid": svc["uuid"],
                                        "type": "vm"}), 200,
               "POST /instances with a given uuid")
check(inst2["uuid"] == fixed, "the given uuid is kept")

# --- get, and the ETag of objects ---
st, h, b = R("GET", "/applications/" + app["uuid"])
check(st == 200 and b["name"] == "t" and h.get("etag") == '"1"',
      "GET /applications/:uuid with ETag \"1\"")
for kind, obj in (("services", svc), ("instances", inst)):
    expect(R("GET", "/%s/%s" % (kind, obj["uuid"])), 200, "GET /%s/:uuid" % kind)
    expect(R("GET", "/%s/%s" % (kind, app["uuid"] if kind != "applications"
                                else svc["uuid"])), 404,
           "GET /%s/ of another kind's uuid" % kind, "ResourceNotFound")
for kind in ("applications", "services", "instances", "manifests"):
    expect(R("GET", "/%s/930896af-bf8c-48d4-885c-6573a94b1853" % kind), 404,
           "GET unknown %s" % kind, "ResourceNotFound")
    expect(R("PUT", "/%s/930896af-bf8c-48d4-885c-6573a94b1853" % kind,
             {"metadata": {}}), 404 if kind != "manifests" else 405,
           "PUT unknown %s" % kind)
    expect(R("DELETE", "/%s/930896af-bf8c-48d4-885c-6573a94b1853" % kind),
           404, "DELETE unknown %s" % kind, "ResourceNotFound")
check(len(expect(R("GET", "/services?application_uuid=" + app["uuid"]), 200,
                 "filter services by application_uuid")) == 1, "one service")
check(len(expect(R("GET", "/instances?service_uuid=%s&type=vm" % svc["uuid"]),
                 200, "filter instances by service and type")) == 1,
      "one vm instance")
check(len(expect(R("GET", "/applications?owner_uuid=930896af-bf8c-48d4-885c-"
                   "6573a94b1853"), 200, "filter by owner_uuid")) == 1,
      "one application of that owner")

# --- the merge order: application -> service -> instance ---
st, h, cfg = R("GET", "/configs/" + inst["uuid"])
check(st == 200 and cfg["metadata"]["A"] == "app" and
      cfg["metadata"]["B"] == "svc" and cfg["metadata"]["C"] == "inst" and
      cfg["manifests"] == [], "merged config: later levels win")
etag = h.get("etag")
check(etag is not None and etag.startswith('"'), "config has an ETag")
expect(R("GET", "/configs/" + app["uuid"]), 404, "config of a non-instance",
       "ResourceNotFound")

# --- ETag / If-None-Match / 304 ---
st, h, _ = R("GET", "/configs/" + inst["uuid"], headers={"If-None-Match": etag})
check(st == 304 and h.get("etag") == etag, "If-None-Match -> 304")
st, _, _ = R("GET", "/configs/" + inst["uuid"],
             headers={"If-None-Match": '"other", ' + etag})
check(st == 304, "If-None-Match list -> 304")
st, _, _ = R("GET", "/configs/" + inst["uuid"], headers={"If-None-Match": '"x"'})
check(st == 200, "stale If-None-Match -> 200")
# a write elsewhere leaves this config's ETag alone
expect(R("PUT", "/instances/" + fixed, {"metadata": {"Z": 1}}), 200,
       "PUT another instance")
st, h, _ = R("GET", "/configs/" + inst["uuid"])
check(h.get("etag") == etag, "an unrelated write keeps the ETag")

# --- the three actions, on nested values (shallow) ---
u = "/applications/" + app["uuid"]
b = expect(R("PUT", u, {"metadata": {"N": {"z": 3}, "D": [1, 2]}}), 200,
           "PUT action update (default)")
check(b["metadata"]["N"] == {"z": 3} and b["metadata"]["D"] == [1, 2] and
      b["metadata"]["A"] == "app" and b["version"] == 2,
      "update sets keys; a nested object is replaced whole, not merged")
b = expect(R("PUT", u, {"action": "update", "params": {"q": True}}), 200,
           "PUT update params")
check(b["params"] == {"p": 1, "q": True}, "params updated")
b = expect(R("PUT", u, {"action": "delete", "metadata": {"D": None, "nope": 1}}),
           200, "PUT action delete (object form)")
check("D" not in b["metadata"] and "N" in b["metadata"], "delete removes keys")
b = expect(R("PUT", u, {"action": "delete", "metadata": ["N"]}), 200,
           "PUT action delete (array form)")
check("N" not in b["metadata"], "delete by list of names")
b = expect(R("PUT", u, {"action": "replace", "metadata": {"A": "app2",
                                                          "B": "app2"}}),
           200, "PUT action replace")
check(b["metadata"] == {"A": "app2", "B": "app2"}, "replace swaps the map")
expect(R("PUT", u, {"action": "merge"}), 409, "unknown action", "InvalidArgument")
expect(R("PUT", u, {"metadata": "x"}), 409, "metadata not an object",
       "InvalidArgument")
expect(R("PUT", u, {"action": "delete", "metadata": 5}), 409,
       "delete with a number", "InvalidArgument")
b = expect(R("PUT", u, {"name": "t2"}), 200, "rename")
check(b["name"] == "t2", "renamed")
cfg = R("GET", "/configs/" + inst["uuid"])[2]
check(cfg["metadata"] == {"A": "app2", "B": "svc", "C": "inst"},
      "config follows the application's change")

# --- If-Match / 412 ---
cur = R("GET", u)
v = cur[2]["version"]
expect(R("PUT", u, {"metadata": {"E": 1}}, {"If-Match": '"%d"' % (v - 1)}),
       412, "PUT with a stale If-Match", "PreconditionFailed")
expect(R("PUT", u, {"metadata": {"E": 1}}, {"If-Match": cur[1]["etag"]}), 200,
       "PUT with the current ETag")
expect(R("PUT", u, {"metadata": {"E": 2}}, {"If-Match": str(v + 1)}), 200,
       "PUT with the bare version number")
expect(R("PUT", u, {"metadata": {"E": 3}}, {"If-Match": "*"}), 200,
       "PUT with If-Match *")
expect(R("DELETE", "/instances/" + fixed, headers={"If-Match": '"1"'}), 412,
       "DELETE with a stale If-Match", "PreconditionFailed")

# --- schema ---
expect(R("PUT", u, {"metadata_schema": {"type": "object", "multipleOf": 1}}), 409,
       "an unsupported schema keyword", "InvalidArgument")
expect(R("PUT", u, {"metadata_schema": {
    "type": "object", "required": ["A"],
    "properties": {"E": {"type": "integer"},
                   "MODE": {"enum": ["a", "b"]},
                   "L": {"type": "array", "items": {"type": "string"}}}}}),
    200, "PUT a metadata_schema")
st, _, b = R("PUT", u, {"metadata": {"E": "three"}})
check(st == 409 and b["code"] == "SchemaValidationError" and "E" in b["message"],
      "schema refuses a wrong type on the application: %s" % b)
st, _, b = R("PUT", "/instances/" + inst["uuid"], {"metadata": {"MODE": "c"}})
check(st == 409 and b["code"] == "SchemaValidationError" and
      "MODE" in b["message"], "schema refuses a bad enum on an instance: %s" % b)
expect(R("PUT", "/services/" + svc["uuid"], {"metadata": {"L": ["x", 1]}}),
       409, "schema refuses a bad array item", "SchemaValidationError")
expect(R("PUT", u, {"action": "delete", "metadata": ["A"]}), 409,
       "schema refuses removing a required key", "SchemaValidationError")
expect(R("POST", "/instances", {"service_uuid": svc["uuid"],
                                "metadata": {"E": False}}), 409,
       "schema refuses a new instance", "SchemaValidationError")
expect(R("PUT", "/instances/" + inst["uuid"], {"metadata": {"MODE": "b"}}),
       200, "a valid write under the schema")
expect(R("PUT", u, {"metadata_schema": {"type": "object", "properties": {
    "MODE": {"enum": ["a"]}}}}), 409,
    "a new schema that an instance already breaks", "SchemaValidationError")
check(R("GET", u)[2]["metadata"].get("E") == 3, "refused writes changed nothing")
expect(R("PUT", u, {"action": "delete", "metadata_schema": True}), 200,
       "drop the schema")

# --- the bootstrap's schema guards the tunables ---
expect(R("PUT", "/services/" + svcs[0]["uuid"],
         {"metadata": {"USE_TLS": "yes"}}), 409,
       "USE_TLS must be boolean", "SchemaValidationError")
st, _, b = R("PUT", "/services/" + svcs[0]["uuid"],
             {"metadata": {"DEFAULT_MAX_LOG_SIZE": -1}})
check(st == 409 and b["code"] == "SchemaValidationError" and
      "DEFAULT_MAX_LOG_SIZE must be at least 0" in b["message"],
      "a negative DEFAULT_MAX_LOG_SIZE is refused: %s" % b)

# --- manifests ---
expect(R("POST", "/manifests", {"name": "m"}), 409, "manifest without path",
       "MissingParameter")
man = expect(R("POST", "/manifests", {"name": "m", "path": "/etc/x.json",
                                      "template": "{{A}}"}), 200,
             "POST /manifests")
expect(R("GET", "/manifests/" + man["uuid"]), 200, "GET /manifests/:uuid")
check(len(expect(R("GET", "/manifests?name=m"), 200, "list manifests")) == 1,
      "one manifest")
expect(R("PUT", "/manifests/" + man["uuid"], {}), 405, "manifests have no PUT")
expect(R("PUT", "/services/" + svc["uuid"], {"manifests": {"m": "nope"}}), 409,
       "manifests map to uuids", "InvalidArgument")
expect(R("PUT", "/services/" + svc["uuid"], {"manifests": {"m": man["uuid"]}}),
       200, "attach the manifest to the service")
cfg = R("GET", "/configs/" + inst["uuid"])[2]
check(len(cfg["manifests"]) == 1 and cfg["manifests"][0]["path"] == "/etc/x.json",
      "the config resolves manifests")

# --- the long poll ---
st, h, _ = R("GET", "/configs/" + inst["uuid"])
etag = h["etag"]
t0 = time.time()
st, h2, _ = R("GET", "/configs/%s?wait=0.5" % inst["uuid"],
              headers={"If-None-Match": etag})
dt = time.time() - t0
check(st == 304 and h2.get("etag") == etag and 0.45 <= dt < 2,
      "a long poll with no change times out with 304 (%.3f s)" % dt)
expect(R("GET", "/configs/%s?wait=abc" % inst["uuid"],
         headers={"If-None-Match": etag}), 409, "wait not a number",
       "InvalidArgument")
st, _, _ = R("GET", "/configs/%s?wait=5" % inst["uuid"])
check(st == 200, "wait without If-None-Match answers at once")

result = {}


def poll():
    result["r"] = R("GET", "/configs/%s?wait=20" % inst["uuid"],
                    headers={"If-None-Match": etag})
    result["t"] = time.time()


th = threading.Thread(target=poll)
th.start()
time.sleep(0.3)
expect(R("PUT", "/instances/" + fixed, {"metadata": {"Y": 1}}), 200,
       "an unrelated write while polling")
time.sleep(0.2)
check(th.is_alive(), "an unrelated write does not wake the poll")
t_put = time.time()
expect(R("PUT", "/applications/" + app["uuid"], {"metadata": {"F": "new"}}),
       200, "change the application while polling")
t_done = time.time()
th.join(10)
st, h3, cfg = result["r"]
lat = (result["t"] - t_done) * 1000
check(st == 200 and cfg["metadata"]["F"] == "new" and h3["etag"] != etag,
      "the long poll answers with the new config")
check(result["t"] - t_put < 0.1,
      "answered within 100 ms of the change (%.1f ms after the PUT returned)"
      % lat)

# a poll whose instance is deleted answers 404
st, h, _ = R("GET", "/configs/" + fixed)
res2 = {}
th = threading.Thread(target=lambda: res2.update(r=R(
    "GET", "/configs/%s?wait=20" % fixed, headers={"If-None-Match": h["etag"]})))
th.start()
time.sleep(0.2)
expect(R("DELETE", "/instances/" + fixed), 204, "DELETE /instances/:uuid")
th.join(10)
check(res2.get("r", (0,))[0] == 404, "a poll on a deleted instance gets 404")

# a poll whose client goes away does not hurt the daemon
so = s.connect()
so.sendall(("GET /configs/%s?wait=30 HTTP/1.1\r\nHost: x\r\n"
            "If-None-Match: %s\r\n\r\n" % (inst["uuid"], h3["etag"])).encode())
time.sleep(0.2)
so.close()
time.sleep(0.1)
expect(R("PUT", "/applications/" + app["uuid"], {"metadata": {"F": "newer"}}),
       200, "a write after a poller left")

# --- delete ---
st, _, b = R("DELETE", "/applications/" + app["uuid"])
check(st == 409 and b["code"] == "InUse" and "services" in b["message"],
      "deleting an application with services -> 409 InUse: %s" % b)
expect(R("DELETE", "/services/" + svc["uuid"]), 409,
       "deleting a service with instances", "InUse")
expect(R("DELETE", "/instances/" + inst["uuid"]), 204, "delete the instance")
expect(R("DELETE", "/services/" + svc["uuid"]), 204, "delete the service")
expect(R("DELETE", "/applications/" + app["uuid"],
         headers={"If-Match": "*"}), 204, "delete the application")
expect(R("GET", "/applications/" + app["uuid"]), 404, "gone", "ResourceNotFound")
expect(R("DELETE", "/manifests/" + man["uuid"]), 204, "DELETE /manifests/:uuid")

# --- SIGTERM: a held poll is answered, the daemon exits 0 ---
etag = R("GET", "/configs/" + insts[0]["uuid"])[1]["etag"]
res3 = {}
th = threading.Thread(target=lambda: res3.update(r=R(
    "GET", "/configs/%s?wait=60" % insts[0]["uuid"],
    headers={"If-None-Match": etag})))
th.start()
time.sleep(0.2)
t0 = time.time()
rc = s.stop()
th.join(10)
check(rc == 0, "SIGTERM -> exit 0 (%s)" % rc)
check(res3.get("r", (0,))[0] == 304 and time.time() - t0 < 5,
      "SIGTERM answers held polls with 304")

# --- restart keeps everything and does not bootstrap again ---
s.start()
check(len(s.req("GET", "/applications?name=sdc")[2]) == 1,
      "a restart does not load the bootstrap again")
s.stop(kill=True)
T.finish()
