package haresources

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookups(t *testing.T) {
	groups, ps := Parse(strings.NewReader("node1 10.0.0.5 httpd\nNODE2 drbddisk::r0 Filesystem::/dev/drbd0::/srv\nnode1 mysql\n"), hr)
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	if diff := cmp.Diff([]string{"10.0.0.5", "drbddisk::r0", "mysql"}, Keys(groups)); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"10.0.0.5", "mysql"}, NodeKeys(groups, "Node1")); diff != "" {
		t.Errorf("NodeKeys (-want +got):\n%s", diff)
	}
	if got := NodeKeys(groups, "node3"); len(got) != 0 {
		t.Errorf("NodeKeys(node3) = %q", got)
	}
	local, foreign := Split(groups, "node2")
	if diff := cmp.Diff([]string{"drbddisk::r0"}, Keys(local)); diff != "" {
		t.Errorf("Split local (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"10.0.0.5", "mysql"}, Keys(foreign)); diff != "" {
		t.Errorf("Split foreign (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Keys(local), Keys(Ours(groups, "node2"))); diff != "" {
		t.Errorf("Ours (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Keys(foreign), Keys(Others(groups, "node2"))); diff != "" {
		t.Errorf("Others (-want +got):\n%s", diff)
	}
	g, ok := ByKey(groups, "drbddisk::r0")
	if !ok || g.Line != 2 || g.Text() != "node2 drbddisk::r0 Filesystem::/dev/drbd0::/srv" {
		t.Errorf("ByKey = %+v, %v", g, ok)
	}
	if _, ok := ByKey(groups, "httpd"); ok {
		t.Error("ByKey found a non-key resource")
	}
	if _, ok := ByKey(groups, "10.0.0"); ok {
		t.Error("ByKey matched a prefix")
	}
}
