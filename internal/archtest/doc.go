// Package archtest holds the test that keeps the repository's import arrows
// pointing one way: commands → daemon → resources → agents, leaves below.
package archtest
