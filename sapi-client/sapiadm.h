/*
 * sapiadm.h: what sapiadm's subcommands share.
 *
 * Each subcommand is a file (sapiadm-get.c, ...) exporting one entry of the
 * table in sapiadm.c.  A subcommand returns the process's exit status:
 * SAPIADM_OK, SAPIADM_FAIL (the service refused or could not be reached;
 * the reason is on stderr) or SAPIADM_USAGE.
 */
#ifndef SAPIADM_H
#define SAPIADM_H

#include <stdbool.h>
#include <jansson.h>

#include "sapi.h"

enum { SAPIADM_OK = 0, SAPIADM_FAIL = 1, SAPIADM_USAGE = 2 };

struct sapiadm {
	struct sapi_client *c;
	const char *url;
	const char *cert_path;          /* NULL: $SAPI_CERT_PATH */
	bool json;              /* --json: compact JSON, one value a line */
	const char *action;     /* --action */
	json_int_t if_match;    /* --if-match */
	long count;             /* watch -n */
	double wait;            /* watch --wait */
	const char *cache;      /* watch --cache */
};

struct sapiadm_cmd {
	const char *name;
	const char *args;
	const char *help;
	int (*exec)(struct sapiadm *a, int argc, char **argv);
};

extern const struct sapiadm_cmd sapiadm_get_cmd;
extern const struct sapiadm_cmd sapiadm_showapp_cmd;
extern const struct sapiadm_cmd sapiadm_update_cmd;
extern const struct sapiadm_cmd sapiadm_watch_cmd;
extern const struct sapiadm_cmd sapiadm_list_cmd;
extern const struct sapiadm_cmd sapiadm_create_cmd;
extern const struct sapiadm_cmd sapiadm_delete_cmd;

/* Print "sapiadm: <msg>" for err, release it, return SAPIADM_FAIL. */
int sapiadm_fail(sdc_error_t *err);
/* A value as the output mode wants it: pretty, or one compact line. */
void sapiadm_print(const struct sapiadm *a, const json_t *v);
/* "application(s)", "service(s)", "instance(s)", "manifest(s)". */
int sapiadm_kind(const char *name, enum sapi_object *kind);
/* Add "FIELD.KEY=VALUE" to a body: FIELD is metadata, params or
 * manifests, VALUE JSON when it parses, else a string; "KEY=VALUE" sets a
 * top-level field.  When deleting, "FIELD.KEY" names a key to remove.
 * -1 when arg is none of these. */
int sapiadm_assign(json_t *body, const char *arg, bool deleting);
/* A JSON object from stdin. */
json_t *sapiadm_read_body(sdc_error_t *err);
/* Find an object by uuid, whatever its kind. */
json_t *sapiadm_find(struct sapiadm *a, const char *uuid,
    enum sapi_object *kind, sdc_error_t *err);

#endif
