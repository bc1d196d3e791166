/*
 * affinity.h: Docker Swarm's affinity expressions, as Triton accepted them.
 *
 * A container's create may say where it goes relative to the account's
 * other containers: `-e 'affinity:container==web'`, `-e
 * 'affinity:role!=db'`, or the label `com.docker.swarm.affinities` holding
 * a JSON array of the same expressions.  affinity.c parses them and tells
 * whether a container matches one; placement.c turns them into the nodes
 * a container may (or would rather) go to.  No I/O here.
 */
#ifndef SDC_DOCKERAPI_AFFINITY_H
#define SDC_DOCKERAPI_AFFINITY_H

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>

#include "error.h"

#define AFFINITY_LABEL "com.docker.swarm.affinities"

enum affinity_kind { AFFINITY_EXACT, AFFINITY_GLOB, AFFINITY_REGEX };

struct affinity {
	char *text;		/* as given, for messages: "container!=db" */
	char *key;		/* "container", or a label's name */
	char *value;		/* without the soft mark or the slashes */
	bool negate;		/* != */
	bool soft;		/* ==~, !=~ (or ~=): a preference */
	enum affinity_kind kind;
	regex_t re;		/* AFFINITY_REGEX */
};

struct affinity_set {
	struct affinity *v;
	size_t n;
};

/* One expression ("container==web", "role!=~db*", "container==/^w/"),
 * or a 400 naming it. */
int affinity_parse(const char *text, struct affinity *out, sdc_error_t *err);
void affinity_clear(struct affinity *a);

/* The affinities of a create's Config: the `affinity:` entries of Env
 * (taken out of it: they are not the container's environment) and the
 * expressions of the AFFINITY_LABEL label.  When Env had some, the label
 * is set to all of them, as Swarm and Triton did, so inspect shows what
 * placed the container.  A malformed one is a 400 naming it. */
int affinity_from_config(json_t *config, struct affinity_set *out,
    sdc_error_t *err);
void affinity_set_clear(struct affinity_set *s);

/* Whether a container (its docker id, its uuid, name and labels) is one
 * the expression names, its operator aside: 0 no; 1 by its name or
 * label; AFFINITY_BY_ID by its uuid or a prefix of its docker id (an
 * exact value only, and a name match wins over those: placement.c).
 * A container expression matches the name exactly, globbed ('*' only)
 * or by regex; any other key matches the value of that label. */
#define AFFINITY_BY_ID 2
int affinity_match(const struct affinity *a, const char *id,
    const char *uuid, const char *name, const json_t *labels);

/* '*'-only globbing, as Swarm's filters had it. */
bool affinity_glob(const char *pattern, const char *s);

#endif
