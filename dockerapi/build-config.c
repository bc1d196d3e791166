/*
 * build-config.c: FROM, ARG and the instructions that only change the
 * image's config (ENV, LABEL, WORKDIR, USER, CMD, ENTRYPOINT, EXPOSE,
 * VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD, MAINTAINER).  FROM
 * looks up the account's own images only; the config steps commit the
 * config alone (an empty_layer history entry), as the classic builder.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "build-int.h"
#include "containers.h"
#include "jsonutil.h"
#include "xalloc.h"

/* ---- the config instructions ---- */

static json_t *
strv_json(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* CMD, ENTRYPOINT, HEALTHCHECK CMD: exec form, or the shell's. */
json_t *
build_command_json(struct build *b, const struct df_instr *in, size_t from)
{
	json_t *a;

	if (in->json)
		return strv_json(in->args + from, in->nargs - from);
	a = json_deep_copy(json_object_get(b->config, "Shell"));
	if (!json_is_array(a)) {
		json_decref(a);
		a = json_pack("[s,s]", "/bin/sh", "-c");
	}
	if (in->nargs > from)
		json_array_append_new(a, json_string(in->args[from]));
	return a;
}

/* Go's duration ("30s", "1m30s", "500ms") in nanoseconds. */
static int
duration_ns(const char *s, int64_t *out)
{
	static const struct { const char *u; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000LL }, { "m", 60000000000LL }, { "h", 3600000000000LL },
	};
	int64_t total = 0;

	if (*s == '\0')
		return -1;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		if (end == s || v < 0)
			return -1;
		size_t best = 0;
		int64_t mul = 0;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t l = strlen(units[i].u);
			if (strncmp(end, units[i].u, l) == 0 && l > best &&
			    !(l == 1 && units[i].u[0] == 'm' && end[1] == 's')) {
				best = l;
				mul = units[i].ns;
			}
		}
		if (best == 0)
			return -1;
		total += (int64_t)(v * (double)mul);
		s = end + best;
	}
	*out = total;
	return 0;
}

int
step_config(struct build *b, const struct df_instr *in, sdc_error_t *err)
{
	json_t *c = b->config;
	char *x = NULL, *y = NULL;

	if (in->cmd != DF_HEALTHCHECK && dockerfile_check_flags(in, NULL, err) < 0)
		return -1;
	switch (in->cmd) {
	case DF_ENV:
	case DF_LABEL:
		for (size_t i = 0; i + 1 < in->nargs; i += 2) {
			if (build_expand(b, in->args[i], &x, err) < 0 ||
			    build_expand(b, in->args[i + 1], &y, err) < 0)
				goto fail;
			if (in->cmd == DF_ENV)
				build_env_set(c, x, y);
			else {
				if (labels_reserved(b->d, x)) {
					sdc_make_error_code(err, 400, "Dockerfile line %d: "
					    "the label %s is reserved", in->line, x);
					goto fail;
				}
				if (!json_is_object(json_object_get(c, "Labels")))
					json_object_set_new(c, "Labels", json_object());
				json_object_set_new(json_object_get(c, "Labels"), x,
				    json_string(y));
			}
			free(x);
			free(y);
			x = y = NULL;
		}
		break;
	case DF_CMD:
		json_object_set_new(c, "Cmd", build_command_json(b, in, 0));
		b->cmd_set = true;
		break;
	case DF_ENTRYPOINT:
		json_object_set_new(c, "Entrypoint", build_command_json(b, in, 0));
		if (!b->cmd_set)
			json_object_set_new(c, "Cmd", json_null());
		break;
	case DF_SHELL:
		json_object_set_new(c, "Shell", strv_json(in->args, in->nargs));
		break;
	case DF_EXPOSE:
		if (!json_is_object(json_object_get(c, "ExposedPorts")))
			json_object_set_new(c, "ExposedPorts", json_object());
		for (size_t i = 0; i < in->nargs; i++) {
			char *p, *end;
			if (build_expand(b, in->args[i], &x, err) < 0)
				goto fail;
			long port = strtol(x, &end, 10);
			if (end == x || port < 1 || port > 65535 || (*end != '\0' &&
			    strcmp(end, "/tcp") != 0 && strcmp(end, "/udp") != 0 &&
			    strcmp(end, "/sctp") != 0)) {
				sdc_make_error_code(err, 400, "Dockerfile line %d: invalid "
				    "port for EXPOSE: %s", in->line, x);
				goto fail;
			}
			xasprintf(&p, "%ld%s", port, *end ? end : "/tcp");
			json_object_set_new(json_object_get(c, "ExposedPorts"), p,
			    json_object());
			free(p);
			free(x);
			x = NULL;
		}
		break;
	case DF_VOLUME:
		if (!json_is_object(json_object_get(c, "Volumes")))
			json_object_set_new(c, "Volumes", json_object());
		for (size_t i = 0; i < in->nargs; i++) {
			if (build_expand(b, in->args[i], &x, err) < 0)
				goto fail;
			json_object_set_new(json_object_get(c, "Volumes"), x, json_object());
			free(x);
			x = NULL;
		}
		break;
	case DF_USER:
	case DF_STOPSIGNAL:
		if (build_expand(b, in->args[0], &x, err) < 0)
			goto fail;
		json_object_set_new(c, in->cmd == DF_USER ? "User" : "StopSignal",
		    json_string(x));
		break;
	case DF_WORKDIR: {
		char *j;
		if (build_expand(b, in->args[0], &x, err) < 0)
			goto fail;
		if (x[0] == '/')
			j = xstrdup(x);
		else
			xasprintf(&j, "%s/%s", json_str(c, "WorkingDir", "/"), x);
		y = dockerignore_clean(j);
		free(j);
		json_object_set_new(c, "WorkingDir", json_string(y));
		break;
	}
	case DF_MAINTAINER:
		free(b->author);
		b->author = xstrdup(in->args[0]);
		break;
	case DF_ONBUILD: {
		json_t *ob = json_object_get(c, "OnBuild");
		if (!json_is_array(ob)) {
			ob = json_array();
			json_object_set_new(c, "OnBuild", ob);
		}
		json_array_append_new(ob, json_string(in->args[0]));
		break;
	}
	case DF_HEALTHCHECK: {
		static const char *const hc_flags[] = { "interval", "timeout",
		    "start-period", "start-interval", "retries", NULL };
		static const char *const keys[] = { "Interval", "Timeout",
		    "StartPeriod", "StartInterval" };
		json_t *h = json_object();
		if (dockerfile_check_flags(in, hc_flags, err) < 0) {
			json_decref(h);
			goto fail;
		}
		if (strcmp(in->args[0], "NONE") == 0)
			json_object_set_new(h, "Test", json_pack("[s]", "NONE"));
		else {
			json_t *t = in->json ? strv_json(in->args + 1, in->nargs - 1) :
			    json_pack("[s]", in->args[1]);
			json_array_insert_new(t, 0, json_string(in->json ? "CMD" : "CMD-SHELL"));
			json_object_set_new(h, "Test", t);
		}
		for (size_t i = 0; i < 4; i++) {
			const char *v = dockerfile_flag(in, hc_flags[i]);
			int64_t ns;
			if (v == NULL)
				continue;
			if (duration_ns(v, &ns) < 0) {
				json_decref(h);
				sdc_make_error_code(err, 400, "Dockerfile line %d: invalid "
				    "duration --%s=%s", in->line, hc_flags[i], v);
				goto fail;
			}
			json_object_set_new(h, keys[i], json_integer(ns));
		}
		const char *r = dockerfile_flag(in, "retries");
		if (r != NULL) {
			char *end;
			long n = strtol(r, &end, 10);
			if (end == r || *end || n < 0) {
				json_decref(h);
				sdc_make_error_code(err, 400, "Dockerfile line %d: invalid "
				    "--retries=%s", in->line, r);
				goto fail;
			}
			json_object_set_new(h, "Retries", json_integer(n));
		}
		json_object_set_new(c, "Healthcheck", h);
		break;
	}
	default:
		break;
	}
	free(x);
	free(y);
	char *by;
	xasprintf(&by, "/bin/sh -c #(nop)  %s", in->original);
	int rc = build_commit(b, by, NULL, NULL, err);
	free(by);
	return rc;
fail:
	free(x);
	free(y);
	return -1;
}

/* ---- FROM and ARG ---- */

int
step_arg(struct build *b, const struct df_instr *in, json_t *into, sdc_error_t *err)
{
	for (size_t i = 0; i < in->nargs; i++) {
		char *eq = strchr(in->args[i], '=');
		char *name = eq ? xstrndup(in->args[i], (size_t)(eq - in->args[i])) :
		    xstrdup(in->args[i]);
		json_t *v = json_object_get(b->buildargs, name);
		if (json_is_string(v)) {
			json_object_set(into, name, v);
			json_object_set_new(b->used_args, name, json_true());
		} else if (eq != NULL) {
			char *x;
			if (build_expand(b, eq + 1, &x, err) < 0) {
				free(name);
				return -1;
			}
			json_object_set_new(into, name, json_string(x));
			free(x);
		} else if (json_object_get(b->meta_args, name) && into == b->args) {
			/* a global ARG brought into the stage */
			json_object_set(into, name, json_object_get(b->meta_args, name));
		}
		free(name);
	}
	return 0;
}

/* The base's ONBUILD triggers, to run right after FROM; the new image
 * does not inherit them, as in Docker. */
static int
from_triggers(struct build *b, const struct df_instr *in, sdc_error_t *err)
{
	json_t *ob = json_object_get(b->config, "OnBuild"), *v;
	size_t i, n = json_array_size(ob);

	dockerfile_free(&b->trig);
	b->tpc = 0;
	if (n == 0)
		return 0;
	b->trig.escape = b->df.escape;
	b->trig.instrs = xcalloc(n, sizeof *b->trig.instrs);
	json_array_foreach(ob, i, v) {
		struct df_instr *t = &b->trig.instrs[b->trig.ninstrs];
		const char *text = json_string_value(v);
		if (text == NULL || dockerfile_parse_line(text, b->df.escape, in->line,
		    t, err) < 0)
			return sdc_error_wrap(err, "Dockerfile line %d: the base "
			    "image's ONBUILD trigger", in->line);
		b->trig.ninstrs++;
		if (t->cmd == DF_ONBUILD || t->cmd == DF_FROM || t->cmd == DF_MAINTAINER)
			return sdc_make_error_code(err, 400, "Dockerfile line %d: %s "
			    "isn't allowed as an ONBUILD trigger", in->line,
			    dockerfile_cmd_name(t->cmd));
	}
	json_object_del(b->config, "OnBuild");
	build_say(b, "# Executing %zu build trigger%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* FROM's image is there: the stage starts from it. */
int
step_from_image(struct build *b, const struct df_instr *in, const char *name,
    sdc_error_t *err)
{
	char *id = NULL;
	json_t *config = NULL;

	if (images_resolve(b->d->images, b->account, name, &id, err) < 0 ||
	    images_layers(b->d->images, b->account, id, NULL, &config, err) < 0) {
		if ((*err)->code == 404)
			sdc_error_wrap(err, "Dockerfile line %d: FROM %s: pull the "
			    "image first (docker pull %s), or build with --pull",
			    in->line, name, name);
		free(id);
		return -1;
	}
	b->config = json_deep_copy(json_object_get(config, "config"));
	if (!json_is_object(b->config)) {
		json_decref(b->config);
		b->config = json_object();
	}
	json_decref(config);
	b->image = id;
	build_say(b, " ---> %.12s\n", id + 7);
	return from_triggers(b, in, err);
}

int
step_from(struct build *b, const struct df_instr *in, sdc_error_t *err)
{
	static const char *const from_flags[] = { "platform", NULL };
	const char *plat = dockerfile_flag(in, "platform");
	char *name = NULL;
	json_t *saved = b->args;

	if (dockerfile_check_flags(in, from_flags, err) < 0)
		return -1;
	if (plat != NULL && strcmp(plat, "linux/amd64") != 0 &&
	    strcmp(plat, "$BUILDPLATFORM") != 0 && strcmp(plat, "$TARGETPLATFORM") != 0)
		return sdc_make_error_code(err, 400, "Dockerfile line %d: FROM "
		    "--platform=%s: this builder builds linux/amd64 only", in->line, plat);
	/* FROM sees the global ARGs only */
	b->args = b->meta_args;
	json_t *cfg = b->config;
	b->config = NULL;
	int rc = build_expand(b, in->args[0], &name, err);
	b->config = cfg;
	b->args = saved;
	if (rc < 0)
		return -1;
	/* the stage before is done: COPY --from and FROM may name it */
	if (b->nstages > 0)
		b->stages[b->nstages - 1].image = b->image ? xstrdup(b->image) : NULL;
	b->stages = xrealloc(b->stages, (b->nstages + 1) * sizeof *b->stages);
	b->stages[b->nstages].name = NULL;
	b->stages[b->nstages].image = NULL;
	if (in->nargs == 3) {
		char *lc = xstrdup(in->args[2]);
		for (char *p = lc; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		b->stages[b->nstages].name = lc;
	}
	b->nstages++;
	json_decref(b->args);
	b->args = json_object();
	b->cmd_set = false;
	free(b->image);
	b->image = NULL;
	json_decref(b->config);
	b->config = NULL;
	dockerfile_free(&b->trig);
	b->tpc = 0;
	if (strcmp(name, "scratch") == 0) {
		b->config = json_object();
		free(name);
		build_say(b, " ---> %s\n", "scratch");
		return 0;
	}
	for (size_t i = 0; i + 1 < b->nstages; i++)
		if (b->stages[i].name != NULL && strcasecmp(b->stages[i].name, name) == 0) {
			/* an earlier stage */
			free(name);
			if (b->stages[i].image == NULL) {
				b->config = json_object();
				build_say(b, " ---> %s\n", "scratch");
				return 0;
			}
			name = xstrdup(b->stages[i].image);
			rc = step_from_image(b, in, name, err);
			free(name);
			return rc;
		}
	if (b->pull) {
		rc = build_pull(b, in, name, err);
		free(name);
		return rc < 0 ? -1 : 1;		/* 1: the pull goes on */
	}
	rc = step_from_image(b, in, name, err);
	free(name);
	return rc;
}
