// Package hadir holds the whole configuration a node runs with: ha.cf, haresources and authkeys loaded from one directory and checked together.
package hadir

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"hbgo/authkeys"
	"hbgo/haresources"
	"hbgo/heartbeat/config/hacf"
	"hbgo/internal/cfgfile"
	"hbgo/internal/diag"
)

// Conf is one node's configuration and every problem found in it.
type Conf struct {
	Dir    string // e.g. /etc/ha.d
	Node   string // local node name (lower-case)
	HaCf   *hacf.Config
	Groups []haresources.Group
	Keys   *authkeys.Keys
	// Hbgo is hbgo's own settings from DIR/hbgo.cf, or the defaults when
	// the file does not exist (HbgoPresent false).
	Hbgo        *hacf.HbgoConfig
	HbgoPresent bool
	// Force is hbgo.cf's `agent` lines as resolver overrides.
	Force    map[string]haresources.Force
	Problems diag.Problems
	// Unreadable is set when a file could not be read for lack of
	// permission: heartbeat then exits 4 instead of 6 (COMPAT §2.4).
	Unreadable bool
}

// Options say how to load.
type Options struct {
	Dir string // configuration directory; "" = /etc/ha.d
	// Node is the local node name; "" = nodeinfo or uname -n (COMPAT §2.6).
	Node  string
	Uname func() (string, error)
	// Validators check native agents' haresources arguments (resource.d).
	Validators map[string]func(args []string) error
}

// stockDir is how stock spells the directory in its log texts ("/etc/ha.d//ha.cf").
func stockDir(dir string) string { return strings.TrimSuffix(dir, "/") + "/" }

// Load reads and checks DIR/ha.cf, DIR/haresources and DIR/authkeys,
// reporting every problem of all three files at once.
func Load(o Options) *Conf {
	if o.Dir == "" {
		o.Dir = "/etc/ha.d"
	}
	c := &Conf{Dir: o.Dir}
	// Every file is read through cfgfile: a FIFO, a device or a huge file
	// is refused at once, never read (nor waited for).
	var readErr error
	read := func(name string) ([]byte, bool) {
		p := filepath.Join(o.Dir, name)
		b, _, err := cfgfile.Read(p)
		readErr = err
		if err == nil {
			return b, true
		}
		if errors.Is(err, os.ErrPermission) {
			c.Unreadable = true
		}
		return nil, false
	}
	// unreadable names why a file was refused, for the cases cfgfile
	// refuses; the hint then says what to do.
	unreadable := func(what, path, hint string) (string, string) {
		if h := cfgfile.Hint(path, readErr); h != "" {
			return what + ": " + errors.Unwrap(readErr).Error(), h
		}
		if errors.Is(readErr, os.ErrPermission) {
			// It exists but is not ours to read: say whose it is, not how to create it.
			return what + ": permission denied", diag.ReadHint(path)
		}
		return what, hint
	}
	sd := stockDir(o.Dir)

	// ha.cf
	cfPath := filepath.Join(o.Dir, "ha.cf")
	if b, ok := read("ha.cf"); ok {
		cfg, probs := hacf.ParseWith(bytes.NewReader(b), cfPath, hacf.Options{Dir: sd})
		c.HaCf = cfg
		c.Problems = append(c.Problems, probs...)
	} else {
		what, hint := unreadable("cannot read the main configuration file", cfPath,
			"copy an annotated sample (see ha.d-examples/) to "+cfPath+" and adapt it")
		c.Problems = append(c.Problems, diag.Problem{File: cfPath, Severity: diag.Error,
			What: what, Hint: hint, Stock: fmt.Sprintf("Cannot open config file [%sha.cf]", sd)})
	}

	c.setLocalNode(o, cfPath)

	// authkeys
	akPath := filepath.Join(o.Dir, "authkeys")
	keys, probs := authkeys.Load(akPath)
	c.Keys = keys
	c.Problems = append(c.Problems, probs...)
	if _, _, err := cfgfile.Read(akPath); errors.Is(err, os.ErrPermission) {
		c.Unreadable = true
	}

	// haresources (only managed in R1 mode)
	hrPath := filepath.Join(o.Dir, "haresources")
	if b, ok := read("haresources"); ok {
		groups, probs := haresources.Parse(bytes.NewReader(b), hrPath)
		c.Groups = groups
		c.Problems = append(c.Problems, probs...)
		if c.HaCf != nil {
			c.Problems = append(c.Problems, haresources.CheckNodes(groups, c.HaCf.Nodes, hrPath)...)
		}
		if o.Validators != nil {
			c.Problems = append(c.Problems, haresources.Validate(groups, hrPath, o.Validators)...)
		}
	} else {
		what, hint := unreadable("cannot read the resources file", hrPath,
			"create "+hrPath+" (an empty file is fine for a cluster without resources)")
		c.Problems = append(c.Problems, diag.Problem{File: hrPath, Severity: diag.Error,
			What: what, Hint: hint, Stock: fmt.Sprintf("Cannot open resources file [%sharesources]", sd)})
	}
	c.loadHbgo(o.Dir)
	return c
}

// setLocalNode takes the local node's name from o (or nodeinfo, or uname) and checks ha.cf names it.
func (c *Conf) setLocalNode(o Options, cfPath string) {
	node := strings.ToLower(o.Node)
	if node == "" {
		uname := o.Uname
		if uname == nil {
			uname = os.Hostname
		}
		n, err := hacf.LocalNode(o.Dir, uname)
		if err != nil {
			c.Problems.Errorf(cfPath, 0, "write the node's name in "+filepath.Join(o.Dir, "nodeinfo"), "cannot tell the local node name: %v", err)
		}
		node = n
	}
	c.Node = node
	if c.HaCf != nil && node != "" {
		c.Problems = append(c.Problems, c.HaCf.CheckLocalNode(node)...)
	}
}

// loadHbgo reads the optional hbgo.cf: hbgo's own settings, never in ha.cf; its agent lines force how agents run.
func (c *Conf) loadHbgo(dir string) {
	c.Hbgo = hacf.DefaultHbgo()
	c.Force = map[string]haresources.Force{}
	hbPath := filepath.Join(dir, hacf.HbgoFile)
	if b, _, err := cfgfile.Read(hbPath); err == nil {
		h, probs := hacf.ParseHbgo(bytes.NewReader(b), hbPath)
		c.Hbgo, c.HbgoPresent = h, true
		c.Problems = append(c.Problems, probs...)
		for name, mode := range h.Agents {
			use := haresources.Script
			if mode == hacf.AgentNative {
				use = haresources.Native
			}
			c.Force[name] = haresources.Force{Use: use, Where: hbPath}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		if errors.Is(err, os.ErrPermission) {
			c.Unreadable = true
		}
		hint := cfgfile.Hint(hbPath, err)
		switch {
		case hint != "":
		case errors.Is(err, os.ErrPermission):
			hint = diag.ReadHint(hbPath)
		default:
			hint = "make it readable by root, or remove it to use the defaults"
		}
		c.Problems.Errorf(hbPath, 0, hint, "cannot read: %v", errors.Unwrap(err))
	}
}

// Ok reports whether the node may start (no error-severity problem).
func (c *Conf) Ok() bool { return !c.Problems.HasErrors() }

// ExitCode is heartbeat's exit status for this configuration: 0, 4 when a
// file could not be read for lack of permission, else 6 (COMPAT §2.4).
func (c *Conf) ExitCode() int {
	if c.Ok() {
		return 0
	}
	if c.Unreadable {
		return 4
	}
	return 6
}

// ControlSocket returns the control socket path the commands should use:
// hbgo.cf's control_socket when DIR/hbgo.cf sets one, else the default.
func ControlSocket(dir string) string {
	if dir == "" {
		dir = "/etc/ha.d"
	}
	p := filepath.Join(dir, hacf.HbgoFile)
	b, _, err := cfgfile.Read(p)
	if err != nil {
		return hacf.DefaultControlSocket
	}
	h, probs := hacf.ParseHbgo(bytes.NewReader(b), p)
	if probs.HasErrors() || h.ControlSocket == "" {
		return hacf.DefaultControlSocket
	}
	return h.ControlSocket
}
