/*
 * argv.c: turning a line typed in the shell into argv.
 *
 * The shell hands the split words to the same adm_cmd_run() main uses, so
 * the quoting rules are the familiar POSIX-shell subset and nothing more:
 * no variables, globs or substitutions, since a command typed here should
 * mean the same thing pasted into sh.  Completion splits the text up to the
 * cursor with `partial` set, where an unfinished quote is not an error but
 * the word being typed.
 */
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "buf.h"
#include "xalloc.h"

void
adm_split_free(struct adm_split *s)
{
	strvec_clear(&s->words);
	s->open = false;
}

/* Inside "...", a backslash quotes only these, as in sh. */
static bool
argv_dquote_escapable(char c)
{
	return c == '"' || c == '\\' || c == '$' || c == '`';
}

/* Read one word starting at *pp into w; returns the quote still open at
 * the end of the text ('\0' when none). */
static char
argv_word(const char **pp, struct buf *w)
{
	const char *p = *pp;
	char quote = '\0';

	for (; *p != '\0'; p++) {
		if (quote == '\'') {
			if (*p == '\'')
				quote = '\0';
			else
				buf_putc(w, *p);
		} else if (quote == '"') {
			if (*p == '"')
				quote = '\0';
			else if (*p == '\\' && argv_dquote_escapable(p[1]))
				buf_putc(w, *++p);
			else
				buf_putc(w, *p);
		} else if (*p == ' ' || *p == '\t' || *p == '\n') {
			break;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '\\' && p[1] != '\0') {
			buf_putc(w, *++p);
		} else if (*p != '\\') {
			buf_putc(w, *p);
		}
	}
	*pp = p;
	return quote;
}

int
adm_argv_split(const char *line, bool partial, struct adm_split *out,
    sdc_error_t *err)
{
	struct buf w = BUF_INIT;
	const char *p = line, *start;
	char quote;

	memset(out, 0, sizeof *out);
	for (;;) {
		start = p;
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (p != start)
			out->open = false;
		if (*p == '\0' || *p == '#')
			break;
		buf_reset(&w);
		quote = argv_word(&p, &w);
		if (quote != '\0' && !partial) {
			buf_free(&w);
			adm_split_free(out);
			return sdc_make_error(err, 0, "unterminated %c quote",
			    quote);
		}
		strvec_push(&out->words, buf_str(&w));
		out->open = (*p == '\0');
	}
	buf_free(&w);
	return 0;
}
