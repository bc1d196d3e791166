/*
 * fuzz_layer_upload.c: arbitrary bytes as a layer a head sends a node's
 * agent (PUT /v1/layers/DIFF_ID?digest=D, agent/layers.c, with its
 * Content-Type and Content-Length), the request's names checked as the
 * route checks them (layer_request_check) and the body then received by
 * the node's layer store as the route's thread receives it
 * (images_node_receive, dockerapi/images/layer-receive.c): the digests'
 * and media type's checks, the length against the bytes that came, the
 * blob's hash, then the unpacker and the diff id.  The tar entries
 * themselves are fuzz_tar_layer's; here the request around them.
 *
 * The input is four lines (the diff id, the digest, the Content-Type,
 * the Content-Length, each as the request carries it) and the body.
 * A sender that hashes its blob would be stopped at the hash every time,
 * so a first line starting "=" (the rest of it then the diff id) puts
 * the body's own digest in the digest's place, and a digest line "="
 * the diff id's, and so the unpacking is reached.  agent/layers.c is
 * compiled into the target for its static checks; its route and the
 * agent's loop are never reached (left unresolved, as fuzz/Makefile
 * says).  The layer store is a temp folder, and a layer received into
 * it is removed again so that every input meets the same store.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "agent/layers.c"
#include "fuzz/fuzz-tmp.h"
#include "dockerapi/images/images-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct images_node_store *fuzz_store;
static char *fuzz_layers;

/* The next line of the input, NUL-ended in place of its '\n'; NULL at
 * the end ("-" alone: the header absent). */
static const char *
fuzz_line(char **p, char *end)
{
	char *s = *p, *nl;

	if (s >= end || (nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	return strcmp(s, "-") == 0 ? NULL : s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *diff, *digest, *media, *length;
	char *copy, *p, *end, *blob_digest = NULL, *dir;
	struct images_node_upload up = { .max_unpacked = 1 << 20 };
	sdc_error_t err = NULL;
	int64_t declared;
	bool created;
	int fd;

	if (fuzz_store == NULL) {
		const char *root = fuzz_tmp_dir("fuzz-layer-upload");

		xasprintf(&fuzz_layers, "%s/layers", root);
		if (images_node_store_open(&fuzz_store, fuzz_layers, &err) < 0)
			abort();
	}
	copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	p = copy;
	end = copy + size;
	diff = fuzz_line(&p, end);
	digest = fuzz_line(&p, end);
	media = fuzz_line(&p, end);
	length = fuzz_line(&p, end);
	if (diff != NULL && diff[0] == '=') {
		blob_digest = digest_of(p, (size_t)(end - p));
		diff++;
		digest = blob_digest;
	} else if (digest != NULL && strcmp(digest, "=") == 0)
		digest = diff;
	if (layer_request_check(diff, digest, media, length, &declared,
	    &err) < 0) {
		if (err == NULL || (err->code != 400 && err->code != 411))
			abort();
		goto out;
	}
	if (images_node_has_layer(fuzz_store, diff))
		goto out;
	/* the body as the route's pipe gives it: what came, then its end */
	if ((fd = memfd_create("body", MFD_CLOEXEC)) < 0)
		abort();
	if (write(fd, p, (size_t)(end - p)) != end - p || lseek(fd, 0,
	    SEEK_SET) != 0)
		abort();
	up.diff_id = diff;
	up.digest = digest;
	up.media_type = media;
	up.size = declared;
	if (images_node_receive(fuzz_store, fd, &up, &created, &err) == 0) {
		if (!created || !images_node_has_layer(fuzz_store, diff))
			abort();
		xasprintf(&dir, "%s/%s", fuzz_layers, diff + 7);
		if (fs_rmtree(dir, &err) < 0)
			abort();
		free(dir);
	} else if (err == NULL || err->code < 400 || err->code >= 600)
		abort();        /* a refusal says why, with its status */
	close(fd);
out:
	sdc_error_release(&err);
	free(blob_digest);
	free(copy);
	return 0;
}
