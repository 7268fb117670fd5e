package install

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"hbgo/internal/harness/testnet"
)

func TestMain(m *testing.M) { testnet.Main(m) }

// repo is the repository root (tests run in their package directory).
func repo(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// installSh runs dist/install.sh action with env added to ours; it returns
// the combined output and the error.
func installSh(t *testing.T, action string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", filepath.Join(repo(t), "dist", "install.sh"), action)
	cmd.Env = append(os.Environ(), env...)
	if !hasVar(env, "GEN") {
		cmd.Env = append(cmd.Env, "GEN="+standInGen(t))
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustInstall is installSh that fails the test on error.
func mustInstall(t *testing.T, action string, env ...string) string {
	t.Helper()
	out, err := installSh(t, action, env...)
	if err != nil {
		t.Fatalf("install.sh %s: %v\n%s", action, err, out)
	}
	return out
}

// standInBin writes a small file to install as the binary.
func standInBin(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "heartbeat")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho hbgo stand-in \"$0\" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func hasVar(env []string, name string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, name+"=") {
			return true
		}
	}
	return false
}

// standInGen writes small stand-ins for what make gen renders (man pages,
// changelog), one per @GEN source of dist/files.list.
func standInGen(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	for _, e := range readList(t) {
		if name, ok := strings.CutPrefix(e.from, "@GEN/"); ok {
			writeFile(t, filepath.Join(d, name), "stand-in "+name+"\n", 0o644)
		}
	}
	return d
}

func parseMode(t *testing.T, s string) os.FileMode {
	t.Helper()
	var m uint32
	for _, c := range s {
		if c < '0' || c > '7' {
			t.Fatalf("dist/files.list: bad mode %q", s)
		}
		m = m*8 + uint32(c-'0')
	}
	mode := os.FileMode(m & 0o777)
	if m&0o2000 != 0 {
		mode |= os.ModeSetgid
	}
	return mode
}

// tree lists every non-directory under root as "path kind[ -> target]",
// with path relative to root and starting with "/".
func tree(t *testing.T, root string) []string {
	t.Helper()
	var got []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel := "/" + strings.TrimPrefix(p, root+"/")
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			got = append(got, rel+" -> "+target)
			return nil
		}
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return got
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func isRoot() bool { return os.Geteuid() == 0 }

func slicesSorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
