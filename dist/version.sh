#!/bin/sh
# version.sh: hbgo's version, for the package and `heartbeat -V` alike.
# A tag vX.Y.Z gives X.Y.Z, with +N.gHASH for N commits after it; without a
# tag, 0.0~gitYYYYMMDD.HASH (the commit's date: sorts below any release).
# Outside git: 0.0~unknown.
set -eu
cd "$(dirname "$0")/.."
if d=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
	echo "${d#v}" | sed 's/-\([0-9]*\)-g\([0-9a-f]*\)$/+\1.g\2/'
elif h=$(git rev-parse --short=7 HEAD 2>/dev/null); then
	echo "0.0~git$(git log -1 --format=%cd --date=format:%Y%m%d HEAD).$h"
else
	echo "0.0~unknown"
fi
