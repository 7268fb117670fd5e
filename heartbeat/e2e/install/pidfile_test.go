package install

import (
	"strings"
	"testing"
)

// TestInstallQuietWithoutPidFile: the usual install has no daemon running,
// so no pid file; install and uninstall must not print the shell's
// "cannot open …/run/heartbeat.pid" on the way (issue 17).
func TestInstallQuietWithoutPidFile(t *testing.T) {
	d := t.TempDir()
	bin := standInBin(t)
	for _, action := range []string{"install", "uninstall"} {
		out := mustInstall(t, action, "DESTDIR="+d, "BIN="+bin, "DIVERT=auto")
		for _, bad := range []string{"heartbeat.pid", "cannot open", "No such file"} {
			if strings.Contains(out, bad) {
				t.Errorf("install.sh %s printed %q:\n%s", action, bad, out)
			}
		}
	}
}
