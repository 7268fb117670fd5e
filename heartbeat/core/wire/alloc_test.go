package wire

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/authkeys"
)

// goldenPackets is every captured netstring packet of the sha1, md5 and
// crc captures, with the authkeys it verifies under.
func goldenPackets(t *testing.T) (pkts [][]byte, keys []string) {
	t.Helper()
	for _, dir := range []string{"ucast-sha1", "bcast-sha1", "mcast-sha1", "ucast-md5", "ucast-crc", "ucast-multikey-sha1-idx3"} {
		base := filepath.Join("testdata/golden", dir)
		files, err := filepath.Glob(filepath.Join(base, "payloads", "*.bin"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no payloads (%v)", base, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, b)
			keys = append(keys, filepath.Join(base, "authkeys"))
		}
	}
	return pkts, keys
}

// sealByCopy is Seal as it was before AppendSeal: a copy of m with its
// auth field, netstring-encoded, then the trailer.
func sealByCopy(t *testing.T, m *Message, keys *authkeys.Keys) []byte {
	c, err := withAuth(m, keys, false)
	if err != nil {
		t.Fatal(err)
	}
	b := MarshalNetstring(c)
	auth := keys.Sign(b)
	return append(append(strconv.AppendInt(b, int64(len(auth)), 10), ':'), auth+","...)
}

// TestAppendSealMatchesCopy: AppendSeal, which builds no copy of the
// message, writes the bytes the copying encoder wrote, into a reused
// buffer too, and leaves the message as it was.
func TestAppendSealMatchesCopy(t *testing.T) {
	pkts, keyPaths := goldenPackets(t)
	var buf []byte
	for i, pkt := range pkts {
		m, _, err := Parse(pkt)
		if err != nil {
			continue // the captures hold some packets Parse refuses on purpose
		}
		before := m.Clone()
		want := sealByCopy(t, m, loadKeys(t, keyPaths[i]))
		buf, err = AppendSeal(buf[:0], m, loadKeys(t, keyPaths[i]))
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !bytes.Equal(buf, want) {
			t.Fatalf("packet %d: AppendSeal\n%q\nwant\n%q", i, buf, want)
		}
		if d := cmp.Diff(before, m); d != "" {
			t.Fatalf("packet %d: AppendSeal changed the message:\n%s", i, d)
		}
		// and after what is already in dst
		got, err := AppendSeal([]byte("xyz"), m, loadKeys(t, keyPaths[i]))
		if err != nil || !bytes.Equal(got, append([]byte("xyz"), want...)) {
			t.Fatalf("packet %d: AppendSeal after a prefix: %q, %v", i, got, err)
		}
	}
}

// TestDecoderMatchesDecode: a Decoder reused across every captured packet
// gives what Decode gives, and a Clone taken of one message is not
// touched by the next Decode (nothing kept may alias the reused memory).
func TestDecoderMatchesDecode(t *testing.T) {
	pkts, keyPaths := goldenPackets(t)
	var d Decoder
	var prev, prevWant *Message
	for i, pkt := range pkts {
		keys := loadKeys(t, keyPaths[i])
		want, werr := Decode(pkt, keys)
		got, gerr := d.Decode(pkt, keys)
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("packet %d: Decoder error %v, Decode %v", i, gerr, werr)
		}
		if werr == nil {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("packet %d: Decoder differs from Decode:\n%s", i, diff)
			}
		}
		if prev != nil {
			if diff := cmp.Diff(prevWant, prev); diff != "" {
				t.Fatalf("packet %d: the clone of the message before changed:\n%s", i, diff)
			}
		}
		if werr == nil {
			prev, prevWant = got.Clone(), want
		}
	}
}

// TestIdleAllocs pins the allocations of the per-packet wire work at idle
// (issue 16 item 5): sealing a status into a reused buffer and decoding
// one with a Decoder allocate nothing.
func TestIdleAllocs(t *testing.T) {
	data, err := os.ReadFile("testdata/golden/ucast-sha1/payloads/0001-status.bin")
	if err != nil {
		t.Fatal(err)
	}
	keys := loadKeys(t, "testdata/golden/ucast-sha1/authkeys")
	m, _, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	if n := testing.AllocsPerRun(100, func() {
		if buf, err = AppendSeal(buf[:0], m, keys); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("AppendSeal into a reused buffer: %v allocations, want 0", n)
	}
	var d Decoder
	if n := testing.AllocsPerRun(100, func() {
		if _, err := d.Decode(data, keys); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Decoder.Decode: %v allocations, want 0", n)
	}
}
