/*
 * shell.c: the interactive sdcadm-docker, over libedit.
 *
 * A line typed here is split (argv.c) and run through adm_cmd_run(), the
 * very path a command line takes, so the shell has no commands of its own
 * beyond exit and quit.  Tab asks complete.c, the same source bash uses.
 *
 * Ctrl-C must cancel the line, not the shell: SIGINT gets a handler that
 * only sets a flag, installed without SA_RESTART, so libedit's read fails
 * with EINTR and el_gets() returns; the loop sees the flag, drops the line
 * and prompts again.  EL_SIGNAL lets libedit put the terminal back in order
 * around the signal.  While a command runs, Ctrl-C only sets the same flag:
 * a command that waits long (following a log, say) polls adm_interrupted()
 * and returns, and the shell carries on.  History is saved after every command, so it survives
 * the shell being killed.
 */
#include <errno.h>
#include <histedit.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include "adm.h"
#include "xalloc.h"

#define SHELL_PROMPT ADM_PROGRAM "> "
#define SHELL_HISTORY_SIZE 1000

struct shell {
	EditLine *el;
	History *hist;
	HistEvent ev;
	char *histfile;
	struct adm_ctx ctx;
};

static volatile sig_atomic_t shell_interrupted;

static void
shell_on_sigint(int sig)
{
	(void)sig;
	shell_interrupted = 1;
}

bool
adm_interrupted(void)
{
	return shell_interrupted != 0;
}

static char *
shell_prompt(EditLine *el)
{
	(void)el;
	return (char *)SHELL_PROMPT;
}

char *
adm_shell_history_path(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *dir, *path;

	if (state != NULL && *state == '/') {
		xasprintf(&dir, "%s/sdcadm-docker", state);
		mkdir(state, 0700);
		mkdir(dir, 0700);
		xasprintf(&path, "%s/history", dir);
		free(dir);
		return path;
	}
	if (home == NULL || *home == '\0')
		return NULL;
	xasprintf(&path, "%s/.sdcadm_docker_history", home);
	return path;
}

/* The words before the cursor, and the one being typed. */
static void
shell_candidates(struct shell *sh, const LineInfo *li, struct strvec *out,
    size_t *wordlen)
{
	static const char *const builtins[] = { "exit", "quit", NULL };
	struct adm_split s;
	char *text = xstrndup(li->buffer, (size_t)(li->cursor - li->buffer));
	const char *word = "";
	int argc, i;

	adm_argv_split(text, true, &s, NULL);
	argc = (int)s.words.n;
	if (s.open && argc > 0)
		word = s.words.v[--argc];
	adm_complete(&sh->ctx, argc, s.words.v, word, out);
	for (i = 0; argc == 0 && builtins[i] != NULL; i++)
		if (strncmp(builtins[i], word, strlen(word)) == 0)
			strvec_push(out, builtins[i]);
	strvec_sort_unique(out);
	*wordlen = strlen(word);
	adm_split_free(&s);
	free(text);
}

static size_t
shell_common_prefix(const struct strvec *sv)
{
	size_t i, n = strlen(sv->v[0]);

	for (i = 1; i < sv->n; i++)
		while (n > 0 && strncmp(sv->v[0], sv->v[i], n) != 0)
			n--;
	return n;
}

static void
shell_list(const struct strvec *sv)
{
	int width = adm_output_width(), col = 0, len;
	size_t i;

	fputc('\n', stdout);
	for (i = 0; i < sv->n; i++) {
		len = (int)strlen(sv->v[i]) + 2;
		if (col > 0 && col + len > width) {
			fputc('\n', stdout);
			col = 0;
		}
		printf("%s  ", sv->v[i]);
		col += len;
	}
	fputc('\n', stdout);
	fflush(stdout);
}

/* Tab: complete the word, or list the choices when it cannot grow. */
static unsigned char
shell_complete(EditLine *el, int ch)
{
	struct strvec out = { NULL, 0, 0 };
	struct shell *sh;
	size_t wordlen, common;
	unsigned char rc = CC_REFRESH;
	char *add;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &sh);
	shell_candidates(sh, el_line(el), &out, &wordlen);
	if (out.n == 0) {
		strvec_clear(&out);
		return CC_REFRESH_BEEP;
	}
	common = shell_common_prefix(&out);
	if (common > wordlen || out.n == 1) {
		add = xstrndup(out.v[0] + wordlen, common - wordlen);
		el_insertstr(el, add);
		if (out.n == 1)
			el_insertstr(el, " ");
		free(add);
	} else {
		shell_list(&out);
		rc = CC_REDISPLAY;
	}
	strvec_clear(&out);
	return rc;
}

static int
shell_open(struct shell *sh, const struct adm_ctx *ctx)
{
	struct sigaction sa;

	memset(sh, 0, sizeof *sh);
	sh->ctx = *ctx;
	sh->ctx.interactive = true;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = shell_on_sigint;	/* no SA_RESTART: read must fail */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);

	sh->hist = history_init();
	history(sh->hist, &sh->ev, H_SETSIZE, SHELL_HISTORY_SIZE);
	history(sh->hist, &sh->ev, H_SETUNIQUE, 1);
	if ((sh->histfile = adm_shell_history_path()) != NULL)
		history(sh->hist, &sh->ev, H_LOAD, sh->histfile);

	sh->el = el_init(ADM_PROGRAM, stdin, stdout, stderr);
	if (sh->el == NULL)
		return -1;
	el_set(sh->el, EL_CLIENTDATA, sh);
	el_set(sh->el, EL_EDITOR, "emacs");
	el_set(sh->el, EL_SIGNAL, 1);
	el_set(sh->el, EL_PROMPT, shell_prompt);
	el_set(sh->el, EL_HIST, history, sh->hist);
	/* The wide form: the narrow one copies both strings and never frees
	 * them. */
	el_wset(sh->el, EL_ADDFN, L"adm-complete", L"complete a word",
	    shell_complete);
	el_set(sh->el, EL_BIND, "^I", "adm-complete", NULL);
	el_source(sh->el, NULL);
	return 0;
}

static void
shell_close(struct shell *sh)
{
	if (sh->el != NULL)
		el_end(sh->el);
	history_end(sh->hist);
	free(sh->histfile);
	signal(SIGINT, SIG_DFL);
}

static void
shell_remember(struct shell *sh, const char *line)
{
	mode_t old;

	history(sh->hist, &sh->ev, H_ENTER, line);
	if (sh->histfile == NULL)
		return;
	old = umask(077);
	history(sh->hist, &sh->ev, H_SAVE, sh->histfile);
	umask(old);
}

/* Run one line; false when it asks to leave. */
static bool
shell_line(struct shell *sh, const char *line)
{
	struct adm_split s;
	sdc_error_t err = NULL;
	bool go_on = true;

	if (adm_argv_split(line, false, &s, &err) < 0) {
		fprintf(stderr, "%s: %s\n", ADM_PROGRAM, sdc_error_msg(err));
		sdc_error_release(&err);
		return true;
	}
	if (s.words.n == 0) {
		adm_split_free(&s);
		return true;
	}
	shell_remember(sh, line);
	if (strcmp(s.words.v[0], "exit") == 0 || strcmp(s.words.v[0], "quit") == 0)
		go_on = false;
	else {
		shell_interrupted = 0;
		adm_cmd_run(&sh->ctx, (int)s.words.n, s.words.v);
	}
	fflush(stdout);
	adm_split_free(&s);
	return go_on;
}

int
adm_shell_run(const struct adm_ctx *ctx)
{
	struct shell sh;
	const char *line;
	char *copy;
	int count;
	bool go_on = true;

	if (shell_open(&sh, ctx) < 0) {
		fprintf(stderr, "%s: cannot start the line editor\n", ADM_PROGRAM);
		shell_close(&sh);
		return ADM_EXIT_FAIL;
	}
	while (go_on) {
		shell_interrupted = 0;
		line = el_gets(sh.el, &count);
		if (shell_interrupted || (line == NULL && count < 0 &&
		    errno == EINTR)) {
			fputc('\n', stdout);
			el_reset(sh.el);
			continue;
		}
		if (line == NULL)
			break;	/* Ctrl-D on an empty line */
		copy = xstrdup(line);
		copy[strcspn(copy, "\n")] = '\0';
		go_on = shell_line(&sh, copy);
		free(copy);
	}
	if (go_on)
		fputc('\n', stdout);
	shell_close(&sh);
	return ADM_EXIT_OK;
}
