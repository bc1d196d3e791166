/*
 * container-exec.c: docker exec of a node's container, behind the
 * agent's API, its stream relayed to the head.
 *
 * The head keeps the exec's record (its create body, the row other heads
 * read, its events and exit code) and Docker's stream; the node runs the
 * process under a monitor of its own (rt_exec_start) and relays the
 * monitor's frames from the first byte, over the head's connection, as
 * container-attach.c does for a container's:
 *
 *   POST /v1/containers/:uuid/exec/:exec/start   {"Argv": [...],
 *        "Env": [...], "Cwd", "User", "Tty", "OpenStdin"}
 *        -> 101 with X-Sdc-Pid, then the exec's frames; a detached exec
 *        is the same stream, muted by the head, which keeps it for the
 *        exit
 *   GET  /v1/containers/:uuid/exec/:exec         -> {"Status", "Pid",
 *        "ExitCode"}
 *   POST /v1/containers/:uuid/exec/:exec/resize  (container-attach.c)
 *
 * The body is untrusted input: the container a uuid in this node's zones
 * root, running; the exec a Docker id; Argv a non-empty list of strings,
 * Env "NAME=value" strings or bare names (unset in the process, as
 * dockerd does), Cwd absolute, no field the agent does not
 * know.  The process runs in the container as the container runs, in
 * its user namespace: nothing of the node is named.  The runtime's call
 * runs on a thread of its own (lib/rtcall.c), so the agent's loop never
 * waits on `runc exec`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "dockerapi/runtime/runtime.h"
#include "http.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "rtcall.h"
#include "xalloc.h"

struct exec_job {
	struct agent *a;
	char uuid[37];
	char id[65];
	json_t *body;			/* the strings below point into it */
	const char **argv, **env;
	struct rt_process p;
	struct rt_start_opts o;
	struct rt_started s;
};

static void
exec_job_free(struct exec_job *j)
{
	free(j->argv);
	free(j->env);
	json_decref(j->body);
	free(j);
}

/* A list of strings, each passing ok (or NULL for any); NULL if not. */
static const char **
exec_strings(const json_t *a, bool (*ok)(const char *))
{
	const char **v;
	size_t i;

	if (!json_is_array(a))
		return NULL;
	v = xcalloc(json_array_size(a) + 1, sizeof *v);
	for (i = 0; i < json_array_size(a); i++) {
		v[i] = json_string_value(json_array_get(a, i));
		if (v[i] == NULL || (ok != NULL && !ok(v[i]))) {
			free(v);
			return NULL;
		}
	}
	return v;
}

/* NAME=value, or a bare NAME, which unsets the container's variable as
 * dockerd does (rt_exec_env); never an empty name. */
static bool
exec_env_ok(const char *s)
{
	return *s != '\0' && *s != '=';
}

static int
exec_fn(void *arg, sdc_error_t *err)
{
	struct exec_job *j = arg;

	return rt_exec_start(&j->a->rt, j->uuid, j->id, &j->p, &j->o, &j->s,
	    err);
}

static void
exec_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct exec_job *j = arg;
	char *text;
	int code;

	if (rc < 0) {
		text = rt_error_text(&j->a->rt, j->uuid, sdc_error_msg(*err));
		code = (*err)->code;
		log_info("container %s: exec %.12s: %s", j->uuid, j->id, text);
		if (req != NULL)
			http_reply_json(req, (*err)->errnum == ETIMEDOUT ? 504 :
			    code == 404 ? 404 : 400, json_pack("{s:s, s:i}",
			    "message", text, "ExitCode", code == 126 ||
			    code == 127 ? code : 0));
		free(text);
	} else if (req != NULL) {
		log_info("container %s: exec %.12s started, pid %d", j->uuid,
		    j->id, (int)j->s.pid);
		agent_attach_relay(req, j->a, j->uuid, "exec", j->s.attach_fd,
		    j->s.pid);
	} else if (j->s.attach_fd >= 0)
		close(j->s.attach_fd);  /* the head went: the exec runs on */
	exec_job_free(j);
}

/* The container and exec the path names, the container running; or an
 * answer given. */
static bool
exec_names(struct http_request *req, struct agent *a, bool running)
{
	const char *uuid = http_param(req, "uuid");
	const char *id = http_param(req, "exec");
	struct rt_state st;
	sdc_error_t err = NULL;

	if (uuid == NULL || !uuid_valid(uuid) || id == NULL ||
	    !docker_id_valid(id)) {
		agent_error(req, 400, "a container's uuid and an exec's id, "
		    "please");
		return false;
	}
	if (rt_state_read(&a->rt, uuid, &st, &err) < 0) {
		sdc_error_release(&err);
		agent_error(req, 404, "No such container on this node");
		return false;
	}
	if (running && st.status != RT_RUNNING) {
		agent_error(req, 409, st.status == RT_PAUSED ? "the container "
		    "is paused" : "the container is not running");
		return false;
	}
	return true;
}

static int
exec_start(struct http_request *req, void *arg)
{
	static const char *const known[] = { "Argv", "Env", "Cwd", "User",
		"Tty", "OpenStdin", NULL };
	struct agent *a = arg;
	struct exec_job *j;
	sdc_error_t err = NULL;
	const char *key, *cwd;
	json_t *body, *v;
	size_t i;

	if (!exec_names(req, a, true))
		return HTTP_DONE;
	if ((body = http_body_json(req, &err)) == NULL || !json_is_object(body)) {
		agent_error(req, 400, err != NULL ? sdc_error_msg(err) :
		    "the body must be a JSON object");
		sdc_error_release(&err);
		json_decref(body);
		return HTTP_DONE;
	}
	json_object_foreach(body, key, v) {
		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (known[i] == NULL) {
			json_decref(body);
			return agent_error(req, 400, "a field the agent does not "
			    "know in the exec");
		}
	}
	j = xcalloc(1, sizeof *j);
	j->a = a;
	snprintf(j->uuid, sizeof j->uuid, "%s", http_param(req, "uuid"));
	snprintf(j->id, sizeof j->id, "%s", http_param(req, "exec"));
	j->body = body;
	j->argv = exec_strings(json_object_get(body, "Argv"), NULL);
	j->env = json_object_get(body, "Env") == NULL ?
	    xcalloc(1, sizeof *j->env) :
	    exec_strings(json_object_get(body, "Env"), exec_env_ok);
	cwd = json_str(body, "Cwd", NULL);
	if (j->argv == NULL || j->argv[0] == NULL || j->env == NULL ||
	    (cwd != NULL && *cwd != '\0' && *cwd != '/')) {
		exec_job_free(j);
		return agent_error(req, 400, "Argv: a command, Env: NAME=value "
		    "strings or names, Cwd: an absolute path");
	}
	j->p.argv = j->argv;
	j->p.env = j->env;
	j->p.cwd = cwd != NULL && *cwd != '\0' ? cwd : NULL;
	j->p.user = json_str(body, "User", NULL);
	if (j->p.user != NULL && *j->p.user == '\0')
		j->p.user = NULL;
	j->p.tty = json_is_true(json_object_get(body, "Tty"));
	j->p.open_stdin = json_is_true(json_object_get(body, "OpenStdin"));
	j->o.no_log = true;
	j->o.attach = true;
	j->s.attach_fd = -1;
	if (rtcall_start(a->base, req, "exec", exec_fn, exec_done, j,
	    &err) < 0) {
		exec_job_free(j);
		agent_error(req, 500, sdc_error_msg(err));
		sdc_error_release(&err);
		return HTTP_DONE;
	}
	return HTTP_ASYNC;
}

static int
exec_state(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	struct rt_state st;
	sdc_error_t err = NULL;

	if (!exec_names(req, a, false))
		return HTTP_DONE;
	if (rt_exec_state(&a->rt, http_param(req, "uuid"),
	    http_param(req, "exec"), &st, &err) < 0) {
		sdc_error_release(&err);
		return agent_error(req, 404, "No such exec on this node");
	}
	return http_reply_json(req, 200, json_pack("{s:s, s:i, s:i}",
	    "Status", rt_status_name(st.status), "Pid", (int)st.pid,
	    "ExitCode", st.exit_code));
}

const struct route agent_exec_routes[] = {
	{ "POST", "/v1/containers/:uuid/exec/:exec/start", exec_start, 0, NULL },
	{ "GET", "/v1/containers/:uuid/exec/:exec", exec_state, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
