/*
 * tui.c: `sdcadm-docker tui`, the operator's full-screen view (ncurses).
 *
 * Five panes over the same data the subcommands show: accounts,
 * containers, tunables, log usage and networks (every account's).  Each
 * pane is a loader that returns rows (JSON objects) and a column list; the table is drawn by output.c's
 * adm_output_table() into a memory stream, so the TUI and the command line
 * lay out tables the same way and this file only moves a cursor over
 * lines.  Keys: Tab/1-5 panes, arrows/j/k move, Enter inspects, e edits a
 * tunable through SAPI, / filters, r refreshes (and every few seconds by
 * itself), ? lists the keys, q leaves.
 *
 * The terminal is always given back: endwin() runs on every way out,
 * SIGINT and SIGTERM included (they only set a flag the loop checks).
 */
#include <curses.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adm.h"
#include "jsonutil.h"
#include "xalloc.h"

#define TUI_REFRESH_SECS 5

struct tui_pane {
	const char *title;
	const struct adm_column *columns;
	json_t *(*load)(const struct adm_ctx *ctx, sdc_error_t *err);
	/* What Enter shows for a row: a JSON value (new reference). */
	json_t *(*inspect)(const struct adm_ctx *ctx, json_t *row, sdc_error_t *err);
	bool editable;
};

struct tui {
	const struct adm_ctx *ctx;
	int pane;
	json_t *rows;           /* the pane's rows, unfiltered */
	json_t *shown;          /* after the filter */
	char filter[128];
	int cursor, top;
	char status[256];
	time_t loaded_at;
};

static volatile sig_atomic_t tui_stop;

static void
tui_on_signal(int sig)
{
	tui_stop = 1;
}

/* --- the panes --- */

static const struct adm_column tui_account_columns[] = {
	{ "login", "LOGIN", 0 },
	{ "email", "EMAIL", ADM_COL_SHRINK },
	{ "approved", "APPROVED", 0 },
	{ "state", "STATE", 0 },
	{ "uuid", "UUID", ADM_COL_SHRINK },
	{ NULL, NULL, 0 }
};

static json_t *
tui_load_accounts(const struct adm_ctx *ctx, sdc_error_t *err)
{
	json_t *list = adm_admin_call(ctx, "GET", "/accounts", NULL, err), *rows, *a;
	size_t i;

	if (list == NULL)
		return NULL;
	rows = json_array();
	json_array_foreach(list, i, a)
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s}",
		    "login", json_str(a, "login", ""), "email", json_str(a, "email", "-"),
		    "approved", json_bool(a, "approved_for_provisioning", false) ? "yes" : "no",
		    "state", json_bool(a, "disabled", false) ? "disabled" : "enabled",
		    "uuid", json_str(a, "uuid", "")));
	json_decref(list);
	return rows;
}

static json_t *
tui_inspect_account(const struct adm_ctx *ctx, json_t *row, sdc_error_t *err)
{
	const char *login = json_str(row, "login", "");
	char *path = adm_account_path(login, NULL), *kpath = adm_account_path(login, "/keys");
	json_t *acct = adm_admin_call(ctx, "GET", path, NULL, err), *keys = NULL;

	if (acct != NULL && (keys = adm_admin_call(ctx, "GET", kpath, NULL, err)) != NULL)
		json_object_set_new(acct, "keys", keys);
	free(path);
	free(kpath);
	if (acct != NULL && keys == NULL) {
		json_decref(acct);
		acct = NULL;
	}
	return acct;
}

static json_t *
tui_load_containers(const struct adm_ctx *ctx, sdc_error_t *err)
{
	return adm_container_rows(ctx, NULL, true, err);
}

static json_t *
tui_inspect_container(const struct adm_ctx *ctx, json_t *row, sdc_error_t *err)
{
	char *path;
	json_t *v;

	xasprintf(&path, "/containers/%s", json_str(row, "id", ""));
	v = adm_admin_call(ctx, "GET", path, NULL, err);
	free(path);
	return v;
}

static json_t *
tui_load_networks(const struct adm_ctx *ctx, sdc_error_t *err)
{
	return adm_network_rows(ctx, NULL, err);
}

/* The network as `network inspect` prints it, its account's login in. */
static json_t *
tui_inspect_network(const struct adm_ctx *ctx, json_t *row, sdc_error_t *err)
{
	return json_incref(json_object_get(row, "inspect"));
}

static const struct adm_column tui_tunable_columns[] = {
	{ "key", "TUNABLE", 0 },
	{ "text", "VALUE", ADM_COL_SHRINK },
	{ "from", "FROM", 0 },
	{ NULL, NULL, 0 }
};

static json_t *
tui_load_tunables(const struct adm_ctx *ctx, sdc_error_t *err)
{
	json_t *rows = adm_config_rows(ctx, err), *r;
	size_t i;

	json_array_foreach(rows, i, r) {
		char *text = json_text(json_object_get(r, "value"));

		json_object_set_new(r, "text", json_string(text));
		free(text);
	}
	return rows;
}

static json_t *
tui_inspect_row(const struct adm_ctx *ctx, json_t *row, sdc_error_t *err)
{
	return json_incref(row);
}

static json_t *
tui_load_logs(const struct adm_ctx *ctx, sdc_error_t *err)
{
	return adm_logs_usage_rows(ctx, err);
}

static json_t *
tui_inspect_node(const struct adm_ctx *ctx, json_t *row, sdc_error_t *err)
{
	return json_incref(json_object_get(row, "inspect"));
}

static const struct tui_pane tui_panes[] = {
	{ "Accounts", tui_account_columns, tui_load_accounts, tui_inspect_account, false },
	{ "Containers", adm_container_columns, tui_load_containers, tui_inspect_container, false },
	{ "Tunables", tui_tunable_columns, tui_load_tunables, tui_inspect_row, true },
	{ "Log usage", adm_logs_usage_node_columns, tui_load_logs, tui_inspect_row, false },
	{ "Nodes", adm_node_columns, adm_node_rows, tui_inspect_node, false },
	{ "Networks", adm_network_columns, tui_load_networks, tui_inspect_network, false },
};
#define TUI_NPANES (int)(sizeof tui_panes / sizeof tui_panes[0])

/* --- data --- */

static bool
row_matches(const json_t *row, const char *filter)
{
	const char *k;
	json_t *v;

	if (*filter == '\0')
		return true;
	json_object_foreach((json_t *)row, k, v) {
		char *text = json_is_string(v) ? xstrdup(json_string_value(v)) : json_text(v);
		bool hit = strstr(text, filter) != NULL;

		free(text);
		if (hit)
			return true;
	}
	return false;
}

static void
tui_apply_filter(struct tui *t)
{
	size_t i;
	json_t *r;

	json_decref(t->shown);
	t->shown = json_array();
	json_array_foreach(t->rows, i, r)
		if (row_matches(r, t->filter))
			json_array_append(t->shown, r);
	if (t->cursor >= (int)json_array_size(t->shown))
		t->cursor = json_array_size(t->shown) > 0 ? (int)json_array_size(t->shown) - 1 : 0;
}

static void
tui_load(struct tui *t)
{
	sdc_error_t err = NULL;
	json_t *rows = tui_panes[t->pane].load(t->ctx, &err);

	json_decref(t->rows);
	t->rows = rows != NULL ? rows : json_array();
	if (rows == NULL)
		snprintf(t->status, sizeof t->status, "%s", sdc_error_msg(err));
	sdc_error_release(&err);
	t->loaded_at = time(NULL);
	tui_apply_filter(t);
}

/* --- drawing --- */

/* The table as lines: header first. */
static char **
tui_table_lines(const struct tui *t, int width, int *nlines)
{
	char *text = NULL, **lines = NULL, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int n = 0;

	adm_output_table(f, width, tui_panes[t->pane].columns, t->shown, NULL);
	fclose(f);
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		lines = xrealloc(lines, (size_t)(n + 1) * sizeof *lines);
		lines[n++] = xstrdup(l);
	}
	free(text);
	*nlines = n;
	return lines;
}

static void
tui_draw_tabs(const struct tui *t)
{
	move(0, 0);
	clrtoeol();
	attron(A_BOLD);
	printw("sdcadm-docker ");
	attroff(A_BOLD);
	for (int i = 0; i < TUI_NPANES; i++) {
		if (i == t->pane)
			attron(A_REVERSE);
		printw(" %d:%s ", i + 1, tui_panes[i].title);
		if (i == t->pane)
			attroff(A_REVERSE);
	}
}

static void
tui_draw(struct tui *t)
{
	int rows, cols, n, body;
	char **lines;

	getmaxyx(stdscr, rows, cols);
	erase();
	tui_draw_tabs(t);
	lines = tui_table_lines(t, cols, &n);
	body = rows - 4;        /* tabs, header, status, hint */
	if (t->cursor < t->top)
		t->top = t->cursor;
	if (t->cursor >= t->top + body)
		t->top = t->cursor - body + 1;
	if (n > 0) {
		attron(A_UNDERLINE);
		mvaddnstr(1, 0, lines[0], cols);
		attroff(A_UNDERLINE);
	}
	for (int i = 0; i < body && t->top + i + 1 < n; i++) {
		if (t->top + i == t->cursor)
			attron(A_REVERSE);
		mvaddnstr(2 + i, 0, lines[t->top + i + 1], cols);
		if (t->top + i == t->cursor)
			attroff(A_REVERSE);
	}
	for (int i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	mvprintw(rows - 2, 0, "%zu of %zu%s%s%s", json_array_size(t->shown),
	    json_array_size(t->rows), *t->filter ? "  filter: " : "", t->filter,
	    *t->status ? "  | " : "");
	addnstr(t->status, cols - getcurx(stdscr) - 1);
	attron(A_DIM);
	mvaddnstr(rows - 1, 0, "Tab/1-5 pane  Enter inspect  e edit  / filter  "
	    "r refresh  ? keys  q quit", cols);
	attroff(A_DIM);
	refresh();
}

/* A one-line prompt at the bottom; returns false on Esc. */
static bool
tui_prompt(const char *label, const char *initial, char *out, size_t len)
{
	int rows, cols, ch;
	size_t n;

	snprintf(out, len, "%s", initial);
	n = strlen(out);
	getmaxyx(stdscr, rows, cols);
	curs_set(1);
	for (;;) {
		move(rows - 1, 0);
		clrtoeol();
		attron(A_BOLD);
		addnstr(label, cols);
		attroff(A_BOLD);
		addnstr(out, cols - getcurx(stdscr) - 1);
		refresh();
		ch = getch();
		if (ch == ERR)
			continue;
		if (ch == 27 || tui_stop) {
			curs_set(0);
			return false;
		}
		if (ch == '\n' || ch == KEY_ENTER)
			break;
		if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && n > 0)
			out[--n] = '\0';
		else if (ch >= 32 && ch < 127 && n + 1 < len) {
			out[n++] = (char)ch;
			out[n] = '\0';
		}
	}
	curs_set(0);
	return true;
}

/* A scrollable view of a JSON value; any of q, Esc, Enter goes back. */
static void
tui_view(const char *title, json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	char **lines = NULL, *save = NULL;
	int n = 0, top = 0, rows, cols, ch;

	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		lines = xrealloc(lines, (size_t)(n + 1) * sizeof *lines);
		lines[n++] = l;
	}
	while (!tui_stop) {
		getmaxyx(stdscr, rows, cols);
		erase();
		attron(A_BOLD);
		mvaddnstr(0, 0, title, cols);
		attroff(A_BOLD);
		for (int i = 0; i < rows - 2 && top + i < n; i++)
			mvaddnstr(1 + i, 0, lines[top + i], cols);
		attron(A_DIM);
		mvaddnstr(rows - 1, 0, "arrows scroll  q back", cols);
		attroff(A_DIM);
		refresh();
		ch = getch();
		if (ch == 'q' || ch == 27 || ch == '\n')
			break;
		if ((ch == KEY_DOWN || ch == 'j') && top + rows - 2 < n)
			top++;
		else if ((ch == KEY_UP || ch == 'k') && top > 0)
			top--;
		else if (ch == KEY_NPAGE)
			top = top + rows - 2 < n ? top + rows - 2 : top;
		else if (ch == KEY_PPAGE)
			top = top > rows - 2 ? top - (rows - 2) : 0;
	}
	free(lines);
	free(text);
}

static void
tui_help(void)
{
	json_t *keys = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "Tab, 1-6", "switch pane (accounts, containers, tunables, log usage, nodes, networks)",
	    "Up/Down, j/k, PgUp/PgDn", "move",
	    "Enter", "inspect the selected row",
	    "e", "edit the selected tunable (written to SAPI with If-Match)",
	    "/", "filter rows by a substring (empty: all)",
	    "r", "refresh now (also every 5 seconds)",
	    "?", "this list",
	    "q", "quit");

	tui_view("Keys", keys);
	json_decref(keys);
}

static void
tui_edit(struct tui *t)
{
	json_t *row = json_array_get(t->shown, (size_t)t->cursor);
	char label[160], value[1024], *pair;
	sdc_error_t err = NULL;

	if (!tui_panes[t->pane].editable || row == NULL) {
		snprintf(t->status, sizeof t->status, "nothing to edit here");
		return;
	}
	snprintf(label, sizeof label, "%s = ", json_str(row, "key", ""));
	if (!tui_prompt(label, json_str(row, "text", ""), value, sizeof value))
		return;
	xasprintf(&pair, "%s=%s", json_str(row, "key", ""), value);
	if (adm_config_set(t->ctx, &pair, 1, json_int(row, "version", 0), &err) < 0)
		snprintf(t->status, sizeof t->status, "not saved: %s", sdc_error_msg(err));
	else
		snprintf(t->status, sizeof t->status, "saved %s", pair);
	sdc_error_release(&err);
	free(pair);
	tui_load(t);
}

static void
tui_inspect(struct tui *t)
{
	json_t *row = json_array_get(t->shown, (size_t)t->cursor), *v;
	sdc_error_t err = NULL;

	if (row == NULL)
		return;
	v = tui_panes[t->pane].inspect(t->ctx, row, &err);
	if (v == NULL) {
		snprintf(t->status, sizeof t->status, "%s", sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	tui_view(tui_panes[t->pane].title, v);
	json_decref(v);
}

static void
tui_switch(struct tui *t, int pane)
{
	t->pane = pane;
	t->cursor = t->top = 0;
	t->status[0] = '\0';
	t->filter[0] = '\0';   /* a filter is about one pane's rows */
	tui_load(t);
}

/* One key; false to leave. */
static bool
tui_key(struct tui *t, int ch)
{
	int n = (int)json_array_size(t->shown), rows = getmaxy(stdscr);

	switch (ch) {
	case 'q': return false;
	case '\t': tui_switch(t, (t->pane + 1) % TUI_NPANES); break;
	case KEY_BTAB: tui_switch(t, (t->pane + TUI_NPANES - 1) % TUI_NPANES); break;
	case '1': case '2': case '3': case '4': case '5': case '6':
		tui_switch(t, ch - '1');
		break;
	case KEY_DOWN: case 'j': if (t->cursor + 1 < n) t->cursor++; break;
	case KEY_UP: case 'k': if (t->cursor > 0) t->cursor--; break;
	case KEY_NPAGE: t->cursor = t->cursor + rows - 4 < n ? t->cursor + rows - 4 : (n > 0 ? n - 1 : 0); break;
	case KEY_PPAGE: t->cursor = t->cursor > rows - 4 ? t->cursor - (rows - 4) : 0; break;
	case '\n': case KEY_ENTER: tui_inspect(t); break;
	case 'e': tui_edit(t); break;
	case '/':
		if (tui_prompt("filter: ", t->filter, t->filter, sizeof t->filter))
			tui_apply_filter(t);
		break;
	case 'r': t->status[0] = '\0'; tui_load(t); break;
	case '?': tui_help(); break;
	default: break;
	}
	return true;
}

static int
tui_exec(const struct adm_cmd_entry *self, struct adm_ctx *ctx, int argc, char **argv)
{
	struct tui t = { .ctx = ctx };
	struct sigaction sa = { .sa_handler = tui_on_signal }, old_int, old_term;
	int ch;

	if (argc > 1)
		return adm_cmd_usage_error(self, "unexpected argument '%s'", argv[1]);
	if (!isatty(0) || !isatty(1)) {
		adm_cmd_warn(self, "needs a terminal");
		return ADM_EXIT_USAGE;
	}
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	tui_stop = 0;
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	timeout(1000);          /* wake up to refresh and to see signals */
	tui_load(&t);
	while (!tui_stop) {
		tui_draw(&t);
		ch = getch();
		if (ch == ERR) {
			if (time(NULL) - t.loaded_at >= TUI_REFRESH_SECS)
				tui_load(&t);
			continue;
		}
		if (ch == KEY_RESIZE)
			continue;
		if (!tui_key(&t, ch))
			break;
	}
	endwin();
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	json_decref(t.rows);
	json_decref(t.shown);
	return ADM_EXIT_OK;
}

const struct adm_cmd_entry adm_cmd_tui_entry = {
	.name = "tui",
	.usage = "",
	.help =
	    "A full-screen view of accounts, containers, tunables, log usage,\n"
	    "compute nodes and networks (every account's).  Tab or 1-6 switch\n"
	    "panes; Enter inspects; e edits a tunable through SAPI; / filters;\n"
	    "r refreshes (it also does every 5 seconds); ? lists the keys; q\n"
	    "quits.  Works from 80x24 up and follows resizes.\n",
	.flags = ADM_CMD_NEEDS_ADMIN | ADM_CMD_NEEDS_SAPI,
	.exec = tui_exec,
};
