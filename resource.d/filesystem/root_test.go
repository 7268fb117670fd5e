package filesystem

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"hbgo/internal/harness/budget"
	"hbgo/resource.d/agent"
)

type syncLog struct {
	mu    sync.Mutex
	lines []string
}

func (r *syncLog) Script(tag, text string) {
	r.mu.Lock()
	r.lines = append(r.lines, text)
	r.mu.Unlock()
}

// loopImage makes a file system image with mkfs (args), attaches it to a loop
// device and returns the device; everything is undone in t.Cleanup.
func loopImage(t *testing.T, mkfs string, args ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: attaches loop devices and mounts file systems")
	}
	for _, tool := range []string{mkfs, "losetup"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	img := filepath.Join(t.TempDir(), "fs.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 16<<20); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(mkfs, append(append([]string{"-q", "-F"}, args...), img)...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", mkfs, err, out)
	}
	out, err := exec.Command("losetup", "--find", "--show", img).Output()
	if err != nil {
		t.Skipf("no loop device available: %v", err)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
	return dev
}

func newRoot(t *testing.T, log *syncLog, args ...string) *Agent {
	t.Helper()
	a, err := New(args, agent.Deps{Log: log, Sleep: func(ctx context.Context, d time.Duration) error {
		return agent.SleepCtx(ctx, d/10) // a tenth of the RA's 1 s keeps the test fast
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 3 {
			if unix.Unmount(a.Spec.Dir, unix.MNT_DETACH) != nil {
				break
			}
		}
	})
	return a
}

func TestRootExt4BusyStop(t *testing.T) {
	dev := loopImage(t, "mkfs.ext4")
	dir := filepath.Join(t.TempDir(), "mnt", "fs1") // created by start
	log := &syncLog{}
	a := newRoot(t, log, dev, dir, "ext4", "noatime")
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ms, _ := a.mounts()
	m := MountedAt(ms, dir)
	if m == nil || m.FSType != "ext4" || m.Source != dev {
		t.Fatalf("after start: mount = %+v", m)
	}
	if st, _ := a.Status(ctx); !st.Running {
		t.Errorf("status = %+v", st)
	}
	if err := a.Start(ctx); err != nil {
		t.Errorf("second start = %v", err)
	}
	// A process with its cwd inside keeps the mount busy.
	busy := exec.Command("sleep", "300")
	busy.Dir = dir
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Process.Kill() })
	waited := make(chan error, 1)
	go func() { waited <- busy.Wait() }()
	us, err := a.Users(dir)
	if err != nil || len(us) != 1 || us[0].PID != busy.Process.Pid || us[0].Comm != "sleep" {
		t.Errorf("Users = %+v, %v; want the sleep %d", us, err, busy.Process.Pid)
	}
	log.lines = nil
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-waited:
		if !strings.Contains(fmt.Sprint(err), "terminated") {
			t.Errorf("busy process ended with %v, want SIGTERM", err)
		}
	case <-time.After(budget.Left(t)):
		t.Error("busy process still alive after stop")
	}
	if st, _ := a.Status(ctx); st.Running {
		t.Errorf("status after stop = %+v", st)
	}
	want := []string{
		"INFO: Running stop for " + dev + " on " + dir,
		"INFO: Trying to unmount " + dir,
		"ERROR: Couldn't unmount " + dir + "; trying cleanup with TERM",
		fmt.Sprintf("INFO: sending signal TERM to: root     %5d %5d  0 \\d\\d:\\d\\d \\?        S\\S* +0:00 sleep 300", busy.Process.Pid, os.Getpid()),
		"INFO: unmounted " + dir + " successfully",
	}
	got := log.lines
	if len(got) != len(want) {
		t.Fatalf("stop log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if i == 3 {
			if !regexp.MustCompile("^" + want[i] + "$").MatchString(got[i]) {
				t.Errorf("line %d = %q, want /%s/", i, got[i], want[i])
			}
		} else if got[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestRootExt2LabelFsck(t *testing.T) {
	label := fmt.Sprintf("hbgoagt%d", os.Getpid()%100000)
	dev := loopImage(t, "mkfs.ext2", "-L", label)
	dir := t.TempDir()
	log := &syncLog{}
	a := newRoot(t, log, "LABEL="+label, dir)
	a.DiskDir = t.TempDir() // force the blkid path: udev may not run here
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(log.lines, "\n"))
	}
	ms, _ := a.mounts()
	if m := MountedAt(ms, dir); m == nil || m.FSType != "ext2" || m.Source != dev {
		t.Fatalf("mount = %+v, want ext2 from %s", m, dev)
	}
	if !strings.Contains(strings.Join(log.lines, "\n"), "INFO: Starting filesystem check on "+dev) {
		t.Errorf("no fsck for ext2: %q", log.lines)
	}
	// A sub-mount below it is unmounted first by stop.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	if err := unix.Mount("tmpfs", sub, "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(sub, unix.MNT_DETACH) })
	if err := a.Start(ctx); err == nil {
		t.Error("start with a mount below succeeded")
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	ms, _ = a.mounts()
	if MountedAt(ms, dir) != nil || MountedAt(ms, sub) != nil {
		t.Error("still mounted after stop")
	}
}

// TestRootStockParity replays testdata/stock/run.sh with the native agent
// (through agent.Legacy, as native.Native builds it) and compares every log
// line with stock's, the device and directory substituted and the ps line
// checked for its shape.
func TestRootStockParity(t *testing.T) {
	b, err := os.ReadFile("testdata/stock/ha-log")
	if err != nil {
		t.Fatal(err)
	}
	dev := loopImage(t, "mkfs.ext4")
	dir := filepath.Join(t.TempDir(), "mnt", "fs1")
	pidRe := regexp.MustCompile(`\[\d+\]:    `)
	psRe := regexp.MustCompile(`to: root +\d+ +\d+ +\d+ \d\d:\d\d \? +S\S* +0:00 sleep 300$`)
	norm := func(l string) string {
		l = strings.ReplaceAll(l, dev, "DEV")
		l = strings.ReplaceAll(l, dir, "DIR")
		return psRe.ReplaceAllString(l, "to: PS")
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		l = pidRe.ReplaceAllString(l, ": ")
		l = strings.ReplaceAll(l, "/dev/loop0", dev)
		l = strings.ReplaceAll(l, "/tmp/hbgoagt-fs/mnt/fs1", dir)
		want = append(want, norm(l))
	}
	log := &tagLog{}
	fa := newRoot(t, &syncLog{}, dev, dir, "ext4")
	fa.Log = log
	a := agent.Legacy(fa, log, "Filesystem", "Filesystem_"+dev)
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	a.Status(ctx)
	busy := exec.Command("sleep", "300")
	busy.Dir = dir
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Process.Kill() })
	go busy.Wait()
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	a.Status(ctx)
	// The native agent's own line (agent.NativeLineFormats) is hbgo's, not
	// stock's: checked on its own, then left out of the comparison.
	var got, native []string
	for _, l := range log.lines {
		if _, text, _ := strings.Cut(l, ": "); agent.NativeLine(text) {
			native = append(native, norm(l))
			continue
		}
		got = append(got, norm(l))
	}
	if w := "Filesystem(Filesystem_DEV): INFO: mounted DEV on DIR (ext4, mount(2))"; len(native) != 1 || native[0] != w {
		t.Errorf("native lines %q, want [%q]", native, w)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log differs from stock:\nnative:\n%s\nstock:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

type tagLog struct {
	mu    sync.Mutex
	lines []string
}

func (r *tagLog) Script(tag, text string) {
	r.mu.Lock()
	r.lines = append(r.lines, tag+": "+text)
	r.mu.Unlock()
}

// TestRootSymlinkMountPoint: a mount point that is a symbolic link is
// refused by start, status and stop. Before, stop resolved the link and
// unmounted whatever it pointed to, signalling its users: here a tmpfs
// with a busy process stands in for / (a link to / took the whole system).
// The ext4 of the resource itself is mounted on a real directory first,
// and a second configuration naming it through a link must not touch it.
func TestRootSymlinkMountPoint(t *testing.T) {
	dev := loopImage(t, "mkfs.ext4")
	tmp := t.TempDir()
	victim := filepath.Join(tmp, "victim")
	if err := os.Mkdir(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", victim, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(victim, unix.MNT_DETACH) })
	busy := exec.Command("sleep", "300")
	busy.Dir = victim
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Process.Kill() })
	waited := make(chan error, 1)
	go func() { waited <- busy.Wait() }()

	link := filepath.Join(tmp, "fs1")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	log := &syncLog{}
	a := newRoot(t, log, dev, link, "ext4")
	ctx := context.Background()
	if err := a.Start(ctx); err == nil {
		t.Error("start on a symlinked mount point succeeded")
	}
	if st, err := a.Status(ctx); err == nil || st.Running {
		t.Errorf("status = %+v, %v; want an error", st, err)
	}
	if err := a.Stop(ctx); err == nil {
		t.Error("stop on a symlinked mount point succeeded")
	}
	if !strings.Contains(strings.Join(log.lines, "\n"), "ERROR: Filesystem: refusing mount point "+link+": it is a symbolic link (to "+victim+")") {
		t.Errorf("log does not say why:\n%s", strings.Join(log.lines, "\n"))
	}

	// The resource's own ext4 on a real directory; the link now points there.
	real := filepath.Join(tmp, "real")
	b := newRoot(t, &syncLog{}, dev, real, "ext4")
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	os.Remove(link)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(ctx); err == nil {
		t.Error("stop through a link to the mounted ext4 succeeded")
	}

	ms, _ := a.mounts()
	if MountedAt(ms, victim) == nil {
		t.Error("the link's target was unmounted")
	}
	if m := MountedAt(ms, real); m == nil || m.Source != dev {
		t.Errorf("the ext4 was unmounted through the link: %+v", m)
	}
	select {
	case err := <-waited:
		t.Errorf("the process using the link's target was signalled: %v", err)
	default:
	}
	if err := b.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
