/*
 * container-layout.h: the names inside a container's folder,
 * <zones>/<id>/, for everyone who opens them.
 *
 * The runtime writes the folder, the monitor (a program of its own,
 * linking no library of the tree) writes its state and logs there,
 * dockerapi reads the logs for `docker logs`, and the operator's cleanup
 * (sdcadm-docker logs) walks them from outside.  Each once spelled the
 * names itself, and they disagreed on what a rotated log is; so the
 * names and that test live here, constants and one inline function, so
 * the monitor can include it without linking anything.
 *
 *   config.json runtime.json   the OCI bundle runc reads; what we asked for
 *   update.json                runc update's resources, for a moment
 *   root/ rw/upper rw/work     the rootfs (overlay of the layers and rw/)
 *   hosts hostname resolv.conf bound over the container's /etc files
 *   netplan.json               the networks the nethook sets up
 *   state.json pid runc.log    the monitor's record, runc's pid and errors
 *   monitor.lock attach.sock seccomp.sock   the monitor's lock and sockets
 *   exec/<exec id>/            the same, for each exec (process.json)
 *   sysfs/                     the container's /sys overrides
 *   logs/stdio.log             the json-file log, and rotated files
 *   logs/stdio.log.<time>      named by the time of rotation
 */
#ifndef SDC_RT_CONTAINER_LAYOUT_H
#define SDC_RT_CONTAINER_LAYOUT_H

#include <stdbool.h>
#include <string.h>

#define RT_FILE_CONFIG "config.json"
#define RT_FILE_RUNTIME "runtime.json"
#define RT_FILE_UPDATE "update.json"
#define RT_FILE_HOSTS "hosts"
#define RT_FILE_HOSTNAME "hostname"
#define RT_FILE_RESOLV "resolv.conf"
#define RT_FILE_NETPLAN "netplan.json"
#define RT_FILE_STATE "state.json"
#define RT_FILE_LOCK "monitor.lock"
#define RT_FILE_ATTACH "attach.sock"
#define RT_FILE_SECCOMP "seccomp.sock"	/* runc hands the notify fd here */
#define RT_FILE_PID "pid"
#define RT_FILE_RUNC_LOG "runc.log"
#define RT_FILE_PROCESS "process.json"	/* an exec's, in exec/<id>/ */
#define RT_DIR_ROOT "root"
#define RT_DIR_RW "rw"
#define RT_DIR_UPPER RT_DIR_RW "/upper"
#define RT_DIR_WORK RT_DIR_RW "/work"
#define RT_DIR_EXEC "exec"
#define RT_DIR_SYSFS "sysfs"
#define RT_LOG_DIR "logs"
#define RT_LOG_FILE "stdio.log"

/*
 * A rotated log: stdio.log.YYYY-MM-DDTHH:MM:SS[.F]Z with 1 to 9 digits of
 * F.  The monitor writes all nine (time_rfc3339's fixed width, so names
 * sort by age); fewer are accepted, as a copy restored by hand may have.
 * Nothing else in logs/ is a log: not stdio.log.gz, not a temp file.
 */
static inline bool
rt_log_is_rotated(const char *name)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	const char *p = name + sizeof RT_LOG_FILE;	/* past "stdio.log." */
	int frac = 0;

	if (strncmp(name, RT_LOG_FILE ".", sizeof RT_LOG_FILE) != 0)
		return false;
	for (const char *s = shape; *s != '\0'; s++, p++)
		if (*s == 'd' ? *p < '0' || *p > '9' : *p != *s)
			return false;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			frac++;
	if (p[-1] == '.' || frac > 9)
		return false;
	return p[0] == 'Z' && p[1] == '\0';
}

#endif
