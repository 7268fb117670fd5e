// Package daemon is the hbgo daemon's I/O shell: media, FIFO, control socket, signals, timers and the resource executor around the pure node machine (heartbeat/core/node).
package daemon

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"hbgo/authkeys"
	"hbgo/haresources"
	"hbgo/haresources/executor"
	"hbgo/haresources/planner"
	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/config/hadir"
	"hbgo/heartbeat/core/membership"
	hbnode "hbgo/heartbeat/core/node"
	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/control"
	"hbgo/heartbeat/edge/hblog"
	"hbgo/heartbeat/edge/media"
	"hbgo/heartbeat/edge/pidfile"
	"hbgo/heartbeat/edge/respawn"
	"hbgo/heartbeat/edge/stonith"
	"hbgo/heartbeat/edge/watchdog"
	"hbgo/internal/cfgfile"
	"hbgo/internal/sched"
	"hbgo/internal/version"
	"hbgo/resource.d/agent"
)

// seed returns a random seed for membership's ack triggers and rexmit delays.
func seed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]))
}

// Version is the heartbeat version hbgo reports (scripts compare it).
const Version = "3.0.6"

// Options are the daemon's paths and hooks; zero values mean stock's paths.
type Options struct {
	Dir           string // /etc/ha.d
	StateDir      string // /var/lib/heartbeat (hb_uuid, hb_generation, fifo, journal)
	PIDFile       string // /var/run/heartbeat.pid
	ControlSocket string // /run/heartbeat/hbgo.sock
	Debug         int    // -d count
	Stderr        io.Writer
	// Ready is called once the node is up: media open, PID file written.
	Ready func()
	// Binder returns how resources are run for this configuration; nil
	// means Binder with the native agents.
	Binder func(c *hadir.Conf, env []string, log agent.Logger) executor.Binder
	// Validators check native agents' arguments while loading haresources;
	// nil means Validators().
	Validators map[string]func(args []string) error
	// Signals delivers SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 (nil: none).
	Signals <-chan os.Signal
	// Reboot fences the node after a failed stop (COMPAT §4.8); nil = reboot(2).
	Reboot func() error
	// NoRealtime is heartbeat -l: normal scheduling whatever ha.cf says.
	NoRealtime bool
	// Notify reports to the service manager, from the loop goroutine:
	// "READY=1" once up, "WATCHDOG=1" at each keepalive sent, "STOPPING=1"
	// when shutdown starts (nil: none).
	Notify func(state string)
	// Restart is heartbeat -R: this process is the in-place restart of
	// the daemon with the same PID and adopts the resources it held.
	Restart bool
	// RestartHold is -C's resource state (none|local|foreign|all; "" = no -C).
	RestartHold string
	// NoResources is heartbeat -M: membership only, no resource management.
	NoResources bool
	// Now is the daemon's clock; nil is time.Now. With a clock of its own
	// the loop wakes on Go timers rather than a timerfd (which follows the
	// kernel's clock only), so a test under testing/synctest, passing
	// time.Now, holds all of the loop's time.
	Now func() time.Time
	// Exec replaces the process (re-exec after a healed partition, quick
	// restart) through sched.Exec; nil is syscall.Exec. In-process tests
	// record the call.
	Exec func(path string, argv, env []string) error
	// Isolated starts no FIFO, control socket or configuration watcher:
	// their goroutines wait in system calls, which a test under
	// testing/synctest cannot wait out (requests go through onControl).
	Isolated bool
	// OpenMedium opens one ha.cf link, its packets going to rx; nil opens
	// the real socket or device. Tests pass media.MemNetwork's.
	OpenMedium func(m hacf.Medium, rx *media.Queue) (media.Medium, error)
	// SyslogAddr is the syslog socket; "" = /dev/log.
	SyslogAddr string
}

// logQueueLen is each log destination's queue (hblog.Options.Queue): a
// failover's burst is a few dozen lines; a destination that hangs for
// longer than a thousand lines loses lines, never the loop's time.
const logQueueLen = 1024

// rxQueueLen is each medium's receive queue: a burst of keepalives and
// their retransmissions fits many times over; a flood fills it alone.
const rxQueueLen = 256

// stopRetries is HA_STOPRETRYMAX when the environment sets it (stock's
// knob), else hbgo.cf stop_retries (default 10, COMPAT §4.8).
func stopRetries(c *hadir.Conf) int {
	if os.Getenv("HA_STOPRETRYMAX") != "" {
		return executor.StopRetriesFromEnv()
	}
	return c.Hbgo.StopRetries
}

func (o *Options) defaults() {
	if o.Dir == "" {
		o.Dir = "/etc/ha.d"
	}
	if o.StateDir == "" {
		o.StateDir = "/var/lib/heartbeat"
	}
	if o.PIDFile == "" {
		o.PIDFile = pidfile.DefaultPath
	}
	if o.ControlSocket == "" {
		o.ControlSocket = control.DefaultPath
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Validators == nil {
		o.Validators = Validators()
	}
}

// Exit codes (COMPAT §7.6).
const (
	ExitOK         = 0
	ExitFailure    = 1
	ExitPermission = 4
	ExitConfig     = 6
)

// Run loads the configuration, starts the node and runs it until it is
// stopped; it returns heartbeat's exit code.
func Run(ctx context.Context, o Options) int {
	o.defaults()
	conf := hadir.Load(hadir.Options{Dir: o.Dir, Validators: o.Validators})
	if o.Restart {
		if code, ok := checkRestart(conf, o); !ok {
			return code
		}
	}
	if !conf.Ok() {
		reportConfig(conf, o.Stderr)
		return conf.ExitCode()
	}
	if st, pid, _ := pidfile.Check(o.PIDFile, "/proc", selfExe()); st == pidfile.Running && pid != os.Getpid() {
		fmt.Fprintf(o.Stderr, "%s\n", stderrLine(conf, "info", fmt.Sprintf("heartbeat: already running [pid %d].", pid)))
		return ExitOK
	}
	n, err := newNode(ctx, conf, o)
	if err != nil {
		fmt.Fprintf(o.Stderr, "%s\n", stderrLine(conf, "ERROR", err.Error()))
		if oe := (*media.OpenError)(nil); errors.As(err, &oe) && oe.Config() {
			return ExitConfig
		}
		return ExitFailure
	}
	return n.run(ctx)
}

// Reload is the invoking side of heartbeat -r (COMPAT §2.8): it validates
// the configuration first and signals the daemon at pid only if it is
// valid; it returns heartbeat's exit code.
func Reload(o Options, pid int) int {
	o.defaults()
	conf := hadir.Load(hadir.Options{Dir: o.Dir, Validators: o.Validators})
	logf, done := invokerLog(conf, o)
	defer done()
	if conf.HaCf != nil {
		// Stock's invoking process reads ha.cf as a start would and logs
		// the same start-up notes before signalling.
		for _, l := range conf.HaCf.StartupLog {
			switch l.Level {
			case hacf.LevelError:
				logf("ERROR", l.Text)
			case hacf.LevelWarn:
				logf("WARN", l.Text)
			case hacf.LevelInfo:
				logf("info", l.Text)
			}
		}
	}
	if !conf.Ok() {
		for _, p := range conf.Problems.Sorted() {
			fmt.Fprintln(o.Stderr, p.Error())
		}
		// Stock's -r: after init_config's lines (hacf's StartupLog above),
		// its own; exit 1 (4 for a permission problem), not a start's 6
		// (testdata/stock-reload-bad-hacf.txt).
		logf("info", fmt.Sprintf("Config errors: Heartbeat pid %d NOT restarted", pid))
		if conf.Unreadable {
			return ExitPermission
		}
		return ExitFailure
	}
	logf("info", fmt.Sprintf("Signalling heartbeat pid %d to reread config files", pid))
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		logf("ERROR", fmt.Sprintf("Unable to send SIGHUP to pid %d", pid))
		if err == syscall.EPERM {
			return ExitPermission
		}
		return ExitFailure
	}
	return ExitOK
}

// reportConfig prints every problem as `file:line: error: what; hint` and,
// for logcheck rules, heartbeat's own closing line.
func reportConfig(c *hadir.Conf, w io.Writer) {
	for _, p := range c.Problems.Sorted() {
		fmt.Fprintln(w, p.Error())
	}
	for _, p := range c.Problems {
		if p.Severity == 0 && p.Stock != "" {
			fmt.Fprintln(w, stderrLine(c, "ERROR", p.Stock))
		}
	}
	fmt.Fprintln(w, stderrLine(c, "ERROR", "Configuration error, heartbeat not started."))
}

// stderrLine formats a daemon line for stderr in the file format in effect
// (COMPAT §8.2), before the logger exists.
func stderrLine(c *hadir.Conf, level, text string) string {
	host, _ := os.Hostname()
	now := time.Now()
	if c.HaCf != nil && !c.HaCf.SyslogMsgFmt {
		return fmt.Sprintf("heartbeat[%d]: %s %s: %s", os.Getpid(), now.Format("2006/01/02_15:04:05"), level, text)
	}
	return fmt.Sprintf("%s %s heartbeat: [%d]: %s: %s", now.Format("Jan 02 15:04:05"), host, os.Getpid(), level, text)
}

func selfExe() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	return p
}

// node is one running daemon: everything the loop owns.
type node struct {
	o    Options
	conf *hadir.Conf // as read at start; a reload (on the loop) replaces Keys and Hbgo; the executor reads Dir and Groups, which never change
	// haresources as groups() last parsed it, its fallback when the file
	// does not parse; groups() runs on the executor and on the loop.
	lastGroups struct {
		sync.Mutex
		gs []haresources.Group
	}
	log     *hblog.Log
	journal *hblog.Journal
	m       *hbnode.Machine // membership, planner and ipfail; nil until run starts it
	mcfg    hbnode.Config   // m's configuration, read at start
	acting  bool            // carrying out m's actions (step)
	pending []hbnode.Event  // events that arose meanwhile
	acts    []hbnode.Action // m's actions, one slice reused by every step
	dec     wire.Decoder    // every packet is decoded into it (onPacket)
	sealed  []byte          // every message sent is sealed into it (send)
	media   []media.Medium
	pinger  *media.Pinger // ICMP for ping and ping_group nodes; nil without any
	serial  bool
	inbox   *media.Inbox // one receive queue per medium, read in turn
	ops     *opQueue
	opDone  chan planner.OpDone
	ctl     chan ctlCall
	fifo    chan fifoMsg
	exec    *executor.Executor
	ing     *ingest
	ctlSrv  *control.Server
	now     func() time.Time
	pid     int
	stop    struct {
		requested, done bool
		restart         bool
		quick           bool // in-place restart keeping resources (restart.go)
		at              time.Time
	}
	cancelExec context.CancelFunc
	closers    []func()
	mtimes     [3]time.Time                   // ha.cf, authkeys (reload compares them, as stock), hbgo.cf at load
	reloading  bool                           // a reload's files are being read off the loop
	store      membership.Store               // the state directory's files
	peerSeen   map[string]membership.PeerMark // what was last seen from each peer, as persisted
	peerW      *peerWriter                    // writes peerSeen off the loop; nil until the first change
	hooks      *hooks                         // rc.d scripts the admin added or changed
	stonith    *stonith.Runner                // nil without a STONITH device for this node
	wd         *watchdog.Dog                  // nil without a watchdog
	later      chan func()                    // work handed back to the loop (STONITH results)
	mon        *monShell                      // resource monitor (monitor.go); nil = nothing watched
	monCtx     context.Context                // the monitor's context, for one a reload starts (monreload.go)
	resMu      resLock                        // one resource operation at a time: planner ops, monitor restarts
	fenceCtx   context.Context                // ends when the loop stops

	sup *respawn.Supervisor // ha.cf's respawn clients (respawn.go); nil before comm up

	sv *statusView // heartbeat status and the metrics (status.go)
}

func newNode(ctx context.Context, c *hadir.Conf, o Options) (*node, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	n := &node{o: o, conf: c, now: now, pid: os.Getpid(),
		inbox: media.NewInbox(), ops: newOpQueue(), opDone: make(chan planner.OpDone, 64),
		ctl: make(chan ctlCall), fifo: make(chan fifoMsg, 64), later: make(chan func(), 4), fenceCtx: context.Background()}
	// The loop drains the queues before each deadline, and a keepalive of
	// its own is never more than one keepalive away: a heartbeat heard
	// waits for that wake-up instead of waking the loop (and a thread) for
	// itself (media.Inbox.DeferRoutine). Death is still timed from when
	// the reader got it (Packet.At).
	n.inbox.DeferRoutine = true
	n.mtimes = [3]time.Time{mtime(c.Dir, "ha.cf"), mtime(c.Dir, "authkeys"), mtime(c.Dir, hacf.HbgoFile)}
	if err := n.startLog(); err != nil {
		return nil, err
	}
	lg := n.log

	if err := os.MkdirAll(o.StateDir, 0o755); err != nil {
		return nil, err
	}
	n.openJournal()

	// Identity: stock's hb_generation and hb_uuid, so a converted node keeps
	// its identity (PROTOCOL §5.2, §5.3, §13).
	store := membership.Store{Dir: o.StateDir}
	if err := store.CheckDir(); err != nil {
		return nil, err
	}
	n.store = store
	gen, uuid, err := n.identity()
	if err != nil {
		return nil, err
	}

	if !o.Isolated {
		if err := n.startFIFO(ctx); err != nil {
			return nil, err
		}
	}
	if err := n.openMedia(ctx); err != nil {
		n.close()
		return nil, err
	}

	// What an earlier run saw from each peer: its replays stay refused.
	peers, err := store.LoadPeers()
	if err != nil {
		return nil, err
	}
	n.peerSeen = peers
	n.mcfg.Membership = n.membershipParams(gen, uuid, peers)
	n.setupResources()

	if o.ControlSocket == control.DefaultPath && c.HbgoPresent && c.Hbgo.ControlSocket != "" {
		o.ControlSocket = c.Hbgo.ControlSocket // hbgo.cf control_socket
		n.o.ControlSocket = o.ControlSocket
	}
	if fixed, err := control.SafeDir(filepath.Dir(o.ControlSocket)); fixed != "" && err == nil {
		lg.Warnf("hbgo: control socket directory taken back: %s (no other user may replace the socket)", fixed)
	}
	if !o.Isolated {
		n.listenControl(o.ControlSocket)
	}
	if err := pidfile.Write(o.PIDFile, n.pid); err != nil {
		lg.Errorf("hbgo: %v", err)
	}
	return n, nil
}

// startLog opens the logger and writes ha.cf's start-up lines and the banner.
func (n *node) startLog() error {
	c, o, cf := n.conf, n.o, n.conf.HaCf
	host, _ := os.Hostname()
	lg, err := hblog.New(hblog.Options{Logfile: cf.Logfile, Debugfile: cf.Debugfile, Facility: cf.Logfacility,
		SyslogMsgFmt: cf.SyslogMsgFmt, UseLogd: cf.UseLogd, Debug: max(cf.Debug, o.Debug), Nodename: host,
		PID: n.pid, Now: n.now, SyslogAddr: o.SyslogAddr, Queue: logQueueLen, Format: c.Hbgo.LogFormat})
	if err != nil {
		return fmt.Errorf("logging: %w; %s", err, cf.HintLogOpen(err))
	}
	n.log = lg
	n.closers = append(n.closers, func() { lg.Close() })
	for _, l := range cf.StartupLog {
		switch l.Level {
		case hacf.LevelError:
			lg.Errorf("%s", l.Text)
		case hacf.LevelWarn:
			lg.Warnf("%s", l.Text)
		case hacf.LevelInfo:
			lg.Infof("%s", l.Text)
		}
	}
	lg.Infof("**************************")
	lg.Infof("Configuration validated. Starting heartbeat %s", Version)
	lg.Infof("heartbeat: version %s", Version)
	lg.Infof("%s", hblog.HbgoBanner(version.Get().String(), Version).Text)
	if crc := c.Keys.CRCIndexes(); len(crc) > 0 {
		// Stock starts silently with crc keys; it stays accepted (PROTOCOL §4.3).
		lg.Critf("%s", authkeys.CRCWarning(crc))
	}
	return nil
}

// openJournal opens the event journal; a journal that cannot open is logged and left off.
func (n *node) openJournal() {
	c := n.conf
	jpath := filepath.Join(n.o.StateDir, "hbgo-journal")
	if c.HbgoPresent && c.Hbgo.Journal != "" {
		jpath = c.Hbgo.Journal // hbgo.cf journal
	}
	if j, err := hblog.OpenJournal(hblog.JournalOptions{Path: jpath, MaxBytes: c.Hbgo.JournalSize, Now: n.now}); err == nil {
		n.journal = j
		n.closers = append(n.closers, func() { j.Close() })
	} else {
		n.log.Warnf("hbgo: event journal disabled: %v", err)
	}
}

// identity takes the next generation and loads (or makes) the node's UUID from the state directory (PROTOCOL §5.2, §5.3).
func (n *node) identity() (uint64, [16]byte, error) {
	lg, store := n.log, n.store
	var uuid [16]byte
	gen, fresh, err := store.NextGeneration(n.now())
	if err != nil {
		return 0, uuid, fmt.Errorf("generation: %w", err)
	}
	if fresh {
		lg.Warnf("No Previous generation - starting at %d", gen)
	}
	lg.Infof("Heartbeat generation: %d", gen)
	uuid, ok, err := store.LoadUUID()
	if err != nil {
		return 0, uuid, fmt.Errorf("uuid: %w", err)
	}
	if !ok {
		lg.Infof("No uuid found for current node - generating a new uuid.")
		if _, err := rand.Read(uuid[:]); err != nil {
			return 0, uuid, err
		}
		uuid[6] = uuid[6]&0x0f | 0x40 // RFC 4122 version 4, as libuuid makes
		uuid[8] = uuid[8]&0x3f | 0x80
		if err := store.SaveUUID(uuid); err != nil {
			return 0, uuid, fmt.Errorf("uuid: %w", err)
		}
	}
	return gen, uuid, nil
}

// membershipParams is membership's configuration: ha.cf's nodes and timings, the opened media's links, and this run's identity.
func (n *node) membershipParams(gen uint64, uuid [16]byte, peers map[string]membership.PeerMark) membership.Params {
	c, cf := n.conf, n.conf.HaCf
	var pings []string
	for _, m := range cf.PingNodes() {
		pings = append(pings, m.Name)
	}
	var links []string
	seen := map[string]bool{}
	for _, m := range n.media {
		if !seen[m.Link()] {
			seen[m.Link()] = true
			links = append(links, m.Link())
		}
	}
	maxRexmit := time.Duration(cf.MaxRexmitDelay) * time.Millisecond
	return membership.Params{Node: c.Node, Nodes: cf.Nodes, PingNodes: pings, Links: links,
		Keepalive: cf.Keepalive, Deadtime: cf.Deadtime, Warntime: cf.Warntime, Initdead: cf.Initdead,
		Deadping: cf.Deadping, MaxRexmitDelay: maxRexmit, HopFudge: cf.Hopfudge, UUID: uuid, Generation: gen,
		Load: newLoadavg(), PeerSeen: peers, StatusExtra: n.addStatusFields}
}

// setupResources configures the planner, STONITH, the executor and the rc.d hooks.
func (n *node) setupResources() {
	c, o, cf, lg := n.conf, n.o, n.conf.HaCf, n.log
	peer := ""
	for _, nd := range cf.Nodes {
		if nd != c.Node {
			peer = nd
		}
	}
	mode := planner.Legacy
	switch cf.AutoFailback {
	case hacf.FailbackOn:
		mode = planner.On
	case hacf.FailbackOff:
		mode = planner.Off
	}
	// hbgo.cf fast_start: the admin says the peer runs hbgo too, so the
	// 10 s RQSTDELAY may end as soon as its resource state is known.
	if dev, ok := stonith.FromConfig(cf.Stonith, c.Node); ok {
		n.stonith = &stonith.Runner{Device: dev}
	}
	n.mcfg.Planner = planner.Config{Us: c.Node, Peer: peer, AutoFailback: mode, Groups: c.Groups,
		Stonith: n.stonith != nil, FastStart: c.Hbgo.FastStart}
	var bind executor.Binder
	if o.Binder != nil {
		bind = o.Binder(c, n.env(), n.scriptLog())
	} else {
		bind = Binder(c, n.env(), n.scriptLog(), true)
	}
	n.exec = &executor.Executor{Groups: n.groups, Bind: bind, Log: n.scriptLog(), StopRetries: stopRetries(c),
		StartTimeout: c.Hbgo.Timeouts["start"], StopTimeout: c.Hbgo.Timeouts["stop"], StatusTimeout: c.Hbgo.Timeouts["status"]}
	n.ing = newIngest(lg, n.now)
	n.hooks = newHooks(c.Dir, n.env(), cf.Debugfile, n.scriptLog(),
		&haresources.Resolver{Dir: c.Dir, InitDir: "/etc/init.d", DpkgInfoDir: "/var/lib/dpkg/info", DpkgStatus: "/var/lib/dpkg/status"}, lg)
}

// groups re-reads haresources for every group operation as stock's scripts
// do, keeping the last good copy when the file does not parse.
// It runs on the executor and on the loop, so the last good copy is its
// own (lastGroups): n.conf, which the loop's status reads, is not written.
func (n *node) groups() []haresources.Group {
	last := &n.lastGroups
	last.Lock()
	defer last.Unlock()
	if last.gs == nil {
		last.gs = n.conf.Groups
	}
	path := filepath.Join(n.conf.Dir, "haresources")
	b, _, err := cfgfile.Read(path) // a FIFO or /dev/zero here must not hang the executor
	if err != nil {
		n.log.Errorf("hbgo: %v; using the last good copy", err)
		return last.gs
	}
	gs, probs := haresources.Parse(bytes.NewReader(b), path)
	if probs.HasErrors() {
		for _, p := range probs.Errors() {
			n.log.Errorf("hbgo: %s", p.Error())
		}
		n.log.Errorf("hbgo: %s does not parse; using the last good copy", path)
		return last.gs
	}
	last.gs = gs
	return gs
}

// openMedia opens every link of ha.cf (ping nodes are not media).
func (n *node) openMedia(ctx context.Context) error {
	cf := n.conf.HaCf
	lazy := lazyLinks(cf.Links(), n.inbox.DeferRoutine && n.conf.Hbgo.LazyRead) // hbgo.cf lazy_read
	for i, m := range cf.Links() {
		port := m.Port
		if port == 0 {
			port = udpPort()
		}
		var md media.Medium
		var err error
		rx := n.inbox.NewQueue(rxQueueLen)
		switch {
		case n.o.OpenMedium != nil:
			md, err = n.o.OpenMedium(m, rx)
			n.serial = n.serial || m.Type == hacf.MediumSerial
		default:
			md, err = n.openMedium(ctx, m, port, rx, lazy[i])
		}
		if err != nil {
			return media.Explain(m.Type, m.Name, port, err) // ends with what to do next
		}
		if md == nil {
			n.log.Warnf("hbgo: medium %s (%s:%d) is not supported; ignored", m.Type, cf.File, m.Line)
			continue
		}
		n.log.Infof("%s", md.Started())
		if l, ok := md.(interface{ LazyErr() error }); ok && l.LazyErr() != nil {
			n.log.Debugf("hbgo: %s %s reads every datagram on one socket: %v", m.Type, m.Name, l.LazyErr())
		}
		n.media = append(n.media, md)
	}
	if len(n.media) == 0 {
		return fmt.Errorf("no heartbeat medium could be opened")
	}
	return n.openPing()
}

// socketKey names the kernel's socket group of a UDP link's read socket:
// bcast and ucast bind the port on their interface, mcast the group.
func socketKey(m hacf.Medium, port int) string {
	if m.Type == hacf.MediumMcast {
		return fmt.Sprintf("%s:%d", m.Group, port)
	}
	return fmt.Sprintf("%s/:%d", m.Iface, port)
}

// lazyLinks lists the links (by index) that read their routine datagrams
// on a lazy socket (media lazyRx): with on (hbgo.cf lazy_read), the first
// UDP link of each socket group. A later link on the same group gets
// none: the kernel's steering sends a unicast datagram to the first two
// sockets of the group, the first link's. Two links share one when an
// ha.cf serves both nodes ("ucast eth1 <node1>" and "ucast eth1 <node2>",
// PROTOCOL §12.2); their link name is the interface, so which of them
// reads a datagram shows nowhere.
func lazyLinks(links []hacf.Medium, on bool) map[int]bool {
	seen, lazy := map[string]bool{}, map[int]bool{}
	if !on {
		return lazy
	}
	for i, m := range links {
		if m.Type != hacf.MediumBcast && m.Type != hacf.MediumUcast && m.Type != hacf.MediumMcast {
			continue
		}
		port := m.Port
		if port == 0 {
			port = udpPort()
		}
		k := socketKey(m, port)
		lazy[i] = !seen[k]
		seen[k] = true
	}
	return lazy
}

// openMedium opens the socket or device of one link; nil for a medium
// hbgo does not support. lazy: a UDP link reads its routine datagrams on
// a second socket (media.UcastSpec.Lazy).
func (n *node) openMedium(ctx context.Context, m hacf.Medium, port int, rx *media.Queue, lazy bool) (media.Medium, error) {
	var md media.Medium
	var err error
	switch m.Type {
	case hacf.MediumBcast:
		md, err = media.OpenBcast(ctx, media.BcastSpec{Iface: m.Iface, Port: port, Lazy: lazy}, rx)
	case hacf.MediumUcast:
		var peer netip.Addr
		peer, err = resolve(m.Peer)
		if err == nil {
			md, err = media.OpenUcast(ctx, media.UcastSpec{Iface: m.Iface, Peer: peer, Port: port, Lazy: lazy}, rx)
		}
	case hacf.MediumMcast:
		var grp netip.Addr
		grp, err = netip.ParseAddr(m.Group)
		if err == nil {
			md, err = media.OpenMcast(ctx, media.McastSpec{Iface: m.Iface, Group: grp, Port: port, TTL: m.TTL, Loop: m.Loop == 1, Lazy: lazy}, rx)
		}
	case hacf.MediumSerial:
		md, err = media.OpenSerial(media.SerialSpec{Device: m.Device, Baud: m.Baud}, rx, func(s string) { n.mediumEvent(s) })
		n.serial = true
	default:
		return nil, nil
	}
	return md, err
}

// openPing opens ICMP for the ping and ping_group nodes (PROTOCOL §12.7).
// A node that cannot be resolved stays configured and simply never answers.
func (n *node) openPing() error {
	cf := n.conf.HaCf
	var specs []media.PingSpec
	for _, m := range cf.PingNodes() {
		if m.Type == hacf.MediumPing6 {
			n.log.Warnf("hbgo: ping6 node %s (%s:%d) is not supported; it will be reported dead", m.Name, cf.File, m.Line)
			continue
		}
		s := media.PingSpec{Node: m.Name}
		for _, a := range m.Addrs {
			ip, err := resolve(a)
			if err != nil {
				n.log.Errorf("hbgo: ping node %s: %s: %v", m.Name, a, err)
				continue
			}
			s.Addrs = append(s.Addrs, ip)
		}
		specs = append(specs, s)
	}
	if len(specs) == 0 {
		return nil
	}
	p, err := media.OpenPing(specs, n.inbox.NewQueue(rxQueueLen))
	if err != nil {
		return err
	}
	n.pinger = p
	for _, m := range pingStarted(cf.PingNodes()) {
		n.log.Infof("%s", m.Text)
	}
	return nil
}

// pingStarted is what stock logs as it opens its ping media: one line per
// ping or ping_group medium, in that kind's words (COMPAT §8.5); ping6 is
// not opened (warned about above).
func pingStarted(ms []hacf.Medium) []hblog.Msg {
	var out []hblog.Msg
	for _, m := range ms {
		if m.Type != hacf.MediumPing6 {
			out = append(out, hblog.PingStarted(m.Type == hacf.MediumPingGroup))
		}
	}
	return out
}

// rtPrio is the SCHED_RR priority for the daemon's threads, 0
// when realtime is off (ha.cf realtime, rtprio; stock's default is the
// middle of SCHED_RR's range, COMPAT §2.2).
func (n *node) rtPrio() int {
	cf := n.conf.HaCf
	if !cf.Realtime || n.o.NoRealtime {
		return 0
	}
	if cf.RTPrio > 0 {
		return cf.RTPrio
	}
	return 50
}

// goRealtime makes every thread of the daemon SCHED_RR, as stock's whole
// process is (COMPAT §2.3 realtime), and logs what was applied. The loop is
// an ordinary goroutine: locked to a SCHED_RR thread of its own, every idle
// event cost three thread wake-ups instead of one
// (bench/results/idle-2026-12-06.md). Children start at normal scheduling
// through internal/sched's door.
func (n *node) goRealtime() {
	prio := n.rtPrio()
	if prio == 0 {
		n.log.Infof("hbgo: realtime off: normal scheduling")
		return
	}
	if err := sched.Realtime(prio); err != nil {
		n.log.Warnf("hbgo: realtime: the daemon stays at normal scheduling: %v; SCHED_RR needs root (CAP_SYS_NICE) and, in a container or a cgroup v1 cpu controller, realtime time for its group (cpu.rt_runtime_us); or write \"realtime off\" in ha.cf to run without it", err)
	} else {
		n.log.Infof("hbgo: realtime: SCHED_RR priority %d for every thread, as stock; scripts run at normal scheduling; memory not locked (no mlockall)", prio)
	}
	if kb := n.conf.HaCf.Memreserve; kb > 0 {
		n.log.Debugf("hbgo: memreserve %d KiB accepted; Go's heap needs no reserve", kb)
	}
}

// mediumEvent logs a line a medium wants written ("WARN: …" / "info: …").
func (n *node) mediumEvent(s string) {
	lvl, text, ok := strings.Cut(s, ": ")
	if !ok {
		n.log.Infof("%s", s)
		return
	}
	switch lvl {
	case "WARN":
		n.log.Warnf("%s", text)
	case "ERROR":
		n.log.Errorf("%s", text)
	default:
		n.log.Infof("%s", text)
	}
}

// udpPort is ha-cluster/udp from /etc/services, else 694 (COMPAT §2.3).
func udpPort() int {
	if p, err := net.LookupPort("udp", "ha-cluster"); err == nil && p > 0 {
		return p
	}
	return 694
}

// resolve turns a ucast peer into an address once, as stock's
// gethostbyname at configuration time (PROTOCOL §12.2).
func resolve(peer string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(peer); err == nil {
		return a, nil
	}
	addrs, err := net.LookupHost(peer)
	if err != nil {
		return netip.Addr{}, err
	}
	for _, s := range addrs {
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("%s has no IPv4 address", peer)
}

func (n *node) close() {
	for _, m := range n.media {
		m.Close()
	}
	if n.pinger != nil {
		n.pinger.Close()
	}
	if n.ctlSrv != nil {
		n.ctlSrv.Close()
	}
	for i := len(n.closers) - 1; i >= 0; i-- {
		n.closers[i]()
	}
}

func (n *node) scriptLog() hblog.PIDTagger { return hblog.PIDTagger{Log: n.log, PID: n.pid} }
