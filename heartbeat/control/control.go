// Package control holds hbgo's local control socket: the request and reply types, the server that checks the caller's credentials, and the client the admin commands use.
package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// DefaultPath is the control socket's default location (hbgo.cf control_socket).
const DefaultPath = "/run/heartbeat/hbgo.sock"

// Op names a control request.
type Op string

// Requests. Read-only ones work for any local user, as stock's API does for
// cl_status; the others need root (COMPAT §7.3).
const (
	OpStatus   Op = "status"   // Snapshot of the cluster as this node sees it
	OpStandby  Op = "standby"  // hb_standby <set>
	OpTakeover Op = "takeover" // hb_takeover <set>
	OpMessage  Op = "message"  // inject a cluster message, like a write to the FIFO
	OpReload   Op = "reload"   // re-read configuration (heartbeat -r)
	OpDebug    Op = "debug"    // change the debug level by Args[0] ("+1", "-1", "3")
	OpHealth   Op = "health"   // heartbeat status: the versioned status.Snapshot
)

// ReadOnly reports whether any local user may send op.
func (op Op) ReadOnly() bool { return op == OpStatus || op == OpHealth }

// Request is one line of JSON sent to the daemon.
type Request struct {
	Op     Op                `json:"op"`
	Args   []string          `json:"args,omitempty"`
	Fields map[string]string `json:"fields,omitempty"` // OpMessage: name=value pairs, in Order
	Order  []string          `json:"order,omitempty"`
}

// Reply is the daemon's one line of JSON answer.
type Reply struct {
	OK     bool      `json:"ok"`
	Error  string    `json:"error,omitempty"`
	Status *Snapshot `json:"status,omitempty"`
	// Health answers OpHealth: a status.Snapshot, kept as raw JSON so
	// this package need not know its schema.
	Health json.RawMessage `json:"health,omitempty"`
}

// Snapshot is the cluster state a node reports to cl_status and friends.
type Snapshot struct {
	Version   string            `json:"version"`    // e.g. "3.0.6 (hbgo 0.1)"
	Node      string            `json:"node"`       // local cluster node name
	Hostname  string            `json:"hostname"`   // uname -n
	PID       int               `json:"pid"`        // daemon pid
	Status    string            `json:"status"`     // local node status: up, active, ...
	Nodes     []Node            `json:"nodes"`      // ha.cf declaration order (cl_status lists them reversed)
	RscStatus string            `json:"rsc_status"` // none, local, foreign, all, transition
	Params    map[string]string `json:"params"`     // raw ha.cf values for hbparameter
	Deadtime  time.Duration     `json:"deadtime"`
	Keepalive time.Duration     `json:"keepalive"`
	Counters  map[string]uint64 `json:"counters,omitempty"` // dropped packets by reason, ...
	Managed   string            `json:"managed"`            // "haresources"
}

// Node is one configured node (normal or ping) and its links.
type Node struct {
	Name   string `json:"name"`
	Type   string `json:"type"`   // normal or ping
	Status string `json:"status"` // init, up, active, dead, ping
	Weight int    `json:"weight"`
	Site   string `json:"site"`
	Links  []Link `json:"links"`
}

// Link is one heartbeat link to a node and its status (up or dead).
type Link struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// Cred is the peer credential of a control connection.
type Cred struct{ UID, GID, PID int }

// Handler answers one request from a caller with credentials c.
type Handler func(ctx context.Context, c Cred, r Request) Reply

// ErrNotRoot is the reply error for a state-changing request from a non-root caller.
var ErrNotRoot = errors.New("only root may change the cluster state")

// Server serves the control socket.
type Server struct {
	ln      *net.UnixListener
	handler Handler
	wg      sync.WaitGroup
	cancel  context.CancelFunc
}

// Listen creates the socket at path (replacing a stale one), mode 0666 so
// any local user can query; state changes are refused unless the caller is root.
func Listen(path string, h Handler) (*Server, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
			c.Close()
			return nil, fmt.Errorf("control: %s: another daemon is listening", path)
		}
		_ = os.Remove(path)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{ln: ln, handler: h, cancel: cancel}
	s.wg.Add(1)
	go s.accept(ctx)
	return s, nil
}

func (s *Server) accept(ctx context.Context) {
	defer s.wg.Done()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(ctx, c)
		}()
	}
}

func peerCred(c *net.UnixConn) (Cred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return Cred{}, err
	}
	var uc *syscall.Ucred
	var serr error
	if err := raw.Control(func(fd uintptr) {
		uc, serr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return Cred{}, err
	}
	if serr != nil {
		return Cred{}, serr
	}
	return Cred{UID: int(uc.Uid), GID: int(uc.Gid), PID: int(uc.Pid)}, nil
}

// maxRequest bounds one request line; anything longer is refused.
const maxRequest = 64 << 10

func (s *Server) serve(ctx context.Context, c *net.UnixConn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	cred, err := peerCred(c)
	if err != nil {
		return
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), maxRequest)
	if !sc.Scan() {
		return
	}
	var req Request
	var rep Reply
	if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
		rep = Reply{Error: "bad request: " + err.Error()}
	} else if !req.Op.ReadOnly() && cred.UID != 0 {
		rep = Reply{Error: ErrNotRoot.Error()}
	} else {
		rep = s.handler(ctx, cred, req)
	}
	b, _ := json.Marshal(rep)
	_, _ = c.Write(append(b, '\n'))
}

// Close stops accepting and waits for running requests.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.cancel()
	s.wg.Wait()
	return err
}

// Do sends one request to the daemon at path and returns its reply.
// The timeout mirrors cl_status's 5 s alarm.
func Do(path string, req Request, timeout time.Duration) (Reply, error) {
	c, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return Reply{}, fmt.Errorf("control: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	b, _ := json.Marshal(req)
	if _, err := c.Write(append(b, '\n')); err != nil {
		return Reply{}, fmt.Errorf("control: %w", err)
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return Reply{}, fmt.Errorf("control: %w", err)
		}
		return Reply{}, errors.New("control: daemon closed the connection")
	}
	var rep Reply
	if err := json.Unmarshal(sc.Bytes(), &rep); err != nil {
		return Reply{}, fmt.Errorf("control: bad reply: %w", err)
	}
	return rep, nil
}
