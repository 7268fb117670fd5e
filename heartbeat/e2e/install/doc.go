// Package install checks hbgo's install paths: make install into a DESTDIR (layout, dpkg diversions, the init script and unit against a running daemon) and, under make package-test, the .deb over stock heartbeat in a throwaway Debian root.
package install
