/*
 * fuzz-tmp.h: the temp folder a fuzz target keeps its node's files in
 * (a store, layers, volumes, a container's root), made once and removed
 * when the target exits, so that runs leave nothing behind (a crash
 * leaves it, with the input that crashed), and what the targets make in
 * it.  Each aborts when it cannot: a target without its files tests
 * nothing.
 */
#ifndef SDC_FUZZ_TMP_H
#define SDC_FUZZ_TMP_H

/* A new folder NAME.XXXXXX in /dev/shm (or /tmp when there is none),
 * removed at exit; the target's one. */
const char *fuzz_tmp_dir(const char *name);
/* The folder's SUB, malloc'd. */
char *fuzz_tmp_path(const char *sub);
/* SUB made, with the folders above it. */
void fuzz_tmp_mkdir(const char *sub);
/* SUB written with text. */
void fuzz_tmp_put(const char *sub, const char *text);
/* A link at SUB to target, as a tenant plants one. */
void fuzz_tmp_link(const char *target, const char *sub);
/* SUB and all below it removed. */
void fuzz_tmp_rmtree(const char *sub);

#endif
