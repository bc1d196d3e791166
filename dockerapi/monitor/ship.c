/*
 * ship.c: sending the container's output to a log server (the syslog,
 * gelf and fluentd drivers), the transport half; shipfmt.c makes the
 * messages.
 *
 * The daemon resolved and checked the address before the monitor
 * started (dockerapi/logship.c: no loopback, link-local, private or own
 * address unless the operator allows it, no other account's network), so
 * the monitor is handed a numeric address and never resolves a name: a
 * DNS answer cannot move the target after the check.
 *
 * A log server must never hold up the container, so every socket is
 * non-blocking.  Datagrams (udp, unixgram) go out one per message and
 * are dropped when the socket cannot take them, as with any datagram.
 * Streams (tcp, unix) queue what the socket does not take in a fixed
 * buffer drained when poll() says it can; while the server is away the
 * buffer keeps what fits (and no more records than the buffer limit),
 * and a reconnection is tried at most every retry-wait, up to
 * max-retries times in a row.  A stream that cannot be connected at
 * start fails the start, as dockerd's drivers do, unless async-connect
 * was asked for.  At the end what is queued gets a short while to go.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor.h"

#define SHIP_BUF (256 * 1024)
#define SHIP_CONNECT_MS 5000
#define SHIP_DRAIN_MS 2000

static struct sockaddr_storage ship_sa;
static socklen_t ship_salen;
static int ship_type;			/* SOCK_DGRAM or SOCK_STREAM */
static int ship_fd = -1;
static bool ship_connected;
static long long ship_last_try;
static int ship_failures;
static char ship_buf[SHIP_BUF];
static size_t ship_len;
static long ship_queued;		/* records in ship_buf */
static long long ship_dropped;

/* "udp:1.2.3.4:514", "tcp:[::1]:24224", "unix:/dev/log", "unixgram:..." */
static int
ship_parse(const char *addr, sdc_error_t *err)
{
	const char *colon = strchr(addr, ':'), *host, *port;
	char h[64];
	size_t n;

	memset(&ship_sa, 0, sizeof ship_sa);
	if (colon == NULL)
		return sdc_make_error(err, 0, "--log-address: bad address '%s'",
		    addr);
	if (strncmp(addr, "unix:", 5) == 0 || strncmp(addr, "unixgram:", 9) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)(void *)&ship_sa;

		ship_type = addr[4] == ':' ? SOCK_STREAM : SOCK_DGRAM;
		if (strlen(colon + 1) >= sizeof un->sun_path)
			return sdc_make_error(err, 0, "--log-address: path too "
			    "long");
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, colon + 1);
		ship_salen = sizeof *un;
		return 0;
	}
	ship_type = strncmp(addr, "udp:", 4) == 0 ? SOCK_DGRAM : SOCK_STREAM;
	host = colon + 1;
	if ((port = strrchr(host, ':')) == NULL)
		return sdc_make_error(err, 0, "--log-address: no port in '%s'",
		    addr);
	n = (size_t)(port - host);
	if (host[0] == '[') {
		host++;
		n -= 2;
	}
	if (n >= sizeof h)
		return sdc_make_error(err, 0, "--log-address: bad host");
	memcpy(h, host, n);
	h[n] = '\0';
	if (strchr(h, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ship_sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port + 1));
		if (inet_pton(AF_INET6, h, &s6->sin6_addr) != 1)
			return sdc_make_error(err, 0, "--log-address: bad "
			    "address '%s'", h);
		ship_salen = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ship_sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(port + 1));
		if (inet_pton(AF_INET, h, &s4->sin_addr) != 1)
			return sdc_make_error(err, 0, "--log-address: bad "
			    "address '%s'", h);
		ship_salen = sizeof *s4;
	}
	return 0;
}

static void
ship_drop_socket(void)
{
	if (ship_fd >= 0) {
		loop_del(ship_fd);
		close(ship_fd);
	}
	ship_fd = -1;
	ship_connected = false;
}

static void ship_ready(int fd, short revents, void *arg);

/* Start a connection; true if it completed (or is a datagram socket). */
static bool
ship_connect(void)
{
	ship_drop_socket();
	ship_last_try = time_mono_ms();
	ship_fd = socket(ship_sa.ss_family, ship_type | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (ship_fd < 0)
		return false;
	if (connect(ship_fd, (struct sockaddr *)&ship_sa, ship_salen) == 0) {
		ship_connected = true;
		ship_failures = 0;
		loop_add(ship_fd, ship_len > 0 ? POLLOUT : POLLIN, ship_ready,
		    NULL);
		return true;
	}
	if (errno != EINPROGRESS && errno != EAGAIN) {
		ship_drop_socket();
		ship_failures++;
		return false;
	}
	loop_add(ship_fd, POLLOUT, ship_ready, NULL);
	return false;
}

/* Send what is queued; false when the connection is gone. */
static bool
ship_flush(void)
{
	ssize_t w;

	while (ship_len > 0) {
		w = send(ship_fd, ship_buf, ship_len, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (w <= 0)
			return false;
		memmove(ship_buf, ship_buf + w, ship_len - (size_t)w);
		ship_len -= (size_t)w;
	}
	if (ship_len == 0)
		ship_queued = 0;
	loop_events(ship_fd, ship_len > 0 ? POLLOUT : POLLIN);
	return true;
}

/* The server went: what is queued may be cut mid-record, so it goes. */
static void
ship_lost(void)
{
	ship_drop_socket();
	ship_dropped += ship_queued;
	ship_len = 0;
	ship_queued = 0;
	ship_failures++;
}

static void
ship_ready(int fd, short revents, void *arg)
{
	char sink[512];
	int e = 0;
	socklen_t el = sizeof e;

	(void)arg;
	if (!ship_connected) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0) {
			ship_drop_socket();
			ship_failures++;
			return;
		}
		ship_connected = true;
		ship_failures = 0;
	}
	if (revents & POLLIN) {
		/* a server says nothing in these protocols: EOF is its end */
		ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			ship_lost();
			return;
		}
	}
	if ((revents & (POLLERR | POLLHUP)) || !ship_flush())
		ship_lost();
}

int
ship_open(const struct mon_opts *o, sdc_error_t *err)
{
	struct pollfd p;
	long long end;
	int e = 0;
	socklen_t el = sizeof e;

	if (ship_parse(o->ship_address, err) < 0)
		return -1;
	if (ship_connect() || ship_type == SOCK_DGRAM)
		return ship_fd >= 0 || o->ship_async ? 0 :
		    sdc_make_error(err, errno, "failed to initialize logging "
		    "driver: dial %s", o->ship_address);
	if (o->ship_async)
		return 0;
	/* dockerd's drivers dial before the container starts */
	end = time_mono_ms() + SHIP_CONNECT_MS;
	while (ship_fd >= 0 && !ship_connected && time_mono_ms() < end) {
		p.fd = ship_fd;
		p.events = POLLOUT;
		if (poll(&p, 1, (int)(end - time_mono_ms())) <= 0)
			continue;
		if (getsockopt(ship_fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 ||
		    e != 0)
			break;
		ship_connected = true;
		loop_events(ship_fd, POLLIN);
	}
	if (!ship_connected) {
		ship_drop_socket();
		return sdc_make_error(err, e != 0 ? e : ETIMEDOUT,
		    "failed to initialize logging driver: dial %s",
		    o->ship_address);
	}
	return 0;
}

void
ship_send(const char *msg, size_t len)
{
	const struct mon_opts *o = mon_opts;

	if (ship_type == SOCK_DGRAM) {
		if (ship_fd < 0 && !ship_connect())
			if (ship_fd < 0)
				return;
		if (send(ship_fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			ship_dropped++;
		return;
	}
	if (ship_fd < 0 && (o->ship_max_retries == 0 ||
	    ship_failures < o->ship_max_retries) &&
	    time_mono_ms() - ship_last_try >= o->ship_retry_ms)
		ship_connect();
	if (len > sizeof ship_buf - ship_len || (o->ship_buffer_limit > 0 &&
	    ship_queued >= o->ship_buffer_limit)) {
		ship_dropped++;
		return;
	}
	memcpy(ship_buf + ship_len, msg, len);
	ship_len += len;
	ship_queued++;
	if (ship_connected && !ship_flush())
		ship_lost();
}

void
ship_close(void)
{
	long long end = time_mono_ms() + SHIP_DRAIN_MS;
	struct pollfd p;

	while (ship_fd >= 0 && ship_len > 0 && time_mono_ms() < end) {
		p.fd = ship_fd;
		p.events = POLLOUT;
		if (poll(&p, 1, (int)(end - time_mono_ms())) <= 0)
			continue;
		if (!ship_connected) {
			int e = 0;
			socklen_t el = sizeof e;

			if (getsockopt(ship_fd, SOL_SOCKET, SO_ERROR, &e,
			    &el) < 0 || e != 0)
				break;
			ship_connected = true;
		}
		if (!ship_flush())
			break;
	}
	if (ship_fd >= 0 && ship_type == SOCK_STREAM)
		shutdown(ship_fd, SHUT_WR);
	ship_drop_socket();
}
