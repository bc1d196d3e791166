/*
 * sapiadm.c: the command line of the config service: options, then one
 * subcommand from the table.
 *
 * Options may stand anywhere (GNU order), so `sapiadm update UUID --action
 * delete metadata.X` and `sapiadm --json get UUID` both read naturally;
 * "--" ends them.  The exit status is all a script needs: 0 done, 1 the
 * service said no or could not be reached (the reason on stderr), 2 the
 * command line was wrong.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sapiadm.h"
#include "xalloc.h"

static const struct sapiadm_cmd *const sapiadm_cmds[] = {
	&sapiadm_get_cmd,
	&sapiadm_showapp_cmd,
	&sapiadm_update_cmd,
	&sapiadm_watch_cmd,
	&sapiadm_list_cmd,
	&sapiadm_create_cmd,
	&sapiadm_delete_cmd,
	NULL
};

static void
sapiadm_usage(FILE *f)
{
	char *def = sapi_default_url();
	int i;

	fprintf(f, "usage: sapiadm [--url URL] [--cert-path DIR] [--json] "
	    "COMMAND ...\n");
	for (i = 0; sapiadm_cmds[i] != NULL; i++)
		fprintf(f, "  sapiadm %s %s\n      %s\n", sapiadm_cmds[i]->name,
		    sapiadm_cmds[i]->args, sapiadm_cmds[i]->help);
	fprintf(f, "The service is at --url, else $SAPI_URL, else %s.\n"
	    "URL is unix:PATH or https://HOST:PORT; for https, --cert-path\n"
	    "(else $SAPI_CERT_PATH) holds the operator's cert.pem, key.pem and\n"
	    "ca.pem.\n"
	    "Exit status: 0 done, 1 refused or unreachable, 2 usage.\n", def);
	free(def);
}

int
sapiadm_fail(sdc_error_t *err)
{
	fprintf(stderr, "sapiadm: %s\n", sdc_error_msg(*err));
	sdc_error_release(err);
	return SAPIADM_FAIL;
}

void
sapiadm_print(const struct sapiadm *a, const json_t *v)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
	    (a->json ? JSON_COMPACT : JSON_INDENT(2)));

	if (text != NULL) {
		printf("%s\n", text);
		free(text);
	}
	fflush(stdout);
}

json_t *
sapiadm_find(struct sapiadm *a, const char *uuid, enum sapi_object *kind,
    sdc_error_t *err)
{
	static const enum sapi_object kinds[] = {
		SAPI_OBJ_APPLICATION, SAPI_OBJ_SERVICE, SAPI_OBJ_INSTANCE,
		SAPI_OBJ_MANIFEST
	};
	json_t *obj;
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		obj = sapi_client_get(a->c, kinds[i], uuid, err);
		if (obj != NULL) {
			*kind = kinds[i];
			return obj;
		}
		if ((*err)->code != 404)
			return NULL;
		sdc_error_release(err);
	}
	sdc_make_error_code(err, 404, "no object with uuid %s", uuid);
	return NULL;
}

int
sapiadm_kind(const char *name, enum sapi_object *kind)
{
	static const enum sapi_object kinds[] = {
		SAPI_OBJ_APPLICATION, SAPI_OBJ_SERVICE, SAPI_OBJ_INSTANCE,
		SAPI_OBJ_MANIFEST
	};
	const char *path;
	size_t i, n = strlen(name);

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		path = sapi_object_path(kinds[i]);
		/* "services", or "service" */
		if (strcmp(name, path) == 0 || (n + 1 == strlen(path) &&
		    strncmp(name, path, n) == 0)) {
			*kind = kinds[i];
			return 0;
		}
	}
	return -1;
}

static json_t *
sapiadm_value(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	return v != NULL ? v : json_string(text);
}

/* Add "FIELD.KEY=VALUE" (or "FIELD.KEY" when deleting) to body. */
int
sapiadm_assign(json_t *body, const char *arg, bool deleting)
{
	const char *eq = strchr(arg, '='), *dot = strchr(arg, '.');
	size_t keylen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	char field[16], *key;
	json_t *map, *value;

	if (dot == NULL || dot > arg + keylen) {        /* a top-level field */
		if (eq == NULL || deleting)
			return -1;
		key = xstrndup(arg, keylen);
		json_object_set_new(body, key, sapiadm_value(eq + 1));
		free(key);
		return 0;
	}
	if ((size_t)(dot - arg) >= sizeof field || dot + 1 == arg + keylen ||
	    (eq == NULL && !deleting))
		return -1;
	snprintf(field, sizeof field, "%.*s", (int)(dot - arg), arg);
	if (strcmp(field, "metadata") != 0 && strcmp(field, "params") != 0 &&
	    strcmp(field, "manifests") != 0)
		return -1;
	if ((map = json_object_get(body, field)) == NULL) {
		map = json_object();
		json_object_set_new(body, field, map);
	}
	key = xstrndup(dot + 1, (size_t)(arg + keylen - dot - 1));
	value = deleting ? json_null() : sapiadm_value(eq + 1);
	json_object_set_new(map, key, value);
	free(key);
	return 0;
}

json_t *
sapiadm_read_body(sdc_error_t *err)
{
	json_error_t je;
	json_t *body;

	if ((body = json_loadf(stdin, 0, &je)) == NULL) {
		sdc_make_error(err, 0, "stdin: line %d: %s", je.line, je.text);
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		sdc_make_error(err, 0, "stdin: expected a JSON object");
		return NULL;
	}
	return body;
}

static const struct sapiadm_cmd *
sapiadm_lookup(const char *name)
{
	int i;

	for (i = 0; sapiadm_cmds[i] != NULL; i++)
		if (strcmp(sapiadm_cmds[i]->name, name) == 0)
			return sapiadm_cmds[i];
	return NULL;
}

/* Options; returns the index of the first operand, or -1 (usage). */
static int
sapiadm_options(struct sapiadm *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "cert-path", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "action", required_argument, NULL, 'a' },
		{ "if-match", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'n' },
		{ "wait", required_argument, NULL, 'w' },
		{ "cache", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "hjn:u:", longopts, NULL)) != -1) {
		switch (c) {
		case 'u': a->url = optarg; break;
		case 'C': a->cert_path = optarg; break;
		case 'j': a->json = true; break;
		case 'a': a->action = optarg; break;
		case 'c': a->cache = optarg; break;
		case 'm':
			a->if_match = strtoll(optarg, &end, 10);
			if (*end != '\0' || a->if_match <= 0)
				return -1;
			break;
		case 'n':
			a->count = strtol(optarg, &end, 10);
			if (*end != '\0' || a->count <= 0)
				return -1;
			break;
		case 'w':
			a->wait = strtod(optarg, &end);
			if (*end != '\0' || a->wait <= 0)
				return -1;
			break;
		case 'h':
			sapiadm_usage(stdout);
			exit(SAPIADM_OK);
		case 'V':
			printf("sapiadm %s\n", SDC_VERSION);
			exit(SAPIADM_OK);
		default:
			return -1;
		}
	}
	return optind;
}

int
main(int argc, char **argv)
{
	struct sapiadm a = { 0 };
	const struct sapiadm_cmd *cmd;
	sdc_error_t err = NULL;
	int first, rc;

	if ((first = sapiadm_options(&a, argc, argv)) < 0 || first >= argc) {
		sapiadm_usage(stderr);
		return SAPIADM_USAGE;
	}
	if ((cmd = sapiadm_lookup(argv[first])) == NULL) {
		fprintf(stderr, "sapiadm: unknown command \"%s\"\n", argv[first]);
		sapiadm_usage(stderr);
		return SAPIADM_USAGE;
	}
	if ((a.c = sapi_client_new_tls(a.url, a.cert_path, &err)) == NULL)
		return sapiadm_fail(&err);
	rc = cmd->exec(&a, argc - first - 1, argv + first + 1);
	if (rc == SAPIADM_USAGE)
		fprintf(stderr, "usage: sapiadm %s %s\n", cmd->name, cmd->args);
	sapi_client_free(a.c);
	return rc;
}
