#!/bin/sh
# Installs the Debian packages a make target needs, and nothing when all are
# present.  Usage: scripts/deps.sh build|test|run|bench|fuzz ...
# apt-get update runs at most once per call, and only when something is missing.
set -eu

build="gcc clang make pkg-config libevent-dev libhttp-parser-dev libjansson-dev
libyaml-dev libsqlite3-dev libssl-dev libedit-dev
libncurses-dev libcmocka-dev libarchive-dev uuid-dev libpq-dev
nettle-dev libacl1-dev liblzma-dev libzstd-dev liblz4-dev libbz2-dev zlib1g-dev
libxml2-dev libcurl4-openssl-dev libnl-3-dev libnl-route-3-dev libnftables-dev"
test="openssl openssh-client curl tmux python3 python3-docker python3-cryptography runc crun busybox-static tini
docker-registry apache2-utils skopeo umoci keyutils docker-compose lxcfs nftables aardvark-dns iproute2
postgresql-15 e2fsprogs mount nodejs gdb"
run="openssl openssh-client curl tini crun lxcfs nftables aardvark-dns iproute2 e2fsprogs mount"
bench="wrk docker.io hyperfine"
fuzz="libclang-rt-14-dev"

want=""
for target in "$@"; do
	case "$target" in
	build) want="$want $build" ;;
	test)  want="$want $build $test" ;;
	run)   want="$want $build $run" ;;
	bench) want="$want $build $test $bench" ;;
	fuzz)  want="$want $build $fuzz" ;;
	*) echo "deps.sh: unknown target '$target'" >&2; exit 2 ;;
	esac
done

# One dpkg-query for them all (one per package took seconds on a busy
# machine, at every make).
# shellcheck disable=SC2086
installed=" $(dpkg-query -W -f='${Package} ${Status}\n' $want 2>/dev/null |
    sed -n 's/ [a-z]* ok installed$//p' | tr '\n' ' ') "
missing=""
for pkg in $want; do
	case " $missing " in *" $pkg "*) continue ;; esac
	case "$installed" in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
done
# The tests need a docker CLI, and one of them (like the benches) Debian's
# dockerd as a peer.  A docker CLI from elsewhere may come first on PATH;
# it stays in use, so docker.io is only wanted when either is absent.
case " $* " in *" test "*|*" bench "*)
	if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
		case " $missing " in *" docker.io "*) ;; *) missing="$missing docker.io" ;; esac
	fi ;;
esac
# npm (the dockerode test's installer): Debian's package, unless the
# nodejs installed has its own.
case " $* " in *" test "*|*" bench "*)
	command -v npm >/dev/null 2>&1 || missing="$missing npm" ;;
esac

[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
