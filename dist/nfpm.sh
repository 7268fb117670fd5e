#!/bin/sh
# nfpm.sh VERSION BIN GEN: prints the nfpm configuration of the hbgo .deb on
# stdout. The contents come from dist/files.list, the list `make install`
# reads too; the rest (fields, maintainer scripts) is here. Paths in the
# output are relative to the repository, where `go tool nfpm` runs.
set -eu
version=$1
bin=$2
gen=$3
cd "$(dirname "$0")/.."
cat <<YAML
name: hbgo
arch: amd64
platform: linux
version: "$version"
version_schema: none
section: admin
priority: optional
maintainer: hbgo maintainers <hbgo@example.org>
description: |-
  two-node failover daemon compatible with Heartbeat 3.0.6
  hbgo is a Go re-implementation of Linux-HA Heartbeat v1. It reads an
  existing /etc/ha.d (ha.cf, haresources, authkeys) unchanged, speaks
  heartbeat 3.0.6's protocol, so a cluster can be converted one node at a
  time, and answers to the same commands at the same paths (cl_status,
  hb_standby, hb_takeover, ResourceManager).
  .
  This package replaces Debian's heartbeat package. The configuration and
  the node's identity (/var/lib/heartbeat/hb_uuid) are kept.
license: see /usr/share/doc/hbgo/copyright
provides:
  - heartbeat
  - cluster-messaging-framework
conflicts:
  - heartbeat
replaces:
  - heartbeat
depends:
  - iproute2
recommends:
  - resource-agents
# stonith(8) for ha.cf's stonith_host, drbdadm for drbddisk: only when used.
suggests:
  - cluster-glue
  - drbd-utils
scripts:
  preinstall: dist/deb/preinst
  postinstall: dist/deb/postinst
  preremove: dist/deb/prerm
  postremove: dist/deb/postrm
contents:
YAML
# A setgid mode is set by postinst once the group haclient exists: the
# package carries the file 0755 root:root.
grep -v '^[[:space:]]*\(#\|$\)' dist/files.list | while read -r kind mode from path; do
	case $from in
	@BIN) from=$bin ;;
	@GEN/*) from=$gen/${from#@GEN/} ;;
	esac
	case $mode in
	2*) mode=0${mode#2} ;;
	esac
	case $kind in
	file) printf '  - src: %s\n    dst: %s\n    file_info: {mode: %s}\n' "$from" "$path" "$mode" ;;
	conf) printf '  - src: %s\n    dst: %s\n    type: config\n    file_info: {mode: %s}\n' "$from" "$path" "$mode" ;;
	link|alias) printf '  - src: %s\n    dst: %s\n    type: symlink\n' "$from" "$path" ;;
	dir) printf '  - dst: %s\n    type: dir\n    file_info: {mode: %s}\n' "$path" "$mode" ;;
	*) echo "nfpm.sh: dist/files.list: unknown kind '$kind' for $path" >&2; exit 1 ;;
	esac
done
