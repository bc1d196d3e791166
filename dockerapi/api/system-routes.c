/*
 * system-routes.c: the system routes — /_ping, /version, /info — and
 * /ca.pem.
 *
 * /info is where Triton's divergence shows on purpose: the storage driver
 * is "sdc" and the driver status names the calling account, because the
 * whole data center is one host and what a user sees of it is their own.
 * NCPU and MemTotal are the data center's: the CPUs and memory of its
 * available compute nodes added up (nodes.c), and SystemStatus counts the
 * nodes, as Triton's and Swarm's info did; before any node agent has
 * registered, they are this machine's own figures.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "dockerapi.h"
#include "jsonutil.h"
#include "log.h"
#include "machine.h"
#include "nodes.h"
#include "timeutil.h"
#include "xalloc.h"

static void
set_ping_headers(struct http_request *req)
{
	http_set_header(req, "Api-Version", API_VERSION_STR(41));
	http_set_header(req, "OSType", "linux");
	http_set_header(req, "Docker-Experimental", "false");
	/* the classic builder (POST /build): the CLI then uses it, not BuildKit */
	http_set_header(req, "Builder-Version", "1");
	http_set_header(req, "Cache-Control", "no-cache, no-store, must-revalidate");
	http_set_header(req, "Pragma", "no-cache");
}

static int
system_ping(struct http_request *req, void *arg)
{
	set_ping_headers(req);
	http_reply(req, 200, "text/plain; charset=utf-8", "OK", 2);
	return HTTP_DONE;
}

static int
system_ca(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;

	if (d->ca_pem == NULL)
		return api_error(req, 404, "this endpoint does not use TLS");
	http_reply(req, 200, "application/x-pem-file", d->ca_pem, strlen(d->ca_pem));
	return HTTP_DONE;
}

static const char *
kernel_version(void)
{
	static struct utsname u;

	if (u.release[0] == '\0' && uname(&u) != 0)
		return "unknown";
	return u.release;
}

static const char *
go_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#else
	return "unknown";
#endif
}

static int
system_version(struct http_request *req, void *arg)
{
	json_t *v;

	v = json_pack("{s:{s:s}, s:[{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}], "
	    "s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "Platform", "Name", "Triton Elastic Container Service",
	    "Components", "Name", "Engine", "Version", SDC_VERSION, "Details",
	    "ApiVersion", API_VERSION_STR(41), "MinAPIVersion", API_VERSION_STR(20),
	    "Os", "linux", "Arch", go_arch(), "KernelVersion", kernel_version(),
	    "Version", SDC_VERSION,
	    "ApiVersion", API_VERSION_STR(41),
	    "MinAPIVersion", API_VERSION_STR(20),
	    "GitCommit", "sdc-docker",
	    "GoVersion", "n/a (C)",
	    "Os", "linux",
	    "Arch", go_arch(),
	    "KernelVersion", kernel_version(),
	    "BuildTime", __DATE__ " " __TIME__);
	return api_json(req, 200, v);
}

static json_t *
info_plugins(const struct dockerapi *d)
{
	json_t *log = json_array();
	const char *drivers = tunable_str(d, "ENABLED_LOG_DRIVERS", "json-file");
	char *copy = xstrdup(drivers), *save = NULL;

	for (char *t = strtok_r(copy, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save))
		json_array_append_new(log, json_string(t));
	free(copy);
	return json_pack("{s:[s], s:[s], s:o, s:[]}", "Volume", "local",
	    "Network", "bridge", "Log", log, "Authorization");
}

/* The data center's compute nodes: totals over the available ones. */
static void
info_nodes(struct dockerapi *d, json_t *v)
{
	struct nodes_totals t;
	char n[24], avail[24];

	nodes_totals(d, &t);
	if (t.nodes == 0)
		return;
	json_object_set_new(v, "NCPU", json_integer(t.cpus));
	json_object_set_new(v, "MemTotal", json_integer(t.memory));
	snprintf(n, sizeof n, "%d", t.nodes);
	snprintf(avail, sizeof avail, "%d", t.available);
	json_object_set_new(v, "SystemStatus", json_pack("[[s,s],[s,s]]",
	    "Nodes", n, "Nodes available", avail));
}

static int
system_info(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct account *a = api_account(req);
	struct usage_counts c = { 0 };
	struct machine_size m = { 0 };
	sdc_error_t err = NULL;
	char now[TIME_RFC3339_LEN];
	json_t *v;

	time_rfc3339(now, sizeof now, time_now_ns(), 9);
	usage_counts(d, a, &c);
	if (machine_size_read(&m, &err) < 0)
		sdc_error_release(&err);	/* no figure: 0, as an empty data center */
	v = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:[[s,s]], s:o,"
	    " s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:s, s:s,"
	    " s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:[], s:b, s:s,"
	    " s:{s:{s:s}}, s:s, s:b, s:s, s:{s:s}, s:[]}",
	    "ID", a->uuid,
	    "Containers", c.containers,
	    "ContainersRunning", c.running,
	    "ContainersPaused", c.paused,
	    "ContainersStopped", c.stopped,
	    "Images", c.images,
	    "Driver", "sdc",
	    "DriverStatus", "SDCAccount", a->login,
	    "Plugins", info_plugins(d),
	    "MemoryLimit", 1, "SwapLimit", 0, "KernelMemory", 0,
	    "CpuCfsPeriod", 1, "CpuCfsQuota", 1, "CPUShares", 1, "CPUSet", 0,
	    "PidsLimit", 1, "IPv4Forwarding", 1, "Debug", 0,
	    "SystemTime", now,
	    "LoggingDriver", "json-file",
	    "CgroupDriver", "cgroupfs",
	    "KernelVersion", kernel_version(),
	    "OperatingSystem", "SmartDataCenter",
	    "OSType", "linux",
	    "Architecture", "x86_64",
	    "NCPU", m.cpus,
	    "MemTotal", (json_int_t)m.memory,
	    "Name", tunable_str(d, "datacenter_name", ""),
	    "ServerVersion", SDC_VERSION,
	    "Labels",
	    "ExperimentalBuild", 0,
	    "DefaultRuntime", oci_runtime_name(d),
	    "Runtimes", oci_runtime_name(d), "path", oci_runtime_name(d),
	    "ExecutionDriver", "sdc-" SDC_VERSION,
	    "LiveRestoreEnabled", 1,
	    "IndexServerAddress", "https://index.docker.io/v1/",
	    "Swarm", "LocalNodeState", "inactive",
	    "Warnings");
	if (v == NULL)
		return api_error(req, 500, "building the info answer failed");
	info_nodes(d, v);
	return api_json(req, 200, v);
}

const struct api_endpoint system_routes[] = {
	{ { "GET", "/_ping", system_ping, API_NO_AUTH, NULL }, 0 },
	{ { "HEAD", "/_ping", system_ping, API_NO_AUTH, NULL }, 0 },
	{ { "GET", "/ca.pem", system_ca, API_NO_AUTH, NULL }, 0 },
	{ { "GET", "/version", system_version, 0, NULL }, 0 },
	{ { "GET", "/info", system_info, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
