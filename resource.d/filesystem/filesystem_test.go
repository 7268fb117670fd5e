package filesystem

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"hbgo/internal/harness/budget"
	"hbgo/resource.d/agent"
)

func TestParseMountinfo(t *testing.T) {
	f, err := os.Open("testdata/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ms, err := ParseMountinfo(f, "testdata/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 7 {
		t.Fatalf("%d mounts, want 7", len(ms))
	}
	if diff := cmp.Diff(Mount{Major: 7, Minor: 1, Root: "/", Point: "/mnt/with blank", FSType: "ext2", Source: "/dev/loop1"}, ms[5]); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/data/cache/deep", "/data/cache"}, Below(ms, "/data")); diff != "" {
		t.Errorf("Below /data (-want +got)\n%s", diff)
	}
	if got := Below(ms, "/dat"); len(got) != 0 {
		t.Errorf("Below /dat = %q: a prefix is not a parent", got)
	}
	if m := MountedAt(ms, "/srv/nfs"); m == nil || m.Source != "filer:/export" {
		t.Errorf("MountedAt /srv/nfs = %+v", m)
	}
	for _, bad := range []string{"1 2 3\n", "1 2 x:y / /a rw - ext4 /dev/x rw\n", "1 2 8:1 / /a rw ext4 /dev/x rw\n"} {
		if _, err := ParseMountinfo(strings.NewReader(bad), "bad"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		args []string
		want Spec
		bad  string
	}{
		{[]string{"/dev/drbd0", "/data"}, Spec{Device: "/dev/drbd0", Dir: "/data"}, ""},
		{[]string{"/dev/drbd0", "/data/", "ext4", "noatime,ro"}, Spec{Device: "/dev/drbd0", Dir: "/data", FSType: "ext4", Options: "noatime,ro"}, ""},
		{[]string{"LABEL=db", "/db", "xfs"}, Spec{Device: "LABEL=db", Dir: "/db", FSType: "xfs"}, ""},
		{[]string{"/dev/sdb1"}, Spec{}, "takes 2 to 4"},
		{[]string{"/dev/sdb1", "data"}, Spec{}, "not an absolute path"},
		{[]string{"/dev/sdb1", "/"}, Spec{}, "refusing mount point /: it is the root file system"},
		{[]string{"/dev/sdb1", "//"}, Spec{}, "root file system"},
		{[]string{"/dev/sdb1", "/data/.."}, Spec{}, "root file system"},
		{[]string{"/dev/sdb1", "/proc"}, Spec{}, "refusing mount point /proc: it is a system mount"},
		{[]string{"/dev/sdb1", "/proc/"}, Spec{}, "system mount"},
		{[]string{"/dev/sdb1", "/sys"}, Spec{}, "system mount"},
		{[]string{"/dev/sdb1", "/dev"}, Spec{}, "system mount"},
		{[]string{"/dev/sdb1", "/run"}, Spec{}, "system mount"},
		{[]string{"/dev/sdb1", "/boot"}, Spec{}, "system mount"},
		{[]string{"/dev/sdb1", "/usr"}, Spec{}, "system mount"},
		{[]string{"/dev/sdb1", "/var"}, Spec{}, "system mount"},
		{[]string{"/dev/sdb1", "/etc"}, Spec{}, "system mount"},
		{[]string{"/dev/sdb1", "/sys/fs/cgroup"}, Spec{}, "inside the kernel's /sys"},
		{[]string{"/dev/sdb1", "/dev/shm"}, Spec{}, "inside the kernel's /dev"},
		{[]string{"/dev/sdb1", "/proc/sys/../1"}, Spec{}, "inside the kernel's /proc"},
		// Below the other system mounts is where shared data usually lives.
		{[]string{"/dev/drbd0", "/var/lib/mysql", "ext4"}, Spec{Device: "/dev/drbd0", Dir: "/var/lib/mysql", FSType: "ext4"}, ""},
		{[]string{"/dev/drbd0", "/run/x"}, Spec{Device: "/dev/drbd0", Dir: "/run/x"}, ""},
		{[]string{"/dev/drbd0", "/devices"}, Spec{Device: "/dev/drbd0", Dir: "/devices"}, ""},
		{[]string{"", "/x"}, Spec{}, "device is empty"},
		{[]string{"a", "/b", "c", "d", "e"}, Spec{}, "takes 2 to 4"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.args)
		if tt.bad != "" {
			var ae *agent.ArgError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.bad) {
				t.Errorf("Parse(%q) = %v, want ArgError %q", tt.args, err, tt.bad)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got)\n%s", tt.args, diff)
		}
	}
}

func TestNeedsFsckNetwork(t *testing.T) {
	tests := []struct {
		dev, fstype   string
		fsck, network bool
	}{
		{"/dev/sdb1", "", true, false},
		{"/dev/sdb1", "ext2", true, false},
		{"/dev/sdb1", "minix", true, false},
		{"/dev/sdb1", "ext4", false, false},
		{"/dev/sdb1", "xfs", false, false},
		{"filer:/export", "", false, true},
		{"filer:/export", "nfs", false, true},
		{"//srv/share", "cifs", false, true},
		{"//srv/share", "", false, true},
		{"LABEL=x", "", true, false},
	}
	for _, tt := range tests {
		s := Spec{Device: tt.dev, Dir: "/x", FSType: tt.fstype}
		if s.NeedsFsck() != tt.fsck || s.Network() != tt.network {
			t.Errorf("%s %q: fsck %v network %v, want %v %v", tt.dev, tt.fstype, s.NeedsFsck(), s.Network(), tt.fsck, tt.network)
		}
	}
}

func TestMountFlags(t *testing.T) {
	flags, data := MountFlags("defaults,noatime,ro,errors=remount-ro,nosuid,suid,data=ordered")
	if flags != unix.MS_NOATIME|unix.MS_RDONLY || data != "errors=remount-ro,data=ordered" {
		t.Errorf("MountFlags = %#x %q", flags, data)
	}
}

type recLog struct{ lines []string }

func (r *recLog) Script(tag, text string) { r.lines = append(r.lines, tag+": "+text) }

type noRun struct{ calls []string }

func (n *noRun) Run(ctx context.Context, name string, args ...string) (string, int, error) {
	n.calls = append(n.calls, name+" "+strings.Join(args, " "))
	return "", 1, nil
}

func fakeAgent(t *testing.T, args ...string) (*Agent, *recLog, *noRun) {
	t.Helper()
	l, r := &recLog{}, &noRun{}
	a, err := New(args, agent.Deps{Log: l, Runner: r, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	a.Mountinfo = "testdata/mountinfo"
	return a, l, r
}

func TestDecisions(t *testing.T) {
	ctx := context.Background()
	// Something mounted below /data: refuse.
	a, l, r := fakeAgent(t, "/dev/loop0", "/data", "ext4")
	if err := a.Start(ctx); err == nil {
		t.Error("start with mounts below the mount point succeeded")
	}
	if diff := cmp.Diff([]string{
		"Filesystem(Filesystem_/dev/loop0): INFO: Running start for /dev/loop0 on /data",
		"Filesystem(Filesystem_/dev/loop0): ERROR: There is one or more mounts mounted under /data.",
	}, l.lines); diff != "" {
		t.Errorf("log (-want +got)\n%s", diff)
	}
	// Already mounted: success without running anything.
	a, _, r = fakeAgent(t, "/dev/loop1", "/mnt/with blank")
	if err := a.Start(ctx); err != nil || len(r.calls) != 0 {
		t.Errorf("start when mounted = %v, ran %q", err, r.calls)
	}
	if st, _ := a.Status(ctx); !st.Running || st.Text != "INFO:  Running OK" {
		t.Errorf("status = %+v", st)
	}
	// Not mounted: stopped, and stop is a success.
	a, l, _ = fakeAgent(t, "/dev/sdz9", "/nowhere")
	if st, _ := a.Status(ctx); st.Running || st.Text != "INFO:  Resource is stopped" {
		t.Errorf("status = %+v", st)
	}
	if err := a.Stop(ctx); err != nil {
		t.Errorf("stop when not mounted = %v", err)
	}
	if diff := cmp.Diff([]string{"Filesystem(Filesystem_/dev/sdz9): INFO: Running stop for /dev/sdz9 on /nowhere"}, l.lines); diff != "" {
		t.Errorf("log (-want +got)\n%s", diff)
	}
	// Label not found anywhere: error mentioning blkid.
	a, _, r = fakeAgent(t, "LABEL=nosuchlabel", "/nowhere")
	a.DiskDir = t.TempDir()
	if err := a.Start(ctx); err == nil || !strings.Contains(err.Error(), "cannot find the device") {
		t.Errorf("start with unknown label = %v", err)
	}
	if diff := cmp.Diff([]string{"blkid -L nosuchlabel"}, r.calls); diff != "" {
		t.Errorf("calls (-want +got)\n%s", diff)
	}
	// Label resolved through by-label.
	dd := t.TempDir()
	os.MkdirAll(filepath.Join(dd, "by-uuid"), 0o755)
	os.Symlink("/dev/null", filepath.Join(dd, "by-uuid", "1234"))
	a, _, _ = fakeAgent(t, "-U1234", "/nowhere")
	a.DiskDir = dd
	if d, err := a.Device(ctx); err != nil || d != "/dev/null" {
		t.Errorf("Device = %q, %v", d, err)
	}
}

func TestScanUsersFake(t *testing.T) {
	// A fake proc tree: pid 10 has a mapping on 07:00, pid 11 does not.
	p := t.TempDir()
	for pid, maps := range map[string]string{
		"10": "7f00-7f01 r-xp 00000000 07:00 1234 /data/bin/x\n",
		"11": "7f00-7f01 r-xp 00000000 08:01 99 /usr/bin/y\n7f02-7f03 rw-p 00000000 00:00 0 \n",
	} {
		os.MkdirAll(filepath.Join(p, pid), 0o755)
		os.WriteFile(filepath.Join(p, pid, "maps"), []byte(maps), 0o644)
		os.WriteFile(filepath.Join(p, pid, "comm"), []byte("proc"+pid+"\n"), 0o644)
	}
	os.MkdirAll(filepath.Join(p, "self"), 0o755)
	us, err := ScanUsers(p, 7, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]User{{PID: 10, Comm: "proc10"}}, us); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func FuzzParseMountinfo(f *testing.F) {
	b, _ := os.ReadFile("testdata/mountinfo")
	f.Add(string(b))
	f.Add(`1 2 3:4 / /a\040b\ rw - x y z`)
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseMountinfo(strings.NewReader(s), "fuzz")
		if err != nil {
			return
		}
		for _, m := range ms {
			Below(ms, m.Point)
		}
	})
}

func TestPsLineMatchesPs(t *testing.T) {
	if _, err := exec.LookPath("ps"); err != nil {
		t.Skip("needs ps to compare with")
	}
	c := exec.Command("sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Wait()
	defer c.Process.Kill()
	// Until the child has exec'd sleep (a busy machine can take longer than
	// any fixed pause): before that ps shows the test binary's name.
	comm := "/proc/" + strconv.Itoa(c.Process.Pid) + "/comm"
	if !budget.Poll(t, func() bool { b, _ := os.ReadFile(comm); return string(b) == "sleep\n" }) {
		t.Fatal("the child never became sleep")
	}
	out, err := exec.Command("ps", "-f", strconv.Itoa(c.Process.Pid)).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	got, err := PsLine("/proc", c.Process.Pid, time.Now(), bootTime("/proc"))
	if err != nil {
		t.Fatal(err)
	}
	if want := lines[len(lines)-1]; got != want {
		t.Errorf("PsLine:\n got %q\nwant %q (ps -f)", got, want)
	}
}

// TestResolveMountPoint: the mount point is resolved once; a symbolic link
// (whatever it points to), and a path that resolves to / or a system mount
// through a linked parent, are refused with what to write instead.
func TestResolveMountPoint(t *testing.T) {
	tmp, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(p string) string {
		p = filepath.Join(tmp, p)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ln := func(target, p string) string {
		p = filepath.Join(tmp, p)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	real := mk("real/data")
	tests := []struct {
		name, dir, want, bad string
	}{
		{"directory", real, real, ""},
		{"missing, created by start", filepath.Join(tmp, "new/fs1"), filepath.Join(tmp, "new/fs1"), ""},
		{"missing below a linked parent", filepath.Join(ln(filepath.Join(tmp, "real"), "realln"), "fs2"), filepath.Join(tmp, "real/fs2"), ""},
		{"existing below a linked parent", filepath.Join(tmp, "realln/data"), real, ""},
		{"link to /", ln("/", "rootln"), "", "it is a symbolic link (to /)"},
		{"link to /proc", ln("/proc", "procln"), "", "symbolic link"},
		{"link to a directory", ln(real, "dataln"), "", "symbolic link"},
		{"dangling link", ln(filepath.Join(tmp, "nowhere"), "dangling"), "", "symbolic link"},
		{"parent link to /", filepath.Join(ln("/", "up"), "proc"), "", "(/proc): it is a system mount"},
		{"parent link to / with the root itself", filepath.Join(ln("/", "up2"), "."), "", "symbolic link"},
		{"parent link into /sys", filepath.Join(ln("/sys", "sysln"), "fs", "x"), "", "inside the kernel's /sys"},
		{"/", "/", "", "root file system"},
		{"/proc", "/proc", "", "system mount"},
	}
	for _, tt := range tests {
		got, err := ResolveMountPoint(tt.dir)
		if tt.bad != "" {
			var me *MountPointError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), tt.bad) || me.Hint() == "" {
				t.Errorf("%s: ResolveMountPoint(%s) = %q, %v; want a MountPointError %q", tt.name, tt.dir, got, err, tt.bad)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: ResolveMountPoint(%s) = %q, %v; want %q", tt.name, tt.dir, got, err, tt.want)
		}
	}
}
