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
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
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
	OpCleanup  Op = "cleanup"  // heartbeat cleanup [RESOURCE]: clear monitor failure counts (Args[0], none = all)
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
	conns   connLimit
}

// Listen creates the socket at path (replacing a stale one), mode 0666 so
// any local user can query; state changes are refused unless the caller is
// root. The directory must be safe first (SafeDir): nobody but root may
// replace the socket. The mode is set before the socket appears (a private
// umask on the binding thread), never by a chmod on the path afterwards,
// which another user could have raced to point at any file.
func Listen(path string, h Handler) (*Server, error) {
	if _, err := SafeDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
			c.Close()
			return nil, fmt.Errorf("control: %s: another daemon is listening", path)
		}
		_ = os.Remove(path)
	}
	ln, err := listenMode(path, 0o666)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{ln: ln, handler: h, cancel: cancel, conns: connLimit{perUID: map[int]int{}}}
	s.wg.Add(1)
	go s.accept(ctx)
	return s, nil
}

// listenMode binds a Unix socket at path whose file has mode perm from the
// start. The bind runs on a thread of its own with its own umask
// (unshare(CLONE_FS)), so the process umask, which other goroutines rely
// on while creating files, never changes; the thread dies with the goroutine.
func listenMode(path string, perm os.FileMode) (*net.UnixListener, error) {
	type result struct {
		ln  *net.UnixListener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is discarded
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			ch <- result{err: fmt.Errorf("unshare(CLONE_FS): %w", err)}
			return
		}
		unix.Umask(int(0o777 &^ perm))
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		ch <- result{ln, err}
	}()
	r := <-ch
	return r.ln, r.err
}

// SafeDir makes sure no other user can replace what dir holds: dir and
// every directory above it must be owned by root (or by this process's
// user) and writable by nobody else, unless sticky (/tmp). A missing dir
// is created root-owned, mode 0755. Run as root, it takes back dir itself
// when another user owns it (Debian's stock tmpfiles.d entry makes
// /run/heartbeat hacluster:haclient), through the open directory, never by
// path; it reports what it changed ("" when nothing).
func SafeDir(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	euid := os.Geteuid()
	// The directories above first: what cannot be made safe is refused
	// before anything is changed.
	for d := filepath.Dir(real); ; d = filepath.Dir(d) {
		var st unix.Stat_t
		if err := unix.Lstat(d, &st); err != nil {
			return "", fmt.Errorf("%s: %w", d, err)
		}
		if err := unsafeDir(d, &st, euid); err != nil {
			return "", err
		}
		if d == "/" {
			break
		}
	}
	fd, err := unix.Open(real, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("%s: %w", real, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "", fmt.Errorf("%s: %w", real, err)
	}
	if euid != 0 || unsafeDir(real, &st, euid) == nil {
		return "", unsafeDir(real, &st, euid) // safe as it is (a sticky /tmp too), or not ours to change
	}
	// Stock keeps its API socket in the hacluster-owned
	// /var/run/heartbeat (COMPAT §0.4, §7.4): a hacluster process can
	// replace it, the weakness hbgo avoids. hbgo's control socket
	// changes cluster state, so root owns its directory (the group,
	// haclient, keeps its access). Through the open directory: the path
	// may have been swapped since.
	if err := unix.Fchown(fd, 0, -1); err != nil {
		return "", fmt.Errorf("%s: %w", real, err)
	}
	if err := unix.Fchmod(fd, st.Mode&0o7777&^0o022); err != nil {
		return "", fmt.Errorf("%s: %w", real, err)
	}
	return fmt.Sprintf("%s was owned by uid %d mode %04o; now root's, mode %04o", real, st.Uid, st.Mode&0o7777, st.Mode&0o7777&^0o022), nil
}

// unsafeDir says why another user could replace an entry of directory d.
func unsafeDir(d string, st *unix.Stat_t, euid int) error {
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return fmt.Errorf("%s is not a directory", d)
	case int(st.Uid) != 0 && int(st.Uid) != euid:
		return fmt.Errorf("%s is owned by uid %d: another user could replace the control socket; make it root's (chown root %s)", d, st.Uid, d)
	case st.Mode&0o022 != 0 && st.Mode&unix.S_ISVTX == 0:
		return fmt.Errorf("%s is writable by group or others (mode %04o): another user could replace the control socket; chmod go-w %s", d, st.Mode&0o7777, d)
	}
	return nil
}

// Connection bounds: a local user opening connections and sending nothing
// holds each for up to the 10 s deadline; the bounds keep that from
// piling up goroutines, and root keeps room of its own.
const (
	maxRootConns   = 16 // root's own connections (hb_standby, cl_status by root)
	maxOtherConns  = 32 // all other users together
	maxConnsPerUID = 8  // any one non-root user
)

// connLimit counts open connections by caller.
type connLimit struct {
	mu     sync.Mutex
	root   int
	other  int
	perUID map[int]int
}

// acquire takes a slot for uid, or reports false when its bound is reached.
func (l *connLimit) acquire(uid int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if uid == 0 {
		if l.root >= maxRootConns {
			return false
		}
		l.root++
		return true
	}
	if l.other >= maxOtherConns || l.perUID[uid] >= maxConnsPerUID {
		return false
	}
	l.other++
	l.perUID[uid]++
	return true
}

func (l *connLimit) release(uid int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if uid == 0 {
		l.root--
		return
	}
	l.other--
	if l.perUID[uid]--; l.perUID[uid] == 0 {
		delete(l.perUID, uid)
	}
}

// ErrBusy is the reply error when the caller has too many connections open.
var ErrBusy = errors.New("too many control connections; try again")

func (s *Server) accept(ctx context.Context) {
	defer s.wg.Done()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			return
		}
		cred, err := peerCred(c)
		if err != nil {
			c.Close()
			continue
		}
		if !s.conns.acquire(cred.UID) {
			b, _ := json.Marshal(Reply{Error: ErrBusy.Error()})
			_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			_, _ = c.Write(append(b, '\n'))
			c.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.conns.release(cred.UID)
			s.serve(ctx, c, cred)
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

func (s *Server) serve(ctx context.Context, c *net.UnixConn, cred Cred) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
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
	_, werr := c.Write(append(b, '\n'))
	// A daemon with too many connections answers "busy" and closes
	// without reading: the write may fail, the answer is still there.
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	if !sc.Scan() {
		if werr != nil {
			return Reply{}, fmt.Errorf("control: %w", werr)
		}
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
