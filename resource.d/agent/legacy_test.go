package agent

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type fake struct {
	err error
	st  Status
}

func (f *fake) Start(context.Context) error            { return f.err }
func (f *fake) Stop(context.Context) error             { return f.err }
func (f *fake) Status(context.Context) (Status, error) { return f.st, f.err }

type rec struct{ lines []string }

func (r *rec) Script(tag, text string) { r.lines = append(r.lines, tag+": "+text) }

func TestLegacy(t *testing.T) {
	ctx := context.Background()
	r := &rec{}
	f := &fake{}
	a := Legacy(f, r, "IPaddr", "IPaddr_10.0.0.5")
	a.Start(ctx)
	f.st = Status{Running: true, Text: TextRunning}
	a.Status(ctx)
	f.st = Status{Text: TextStopped}
	a.Status(ctx)
	f.err = errors.New("boom")
	a.Stop(ctx)
	f.err = &ArgError{Agent: "IPaddr", What: "bad"}
	a.Start(ctx)
	tag := "/usr/lib/ocf/resource.d//heartbeat/IPaddr(IPaddr_10.0.0.5): "
	want := []string{tag + "INFO:  Success", tag + "INFO:  Running OK", tag + "INFO:  Resource is stopped",
		tag + "ERROR:  Generic error", tag + "ERROR:  Illegal argument"}
	if diff := cmp.Diff(want, r.lines); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestArgError(t *testing.T) {
	e := &ArgError{Agent: "Delay", What: `"x" is not a number of seconds`, Hint: "write Delay::5"}
	if got := e.Error(); got != `Delay: "x" is not a number of seconds; write Delay::5` {
		t.Errorf("Error() = %q", got)
	}
}
