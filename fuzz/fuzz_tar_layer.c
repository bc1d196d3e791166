/*
 * fuzz_tar_layer.c: arbitrary bytes as an uncompressed layer tar, read
 * as a pull reads one (dockerapi/images/layers.c): libarchive parses the
 * headers while the same bytes pass, in pieces, through the tar-split
 * tokenizer (tarsplit.c), each entry's name and hard link target are
 * cleaned, and each regular file with contents is named to the split, as
 * the unpacker does.  When the split says the layer is reproducible it is
 * written and read back, and its recorded size must be the bytes fed.
 * Nothing is unpacked to disk: the writing side is the kernel's.
 *
 * The first byte picks the size of the pieces (a registry chooses how a
 * stream is cut), the rest is the tar; with its top bit set the rest is
 * instead a tar-split file itself, for the reader's sake.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dockerapi/images/images-int.h"
#include "fuzz/fuzz-tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_in {
	const uint8_t *p;
	size_t left, piece;
	uint64_t fed;
	struct tarsplit *ts;
};

static la_ssize_t
fuzz_read(struct archive *a, void *arg, const void **buf)
{
	struct fuzz_in *in = arg;
	size_t n = in->left < in->piece ? in->left : in->piece;

	(void)a;
	*buf = in->p;
	tarsplit_feed(in->ts, in->p, n);
	in->p += n;
	in->left -= n;
	in->fed += n;
	return (la_ssize_t)n;
}

static char *fuzz_split;

/* The split's file, in the target's temp folder (on a tmpfs where there
 * is one: the split is written with an fsync, cheap only there). */
static void
fuzz_split_path(void)
{
	if (fuzz_split == NULL) {
		fuzz_tmp_dir("fuzz-tar-layer");
		fuzz_split = fuzz_tmp_path("split");
	}
}

static void
fuzz_reader(const uint8_t *data, size_t size)
{
	sdc_error_t err = NULL;
	int64_t total;
	FILE *f = fopen(fuzz_split, "w");

	if (f == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	tarsplit_size(fuzz_split, &total, &err);
	sdc_error_release(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tarsplit ts;
	struct fuzz_in in;
	struct archive *a;
	struct archive_entry *e;
	sdc_error_t err = NULL;
	int64_t total;
	char *rel, *clean;

	if (size < 1)
		return 0;
	fuzz_split_path();
	if (data[0] & 0x80) {
		fuzz_reader(data + 1, size - 1);
		return 0;
	}
	tarsplit_init(&ts);
	in = (struct fuzz_in){ data + 1, size - 1, 1 + (size_t)data[0] * 37,
	    0, &ts };
	a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open(a, &in, NULL, fuzz_read, NULL) == ARCHIVE_OK) {
		while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
			const char *name = archive_entry_pathname(e);
			const char *target = archive_entry_hardlink(e);
			if (name == NULL ||
			    layer_clean_name(name, &rel, &err) < 0)
				break;
			if (target != NULL) {
				if (layer_clean_name(target, &clean, &err) < 0) {
					free(rel);
					break;
				}
				free(clean);
			}
			if (archive_entry_filetype(e) == AE_IFREG &&
			    archive_entry_size(e) > 0 && target == NULL)
				tarsplit_name(&ts, rel);
			free(rel);
		}
		sdc_error_release(&err);
		/* the rest of the stream, as the unpacker hashes it */
		while (in.left > 0) {
			const void *b;
			fuzz_read(a, &in, &b);
		}
		if (tarsplit_write(&ts, fuzz_split, &err) == 0) {
			if (tarsplit_size(fuzz_split, &total, &err) < 0 ||
			    (uint64_t)total != in.fed)
				abort();	/* a split that cannot rebuild the tar */
		}
		sdc_error_release(&err);
	}
	archive_read_free(a);
	tarsplit_free(&ts);
	return 0;
}
