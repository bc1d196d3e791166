/*
 * dns.c: names on container networks, answered by Debian's aardvark-dns
 * (podman's resolver), one process per network.
 *
 * Why aardvark-dns: it already answers by the asking container's address
 * (each container sees only the names of the networks it is on), forwards
 * every other name to the host's resolvers from /etc/resolv.conf, answers
 * PTR from the same tables, and reloads on SIGHUP; a resolver of our own
 * would be a DNS server to keep.
 *
 * Why one process per network: aardvark-dns 1.4 (Debian 12's) ends every
 * listener it has on a SIGHUP, parses every table of its dir again and
 * binds them all anew (src/server/serve.rs, core_serve_loop; 1.11 keeps
 * its sockets).  Run as netavark runs it, one process for the node, each
 * name change on one network left every network of the node without a
 * server for a while (some 3 ms a network: 120 ms with 40), and a query
 * then is refused: a tenant starting containers made another tenant's
 * lookups fail.  With a process per network, that network's own server
 * alone reloads, and it parses one table.  A query on the same network in
 * the gap of its own reload (the socket closed, the new one not yet bound)
 * is still refused: 1.4 gives no way to keep it (it binds by itself, with
 * no SO_REUSEPORT), so each set waits until the new socket is bound before
 * it returns (the network's next table waits for it: dns-queue.c), and a
 * container's names are set before its process starts.
 *
 * On disk, under <run>/dns:
 *   net/<network id>/    that network's aardvark-dns --config dir: its table
 *                        (a file named by the id) and aardvark.pid;
 *   new/                 where a table is written before it is renamed into
 *                        its dir: aardvark-dns reads every file of its dir on
 *                        a reload and exits on one it cannot parse, so it
 *                        must never see a temp file;
 * A start holds a lock on the network's dir (flock), as netavark holds
 * its aardvark.lock, but one per network: a start stuck in its spawn
 * holds no other network's.
 * A table (aardvark-dns 1.4, src/config/mod.rs) is the gateway on the
 * first line, then "<id> <ipv4s> <ipv6s> <names>" per container.
 *
 * A process: started with `--config DIR -p 53 run`, which forks the server,
 * writes its pid file and returns; the server then binds UDP 53 on the
 * gateway.  A start waits until it catches SIGHUP (/proc/<pid>/status
 * SigCgt: before that a SIGHUP would kill it) and the socket is bound
 * (/proc/net/udp); a reload, until another socket is bound in the old
 * one's place.  The pid file is trusted only when /proc/<pid>/cmdline is
 * aardvark-dns with that very dir, so after a daemon restart the running
 * ones are found again, and after a kill -9 (or a reused pid) the next
 * call starts a new one.
 *
 * Life: a network's server starts with the first table that names a
 * container (its first running container) and is stopped by
 * net_dns_ensure once the table has named none for NET_DNS_IDLE_MS (its
 * last container stopped): a `docker run --rm` after another on an empty
 * network then finds it running (a start and a stop cost some 20 ms
 * each), while the processes stay bounded by the networks that have, or
 * just had, a running container.  net_dns_remove stops it with the
 * network; net_dns_sweep, at daemon start, ends every aardvark-dns of
 * this run dir that no wanted network's pid file names (a kill -9 of the
 * daemon, the one-process layout before) and every server whose table
 * names no one.
 *
 * Where it runs: a set is a table write, a pid file and a cmdline read, a
 * kill(2) and the wait for the socket, a few ms when all is well, but up
 * to 2 s (a reload) or 5 s (a start) when aardvark-dns is slow or stuck
 * (stopped, swapped out, a host under load).  So the daemons do not call
 * net_dns_set, net_dns_remove and net_dns_ensure on their loop: they
 * format the table there (net_dns_format, from the store) and queue it
 * (dns-queue.c), which applies each network's tables in the order they
 * were computed on a thread of its own (net_dns_apply), a start's
 * thread waits for its networks' tables before its process runs, and a
 * request that changed names (rm, rename, connect, disconnect) is
 * answered once they are applied (names-reply.c).  Only
 * net_dns_sweep, at a daemon's start before it serves, runs on its loop.
 * Everything here is thread-safe: no state but the files and /proc, and
 * two threads never work on one network's dir at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "strvec.h"
#include "timeutil.h"
#include "xalloc.h"
#include "dockerapi/net/dns.h"

extern char **environ;

#define DNS_PID_FILE "aardvark.pid"
#define DNS_START_MS 5000	/* aardvark-dns run returns once set up */
#define DNS_STOP_MS 2000
#define DNS_LISTEN_MS 2000	/* a start or reload until its socket is bound */

/* Where Debian, then upstream, install it; else PATH. */
static const char *const dns_default_binaries[] = {
	"/usr/lib/podman/aardvark-dns",
	"/usr/libexec/podman/aardvark-dns",
};

struct dns_paths {
	char *base;		/* <run>/dns */
	char *nets;		/* <run>/dns/net: a config dir per network */
	char *stage;		/* <run>/dns/new */
	char *conf;		/* <nets>/<id>, after dns_paths_net */
	char *table;		/* <conf>/<id> */
	char *pidfile;		/* <conf>/aardvark.pid */
	const char *binary;
};

static void
dns_paths_init(struct dns_paths *p, const struct net_config *cfg)
{
	size_t i;

	memset(p, 0, sizeof *p);
	xasprintf(&p->base, "%s/dns", cfg->run_dir);
	xasprintf(&p->nets, "%s/net", p->base);
	xasprintf(&p->stage, "%s/new", p->base);
	p->binary = cfg->dns_binary;
	for (i = 0; p->binary == NULL && i < sizeof dns_default_binaries /
	    sizeof dns_default_binaries[0]; i++)
		if (access(dns_default_binaries[i], X_OK) == 0)
			p->binary = dns_default_binaries[i];
	if (p->binary == NULL)
		p->binary = "aardvark-dns";
}

/* Point p at one network's dir (the id checked by the caller). */
static void
dns_paths_net(struct dns_paths *p, const char *id)
{
	free(p->conf);
	free(p->table);
	free(p->pidfile);
	xasprintf(&p->conf, "%s/%s", p->nets, id);
	xasprintf(&p->table, "%s/%s", p->conf, id);
	xasprintf(&p->pidfile, "%s/" DNS_PID_FILE, p->conf);
}

static void
dns_paths_free(struct dns_paths *p)
{
	free(p->base);
	free(p->nets);
	free(p->stage);
	free(p->conf);
	free(p->table);
	free(p->pidfile);
}

static void
dns_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- the table ---- */

bool
net_dns_id_ok(const char *id)
{
	size_t n = 0;

	if (id == NULL || *id == '\0' || *id == '.')
		return false;
	for (; id[n] != '\0'; n++)
		if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'z') ||
		    (id[n] >= 'A' && id[n] <= 'Z') || id[n] == '-' || id[n] == '_'))
			return false;
	return n <= 64 && strcmp(id, DNS_PID_FILE) != 0;
}

bool
net_dns_name_ok(const char *name)
{
	size_t n;

	if (name == NULL || *name == '\0' || *name == '.' || *name == '-')
		return false;
	for (n = 0; name[n] != '\0'; n++) {
		char c = name[n];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.'))
			return false;
		if (c == '.' && (name[n + 1] == '.' || name[n + 1] == '\0'))
			return false;
	}
	return n <= 253;
}

void
net_dns_name_add(const char **names, size_t *k, const char *name)
{
	if (name != NULL && net_dns_name_ok(name))
		names[(*k)++] = name;
}

int
net_dns_format(const struct net_bridge *b, const struct net_dns_entry *entries,
    size_t n, struct buf *out, sdc_error_t *err)
{
	char ip[INET_ADDRSTRLEN];
	size_t i, j;

	if (!net_dns_id_ok(b->id))
		return sdc_make_error_code(err, 400, "network id \"%s\" cannot name "
		    "a name table", b->id != NULL ? b->id : "");
	if (b->gateway.s_addr == htonl(INADDR_ANY))
		return sdc_make_error_code(err, 400, "network %.12s has no gateway "
		    "for its name server", b->id);
	inet_ntop(AF_INET, &b->gateway, ip, sizeof ip);
	buf_printf(out, "%s\n", ip);
	for (i = 0; i < n; i++) {
		const struct net_dns_entry *e = &entries[i];

		if (!net_dns_id_ok(e->container_id))
			return sdc_make_error_code(err, 400, "container id \"%s\" "
			    "cannot be in a name table", e->container_id != NULL ?
			    e->container_id : "");
		if (e->ip.s_addr == htonl(INADDR_ANY))
			return sdc_make_error_code(err, 400, "container %.12s has "
			    "no address on network %.12s", e->container_id, b->id);
		if (e->names == NULL || e->names[0] == NULL)
			return sdc_make_error_code(err, 400, "container %.12s has "
			    "no name on network %.12s", e->container_id, b->id);
		inet_ntop(AF_INET, &e->ip, ip, sizeof ip);
		/* No IPv6 address: its column stays empty. */
		buf_printf(out, "%s %s  ", e->container_id, ip);
		for (j = 0; e->names[j] != NULL; j++) {
			if (!net_dns_name_ok(e->names[j]))
				return sdc_make_error_code(err, 400, "\"%s\" (container "
				    "%.12s) cannot be a DNS name: only letters, "
				    "digits, '-', '_' and '.', at most 253",
				    e->names[j], e->container_id);
			buf_printf(out, "%s%s", j > 0 ? "," : "", e->names[j]);
		}
		/* aardvark-dns's fifth column: where this container's other
		 * names are forwarded */
		for (j = 0; j < e->nservers; j++) {
			inet_ntop(AF_INET, &e->servers[j], ip, sizeof ip);
			buf_printf(out, "%s%s", j > 0 ? "," : " ", ip);
		}
		buf_putc(out, '\n');
	}
	return 0;
}

/* ---- the process ---- */

static const char *
dns_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* The --config dir of an `aardvark-dns ... run` command line (len bytes,
 * NUL-separated) whose argv[0] is binary's base name, or NULL. */
static const char *
dns_cmdline_config(const char *cmdline, size_t len, const char *binary)
{
	const char *argv[32], *end = cmdline + len, *config = NULL;
	bool run = false;
	int argc = 0, i;

	while (cmdline < end && argc < 32) {
		const char *nul = memchr(cmdline, '\0', (size_t)(end - cmdline));

		if (nul == NULL)
			return NULL;
		argv[argc++] = cmdline;
		cmdline = nul + 1;
	}
	if (argc < 2 || strcmp(dns_basename(argv[0]), dns_basename(binary)) != 0)
		return NULL;
	for (i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) &&
		    i + 1 < argc)
			config = argv[i + 1];
		if (strcmp(argv[i], "run") == 0)
			run = true;
	}
	return run ? config : NULL;
}

bool
net_dns_cmdline_ours(const char *cmdline, size_t len, const char *binary,
    const char *conf)
{
	const char *config = dns_cmdline_config(cmdline, len, binary);

	return config != NULL && strcmp(config, conf) == 0;
}

/* Read a small file into buf (NUL-terminated); its length or -1. */
static ssize_t
dns_read_small(const char *path, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)got < size - 1 &&
	    ((n = read(fd, buf + got, size - 1 - (size_t)got)) > 0 ||
	    (n < 0 && errno == EINTR)))
		if (n > 0)
			got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

static bool
dns_pid_ours(const struct dns_paths *p, pid_t pid)
{
	char path[64], cmd[4096];
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	n = dns_read_small(path, cmd, sizeof cmd);
	/* A zombie's cmdline is empty: gone, for us. */
	return n > 0 && net_dns_cmdline_ours(cmd, (size_t)n, p->binary, p->conf);
}

/* The running aardvark-dns of the network's dir, or 0. */
static pid_t
dns_running(const struct dns_paths *p)
{
	char buf[32], *end;
	long pid;

	if (dns_read_small(p->pidfile, buf, sizeof buf) <= 0)
		return 0;
	pid = strtol(buf, &end, 10);
	if (end == buf || pid <= 1 || pid > 0x7fffffffL)
		return 0;
	return dns_pid_ours(p, (pid_t)pid) ? (pid_t)pid : 0;
}

/* Whether pid catches SIGHUP yet (aardvark installs it after the pid file). */
static bool
dns_catches_hup(pid_t pid)
{
	char path[64], status[4096], *line;
	unsigned long long mask;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if (dns_read_small(path, status, sizeof status) <= 0 ||
	    (line = strstr(status, "\nSigCgt:")) == NULL)
		return false;
	mask = strtoull(line + 8, NULL, 16);
	return (mask & (1ULL << (SIGHUP - 1))) != 0;
}

/* The inode of the UDP socket bound on gw:53 in this network namespace
 * (/proc/net/udp), 0 when there is none: a reload closes the one it had
 * and binds another. */
static unsigned long
dns_listener(struct in_addr gw)
{
	char want[24], local[24], line[512];
	unsigned long inode, found = 0;
	FILE *f = fopen("/proc/net/udp", "re");

	if (f == NULL)
		return 0;
	/* the kernel prints the address as the int it stores (%08X) */
	snprintf(want, sizeof want, "%08X:%04X", (unsigned)gw.s_addr,
	    (unsigned)atoi(NET_DNS_PORT));
	while (found == 0 && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%*s %23s %*s %*s %*s %*s %*s %*s %*s %lu",
		    local, &inode) == 2 && strcmp(local, want) == 0)
			found = inode;
	fclose(f);
	return found;
}

/* Wait until pid's socket on gw:53 is bound, and is not the one of inode
 * old (the one a reload closes). */
static int
dns_wait_listening(const struct dns_paths *p, pid_t pid, struct in_addr gw,
    unsigned long old, sdc_error_t *err)
{
	long deadline = time_mono_ms() + DNS_LISTEN_MS;
	unsigned long now;
	char ip[INET_ADDRSTRLEN];

	for (;;) {
		now = dns_listener(gw);
		if (now != 0 && now != old)
			return 0;
		if (!dns_pid_ours(p, pid))
			return sdc_make_error(err, 0, "%s exited as it started "
			    "(a table it cannot read?)", p->binary);
		if (time_mono_ms() >= deadline)
			break;
		dns_sleep_ms(1);
	}
	inet_ntop(AF_INET, &gw, ip, sizeof ip);
	return sdc_make_error(err, 0, "%s (pid %ld) is not listening on %s:%s "
	    "after %d ms (the address not on its bridge, or the port taken?)",
	    p->binary, (long)pid, ip, NET_DNS_PORT, DNS_LISTEN_MS);
}

static void
dns_trim(struct buf *b)
{
	while (b->len > 0 && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == ' '))
		b->data[--b->len] = '\0';
}

/* Run `aardvark-dns --config DIR -p 53 run`: it returns once the server it
 * forks has written its pid file.  Its output becomes the error. */
static int
dns_spawn(const struct dns_paths *p, pid_t *server, sdc_error_t *err)
{
	const char *argv[] = { p->binary, "--config", p->conf, "-p", NET_DNS_PORT,
	    "run", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	struct buf out = BUF_INIT;
	sigset_t none, all;
	long deadline = time_mono_ms() + DNS_START_MS;
	int pipefd[2], rc, status = 0;
	bool timed_out = false;
	pid_t pid, got;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return sdc_make_error(err, errno, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	/* None of the daemon's descriptors (listeners...) may outlive it in
	 * the server. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&sa);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&sa, &none);
	posix_spawnattr_setsigdefault(&sa, &all);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSID);
	rc = strchr(p->binary, '/') != NULL ?
	    posix_spawn(&pid, p->binary, &fa, &sa, (char *const *)argv, environ) :
	    posix_spawnp(&pid, p->binary, &fa, &sa, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		return sdc_make_error(err, rc, "running %s (Debian's aardvark-dns)",
		    p->binary);
	}
	/* Its output, until it exits (EOF) or the deadline. */
	for (;;) {
		struct pollfd pfd = { pipefd[0], POLLIN, 0 };
		char chunk[512];
		ssize_t n = 0;
		long left = deadline - time_mono_ms();

		if (left <= 0 || ((rc = poll(&pfd, 1, (int)left)) == 0)) {
			timed_out = true;
			break;
		}
		if (rc < 0 && errno != EINTR)
			break;
		if (rc < 0 || ((n = read(pipefd[0], chunk, sizeof chunk)) < 0 &&
		    errno == EINTR))
			continue;
		if (n <= 0)
			break;
		if (out.len < 4096)
			buf_append(&out, chunk, (size_t)n);
	}
	close(pipefd[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while ((got = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	dns_trim(&out);
	if (timed_out) {
		sdc_make_error(err, 0, "%s did not start within %d ms%s%s", p->binary,
		    DNS_START_MS, out.len > 0 ? ": " : "", buf_str(&out));
		buf_free(&out);
		return -1;
	}
	/* got < 0: the daemon reaps its children itself (SIGCHLD ignored); the
	 * pid file tells then. */
	if (got == pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		sdc_make_error(err, 0, "%s failed%s%s", p->binary,
		    out.len > 0 ? ": " : "", buf_str(&out));
		buf_free(&out);
		return -1;
	}
	*server = dns_running(p);
	if (*server == 0) {
		sdc_make_error(err, 0, "%s started but left no pid in %s%s%s",
		    p->binary, p->pidfile, out.len > 0 ? ": " : "", buf_str(&out));
		buf_free(&out);
		return -1;
	}
	buf_free(&out);
	while (!dns_catches_hup(*server) && time_mono_ms() < deadline) {
		if (!dns_pid_ours(p, *server))
			return sdc_make_error(err, 0, "%s exited as it started "
			    "(a table it cannot read, or its port taken?)", p->binary);
		dns_sleep_ms(1);
	}
	return 0;
}

/* Start the network's server, unless one runs: its dir locked and the
 * pid file read again, so that two callers start one. */
static int
dns_start(const struct dns_paths *p, struct in_addr gw, sdc_error_t *err)
{
	pid_t pid;
	int lock, rc = 0;

	/* the network's own dir: a start of another network, stuck in its
	 * spawn, holds no other one */
	lock = open(p->conf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0)
		return sdc_make_error(err, errno, "cannot open %s", p->conf);
	while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
		;
	pid = dns_running(p);
	if (pid == 0) {
		unlink(p->pidfile);
		rc = dns_spawn(p, &pid, err);
	}
	close(lock);
	if (rc < 0)
		return -1;
	return dns_wait_listening(p, pid, gw, 0, err);
}

/* Make the running server read its table again; none running: start one
 * if start is set.  Returns once the new socket is bound. */
static int
dns_reload(const struct dns_paths *p, struct in_addr gw, bool start,
    sdc_error_t *err)
{
	pid_t pid = dns_running(p);
	unsigned long old;

	if (pid > 0) {
		old = dns_listener(gw);
		if (kill(pid, SIGHUP) == 0)
			return dns_wait_listening(p, pid, gw, old, err);
	}
	return start ? dns_start(p, gw, err) : 0;
}

static void
dns_kill_wait(const struct dns_paths *p, pid_t pid, int sig)
{
	long deadline = time_mono_ms() + DNS_STOP_MS;

	if (kill(pid, sig) < 0)
		return;
	while (dns_pid_ours(p, pid) && time_mono_ms() < deadline)
		dns_sleep_ms(1);
}

static void
dns_stop(const struct dns_paths *p)
{
	pid_t pid = dns_running(p);

	if (pid > 0) {
		dns_kill_wait(p, pid, SIGTERM);
		if (dns_pid_ours(p, pid))
			dns_kill_wait(p, pid, SIGKILL);
	}
	unlink(p->pidfile);
}

/* What the network's table on disk says: its gateway, whether it names a
 * container, and when it was written.  -1: no table we can read. */
static int
dns_table_state(const struct dns_paths *p, struct in_addr *gw, bool *names,
    struct timespec *written)
{
	char head[64], *nl;
	struct stat st;

	if (dns_read_small(p->table, head, sizeof head) <= 0 ||
	    (nl = strchr(head, '\n')) == NULL)
		return -1;
	*nl = '\0';
	if (inet_pton(AF_INET, head, gw) != 1)
		return -1;
	*names = nl[1] != '\0';
	if (written != NULL) {
		if (stat(p->table, &st) < 0)
			return -1;
		*written = st.st_mtim;
	}
	return 0;
}

static int
dns_dirs(const struct dns_paths *p, sdc_error_t *err)
{
	struct stat st;

	if (stat(p->stage, &st) == 0 && stat(p->nets, &st) == 0 &&
	    (p->conf == NULL || stat(p->conf, &st) == 0))
		return 0;
	/* The tables name every account's containers: root's only. */
	if (mkdir_p(p->base, 0700, err) < 0 || dir_private(p->base, err) < 0 ||
	    mkdir_p(p->nets, 0700, err) < 0 || mkdir_p(p->stage, 0700, err) < 0 ||
	    (p->conf != NULL && mkdir_p(p->conf, 0700, err) < 0))
		return sdc_error_wrap(err, "the name servers' dir");
	return 0;
}

/* Whether the table at path already reads as want. */
static bool
dns_same(const char *path, const struct buf *want)
{
	struct buf have = BUF_INIT;
	sdc_error_t err = NULL;
	bool same;

	same = file_read(path, &have, want->len + 1, &err) == 0 &&
	    have.len == want->len && memcmp(have.data, want->data, want->len) == 0;
	sdc_error_release(&err);
	buf_free(&have);
	return same;
}

int
net_dns_apply(const struct net_config *cfg, const char *id, struct in_addr gw,
    const struct buf *table, bool names, sdc_error_t *err)
{
	struct dns_paths p;
	char *staged = NULL;
	bool same;
	int rc = -1;

	dns_paths_init(&p, cfg);
	if (!net_dns_id_ok(id)) {
		sdc_make_error_code(err, 400, "network id \"%s\" cannot name a name "
		    "table", id != NULL ? id : "");
		goto out;
	}
	dns_paths_net(&p, id);
	if (dns_dirs(&p, err) < 0)
		goto out;
	same = dns_same(p.table, table);
	if (!same) {
		xasprintf(&staged, "%s/%s", p.stage, id);
		if (file_write_replace(staged, table->data, table->len, 0600,
		    err) < 0)
			goto out;
		if (rename(staged, p.table) < 0) {
			sdc_make_error(err, errno, "cannot rename %s to %s", staged,
			    p.table);
			unlink(staged);
			goto out;
		}
	}
	if (!names)	/* no one to answer: a running server forgets the names */
		rc = same ? 0 : dns_reload(&p, gw, false, err);
	else if (!same)
		rc = dns_reload(&p, gw, true, err);
	else		/* a rebuild after a restart, or after a kill -9 */
		rc = dns_running(&p) > 0 ? 0 : dns_start(&p, gw, err);
out:
	if (rc < 0)
		sdc_error_wrap(err, "names of network %.12s", id != NULL ? id : "");
	free(staged);
	dns_paths_free(&p);
	return rc;
}

int
net_dns_set(const struct net_config *cfg, const struct net_bridge *b,
    const struct net_dns_entry *entries, size_t n, sdc_error_t *err)
{
	struct buf table = BUF_INIT;
	int rc;

	if (net_dns_format(b, entries, n, &table, err) < 0) {
		buf_free(&table);
		return sdc_error_wrap(err, "names of network %.12s", b->id != NULL ?
		    b->id : "");
	}
	rc = net_dns_apply(cfg, b->id, b->gateway, &table, n > 0, err);
	buf_free(&table);
	return rc;
}

int
net_dns_remove(const struct net_config *cfg, const char *network_id,
    sdc_error_t *err)
{
	struct dns_paths p;
	struct stat st;
	int rc = -1;

	dns_paths_init(&p, cfg);
	if (!net_dns_id_ok(network_id)) {
		sdc_make_error_code(err, 400, "network id \"%s\" cannot name a name "
		    "table", network_id != NULL ? network_id : "");
		goto out;
	}
	dns_paths_net(&p, network_id);
	if (stat(p.conf, &st) < 0) {
		rc = 0;		/* no table: nothing changes */
		goto out;
	}
	dns_stop(&p);
	rc = fs_rmtree(p.conf, err);
out:
	if (rc < 0)
		sdc_error_wrap(err, "names of network %.12s",
		    network_id != NULL ? network_id : "");
	dns_paths_free(&p);
	return rc;
}

static bool
dns_listed(const char *id, const char *const *ids)
{
	for (; ids != NULL && *ids != NULL; ids++)
		if (strcmp(*ids, id) == 0)
			return true;
	return false;
}

/* End every aardvark-dns serving a dir under <run>/dns/ but the servers
 * that the pid files of the listed networks name (a kill -9 of the daemon
 * between a spawn and its pid file, the one-process layout of before). */
static void
dns_end_strays(struct dns_paths *p, const char *const *ids)
{
	char path[64], cmd[4096], *prefix;
	const char *conf, *id;
	struct dirent *de;
	pid_t strays[256];
	size_t nstrays = 0, i, plen;
	long deadline;
	ssize_t n;
	DIR *d = opendir("/proc");

	if (d == NULL)
		return;
	xasprintf(&prefix, "%s/", p->nets);
	plen = strlen(prefix);
	while ((de = readdir(d)) != NULL && nstrays < 256) {
		long pid = strtol(de->d_name, NULL, 10);

		if (pid <= 1)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
		if ((n = dns_read_small(path, cmd, sizeof cmd)) <= 0 ||
		    (conf = dns_cmdline_config(cmd, (size_t)n, p->binary)) == NULL ||
		    strncmp(conf, p->base, strlen(p->base)) != 0 ||
		    conf[strlen(p->base)] != '/')
			continue;
		id = strncmp(conf, prefix, plen) == 0 ? conf + plen : NULL;
		if (id != NULL && net_dns_id_ok(id) && dns_listed(id, ids)) {
			dns_paths_net(p, id);
			if (dns_running(p) == (pid_t)pid)
				continue;
		}
		if (kill((pid_t)pid, SIGKILL) == 0)
			strays[nstrays++] = (pid_t)pid;
	}
	closedir(d);
	free(prefix);
	/* gone before a server of the same gateway binds its port again */
	deadline = time_mono_ms() + DNS_STOP_MS;
	for (i = 0; i < nstrays; i++) {
		snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)strays[i]);
		while (dns_read_small(path, cmd, sizeof cmd) > 0 &&
		    time_mono_ms() < deadline)
			dns_sleep_ms(1);
	}
}

/* The network's dir as its table says: a server while it names someone,
 * else none (idle_ms: once it has named no one that long).  *started:
 * one was.  Files aardvark-dns would choke on are removed. */
static int
dns_settle(struct dns_paths *p, const char *id, long idle_ms, bool *started,
    sdc_error_t *err)
{
	struct in_addr gw;
	struct timespec written, now;
	struct dirent *de;
	bool names;
	DIR *d;

	dns_paths_net(p, id);
	if ((d = opendir(p->conf)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
			    strcmp(de->d_name, DNS_PID_FILE) != 0 &&
			    strcmp(de->d_name, id) != 0)
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	if (dns_table_state(p, &gw, &names, &written) < 0) {
		dns_stop(p);
		return 0;
	}
	if (names) {
		if (dns_running(p) > 0)
			return 0;
		*started = true;
		return dns_start(p, gw, err);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if ((now.tv_sec - written.tv_sec) * 1000L +
	    (now.tv_nsec - written.tv_nsec) / 1000000L >= idle_ms)
		dns_stop(p);
	return 0;
}

/* Each network id with a dir under <run>/dns/net, NULL-terminated. */
static char **
dns_network_dirs(const struct dns_paths *p)
{
	struct strvec ids = STRVEC_INIT;
	struct dirent *de;
	DIR *d = opendir(p->nets);

	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strvec_push(&ids, de->d_name);
	if (d != NULL)
		closedir(d);
	return strvec_detach(&ids);
}

int
net_dns_sweep(const struct net_config *cfg, const char *const *network_ids,
    sdc_error_t *err)
{
	struct dns_paths p;
	bool started = false;
	char **dirs, *old;
	sdc_error_t e = NULL;
	int rc = 0;
	size_t i;

	dns_paths_init(&p, cfg);
	if (dns_dirs(&p, err) < 0) {
		rc = -1;
		goto out;
	}
	dns_end_strays(&p, network_ids);
	/* the one-process layout of before, its lock, and staged leftovers */
	xasprintf(&old, "%s/aardvark-dns", p.base);
	fs_rmtree(old, &e);
	sdc_error_release(&e);
	free(old);
	xasprintf(&old, "%s/aardvark.lock", p.base);
	unlink(old);
	free(old);
	fs_rmtree(p.stage, &e);
	sdc_error_release(&e);
	if (dns_dirs(&p, err) < 0) {
		rc = -1;
		goto out;
	}
	dirs = dns_network_dirs(&p);
	for (i = 0; dirs[i] != NULL; i++) {
		if (net_dns_id_ok(dirs[i]) && dns_listed(dirs[i], network_ids)) {
			/* at start nothing has needed an empty network's server */
			if (dns_settle(&p, dirs[i], 0, &started, rc == 0 ? err :
			    &e) < 0)
				rc = -1;
			sdc_error_release(&e);
			continue;
		}
		if (net_dns_id_ok(dirs[i])) {
			dns_paths_net(&p, dirs[i]);
			dns_stop(&p);
		}
		xasprintf(&old, "%s/%s", p.nets, dirs[i]);
		fs_rmtree(old, &e);
		sdc_error_release(&e);
		free(old);
	}
	strvec_array_free(dirs);
out:
	if (rc < 0)
		sdc_error_wrap(err, "sweeping the name servers");
	dns_paths_free(&p);
	return rc;
}

int
net_dns_ensure_net(const struct net_config *cfg, const char *id,
    sdc_error_t *err)
{
	struct dns_paths p;
	bool started = false;
	int rc;

	if (!net_dns_id_ok(id))
		return sdc_make_error_code(err, 400, "network id \"%s\" cannot "
		    "name a name table", id != NULL ? id : "");
	dns_paths_init(&p, cfg);
	rc = dns_settle(&p, id, NET_DNS_IDLE_MS, &started, err);
	if (rc < 0)
		sdc_error_wrap(err, "restarting the name server of network %.12s",
		    id);
	dns_paths_free(&p);
	return rc < 0 ? -1 : started ? 1 : 0;
}

int
net_dns_ensure(const struct net_config *cfg, sdc_error_t *err)
{
	struct dns_paths p;
	bool started = false;
	char **dirs;
	sdc_error_t e = NULL;
	int rc = 0;
	size_t i;

	dns_paths_init(&p, cfg);
	dirs = dns_network_dirs(&p);
	for (i = 0; dirs[i] != NULL; i++)
		if (net_dns_id_ok(dirs[i]) && dns_settle(&p, dirs[i],
		    NET_DNS_IDLE_MS, &started, rc == 0 ? err : &e) < 0) {
			sdc_error_release(&e);
			rc = -1;
		}
	strvec_array_free(dirs);
	if (rc < 0)
		sdc_error_wrap(err, "restarting the name servers");
	dns_paths_free(&p);
	return rc < 0 ? -1 : started ? 1 : 0;
}

void
net_dns_stop(const struct net_config *cfg)
{
	struct dns_paths p;
	char **dirs;
	size_t i;

	dns_paths_init(&p, cfg);
	dirs = dns_network_dirs(&p);
	for (i = 0; dirs[i] != NULL; i++)
		if (net_dns_id_ok(dirs[i])) {
			dns_paths_net(&p, dirs[i]);
			dns_stop(&p);
		}
	strvec_array_free(dirs);
	dns_paths_free(&p);
}
