/*
 * sysinfo.c: answering the container's sysinfo(2) for it.
 *
 * sysinfo is not a file, so lxcfs cannot give a container its own view of
 * it, and busybox's `free` (the seed's `docker run -m 128m busybox free`)
 * reads its totals there.  The seccomp profile sends the call to a
 * listener instead (etc/seccomp.json "notify"); runc hands the filter's
 * notify descriptor to this socket when it starts the container and each
 * time it starts an exec, and the monitor, which lives exactly as long as
 * the container, answers: the host's own sysinfo with the memory fields
 * taken from the caller's memory cgroup (limit, and limit less usage),
 * the number of processes from its pids cgroup, and the container's
 * uptime.  The answer is written into the caller with process_vm_writev
 * only after the kernel confirms the call is still waiting, so a caller
 * that died meanwhile (and whose pid was reused) gets nothing written.
 * A call from a 32-bit process, whose struct differs, runs as the kernel
 * would run it.
 *
 * A tenant may call sysinfo(2) in a tight loop, and each call is work
 * for this process, which runs outside the container's cgroup.  So the
 * work is bounded: an answer (three cgroup reads and /proc/PID/cgroup
 * parsed) is reused for SYSINFO_CACHE_MS, and at most SYSINFO_BURST
 * calls are taken per SYSINFO_WINDOW_MS; past that the notify
 * descriptors are left unpolled until the window ends, so the callers
 * wait in the kernel (asleep, costing no one) and a spinning caller gets
 * about SYSINFO_BURST answers a window, while `free` or `top` never
 * notice.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor.h"
#include "dockerapi/runtime/protocol.h"

#define SYSINFO_CACHE_MS 100
#define SYSINFO_WINDOW_MS 200
#define SYSINFO_BURST 100
#define SYSINFO_FDS 32

static int sysinfo_lfd = -1;
static long long sysinfo_started_ms;
static int sysinfo_fds[SYSINFO_FDS];
static int sysinfo_nfds;
static long long sysinfo_window_ms, sysinfo_cached_ms = -1;
static int sysinfo_calls;
static bool sysinfo_paused;
static struct sysinfo sysinfo_cache;

/* A number from a cgroup file; -1 when absent or "max". */
static long long
sysinfo_cgroup_value(const char *dir, const char *file)
{
	char path[512], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/* The folder of pid's cgroup for controller (v1), or of its unified
 * cgroup when controller is NULL; false when it has none. */
static bool
sysinfo_cgroup_dir(pid_t pid, const char *controller, char *out, size_t len)
{
	char path[64], line[512], want[64];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/cgroup", (long)pid);
	snprintf(want, sizeof want, ":%s:", controller != NULL ? controller : "");
	if ((f = fopen(path, "re")) == NULL)
		return false;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		char *p = strstr(line, want), *nl;

		if (p == NULL || (controller == NULL && strncmp(line, "0::", 3) != 0))
			continue;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		p += strlen(want);
		if (controller != NULL)
			snprintf(out, len, "/sys/fs/cgroup/%s%s", controller, p);
		else if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
			snprintf(out, len, "/sys/fs/cgroup%s", p);
		else
			snprintf(out, len, "/sys/fs/cgroup/unified%s", p);
		found = true;
	}
	fclose(f);
	return found;
}

/* The host's sysinfo, made the caller's container's. */
static void
sysinfo_for(pid_t pid, struct sysinfo *si)
{
	long long limit = -1, usage = -1, pids = -1;
	char dir[512];

	sysinfo(si);
	if (sysinfo_cgroup_dir(pid, "memory", dir, sizeof dir)) {
		limit = sysinfo_cgroup_value(dir, "memory.limit_in_bytes");
		usage = sysinfo_cgroup_value(dir, "memory.usage_in_bytes");
	} else if (sysinfo_cgroup_dir(pid, NULL, dir, sizeof dir)) {
		limit = sysinfo_cgroup_value(dir, "memory.max");
		usage = sysinfo_cgroup_value(dir, "memory.current");
	}
	if (sysinfo_cgroup_dir(pid, "pids", dir, sizeof dir) ||
	    sysinfo_cgroup_dir(pid, NULL, dir, sizeof dir))
		pids = sysinfo_cgroup_value(dir, "pids.current");
	/* bytes from here on: a 64-bit unsigned long holds any of them */
	si->totalram *= si->mem_unit;
	si->freeram *= si->mem_unit;
	si->sharedram *= si->mem_unit;
	si->bufferram *= si->mem_unit;
	si->totalswap *= si->mem_unit;
	si->freeswap *= si->mem_unit;
	si->totalhigh = si->freehigh = 0;
	si->mem_unit = 1;
	if (limit > 0 && (unsigned long long)limit < si->totalram) {
		si->totalram = (unsigned long)limit;
		si->freeram = usage >= 0 && usage < limit ?
		    (unsigned long)(limit - usage) : 0;
		si->sharedram = si->bufferram = 0;
	}
	if (pids > 0 && pids < 65536)
		si->procs = (unsigned short)pids;
	si->uptime = (long)((time_mono_ms() - sysinfo_started_ms) / 1000);
}

static void
sysinfo_answer(int fd, const struct seccomp_notif *req)
{
	struct seccomp_notif_resp resp = { .id = req->id };
	struct sysinfo si;
	struct iovec local = { &si, sizeof si };
	struct iovec remote = { (void *)(uintptr_t)req->data.args[0], sizeof si };
	__u64 id = req->id;

	if (req->data.nr != SYS_sysinfo || req->data.arch != AUDIT_ARCH_X86_64) {
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		if (sysinfo_cached_ms < 0 ||
		    time_mono_ms() - sysinfo_cached_ms >= SYSINFO_CACHE_MS) {
			sysinfo_for(req->pid, &sysinfo_cache);
			sysinfo_cached_ms = time_mono_ms();
		}
		si = sysinfo_cache;
		si.uptime = (long)((time_mono_ms() - sysinfo_started_ms) / 1000);
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
			return;         /* the caller is gone */
		if (process_vm_writev(req->pid, &local, 1, &remote, 1, 0) !=
		    (ssize_t)sizeof si)
			resp.error = -EFAULT;
	}
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static void
sysinfo_poll_all(short events)
{
	for (int i = 0; i < sysinfo_nfds; i++)
		loop_events(sysinfo_fds[i], events);
}

static void
sysinfo_notify_cb(int fd, short revents, void *arg)
{
	struct seccomp_notif req;
	long long now = time_mono_ms();
	int i;

	(void)arg;
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		/* every process under this filter is gone */
		loop_del(fd);
		close(fd);
		for (i = 0; i < sysinfo_nfds; i++)
			if (sysinfo_fds[i] == fd)
				sysinfo_fds[i] = sysinfo_fds[--sysinfo_nfds];
		return;
	}
	if (!(revents & POLLIN))
		return;
	if (now - sysinfo_window_ms >= SYSINFO_WINDOW_MS) {
		sysinfo_window_ms = now;
		sysinfo_calls = 0;
	}
	memset(&req, 0, sizeof req);
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0)
		sysinfo_answer(fd, &req);
	if (++sysinfo_calls >= SYSINFO_BURST) {
		/* the rest of the window: callers wait in the kernel */
		sysinfo_paused = true;
		sysinfo_poll_all(0);
	}
}

bool
sysinfo_throttled(void)
{
	return sysinfo_paused;
}

void
sysinfo_tick(void)
{
	if (!sysinfo_paused ||
	    time_mono_ms() - sysinfo_window_ms < SYSINFO_WINDOW_MS)
		return;
	sysinfo_paused = false;
	sysinfo_window_ms = time_mono_ms();
	sysinfo_calls = 0;
	sysinfo_poll_all(POLLIN);
}

/* runc connects, sends its state as JSON with the notify fd beside it,
 * and closes: keep the fd, drop the JSON. */
static void
sysinfo_accept_cb(int lfd, short revents, void *arg)
{
	char data[4096], control[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { data, sizeof data };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int conn, fd;
	ssize_t n;

	(void)revents;
	(void)arg;
	if ((conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	do {
		msg.msg_control = control;
		msg.msg_controllen = sizeof control;
		n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
		for (c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c != NULL;
		    c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			    i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
				if (sysinfo_nfds == SYSINFO_FDS) {
					close(fd);	/* calls then fail ENOSYS */
					continue;
				}
				sysinfo_fds[sysinfo_nfds++] = fd;
				loop_add(fd, sysinfo_paused ? 0 : POLLIN,
				    sysinfo_notify_cb, NULL);
			}
		}
	} while (n > 0 || (n < 0 && errno == EINTR));
	close(conn);
}

int
sysinfo_listen(int dirfd, sdc_error_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	sysinfo_started_ms = time_mono_ms();
	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s",
	    dirfd, RT_FILE_SECCOMP);
	unlinkat(dirfd, RT_FILE_SECCOMP, 0);
	sysinfo_lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sysinfo_lfd < 0 ||
	    bind(sysinfo_lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(sysinfo_lfd, 8) < 0)
		return sdc_make_error(err, errno, "seccomp listener socket");
	loop_add(sysinfo_lfd, POLLIN, sysinfo_accept_cb, NULL);
	return 0;
}
