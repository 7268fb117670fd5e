#!/bin/sh
# record.sh regenerates the stock-recorded goldens in this directory by running
# Debian heartbeat 3.0.6's own /usr/share/heartbeat/ResourceManager against
# private copies of /etc/ha.d. It must run as root; it re-executes itself in a
# private mount namespace (unshare --mount --propagation private) and bind-mounts
# a scratch directory over /etc/ha.d, so the host's /etc/ha.d is never read or
# written. Usage: sh testdata/stock/record.sh   (from the package directory)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "${RECORD_INNER:-}" != yes ]; then
	exec env RECORD_INNER=yes unshare --mount --propagation private sh "$here/record.sh"
fi
RM=/usr/share/heartbeat/ResourceManager
scratch=$(mktemp -d)
trap 'umount /etc/ha.d 2>/dev/null || true; rm -rf "$scratch"' EXIT
cp /etc/ha.d/shellfuncs "$scratch/"
mkdir "$scratch/resource.d"
mount --bind "$scratch" /etc/ha.d
export HA_LOGFILE="$scratch/ha-log" HA_DEBUGLOG="$scratch/ha-debug" HA_LOGFACILITY= HA_RESOURCEDIR=/etc/ha.d/resource.d

# q prints each input line as a JSON (= Go-quotable) string.
q() { python3 -c 'import sys,json
t = sys.stdin.read()
t = t[:-1] if t.endswith("\n") else t
for l in (t.split("\n") if t else []): print(json.dumps(l))'; }

# Normalisation: for each case file, what listkeys/otherkeys print.
out="$here/normalise.golden"
{
	echo "# Produced by testdata/stock/record.sh: /usr/share/heartbeat/ResourceManager (heartbeat 3.0.6-13+b2)"
	echo "# run on each haresources case below. Format: '== case <name>', the file as"
	echo "# Go-quoted lines after 'file:', then 'listkeys:' (listkeys '.*', one key a"
	echo "# line, Go-quoted), 'listkeys node1:' and 'lines:' (otherkeys with HA_CURHOST=nosuchnode, i.e."
	echo "# every normalised line without its node field, Go-quoted)."
} >"$out"
for f in "$here"/normalise/*.haresources; do
	name=$(basename "$f" .haresources)
	cp "$f" /etc/ha.d/haresources
	{
		echo "== case $name"
		echo "file:"
		q <"$f"
		echo "listkeys:"
		"$RM" listkeys '.*' 2>/dev/null | q
		echo "listkeys node1:"
		"$RM" listkeys node1 2>/dev/null | q
		echo "lines:"
		HA_CURHOST=nosuchnode "$RM" otherkeys 2>/dev/null | q
	} >>"$out"
done

# status interpretation: a resource script printing each sample on stdout.
out="$here/status.golden"
{
	echo "# Produced by testdata/stock/record.sh: /usr/share/heartbeat/ResourceManager status"
	echo "# (heartbeat 3.0.6-13+b2) on a resource.d script that prints the sample on"
	echo "# stdout and exits with the given code. Format: <RM exit> <script exit> <Go-quoted"
	echo "# stdout>. RM exit 0 = running, 3 = not running."
} >"$out"
cat >/etc/ha.d/resource.d/sample <<'SH'
#!/bin/sh
cat /etc/ha.d/sample.txt
cat /etc/ha.d/sample.err >&2
exit $(cat /etc/ha.d/sample.rc)
SH
chmod 755 /etc/ha.d/resource.d/sample
: >/etc/ha.d/sample.err
while IFS= read -r line; do
	case $line in '#'*|'') continue;; esac
	rc=${line%% *}
	quoted=${line#* }
	printf '%s' "$quoted" | python3 -c 'import ast,sys; sys.stdout.write(ast.literal_eval(sys.stdin.read()))' >/etc/ha.d/sample.txt
	echo "$rc" >/etc/ha.d/sample.rc
	set +e
	"$RM" status sample >/dev/null 2>&1
	got=$?
	set -e
	printf "%s %s %s\n" "$got" "$rc" "$quoted" >>"$out"
done <"$here/status.samples"
# stderr is not interpreted: "running" on stderr only.
: >/etc/ha.d/sample.txt; echo "is running" >/etc/ha.d/sample.err; echo 0 >/etc/ha.d/sample.rc
set +e; "$RM" status sample >/dev/null 2>&1; got=$?; set -e
echo "# stderr-only \"is running\" (script exit 0) gave RM exit $got" >>"$out"
