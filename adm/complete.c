/*
 * complete.c: what can come next on a command line.
 *
 * One function answers for the shell's tab key and for bash (through the
 * hidden `_complete` command), so both always agree with the table: first
 * the words of subcommand names, then, once a subcommand is named, its
 * flags from its getopt table, then its `complete` hook for positional
 * arguments (account logins and container ids are listed by the entries
 * that take them).  Errors while completing are swallowed: a tab key that
 * prints a stack of messages is worse than one that offers nothing.
 */
#include <string.h>

#include "adm.h"

/* The next words of subcommand names after argv, when argv names no
 * subcommand yet. */
static void
complete_words(int argc, char **argv, const char *word, struct strvec *out)
{
	const struct adm_cmd_entry *const *e;
	const char *names[2];
	struct adm_split s;
	size_t len = strlen(word);
	int k;

	for (e = adm_cmd_table; *e != NULL; e++) {
		if ((*e)->flags & ADM_CMD_HIDDEN)
			continue;
		names[0] = (*e)->name;
		names[1] = (*e)->alias;
		for (k = 0; k < 2 && names[k] != NULL; k++) {
			if (!adm_cmd_name_starts(names[k], argc, argv))
				continue;
			adm_argv_split(names[k], false, &s, NULL);
			if (s.words.n > (size_t)argc &&
			    strncmp(s.words.v[argc], word, len) == 0)
				strvec_push(out, s.words.v[argc]);
			adm_split_free(&s);
		}
	}
}

/* The option named by arg ("--zones", "-z"), or NULL. */
static const struct option *
complete_option(const struct option *opts, const char *arg)
{
	const struct option *o;

	for (o = opts; o != NULL && o->name != NULL; o++) {
		if (arg[0] == '-' && arg[1] == '-' && strcmp(arg + 2, o->name) == 0)
			return o;
		if (arg[0] == '-' && arg[1] == o->val && arg[1] != '\0' &&
		    arg[2] == '\0')
			return o;
	}
	return NULL;
}

static void
complete_flags(const struct option *opts, const char *word, struct strvec *out)
{
	const struct option *o;
	char flag[128];

	for (o = opts; o != NULL && o->name != NULL; o++) {
		snprintf(flag, sizeof flag, "--%s", o->name);
		if (strncmp(flag, word, strlen(word)) == 0)
			strvec_push(out, flag);
	}
}

/* Flags, or the entry's positional hook; nothing after an option that
 * takes a value. */
static void
complete_args(const struct adm_ctx *ctx, const struct adm_cmd_entry *entry,
    int argc, char **argv, const char *word, struct strvec *out)
{
	const struct option *prev;
	sdc_error_t err = NULL;

	if (argc > 0 && (prev = complete_option(entry->opts, argv[argc - 1])) &&
	    prev->has_arg == required_argument)
		return;
	if (word[0] == '-' || entry->complete == NULL) {
		complete_flags(entry->opts, word, out);
		return;
	}
	if (entry->complete(ctx, argc, argv, word, out, &err) < 0)
		sdc_error_release(&err);
}

void
adm_complete(const struct adm_ctx *ctx, int argc, char **argv,
    const char *word, struct strvec *out)
{
	const struct adm_cmd_entry *entry;
	sdc_error_t err = NULL;
	int used;

	entry = argc > 0 ? adm_cmd_find(argc, argv, &used, &err) : NULL;
	sdc_error_release(&err);
	if (entry != NULL && !(entry->flags & ADM_CMD_HIDDEN))
		complete_args(ctx, entry, argc - used, argv + used, word, out);
	else if (entry == NULL)
		complete_words(argc, argv, word, out);
	strvec_sort_unique(out);
}

/* _complete [--] WORD... PARTIAL: for the bash completion script. */
static int
complete_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc,
    char **argv)
{
	struct strvec out = { NULL, 0, 0 };
	size_t i;

	argc--, argv++;
	if (argc > 0 && strcmp(argv[0], "--") == 0)
		argc--, argv++;
	if (argc == 0)
		return ADM_EXIT_OK;
	adm_complete(ctx, argc - 1, argv, argv[argc - 1], &out);
	for (i = 0; i < out.n; i++)
		fprintf(ctx->out, "%s\n", out.v[i]);
	strvec_clear(&out);
	return ADM_EXIT_OK;
}

const struct adm_cmd_entry adm_cmd_complete_entry = {
	.name = "_complete",
	.alias = NULL,
	.usage = "[--] WORD... PARTIAL",
	.help = "Prints the completions of PARTIAL after WORD..., one a line "
	    "(used by the bash completion script).\n",
	.flags = ADM_CMD_HIDDEN,
	.opts = NULL,
	.complete = NULL,
	.exec = complete_exec,
};
