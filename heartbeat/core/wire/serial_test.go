package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// serialEvent is one result of SerialReader.Next.
type serialEvent struct {
	Frame  string
	Off    int64
	Reason string // FrameError reason, "" for a frame
}

func readAll(t *testing.T, r io.Reader) []serialEvent {
	t.Helper()
	sr := NewSerialReader(r)
	var out []serialEvent
	for range 1000 {
		f, off, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		var fe *FrameError
		switch {
		case errors.As(err, &fe):
			out = append(out, serialEvent{Off: fe.Offset, Reason: fe.Reason, Frame: string(fe.Frame)})
		case err != nil:
			t.Fatal(err)
		default:
			out = append(out, serialEvent{Frame: string(f), Off: off})
		}
	}
	t.Fatal("reader does not end")
	return nil
}

func TestSerialReader(t *testing.T) {
	const a = ">>>\nt=a\n<<<\n"
	for _, tc := range []struct {
		name, in string
		want     []serialEvent
	}{
		{"empty", "", nil},
		{"one", a, []serialEvent{{Frame: a}}},
		{"noise before and between", "noise\n\x00xx\n" + a + "junk>>>\n" + a,
			[]serialEvent{{Frame: a, Off: 10}, {Frame: a, Off: 30}}},
		{"noise without newline", "garbage" + a, nil},
		{"crlf and 8th bit", ">>>\r\nt=\xe1\r\n\xbc<<\r\n",
			[]serialEvent{{Frame: a}}},
		{"cr as 0x8d dropped", ">>>\n\x8dt=a\n<<<\n", []serialEvent{{Frame: a}}},
		{"start inside frame", ">>>\nt=x\n" + a, []serialEvent{
			{Reason: "frame start inside frame", Frame: ">>>\nt=x\n"},
			{Frame: a, Off: 8}}},
		{"longer start and end lines", ">>>x\nt=a\n<<<y\n", []serialEvent{{Frame: ">>>x\nt=a\n<<<y\n"}}},
		{"cut by eof", a + ">>>\nt=b", []serialEvent{{Frame: a},
			{Reason: "frame cut by end of stream", Frame: ">>>\nt=b", Off: 12}}},
		{"cut by eof after line", ">>>\nt=b\n", []serialEvent{
			{Reason: "frame cut by end of stream", Frame: ">>>\nt=b\n"}}},
		{"over-long frame", ">>>\n" + strings.Repeat("x=y\n", MaxMsg/4) + "<<<\n" + a, []serialEvent{
			{Reason: "frame longer than maxmsg", Frame: ">>>\n" + strings.Repeat("x=y\n", MaxMsg/4-1)},
			{Frame: a, Off: int64(4 + MaxMsg + 4)}}},
	} {
		got := readAll(t, strings.NewReader(tc.in))
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestSerialReaderByteAtATime feeds the golden stream one byte per Read, as
// a tty with VMIN=1 does.
func TestSerialReaderByteAtATime(t *testing.T) {
	b := serialStream(t)
	whole := readAll(t, bytes.NewReader(b))
	slow := readAll(t, &oneByteReader{b})
	if len(whole) < 100 {
		t.Fatalf("%d frames", len(whole))
	}
	if diff := cmp.Diff(whole, slow); diff != "" {
		t.Errorf("(-whole +byte-at-a-time):\n%s", diff)
	}
}

func serialStream(t *testing.T) []byte {
	gs := serialGolden(t)
	var b []byte
	for _, g := range gs {
		b = append(b, g.data...)
	}
	return b
}

type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("device gone") }

func TestSerialReaderError(t *testing.T) {
	sr := NewSerialReader(io.MultiReader(strings.NewReader(">>>\nt=a\n"), failReader{}))
	_, _, err := sr.Next()
	var fe *FrameError
	if !errors.As(err, &fe) || fe.Reason != "frame cut by end of stream" {
		t.Fatalf("first Next = %v", err)
	}
	if _, _, err := sr.Next(); err == nil || err.Error() != "device gone" {
		t.Fatalf("second Next = %v, want the read error", err)
	}
}

func TestSerialChunks(t *testing.T) {
	b := bytes.Repeat([]byte{'x'}, 1100)
	chunks, pause := SerialChunks(b, 19200)
	var lens []int
	for _, c := range chunks {
		lens = append(lens, len(c))
	}
	if diff := cmp.Diff([]int{512, 512, 76}, lens); diff != "" {
		t.Errorf("chunk sizes (-want +got):\n%s", diff)
	}
	if want := 213333333 * time.Nanosecond; pause != want {
		t.Errorf("pause at 19200 = %v, want %v", pause, want)
	}
	if _, p := SerialChunks(b, 115200); p != 35555555*time.Nanosecond {
		t.Errorf("pause at 115200 = %v", p)
	}
	if c, _ := SerialChunks(b[:512], 9600); len(c) != 1 {
		t.Errorf("512 bytes gave %d chunks", len(c))
	}
	if c, _ := SerialChunks(nil, 9600); len(c) != 0 {
		t.Errorf("nil gave %d chunks", len(c))
	}
}
