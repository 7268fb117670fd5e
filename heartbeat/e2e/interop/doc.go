// Package interop holds the tests that run hbgo against itself and against stock heartbeat 3.0.6 in network namespaces.
package interop
