/*
 * netns.c: a function run inside a network namespace (netns.h says why on
 * a thread of its own).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "netns.h"

struct netns_job {
	const char *path;
	int (*fn)(void *, sdc_error_t *);
	void *arg;
	sdc_error_t err;
	int rc;
};

static void *
netns_thread(void *p)
{
	struct netns_job *j = p;
	int fd = open(j->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		j->rc = sdc_make_error(&j->err, errno, "joining the network "
		    "namespace %s", j->path);
	else
		j->rc = j->fn(j->arg, &j->err);
	if (fd >= 0)
		close(fd);
	return NULL;
}

int
netns_run(const char *path, int (*fn)(void *arg, sdc_error_t *err),
    void *arg, sdc_error_t *err)
{
	struct netns_job j = { .path = path, .fn = fn, .arg = arg };
	pthread_t t;
	int e;

	if ((e = pthread_create(&t, NULL, netns_thread, &j)) != 0)
		return sdc_make_error(err, e, "a thread for the network "
		    "namespace %s", path);
	pthread_join(t, NULL);
	if (j.rc < 0) {
		sdc_error_release(err);
		*err = j.err;
		return -1;
	}
	sdc_error_release(&j.err);
	return 0;
}
