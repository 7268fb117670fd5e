package daemon

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/heartbeat/core/wire"
	"hbgo/resource.d/script"
)

// TestStringFields: only a message's string fields reach a hook's
// environment, in order; binary ones (srcuuid) never do.
func TestStringFields(t *testing.T) {
	m := &wire.Message{Fields: []wire.Field{
		{Name: "t", Value: []byte("ip-request")},
		{Name: "srcuuid", Type: wire.Binary, Value: []byte{1, 2}},
		{Name: "info", Value: []byte("a")},
	}}
	want := []script.Field{{Name: "t", Value: "ip-request"}, {Name: "info", Value: "a"}}
	if diff := cmp.Diff(want, stringFields(m)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if stringFields(nil) != nil {
		t.Error("stringFields(nil) is not nil")
	}
}
