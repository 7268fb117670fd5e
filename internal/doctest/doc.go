// Package doctest checks that every sample output in README.md and docs/*.md is what the command really prints.
package doctest
