#!/bin/sh
# The sdcadm-docker shell under tmux: `logs us<TAB>` completes to `logs
# usage`, the command runs, Ctrl-C cancels the line being typed (and not
# the shell: the cancelled cleanup never runs), history is written to
# ~/.sdcadm_docker_history or under $XDG_STATE_HOME, exit and Ctrl-D leave
# with status 0.  Without a terminal and without a command: usage, status 2.
set -eu
top=${SDC_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
adm=${SDC_BIN:-$top/build/bin}/sdcadm-docker
[ -x "$adm" ] || { echo "no $adm"; exit 1; }
command -v tmux >/dev/null || { echo "no tmux"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/84-adm-shell.XXXXXX")
n=0
T=
cleanup() {
	for s in "$tmp"/tmux*.sock; do
		[ -S "$s" ] && tmux -S "$s" kill-server 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
z=$tmp/zones
fail() {
	echo "FAIL: $*"
	echo "--- screen:"; $T capture-pane -p 2>/dev/null | grep -v '^$' || true
	exit 1
}
"$top/bench/cleanup/mktree.py" "$z" 5 1,400

# wait_for PATTERN: until the screen shows it (5 s at most).
wait_for() {
	i=0
	while ! $T capture-pane -p | grep -q -e "$1"; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "the screen never showed '$1'"
		sleep 0.1
	done
}
# The line the cursor is on.
cursor_line() {
	y=$($T display -p '#{cursor_y}')
	$T capture-pane -p | sed -n "$((y + 1))p"
}
start() { # ENV...: a shell in a new tmux server of its own
	n=$((n + 1))
	T="tmux -S $tmp/tmux$n.sock"
	$T new-session -d -x 120 -y 30 \
	    "env $* TERM=xterm COLUMNS= $adm --zones $z; echo EXITED rc=\$?; sleep 60"
	wait_for '^sdcadm-docker>'
}

mkdir "$tmp/home"
start HOME="$tmp/home"

# Tab completes the subcommand word and adds a blank (tmux trims blanks at
# the end of a line, so the cursor's column tells).
$T send-keys -l 'logs us'
$T send-keys Tab
wait_for '^sdcadm-docker> logs usage$'
[ "$($T display -p '#{cursor_x}')" -eq 26 ] || fail "no blank after the completed word"
# Tab again adds what its flags share, and once more lists them.
$T send-keys Tab
wait_for '^sdcadm-docker> logs usage --$'
$T send-keys Tab
wait_for '^--json  --zones'
# The command runs.
$T send-keys Enter
wait_for '^TOTAL  *320  *640  *10  *960$'
echo "ok: logs us<TAB> completes and runs"

# Ctrl-C cancels the line, not the shell.
$T send-keys -l 'logs cleanup --max-age 1d'
wait_for 'logs cleanup --max-age 1d$'
$T send-keys C-c
i=0
while [ "$(cursor_line)" != "sdcadm-docker>" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "after Ctrl-C the line is '$(cursor_line)'"
	sleep 0.1
done
$T send-keys Enter
$T send-keys -l 'help'
$T send-keys Enter
wait_for "^Run 'sdcadm-docker help COMMAND'"
[ "$(find "$z" -name 'stdio.log.*' | wc -l)" -eq 10 ] || fail "the cancelled cleanup ran"
echo "ok: Ctrl-C cancels the line"

# A quoted argument reaches the command as one word.
$T send-keys -l "logs usage --zones '$z'"
$T send-keys Enter
sleep 0.3
$T send-keys -l 'logs usage --bogus'
$T send-keys Enter
wait_for "logs usage: unknown option '--bogus'"

$T send-keys -l 'exit'
$T send-keys Enter
wait_for 'EXITED rc=0'
h="$tmp/home/.sdcadm_docker_history"
[ -f "$h" ] || fail "no history file"
# libedit writes blanks as \040.
grep -q 'logs\\040usage' "$h" || fail "history lacks logs usage: $(cat "$h")"
grep -q '^help$' "$h" || fail "history lacks help: $(cat "$h")"
grep -q 'cleanup' "$h" && fail "the cancelled line went into history"
[ "$(stat -c %a "$h")" = 600 ] || fail "history file mode $(stat -c %a "$h")"
echo "ok: exit leaves; history in ~/.sdcadm_docker_history"

# History comes back in a new shell: up-arrow recalls the last command.
start HOME="$tmp/home"
$T send-keys Up
wait_for '^sdcadm-docker> exit$'
$T send-keys C-u C-d
wait_for 'EXITED rc=0'
echo "ok: history is read back; Ctrl-D leaves"

# $XDG_STATE_HOME wins over ~.
start HOME="$tmp/home" XDG_STATE_HOME="$tmp/state"
$T send-keys -l 'help logs usage'
$T send-keys Enter
wait_for 'usage: sdcadm-docker logs usage'
$T send-keys -l 'quit'
$T send-keys Enter
wait_for 'EXITED rc=0'
grep -q 'help\\040logs' "$tmp/state/sdcadm-docker/history" || fail "no history under XDG_STATE_HOME"
echo "ok: history under \$XDG_STATE_HOME"

# The bash completion file asks the binary the same questions.
command -v bash >/dev/null && {
	got=$(bash -c '. "$1/etc/bash_completion.d/sdcadm-docker"
		COMP_WORDS=("$2" --zones /z logs us); COMP_CWORD=4
		_sdcadm_docker; echo "${COMPREPLY[*]}"
		COMP_WORDS=("$2" logs cleanup --max); COMP_CWORD=3
		_sdcadm_docker; echo "${COMPREPLY[*]}"' sh "$top" "$adm")
	[ "$got" = "usage
--max-age --max-total" ] || fail "bash completion: $got"
	echo "ok: bash completion"
}

# No terminal, no command: the usage on stderr and status 2.
if "$adm" </dev/null >"$tmp/o" 2>"$tmp/e"; then fail "no command, no tty: status 0"; else rc=$?; fi
[ $rc -eq 2 ] || fail "no command, no tty: status $rc"
grep -q '^usage: sdcadm-docker' "$tmp/e" || fail "no usage on stderr"
echo "ok: no terminal, no command: usage and status 2"
