/*
 * user.c: Docker's User ("uid", "uid:gid", "name", "name:group") against
 * the image's own /etc/passwd and /etc/group.
 *
 * The files are opened with RESOLVE_IN_ROOT, so an image whose /etc/passwd
 * is a symlink to an absolute path reads its own file, not the host's.  As
 * with Docker: a numeric uid missing from passwd runs with gid 0 and home
 * "/"; a name that is missing is an error; the supplementary groups are
 * those of /etc/group that list the user.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

static FILE *
rt_user_open(const char *rootfs, const char *name)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT };
	int dfd, fd;
	FILE *f;

	if ((dfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return NULL;
	fd = (int)syscall(SYS_openat2, dfd, name, &how, sizeof how);
	close(dfd);
	if (fd < 0 || (f = fdopen(fd, "r")) == NULL) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return f;
}

static bool
rt_user_numeric(const char *s, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	*out = strtoul(s, &end, 10);
	return *end == '\0';
}

/* Split a passwd/group line at ':' into at most n fields. */
static int
rt_user_fields(char *line, char **f, int n)
{
	int i = 0;

	line[strcspn(line, "\n")] = '\0';
	f[i++] = line;
	while (i < n && (line = strchr(line, ':')) != NULL) {
		*line++ = '\0';
		f[i++] = line;
	}
	return i;
}

static int
rt_user_passwd(const char *rootfs, const char *user, struct rt_user *u,
    char *name, size_t namelen, sdc_error_t *err)
{
	char line[1024], *f[7];
	unsigned long uid = 0;
	bool numeric = rt_user_numeric(user, &uid);
	FILE *fp = rt_user_open(rootfs, "/etc/passwd");

	if (numeric) {
		u->uid = (uid_t)uid;
		u->gid = 0;
	}
	while (fp != NULL && fgets(line, sizeof line, fp) != NULL) {
		if (rt_user_fields(line, f, 7) < 7)
			continue;
		if (numeric ? strtoul(f[2], NULL, 10) != uid :
		    strcmp(f[0], user) != 0)
			continue;
		u->uid = (uid_t)strtoul(f[2], NULL, 10);
		u->gid = (gid_t)strtoul(f[3], NULL, 10);
		snprintf(u->home, sizeof u->home, "%s", f[5]);
		snprintf(name, namelen, "%s", f[0]);
		fclose(fp);
		return 0;
	}
	if (fp != NULL)
		fclose(fp);
	if (!numeric)
		return sdc_make_error(err, 0, "unable to find user %s: no matching "
		    "entries in passwd file", user);
	return 0;
}

/* Look up group by name or number (when want is not NULL), and collect
 * the groups that list name as a member. */
static int
rt_user_groups(const char *rootfs, const char *want, const char *name,
    struct rt_user *u, sdc_error_t *err)
{
	char line[4096], *f[4], *m, *save;
	unsigned long gid = 0;
	bool numeric = want != NULL && rt_user_numeric(want, &gid), found = false;
	FILE *fp = rt_user_open(rootfs, "/etc/group");

	if (numeric) {
		u->gid = (gid_t)gid;
		found = true;
	}
	while (fp != NULL && fgets(line, sizeof line, fp) != NULL) {
		if (rt_user_fields(line, f, 4) < 4)
			continue;
		if (want != NULL && !numeric && strcmp(f[0], want) == 0) {
			u->gid = (gid_t)strtoul(f[2], NULL, 10);
			found = true;
		}
		for (m = strtok_r(f[3], ",", &save); m != NULL && name[0] != '\0';
		    m = strtok_r(NULL, ",", &save))
			if (strcmp(m, name) == 0 && u->ngids < 64)
				u->gids[u->ngids++] = (gid_t)strtoul(f[2], NULL, 10);
	}
	if (fp != NULL)
		fclose(fp);
	if (want != NULL && !found)
		return sdc_make_error(err, 0, "unable to find group %s: no matching "
		    "entries in group file", want);
	return 0;
}

int
rt_user_resolve(const char *rootfs, const char *spec, struct rt_user *u,
    sdc_error_t *err)
{
	char *user, *group, name[256] = "";
	int rc;

	memset(u, 0, sizeof *u);
	strcpy(u->home, "/");
	if (spec == NULL || spec[0] == '\0')
		spec = "0";
	user = xstrdup(spec);
	if ((group = strchr(user, ':')) != NULL)
		*group++ = '\0';
	rc = rt_user_passwd(rootfs, user[0] != '\0' ? user : "0", u, name,
	    sizeof name, err);
	if (rc == 0)
		rc = rt_user_groups(rootfs, group, name, u, err);
	free(user);
	return rc;
}

int
rt_group_gid(const char *rootfs, const char *group, gid_t *out,
    sdc_error_t *err)
{
	struct rt_user u;

	memset(&u, 0, sizeof u);
	if (rt_user_groups(rootfs, group, "", &u, err) < 0)
		return -1;
	*out = u.gid;
	return 0;
}

bool
rt_user_name(const char *rootfs, uid_t uid, char *name, size_t len)
{
	char line[1024], *f[7];
	FILE *fp = rt_user_open(rootfs, "/etc/passwd");
	bool found = false;

	while (!found && fp != NULL && fgets(line, sizeof line, fp) != NULL) {
		if (rt_user_fields(line, f, 7) < 3 || f[2][0] == '\0' ||
		    strtoul(f[2], NULL, 10) != (unsigned long)uid)
			continue;
		snprintf(name, len, "%s", f[0]);
		found = true;
	}
	if (fp != NULL)
		fclose(fp);
	return found;
}
