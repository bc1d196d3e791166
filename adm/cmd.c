/*
 * cmd.c: the subcommand table and the find → exec path everything shares.
 *
 * Names are sequences of words, matched word by word against what was
 * typed: at each word an exact match wins, otherwise a unique prefix, so
 * "lo cl" runs "logs cleanup" and "l" is reported as ambiguous once another
 * command starts with l.  No name may be a whole-word prefix of another
 * (test_adm_cmd checks the table), which keeps the walk free of
 * backtracking.  Help is generated from the entries, never kept by hand.
 *
 * Option parsing wraps getopt_long with opterr off so every message names
 * the command and the option as typed, and resets getopt (optind = 0) on
 * each command so the shell can run any number of them.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "buf.h"
#include "xalloc.h"

static const struct adm_cmd_entry adm_cmd_help_entry;
static int cmd_help_group(FILE *f, int argc, char **argv);

/* One line per subcommand, kept sorted. */
const struct adm_cmd_entry *const adm_cmd_table[] = {
	&adm_cmd_account_create_entry,
	&adm_cmd_account_delete_entry,
	&adm_cmd_account_quota_entry,
	&adm_cmd_account_get_entry,
	&adm_cmd_account_list_entry,
	&adm_cmd_account_update_entry,
	&adm_cmd_build_cache_prune_entry,
	&adm_cmd_build_cache_usage_entry,
	&adm_cmd_cert_client_entry,
	&adm_cmd_cert_server_entry,
	&adm_cmd_cert_show_entry,
	&adm_cmd_complete_entry,
	&adm_cmd_config_get_entry,
	&adm_cmd_config_packages_add_entry,
	&adm_cmd_config_packages_list_entry,
	&adm_cmd_config_packages_remove_entry,
	&adm_cmd_config_set_entry,
	&adm_cmd_config_show_entry,
	&adm_cmd_config_unset_entry,
	&adm_cmd_container_inspect_entry,
	&adm_cmd_container_kill_entry,
	&adm_cmd_container_list_entry,
	&adm_cmd_container_logs_entry,
	&adm_cmd_container_stop_entry,
	&adm_cmd_help_entry,
	&adm_cmd_key_add_entry,
	&adm_cmd_key_list_entry,
	&adm_cmd_key_remove_entry,
	&adm_cmd_logs_cleanup_entry,
	&adm_cmd_logs_usage_entry,
	&adm_cmd_maint_off_entry,
	&adm_cmd_maint_on_entry,
	&adm_cmd_network_inspect_entry,
	&adm_cmd_network_list_entry,
	&adm_cmd_node_drain_entry,
	&adm_cmd_node_inspect_entry,
	&adm_cmd_node_list_entry,
	&adm_cmd_node_undrain_entry,
	&adm_cmd_tui_entry,
	NULL
};

/* A candidate during the lookup: an entry under one of its spellings. */
struct cmd_cand {
	const struct adm_cmd_entry *entry;
	bool alias;
	struct adm_split words;
};

static size_t
cmd_candidates(const struct adm_cmd_entry *const *table, struct cmd_cand **out)
{
	const struct adm_cmd_entry *const *e;
	struct cmd_cand *c = NULL;
	size_t n = 0;
	const char *names[2];
	int i;

	for (e = table; *e != NULL; e++) {
		names[0] = (*e)->name;
		names[1] = (*e)->alias;
		for (i = 0; i < 2 && names[i] != NULL; i++) {
			c = xrealloc(c, (n + 1) * sizeof *c);
			c[n].entry = *e;
			c[n].alias = i == 1;
			adm_argv_split(names[i], false, &c[n].words, NULL);
			n++;
		}
	}
	*out = c;
	return n;
}

static void
cmd_candidates_free(struct cmd_cand *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		adm_split_free(&c[i].words);
	free(c);
}

enum cmd_match { CMD_NONE, CMD_ALIAS_PREFIX, CMD_PREFIX, CMD_EXACT };

static enum cmd_match
cmd_match(const struct cmd_cand *c, size_t level, const char *typed)
{
	const char *w;

	if (c->words.words.n <= level)
		return CMD_NONE;
	w = c->words.words.v[level];
	if (strcmp(w, typed) == 0)
		return CMD_EXACT;
	if (strncmp(w, typed, strlen(typed)) != 0)
		return CMD_NONE;
	return c->alias ? CMD_ALIAS_PREFIX : CMD_PREFIX;
}

/* Keep the candidates whose word `level` matches `typed` best: exactly if
 * any does, else as a prefix of a name, else as a prefix of an alias (so
 * an alias never makes a name's prefix ambiguous).  Returns how many. */
static size_t
cmd_filter(struct cmd_cand *c, size_t n, size_t level, const char *typed)
{
	enum cmd_match best = CMD_NONE, m;
	size_t i, kept = 0;

	for (i = 0; i < n; i++)
		if ((m = cmd_match(&c[i], level, typed)) > best)
			best = m;
	for (i = 0; i < n; i++) {
		if (best != CMD_NONE && cmd_match(&c[i], level, typed) == best)
			c[kept++] = c[i];
		else
			adm_split_free(&c[i].words);
	}
	return kept;
}

/* The distinct words at `level`, for messages. */
static void
cmd_choices(struct cmd_cand *c, size_t n, size_t level, struct buf *b)
{
	struct strvec sv = { NULL, 0, 0 };
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].words.words.n > level &&
		    !(c[i].entry->flags & ADM_CMD_HIDDEN))
			strvec_push(&sv, c[i].words.words.v[level]);
	strvec_sort_unique(&sv);
	for (i = 0; i < sv.n; i++)
		buf_printf(b, "%s%s", i ? ", " : "", sv.v[i]);
	strvec_clear(&sv);
}

static bool
cmd_one_word(struct cmd_cand *c, size_t n, size_t level)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (strcmp(c[i].words.words.v[level], c[0].words.words.v[level]))
			return false;
	return true;
}

const struct adm_cmd_entry *
adm_cmd_find(int argc, char **argv, int *used, sdc_error_t *err)
{
	return adm_cmd_find_in(adm_cmd_table, argc, argv, used, err);
}

const struct adm_cmd_entry *
adm_cmd_find_in(const struct adm_cmd_entry *const *table, int argc, char **argv,
    int *used, sdc_error_t *err)
{
	struct cmd_cand *c;
	struct buf typed = BUF_INIT, choices = BUF_INIT;
	const struct adm_cmd_entry *found = NULL;
	size_t n, level;

	n = cmd_candidates(table, &c);
	for (level = 0; level < (size_t)argc; level++) {
		n = cmd_filter(c, n, level, argv[level]);
		if (n == 0) {
			sdc_make_error(err, 0, "unknown command: %s%s%s",
			    typed.data ? typed.data : "", level ? " " : "",
			    argv[level]);
			goto out;
		}
		if (!cmd_one_word(c, n, level)) {
			cmd_choices(c, n, level, &choices);
			sdc_make_error(err, 0, "ambiguous command: %s%s%s, could "
			    "be: %s", typed.data ? typed.data : "",
			    level ? " " : "", argv[level], choices.data);
			goto out;
		}
		buf_printf(&typed, "%s%s", level ? " " : "",
		    c[0].words.words.v[level]);
		if (c[0].words.words.n == level + 1) {
			found = c[0].entry;
			*used = (int)level + 1;
			goto out;
		}
	}
	cmd_choices(c, n, level, &choices);
	if (level == 0)
		sdc_make_error(err, 0, "no command given");
	else
		sdc_make_error(err, 0, "incomplete command: %s, one of: %s",
		    typed.data, choices.data);
out:
	cmd_candidates_free(c, n);
	buf_free(&typed);
	buf_free(&choices);
	return found;
}

static bool
cmd_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

int
adm_cmd_run(const struct adm_ctx *ctx, int argc, char **argv)
{
	const struct adm_cmd_entry *entry;
	struct adm_ctx local = *ctx;
	sdc_error_t err = NULL;
	int used, rc;

	entry = adm_cmd_find(argc, argv, &used, &err);
	if (entry == NULL) {
		fprintf(stderr, "%s: %s\n", ADM_PROGRAM, sdc_error_msg(err));
		if (argc == 0 || cmd_help_group(stderr, argc, argv) == 0)
			fprintf(stderr, "Run '%s help' for the list of "
			    "commands.\n", ADM_PROGRAM);
		sdc_error_release(&err);
		return ADM_EXIT_USAGE;
	}
	argc -= used - 1;
	argv += used - 1;
	if (cmd_wants_help(argc, argv)) {
		adm_cmd_help(entry, local.out);
		return ADM_EXIT_OK;
	}
	rc = entry->exec(entry, &local, argc, argv);
	fflush(local.out);
	return rc;
}

void
adm_cmd_help(const struct adm_cmd_entry *entry, FILE *f)
{
	fprintf(f, "usage: %s %s%s%s\n", ADM_PROGRAM, entry->name,
	    *entry->usage ? " " : "", entry->usage);
	if (entry->alias != NULL)
		fprintf(f, "alias: %s\n", entry->alias);
	if (entry->help != NULL && *entry->help != '\0')
		fprintf(f, "\n%s", entry->help);
}

void
adm_cmd_help_all(FILE *f)
{
	const struct adm_cmd_entry *const *e;

	fprintf(f, "usage: %s [--json] [--admin PATH] [--sapi-url URL] "
	    "[--sapi-cert-path DIR]\n"
	    "       [--zones DIR] [COMMAND [ARGS...]]\n"
	    "       %s --help | --version\n\n"
	    "With no command on a terminal, opens an interactive shell.\n"
	    "Commands (any unique prefix of each word will do):\n",
	    ADM_PROGRAM, ADM_PROGRAM);
	for (e = adm_cmd_table; *e != NULL; e++) {
		if ((*e)->flags & ADM_CMD_HIDDEN)
			continue;
		fprintf(f, "  %s%s%s\n", (*e)->name, *(*e)->usage ? " " : "",
		    (*e)->usage);
	}
	fprintf(f, "\nRun '%s help COMMAND' or '%s COMMAND --help' for more.\n",
	    ADM_PROGRAM, ADM_PROGRAM);
}

static void
cmd_vwarn(const struct adm_cmd_entry *self, const char *fmt, va_list ap)
{
	char *msg;

	xvasprintf(&msg, fmt, ap);
	fprintf(stderr, "%s %s: %s\n", ADM_PROGRAM, self->name, msg);
	free(msg);
}

void
adm_cmd_warn(const struct adm_cmd_entry *self, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_vwarn(self, fmt, ap);
	va_end(ap);
}

int
adm_cmd_usage_error(const struct adm_cmd_entry *self, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmd_vwarn(self, fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: %s %s %s\n", ADM_PROGRAM, self->name, self->usage);
	return ADM_EXIT_USAGE;
}

void
adm_opt_init(struct adm_opt_state *st, const struct adm_cmd_entry *entry)
{
	const struct option *o;
	size_t n = 0;

	memset(st, 0, sizeof *st);
	st->entry = entry;
	st->shorts[n++] = ':';	/* report a missing value as ':' */
	for (o = entry->opts; o != NULL && o->name != NULL; o++) {
		if (o->flag != NULL || o->val <= 0 || o->val > 127 ||
		    !isalnum(o->val) || n + 3 >= sizeof st->shorts)
			continue;
		st->shorts[n++] = (char)o->val;
		if (o->has_arg == required_argument)
			st->shorts[n++] = ':';
	}
	st->shorts[n] = '\0';
}

int
adm_opt_next(struct adm_opt_state *st, int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	const struct option *opts = st->entry->opts ? st->entry->opts : none;
	int c;

	if (!st->started) {
		optind = 0;	/* glibc: start over, forget the last argv */
		opterr = 0;
		st->started = true;
	}
	c = getopt_long(argc, argv, st->shorts, opts, NULL);
	st->arg = optarg;
	st->ind = optind;
	if (c == '?') {
		if (optopt != 0 && optopt < 128)
			adm_cmd_usage_error(st->entry, "unknown option '-%c'", optopt);
		else
			adm_cmd_usage_error(st->entry, "unknown option '%s'",
			    argv[optind - 1]);
	} else if (c == ':') {
		adm_cmd_usage_error(st->entry, "option '%s' needs a value",
		    argv[optind - 1]);
		c = '?';
	}
	return c;
}

bool
adm_cmd_name_starts(const char *name, int argc, char **argv)
{
	struct adm_split s;
	bool yes;
	int i;

	adm_argv_split(name, false, &s, NULL);
	yes = s.words.n >= (size_t)argc;
	for (i = 0; yes && i < argc; i++)
		yes = strncmp(s.words.v[i], argv[i], strlen(argv[i])) == 0;
	adm_split_free(&s);
	return yes;
}

/* The usage lines of the visible commands whose names start with argv
 * ("help logs"); how many. */
static int
cmd_help_group(FILE *f, int argc, char **argv)
{
	const struct adm_cmd_entry *const *e;
	int n = 0;

	for (e = adm_cmd_table; *e != NULL; e++) {
		if (((*e)->flags & ADM_CMD_HIDDEN) ||
		    !adm_cmd_name_starts((*e)->name, argc, argv))
			continue;
		fprintf(f, "%s %s %s%s%s\n", n++ ? "      " : "usage:",
		    ADM_PROGRAM, (*e)->name, *(*e)->usage ? " " : "",
		    (*e)->usage);
	}
	return n;
}

/* help [COMMAND]: the overview, one command's help, or a group's usage. */
static int
cmd_help_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc,
    char **argv)
{
	const struct adm_cmd_entry *entry;
	sdc_error_t err = NULL;
	int used;

	if (argc < 2) {
		adm_cmd_help_all(ctx->out);
		return ADM_EXIT_OK;
	}
	entry = adm_cmd_find(argc - 1, argv + 1, &used, &err);
	if (entry == NULL && cmd_help_group(ctx->out, argc - 1, argv + 1) > 0) {
		sdc_error_release(&err);
		return ADM_EXIT_OK;
	}
	if (entry == NULL) {
		adm_cmd_warn(self, "%s", sdc_error_msg(err));
		sdc_error_release(&err);
		return ADM_EXIT_USAGE;
	}
	adm_cmd_help(entry, ctx->out);
	return ADM_EXIT_OK;
}

static const struct adm_cmd_entry adm_cmd_help_entry = {
	.name = "help",
	.alias = NULL,
	.usage = "[COMMAND]",
	.help = "Lists the commands, or describes one.\n",
	.flags = 0,
	.opts = NULL,
	.complete = NULL,
	.exec = cmd_help_exec,
};
