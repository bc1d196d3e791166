/*
 * procstat.h: a process's start time, shared by the monitor (which records
 * it) and libsdcnode (which checks it), inline because the monitor links
 * no library.
 *
 * Field 22 of /proc/PID/stat is the start time in clock ticks since boot;
 * with the pid it names one process for good, since a pid is reused but
 * the pair is not.  The command name (field 2) may hold spaces and
 * parentheses, so fields are counted from the last ')'.
 */
#ifndef SDC_RT_PROCSTAT_H
#define SDC_RT_PROCSTAT_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* -1 if there is no such process. */
static inline long long
rt_proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	int fd, field;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	return p != NULL ? strtoll(p + 1, NULL, 10) : -1;
}

#endif
