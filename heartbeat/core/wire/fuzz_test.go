package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"hbgo/authkeys"
)

// The seed corpora under testdata/fuzz/ are captured packets and frames
// (see gen_seeds_test.go), so plain go test runs them.

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		m, format, err := Parse(b)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) || me.Reason == "" {
				t.Fatalf("error %v is not a *MalformedError with a reason", err)
			}
			return
		}
		// What parses marshals to something that parses to the same fields.
		var again []byte
		if format == Netstring {
			again = MarshalNetstring(m)
		} else {
			again = MarshalClassic(m)
		}
		m2, f2, err := Parse(again)
		if err != nil || f2 != format || !sameMessage(m, m2) {
			t.Fatalf("round trip: %v %v\nin   %q\nout  %q", err, f2, b, again)
		}
		// Across formats whenever Check says classic can carry it.
		if Check(m, true) == nil {
			m3, _, err := Parse(MarshalClassic(m))
			if err != nil || !sameMessage(m, m3) {
				t.Fatalf("classic round trip: %v\nin %q\nout %q", err, b, MarshalClassic(m))
			}
		}
		if Check(m, false) == nil {
			m4, _, err := Parse(MarshalNetstring(m))
			if err != nil || !sameMessage(m, m4) {
				t.Fatalf("netstring round trip: %v\nin %q", err, b)
			}
		}
	})
}

// fuzzKeys has every method, so captured packets of all scenarios verify.
func fuzzKeys() *authkeys.Keys {
	k, _ := authkeys.New(1, authkeys.SHA1, "testkey-sha1")
	k, _ = k.With(2, authkeys.MD5, "testkey-md5")
	k, _ = k.With(3, authkeys.SHA1, "testkey-sha1")
	k, _ = k.With(4, authkeys.CRC, "")
	return k
}

func FuzzDecode(f *testing.F) {
	keys := fuzzKeys()
	crcKeys, _ := authkeys.New(1, authkeys.CRC, "")
	var dec Decoder // reused across inputs, as the daemon reuses its own
	var sealed []byte
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, k := range []*authkeys.Keys{keys, crcKeys} {
			verr := Verify(b, k)
			m, derr := Decode(b, k)
			// The Decoder, whatever it decoded before, agrees with Decode.
			dm, dderr := dec.Decode(b, k)
			if (derr == nil) != (dderr == nil) || (derr != nil && derr.Error() != dderr.Error()) {
				t.Fatalf("Decoder: %v, Decode: %v", dderr, derr)
			}
			if derr == nil && !sameMessage(m, dm) {
				t.Fatalf("Decoder's message differs from Decode's\n%q", b)
			}
			if verr != nil {
				if derr == nil {
					t.Fatalf("Verify fails (%v) but Decode succeeds", verr)
				}
				continue
			}
			if derr != nil {
				var me *MalformedError
				if !errors.As(derr, &me) {
					t.Fatalf("verified packet fails to decode with %v", derr)
				}
				continue
			}
			// A decoded message re-sealed by us verifies.
			bare := m.Clone()
			bare.Del(FAuth)
			if s, err := Seal(bare, k); err == nil {
				if err := Verify(s, k); err != nil {
					t.Fatalf("our own seal fails: %v\n%q", err, s)
				}
				// AppendSeal into a reused buffer writes what sealing a copy wrote.
				if sealed, err = AppendSeal(sealed[:0], bare, k); err != nil || !bytes.Equal(sealed, sealByCopy(t, bare, k)) {
					t.Fatalf("AppendSeal: %v\n%q\nwant\n%q", err, sealed, sealByCopy(t, bare, k))
				}
			}
			if s, err := SealClassic(bare, k); err == nil {
				if err := Verify(s, k); err != nil {
					t.Fatalf("our own classic seal fails: %v\n%q", err, s)
				}
			}
		}
	})
}

func FuzzSerialSplit(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		whole := splitAll(t, bytes.NewReader(b))
		slow := splitAll(t, &oneByteReader{b})
		if len(whole) != len(slow) {
			t.Fatalf("%d results whole, %d byte at a time", len(whole), len(slow))
		}
		last := int64(-1)
		for i, e := range whole {
			if e != slow[i] {
				t.Fatalf("result %d differs: %+v vs %+v", i, e, slow[i])
			}
			if e.Off < last || e.Off >= int64(len(b)) {
				t.Fatalf("offset %d after %d in %d bytes", e.Off, last, len(b))
			}
			last = e.Off
			if e.Reason != "" {
				continue
			}
			fr := []byte(e.Frame)
			if !bytes.HasPrefix(fr, []byte(">>>")) || !bytes.HasSuffix(fr, []byte("\n")) || len(fr) > MaxMsg {
				t.Fatalf("bad frame %q", fr)
			}
			lines := bytes.Split(fr[:len(fr)-1], []byte("\n"))
			if !bytes.HasPrefix(lines[len(lines)-1], []byte("<<<")) {
				t.Fatalf("frame does not end with a <<< line: %q", fr)
			}
			for _, l := range lines[1:] {
				if bytes.HasPrefix(l, []byte(">>>")) {
					t.Fatalf(">>> line inside frame %q", fr)
				}
			}
			if bytes.ContainsAny(fr, "\r") || bytes.IndexFunc(fr, func(r rune) bool { return r > 0x7f }) >= 0 {
				t.Fatalf("frame keeps CR or 8th bit: %q", fr)
			}
		}
	})
}

func splitAll(t *testing.T, r io.Reader) []serialEvent {
	sr := NewSerialReader(r)
	var out []serialEvent
	for range 1 << 20 {
		f, off, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		var fe *FrameError
		if errors.As(err, &fe) {
			out = append(out, serialEvent{Off: fe.Offset, Reason: fe.Reason, Frame: string(fe.Frame)})
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, serialEvent{Frame: string(f), Off: off})
	}
	t.Fatal("reader does not end")
	return nil
}
