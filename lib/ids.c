/*
 * ids.c: see ids.h.
 *
 * Randomness comes from getrandom(2) for Docker ids and from libuuid's
 * random generator for UUIDs; neither blocks after early boot.
 */
#include <ctype.h>
#include <string.h>
#include <sys/random.h>
#include <uuid/uuid.h>

#include "ids.h"

void
uuid_make(char out[UUID_LEN + 1])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

bool
uuid_valid(const char *s)
{
	uuid_t u;

	return s != NULL && strlen(s) == UUID_LEN && uuid_parse(s, u) == 0;
}

void
docker_id_make(char out[DOCKER_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[DOCKER_ID_LEN / 2];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof raw) {
		n = getrandom(raw + got, sizeof raw - got, 0);
		if (n > 0)
			got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof raw; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[DOCKER_ID_LEN] = '\0';
}

bool
docker_id_prefix_valid(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++)
		if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
			return false;
	return n >= 1 && n <= DOCKER_ID_LEN;
}

bool
docker_id_valid(const char *s)
{
	return docker_id_prefix_valid(s) && strlen(s) == DOCKER_ID_LEN;
}
