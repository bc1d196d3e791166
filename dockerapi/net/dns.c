/*
 * dns.c: names on container networks, answered by Debian's aardvark-dns
 * (podman's resolver), run the way netavark 1.4 runs it.
 *
 * Why aardvark-dns: it already answers by the asking container's address
 * (each container sees only the names of the networks it is on), forwards
 * every other name to the host's resolvers from /etc/resolv.conf, answers
 * PTR from the same tables, and reloads on SIGHUP; a resolver of our own
 * would be a DNS server to keep.  One process serves the whole node.
 *
 * On disk, under <run>/dns:
 *   aardvark-dns/        its --config dir (netavark's layout): one file per
 *                        network, named by the network's id, and its own
 *                        aardvark.pid;
 *   new/                 where a table is written (file_write_atomic) before
 *                        it is renamed into aardvark-dns/: aardvark-dns reads
 *                        every file of its dir on a reload and exits on one
 *                        it cannot parse, so it must never see a temp file;
 *   aardvark.lock        held while starting it, as netavark does.
 * A table (aardvark-dns 1.4, src/config/mod.rs) is the gateway on the
 * first line, then "<id> <ipv4s> <ipv6s> <names>" per container.
 *
 * The process: started with `--config DIR -p 53 run`, which forks the
 * server, writes its pid file and returns once the server is set up; it
 * binds UDP 53 on each table's gateway.  A change is one SIGHUP, after
 * which it parses every table again and rebinds: no fork per change.  The
 * pid file is trusted only when /proc/<pid>/cmdline is aardvark-dns with
 * our dir, so after a daemon restart the running one is found again, and
 * after a kill -9 (or a reused pid) the next call starts a new one.  Until
 * the server has installed its SIGHUP handler a SIGHUP would kill it, so
 * a start waits for the handler (/proc/<pid>/status SigCgt).  When the
 * last table goes, the process is stopped.
 *
 * aardvark-dns 1.4 closes every listener on a reload and binds them again
 * a few ms later (1.11 keeps them): a query then is refused.  So a table
 * that did not change (the rebuild after a daemon restart) is neither
 * written nor reloaded, and callers set a container's names before its
 * process starts.
 *
 * A network whose last container stopped keeps a table with no names
 * (its gateway alone) until the network goes (net_dns_remove): the server
 * keeps running, and the next container's start is one SIGHUP, not a
 * new server (some 20 ms of spawn and set-up, and as much for the stop,
 * at each `docker run --rm` on an otherwise empty network).
 *
 * Every call runs on the daemon's loop thread and is short: a table write,
 * a pid file and a cmdline read, a kill(2); only a start spawns.
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
#include "timeutil.h"
#include "xalloc.h"
#include "dockerapi/net/dns.h"

extern char **environ;

#define DNS_PID_FILE "aardvark.pid"
#define DNS_START_MS 5000	/* aardvark-dns run returns once set up */
#define DNS_STOP_MS 2000

/* Where Debian, then upstream, install it; else PATH. */
static const char *const dns_default_binaries[] = {
	"/usr/lib/podman/aardvark-dns",
	"/usr/libexec/podman/aardvark-dns",
};

struct dns_paths {
	char *base, *conf, *stage, *pidfile, *lock;
	const char *binary;
};

static void
dns_paths_init(struct dns_paths *p, const struct net_config *cfg)
{
	size_t i;

	xasprintf(&p->base, "%s/dns", cfg->run_dir);
	xasprintf(&p->conf, "%s/aardvark-dns", p->base);
	xasprintf(&p->stage, "%s/new", p->base);
	xasprintf(&p->pidfile, "%s/" DNS_PID_FILE, p->conf);
	xasprintf(&p->lock, "%s/aardvark.lock", p->base);
	p->binary = cfg->dns_binary;
	for (i = 0; p->binary == NULL && i < sizeof dns_default_binaries /
	    sizeof dns_default_binaries[0]; i++)
		if (access(dns_default_binaries[i], X_OK) == 0)
			p->binary = dns_default_binaries[i];
	if (p->binary == NULL)
		p->binary = "aardvark-dns";
}

static void
dns_paths_free(struct dns_paths *p)
{
	free(p->base);
	free(p->conf);
	free(p->stage);
	free(p->pidfile);
	free(p->lock);
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

bool
net_dns_cmdline_ours(const char *cmdline, size_t len, const char *binary,
    const char *conf)
{
	const char *argv[32], *end = cmdline + len;
	bool config = false, run = false;
	int argc = 0, i;

	while (cmdline < end && argc < 32) {
		const char *nul = memchr(cmdline, '\0', (size_t)(end - cmdline));

		if (nul == NULL)
			return false;
		argv[argc++] = cmdline;
		cmdline = nul + 1;
	}
	if (argc < 2 || strcmp(dns_basename(argv[0]), dns_basename(binary)) != 0)
		return false;
	for (i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) &&
		    i + 1 < argc && strcmp(argv[i + 1], conf) == 0)
			config = true;
		if (strcmp(argv[i], "run") == 0)
			run = true;
	}
	return config && run;
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

/* The running aardvark-dns of this dir, or 0. */
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

/* Make the running server reload, or start one.  Starting takes the lock
 * and looks again, so that two callers start one server. */
static int
dns_reload(const struct dns_paths *p, sdc_error_t *err)
{
	pid_t pid = dns_running(p);
	int lock, rc;

	if (pid > 0 && kill(pid, SIGHUP) == 0)
		return 0;
	lock = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return sdc_make_error(err, errno, "cannot open %s", p->lock);
	while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
		;
	pid = dns_running(p);
	if (pid > 0 && kill(pid, SIGHUP) == 0) {
		rc = 0;
	} else {
		unlink(p->pidfile);
		rc = dns_spawn(p, &pid, err);
	}
	close(lock);
	return rc;
}

static void
dns_stop(const struct dns_paths *p)
{
	pid_t pid = dns_running(p);
	long deadline;

	if (pid > 0 && kill(pid, SIGTERM) == 0) {
		deadline = time_mono_ms() + DNS_STOP_MS;
		while (dns_pid_ours(p, pid) && time_mono_ms() < deadline)
			dns_sleep_ms(1);
		if (dns_pid_ours(p, pid)) {
			kill(pid, SIGKILL);
			deadline = time_mono_ms() + DNS_STOP_MS;
			while (dns_pid_ours(p, pid) && time_mono_ms() < deadline)
				dns_sleep_ms(1);
		}
	}
	unlink(p->pidfile);
}

/* Whether the config dir holds a table (any file but the pid file, as
 * aardvark-dns reads it). */
static bool
dns_has_table(const struct dns_paths *p)
{
	struct dirent *de;
	DIR *d = opendir(p->conf);
	bool found = false;

	if (d == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL)
		found = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, DNS_PID_FILE) != 0;
	closedir(d);
	return found;
}

/* The process as the tables say: reloaded (or started) when there is one,
 * stopped when there is none. */
static int
dns_apply(const struct dns_paths *p, bool have_table, sdc_error_t *err)
{
	if (!have_table && !dns_has_table(p)) {
		dns_stop(p);
		return 0;
	}
	return dns_reload(p, err);
}

static int
dns_dirs(const struct dns_paths *p, sdc_error_t *err)
{
	struct stat st;

	if (stat(p->stage, &st) == 0 && stat(p->conf, &st) == 0)
		return 0;
	/* The tables name every account's containers: root's only. */
	if (mkdir_p(p->base, 0700, err) < 0 || dir_private(p->base, err) < 0 ||
	    mkdir_p(p->conf, 0700, err) < 0 || mkdir_p(p->stage, 0700, err) < 0)
		return sdc_error_wrap(err, "the name server's dir");
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
net_dns_set(const struct net_config *cfg, const struct net_bridge *b,
    const struct net_dns_entry *entries, size_t n, sdc_error_t *err)
{
	struct dns_paths p;
	struct buf table = BUF_INIT;
	char *staged = NULL, *path = NULL;
	int rc = -1;

	dns_paths_init(&p, cfg);
	if (!net_dns_id_ok(b->id)) {
		sdc_make_error_code(err, 400, "network id \"%s\" cannot name a name "
		    "table", b->id != NULL ? b->id : "");
		goto out;
	}
	if (dns_dirs(&p, err) < 0)
		goto out;
	xasprintf(&path, "%s/%s", p.conf, b->id);
	if (net_dns_format(b, entries, n, &table, err) < 0)
		goto out;
	if (dns_same(path, &table) && dns_running(&p) > 0) {
		rc = 0;		/* a rebuild after a restart: nothing to reload */
		goto out;
	}
	xasprintf(&staged, "%s/%s", p.stage, b->id);
	if (file_write_replace(staged, table.data, table.len, 0600, err) < 0)
		goto out;
	if (rename(staged, path) < 0) {
		sdc_make_error(err, errno, "cannot rename %s to %s", staged, path);
		unlink(staged);
		goto out;
	}
	rc = dns_apply(&p, true, err);
out:
	if (rc < 0)
		sdc_error_wrap(err, "names of network %.12s", b->id != NULL ? b->id : "");
	buf_free(&table);
	free(staged);
	free(path);
	dns_paths_free(&p);
	return rc;
}

int
net_dns_remove(const struct net_config *cfg, const char *network_id,
    sdc_error_t *err)
{
	struct dns_paths p;
	char *path = NULL;
	int rc = -1;

	dns_paths_init(&p, cfg);
	if (!net_dns_id_ok(network_id)) {
		sdc_make_error_code(err, 400, "network id \"%s\" cannot name a name "
		    "table", network_id != NULL ? network_id : "");
		goto out;
	}
	xasprintf(&path, "%s/%s", p.conf, network_id);
	if (unlink(path) < 0) {
		if (errno != ENOENT)
			sdc_make_error(err, errno, "cannot remove %s", path);
		else
			rc = 0;	/* no table: nothing changes */
		goto out;
	}
	rc = dns_apply(&p, false, err);
out:
	if (rc < 0)
		sdc_error_wrap(err, "names of network %.12s",
		    network_id != NULL ? network_id : "");
	free(path);
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

/* Remove what is in dir except the pid file and, if keep is set, the
 * tables it lists; whether a table is left.  *removed: a table went. */
static bool
dns_prune(const char *dir, bool keep, const char *const *ids, bool *removed)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool left = false;

	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (keep && strcmp(de->d_name, DNS_PID_FILE) == 0))
			continue;
		if (keep && net_dns_id_ok(de->d_name) && dns_listed(de->d_name, ids)) {
			left = true;
			continue;
		}
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			*removed = true;
	}
	closedir(d);
	return left;
}

int
net_dns_sweep(const struct net_config *cfg, const char *const *network_ids,
    sdc_error_t *err)
{
	struct dns_paths p;
	bool removed = false, staged = false;
	int rc = 0;

	dns_paths_init(&p, cfg);
	if (dns_dirs(&p, err) < 0) {
		rc = -1;
	} else {
		dns_prune(p.stage, false, NULL, &staged);
		if (!dns_prune(p.conf, true, network_ids, &removed))
			dns_stop(&p);
		else if (removed || dns_running(&p) == 0)
			rc = dns_reload(&p, err);
		/* else: it serves these very tables; a reload would only
		 * close its sockets for a while. */
	}
	if (rc < 0)
		sdc_error_wrap(err, "sweeping the name tables");
	dns_paths_free(&p);
	return rc;
}

int
net_dns_ensure(const struct net_config *cfg, sdc_error_t *err)
{
	struct dns_paths p;
	int rc = 0;

	dns_paths_init(&p, cfg);
	if (!dns_has_table(&p)) {
		if (dns_running(&p) > 0)
			dns_stop(&p);
	} else if (dns_running(&p) == 0) {
		rc = dns_reload(&p, err) < 0 ? -1 : 1;
	}
	if (rc < 0)
		sdc_error_wrap(err, "restarting the name server");
	dns_paths_free(&p);
	return rc;
}

void
net_dns_stop(const struct net_config *cfg)
{
	struct dns_paths p;

	dns_paths_init(&p, cfg);
	dns_stop(&p);
	dns_paths_free(&p);
}
