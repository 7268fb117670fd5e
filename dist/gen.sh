#!/bin/sh
# gen.sh OUTDIR VERSION: renders what the package and `make install` ship but
# the repository keeps as source: the man pages (docs/man/*.md, rendered with
# go-md2man, a Go tool dependency) and the Debian changelog, gzipped the
# reproducible way (gzip -n: no name, no time stamp).
set -eu
out=$1
version=$2
cd "$(dirname "$0")/.."
GO=${GO:-go}
mkdir -p "$out"
for md in docs/man/*.md; do
	page=$(basename "$md" .md)
	$GO tool go-md2man -in "$md" -out "$out/$page"
	gzip -9nf "$out/$page"
done
# A native package's changelog (Debian policy 12.7): one entry for this build.
date=$(git log -1 --format=%cD HEAD 2>/dev/null || date -R)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
{
	echo "hbgo ($version) unstable; urgency=medium"
	echo
	echo "  * Built from git commit $commit; see the repository's history."
	echo
	echo " -- hbgo maintainers <hbgo@example.org>  $date"
} >"$out/changelog"
gzip -9nf "$out/changelog"
