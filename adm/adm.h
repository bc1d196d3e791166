/*
 * adm.h: sdcadm-docker, the operator's command, in one header.
 *
 * The command is a table of subcommands (cmd.c), each living in its own file
 * and exporting one `const struct adm_cmd_entry`.  Every way of running the
 * tool goes through the same three steps, as tmux does:
 *
 *     parse   argv from the command line (main.c) or from a line typed in
 *             the shell (argv.c splits it, honouring quotes);
 *     find    adm_cmd_find() matches the words against the table by unique
 *             prefix ("lo us" is "logs usage"), reporting ambiguity;
 *     exec    the entry's exec() parses its own options with
 *             adm_opt_next() and does the work.
 *
 * Listings build jansson values and hand them to output.c, which prints
 * either JSON (--json) or a table sized to the terminal, so every listing
 * gets both forms for free.  Help text, bash completion and the shell's tab
 * completion are all generated from the table and the entries' option
 * tables, so adding a subcommand is one file and one line in adm_cmd_table[]
 * (plus its section in man/sdcadm-docker.8).
 *
 * The log commands share logs-walk.c, a directory walk under the zones root
 * that never follows a symbolic link and spreads its work over a few threads
 * by container directory.  Cleanup works on this machine's root; usage
 * asks the head for every node's unless --zones names a folder here.
 *
 * Exit statuses (adm_exit): 0 success, 1 the work was done in part (for
 * cleanup: some file could not be removed; for usage: some node did not
 * answer, or in part), 2 usage error, 3 another run holds the lock.
 */
#ifndef SDC_ADM_H
#define SDC_ADM_H

#include <dirent.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"
#include "strvec.h"

#define ADM_PROGRAM "sdcadm-docker"
#define ADM_ZONES_DEFAULT "/zones"

enum adm_exit {
	ADM_EXIT_OK = 0,
	ADM_EXIT_FAIL = 1,
	ADM_EXIT_USAGE = 2,
	ADM_EXIT_BUSY = 3,
};

/*
 * What a subcommand runs with: the global options (main.c fills them from
 * the command line and the environment) and where output goes.  Each
 * command gets its own copy, so an option given to one command in the shell
 * does not stick to the next.
 */
struct adm_ctx {
	bool json;		/* --json: JSON instead of tables */
	const char *admin;	/* --admin PATH / DOCKERAPI_ADMIN: dockerapi's admin socket */
	const char *sapi_url;	/* --sapi-url URL / SAPI_URL */
	const char *sapi_cert_path; /* --sapi-cert-path DIR / SAPI_CERT_PATH (https) */
	const char *zones;	/* --zones DIR: the zones root; NULL when not
				 * given (adm_zones: the default) */
	bool interactive;	/* running inside the shell */
	FILE *out;		/* results (stdout; tests use a memstream) */
};


struct adm_cmd_entry;

/* Lists completions of `word` for an entry's positional arguments; argv
 * holds the arguments before it.  Returns 0, or -1 with *err (errors are not
 * shown while completing). */
typedef int (*adm_complete_fn)(const struct adm_ctx *ctx, int argc, char **argv,
    const char *word, struct strvec *out, sdc_error_t *err);

/* An entry's exec(): argv[0] is the entry's name, argv[1..] its arguments.
 * Returns an adm_exit. */
typedef int (*adm_exec_fn)(const struct adm_cmd_entry *self, struct adm_ctx *ctx,
    int argc, char **argv);

/* adm_cmd_entry.flags */
#define ADM_CMD_HIDDEN		0x1	/* not in help or completion */
#define ADM_CMD_NEEDS_ADMIN	0x2	/* talks to dockerapi's admin API */
#define ADM_CMD_NEEDS_SAPI	0x4	/* talks to the config service */

/*
 * One subcommand.  `name` is one or more words ("logs cleanup"); `alias` an
 * alternative spelling matched the same way (or NULL).  `usage` is the
 * argument synopsis after the name, `help` the paragraph --help prints
 * (option lines included).  `opts` is the getopt_long table the entry parses
 * (a `val` that is a letter is also its short option); completion and bash
 * completion read it too.  `complete` is the hook for positional arguments:
 * account logins and container ids plug in there.
 */
struct adm_cmd_entry {
	const char *name;
	const char *alias;
	const char *usage;
	const char *help;
	int flags;
	const struct option *opts;
	adm_complete_fn complete;
	adm_exec_fn exec;
};

/* main.c: global options, then adm_cmd_run() or the shell. */

/* cmd.c: the table, lookup, help, option parsing and messages. */
extern const struct adm_cmd_entry *const adm_cmd_table[];
/* Find the entry named by the first words of argv; *used is how many words
 * the name took.  NULL with *err ("unknown command", "ambiguous command ...,
 * could be: ...", or "incomplete command ..., one of: ...") otherwise. */
const struct adm_cmd_entry *adm_cmd_find(int argc, char **argv, int *used,
    sdc_error_t *err);
/* The same over another table (tests). */
const struct adm_cmd_entry *adm_cmd_find_in(const struct adm_cmd_entry *const *table,
    int argc, char **argv, int *used, sdc_error_t *err);
/* Parse → find → exec, for main and the shell alike. */
int adm_cmd_run(const struct adm_ctx *ctx, int argc, char **argv);
/* Whether each of argv's words starts the matching word of name ("lo",
 * "c" starts "logs cleanup"). */
bool adm_cmd_name_starts(const char *name, int argc, char **argv);
/* "usage: sdcadm-docker NAME USAGE" and the help paragraph. */
void adm_cmd_help(const struct adm_cmd_entry *entry, FILE *f);
/* The overview: every visible command with its one-line usage. */
void adm_cmd_help_all(FILE *f);
/* "sdcadm-docker NAME: message" on stderr. */
void adm_cmd_warn(const struct adm_cmd_entry *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same plus the usage line; returns ADM_EXIT_USAGE. */
int adm_cmd_usage_error(const struct adm_cmd_entry *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Option parsing over an entry's `opts`, reentrant enough for the shell
 * (it resets getopt's state on the first call). */
struct adm_opt_state {
	const struct adm_cmd_entry *entry;
	char shorts[64];
	bool started;
	const char *arg;	/* the option's value */
	int ind;		/* after the end: the first operand */
};
void adm_opt_init(struct adm_opt_state *st, const struct adm_cmd_entry *entry);
/* The option's val; -1 at the end; '?' after printing a message naming the
 * unknown option, or the option missing its value (exit with 2). */
int adm_opt_next(struct adm_opt_state *st, int argc, char **argv);

/* complete.c: completion, shared by the shell and bash. */
/* Candidates for `word`, the word being typed, after the complete words
 * argv[0..argc-1]: subcommand words, then an entry's flags, then its
 * `complete` hook.  Sorted, unique. */
void adm_complete(const struct adm_ctx *ctx, int argc, char **argv,
    const char *word, struct strvec *out);
extern const struct adm_cmd_entry adm_cmd_complete_entry;

/* argv.c: splitting lines into words. */
struct adm_split {
	struct strvec words;
	bool open;		/* the last word runs to the end of the text */
};
/* Split like a shell: blanks separate words, '...' is literal, "..." allows
 * \" \\ \$ \`, a backslash quotes the next character, # starts a comment at
 * a word's start.  With `partial`, an unterminated quote is allowed (for
 * completion) and open tells whether the text ends inside a word. */
int adm_argv_split(const char *line, bool partial, struct adm_split *out,
    sdc_error_t *err);
void adm_split_free(struct adm_split *s);

/* units.c: sizes ("500k", "10M", "1G": powers of 1024; a bare number is
 * bytes) and ages ("30s", "30m", "12h", "7d", "2w"; a bare number is days). */
int adm_units_parse_size(const char *s, uint64_t *out, sdc_error_t *err);
int adm_units_parse_age(const char *s, uint64_t *seconds, sdc_error_t *err);
/* "0", "512", "1.5K", "12.3M" ...; buf of at least 16 bytes. */
const char *adm_units_format_size(uint64_t bytes, char *buf, size_t len);

/* output.c: tables and JSON, shared by every listing. */
#define ADM_COL_RIGHT	0x1	/* right-aligned (numbers) */
#define ADM_COL_BYTES	0x2	/* an integer shown as a size */
#define ADM_COL_SHRINK	0x4	/* cut to make the table fit */
struct adm_column {
	const char *key;	/* the member of each row object */
	const char *header;
	int flags;
};
/* The table's width budget: $COLUMNS if set, else the terminal's width
 * (TIOCGWINSZ on stdout), else 80. */
int adm_output_width(void);
/* Print rows (an array of objects) as JSON when ctx->json, else as a table
 * with an optional footer row (totals).  The footer is for the table only:
 * a command whose JSON carries totals builds its own document and prints
 * it with adm_output_json() (logs-usage.c does). */
void adm_output_list(const struct adm_ctx *ctx, const struct adm_column *cols,
    json_t *rows, json_t *footer);
/* Print a table of the given width (for tests and the TUI). */
void adm_output_table(FILE *f, int width, const struct adm_column *cols,
    json_t *rows, json_t *footer);
/* Pretty JSON and a newline. */
void adm_output_json(const struct adm_ctx *ctx, json_t *value);

/* logs-walk.c: the safe walk of <zones>/<uuid>/logs/ shared by the log
 * commands. */
/* The zones root a command works on: --zones, else ADM_ZONES_DEFAULT. */
const char *adm_zones(const struct adm_ctx *ctx);
struct logs_tree {
	char *path;		/* the zones root, as given */
	int rootfd;		/* opened once; every lookup is relative to it */
	struct strvec ids;	/* the container directory names */
};
/* A rotated log or the live log, as fstatat() saw it. */
struct logs_file {
	char *name;
	uint64_t size;
	int64_t mtime_ns;
	dev_t dev;
	ino_t ino;
};
struct logs_dir {
	DIR *dir;		/* <uuid>/logs, opened without following links */
	int fd;			/* its descriptor, for fstatat and unlinkat */
	bool has_live;
	struct logs_file live;	/* stdio.log */
	struct logs_file *rot;	/* stdio.log.<timestamp>, regular files only */
	size_t nrot;
	size_t caprot;
};
/* Open the root (it may itself be a link; nothing below it is followed). */
int logs_walk_open(struct logs_tree *t, const char *zones, sdc_error_t *err);
/* (Re)read the entries that look like container directories: UUID names,
 * not links.  Cleanup lists only once it holds the lock. */
int logs_walk_list(struct logs_tree *t, sdc_error_t *err);
void logs_walk_close(struct logs_tree *t);
/* Open <root>/<ids[i]>/logs one component at a time with O_NOFOLLOW and
 * O_DIRECTORY.  -1 with errno: ENOENT (no such dir: nothing to do),
 * ELOOP/ENOTDIR (a link or not a directory: skipped), others. */
int logs_walk_open_dir(const struct logs_tree *t, size_t i);
/* Read an opened logs dir: the live log and the rotated regular files
 * (sorted newest first).  Takes ownership of fd. */
int logs_walk_read_dir(int fd, struct logs_dir *d, sdc_error_t *err);
void logs_walk_free_dir(struct logs_dir *d);
/* Run fn(arg, job, worker) for job = 0..njobs-1 on nthreads threads, each
 * taking the next job from a shared counter. */
typedef void (*logs_walk_job_fn)(void *arg, size_t job, unsigned worker);
void logs_walk_pool(unsigned nthreads, size_t njobs, logs_walk_job_fn fn, void *arg);
/* A thread count for unlink-heavy work: 4 x online CPUs, from 4 to 16. */
unsigned logs_walk_default_jobs(void);

/* logs-lock.c: one cleanup at a time per zones root. */
struct logs_lock {
	int fd;
};
/* Take <root>/.sdcadm-docker-logs.lock (flock).  wait_secs < 0: wait
 * forever; 0: do not wait.  Returns 0, or -1 with *err; err's code is
 * EWOULDBLOCK when another run holds it (the message names its pid). */
int logs_lock_take(struct logs_lock *l, const struct logs_tree *t, int wait_secs,
    bool announce, sdc_error_t *err);
void logs_lock_release(struct logs_lock *l);
#define LOGS_LOCK_NAME ".sdcadm-docker-logs.lock"

/* logs-cleanup.c, logs-usage.c */
extern const struct adm_cmd_entry adm_cmd_logs_cleanup_entry;
extern const struct adm_cmd_entry adm_cmd_logs_usage_entry;

/* admin-client.c: dockerapi's admin API over its unix socket.  The
 * answer (json null for 204), or NULL with *err: code = HTTP status and
 * the daemon's message, or a FETCH_E_* (fetch.h) when the
 * socket is unreachable. */
json_t *adm_admin_call(const struct adm_ctx *ctx, const char *method,
    const char *path, const json_t *body, sdc_error_t *err);
/* GET path, an array, each element made a row by row_fn: the rows of a
 * list command, or NULL with *err. */
json_t *adm_admin_rows(const struct adm_ctx *ctx, const char *path,
    json_t *(*row_fn)(json_t *item), sdc_error_t *err);
const char *adm_admin_path(const struct adm_ctx *ctx);
/* A path segment, URL-escaped; caller frees. */
char *adm_admin_escape(const char *s);
/* Completion of account logins (first operand). */
int adm_complete_logins(const struct adm_ctx *ctx, int argc, char **argv,
    const char *word, struct strvec *out, sdc_error_t *err);

/* account.c, key.c */
/* Print the error as self's and release it; returns ADM_EXIT_FAIL. */
int adm_fail(const struct adm_cmd_entry *self, sdc_error_t *err);
/* "/accounts/<escaped login><rest>"; caller frees. */
char *adm_account_path(const char *login, const char *rest);
/* Add the key in file (first key line) to login; *added (if not NULL)
 * gets the daemon's answer. */
int adm_key_add(const struct adm_ctx *ctx, const char *login, const char *file,
    const char *name, json_t **added, sdc_error_t *err);
/* Whether file holds a key line to add: -1 with the reason when not. */
int adm_key_check(const char *file, sdc_error_t *err);
extern const struct adm_cmd_entry adm_cmd_account_create_entry;
extern const struct adm_cmd_entry adm_cmd_account_list_entry;
extern const struct adm_cmd_entry adm_cmd_account_get_entry;
extern const struct adm_cmd_entry adm_cmd_account_update_entry;
extern const struct adm_cmd_entry adm_cmd_account_delete_entry;
extern const struct adm_cmd_entry adm_cmd_account_quota_entry;
extern const struct adm_cmd_entry adm_cmd_build_cache_usage_entry;
extern const struct adm_cmd_entry adm_cmd_build_cache_prune_entry;
extern const struct adm_cmd_entry adm_cmd_key_add_entry;
extern const struct adm_cmd_entry adm_cmd_key_list_entry;
extern const struct adm_cmd_entry adm_cmd_key_remove_entry;

/* cert.c */
extern const struct adm_cmd_entry adm_cmd_cert_client_entry;
extern const struct adm_cmd_entry adm_cmd_cert_server_entry;
extern const struct adm_cmd_entry adm_cmd_cert_show_entry;

/* config.c: tunables through SAPI (sdc app → docker service → dockerapi0). */
/* [{key, value, from, version}], sorted by key. */
json_t *adm_config_rows(const struct adm_ctx *ctx, sdc_error_t *err);
/* Set "KEY=VALUE" pairs where each key lives, with If-Match (if_match, or
 * the version read when 0); a lost race has code 412. */
int adm_config_set(const struct adm_ctx *ctx, char *const *pairs, int n,
    json_int_t if_match, sdc_error_t *err);
extern const struct adm_cmd_entry adm_cmd_config_show_entry;
extern const struct adm_cmd_entry adm_cmd_config_get_entry;
extern const struct adm_cmd_entry adm_cmd_config_set_entry;
extern const struct adm_cmd_entry adm_cmd_config_unset_entry;
extern const struct adm_cmd_entry adm_cmd_config_packages_list_entry;
extern const struct adm_cmd_entry adm_cmd_config_packages_add_entry;
extern const struct adm_cmd_entry adm_cmd_config_packages_remove_entry;
extern const struct adm_cmd_entry adm_cmd_maint_on_entry;
extern const struct adm_cmd_entry adm_cmd_maint_off_entry;

/* container.c: every account's containers. */
extern const struct adm_column adm_container_columns[];
/* The admin API's list, with a short_id added to each row. */
json_t *adm_container_rows(const struct adm_ctx *ctx, const char *account,
    bool all, sdc_error_t *err);
/* network.c: every account's networks. */
extern const struct adm_column adm_network_columns[];
/* The admin API's list as rows (short_id, account, ...; "inspect" the
 * network as `network inspect` prints it). */
json_t *adm_network_rows(const struct adm_ctx *ctx, const char *account,
    sdc_error_t *err);
extern const struct adm_cmd_entry adm_cmd_container_list_entry;
extern const struct adm_cmd_entry adm_cmd_container_inspect_entry;
extern const struct adm_cmd_entry adm_cmd_container_logs_entry;
extern const struct adm_cmd_entry adm_cmd_container_stop_entry;
extern const struct adm_cmd_entry adm_cmd_container_kill_entry;
/* network.c: every account's networks. */
extern const struct adm_cmd_entry adm_cmd_network_list_entry;
extern const struct adm_cmd_entry adm_cmd_network_inspect_entry;
/* node.c: the data center's compute nodes; the rows of `node list`
 * (each with the node under "inspect"), for the TUI too. */
extern const struct adm_column adm_node_columns[];
json_t *adm_node_rows(const struct adm_ctx *ctx, sdc_error_t *err);
extern const struct adm_cmd_entry adm_cmd_node_list_entry;
extern const struct adm_cmd_entry adm_cmd_node_inspect_entry;
extern const struct adm_cmd_entry adm_cmd_node_drain_entry;
extern const struct adm_cmd_entry adm_cmd_node_undrain_entry;

/* logs-usage.c, for the TUI: the rows `logs usage` prints, every
 * node's (through the admin API) or, with ctx->zones, that folder's;
 * the node columns show both (a folder's rows have no node: "-"). */
extern const struct adm_column adm_logs_usage_node_columns[];
json_t *adm_logs_usage_rows(const struct adm_ctx *ctx, sdc_error_t *err);

/* tui.c */
extern const struct adm_cmd_entry adm_cmd_tui_entry;

/* shell.c: the libedit shell. */
/* The interactive loop; returns the exit status for main. */
int adm_shell_run(const struct adm_ctx *ctx);
/* True once Ctrl-C was pressed in the shell during the current command.
 * A command that can run long (a --follow, a wait) polls it, e.g. from an
 * fetch progress callback, and stops; outside the shell SIGINT keeps its
 * default action and this stays false. */
bool adm_interrupted(void);
/* Where history is kept: $XDG_STATE_HOME/sdcadm-docker/history, else
 * ~/.sdcadm_docker_history.  Caller frees; NULL when there is no home. */
char *adm_shell_history_path(void);

#endif
