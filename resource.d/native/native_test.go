package native

import (
	"errors"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/resource.d/agent"
)

func TestRegistry(t *testing.T) {
	f := Native(agent.Deps{})
	v := Validators()
	var fn, vn []string
	for k := range f {
		fn = append(fn, k)
	}
	for k := range v {
		vn = append(vn, k)
	}
	sort.Strings(fn)
	sort.Strings(vn)
	want := []string{"Delay", "Filesystem", "IPaddr", "IPaddr2", "SendArp", "drbddisk"}
	if diff := cmp.Diff(want, fn); diff != "" {
		t.Errorf("factories (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(want, vn); diff != "" {
		t.Errorf("validators (-want +got)\n%s", diff)
	}
	good := map[string][]string{
		"IPaddr": {"10.0.0.5"}, "IPaddr2": {"10.0.0.5/24/eth0:vip"}, "SendArp": {"10.0.0.5/eth0"},
		"Filesystem": {"/dev/drbd0", "/data", "ext4"}, "drbddisk": {"r0"}, "Delay": {"1", "2"},
	}
	bad := map[string][]string{
		"IPaddr": {"10.0.0.500"}, "IPaddr2": {"10.0.0.5/24/eth0:waytoolonglabel"}, "SendArp": {"10.0.0.5"},
		"Filesystem": {"/dev/drbd0"}, "drbddisk": {"r0", "r1"}, "Delay": {"soon"},
	}
	for name, args := range good {
		if err := v[name](args); err != nil {
			t.Errorf("%s %q: %v", name, args, err)
		}
		a, err := f[name](args)
		if err != nil || a == nil {
			t.Errorf("factory %s %q = %v, %v", name, args, a, err)
		}
	}
	for name, args := range bad {
		var ae *agent.ArgError
		if err := v[name](args); !errors.As(err, &ae) {
			t.Errorf("validator %s %q = %v, want *agent.ArgError", name, args, err)
		}
		if a, err := f[name](args); err == nil || a != nil {
			t.Errorf("factory %s %q = %v, %v; want nil agent and an error", name, args, a, err)
		}
	}
}
