#!/bin/sh
# install.sh install|uninstall: puts hbgo where Debian's heartbeat 3.0.6 has
# its programs (COMPAT §0.4), or takes it away again. Called by `make install`
# and `make uninstall`; see docs/MIGRATION.md.
#
# Environment:
#   DESTDIR   install under this directory instead of / (packaging, tests)
#   BIN       the built binary (default bin/heartbeat)
#   GEN       the rendered man pages and changelog (default bin/gen, make gen)
#   DIST      this directory (default: where this script is)
#   LIST      what goes where (default $DIST/files.list, shared with make deb)
#   DIVERT    auto | yes | no. auto (the default) = yes when DESTDIR is empty
#             and dpkg-divert exists. With yes, every path of ours that a
#             Debian package owns is first moved aside with
#             `dpkg-divert --local --rename`, so apt neither restores nor
#             deletes it, and uninstall puts it back. Under a DESTDIR it acts
#             on DESTDIR's own dpkg database (--root "$DESTDIR"), never on
#             the host's.
#   DPKG_DIVERT, DPKG_QUERY  the dpkg tools (tests may substitute them)
#   FORCE     yes: install or uninstall even though heartbeat is running
#
# Nothing under /etc/ha.d is ever written: the admin's ha.cf, haresources
# and authkeys stay as they are. What install made is listed in
# /var/lib/hbgo/install.manifest, which uninstall reads.
set -eu

action=${1:-}
DESTDIR=${DESTDIR:-}
DESTDIR=${DESTDIR%/}
DIST=${DIST:-$(cd "$(dirname "$0")" && pwd)}
BIN=${BIN:-bin/heartbeat}
GEN=${GEN:-bin/gen}
DIVERT=${DIVERT:-auto}
DPKG_DIVERT=${DPKG_DIVERT:-dpkg-divert}
DPKG_QUERY=${DPKG_QUERY:-dpkg-query}

MANIFEST=/var/lib/hbgo/install.manifest
# What goes where: the one list the package is built from too.
LIST=${LIST:-$DIST/files.list}

say() { echo "install.sh: $*" >&2; }
die() { say "$*"; exit 1; }

case $DIVERT in
auto)
	if [ -z "$DESTDIR" ] && command -v "$DPKG_DIVERT" >/dev/null 2>&1; then
		DIVERT=yes
	else
		DIVERT=no
	fi ;;
yes|no) ;;
*) die "DIVERT must be auto, yes or no, not '$DIVERT'" ;;
esac
dpkgroot=
[ -n "$DESTDIR" ] && dpkgroot="--root=$DESTDIR"

# record LINE: appended at once, so a failed install can still be undone.
record() { echo "$*" >>"$DESTDIR$MANIFEST"; }

# owned PATH: a Debian package ships PATH.
owned() {
	[ "$DIVERT" = yes ] || return 1
	# shellcheck disable=SC2086
	$DPKG_QUERY $dpkgroot -S "$1" 2>/dev/null | grep -v 'diversion \(by\|from\|to\)' | grep -q ": $1\$"
}

# aside PATH: where stock's PATH goes. Under /etc a name that logrotate,
# systemd's sysv generator and run-parts all skip.
aside() {
	case $1 in
	/etc/*) echo "$1.dpkg-dist" ;;
	*) echo "$1.distrib" ;;
	esac
}

# prepare PATH: make room for our PATH, keeping whatever is there.
prepare() {
	if owned "$1"; then
		# shellcheck disable=SC2086
		$DPKG_DIVERT $dpkgroot --local --rename --divert "$(aside "$1")" --add "$1" >/dev/null
		record "divert $1"
	elif [ -e "$DESTDIR$1" ] || [ -L "$DESTDIR$1" ]; then
		if ! grep -qx "[a-z]* $1" "$DESTDIR$MANIFEST" 2>/dev/null; then
			# not a package's and not ours: keep it for uninstall
			mv "$DESTDIR$1" "$DESTDIR$1.hbgo-saved"
			record "saved $1"
		fi
	fi
	mkdir -p "$DESTDIR$(dirname "$1")"
}

put() { # put MODE SRC PATH
	prepare "$3"
	rm -f "$DESTDIR$3"
	cp "$2" "$DESTDIR$3.hbgo-new"
	chmod "$1" "$DESTDIR$3.hbgo-new"
	mv "$DESTDIR$3.hbgo-new" "$DESTDIR$3"
	record "file $3"
}

link() { # link TARGET PATH: PATH -> TARGET
	prepare "$2"
	rm -f "$DESTDIR$2"
	ln -s "$1" "$DESTDIR$2"
	record "link $2"
}

mkdirs() { # mkdirs MODE PATH...: create the missing ones, remembered for uninstall
	m=$1
	shift
	for d in "$@"; do
		missing=
		p=$d
		while [ "$p" != / ] && [ ! -d "$DESTDIR$p" ]; do
			missing="$p $missing"
			p=$(dirname "$p")
		done
		for q in $missing; do
			mkdir -m "$m" "$DESTDIR$q"
			record "dir $q"
		done
	done
}

users() {
	# hacluster/haclient as Debian's cluster-glue makes them.
	if [ -z "$DESTDIR" ]; then
		prefix=
	elif [ -f "$DESTDIR/etc/passwd" ] && [ -f "$DESTDIR/etc/group" ]; then
		prefix="--prefix $DESTDIR"
	else
		say "no $DESTDIR/etc/passwd: not adding user hacluster and group haclient"
		return 0
	fi
	grep -q '^haclient:' "$DESTDIR/etc/group" ||
		groupadd $prefix --system haclient
	grep -q '^hacluster:' "$DESTDIR/etc/passwd" ||
		useradd $prefix --system --gid haclient --home-dir /var/lib/heartbeat \
			--no-create-home --shell /usr/sbin/nologin --comment "cluster user" hacluster
}

# refuse_running: swapping programs under a running daemon would leave it
# unstoppable: the other implementation's `heartbeat -k` does not recognise
# it as heartbeat (COMPAT §7.6 checks /proc/<pid>/exe). Stop, install, start.
refuse_running() {
	[ "${FORCE:-no}" = yes ] && return 0
	# No pid file is the usual case (nothing running): test first, since
	# the shell reports a failed `<` redirection before any 2>/dev/null.
	[ -r "$DESTDIR/run/heartbeat.pid" ] || return 0
	pid=$(tr -dc 0-9 2>/dev/null <"$DESTDIR/run/heartbeat.pid") || return 0
	[ -n "$pid" ] || return 0
	case $(readlink "/proc/$pid/exe" 2>/dev/null) in
	*/heartbeat|*/heartbeat.distrib|*/heartbeat" (deleted)"|*/heartbeat.distrib" (deleted)")
		die "heartbeat is running (pid $pid): stop it first (/etc/init.d/heartbeat stop), then $action, then start it; see docs/MIGRATION.md (FORCE=yes overrides)" ;;
	esac
}

reload_systemd() {
	if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		systemctl daemon-reload || :
	fi
}

# src SOURCE: a source column of files.list as a path here.
src() {
	case $1 in
	@BIN) echo "$BIN" ;;
	@GEN/*) echo "$GEN/${1#@GEN/}" ;;
	*) echo "$DIST/../$1" ;;
	esac
}

do_install() {
	[ -f "$BIN" ] || die "$BIN: no such file; run make build first"
	[ -f "$GEN/heartbeat.8.gz" ] || die "$GEN/heartbeat.8.gz: no such file; run make gen first"
	mkdir -p "$DESTDIR$(dirname $MANIFEST)"
	setgid=
	# shellcheck disable=SC2034
	grep -v '^[[:space:]]*\(#\|$\)' "$LIST" | while read -r kind mode from path; do
		case $kind in
		dir) mkdirs "$mode" "$path"; continue ;;
		*) mkdirs 0755 "$(dirname "$path")" ;;
		esac
		case $kind in
		file|conf)
			case $mode in
			2*) put 0755 "$(src "$from")" "$path"; echo "$path" >>"$DESTDIR$MANIFEST.setgid" ;;
			*) put "$mode" "$(src "$from")" "$path" ;;
			esac ;;
		link) link "$from" "$path" ;;
		alias)
			if [ ! -e "$DESTDIR$path" ] && [ ! -L "$DESTDIR$path" ]; then
				ln -s "$from" "$DESTDIR$path"
				record "link $path"
			fi ;;
		*) die "$LIST: unknown kind '$kind' for $path" ;;
		esac
	done
	users
	# setgid haclient (stock's cl_status is, COMPAT §7.3), once the group exists.
	if [ -f "$DESTDIR$MANIFEST.setgid" ]; then
		while read -r p; do
			if chgrp haclient "$DESTDIR$p" 2>/dev/null; then
				chmod 2755 "$DESTDIR$p"
			else
				say "cannot give $p to group haclient: only root can run it"
			fi
		done <"$DESTDIR$MANIFEST.setgid"
		rm -f "$DESTDIR$MANIFEST.setgid"
	fi
	# One line per path, also after reinstalls (diversions made then stay).
	awk '!seen[$0]++' "$DESTDIR$MANIFEST" >"$DESTDIR$MANIFEST.new"
	mv "$DESTDIR$MANIFEST.new" "$DESTDIR$MANIFEST"
	reload_systemd
}

do_uninstall() {
	[ -f "$DESTDIR$MANIFEST" ] || die "nothing to uninstall: $DESTDIR$MANIFEST not found"
	# ours first, then stock's back in place, then the directories we made
	while read -r kind p; do
		case $kind in file|link) rm -f "$DESTDIR$p" ;; esac
	done <"$DESTDIR$MANIFEST"
	while read -r kind p; do
		case $kind in
		divert)
			# shellcheck disable=SC2086
			$DPKG_DIVERT $dpkgroot --local --rename --divert "$(aside "$p")" --remove "$p" >/dev/null ;;
		saved)
			mv "$DESTDIR$p.hbgo-saved" "$DESTDIR$p" ;;
		esac
	done <"$DESTDIR$MANIFEST"
	# deepest (last made) first; a directory someone filled meanwhile stays
	dirs=$(awk '$1 == "dir" { d = $2 " " d } END { print d }' "$DESTDIR$MANIFEST")
	rm -f "$DESTDIR$MANIFEST"
	for d in $dirs $(dirname $MANIFEST); do
		rmdir "$DESTDIR$d" 2>/dev/null || :
	done
	reload_systemd
}

case $action in
install) refuse_running; do_install ;;
uninstall) refuse_running; do_uninstall ;;
*) die "usage: install.sh install|uninstall" ;;
esac
