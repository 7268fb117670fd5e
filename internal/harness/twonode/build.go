package twonode

import (
	"hbgo/internal/harness/testnet"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

var build struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// BuildHbgo builds cmd/heartbeat once per test process (static, like `make
// build`; with the race detector when HBGO_RACE=1) into a directory every
// node can read, and returns its path.
func BuildHbgo(t testnet.T) string {
	t.Helper()
	build.once.Do(func() {
		gomod, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			build.err = err
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(gomod)))
		dir, err := os.MkdirTemp("", "hbgo-bin-")
		if err != nil {
			build.err = err
			return
		}
		os.Chmod(dir, 0o755)
		build.path = filepath.Join(dir, "heartbeat")
		// Stamped as make build stamps it (dist/version.sh, the commit; without
		// the -dirty mark), so logs, status and -V in tests
		// show the version and commit they would on a node.
		ldflags := "-X hbgo/internal/version.Version=" + stamp(root, "sh", "dist/version.sh") +
			" -X hbgo/internal/version.Commit=" + stamp(root, "git", "rev-parse", "HEAD")
		cmd := exec.Command("go", "build", "-ldflags", ldflags, "-o", build.path, "./cmd/heartbeat")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if os.Getenv("HBGO_RACE") == "1" { // make race: the daemons run under the race detector
			cmd = exec.Command("go", "build", "-race", "-ldflags", ldflags, "-o", build.path, "./cmd/heartbeat")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		}
		build.out, build.err = cmd.CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("twonode: go build ./cmd/heartbeat: %v\n%s", build.err, build.out)
	}
	return build.path
}

// stamp runs a command in root and returns its first output line, or
// "unknown" when it fails (a tree outside git).
func stamp(root string, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = root
	out, err := cmd.Output()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if err != nil || line == "" || strings.ContainsAny(line, " \t'\"") {
		return "unknown"
	}
	return line
}
