/*
 * errtext.c: a runtime error as a tenant may read it.
 *
 * runc's messages, and the library's own, name host paths: the
 * container's folder under the zones root, its volumes there, the image
 * store's layer folders, runc's state folder, the /proc/<pid>/fd links
 * runc and the monitor reach files through.  The reason is the tenant's
 * to know ("not a directory", "permission denied"); where the node keeps
 * its files is not.  So every path-like word of the text is looked at:
 * one inside the container's root filesystem becomes the path the
 * container sees ("<zones>/<id>/root/etc/passwd" is "/etc/passwd"), one
 * under any other of those places becomes "(host path)", and anything
 * else (a path inside the container, as in `exec: "/nope": stat /nope`)
 * stays.  The daemon logs the whole text for the operator before it
 * answers with this one.
 */
#include <ctype.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

#define RT_HOST_PATH "(host path)"

/* s starts with prefix as a whole path (prefix, or prefix and '/'). */
static size_t
rt_errtext_under(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	if (n == 0 || len < n || strncmp(s, prefix, n) != 0)
		return 0;
	return len == n || s[n] == '/' ? n : 0;
}

/* /proc/self/fd/N, /proc/thread-self/fd/N, /proc/<pid>/fd/N, ... */
static bool
rt_errtext_proc_fd(const char *s, size_t len)
{
	const char *p = s + 6, *end = s + len;

	if (len < 6 || strncmp(s, "/proc/", 6) != 0)
		return false;
	if (strncmp(p, "self/", 5) == 0)
		p += 5;
	else if (strncmp(p, "thread-self/", 12) == 0)
		p += 12;
	else {
		while (p < end && isdigit((unsigned char)*p))
			p++;
		if (p == s + 6 || p >= end || *p != '/')
			return false;
		p++;
	}
	return end - p >= 2 && strncmp(p, "fd", 2) == 0 &&
	    (end - p == 2 || p[2] == '/');
}

static bool
rt_errtext_delim(char c)
{
	return c == '\0' || isspace((unsigned char)c) || c == '"' ||
	    c == '\'' || c == ',' || c == ';' || c == ':' || c == ')' ||
	    c == '(' || c == '[' || c == ']' || c == '=' || c == '`';
}

char *
rt_error_public(const struct rt_config *cfg, const char *id,
    const char *const *host_dirs, const char *msg)
{
	struct buf out = BUF_INIT;
	char *dir = rt_path(cfg, id, NULL), *root = rt_path(cfg, id, RT_DIR_ROOT);
	const char *p = msg, *start;
	const char *const *h;
	size_t len, n;
	bool host;

	while (*p != '\0') {
		if (*p != '/' || (p > msg && !rt_errtext_delim(p[-1]))) {
			buf_putc(&out, *p++);
			continue;
		}
		start = p;
		while (!rt_errtext_delim(*p))
			p++;
		len = (size_t)(p - start);
		if ((n = rt_errtext_under(start, len, root)) > 0) {
			if (n == len)
				buf_putc(&out, '/');
			else
				buf_append(&out, start + n, len - n);
			continue;
		}
		host = rt_errtext_under(start, len, dir) > 0 ||
		    rt_errtext_under(start, len, rt_zones(cfg)) > 0 ||
		    rt_errtext_under(start, len, rt_runtime_root(cfg)) > 0 ||
		    (cfg->volumes != NULL &&
		    rt_errtext_under(start, len, cfg->volumes) > 0) ||
		    rt_errtext_proc_fd(start, len);
		for (h = host_dirs; !host && h != NULL && *h != NULL; h++)
			host = rt_errtext_under(start, len, *h) > 0;
		if (host)
			buf_puts(&out, RT_HOST_PATH);
		else
			buf_append(&out, start, len);
	}
	free(dir);
	free(root);
	buf_putc(&out, '\0');
	return buf_detach(&out, NULL);
}

char *
rt_error_text(const struct rt_config *cfg, const char *id, const char *msg)
{
	json_t *rt, *v;
	sdc_error_t ignored = NULL;
	char *path, *out, **dirs = NULL, *copy;
	size_t i, n = 0;

	if (rt_id_check("container id", id, &ignored) < 0) {
		sdc_error_release(&ignored);
		return rt_error_public(cfg, "-", NULL, msg);
	}
	path = rt_path(cfg, id, RT_FILE_RUNTIME);
	rt = rt_json_read(path, &ignored);
	sdc_error_release(&ignored);
	free(path);
	/* The folders that hold the image's layers. */
	dirs = xcalloc(json_array_size(json_object_get(rt, "layers")) + 1,
	    sizeof *dirs);
	json_array_foreach(json_object_get(rt, "layers"), i, v) {
		if (json_string_value(v) == NULL)
			continue;
		copy = xstrdup(json_string_value(v));
		if (strcmp(dirname(copy), "/") != 0)
			dirs[n++] = xstrdup(copy);
		free(copy);
	}
	json_decref(rt);
	out = rt_error_public(cfg, id, (const char *const *)dirs, msg);
	for (i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
	return out;
}
