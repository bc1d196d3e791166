/*
 * fuzz-tmp.c: one temp folder per fuzz target, removed by an atexit
 * handler: libFuzzer ends a timed run (-max_total_time, -runs) with
 * exit(), which runs it; a crash ends with _Exit and keeps the folder
 * as it was for the crash's input.  Paths are made below the folder by
 * the helpers here, so no target names a path of its own outside it;
 * files are written without fsync (file_write_replace), as a target may
 * make its files again for every input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "fuzz/fuzz-tmp.h"
#include "xalloc.h"

static char *fuzz_tmp;

static void
fuzz_tmp_remove(void)
{
	sdc_error_t err = NULL;

	if (fs_rmtree(fuzz_tmp, &err) < 0) {
		fprintf(stderr, "removing %s: %s\n", fuzz_tmp, sdc_error_msg(err));
		sdc_error_release(&err);
	}
	free(fuzz_tmp);
	fuzz_tmp = NULL;
}

const char *
fuzz_tmp_dir(const char *name)
{
	/* in memory where there is a tmpfs for it: a target that makes a
	 * container's root again for each input would wait on the disk's
	 * journal (0.3 to 0.7 ms per mkdir or symlink on a loaded disk) */
	const char *top = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" :
	    "/tmp";

	xasprintf(&fuzz_tmp, "%s/%s.XXXXXX", top, name);
	if (mkdtemp(fuzz_tmp) == NULL || atexit(fuzz_tmp_remove) != 0)
		abort();
	return fuzz_tmp;
}

char *
fuzz_tmp_path(const char *sub)
{
	char *p;

	if (fuzz_tmp == NULL)
		abort();
	xasprintf(&p, "%s/%s", fuzz_tmp, sub);
	return p;
}

void
fuzz_tmp_mkdir(const char *sub)
{
	sdc_error_t err = NULL;
	char *p = fuzz_tmp_path(sub);

	if (mkdir_p(p, 0755, &err) < 0)
		abort();
	free(p);
}

void
fuzz_tmp_put(const char *sub, const char *text)
{
	sdc_error_t err = NULL;
	char *p = fuzz_tmp_path(sub);

	if (file_write_replace(p, text, strlen(text), 0644, &err) < 0)
		abort();
	free(p);
}

void
fuzz_tmp_link(const char *target, const char *sub)
{
	char *p = fuzz_tmp_path(sub);

	if (symlink(target, p) < 0)
		abort();
	free(p);
}

void
fuzz_tmp_rmtree(const char *sub)
{
	sdc_error_t err = NULL;
	char *p = fuzz_tmp_path(sub);

	if (fs_rmtree(p, &err) < 0)
		abort();
	free(p);
}
