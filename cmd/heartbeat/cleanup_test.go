package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hbgo/haresources/failcount"
	"hbgo/haresources/monitor"
	"hbgo/heartbeat/edge/control"
)

func TestCleanup(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "hbgo.sock")
	t0 := time.UnixMilli(1765000000000).UTC()
	if err := failcount.Save(dir, monitor.Counts{"mysql": {t0}, "Filesystem::/dev/sdb1::/data::ext4": {t0}}); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		var o, e bytes.Buffer
		code := cleanup(args, sock, dir, &o, &e)
		return code, o.String() + e.String()
	}
	// No daemon: the file is changed in place.
	if code, out := run("mysql"); code != 0 || !strings.Contains(out, "failure counts of mysql cleared in "+dir+"/hbgo-failcounts (heartbeat is not running)") {
		t.Fatalf("%d %s", code, out)
	}
	c, _ := failcount.Load(dir)
	if _, ok := c["mysql"]; ok || len(c) != 1 {
		t.Errorf("after cleanup mysql: %v", c)
	}
	// A daemon: the request goes through the control socket.
	var got []control.Request
	srv, err := control.Listen(sock, func(_ context.Context, _ control.Cred, r control.Request) control.Reply {
		got = append(got, r)
		return control.Reply{OK: true}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if code, out := run(); code != 0 || out != "heartbeat cleanup: failure counts of every resource cleared\n" {
		t.Fatalf("%d %s", code, out)
	}
	if len(got) != 1 || got[0].Op != control.OpCleanup || len(got[0].Args) != 0 {
		t.Errorf("requests %+v", got)
	}
	if code, out := run("a", "b"); code != 2 || !strings.HasPrefix(out, "usage: heartbeat cleanup [RESOURCE]") {
		t.Errorf("%d %s", code, out)
	}
}
