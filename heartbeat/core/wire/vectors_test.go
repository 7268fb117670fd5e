package wire

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"hbgo/authkeys"
)

// appendixA is the status message of PROTOCOL §3.2 / Appendix A, without auth.
func appendixA() *Message {
	m := &Message{}
	m.Add("t", "status")
	m.Add("st", "active")
	m.Add("dt", "2710")
	m.Add("protocol", "1")
	m.Add("src", "alpha")
	uuid, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	m.AddBinary("srcuuid", uuid)
	m.Add("seq", "2a")
	m.Add("hg", "4b8f3c1d")
	m.Add("ts", "5f5e1000")
	m.Add("ld", "0.00 0.01 0.05 1/123 4567")
	m.Add("ttl", "3")
	return m
}

// appendixAKeys is the authkeys stock accepted the three vectors with.
func appendixAKeys(t testing.TB, active int) *authkeys.Keys {
	t.Helper()
	k, ps := authkeys.Parse(strings.NewReader(
		"auth "+itoa(int64(active))+"\n1 sha1 secret\n2 md5 secret\n3 crc\n"), "authkeys")
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	return k
}

const appendixASHA1Hex = "" +
	"2323230a31313a283029743d7374617475732c31323a28302973743d61637469" +
	"76652c31303a28302964743d323731302c31333a28302970726f746f636f6c3d" +
	"312c31323a2830297372633d616c7068612c32373a283129737263757569643d" +
	"00112233445566778899aabbccddeeff2c393a2830297365713d32612c31343a" +
	"28302968673d34623866336331642c31343a28302974733d3566356531303030" +
	"2c33313a2830296c643d302e303020302e303120302e303520312f3132332034" +
	"3536372c383a28302974746c3d332c35303a283029617574683d312033643137" +
	"3636303038653834333838623330366364623866613237613838343738626266" +
	"333164302c2525250a34323a3120316233616636326539656365636439623433" +
	"326662396137333336346430383935643534313464302c"

func TestAppendixA(t *testing.T) {
	for _, tc := range []struct {
		active         int
		inner, trailer string
		length         int
	}{
		{1, "1 3d1766008e84388b306cdb8fa27a88478bbf31d0", "1 1b3af62e9ececd9b432fb9a73364d0895d5414d0", 311},
		{2, "2 ef2f154149220801fe34e0bcb216e2d6", "2 333c64638d4edde4aea1df5a32da13d7", 295},
		{3, "3 1bfcfd69", "3 1912a13b", 247},
	} {
		keys := appendixAKeys(t, tc.active)
		b, err := Seal(appendixA(), keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != tc.length {
			t.Errorf("auth %d: %d bytes, want %d", tc.active, len(b), tc.length)
		}
		wantInner := itoa(int64(len("(0)auth=")+len(tc.inner))) + ":(0)auth=" + tc.inner + ",%%%\n"
		wantTail := wantInner + itoa(int64(len(tc.trailer))) + ":" + tc.trailer + ","
		if !bytes.HasSuffix(b, []byte(wantTail)) {
			t.Errorf("auth %d: packet ends %q, want %q", tc.active, b[len(b)-len(wantTail):], wantTail)
		}
		if err := Verify(b, keys); err != nil {
			t.Errorf("auth %d: Verify: %v", tc.active, err)
		}
		if tc.active == 1 {
			want, _ := hex.DecodeString(appendixASHA1Hex)
			if !bytes.Equal(b, want) {
				t.Errorf("sha1 packet differs:\n got %x\nwant %x", b, want)
			}
		}
	}
	wantClassic := ">>>\nt=status\nst=active\ndt=2710\nprotocol=1\nsrc=alpha\n(1)srcuuid=ABEiM0RVZneImaq7zN3u/w==\nseq=2a\nhg=4b8f3c1d\nts=5f5e1000\nld=0.00 0.01 0.05 1/123 4567\nttl=3\nauth=1 3d1766008e84388b306cdb8fa27a88478bbf31d0\n<<<\n"
	keys := appendixAKeys(t, 1)
	c, err := SealClassic(appendixA(), keys)
	if err != nil || string(c) != wantClassic {
		t.Errorf("SealClassic = %q, %v\nwant %q", c, err, wantClassic)
	}
	if err := Verify([]byte(wantClassic), keys); err != nil {
		t.Errorf("Verify classic: %v", err)
	}
}
