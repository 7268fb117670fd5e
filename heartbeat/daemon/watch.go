package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"hbgo/heartbeat/config/hadir"
	"hbgo/heartbeat/edge/hblog"
)

// watched are the files whose change the watcher validates.
var watched = map[string]bool{"ha.cf": true, "authkeys": true, "haresources": true, "hbgo.cf": true}

// watchDebounce is how long the watcher waits after the last event before
// validating (an editor's save is several events; ../shared/notes/libraries.md).
const watchDebounce = 200 * time.Millisecond

// watchConfig watches the configuration directory (not the files: a watch on
// a file dies when an editor renames over it) and validates every change at
// once: errors are logged as file:line, a valid change is announced as what
// `heartbeat -r` would apply. Nothing is applied behind the admin's back.
func (n *node) watchConfig(ctx context.Context) {
	dir := n.conf.Dir
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	w, err := fsnotify.NewWatcher()
	if err == nil {
		err = w.Add(dir)
	}
	if err != nil {
		n.log.Warnf("hbgo: not watching %s for changes: %v", dir, err)
		if w != nil {
			w.Close()
		}
		return
	}
	go func() {
		defer w.Close()
		var timer <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if watched[filepath.Base(ev.Name)] {
					timer = time.After(watchDebounce)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				if errors.Is(err, fsnotify.ErrEventOverflow) {
					timer = time.After(watchDebounce) // events were lost: validate anyway
				}
			case <-timer:
				timer = nil
				n.validateChange()
			}
		}
	}()
}

// validateChange loads the configuration as `heartbeat -r` would and logs
// the verdict; it runs off the loop and touches only the logger.
func (n *node) validateChange() {
	c := hadir.Load(hadir.Options{Dir: n.conf.Dir, Node: n.conf.Node, Validators: n.o.Validators})
	if !c.Ok() {
		for _, p := range c.Problems.Errors() {
			n.log.Errorf("%s", p.Error())
		}
		n.log.Errorf("hbgo: the configuration in %s has errors; the running one stays in effect (heartbeat -r would refuse it)", n.conf.Dir)
		return
	}
	n.log.Log(hblog.Info, "hbgo: configuration in %s changed and is valid; run heartbeat -r to apply it", n.conf.Dir)
}
