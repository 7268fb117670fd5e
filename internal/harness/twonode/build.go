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
		cmd := exec.Command("go", "build", "-o", build.path, "./cmd/heartbeat")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if os.Getenv("HBGO_RACE") == "1" { // make race: the daemons run under the race detector
			cmd = exec.Command("go", "build", "-race", "-o", build.path, "./cmd/heartbeat")
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
