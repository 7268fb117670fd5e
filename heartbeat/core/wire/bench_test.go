package wire

import (
	"os"
	"testing"
)

// statusPacket is a captured sha1 status message (ucast-sha1, st=init).
func statusPacket(b *testing.B) ([]byte, *Message) {
	data, err := os.ReadFile("testdata/golden/ucast-sha1/payloads/0001-status.bin")
	if err != nil {
		b.Fatal(err)
	}
	m, _, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	m.Del(FAuth)
	return data, m
}

func BenchmarkDecodeStatus(b *testing.B) {
	data, _ := statusPacket(b)
	keys := loadKeys(b, "testdata/golden/ucast-sha1/authkeys")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data, keys); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealStatus(b *testing.B) {
	data, m := statusPacket(b)
	keys := loadKeys(b, "testdata/golden/ucast-sha1/authkeys")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Seal(m, keys); err != nil {
			b.Fatal(err)
		}
	}
}
