/*
 * passphrase.c: fetching the passphrase of an encrypted key, lazily.
 *
 * The source is chosen up front (a prompt, a file, an environment
 * variable) but consulted only once a key turns out to be encrypted, so a
 * plain key never prompts.  The prompt talks to /dev/tty rather than
 * stdin/stdout, which scripts may have redirected; it is OpenSSL's, which
 * turns echo off and restores the terminal on Ctrl-C.  Whatever was
 * fetched is wiped before it is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "certgen.h"
#include "xalloc.h"

/* Longer than any passphrase typed by hand; ssh-keygen allows 1023. */
#define PASSPHRASE_MAX 1023

/* Read one line from fd (up to a newline or EOF) without stdio, so no
 * copy of the secret lingers in a FILE buffer. */
static char *
passphrase_read_line(int fd, sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	char c;
	ssize_t n;
	char *line;

	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			OPENSSL_cleanse(b.data, b.len);
			buf_free(&b);
			return sdc_make_error(err, errno, "reading the passphrase"), NULL;
		}
		if (n == 0 || c == '\n')
			break;
		buf_putc(&b, c);
	}
	if (b.len > 0 && b.data[b.len - 1] == '\r')
		b.data[--b.len] = '\0';
	line = buf_detach(&b, NULL);
	return line;
}

static char *
passphrase_from_file(const char *path, sdc_error_t *err)
{
	char *line;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sdc_make_error(err, errno, "opening passphrase file %s", path), NULL;
	line = passphrase_read_line(fd, err);
	close(fd);
	if (line == NULL)
		return sdc_error_wrap(err, "%s", path), NULL;
	return line;
}

/* The prompt is OpenSSL's (its UI reads /dev/tty with echo off and, on
 * Ctrl-C or another terminating signal, puts the terminal back before
 * reporting the interruption), into a buffer that is wiped here. */
static char *
passphrase_prompt(const char *what, sdc_error_t *err)
{
	char buf[PASSPHRASE_MAX + 1], *prompt, *line = NULL;
	int fd, rc;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return sdc_make_error(err, 0,
		    "the key is encrypted and there is no terminal to ask for its passphrase"),
		    NULL;
	close(fd);
	xasprintf(&prompt, "Enter passphrase for %s: ", what);
	rc = EVP_read_pw_string_min(buf, 0, sizeof buf, prompt, 0);
	free(prompt);
	if (rc == 0)
		line = xstrdup(buf);
	else if (rc == -2)
		sdc_make_error(err, 0, "interrupted while asking for the passphrase");
	else
		sdc_make_error(err, 0, "could not read the passphrase from the terminal");
	OPENSSL_cleanse(buf, sizeof buf);
	return line;
}

const char *
certgen_pass_get(struct certgen_pass *pass, const char *what, sdc_error_t *err)
{
	const char *v;

	if (pass == NULL)
		return sdc_make_error(err, 0, "the key is encrypted and no passphrase was given"),
		    NULL;
	if (pass->cached != NULL)
		return pass->cached;
	switch (pass->kind) {
	case CERTGEN_PASS_PROMPT:
		pass->cached = passphrase_prompt(what, err);
		break;
	case CERTGEN_PASS_FILE:
		pass->cached = passphrase_from_file(pass->value, err);
		break;
	case CERTGEN_PASS_ENV:
		v = getenv(pass->value);
		if (v == NULL)
			return sdc_make_error(err, 0,
			    "the key is encrypted and $%s is not set", pass->value), NULL;
		pass->cached = xstrdup(v);
		break;
	case CERTGEN_PASS_STRING:
		pass->cached = xstrdup(pass->value != NULL ? pass->value : "");
		break;
	default:
		return sdc_make_error(err, 0, "the key is encrypted and no passphrase was given"),
		    NULL;
	}
	return pass->cached;
}

void
certgen_pass_clear(struct certgen_pass *pass)
{
	if (pass == NULL || pass->cached == NULL)
		return;
	OPENSSL_cleanse(pass->cached, strlen(pass->cached));
	free(pass->cached);
	pass->cached = NULL;
}
