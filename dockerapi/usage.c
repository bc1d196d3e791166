/*
 * usage.c: how many containers and images an account has, for /info and
 * for refusing to delete an account that still has containers.
 */
#include <string.h>

#include "dockerapi.h"

void
usage_counts(struct dockerapi *d, const struct account *a, struct usage_counts *out)
{
	memset(out, 0, sizeof *out);
	out->images = images_api_count(d, a);
	containers_count(d, a->uuid, out);
}
