package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hbgo/resource.d/filesystem"
)

// realMounts is hostA that resolves Filesystem mount points on this
// machine's file system, as OSHost does.
type realMounts struct{ fakeHost }

func (realMounts) ResolveMountPoint(dir string) (string, error) {
	return filesystem.ResolveMountPoint(dir)
}

// hardeningCase is one configuration and the problem line it must give.
type hardeningCase struct {
	name         string
	hacf, hr, ak string // "" = the good file
	code         int
	want         string // a whole stderr line, DIR for the configuration directory
}

func runHardening(t *testing.T, h Host, tests []hardeningCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"ha.cf": or(tt.hacf, goodHaCf), "haresources": or(tt.hr, goodHaresources), "authkeys": or(tt.ak, goodAuthkeys)}, 0)
			o := testOptions(t, h)
			code, _, stderr := run([]string{"-dir", dir}, o)
			stderr = strings.ReplaceAll(stderr, dir, "DIR")
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			found := tt.want == ""
			for _, l := range lines {
				found = found || l == tt.want
				if l != "" && !problemLine.MatchString(l) && !verdictLine.MatchString(l) {
					t.Errorf("stderr line not in problem form: %q", l)
				}
			}
			if !found {
				t.Errorf("stderr lacks\n  %s\ngot:\n%s", tt.want, stderr)
			}
		})
	}
}

// TestFilesystemMountPoints: a Filesystem mount point of / or a system
// mount is refused as written; one that is a symbolic link on this host, or
// resolves to a system mount through a linked parent, is refused too
// (before, a link to / passed, and stop unmounted everything).
func TestFilesystemMountPoints(t *testing.T) {
	tmp, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rootLink := filepath.Join(tmp, "data")
	if err := os.Symlink("/", rootLink); err != nil {
		t.Fatal(err)
	}
	upLink := filepath.Join(tmp, "up")
	if err := os.Symlink("/", upLink); err != nil {
		t.Fatal(err)
	}
	fs := func(dir string) string { return "node1 Filesystem::/dev/drbd0::" + dir + "::ext4\n" }
	runHardening(t, realMounts{hostA}, []hardeningCase{
		{name: "/proc", hr: fs("/proc"), code: 6,
			want: "DIR/haresources:1: error: resource Filesystem::/dev/drbd0::/proc::ext4: refusing mount point /proc: it is a system mount; mount the shared disk on a directory of its own, e.g. Filesystem::/dev/drbd0::/data::ext4"},
		{name: "/", hr: fs("/"), code: 6,
			want: "DIR/haresources:1: error: resource Filesystem::/dev/drbd0::/::ext4: refusing mount point /: it is the root file system; mount the shared disk on a directory of its own, e.g. Filesystem::/dev/drbd0::/data::ext4"},
		{name: "/var", hr: fs("/var/"), code: 6,
			want: "DIR/haresources:1: error: resource Filesystem::/dev/drbd0::/var/::ext4: refusing mount point /var: it is a system mount; mount the shared disk on a directory of its own, e.g. Filesystem::/dev/drbd0::/data::ext4"},
		{name: "link to /", hr: fs(rootLink), code: 6,
			want: "DIR/haresources:1: error: resource Filesystem::/dev/drbd0::" + rootLink + "::ext4: refusing mount point " + rootLink + ": it is a symbolic link (to /); name the directory the link points to, or mount somewhere else: mount the shared disk on a directory of its own, e.g. Filesystem::/dev/drbd0::/data::ext4"},
		{name: "linked parent to /proc", hr: fs(upLink + "/proc"), code: 6,
			want: "DIR/haresources:1: error: resource Filesystem::/dev/drbd0::" + upLink + "/proc::ext4: refusing mount point " + upLink + "/proc (/proc): it is a system mount; mount the shared disk on a directory of its own, e.g. Filesystem::/dev/drbd0::/data::ext4"},
		{name: "/var/lib/mysql is fine", hr: fs("/var/lib/mysql"), code: 0},
	})
}

// TestCRCKeys: crc keys are accepted, as stock does, with a warning at
// their line saying what to write instead and how to make a key.
func TestCRCKeys(t *testing.T) {
	const hint = "write 1 sha1 <key>, a random key made with: od -An -N32 -tx1 /dev/urandom | tr -d ' \\n'; copy the same authkeys to every node (stock reads sha1 too)"
	runHardening(t, hostA, []hardeningCase{
		{name: "active crc", ak: "auth 1\n1 crc\n", code: 0,
			want: "DIR/authkeys:2: warning: index 1 uses crc, which authenticates nothing: anyone who can send to the cluster's links can forge messages that move resources (it signs this node's messages); " + hint},
		{name: "crc kept for rotation", ak: "auth 2\n# old\n1 crc\n2 sha1 0123456789abcdef\n", code: 0,
			want: "DIR/authkeys:3: warning: index 1 uses crc, which authenticates nothing: anyone who can send to the cluster's links can forge messages that move resources; " + hint},
	})
}
