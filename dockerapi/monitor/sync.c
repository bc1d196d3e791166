/*
 * sync.c: the one report to whoever started the monitor.
 *
 * The starter waits on a pipe for a single line: "ok PID" once the runtime
 * has started the process, or "error TEXT" with the runtime's own words, so
 * the daemon can answer `docker start` with the real reason.  The pipe is
 * closed right after; if the monitor dies before writing, the starter reads
 * EOF and knows that too.  Newlines in the text are flattened so the
 * report stays one line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"

static int sync_fd = -1;

void
sync_init(int fd)
{
	sync_fd = fd;
}

static void
sync_send(const char *line, size_t len)
{
	ssize_t n;

	if (sync_fd < 0)
		return;
	while (len > 0 && (n = write(sync_fd, line, len)) > 0) {
		line += n;
		len -= (size_t)n;
	}
	close(sync_fd);
	sync_fd = -1;
}

void
sync_ok(pid_t pid)
{
	char line[32];
	int n;

	n = snprintf(line, sizeof line, "ok %ld\n", (long)pid);
	sync_send(line, (size_t)n);
}

void
sync_error(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	size_t i, n;
	int len;

	memcpy(line, "error ", 6);
	va_start(ap, fmt);
	len = vsnprintf(line + 6, sizeof line - 7, fmt, ap);
	va_end(ap);
	n = 6 + (len < 0 ? 0 : (size_t)len < sizeof line - 7 ? (size_t)len :
	    sizeof line - 8);
	while (n > 6 && (line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	for (i = 6; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	sync_send(line, n);
}
