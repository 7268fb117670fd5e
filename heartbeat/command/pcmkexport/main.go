package pcmkexport

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/config/hadir"
	"hbgo/internal/diag"
	"hbgo/resource.d/native"
)

// Exit statuses of `heartbeat export pacemaker`.
const (
	ExitOK     = 0
	ExitFailed = 1 // the output could not be written
	ExitUsage  = 2
	ExitConfig = 6 // ha.cf or haresources has errors (as heartbeat check)
)

// Files are the names of the export's outputs, in the order they are written.
var Files = []string{"cib.xml", "corosync.conf", "pcs.sh", "crm.txt", "REPORT.md"}

// ConfigError is returned by Load when ha.cf or haresources has errors.
type ConfigError struct{ Problems diag.Problems }

func (e *ConfigError) Error() string {
	var lines []string
	for _, p := range e.Problems {
		lines = append(lines, p.Error())
	}
	return strings.Join(lines, "\n")
}

// Load reads DIR's ha.cf and haresources through hadir with the native
// agents' argument checks, as the daemon does. authkeys is not needed (corosync has its own key), so its problems
// do not stop the export; warnings are returned.
func Load(dir string) (Source, diag.Problems, error) {
	// The export is host-independent: check as the first node's configuration.
	node := ""
	if b, err := os.ReadFile(filepath.Join(dir, "ha.cf")); err == nil {
		if cf, _ := hacf.ParseWith(bytes.NewReader(b), filepath.Join(dir, "ha.cf"), hacf.Options{}); cf != nil && len(cf.Nodes) > 0 {
			node = cf.Nodes[0]
		}
	}
	if node == "" {
		node = "node1" // only for the local-node check; ha.cf's own errors are reported
	}
	vs := map[string]func([]string) error{}
	for name, v := range native.Validators() {
		vs[name] = v
	}
	c := hadir.Load(hadir.Options{Dir: dir, Node: node, Validators: vs})
	var errs, warns diag.Problems
	ak := filepath.Join(dir, "authkeys")
	for _, p := range c.Problems {
		if p.File == ak {
			continue
		}
		if p.Severity == diag.Error {
			errs = append(errs, p)
		} else {
			warns = append(warns, p)
		}
	}
	if len(errs) > 0 {
		return Source{}, warns, &ConfigError{errs}
	}
	return Source{Dir: dir, HaCf: c.HaCf, Groups: c.Groups}, warns, nil
}

// Render writes every output file of m into a map by file name.
func Render(m *Model, dir string) (map[string][]byte, error) {
	cib, err := m.CIB()
	if err != nil {
		return nil, fmt.Errorf("cib.xml: %w", err)
	}
	return map[string][]byte{
		"cib.xml":       cib,
		"corosync.conf": []byte(m.corosyncConf()),
		"pcs.sh":        []byte(m.PcsScript()),
		"crm.txt":       []byte(m.CrmScript()),
		"REPORT.md":     []byte(m.Report(dir)),
	}, nil
}

// Export loads dir and returns the model and its rendered files.
func Export(dir string) (*Model, map[string][]byte, diag.Problems, error) {
	src, warns, err := Load(dir)
	if err != nil {
		return nil, nil, warns, err
	}
	m, err := Build(src)
	if err != nil {
		return nil, nil, warns, err
	}
	files, err := Render(m, dir)
	return m, files, warns, err
}

const usageText = `usage: heartbeat export pacemaker [-dir DIR] [-o DIR]
  -dir DIR  heartbeat configuration directory (default /etc/ha.d)
  -o DIR    where to write cib.xml, corosync.conf, pcs.sh, crm.txt and REPORT.md
            (default: the current directory)
`

// Main is `heartbeat export pacemaker [-dir DIR] [-o DIR]` (args start after
// "export"); it returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	usage := func(why string) int {
		if why != "" {
			fmt.Fprintf(stderr, "heartbeat export: %s\n", why)
		}
		io.WriteString(stderr, usageText)
		return ExitUsage
	}
	if len(args) == 0 {
		return usage("name the target: pacemaker")
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		return usage("")
	}
	if args[0] != "pacemaker" {
		return usage(fmt.Sprintf("unknown target %q (only pacemaker)", args[0]))
	}
	fs := flag.NewFlagSet("heartbeat export pacemaker", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", "/etc/ha.d", "")
	out := fs.String("o", ".", "")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usage("")
		}
		return usage(err.Error())
	}
	if fs.NArg() > 0 {
		return usage(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if *dir == "" || *out == "" {
		return usage("-dir and -o need a directory")
	}
	m, files, warns, err := Export(*dir)
	for _, w := range warns {
		fmt.Fprintln(stderr, w.Error())
	}
	if err != nil {
		fmt.Fprintln(stderr, err.Error())
		var ce *ConfigError
		if errors.As(err, &ce) {
			fmt.Fprintf(stderr, "%s: nothing exported; fix the configuration first (heartbeat check -dir %s)\n", *dir, *dir)
		}
		return ExitConfig
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "heartbeat export: %v\n", err)
		return ExitFailed
	}
	for _, name := range Files {
		mode := os.FileMode(0o644)
		if name == "pcs.sh" {
			mode = 0o755
		}
		p := filepath.Join(*out, name)
		if err := os.WriteFile(p, files[name], mode); err != nil {
			fmt.Fprintf(stderr, "heartbeat export: %v\n", err)
			return ExitFailed
		}
		fmt.Fprintln(stdout, p)
	}
	for _, u := range m.Unmapped {
		fmt.Fprintf(stderr, "heartbeat export: not exported: %s\n", u)
	}
	fmt.Fprintf(stdout, "review %s before applying anything\n", filepath.Join(*out, "REPORT.md"))
	return ExitOK
}
