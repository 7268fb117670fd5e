// Package installtest checks hbgo's install tree (dist/install.sh into a DESTDIR): layout, dpkg diversions, the init script and unit against a running daemon.
package installtest
