/*
 * node-id.c: the node's id, stable across restarts.
 *
 * The store knows a node by its id; a restarted agent (or a rebooted
 * server) must come back as the same node, so the id is made once, a
 * UUID as Triton's servers had, and kept in DATA/node-id.  A file that
 * holds anything but one UUID is an error, not a reason to make a new
 * node silently.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "buf.h"
#include "fsutil.h"
#include "ids.h"
#include "log.h"
#include "xalloc.h"

int
agent_node_id(const char *data_dir, char out[37], sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	char *path;
	int rc = 0;

	xasprintf(&path, "%s/node-id", data_dir);
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		char line[UUID_LEN + 2];

		uuid_make(out);
		snprintf(line, sizeof line, "%s\n", out);
		if (file_write_atomic(path, line, strlen(line), 0644, err) < 0)
			rc = sdc_error_wrap(err, "keeping the node id");
		else
			log_info("a new node: id %s (in %s)", out, path);
		free(path);
		return rc;
	}
	if (file_read(path, &b, 256, err) < 0) {
		free(path);
		return sdc_error_wrap(err, "the node id");
	}
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	if (!uuid_valid(buf_str(&b)))
		rc = sdc_make_error(err, 0, "%s holds no node id (a UUID): "
		    "remove it to make this a new node", path);
	else
		memcpy(out, b.data, UUID_LEN + 1);
	buf_free(&b);
	free(path);
	return rc;
}
