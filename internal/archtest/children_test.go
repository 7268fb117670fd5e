package archtest

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// startsChild are the functions that start a child process or exec a new
// program. A child inherits the policy of the thread that forks it, so with
// realtime on (every daemon thread SCHED_RR) each must be called from
// internal/sched's door, which forks from a SCHED_OTHER thread.
var startsChild = map[string]bool{
	"(*os/exec.Cmd).Start":          true,
	"(*os/exec.Cmd).Run":            true,
	"(*os/exec.Cmd).Output":         true,
	"(*os/exec.Cmd).CombinedOutput": true,
	"os.StartProcess":               true,
	"syscall.Exec":                  true,
	"syscall.ForkExec":              true,
	"syscall.StartProcess":          true,
	"golang.org/x/sys/unix.Exec":    true,
}

const door = "hbgo/internal/sched"

// TestChildrenStartThroughSched type-checks the non-test code of every
// package of the module in the daemon's binary (cmd/heartbeat and what it
// imports) and fails on any use of a function that starts a child outside
// internal/sched: call it as sched.Start, Run, CombinedOutput or Exec.
func TestChildrenStartThroughSched(t *testing.T) {
	out, err := exec.Command("go", "list", "-export", "-deps", "-json=ImportPath,Dir,GoFiles,Export", "../../cmd/heartbeat").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type listed struct {
		ImportPath, Dir, Export string
		GoFiles                 []string
	}
	exports := map[string]string{}
	var mine []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
		if strings.HasPrefix(p.ImportPath, "hbgo/") && p.ImportPath != door {
			mine = append(mine, p)
		}
	}
	if len(mine) < 10 {
		t.Fatalf("only %d of the module's packages in cmd/heartbeat: the listing is wrong", len(mine))
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, os.ErrNotExist
		}
		return os.Open(f)
	})
	var bad []string
	for _, p := range mine {
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
		if _, err := (&types.Config{Importer: imp}).Check(p.ImportPath, fset, files, info); err != nil {
			t.Fatalf("type-checking %s: %v", p.ImportPath, err)
		}
		for id, obj := range info.Uses {
			if fn, ok := obj.(*types.Func); ok && startsChild[fn.FullName()] {
				pos := fset.Position(id.Pos())
				rel, err := filepath.Rel(root, pos.Filename)
				if err != nil {
					rel = pos.Filename
				}
				bad = append(bad, fmt.Sprintf("%s:%d: %s", rel, pos.Line, fn.FullName()))
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("%s starts a child outside internal/sched: a child of a SCHED_RR thread is SCHED_RR; use sched.Start, Run, CombinedOutput or Exec", b)
	}
}
