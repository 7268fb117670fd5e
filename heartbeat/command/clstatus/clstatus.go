// Package clstatus holds hbgo's cl_status: stock heartbeat 3.0.6's sub-commands, texts and exit codes, answered from the daemon's control socket.
package clstatus

import (
	"fmt"
	"io"
	"strings"
	"time"

	"hbgo/heartbeat/edge/control"
)

// Exit codes of cl_status (COMPAT §7.3).
const (
	exitOK        = 0
	exitFail      = 1  // down, dead, offline, not running
	exitParam     = 11 // parameter error
	exitTimeout   = 12
	exitUnknown   = 13
	signonFailure = "hb_api_signon: Can't initiate connection to heartbeat"
)

// Env is what cl_status needs from the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	// Query asks the local daemon for its snapshot; an error means heartbeat
	// is not running (or not reachable).
	Query func() (*control.Snapshot, error)
	Now   func() time.Time
	Host  string // uname -n, for the syslog-style error prefix
	PID   int
}

type run struct {
	Env
	human bool
	sub   string
}

// errorf writes a syslog-shaped error line, as cl_log does for cl_status:
// "Nov 23 18:54:45 host cl_status: [pid]: ERROR: text".
func (r *run) errorf(format string, args ...any) {
	fmt.Fprintf(r.Stderr, "%s %s cl_status: [%d]: ERROR: %s\n",
		r.Now().Format("Jan 02 15:04:05"), r.Host, r.PID, fmt.Sprintf(format, args...))
}

func (r *run) plainErr(s string) { fmt.Fprintln(r.Stderr, s) }

// Main runs `cl_status args…` (args without the program name) and returns its exit code.
func Main(args []string, env Env) int {
	r := &run{Env: env}
	if r.Now == nil {
		r.Now = time.Now
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		io.WriteString(r.Stdout, usage)
		return exitOK
	}
	r.sub = args[0]
	cmd, ok := commands[r.sub]
	if !ok {
		r.errorf("%s: invalid sub-command.", r.sub)
		return exitParam
	}
	snap, err := r.Query()
	if err != nil {
		if r.sub == "hbstatus" {
			io.WriteString(r.Stdout, "Heartbeat is stopped on this machine.\n")
			if hasFlag(args[1:], 'v') {
				io.WriteString(r.Stdout, "("+signonFailure+")\n")
			}
			return exitFail
		}
		if isTimeout(err) {
			r.errorf("Cannot signon with heartbeat")
			r.errorf("REASON: timed out")
			return exitTimeout
		}
		r.errorf("Cannot signon with heartbeat")
		r.errorf("REASON: %s", signonFailure)
		return exitFail
	}
	opts, pos, rc := r.getopt(args[1:], cmd.opts, cmd.strictOpts, cmd.codeMsg)
	if rc >= 0 {
		return rc
	}
	if opts['m'] != "" {
		r.human = true
	}
	return cmd.fn(r, snap, opts, pos)
}

func isTimeout(err error) bool {
	type timeout interface{ Timeout() bool }
	for e := err; e != nil; {
		if t, ok := e.(timeout); ok && t.Timeout() {
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

func hasFlag(args []string, c byte) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if len(a) > 1 && a[0] == '-' && strings.IndexByte(a[1:], c) >= 0 {
			return true
		}
	}
	return false
}

// getopt parses options the way glibc's getopt does with argv permutation:
// options may follow operands, clusters like -vm work, "p:" takes an
// argument. It returns the options seen (value "1" for flags), the operands,
// and an exit code ≥ 0 when cl_status must stop.
func (r *run) getopt(args []string, optstr string, strict, codeMsg bool) (map[byte]string, []string, int) {
	opts := map[byte]string{}
	var pos []string
	bad := func(msg string) int {
		r.plainErr(msg)
		if !strict {
			return -1
		}
		if codeMsg {
			r.errorf("Error: getopt returnedcharacter code ?.")
		} else {
			r.errorf("Error: getopt returnedcharacter ?.")
		}
		return exitParam
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(optstr, c)
			if k < 0 || c == ':' {
				if rc := bad(fmt.Sprintf("%s: invalid option -- '%c'", r.sub, c)); rc >= 0 {
					return nil, nil, rc
				}
				continue
			}
			if k+1 < len(optstr) && optstr[k+1] == ':' {
				if j+1 < len(a) {
					opts[c] = a[j+1:]
				} else if i+1 < len(args) {
					i++
					opts[c] = args[i]
				} else if rc := bad(fmt.Sprintf("%s: option requires an argument -- '%c'", r.sub, c)); rc >= 0 {
					return nil, nil, rc
				}
				break
			}
			opts[c] = "1"
		}
	}
	return opts, pos, -1
}

type command struct {
	opts       string // getopt option string
	strictOpts bool   // an unknown option stops the command (all but hbstatus)
	codeMsg    bool   // "character code ?" wording (listnodes, listhblinks, hbparameter)
	fn         func(r *run, s *control.Snapshot, opts map[byte]string, pos []string) int
}

var commands = map[string]command{
	"hbstatus":     {"mv", false, false, hbstatus},
	"listnodes":    {"mnpv", true, true, listnodes},
	"nodestatus":   {"m", true, false, nodestatus},
	"nodetype":     {"m", true, false, nodetype},
	"nodeweight":   {"m", true, false, nodeweight},
	"nodesite":     {"m", true, false, nodesite},
	"listhblinks":  {"mv", true, true, listhblinks},
	"hblinkstatus": {"m", true, false, hblinkstatus},
	"clientstatus": {"m", true, false, clientstatus},
	"rscstatus":    {"m", true, false, rscstatus},
	"hbparameter":  {"mp:", true, true, hbparameter},
	"test":         {"m", true, false, test},
}

func findNode(s *control.Snapshot, name string) *control.Node {
	name = strings.ToLower(name)
	for i := range s.Nodes {
		if s.Nodes[i].Name == name {
			return &s.Nodes[i]
		}
	}
	return nil
}

// reversed lists nodes as stock does: reverse declaration order (COMPAT §2.6).
func reversed(s *control.Snapshot) []control.Node {
	out := make([]control.Node, len(s.Nodes))
	for i, n := range s.Nodes {
		out[len(s.Nodes)-1-i] = n
	}
	return out
}

func hbstatus(r *run, s *control.Snapshot, opts map[byte]string, _ []string) int {
	if opts['v'] == "" {
		io.WriteString(r.Stdout, "Heartbeat is running on this machine.\n")
		return exitOK
	}
	if r.human {
		fmt.Fprintf(r.Stdout, "Heartbeat version %s\nResources controlled by \"%s\"\n", s.Version, s.Managed)
	} else {
		fmt.Fprintf(r.Stdout, "version:\t%s\nmanaged by:\t\"%s\"\n", s.Version, s.Managed)
	}
	return listnodes(r, s, map[byte]string{'v': "1"}, nil)
}

func listnodes(r *run, s *control.Snapshot, opts map[byte]string, _ []string) int {
	normal, ping := opts['n'] != "", opts['p'] != ""
	if normal == ping { // neither or both: all nodes
		normal, ping = true, true
	}
	if r.human {
		io.WriteString(r.Stdout, "The nodes are as follow:\n")
	}
	for _, n := range reversed(s) {
		if (n.Type == "ping" && !ping) || (n.Type != "ping" && !normal) {
			continue
		}
		if opts['v'] == "" {
			fmt.Fprintln(r.Stdout, n.Name)
			continue
		}
		fmt.Fprintf(r.Stdout, "\n%s\t%s\t(nodetype: %s)\n", n.Name, n.Status, n.Type)
		printLinks(r, n, true)
	}
	return exitOK
}

func printLinks(r *run, n control.Node, verbose bool) {
	if r.human {
		io.WriteString(r.Stdout, "\tthis node has the following heartbeat links:\n")
	}
	for _, l := range n.Links {
		if verbose {
			fmt.Fprintf(r.Stdout, "\t%s\t%s\n", l.Name, l.Status)
		} else {
			fmt.Fprintf(r.Stdout, "\t%s\n", l.Name)
		}
	}
}

// nodeArg returns the named node or the exit code after stock's message.
func nodeArg(r *run, s *control.Snapshot, pos []string, notEnough, badName string) (*control.Node, int) {
	if len(pos) < 1 {
		r.plainErr(notEnough)
		return nil, exitParam
	}
	n := findNode(s, pos[0])
	if n == nil {
		r.plainErr(badName)
		return nil, exitParam
	}
	return n, -1
}

const (
	notEnoughParams = "Not enough parameters."
	noEnoughParam   = "No enough parameter."
	badNodeName     = "Error. May be due to incorrect node name"
)

// nodeQuery is one per-node sub-command: stock's two error texts, its -m
// sentence (%[1]s the node as typed, %[2]v the value), the value and the
// exit code for it.
type nodeQuery struct {
	notEnough, badName, human string
	value                     func(n *control.Node) any
	exit                      func(n *control.Node) int
}

func (q nodeQuery) run(r *run, s *control.Snapshot, _ map[byte]string, pos []string) int {
	n, rc := nodeArg(r, s, pos, q.notEnough, q.badName)
	if n == nil {
		return rc
	}
	if r.human {
		fmt.Fprintf(r.Stdout, q.human+"\n", pos[0], q.value(n))
	} else {
		fmt.Fprintln(r.Stdout, q.value(n))
	}
	if q.exit != nil {
		return q.exit(n)
	}
	return exitOK
}

var (
	nodestatus = nodeQuery{notEnoughParams, badNodeName, "The cluster node %[1]s is %[2]v",
		func(n *control.Node) any { return n.Status },
		func(n *control.Node) int {
			switch n.Status {
			case "active", "up", "ping":
				return exitOK
			}
			return exitFail
		}}.run
	nodetype = nodeQuery{noEnoughParam, badNodeName, "The node %[1]s's type: %[2]v",
		func(n *control.Node) any { return n.Type }, nil}.run
	nodeweight = nodeQuery{notEnoughParams, "Error. Maybe due to incorrect node name.", "The weight of the cluster node %[1]s is %[2]v",
		func(n *control.Node) any { return n.Weight }, nil}.run
	nodesite = nodeQuery{notEnoughParams, badNodeName, "The site of the cluster node %[1]s is %[2]v",
		func(n *control.Node) any { return n.Site }, nil}.run
)

func listhblinks(r *run, s *control.Snapshot, opts map[byte]string, pos []string) int {
	if len(pos) < 1 {
		r.plainErr(noEnoughParam)
		return exitParam
	}
	n := findNode(s, pos[0])
	if n == nil {
		r.errorf("Cannot start heartbeat link interface walk.")
		r.errorf("REASON: EINVAL")
		return exitUnknown
	}
	printLinks(r, *n, opts['v'] != "")
	return exitOK
}

func hblinkstatus(r *run, s *control.Snapshot, _ map[byte]string, pos []string) int {
	if len(pos) < 2 {
		r.plainErr(noEnoughParam)
		return exitParam
	}
	if n := findNode(s, pos[0]); n != nil {
		for _, l := range n.Links {
			if l.Name != pos[1] {
				continue
			}
			if r.human {
				fmt.Fprintf(r.Stdout, "The node %s's heartbeat link %s is %s\n", pos[0], pos[1], l.Status)
			} else {
				fmt.Fprintln(r.Stdout, l.Status)
			}
			if l.Status == "up" {
				return exitOK
			}
			return exitFail
		}
	}
	r.errorf("Cannot get heartbeat link status")
	r.errorf("REASON: ")
	return exitUnknown
}

// clientstatus: hbgo has no heartbeat API clients, so every client is
// offline on a known node; an unknown node gets stock's no-reply error.
func clientstatus(r *run, s *control.Snapshot, _ map[byte]string, pos []string) int {
	if len(pos) < 2 {
		r.plainErr(noEnoughParam)
		return exitParam
	}
	if findNode(s, pos[0]) == nil {
		r.errorf("Cannot get heartbeat client %s's status", pos[1])
		r.errorf("REASON: No timely response.")
		return exitUnknown
	}
	fmt.Fprintln(r.Stdout, "offline")
	return exitFail
}

func rscstatus(r *run, s *control.Snapshot, _ map[byte]string, _ []string) int {
	if r.human {
		fmt.Fprintf(r.Stdout, "This node is holding %s resources.\n", s.RscStatus)
	} else {
		fmt.Fprintln(r.Stdout, s.RscStatus)
	}
	return exitOK
}

func hbparameter(r *run, s *control.Snapshot, opts map[byte]string, _ []string) int {
	name, ok := opts['p']
	if !ok || name == "" {
		r.errorf("parameter name required")
		return exitParam
	}
	v, ok := s.Params[name]
	if name == "hbversion" {
		v, ok = s.Version, true
	}
	if !ok {
		r.errorf("Cannot get parameter %s's value", name)
		r.errorf("REASON: ")
		return exitFail
	}
	if r.human {
		fmt.Fprintf(r.Stdout, "Heartbeat parameter %s's value: %s\n", name, v)
	} else {
		fmt.Fprintln(r.Stdout, v)
	}
	return exitOK
}

// test is stock's hidden sub-command (COMPAT §7.3), "keeplive" sic.
func test(r *run, s *control.Snapshot, _ map[byte]string, _ []string) int {
	fmt.Fprintf(r.Stdout, "Dead time: %d\n keeplive time: %d\n mynodeid: %s\n rsc: %s\n",
		s.Deadtime.Milliseconds(), s.Keepalive.Milliseconds(), s.Node, s.RscStatus)
	return exitOK
}

// usage is stock 3.0.6's help text, byte for byte (spelling included).
const usage = `Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
clientstatus <node-name> <client-id> [<timeout>]
	Show the status of heartbeat clients.
hblinkstatus <node-name> <link-name>
	Show the status of a heartbeat link
hbstatus
	Indicate if heartbeat is running on the local system.
	Options:
		-v	verbose: also add "listnodes -v" output
listnodes [<option>]
	List the nodes in the cluster.
	Options:
		-p	list only 'ping' type nodes
		-n	list only 'normal' type nodes
		-v	verbose: also list type and status,
			then add "listhblinks -v" output
listhblinks <node-name>
	List the network interfaces used as hearbeat links.
	Options:
		-v	verbose: list link status as well
nodestatus <node-name>
	List the node status.
nodeweight <node-name>
	List the node weight.
nodesite <node-name>
	List the node site.
nodetype <node-name>
	List the nodes of a given type.
rscstatus
	Show the status of cluster resources.
hbparameter -p <parameter-name>
	Retrieve the value of a cluster parameter.
	As for the valid parameter names, please refer to the man page.
`
