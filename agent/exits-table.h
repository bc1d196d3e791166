/*
 * exits-table.h: the exits of containers as their nodes' agents report
 * them, in the store the heads share (see exits-table.c).
 */
#ifndef SDC_AGENT_EXITS_TABLE_H
#define SDC_AGENT_EXITS_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

/* One exit: of the run of container uuid whose init was pid. */
struct node_exit {
	char uuid[37];
	int64_t pid;
	char node[37];
	int exit_code;			/* 128+N for signal N; -1 unknown */
	int signal;
	bool oom_killed;
	int64_t started_ns, finished_ns;	/* wall clock */
};

int exits_table_migrate(struct store *st, sdc_error_t *err);

/* The channel an agent NOTIFYs on PostgreSQL when it wrote an exit. */
#define EXITS_CHANNEL "node_exits"

/* The agent: record e once (a second report of the same run, from a
 * restarted agent's look at its containers, changes nothing); 1 when
 * it was new, 0 when already there, -1 with *err. */
int exits_table_record(struct store *st, const struct node_exit *e,
    int64_t now_ms, sdc_error_t *err);

/* A head: the exits no head took yet, oldest first, at most max. */
int exits_table_pending(struct store *st, struct node_exit *out, size_t max,
    size_t *n, sdc_error_t *err);
/* A head: the report of run (uuid, pid), taken or not, into *out: 1
 * found, 0 none, -1 with *err. */
int exits_table_get(struct store *st, const char *uuid, int64_t pid,
    struct node_exit *out, sdc_error_t *err);
/* A head takes exit (uuid, pid): 1 when it is this head's to act on, 0
 * when another head took it first, -1 with *err.  head names one head
 * process: a claim it makes again finds the row its own. */
int exits_table_claim(struct store *st, const char *uuid, int64_t pid,
    const char *head, int64_t now_ms, sdc_error_t *err);
/* The exits taken before taken_before_ms go, and those recorded before
 * recorded_before_ms, taken or not. */
int exits_table_prune(struct store *st, int64_t taken_before_ms,
    int64_t recorded_before_ms, sdc_error_t *err);

#endif
