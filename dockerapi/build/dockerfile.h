/*
 * dockerfile.h: a Dockerfile read into instructions, and the word
 * expansion (ARG and ENV variables, quotes, escapes) the builder applies
 * to their arguments.
 *
 * Parsing does not expand: which variables are set depends on the steps
 * before (ARG, ENV, build args), so the builder expands each instruction
 * as it runs it (dockerfile_expand).  Every error names the Dockerfile
 * line, as Docker's "Dockerfile parse error line N: ..." does.
 */
#ifndef SDC_DOCKERFILE_H
#define SDC_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum df_cmd {
	DF_FROM, DF_RUN, DF_CMD, DF_LABEL, DF_MAINTAINER, DF_EXPOSE, DF_ENV,
	DF_ADD, DF_COPY, DF_ENTRYPOINT, DF_VOLUME, DF_USER, DF_WORKDIR,
	DF_ARG, DF_ONBUILD, DF_STOPSIGNAL, DF_HEALTHCHECK, DF_SHELL,
};

/*
 * One instruction.  `args` by instruction:
 *   FROM        image [AS name]: the words ("AS" kept)
 *   RUN, CMD, ENTRYPOINT: exec form (json): the array; shell form: one
 *               string, the rest of the line
 *   SHELL       the array (exec form only)
 *   ENV, LABEL  key, value, key, value ...  (values still quoted; expand
 *               each with dockerfile_expand)
 *   ARG         name or name=default, one per word
 *   ADD, COPY   sources... destination (json or whitespace-split)
 *   EXPOSE, VOLUME: the words (VOLUME also json)
 *   USER, WORKDIR, STOPSIGNAL, MAINTAINER: one string, the rest of line
 *   HEALTHCHECK "NONE", or "CMD" then as RUN (json says which form)
 *   ONBUILD     one string: the trigger instruction as written
 * `flags` are the leading --name=value words, as written.
 */
struct df_instr {
	enum df_cmd cmd;
	int line;		/* its first line in the Dockerfile, from 1 */
	char *original;		/* the instruction, continuations joined */
	char **flags;
	size_t nflags;
	char **args;
	size_t nargs;
	bool json;		/* exec (JSON array) form */
};

struct dockerfile {
	char escape;		/* '\\' or '`' (# escape=) */
	char *syntax;		/* # syntax=, or NULL */
	struct df_instr *instrs;
	size_t ninstrs;
};

/* Read `len` bytes of Dockerfile text.  On error *df is left empty. */
int dockerfile_parse(const char *text, size_t len, struct dockerfile *df,
		     sdc_error_t *err);
void dockerfile_free(struct dockerfile *df);

/* Parse one instruction line (ONBUILD's trigger, at build time). */
int dockerfile_parse_line(const char *line, char escape, int lineno,
			  struct df_instr *out, sdc_error_t *err);
void dockerfile_instr_free(struct df_instr *in);

/* The instruction's name in capitals ("COPY"). */
const char *dockerfile_cmd_name(enum df_cmd cmd);

/* The value of flag `name` ("from" for --from=x): NULL when absent, ""
 * for a bare --name. */
const char *dockerfile_flag(const struct df_instr *in, const char *name);
/* Refuse any flag not in the NULL-terminated `allowed` list. */
int dockerfile_check_flags(const struct df_instr *in, const char *const *allowed,
			   sdc_error_t *err);

/* A variable's value, or NULL when it is not set. */
typedef const char *(*df_lookup_fn)(void *ctx, const char *name);

/*
 * Expand one word as Docker does: $VAR and ${VAR}, ${VAR:-word},
 * ${VAR-word}, ${VAR:+word}, ${VAR+word}, ${VAR:?msg}, ${VAR?msg};
 * single quotes literal, double quotes expanding, the escape character
 * quoting the next one (inside double quotes only " $ and itself).
 * Quotes are removed.  *out is allocated.
 */
int dockerfile_expand(const char *word, char escape, df_lookup_fn lookup,
		      void *ctx, char **out, sdc_error_t *err);

#endif
