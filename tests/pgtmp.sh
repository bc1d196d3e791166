#!/bin/sh
# A throw-away PostgreSQL 15 (Debian's) for the tests: one data folder in
# a temporary directory, reached on a unix socket in that directory only
# (no TCP), run as the unprivileged user postgres, with the settings of a
# test (fsync off: a crash of the machine may lose the test's data, which
# is gone anyway).
#
#   tests/pgtmp.sh start DIR    initdb (first time) and start; prints the
#                               libpq URI the daemons take as `store:`
#   tests/pgtmp.sh stop DIR     fast shutdown (connections are cut)
#   tests/pgtmp.sh restart DIR  stop, then start on the same data
#   tests/pgtmp.sh uri DIR      the URI only
set -eu
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGUSER_OS=${PGUSER_OS:-postgres}
cmd=${1:?usage: pgtmp.sh start|stop|restart|uri DIR}
dir=${2:?usage: pgtmp.sh start|stop|restart|uri DIR}

as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$PGUSER_OS" -- "$@"
	else
		"$@"
	fi
}

uri() {
	echo "postgresql:///postgres?host=$dir&user=postgres"
}

start() {
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$dir"
	chmod 0755 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust \
		    --no-locale -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log" >&2; exit 1; }
	fi
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
	    -o "-k $dir -c listen_addresses= -c fsync=off \
	    -c synchronous_commit=off -c full_page_writes=off \
	    -c max_connections=100 -c shared_buffers=16MB \
	    -c unix_socket_permissions=0700" start >/dev/null || {
		tail -n 20 "$dir/postgres.log" >&2; exit 1; }
	uri
}

stop() {
	[ -f "$dir/data/postmaster.pid" ] || return 0
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
}

case "$cmd" in
start) start ;;
stop) stop ;;
restart) stop; start ;;
uri) uri ;;
*) echo "pgtmp.sh: unknown command $cmd" >&2; exit 2 ;;
esac
