/*
 * archive-stat.c: docker cp's stat of a path as dockerd sends it, the
 * X-Docker-Container-Path-Stat header (base64 of its JSON), for whoever
 * answers the copy: a head for a container on its own machine
 * (dockerapi/api/containers-archive.c) or the node's agent
 * (agent/container-archive.c).
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "base64.h"
#include "dockerapi/runtime/runtime.h"
#include "timeutil.h"

char *
rt_path_stat_header(const struct rt_path_stat *st)
{
	char mtime[64], *text, *b64;
	json_t *o;

	time_rfc3339(mtime, sizeof mtime, time_ts_ns(&st->mtime), 9);
	o = json_pack("{s:s,s:I,s:I,s:s,s:s}", "name", st->name, "size",
	    (json_int_t)st->size, "mode", (json_int_t)st->mode, "mtime", mtime,
	    "linkTarget", st->link_target);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	b64 = base64_encode(text, strlen(text), true);
	free(text);
	return b64;
}
