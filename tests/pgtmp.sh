#!/bin/sh
# A throw-away PostgreSQL 15 (Debian's) for the tests: one data folder in
# a temporary directory, reached on a unix socket in that directory only
# (no TCP), run as the unprivileged user postgres, with the settings of a
# test (fsync off: a crash of the machine may lose the test's data, which
# is gone anyway).
#
#   tests/pgtmp.sh start DIR    initdb (first time: a copy of the one
#                               template folder) and start; prints the
#                               libpq URI the daemons take as `store:`
#   tests/pgtmp.sh stop DIR     fast shutdown (connections are cut)
#   tests/pgtmp.sh restart DIR  stop, then start on the same data
#   tests/pgtmp.sh uri DIR      the URI only
#
# PGTMP_PORT=N: the server also listens on TCP, 127.0.0.1:N (its socket
# is then .s.PGSQL.N, and the URI names the port), for a test that needs
# the network between a daemon and PostgreSQL (a host dropping packets).
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

port=${PGTMP_PORT:-5432}
listen=
[ -n "${PGTMP_PORT:-}" ] && listen=127.0.0.1

uri() {
	echo "postgresql:///postgres?host=$dir&port=$port&user=postgres"
}

# initdb's data folder for these settings, made once (under a lock, for
# tests that start at once) per PostgreSQL version and users, and copied
# for each new folder: initdb took longer than the rest of a test's
# PostgreSQL start.  Prints its path.
INITDB_ARGS="-U postgres --auth=trust --no-locale -E UTF8 --no-sync"
template() {
	key=$( { "$PGBIN/postgres" --version; id -u; id -u "$PGUSER_OS"
	    echo "$INITDB_ARGS"; } | md5sum | cut -c1-12)
	tpl=${TMPDIR:-/tmp}/sdc-pgtmp-template-$key
	(
		flock 9
		if [ ! -f "$tpl/PG_VERSION" ]; then
			new=$tpl.new.$$
			mkdir -p "$new" "$tpl.logs"
			[ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$new"
			# shellcheck disable=SC2086 # the arguments, split
			as_pg "$PGBIN/initdb" -D "$new" $INITDB_ARGS \
			    >"$tpl.logs/initdb.log" 2>&1 || {
				cat "$tpl.logs/initdb.log" >&2; rm -rf "$new"
				exit 1; }
			mv "$new" "$tpl"
		fi
	) 9>"$tpl.lock" || exit 1
	echo "$tpl"
}

start() {
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$dir"
	chmod 0755 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		tpl=$(template) || exit 1
		cp -a "$tpl" "$dir/data"
	fi
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
	    -o "-k $dir -p $port -c listen_addresses=$listen -c fsync=off \
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
