// Package soak holds the long fault tests of two-node clusters (hbgo+hbgo and stock+hbgo): floods of bad datagrams and repeated crash, cut, standby, takeover and restart cycles with a service writing checksummed records to the shared filesystem.
package soak
