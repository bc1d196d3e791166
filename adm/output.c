/*
 * output.c: how every listing is shown.
 *
 * A listing is built once as JSON (an array of objects, plus an optional
 * footer object for totals) and rendered here either as that JSON or as a
 * table, so the --json form and the table can never disagree and a new
 * subcommand gets both by describing its columns.  Tables fit the width
 * budget by cutting the columns marked ADM_COL_SHRINK (ids and numbers are
 * never cut: a cut id is a wrong id).  $COLUMNS wins over the terminal so a
 * script or a test can ask for a width; without either the width is 80.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "adm.h"
#include "xalloc.h"

#define OUTPUT_GAP 2		/* blanks between columns */
#define OUTPUT_MIN_SHRUNK 8	/* a cut column keeps at least this much */

int
adm_output_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	long n;
	char *end;

	if (cols != NULL && *cols != '\0') {
		n = strtol(cols, &end, 10);
		if (*end == '\0' && n > 0 && n < 100000)
			return (int)n;
	}
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

void
adm_output_json(const struct adm_ctx *ctx, json_t *value)
{
	json_dumpf(value, ctx->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', ctx->out);
}

/* The text of one cell; caller frees. */
static char *
output_cell(const json_t *row, const struct adm_column *col)
{
	const json_t *v = json_object_get(row, col->key);
	char size[32], *s;

	if (v == NULL || json_is_null(v))
		return xstrdup("-");
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v) && (col->flags & ADM_COL_BYTES) &&
	    json_integer_value(v) >= 0)
		return xstrdup(adm_units_format_size(
		    (uint64_t)json_integer_value(v), size, sizeof size));
	if (json_is_integer(v)) {
		xasprintf(&s, "%lld", (long long)json_integer_value(v));
		return s;
	}
	if (json_is_real(v)) {
		xasprintf(&s, "%g", json_real_value(v));
		return s;
	}
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	s = json_dumps(v, JSON_COMPACT);
	return s != NULL ? s : xstrdup("?");
}

struct output_grid {
	size_t ncols;
	size_t nrows;		/* header, rows, footer */
	char **cells;		/* nrows x ncols */
	size_t *widths;
};

static void
output_grid_row(struct output_grid *g, size_t r, const struct adm_column *cols,
    const json_t *row)
{
	size_t c, len;

	for (c = 0; c < g->ncols; c++) {
		g->cells[r * g->ncols + c] = row != NULL ?
		    output_cell(row, &cols[c]) : xstrdup(cols[c].header);
		len = strlen(g->cells[r * g->ncols + c]);
		if (len > g->widths[c])
			g->widths[c] = len;
	}
}

static void
output_grid_build(struct output_grid *g, const struct adm_column *cols,
    json_t *rows, json_t *footer)
{
	size_t i, n = json_array_size(rows);

	for (g->ncols = 0; cols[g->ncols].key != NULL; g->ncols++)
		;
	g->nrows = 1 + n + (footer != NULL);
	g->cells = xcalloc(g->nrows * g->ncols, sizeof *g->cells);
	g->widths = xcalloc(g->ncols, sizeof *g->widths);
	output_grid_row(g, 0, cols, NULL);
	for (i = 0; i < n; i++)
		output_grid_row(g, 1 + i, cols, json_array_get(rows, i));
	if (footer != NULL)
		output_grid_row(g, 1 + n, cols, footer);
}

/* Cut shrinkable columns, left to right, until the table fits. */
static void
output_grid_fit(struct output_grid *g, const struct adm_column *cols, int width)
{
	size_t c, total = 0, excess, give;

	for (c = 0; c < g->ncols; c++)
		total += g->widths[c] + (c > 0 ? OUTPUT_GAP : 0);
	if (width <= 0 || total <= (size_t)width)
		return;
	excess = total - (size_t)width;
	for (c = 0; c < g->ncols && excess > 0; c++) {
		if (!(cols[c].flags & ADM_COL_SHRINK) ||
		    g->widths[c] <= OUTPUT_MIN_SHRUNK)
			continue;
		give = g->widths[c] - OUTPUT_MIN_SHRUNK;
		if (give > excess)
			give = excess;
		g->widths[c] -= give;
		excess -= give;
	}
}

static void
output_grid_print(const struct output_grid *g, const struct adm_column *cols,
    FILE *f)
{
	size_t r, c, w, len;
	const char *s;

	for (r = 0; r < g->nrows; r++) {
		for (c = 0; c < g->ncols; c++) {
			s = g->cells[r * g->ncols + c];
			w = g->widths[c];
			len = strlen(s);
			if (c > 0)
				fprintf(f, "%*s", OUTPUT_GAP, "");
			if (len > w)
				fprintf(f, "%.*s...", (int)(w > 3 ? w - 3 : 0), s);
			else if (cols[c].flags & ADM_COL_RIGHT)
				fprintf(f, "%*s", (int)w, s);
			else if (c + 1 < g->ncols)
				fprintf(f, "%-*s", (int)w, s);
			else
				fputs(s, f);
		}
		fputc('\n', f);
	}
}

static void
output_grid_free(struct output_grid *g)
{
	size_t i;

	for (i = 0; i < g->nrows * g->ncols; i++)
		free(g->cells[i]);
	free(g->cells);
	free(g->widths);
}

void
adm_output_table(FILE *f, int width, const struct adm_column *cols,
    json_t *rows, json_t *footer)
{
	struct output_grid g;

	memset(&g, 0, sizeof g);
	output_grid_build(&g, cols, rows, footer);
	output_grid_fit(&g, cols, width);
	output_grid_print(&g, cols, f);
	output_grid_free(&g);
}

void
adm_output_list(const struct adm_ctx *ctx, const struct adm_column *cols,
    json_t *rows, json_t *footer)
{
	if (ctx->json)
		adm_output_json(ctx, rows);
	else
		adm_output_table(ctx->out, adm_output_width(), cols, rows, footer);
}
