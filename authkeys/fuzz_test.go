package authkeys

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzAuthkeys(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		k, ps := Parse(bytes.NewReader(b), "authkeys")
		if (k == nil) != ps.HasErrors() {
			t.Fatalf("keys %v with problems %v", k, ps)
		}
		for _, p := range ps {
			if p.Hint == "" || p.What == "" {
				t.Fatalf("problem without what or hint: %+v", p)
			}
		}
		if k == nil {
			return
		}
		m, ok := k.Method(k.Active())
		if !ok {
			t.Fatalf("active index %d has no method", k.Active())
		}
		auth := k.Sign(b)
		if err := k.Verify(auth, b); err != nil {
			t.Fatalf("%s: own signature fails: %v", m, err)
		}
		if err := k.Verify(auth, append(b, 'x')); !errors.Is(err, ErrBadDigest) {
			t.Fatalf("%s: signature of other data: %v", m, err)
		}
	})
}
