/*
 * events.c: progress events as the JSON lines a Docker daemon streams.
 *
 * The wording and the field order are Docker's, so the docker CLI draws its
 * progress bars from progressDetail and plain clients see the same text
 * ("progress") the Docker daemon sends: a 50-column bar, then sizes in
 * decimal units with four significant digits ("1.23MB/4.56MB").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images-int.h"
#include "xalloc.h"

static const char *const event_status[] = {
	[IMAGES_EV_PULLING_FROM] = "Pulling from",
	[IMAGES_EV_FS_LAYER] = "Pulling fs layer",
	[IMAGES_EV_WAITING] = "Waiting",
	[IMAGES_EV_DOWNLOADING] = "Downloading",
	[IMAGES_EV_VERIFYING] = "Verifying Checksum",
	[IMAGES_EV_DOWNLOAD_COMPLETE] = "Download complete",
	[IMAGES_EV_EXTRACTING] = "Extracting",
	[IMAGES_EV_PULL_COMPLETE] = "Pull complete",
	[IMAGES_EV_ALREADY_EXISTS] = "Already exists",
	[IMAGES_EV_DIGEST] = "Digest:",
	[IMAGES_EV_STATUS] = "Status:",
	[IMAGES_EV_LOADING] = "Loading layer",
	[IMAGES_EV_LOADED] = "",
	[IMAGES_EV_IMPORTED] = "",
	[IMAGES_EV_PUSH_REFERS] = "The push refers to repository",
	[IMAGES_EV_PREPARING] = "Preparing",
	[IMAGES_EV_PUSHING] = "Pushing",
	[IMAGES_EV_PUSHED] = "Pushed",
	[IMAGES_EV_LAYER_EXISTS] = "Layer already exists",
	[IMAGES_EV_MOUNTED] = "Mounted from",
	[IMAGES_EV_PUSH_DIGEST] = "",
};

/* Docker's units.HumanSize: decimal units, four significant digits. */
static void
event_human(char *out, size_t len, int64_t n)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)n;
	size_t i = 0;

	while (v >= 1000.0 && i + 1 < sizeof unit / sizeof unit[0]) {
		v /= 1000.0;
		i++;
	}
	snprintf(out, len, "%.4g%s", v, unit[i]);
}

static char *
event_bar(int64_t current, int64_t total)
{
	char cur[32], tot[32], bar[64], *out;
	int pct;

	if (current <= 0 && total <= 0)
		return xstrdup("");
	event_human(cur, sizeof cur, current);
	if (total <= 0) {
		xasprintf(&out, "%8s", cur);
		return out;
	}
	pct = (int)((double)current / (double)total * 100) / 2;
	if (pct > 50)
		pct = 50;
	if (pct < 0)
		pct = 0;
	memset(bar, '=', (size_t)pct);
	bar[pct] = '>';
	memset(bar + pct + 1, ' ', (size_t)(50 - pct));
	bar[51] = '\0';
	event_human(tot, sizeof tot, total);
	if (current > total)
		xasprintf(&out, "[%s] %8s", bar, cur);
	else
		xasprintf(&out, "[%s] %8s/%s", bar, cur, tot);
	return out;
}

static bool
event_has_detail(enum images_ev k)
{
	return k != IMAGES_EV_PULLING_FROM && k != IMAGES_EV_DIGEST &&
	    k != IMAGES_EV_STATUS && k != IMAGES_EV_PUSH_REFERS;
}

json_t *
images_event_json(const struct images_event *ev)
{
	json_t *o = json_object(), *detail;
	char *s;

	switch (ev->kind) {
	case IMAGES_EV_LOADED:
		xasprintf(&s, "%s\n", ev->text ? ev->text : "");
		json_object_set_new(o, "stream", json_string(s));
		free(s);
		return o;
	case IMAGES_EV_IMPORTED:
		json_object_set_new(o, "status", json_string(ev->text ? ev->text : ""));
		return o;
	case IMAGES_EV_PUSH_REFERS:
		xasprintf(&s, "%s [%s]", event_status[ev->kind],
		    ev->text ? ev->text : "");
		json_object_set_new(o, "status", json_string(s));
		free(s);
		return o;
	case IMAGES_EV_PUSH_DIGEST:
		xasprintf(&s, "%s: digest: %s size: %lld", ev->id ? ev->id : "",
		    ev->text ? ev->text : "", (long long)ev->total);
		json_object_set_new(o, "status", json_string(s));
		free(s);
		return o;
	case IMAGES_EV_MOUNTED:
		xasprintf(&s, "%s %s", event_status[ev->kind], ev->text ? ev->text : "");
		json_object_set_new(o, "status", json_string(s));
		free(s);
		break;
	case IMAGES_EV_PULLING_FROM:
	case IMAGES_EV_DIGEST:
	case IMAGES_EV_STATUS:
		xasprintf(&s, "%s %s", event_status[ev->kind], ev->text ? ev->text : "");
		json_object_set_new(o, "status", json_string(s));
		free(s);
		break;
	default:
		json_object_set_new(o, "status", json_string(event_status[ev->kind]));
		break;
	}
	if (event_has_detail(ev->kind)) {
		detail = json_object();
		if (ev->kind == IMAGES_EV_DOWNLOADING || ev->kind == IMAGES_EV_EXTRACTING ||
		    ev->kind == IMAGES_EV_LOADING || ev->kind == IMAGES_EV_PUSHING) {
			json_object_set_new(detail, "current", json_integer(ev->current));
			json_object_set_new(detail, "total", json_integer(ev->total));
			json_object_set_new(o, "progressDetail", detail);
			s = event_bar(ev->current, ev->total);
			json_object_set_new(o, "progress", json_string(s));
			free(s);
		} else
			json_object_set_new(o, "progressDetail", detail);
	}
	if (ev->id != NULL)
		json_object_set_new(o, "id", json_string(ev->id));
	return o;
}

json_t *
images_error_json(const char *message)
{
	json_t *o = json_object(), *d = json_object();

	json_object_set_new(d, "message", json_string(message));
	json_object_set_new(o, "errorDetail", d);
	json_object_set_new(o, "error", json_string(message));
	return o;
}
