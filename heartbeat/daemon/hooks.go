package daemon

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"hbgo/haresources"
	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/hblog"
	"hbgo/resource.d/script"
)

// nativeHooks are the rc.d types hbgo handles itself (COMPAT §5.9): their
// packaged scripts would start a second, script-driven takeover racing the
// native one, so they run only when the admin changed them.
var nativeHooks = map[string]bool{"status": true, "ip-request": true, "ip-request-resp": true, "hb_takeover": true, "ask_resources": true}

// hooks runs the rc.d scripts the admin added or changed, one at a time as
// stock's harc children, on the message types they are named after.
type hooks struct {
	scripts map[string]string // message type → script path
	run     *script.Runner
	log     hblog.PIDTagger
	queue   chan hookJob
}

type hookJob struct {
	typ, path string
	env       []string
}

// newHooks scans DIR/rc.d once, as stock does at start (COMPAT §5.9).
func newHooks(dir string, env []string, debugfile string, log hblog.PIDTagger, res *haresources.Resolver, l hblog.Logger) *hooks {
	h := &hooks{scripts: map[string]string{}, run: &script.Runner{Env: env, Debugfile: debugfile}, log: log}
	rc := filepath.Join(dir, "rc.d")
	ents, err := os.ReadDir(rc)
	if err != nil {
		return h
	}
	var own []string
	for _, e := range ents {
		p := filepath.Join(rc, e.Name())
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			continue
		}
		if _, packaged := res.Unmodified(p); packaged && nativeHooks[e.Name()] {
			continue // hbgo does this natively
		}
		h.scripts[e.Name()] = p
		own = append(own, e.Name())
	}
	sort.Strings(own)
	if len(own) > 0 {
		h.queue = make(chan hookJob, 64)
		l.Infof("hbgo: rc.d scripts the admin added or changed run on their events: %s", strings.Join(own, " "))
	}
	return h
}

// fire queues the hook for typ, if there is one; msg's string fields and
// ostatus become HA_<field> and HA_OSTATUS. logged says the harc line was
// already written (the planner writes it for the types hbgo handles).
func (h *hooks) fire(typ string, msg *wire.Message, ostatus string, logged bool) {
	p, ok := h.scripts[typ]
	if !ok {
		return
	}
	if !logged {
		// harc's own line; stock spells the directory with a double slash.
		h.log.Script("harc", "info: Running /etc/ha.d//rc.d/"+typ+" "+typ)
	}
	select {
	case h.queue <- hookJob{typ: typ, path: p, env: script.MessageEnv(stringFields(msg), ostatus)}:
	default:
		h.log.Script("harc", "ERROR: hbgo: too many rc.d/"+typ+" runs queued; this one is dropped")
	}
}

// loop runs queued hooks one at a time until ctx ends. Without a script
// it returns at once: fire has nothing to queue, and a loop parked for the
// daemon's life (with its 64-job queue) cost every idle node a stack.
func (h *hooks) loop(ctx context.Context) {
	if h.queue == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-h.queue:
			// harc execs `rc.d/<type> <type>`.
			s := h.run.New(j.path, nil)
			s.Message = j.env // never replaces the daemon's HA_ variables
			if err := s.Run(ctx, j.typ); err != nil {
				h.log.Script("harc", "ERROR: hbgo: "+err.Error())
			}
		}
	}
}

// stringFields are msg's string fields, in order, for a script's
// environment; binary and nested fields never become environment.
func stringFields(msg *wire.Message) []script.Field {
	if msg == nil {
		return nil
	}
	out := make([]script.Field, 0, len(msg.Fields))
	for _, f := range msg.Fields {
		if f.Type == wire.String {
			out = append(out, script.Field{Name: f.Name, Value: string(f.Value)})
		}
	}
	return out
}
