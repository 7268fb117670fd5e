// Package archtest holds the tests of the repository's shape: import arrows point one way (commands → daemon → resources → agents, leaves below), and the daemon starts every child through internal/sched.
package archtest
