/*
 * http-client-resolve.c: a host name to addresses, within the request's
 * deadlines and open to an interrupt.
 *
 * getaddrinfo() has no timeout and cannot be woken: a DNS server that
 * never answers holds the caller for the resolver's own retries (tens of
 * seconds), whatever the connect timeout says.  So a name is looked up in
 * a thread of its own while the caller waits in hc_wait() on an eventfd
 * the thread signals, like any other wait of the client.  A caller that
 * gives up (timeout, interrupt, cancel) just leaves: the lookup holds one
 * of two references to its state and frees it when it ends, answer and
 * all.  Address literals need no thread.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "http-client-int.h"
#include "xalloc.h"

struct hc_lookup {
	pthread_mutex_t lock;
	int refs;                       /* the caller's and the thread's */
	int done_fd;                    /* readable once rc and res are set */
	char *host;
	char port[8];
	int rc;                         /* getaddrinfo's */
	struct addrinfo *res;
};

static const struct addrinfo hc_hints = { .ai_socktype = SOCK_STREAM };

static void
hc_lookup_unref(struct hc_lookup *l)
{
	bool last;

	pthread_mutex_lock(&l->lock);
	last = --l->refs == 0;
	pthread_mutex_unlock(&l->lock);
	if (!last)
		return;
	if (l->res != NULL)
		freeaddrinfo(l->res);
	if (l->done_fd >= 0)
		close(l->done_fd);
	pthread_mutex_destroy(&l->lock);
	free(l->host);
	free(l);
}

static void *
hc_lookup_run(void *arg)
{
	struct hc_lookup *l = arg;
	struct addrinfo *res = NULL;
	uint64_t one = 1;
	int rc;

	rc = getaddrinfo(l->host, l->port, &hc_hints, &res);
	pthread_mutex_lock(&l->lock);
	l->rc = rc;
	l->res = res;
	pthread_mutex_unlock(&l->lock);
	if (write(l->done_fd, &one, sizeof one) < 0)
		abort();        /* an eventfd write of 1 cannot fail */
	hc_lookup_unref(l);
	return NULL;
}

/* The thread blocks every signal: they are the process's to handle. */
static int
hc_lookup_start(struct hc_lookup *l)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, &attr, hc_lookup_run, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc;
}

static int
hc_resolve_failed(const char *host, bool proxy, int gai, sdc_error_t *err)
{
	return sdc_make_error_code(err, proxy ? HTTP_CLIENT_E_PROXY_RESOLVE :
	    HTTP_CLIENT_E_RESOLVE, "cannot resolve %s%s: %s",
	    proxy ? "proxy " : "", host, gai_strerror(gai));
}

int
hc_resolve(const char *host, int port, bool proxy, struct addrinfo **res,
    struct hc_wait *w, sdc_error_t *err)
{
	struct addrinfo numeric = hc_hints;
	struct hc_lookup *l;
	char ports[8];
	int rc;

	*res = NULL;
	snprintf(ports, sizeof ports, "%d", port);
	numeric.ai_flags = AI_NUMERICHOST;
	if ((rc = getaddrinfo(host, ports, &numeric, res)) != EAI_NONAME)
		return rc == 0 ? 0 : hc_resolve_failed(host, proxy, rc, err);
	l = xcalloc(1, sizeof *l);
	pthread_mutex_init(&l->lock, NULL);
	l->refs = 2;
	l->host = xstrdup(host);
	memcpy(l->port, ports, sizeof ports);
	if ((l->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    (errno = hc_lookup_start(l)) != 0) {
		sdc_make_error(err, errno, "cannot resolve %s: no thread for "
		    "the lookup", host);
		l->refs = 1;
		hc_lookup_unref(l);
		return -1;
	}
	/* The eventfd is written after rc and res, and never read: once it
	 * is readable, they are final. */
	if (hc_wait(l->done_fd, POLLIN, w, err) < 0) {
		sdc_error_wrap(err, "cannot resolve %s%s", proxy ? "proxy " : "",
		    host);
		hc_lookup_unref(l);
		return -1;
	}
	pthread_mutex_lock(&l->lock);
	rc = l->rc;
	*res = l->res;
	l->res = NULL;
	pthread_mutex_unlock(&l->lock);
	hc_lookup_unref(l);
	return rc == 0 ? 0 : hc_resolve_failed(host, proxy, rc, err);
}
