package install

import (
	"os"
	"os/exec"
	"testing"
)

// TestLogrotate rotates ha-log with the installed file, in a private mount
// namespace whose /var/log is a temporary directory, next to stock's file
// moved aside to heartbeat.dpkg-dist (which logrotate must skip, or it
// would refuse the duplicate entries).
func TestLogrotate(t *testing.T) {
	if _, err := exec.LookPath("logrotate"); err != nil {
		t.Skip("logrotate not installed (Debian package logrotate)")
	}
	if !isRoot() {
		t.Skip("needs root for a private mount namespace")
	}
	d := t.TempDir()
	mustInstall(t, "install", "DESTDIR="+d, "BIN="+standInBin(t))
	// stock's file, as dpkg-divert leaves it on a host with the package
	writeFile(t, d+"/etc/logrotate.d/heartbeat.dpkg-dist", "/var/log/ha-log {\n    missingok\n}\n", 0o644)
	logs := t.TempDir()
	writeFile(t, logs+"/ha-log", "Nov 23 19:00:00 n1 heartbeat: [1]: info: before rotation\n", 0o644)
	// Debian's /etc/logrotate.conf globals.
	conf := t.TempDir() + "/logrotate.conf"
	writeFile(t, conf, "weekly\nrotate 4\ncreate\ninclude "+d+"/etc/logrotate.d\n", 0o644)
	rotate := func() ([]byte, error) {
		return exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
			`mount --bind "$1" /var/log && logrotate -v -f -s "$2" "$3"`,
			"sh", logs, t.TempDir()+"/state", conf).CombinedOutput()
	}
	out, err := rotate()
	if err != nil {
		t.Fatalf("logrotate: %v\n%s", err, out)
	}
	if got := readFile(t, logs+"/ha-log.1"); got != "Nov 23 19:00:00 n1 heartbeat: [1]: info: before rotation\n" {
		t.Errorf("ha-log.1 = %q\n%s", got, out)
	}
	// a new, empty ha-log (global create); the daemon notices the new
	// inode and reopens it without a signal (COMPAT §8.1)
	if st, err := os.Stat(logs + "/ha-log"); err != nil || st.Size() != 0 {
		t.Errorf("no new empty ha-log after rotation: %v\n%s", err, out)
	}
	// The aside name matters: under a name logrotate reads, stock's file
	// would make it reject the duplicate entry.
	if err := os.Rename(d+"/etc/logrotate.d/heartbeat.dpkg-dist", d+"/etc/logrotate.d/heartbeat.distrib"); err != nil {
		t.Fatal(err)
	}
	if out, err := rotate(); err == nil {
		t.Errorf("logrotate accepted stock's file as heartbeat.distrib next to ours; the aside-name check proves nothing\n%s", out)
	}
}
