/*
 * sdc-node: libsdcnode from the shell, for operators and tests.
 *
 * One subcommand per library call, with the same names, so a shell
 * session can walk a container through its life exactly as the daemon
 * does: create, start (optionally attached: output relayed, stdin sent,
 * exit code returned), state, wait, kill, pause, resume, exec, attach,
 * stats, top, log-limits, delete, list; and run, which is `docker run
 * --rm` in one process, for timing the whole path.  Output is plain key=value lines
 * for scripts.  See sdc-node --help.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "strvec.h"
#include "xalloc.h"
#include "dockerapi/runtime/runtime.h"


static const char node_usage[] =
    "usage: sdc-node [-z ZONES] [-r RUNTIME] [-R RUNTIME_ROOT] [-c CGROUP_PARENT]\n"
    "                COMMAND ID [ARGS]\n"
    "  create ID [-l LAYER]... [-t] [-i] [-u USER] [-w CWD] [-h HOST] [-e K=V]...\n"
    "            [-m BYTES] [-q CPU_QUOTA_US] [-p PIDS] [-d DISK_BYTES]\n"
    "            [-v SRC:DST[:ro]]... [--read-only] [-U UID:GID:COUNT] [-N NETNS] -- ARGV...\n"
    "            (-U: a user namespace, container ids 0.. as host UID.., GID..;\n"
    "             -N: join the network namespace at path NETNS)\n"
    "  start ID [-a] [-n] [-s MAX_SIZE] [-f MAX_FILE]   (-a: attached, exits with its code)\n"
    "  state ID | wait ID [TIMEOUT_MS] | kill ID SIGNAL | pause ID | resume ID\n"
    "  exec ID EXEC_ID [-t] [-i] [-u USER] [-e K=V]... -- ARGV...   (attached)\n"
    "  attach ID [EXEC_ID] | stats ID | top ID [PS_ARGS] | size ID | log-limits ID MAX_SIZE MAX_FILE [BUDGET]\n"
    "  delete ID [-f] | list\n"
    "  run ID [create options] -- ARGV...   (create, start attached, delete: run --rm)\n";

/* Print the error; exit 1, or the exit code the error carries (126 or
 * 127 for a command that could not be run, as `docker run` exits). */
static int
node_fail(sdc_error_t *err)
{
	int code = *err != NULL && (*err)->code > 0 && (*err)->code < 256 ?
	    (*err)->code : 1;

	fprintf(stderr, "sdc-node: %s\n", sdc_error_msg(*err));
	sdc_error_release(err);
	return code;
}

static void
node_print_state(const struct rt_state *st)
{
	printf("status=%s\npid=%ld\nmonitor_pid=%ld\nmonitor_alive=%d\n"
	    "exit_code=%d\nsignal=%d\noom_killed=%d\nstarted_at=%lld.%09ld\n"
	    "finished_at=%lld.%09ld\n", rt_status_name(st->status),
	    (long)st->pid, (long)st->monitor_pid, st->monitor_alive,
	    st->exit_code, st->signal, st->oom_killed,
	    (long long)st->started_at.tv_sec, st->started_at.tv_nsec,
	    (long long)st->finished_at.tv_sec, st->finished_at.tv_nsec);
}

static void
node_write(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = write(fd, p, n)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

/* Relay an attach fd: frames out, our stdin in.  Returns the exit code
 * from the exit frame, or 255. */
static int
node_relay(int fd, bool send_stdin)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { 0, POLLIN, 0 } };
	struct rt_frame *f = xmalloc(sizeof *f);
	struct rt_state st;
	sdc_error_t err = NULL;
	char buf[8192];
	int code = 255;
	ssize_t n;

	for (;;) {
		if (poll(p, send_stdin ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		if (send_stdin && (p[1].revents & (POLLIN | POLLHUP))) {
			n = read(0, buf, sizeof buf);
			if (n > 0)
				rt_attach_send(fd, RT_FRAME_STDIN, buf, (size_t)n, NULL);
			else {
				rt_attach_send(fd, RT_FRAME_CLOSE_STDIN, NULL, 0, NULL);
				send_stdin = false;
			}
		}
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		if (rt_attach_recv(fd, f, &err) <= 0)
			break;
		if (f->type == RT_FRAME_STDOUT || f->type == RT_FRAME_STDERR)
			node_write(f->type == RT_FRAME_STDOUT ? 1 : 2, f->data, f->len);
		else if (f->type == RT_FRAME_EXIT &&
		    rt_attach_exit_state(f, &st, &err) == 0)
			code = st.exit_code;
	}
	sdc_error_release(&err);
	free(f);
	close(fd);
	return code;
}

static int
node_create(const struct rt_config *cfg, int argc, char **argv)
{
	static const struct option lo[] = { { "read-only", 0, NULL, 'o' },
	    { NULL, 0, NULL, 0 } };
	struct rt_spec s = { .id = argv[1] };
	struct rt_mount mounts[16];
	struct strvec layers = STRVEC_INIT, env = STRVEC_INIT;
	sdc_error_t err = NULL;
	char *src, *dst, extra, **lv, **ev;
	int c, rc = 0;

	optind = 2;
	while ((c = getopt_long(argc, argv, "l:tiu:w:h:e:m:q:p:d:v:U:N:", lo,
	    NULL)) != -1) {
		switch (c) {
		case 'l': strvec_push(&layers, optarg); break;
		case 't': s.tty = true; break;
		case 'i': s.open_stdin = true; break;
		case 'u': s.user = optarg; break;
		case 'w': s.cwd = optarg; break;
		case 'h': s.hostname = optarg; break;
		case 'e': strvec_push(&env, optarg); break;
		case 'm': s.memory = strtoll(optarg, NULL, 10); break;
		case 'q': s.cpu_quota = strtoll(optarg, NULL, 10); break;
		case 'p': s.pids_limit = strtoll(optarg, NULL, 10); break;
		case 'd': s.disk = strtoll(optarg, NULL, 10); break;
		case 'o': s.readonly_rootfs = true; break;
		case 'N': s.netns_path = optarg; break;
		case 'U':
			if (sscanf(optarg, "%u:%u:%u%c", &s.idmap.uid, &s.idmap.gid,
			    &s.idmap.count, &extra) != 3 || s.idmap.count == 0) {
				fprintf(stderr, "sdc-node: -U wants UID:GID:COUNT, "
				    "not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'v':
			if (s.nmounts == 16 || (dst = strchr(src = optarg, ':')) == NULL)
				return fprintf(stderr, "%s", node_usage), 2;
			*dst++ = '\0';
			mounts[s.nmounts].source = src;
			mounts[s.nmounts].readonly = strstr(dst, ":ro") != NULL;
			dst[strcspn(dst, ":")] = '\0';
			mounts[s.nmounts++].destination = dst;
			break;
		default: return fprintf(stderr, "%s", node_usage), 2;
		}
	}
	s.layers = (const char *const *)(lv = strvec_detach(&layers));
	s.env = (const char *const *)(ev = strvec_detach(&env));
	s.mounts = mounts;
	s.argv = (const char *const *)argv + optind;
	if (rt_create(cfg, &s, &err) < 0)
		rc = node_fail(&err);
	strvec_array_free(lv);
	strvec_array_free(ev);
	return rc;
}

static int
node_start(const struct rt_config *cfg, int argc, char **argv)
{
	struct rt_start_opts o = { .no_log = false };
	struct rt_started out;
	sdc_error_t err = NULL;
	int c;

	optind = 2;
	while ((c = getopt(argc, argv, "ans:f:")) != -1) {
		switch (c) {
		case 'a': o.attach = true; break;
		case 'n': o.no_log = true; break;
		case 's': o.log_max_size = strtoll(optarg, NULL, 10); break;
		case 'f': o.log_max_file = atoi(optarg); break;
		default: return fprintf(stderr, "%s", node_usage), 2;
		}
	}
	if (rt_start(cfg, argv[1], &o, &out, &err) < 0)
		return node_fail(&err);
	if (!o.attach) {
		printf("pid=%ld\n", (long)out.pid);
		return 0;
	}
	return node_relay(out.attach_fd, !isatty(0));
}

/* With $SDC_NODE_TIMING set, the time since the last mark, to stderr. */
static void
node_mark(const char *what)
{
	static struct timespec last;
	struct timespec now;

	if (getenv("SDC_NODE_TIMING") == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last.tv_sec != 0)
		fprintf(stderr, "%s: %.2f ms\n", what,
		    (double)(now.tv_sec - last.tv_sec) * 1e3 +
		    (double)(now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

/* docker run --rm, in one process: create, start attached, delete. */
static int
node_run(const struct rt_config *cfg, int argc, char **argv)
{
	struct rt_start_opts o = { .attach = true };
	struct rt_started out;
	sdc_error_t err = NULL;
	int code;

	node_mark("begin");
	if ((code = node_create(cfg, argc, argv)) != 0)
		return code;
	node_mark("create");
	if (rt_start(cfg, argv[1], &o, &out, &err) < 0) {
		code = node_fail(&err);
		rt_delete(cfg, argv[1], true, &err);
		sdc_error_release(&err);
		return code;
	}
	node_mark("start");
	code = node_relay(out.attach_fd, false);
	node_mark("wait");
	if (rt_delete(cfg, argv[1], true, &err) < 0)
		return node_fail(&err);
	node_mark("delete");
	return code;
}

static int
node_exec(const struct rt_config *cfg, int argc, char **argv)
{
	struct rt_process p = { .argv = NULL };
	struct rt_start_opts o = { .no_log = true, .attach = true };
	struct strvec env = STRVEC_INIT;
	struct rt_started out;
	sdc_error_t err = NULL;
	int c;

	optind = 3;
	while ((c = getopt(argc, argv, "tiu:e:w:")) != -1) {
		switch (c) {
		case 't': p.tty = true; break;
		case 'i': p.open_stdin = true; break;
		case 'u': p.user = optarg; break;
		case 'w': p.cwd = optarg; break;
		case 'e': strvec_push(&env, optarg); break;
		default: return fprintf(stderr, "%s", node_usage), 2;
		}
	}
	p.env = (const char *const *)strvec_detach(&env);
	p.argv = (const char *const *)argv + optind;
	if (rt_exec_start(cfg, argv[1], argv[2], &p, &o, &out, &err) < 0)
		return node_fail(&err);
	return node_relay(out.attach_fd, p.open_stdin);
}

static int
node_stats(const struct rt_config *cfg, const char *id)
{
	struct rt_stats *s = xmalloc(sizeof *s);
	sdc_error_t err = NULL;
	int i;

	if (rt_stats_read(cfg, id, s, &err) < 0) {
		free(s);
		return node_fail(&err);
	}
	printf("memory_usage=%lld\nmemory_limit=%lld\nmemory_rss=%lld\n"
	    "cpu_total_ns=%lld\nsystem_cpu_ns=%lld\nonline_cpus=%d\n"
	    "pids_current=%lld\npids_limit=%lld\n",
	    (long long)s->memory_usage, (long long)s->memory_limit,
	    (long long)s->memory_rss, (long long)s->cpu_total_ns,
	    (long long)s->system_cpu_ns, s->online_cpus,
	    (long long)s->pids_current, (long long)s->pids_limit);
	for (i = 0; i < s->nnet; i++)
		printf("net_%s_rx_bytes=%llu\n", s->net[i].name,
		    (unsigned long long)s->net[i].rx_bytes);
	free(s);
	return 0;
}

/* `docker top`'s table, tab-separated: the titles, then a line a process. */
static int
node_top(const struct rt_config *cfg, const char *id, const char *ps_args)
{
	sdc_error_t err = NULL;
	json_t *out, *row, *v;
	size_t i, j;

	if (rt_top(cfg, id, ps_args, &out, &err) < 0)
		return node_fail(&err);
	json_array_foreach(json_object_get(out, "Titles"), j, v)
		printf("%s%s", j > 0 ? "\t" : "", json_string_value(v));
	printf("\n");
	json_array_foreach(json_object_get(out, "Processes"), i, row) {
		json_array_foreach(row, j, v)
			printf("%s%s", j > 0 ? "\t" : "", json_string_value(v));
		printf("\n");
	}
	json_decref(out);
	return 0;
}

static int
node_signal(const char *s)
{
	static const struct { const char *name; int sig; } sigs[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
		{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
		{ "TERM", SIGTERM }, { "STOP", SIGSTOP }, { "CONT", SIGCONT },
	};
	size_t i;

	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (strcmp(s, sigs[i].name) == 0)
			return sigs[i].sig;
	return atoi(s);
}

static int
node_simple(const struct rt_config *cfg, const char *cmd, int argc,
    char **argv)
{
	const char *id = argv[1];
	struct rt_state st;
	sdc_error_t err = NULL;
	int rc = 0;

	if (strcmp(cmd, "state") == 0 && (rc = rt_state_read(cfg, id, &st, &err)) == 0)
		node_print_state(&st);
	else if (strcmp(cmd, "wait") == 0 && (rc = rt_wait(cfg, id,
	    argc > 2 ? atoi(argv[2]) : -1, &st, &err)) == 0)
		printf("%d\n", st.exit_code);
	else if (strcmp(cmd, "kill") == 0)
		rc = rt_kill(cfg, id, argc > 2 ? node_signal(argv[2]) : SIGTERM,
		    &err);
	else if (strcmp(cmd, "size") == 0) {
		int64_t bytes;

		if ((rc = rt_size_rw(cfg, id, &bytes, &err)) == 0)
			printf("%lld\n", (long long)bytes);
	} else if (strcmp(cmd, "pause") == 0)
		rc = rt_pause(cfg, id, &err);
	else if (strcmp(cmd, "resume") == 0)
		rc = rt_resume(cfg, id, &err);
	else if (strcmp(cmd, "delete") == 0)
		rc = rt_delete(cfg, id, argc > 2 && strcmp(argv[2], "-f") == 0,
		    &err);
	else if (strcmp(cmd, "log-limits") == 0 && argc > 3)
		rc = rt_log_limits(cfg, id, strtoll(argv[2], NULL, 10),
		    atoi(argv[3]), argc > 4 ? strtoll(argv[4], NULL, 10) : 0,
		    &err);
	else if (strcmp(cmd, "attach") == 0) {
		if ((rc = rt_attach_open(cfg, id, argc > 2 ? argv[2] : NULL,
		    &err)) >= 0)
			return node_relay(rc, false);
	} else if (strcmp(cmd, "stats") == 0)
		return node_stats(cfg, id);
	else if (strcmp(cmd, "top") == 0)
		return node_top(cfg, id, argc > 2 ? argv[2] : NULL);
	else if (strcmp(cmd, "state") != 0 && strcmp(cmd, "wait") != 0)
		return fprintf(stderr, "%s", node_usage), 2;
	return rc < 0 ? node_fail(&err) : 0;
}

static int
node_list(const struct rt_config *cfg)
{
	sdc_error_t err = NULL;
	char **ids;
	size_t n, i;

	if (rt_list(cfg, &ids, &n, &err) < 0)
		return node_fail(&err);
	for (i = 0; i < n; i++)
		printf("%s\n", ids[i]);
	rt_list_free(ids, n);
	return 0;
}

int
main(int argc, char **argv)
{
	struct rt_config cfg = { .zones = getenv("SDC_ZONES") };
	const char *cmd;
	int c;

	while ((c = getopt(argc, argv, "+z:r:R:c:")) != -1) {
		switch (c) {
		case 'z': cfg.zones = optarg; break;
		case 'r': cfg.runtime = optarg; break;
		case 'R': cfg.runtime_root = optarg; break;
		case 'c': cfg.cgroup_parent = optarg; break;
		default: return fprintf(stderr, "%s", node_usage), 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return node_list(&cfg);
	if (argc < 2)
		return fprintf(stderr, "%s", node_usage), 2;
	cmd = argv[0];
	if (strcmp(cmd, "create") == 0)
		return node_create(&cfg, argc, argv);
	if (strcmp(cmd, "start") == 0)
		return node_start(&cfg, argc, argv);
	if (strcmp(cmd, "run") == 0)
		return node_run(&cfg, argc, argv);
	if (strcmp(cmd, "exec") == 0 && argc > 3)
		return node_exec(&cfg, argc, argv);
	return node_simple(&cfg, cmd, argc, argv);
}
