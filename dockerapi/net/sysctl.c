/*
 * sysctl.c: the few kernel settings networking needs, written through
 * /proc/sys: forwarding (on for the node, logged when we turn it on, since
 * it changes the host), and per bridge route_localnet (the host's own
 * connections to 127.0.0.1:port are DNAT'd to a container; our input
 * chain drops whatever a container sends to 127/8), rp_filter (strict: a
 * source forged by a container is dropped) and no IPv6 (only IPv4
 * is routed; a link-local v6 address on the bridge would be one more way
 * to the host).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "dockerapi/net/internal.h"

int
net_sysctl_set(const char *path, const char *value, sdc_error_t *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return sdc_make_error(err, errno, "opening %s", path);
	if (fd_write_all(fd, value, strlen(value)) < 0) {
		sdc_make_error(err, errno, "writing %s to %s", value, path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
net_forwarding_on(sdc_error_t *err)
{
	static const char path[] = "/proc/sys/net/ipv4/ip_forward";
	char c = '0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &c, 1) != 1) {
		if (fd >= 0)
			close(fd);
		return sdc_make_error(err, errno, "reading %s", path);
	}
	close(fd);
	if (c == '1')
		return 0;
	if (net_sysctl_set(path, "1", err) < 0)
		return -1;
	log_info("net.ipv4.ip_forward was 0: set to 1 for containers' networks");
	return 0;
}
