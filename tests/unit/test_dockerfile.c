/*
 * test_dockerfile.c: the Dockerfile parser (directives, comments,
 * continuations, flags, exec and shell forms, each instruction's shape,
 * errors naming the line), Docker's word expansion, and the .dockerignore
 * matcher (Go's filepath.Match, "**", "!" exceptions, parent folders).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dockerapi/build/dockerfile.h"
#include "dockerapi/build/dockerignore.h"

static int
parse(const char *text, struct dockerfile *df, sdc_error_t *err)
{
	return dockerfile_parse(text, strlen(text), df, err);
}

static void
expect_error(const char *text, const char *msg)
{
	struct dockerfile df;
	sdc_error_t err = NULL;

	assert_int_equal(parse(text, &df, &err), -1);
	if (!strstr(sdc_error_msg(err), msg))
		fail_msg("error \"%s\" lacks \"%s\"", sdc_error_msg(err), msg);
	assert_int_equal(err->code, 400);
	assert_int_equal(df.ninstrs, 0);
	sdc_error_release(&err);
}

static void
test_basic(void **state)
{
	struct dockerfile df;
	sdc_error_t err = NULL;
	const char *text =
		"# a comment\n"
		"FROM busybox AS base\n"
		"\n"
		"run echo a \\\n"
		"  # a comment inside\n"
		"\n"
		"   && echo b\n"
		"CMD [\"sh\", \"-c\", \"echo hi\"]\n"
		"ENTRYPOINT [\"not json\"\n"
		"COPY --from=base --chown=1:2 /a /b /dst/\n"
		"ENV A=1 B=\"two words\" C=three\\ words\n"
		"ENV OLD value with blanks  \n"
		"LABEL \"com.x\"=y\n"
		"ARG V=1 W\n"
		"EXPOSE 80/tcp 53/udp\n"
		"VOLUME [\"/data\", \"/log\"]\n"
		"WORKDIR /my dir\r\n"
		"HEALTHCHECK --interval=5s CMD [\"true\"]\n"
		"HEALTHCHECK NONE\n"
		"ONBUILD RUN echo later\n"
		"SHELL [\"/bin/bash\", \"-c\"]\n"
		"STOPSIGNAL SIGKILL\n";

	assert_int_equal(parse(text, &df, &err), 0);
	assert_int_equal(df.escape, '\\');
	assert_int_equal(df.ninstrs, 17);

	struct df_instr *in = df.instrs;
	assert_int_equal(in[0].cmd, DF_FROM);
	assert_int_equal(in[0].line, 2);
	assert_int_equal(in[0].nargs, 3);
	assert_string_equal(in[0].args[2], "base");

	assert_int_equal(in[1].cmd, DF_RUN);
	assert_int_equal(in[1].line, 4);
	assert_false(in[1].json);
	assert_int_equal(in[1].nargs, 1);
	assert_string_equal(in[1].args[0], "echo a    && echo b");

	assert_int_equal(in[2].cmd, DF_CMD);
	assert_true(in[2].json);
	assert_int_equal(in[2].nargs, 3);
	assert_string_equal(in[2].args[2], "echo hi");
	assert_int_equal(in[2].line, 8);

	/* Not a JSON array: the shell form. */
	assert_false(in[3].json);
	assert_string_equal(in[3].args[0], "[\"not json\"");

	assert_int_equal(in[4].cmd, DF_COPY);
	assert_int_equal(in[4].nflags, 2);
	assert_string_equal(dockerfile_flag(&in[4], "from"), "base");
	assert_string_equal(dockerfile_flag(&in[4], "chown"), "1:2");
	assert_null(dockerfile_flag(&in[4], "chmod"));
	assert_int_equal(in[4].nargs, 3);
	assert_string_equal(in[4].args[2], "/dst/");
	static const char *const copyflags[] = { "from", "chown", "chmod", NULL };
	assert_int_equal(dockerfile_check_flags(&in[4], copyflags, &err), 0);
	static const char *const none[] = { NULL };
	assert_int_equal(dockerfile_check_flags(&in[4], none, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "line 10: unknown flag: from"));
	sdc_error_release(&err);

	assert_int_equal(in[5].cmd, DF_ENV);
	assert_int_equal(in[5].nargs, 6);
	assert_string_equal(in[5].args[0], "A");
	assert_string_equal(in[5].args[3], "\"two words\"");
	assert_string_equal(in[5].args[5], "three\\ words");

	assert_int_equal(in[6].nargs, 2);
	assert_string_equal(in[6].args[0], "OLD");
	assert_string_equal(in[6].args[1], "value with blanks");

	assert_string_equal(in[7].args[0], "\"com.x\"");
	assert_int_equal(in[8].cmd, DF_ARG);
	assert_int_equal(in[8].nargs, 2);
	assert_int_equal(in[9].nargs, 2);
	assert_true(in[10].json);
	assert_string_equal(in[10].args[1], "/log");
	assert_string_equal(in[11].args[0], "/my dir");
	assert_int_equal(in[12].cmd, DF_HEALTHCHECK);
	assert_string_equal(in[12].args[0], "CMD");
	assert_true(in[12].json);
	assert_string_equal(dockerfile_flag(&in[12], "interval"), "5s");
	assert_string_equal(in[13].args[0], "NONE");
	assert_int_equal(in[14].cmd, DF_ONBUILD);
	assert_string_equal(in[14].args[0], "RUN echo later");
	assert_int_equal(in[15].cmd, DF_SHELL);
	assert_string_equal(in[16].args[0], "SIGKILL");
	assert_string_equal(in[16].original, "STOPSIGNAL SIGKILL");
	dockerfile_free(&df);
}

static void
test_directives(void **state)
{
	struct dockerfile df;
	sdc_error_t err = NULL;

	assert_int_equal(parse("# syntax=docker/dockerfile:1\n# escape=`\n"
			       "FROM busybox\nRUN echo a `\n b\nCOPY a\\b c\n", &df, &err), 0);
	assert_int_equal(df.escape, '`');
	assert_string_equal(df.syntax, "docker/dockerfile:1");
	assert_string_equal(df.instrs[1].args[0], "echo a  b");
	assert_string_equal(df.instrs[2].args[0], "a\\b");
	dockerfile_free(&df);

	/* After a comment or an instruction it is only a comment. */
	assert_int_equal(parse("FROM busybox\n# escape=`\nRUN a \\\n b\n", &df, &err), 0);
	assert_int_equal(df.escape, '\\');
	assert_string_equal(df.instrs[1].args[0], "a  b");
	dockerfile_free(&df);
	assert_int_equal(parse("# hello\n# escape=`\nFROM x\nRUN a \\\nRUN b\n", &df, &err), 0);
	assert_int_equal(df.ninstrs, 2);
	dockerfile_free(&df);

	expect_error("# escape=x\nFROM busybox\n", "line 1: invalid escape token 'x'");
	expect_error("# escape=`\n# escape=\\\nFROM busybox\n",
		     "line 2: only one escape parser directive can be used");
}

static void
test_errors(void **state)
{
	expect_error("FROM busybox\nFOO bar\n", "Dockerfile parse error line 2: unknown instruction: FOO");
	expect_error("FROM a b\n", "line 1: FROM requires either one or three arguments");
	expect_error("\n\nFROM busybox\nRUN cat <<EOF\nhi\nEOF\n", "line 4: heredocs");
	expect_error("FROM busybox\nCOPY <<EOF /x\n", "line 2: heredocs");
	expect_error("FROM busybox\nCOPY onlyone\n", "line 2: COPY requires at least two arguments");
	expect_error("FROM busybox\nENV\n", "line 2: ENV requires at least one argument");
	expect_error("FROM busybox\nENV A=1 B\n", "line 2: Syntax error - can't find = in \"B\"");
	expect_error("FROM busybox\nSHELL /bin/sh -c\n", "SHELL requires the arguments to be in JSON form");
	expect_error("FROM busybox\nONBUILD ONBUILD RUN x\n", "Chaining ONBUILD");
	expect_error("FROM busybox\nONBUILD FROM x\n", "FROM isn't allowed as an ONBUILD trigger");
	expect_error("FROM busybox\nHEALTHCHECK FOO\n", "Unknown type \"FOO\" in HEALTHCHECK");
	expect_error("FROM busybox\nRUN\n", "line 2: RUN requires at least one argument");
	expect_error("FROM busybox\nWORKDIR\n", "WORKDIR requires exactly one argument");
	expect_error("# only a comment\n", "cannot be empty");
	/* A directive alone: the syntax it names is freed with the error. */
	expect_error("# syntax=docker/dockerfile:1\n", "cannot be empty");
	expect_error("RUN x\n", "line 1: no build stage in current context");
	/* A continued line at the end is still an instruction. */
	struct dockerfile df;
	sdc_error_t err = NULL;
	assert_int_equal(parse("FROM busybox\nRUN echo \\", &df, &err), 0);
	assert_int_equal(df.ninstrs, 2);
	dockerfile_free(&df);
	const char nul[] = "FROM busybox\nRUN a\0b\n";
	assert_int_equal(dockerfile_parse(nul, sizeof(nul) - 1, &df, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "line 2"));
	sdc_error_release(&err);
}

static const char *
vars(void *ctx, const char *name)
{
	if (strcmp(name, "A") == 0)
		return "aa";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	if (strcmp(name, "SP") == 0)
		return "x y";
	return NULL;
}

static void
check_expand(const char *in, char esc, const char *want)
{
	char *out = NULL;
	sdc_error_t err = NULL;

	if (dockerfile_expand(in, esc, vars, NULL, &out, &err) < 0)
		fail_msg("expanding %s: %s", in, sdc_error_msg(err));
	if (strcmp(out, want) != 0)
		fail_msg("expanding [%s]: [%s], wanted [%s]", in, out, want);
	free(out);
}

static void
test_expand(void **state)
{
	check_expand("$A", '\\', "aa");
	check_expand("${A}b", '\\', "aab");
	check_expand("$Ab", '\\', "");
	check_expand("x$NOPE-y", '\\', "x-y");
	check_expand("${NOPE:-def}", '\\', "def");
	check_expand("${EMPTY:-def}", '\\', "def");
	check_expand("${EMPTY-def}", '\\', "");
	check_expand("${NOPE-def}", '\\', "def");
	check_expand("${A:-def}", '\\', "aa");
	check_expand("${A:+alt}", '\\', "alt");
	check_expand("${EMPTY:+alt}", '\\', "");
	check_expand("${EMPTY+alt}", '\\', "alt");
	check_expand("${NOPE:+alt}", '\\', "");
	check_expand("${NOPE:-${A}x}", '\\', "aax");
	check_expand("'$A'", '\\', "$A");
	check_expand("\"$A $SP\"", '\\', "aa x y");
	check_expand("\\$A", '\\', "$A");
	check_expand("\"\\$A \\\" \\\\ \\n\"", '\\', "$A \" \\ \\n");
	check_expand("a\\ b", '\\', "a b");
	check_expand("`$A", '`', "$A");
	check_expand("C:\\dir", '`', "C:\\dir");
	check_expand("$", '\\', "$");
	check_expand("a$ b", '\\', "a$ b");

	char *out;
	sdc_error_t err = NULL;
	assert_int_equal(dockerfile_expand("${NOPE:?must be set}", '\\', vars, NULL, &out, &err), -1);
	assert_string_equal(sdc_error_msg(err), "NOPE: must be set");
	sdc_error_release(&err);
	assert_int_equal(dockerfile_expand("'open", '\\', vars, NULL, &out, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "single-quote"));
	sdc_error_release(&err);
	assert_int_equal(dockerfile_expand("${A", '\\', vars, NULL, &out, &err), -1);
	sdc_error_release(&err);
	assert_int_equal(dockerfile_expand("${A/x/y}", '\\', vars, NULL, &out, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "unsupported modifier"));
	sdc_error_release(&err);
	assert_int_equal(dockerfile_expand("${}", '\\', vars, NULL, &out, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "bad substitution"));
	sdc_error_release(&err);
}

static void
test_match(void **state)
{
	assert_int_equal(dockerignore_match("*.go", "a.go"), 1);
	assert_int_equal(dockerignore_match("*.go", "d/a.go"), 0);
	assert_int_equal(dockerignore_match("*/a.go", "d/a.go"), 1);
	assert_int_equal(dockerignore_match("a?c", "abc"), 1);
	assert_int_equal(dockerignore_match("a?c", "a/c"), 0);
	assert_int_equal(dockerignore_match("[a-c]x", "bx"), 1);
	assert_int_equal(dockerignore_match("[^a-c]x", "bx"), 0);
	assert_int_equal(dockerignore_match("[^a-c]x", "dx"), 1);
	assert_int_equal(dockerignore_match("\\*x", "*x"), 1);
	assert_int_equal(dockerignore_match("\\*x", "ax"), 0);
	assert_int_equal(dockerignore_match("**/a.go", "a.go"), 1);
	assert_int_equal(dockerignore_match("**/a.go", "x/y/a.go"), 1);
	assert_int_equal(dockerignore_match("x/**/a.go", "x/a.go"), 1);
	assert_int_equal(dockerignore_match("x/**/a.go", "x/1/2/a.go"), 1);
	assert_int_equal(dockerignore_match("x/**", "x/1/2"), 1);
	assert_int_equal(dockerignore_match("**", "anything/at/all"), 1);
	assert_int_equal(dockerignore_match("**.md", "d/e/r.md"), 1);
	assert_int_equal(dockerignore_match("[", "a"), -1);
	assert_int_equal(dockerignore_match("[]a]", "a"), -1);
	assert_int_equal(dockerignore_match("a\\", "a"), -1);
	/* Many stars against a long path: remembered failures, no blowup. */
	assert_int_equal(dockerignore_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0);
	assert_int_equal(dockerignore_match("**/**/**/**/**/**/**/**/z",
		"a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/y"), 0);
}

static void
test_clean(void **state)
{
	static const char *const cases[][2] = {
		{ "", "." }, { "a/b/../c", "a/c" }, { "./a//b/", "a/b" },
		{ "../a", "../a" }, { "/../a", "/a" }, { "a/..", "." },
		{ "/", "/" }, { "a/../../b", "../b" }, { "ab/../c", "c" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c = dockerignore_clean(cases[i][0]);
		if (strcmp(c, cases[i][1]) != 0)
			fail_msg("clean(%s) = %s, wanted %s", cases[i][0], c, cases[i][1]);
		free(c);
	}
}

static void
test_ignore(void **state)
{
	struct dockerignore di;
	sdc_error_t err = NULL;
	const char *text =
		"# comment\n"
		"  *.log  \n"
		"!keep.log\n"
		"/secret\n"
		"docs/**/*.tmp\n"
		"build/./\n"
		"**/node_modules\n";

	assert_int_equal(dockerignore_parse(text, strlen(text), &di, &err), 0);
	assert_int_equal(di.n, 6);
	assert_true(dockerignore_excluded(&di, "a.log"));
	assert_false(dockerignore_excluded(&di, "keep.log"));
	assert_false(dockerignore_excluded(&di, "d/a.log"));
	assert_true(dockerignore_excluded(&di, "secret"));
	assert_true(dockerignore_excluded(&di, "secret/inner/file"));
	assert_false(dockerignore_excluded(&di, "secrets"));
	assert_true(dockerignore_excluded(&di, "docs/x.tmp"));
	assert_true(dockerignore_excluded(&di, "docs/a/b/x.tmp"));
	assert_false(dockerignore_excluded(&di, "docs/a/b/x.md"));
	assert_true(dockerignore_excluded(&di, "build/out.o"));
	assert_true(dockerignore_excluded(&di, "src/node_modules/x/y.js"));
	assert_true(dockerignore_excluded(&di, "./a.log"));
	assert_false(dockerignore_excluded(&di, "Dockerfile"));
	dockerignore_free(&di);

	/* An exception inside an excluded folder takes the file back. */
	text = "dir\n!dir/keep\n";
	assert_int_equal(dockerignore_parse(text, strlen(text), &di, &err), 0);
	assert_true(dockerignore_excluded(&di, "dir/other"));
	assert_false(dockerignore_excluded(&di, "dir/keep"));
	dockerignore_free(&di);

	text = "ok\n[bad\n";
	assert_int_equal(dockerignore_parse(text, strlen(text), &di, &err), -1);
	assert_non_null(strstr(sdc_error_msg(err), "line 2: syntax error in pattern"));
	sdc_error_release(&err);
	text = "!\n";
	assert_int_equal(dockerignore_parse(text, strlen(text), &di, &err), -1);
	sdc_error_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_ignore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
