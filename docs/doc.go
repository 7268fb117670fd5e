// Package docs holds the tests that keep docs/ in step with the code: every cited section exists and every package is in DESIGN.md's table.
package docs
