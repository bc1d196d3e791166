/*
 * monitor.h: the parts of sdc-docker-monitor and how they call each other.
 *
 * The monitor is one small process per container (or per exec): the
 * parent of the container's init, holder of its stdio, writer of its log,
 * server of its attach socket and keeper of its exit status.  It is split
 * by job as conmon is: cli (options), loop (a poll() loop), runc (spawning
 * the runtime, the console socket), stdio (pipes or pty), log (json-file
 * and rotation), attach (the socket server), sysinfo (the container's
 * sysinfo(2) calls), exit (reaping and the state file) and sync (the one
 * report to whoever started it).
 *
 * Memory is the constraint that shaped it: a host runs one monitor per
 * container, so the monitor is linked statically, uses fixed-size static
 * buffers and a poll() loop (libevent linked statically cost another
 * 330 KiB resident here, a third of the 1 MiB budget), and allocates
 * almost nothing after start.
 */
#ifndef SDC_MONITOR_H
#define SDC_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"
#include "timeutil.h"

struct mon_opts {
	const char *id;			/* the runtime's container id */
	const char *dir;		/* state files and attach socket */
	const char *bundle;		/* config.json's folder (run mode) */
	const char *process;		/* process.json: exec mode when set */
	const char *runtime;		/* the OCI runtime binary */
	const char *runtime_root;	/* its --root, NULL for its default */
	long long runtime_timeout_ms;	/* runc run/exec killed past it; 0: never */
	const char *oom_file;		/* memory.oom_control or memory.events */
	bool tty;
	bool open_stdin;
	bool log;			/* write logs/stdio.log */
	long long log_max_size;		/* bytes; 0: never rotate */
	int log_max_file;		/* files kept, live one included; 0: all */
	long long log_budget;		/* bytes all log files may take; 0: any */
	/* a log server (ship.c): syslog, gelf or fluentd; NULL for none */
	const char *ship_driver;
	const char *ship_address;	/* numeric: "udp:1.2.3.4:514" ... */
	const char *ship_tag;
	const char *ship_host;		/* the node's name, as dockerd's */
	const char *ship_format;	/* syslog: "", rfc3164, rfc5424... */
	int ship_facility;		/* syslog's, as a number */
	const char *ship_compress;	/* gelf over udp: gzip, zlib, none */
	int ship_level;			/* its level, -1 to 9 */
	const char *ship_fields[64];	/* "name=value", gelf and fluentd */
	int ship_nfields;
	bool ship_async;		/* no failed start for a server away */
	long long ship_retry_ms;	/* between reconnections */
	int ship_max_retries;		/* in a row; 0: no end */
	long ship_buffer_limit;		/* records queued; 0: what fits */
	int sync_fd;			/* -1 if none */
	int attach_fd;			/* a pre-connected client, -1 if none */
};

/* cli.c */
int cli_parse(int argc, char **argv, struct mon_opts *o, sdc_error_t *err);

/* loop.c: a poll() loop over a few descriptors and one housekeeping tick. */
typedef void (*loop_cb)(int fd, short revents, void *arg);
void loop_add(int fd, short events, loop_cb cb, void *arg);
void loop_events(int fd, short events);
void loop_del(int fd);
/* Call tick every `ms` milliseconds while wanted() says so. */
void loop_tick(int ms, void (*tick)(void), bool (*wanted)(void));
void loop_run(void);
void loop_break(void);

/* sysinfo.c: the container's sysinfo(2), answered through seccomp's
 * notify descriptor, which runc hands to a socket in the folder. */
int sysinfo_listen(int dirfd, sdc_error_t *err);
/* Whether calls wait for the next window (main's tick then calls
 * sysinfo_tick() to take them again). */
bool sysinfo_throttled(void);
void sysinfo_tick(void);

/* runc.c */
int runc_spawn(const struct mon_opts *o, int dirfd, const int child_fds[3],
    pid_t *pid, sdc_error_t *err);
int runc_console_listen(int dirfd, char *path, size_t len, sdc_error_t *err);
void runc_console_take(void);
void runc_delete(const struct mon_opts *o);

/* stdio.c */
int stdio_prepare(const struct mon_opts *o, int child_fds[3], sdc_error_t *err);
void stdio_spawned(int child_fds[3]);
void stdio_runc_ok(void);
void stdio_runc_failed(char *msg, size_t len);
void stdio_set_master(int fd);
bool stdio_done(void);
void stdio_pause(void);
void stdio_resume(void);
/* 0: written, 1: queued (attach input paused until it drains). */
int stdio_write_stdin(const char *data, size_t len);
void stdio_close_stdin(void);
void stdio_resize(unsigned rows, unsigned cols);

/* log.c */
int log_open(const char *dir, long long max_size, int max_file,
    long long budget, sdc_error_t *err);
void log_limits(long long max_size, int max_file, long long budget);
void log_write(int stream, const char *data, size_t len);
/* Whether a partial line waits for log_flush(). */
bool log_pending(void);
/* Write out partial lines older than `age_ms` (0: all of them). */
void log_flush(int age_ms);
/* JSON string body of data (no quotes), invalid UTF-8 as U+FFFD. */
size_t log_json_escape(char *out, const char *data, size_t len);

/* ship.c: the transport to a log server; shipfmt.c: its messages */
int ship_open(const struct mon_opts *o, sdc_error_t *err);
void ship_send(const char *msg, size_t len);
void ship_close(void);
void ship_record(int stream, const char *msg, size_t len,
    const struct timespec *ts);

/* attach.c */
int attach_listen(int dirfd, sdc_error_t *err);
void attach_client(int fd);
/* Send a frame to every listening client; false if one could not take it
 * now (stdio is then paused until it can). */
bool attach_broadcast(const char *frame, size_t len);
void attach_input(bool on);
void attach_finish(const char *state, size_t len);

/* exit.c */
void exit_watch(pid_t runc);
void exit_reap(void);
int exit_code(int status);
void exit_write_running(pid_t pid);
void exit_write_exited(int status, const char *oom_file, char *out, size_t len);

/* sync.c */
void sync_init(int fd);
void sync_ok(pid_t pid);
void sync_error(const char *fmt, ...) SDC_PRINTF(1, 2);

/* main.c: what the parts report back. */
extern int mon_dirfd;
extern const struct mon_opts *mon_opts;
void main_runc_exited(int status);
void main_container_exited(int status);
void main_stdio_closed(void);

#endif
