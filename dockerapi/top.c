/*
 * top.c: GET /containers/:id/top.
 *
 * With no ps_args the answer is `ps -ef`'s columns made from /proc
 * through rt_top_read(), without running ps.  With ps_args, as dockerd
 * does it: the host's ps runs with those arguments and only the rows of
 * the container's pids are kept, found by the PID column of its header.
 * The arguments are passed as words, never through a shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "containers.h"
#include "xalloc.h"

extern char **environ;

static long long
top_boot_time(void)
{
	char line[256];
	long long bt = 0;
	FILE *f = fopen("/proc/stat", "re");

	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "btime %lld", &bt) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return bt;
}

/* ps's C: CPU time over the process's lifetime, in whole percent, at
 * most 99 (procps' pr_c). */
static int
top_cpu_percent(const struct rt_proc *p, long long boot, long hz)
{
	long long alive = (long long)time(NULL) - boot - p->start_ticks / hz;
	long long pct = alive > 0 ? p->cpu_ticks * 100 / hz / alive : 0;

	return pct > 99 ? 99 : (int)pct;
}

static json_t *
top_row(const struct rt_proc *p, long long boot, long hz)
{
	char uid[32], stime[16], cputime[32], num[3][16];
	struct passwd *pw = getpwuid(p->uid);
	time_t start = (time_t)(boot + p->start_ticks / hz);
	long long t = p->cpu_ticks / hz;
	struct tm tm;

	snprintf(uid, sizeof uid, "%s", pw != NULL ? pw->pw_name : "");
	if (pw == NULL)
		snprintf(uid, sizeof uid, "%lu", (unsigned long)p->uid);
	localtime_r(&start, &tm);
	strftime(stime, sizeof stime, "%H:%M", &tm);
	snprintf(cputime, sizeof cputime, "%02lld:%02lld:%02lld", t / 3600,
	    t / 60 % 60, t % 60);
	snprintf(num[0], sizeof num[0], "%ld", (long)p->pid);
	snprintf(num[1], sizeof num[1], "%ld", (long)p->ppid);
	snprintf(num[2], sizeof num[2], "%d", top_cpu_percent(p, boot, hz));
	return json_pack("[s,s,s,s,s,s,s,s]", uid, num[0], num[1], num[2],
	    stime, p->tty, cputime, p->cmd);
}

static json_t *
top_default(const struct rt_proc *procs, size_t n)
{
	json_t *rows = json_array();
	long long boot = top_boot_time();
	long hz = sysconf(_SC_CLK_TCK);
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(rows, top_row(&procs[i], boot, hz > 0 ? hz : 100));
	return json_pack("{s:[s,s,s,s,s,s,s,s],s:o}", "Titles", "UID", "PID",
	    "PPID", "C", "STIME", "TTY", "TIME", "CMD", "Processes", rows);
}

/* `ps ARGS` on the host, its output whole. */
static int
top_run_ps(const char *args, struct buf *out, sdc_error_t *err)
{
	char *copy = xstrdup(args), *argv[64], *save, *w;
	posix_spawn_file_actions_t fa;
	int p[2], n = 0, status;
	char chunk[4096];
	ssize_t r;
	pid_t pid;

	argv[n++] = "ps";
	for (w = strtok_r(copy, " \t", &save); w != NULL && n < 63;
	    w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(copy);
		return sdc_make_error(err, errno, "pipe");
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	n = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	free(copy);
	if (n != 0) {
		close(p[0]);
		return sdc_make_error(err, n, "running ps");
	}
	while ((r = read(p[0], chunk, sizeof chunk)) > 0)
		buf_append(out, chunk, (size_t)r);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return sdc_make_error_code(err, 500, "ps %s failed", args);
	return 0;
}

static json_t *
top_split(const char *line, int max)
{
	json_t *a = json_array();
	const char *p = line;
	size_t n;

	while (*p != '\0') {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		if ((int)json_array_size(a) == max - 1) {
			json_array_append_new(a, json_string(p));
			break;
		}
		n = strcspn(p, " \t");
		json_array_append_new(a, json_stringn(p, n));
		p += n;
	}
	return a;
}

static bool
top_has_pid(const struct rt_proc *procs, size_t n, long pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((long)procs[i].pid == pid)
			return true;
	return false;
}

static int
top_ps(const char *args, const struct rt_proc *procs, size_t n, json_t **out,
    sdc_error_t *err)
{
	struct buf text = BUF_INIT;
	json_t *titles, *rows, *row;
	char *line, *save;
	int col = -1;
	size_t i;

	if (top_run_ps(args, &text, err) < 0) {
		buf_free(&text);
		return -1;
	}
	line = strtok_r(text.data, "\n", &save);
	titles = top_split(line != NULL ? line : "", 1000);
	for (i = 0; i < json_array_size(titles); i++)
		if (strcmp(json_string_value(json_array_get(titles, i)), "PID") == 0)
			col = (int)i;
	if (col < 0) {
		json_decref(titles);
		buf_free(&text);
		return sdc_make_error_code(err, 500, "Couldn't find PID field in "
		    "ps output");
	}
	rows = json_array();
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		row = top_split(line, (int)json_array_size(titles));
		if (top_has_pid(procs, n, atol(json_string_value(
		    json_array_get(row, (size_t)col)) ?: "0")))
			json_array_append(rows, row);
		json_decref(row);
	}
	buf_free(&text);
	*out = json_pack("{s:o,s:o}", "Titles", titles, "Processes", rows);
	return 0;
}

int
ctr_top(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	const char *args = http_query(req, "ps_args");
	struct rt_proc *procs = NULL;
	sdc_error_t err = NULL;
	json_t *out = NULL;
	size_t n = 0;

	if (c == NULL)
		return HTTP_DONE;
	if (!ctr_running(c))
		return api_error(req, 409, "Container %s is not running", c->id);
	if (rt_top_read(&ctrs(arg)->rt, c->uuid, &procs, &n, &err) < 0)
		return api_error_from(req, &err);
	if (args == NULL || *args == '\0')
		out = top_default(procs, n);
	else if (top_ps(args, procs, n, &out, &err) < 0) {
		free(procs);
		return api_error_from(req, &err);
	}
	free(procs);
	return api_json(req, 200, out);
}
