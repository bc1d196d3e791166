/*
 * util.c: the small helpers every file of the image layer needs: sha256
 * digests in Docker's "sha256:<hex>" spelling, temp names and tree sizes
 * (trees are removed with lib's fs_rmtree()).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "images-int.h"
#include "xalloc.h"

bool
digest_valid(const char *d)
{
	if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + DIGEST_HEX)
		return false;
	for (d += 7; *d != '\0'; d++)
		if (!((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'f')))
			return false;
	return true;
}

const char *
digest_hex(const char *d)
{
	return d + 7;
}

void
digest_final(EVP_MD_CTX *md, char out[72])
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(md, raw, &n);
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", raw[i]);
	out[71] = '\0';
}

char *
digest_of(const void *data, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char out[72];

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, data, len);
	digest_final(md, out);
	EVP_MD_CTX_free(md);
	return xstrdup(out);
}

void
digest_short(const char *d, char out[13])
{
	const char *hex = strncmp(d, "sha256:", 7) == 0 ? d + 7 : d;

	snprintf(out, 13, "%s", hex);
}


char *
tmp_name(const char *dir, const char *prefix)
{
	unsigned char r[8];
	char *out;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		abort();
	xasprintf(&out, "%s/%s-%02x%02x%02x%02x%02x%02x%02x%02x", dir, prefix,
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
	return out;
}

static _Thread_local int64_t tree_bytes;

static int
tree_size_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F && S_ISREG(sb->st_mode))
		tree_bytes += sb->st_size;
	return 0;
}

int64_t
tree_size(const char *path)
{
	tree_bytes = 0;
	nftw(path, tree_size_one, 32, FTW_PHYS);
	return tree_bytes;
}
