package decode

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*")

// The captures are shared with package capture (see its testdata/README
// and mkcaptures.sh for where each came from).
const td = "../../edge/capture/testdata/"

// keyfile writes an authkeys file with the given mode into a temp dir.
func keyfile(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "authkeys")
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// copyKeys copies a scenario's authkeys (node1's, as captured) with mode 600.
func copyKeys(t *testing.T, scenario string) string {
	t.Helper()
	b, err := os.ReadFile(td + scenario + "/authkeys")
	if err != nil {
		t.Fatal(err)
	}
	return keyfile(t, string(b), 0o600)
}

func run(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return o.String(), e.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got)\n%s", p, diff)
	}
}

func verdicts(stdout string) map[string]int {
	m := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if strings.HasPrefix(line, " ") {
			continue
		}
		m[line[strings.LastIndex(line, " verdict=")+1:]]++
	}
	return m
}

// TestGoldenScenarios: with node1's own authkeys every message stock sent
// verifies (the captures and their message counts are listed in
// ../capture/testdata/scenarios.tsv); the full output is committed as
// golden files.
func TestGoldenScenarios(t *testing.T) {
	b, err := os.ReadFile(td + "scenarios.tsv")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(l, "\t") // file, authkeys scenario, messages, src, dst
		if strings.HasPrefix(l, "#") || len(f) != 5 {
			continue
		}
		rows++
		file, scenario := f[0], f[1]
		n, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatalf("scenarios.tsv: %q: %v", l, err)
		}
		t.Run(file, func(t *testing.T) {
			stdout, stderr, code := run("-authkeys", copyKeys(t, scenario), td+file)
			if code != ExitOK || stderr != "" {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
			if diff := cmp.Diff(map[string]int{"verdict=ok": n}, verdicts(stdout)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			golden(t, strings.ReplaceAll(file, "/", "_")+".out", stdout)
		})
	}
	if rows < 8 {
		t.Fatalf("scenarios.tsv: only %d rows", rows)
	}
}

// TestWrongKey: an authkeys whose key at the sender's index differs fails
// every message with bad-digest, exit 1, and a hint naming the index.
func TestWrongKey(t *testing.T) {
	for _, tc := range []struct {
		file, keys string
		idx        string
	}{
		{"ucast-sha1/capture.pcap", "auth 1\n1 sha1 not-the-key\n", "index 1"},
		{"ucast-md5/capture.pcap", "auth 1\n1 md5 not-the-key\n", "index 1"},
		{"bcast-sha1/capture.pcap", "auth 1\n1 sha1 testkey-sha1x\n", "index 1"},
		{"mcast-sha1/capture.pcap", "auth 1\n1 md5 testkey-sha1\n", "index 1"},
		// crc has no key: a sha1 key at the same index is the wrong method.
		{"ucast-crc/capture.pcap", "auth 1\n1 sha1 testkey-sha1\n", "index 1"},
		{"ucast-multikey-sha1-idx3/capture.pcap", "auth 3\n1 crc\n2 md5 testkey-md5\n3 sha1 other\n", "index 3"},
		{"serial-sha1/node2-to-node1.bin", "auth 1\n1 sha1 other\n", "index 1"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			stdout, stderr, code := run("-authkeys", keyfile(t, tc.keys, 0o600), td+tc.file)
			v := verdicts(stdout)
			if code != ExitFailed || len(v) != 1 || v["verdict=bad-digest"] == 0 {
				t.Errorf("exit %d, verdicts %v", code, v)
			}
			want := " failed with bad-digest: the sender's method or key for " + tc.idx + " differs from yours"
			if strings.Count(stderr, "hint:") != 1 || !strings.Contains(stderr, want) {
				t.Errorf("stderr %q, want one hint containing %q", stderr, want)
			}
		})
	}
}

// TestUnknownKey: the sender's index is not in our authkeys.
func TestUnknownKey(t *testing.T) {
	stdout, stderr, code := run("-authkeys", keyfile(t, "auth 2\n2 sha1 testkey-sha1\n", 0o600), td+"ucast-sha1/capture.pcap")
	if diff := cmp.Diff(map[string]int{"verdict=unknown-key:1": 227}, verdicts(stdout)); diff != "" || code != ExitFailed {
		t.Errorf("exit %d (-want +got)\n%s", code, diff)
	}
	golden(t, "unknown-key.stderr", stderr)
}

// TestActiveIndexQuirk: messages signed with index 3 verify with our index-3
// key, but our active index is 1, so a stock node with this authkeys would
// reject them (PROTOCOL §4.6): verdict ok, exit 0, and a hint.
func TestActiveIndexQuirk(t *testing.T) {
	stdout, stderr, code := run("-authkeys", keyfile(t, "auth 1\n1 crc\n3 sha1 testkey-sha1\n", 0o600), td+"ucast-multikey-sha1-idx3/capture.pcap")
	if diff := cmp.Diff(map[string]int{"verdict=ok": 103}, verdicts(stdout)); diff != "" || code != ExitOK {
		t.Errorf("exit %d (-want +got)\n%s", code, diff)
	}
	golden(t, "active-index-quirk.stderr", stderr)
}

func TestUnverified(t *testing.T) {
	stdout, stderr, code := run(td + "ucast-crc/capture.pcap")
	if diff := cmp.Diff(map[string]int{"verdict=unverified": 134}, verdicts(stdout)); diff != "" || code != ExitOK || stderr != "" {
		t.Errorf("exit %d stderr %q (-want +got)\n%s", code, stderr, diff)
	}
}

// TestWorldReadableKeys: stock refuses such a keyfile; decode only warns.
func TestWorldReadableKeys(t *testing.T) {
	keys := keyfile(t, "auth 1\n1 sha1 testkey-sha1\n", 0o644)
	stdout, stderr, code := run("-authkeys", keys, td+"raw-netstring.bin")
	if code != ExitOK || verdicts(stdout)["verdict=ok"] != 1 {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
	if want := keys + ":0: warning: mode 0644 is group- or other-readable; chmod 600 " + keys + "\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// TestOwnCaptures: tcpdump -i any (SLL2, SLL), pcapng, VLAN and raw-IP
// fixtures of package capture, one golden each; -v on the raw payload.
func TestOwnCaptures(t *testing.T) {
	keys := copyKeys(t, "ucast-sha1")
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"sll2.pcap"}, ExitOK},
		{[]string{"sll.pcap"}, ExitOK},
		{[]string{"sll-portfilter.pcap"}, ExitFailed}, // the fragmented datagram's tail was filtered out
		{[]string{"ucast-sha1.pcapng", "vlan.pcap", "qinq.pcap", "raw.pcap", "ipv4.pcap"}, ExitOK},
		{[]string{"-v", "raw-netstring.bin"}, ExitOK},
	} {
		name := strings.Join(tc.args, "_")
		t.Run(name, func(t *testing.T) {
			args := []string{"-authkeys", keys}
			for _, a := range tc.args {
				if !strings.HasPrefix(a, "-") {
					a = td + a
				}
				args = append(args, a)
			}
			stdout, stderr, code := run(args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, stderr)
			}
			golden(t, strings.ReplaceAll(name, "-", "")+".out", stdout+"--- stderr\n"+stderr)
		})
	}
}

// TestDamagedSerialFrame: a frame cut short and followed by the next ">>>"
// line is a failed message (exit 1); the frames around it verify.
func TestDamagedSerialFrame(t *testing.T) {
	b, err := os.ReadFile(td + "serial-sha1/node1-to-node2.bin")
	if err != nil {
		t.Fatal(err)
	}
	// Frames start at 0, 201 and 400: keep 100 bytes of the second.
	if !bytes.HasPrefix(b[201:], []byte(">>>\n")) || !bytes.HasPrefix(b[400:], []byte(">>>\n")) {
		t.Fatal("serial fixture changed")
	}
	cut := append(append(append([]byte(nil), b[:301]...), '\n'), b[400:]...)
	p := filepath.Join(t.TempDir(), "cut.bin")
	if err := os.WriteFile(p, cut, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run("-authkeys", copyKeys(t, "serial-sha1"), p)
	want := map[string]int{"verdict=ok": 108, `verdict="malformed:frame start inside frame"`: 1}
	if diff := cmp.Diff(want, verdicts(stdout)); diff != "" || code != ExitFailed {
		t.Errorf("exit %d (-want +got)\n%s", code, diff)
	}
	if !strings.Contains(stdout, "\n- "+p+"@201 verdict=") || !strings.Contains(stderr, "hint: 1 damaged serial frame (e.g. serial frame at byte 201: frame start inside frame)") {
		t.Errorf("stdout lacks the damaged frame at @201 or stderr lacks the hint: %q", stderr)
	}
}

func TestUsageAndFiles(t *testing.T) {
	dir := t.TempDir()
	whole, err := os.ReadFile(td + "ucast-sha1/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pcap") // a pcap header and no packet
	if err := os.WriteFile(empty, whole[:24], 0o644); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcap") // tcpdump killed mid-record
	if err := os.WriteFile(cut, whole[:24+2*(16+14+20+8+306)+100], 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no file", nil, ExitUsage, "no capture file given"},
		{"unknown flag", []string{"-x", "f"}, ExitUsage, "flag provided but not defined: -x"},
		{"bad port", []string{"-port", "70000", td + "raw.pcap"}, ExitUsage, "-port 70000: must be 1..65535"},
		{"port not a number", []string{"-port", "ha", td + "raw.pcap"}, ExitUsage, "invalid value \"ha\" for flag -port"},
		{"missing file", []string{filepath.Join(dir, "nope.pcap")}, ExitUsage, "no such file or directory"},
		{"missing file beside a good one", []string{td + "raw.pcap", filepath.Join(dir, "nope.pcap")}, ExitUsage, "no such file or directory"},
		{"empty pcap", []string{empty}, ExitUsage, "no heartbeat message found (UDP port 694)"},
		{"wrong port", []string{"-port", "695", td + "raw.pcap"}, ExitUsage, "no heartbeat message found (UDP port 695)"},
		{"cut mid record", []string{cut}, ExitFailed, "record 3: unexpected EOF; the messages before it are shown"},
		{"not a capture", []string{text}, ExitUsage, "not a pcap, pcapng, heartbeat payload or serial stream file"},
		{"missing authkeys", []string{"-authkeys", filepath.Join(dir, "authkeys"), td + "raw.pcap"}, ExitUsage, "cannot open"},
		{"bad authkeys", []string{"-authkeys", keyfile(t, "auth 1\n1 sha1\n", 0o600), td + "raw.pcap"}, ExitUsage, "cannot use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
	// Usage errors print the usage text.
	if _, stderr, _ := run(); !strings.Contains(stderr, "usage: heartbeat decode [-authkeys FILE]") {
		t.Errorf("no usage text: %q", stderr)
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"status":              "status",
		"":                    `""`,
		"0.39 0.20":           `"0.39 0.20"`,
		`say "hi"`:            `"say \"hi\""`,
		"a\nb":                `"a\nb"`,
		"back\\slash":         `"back\\slash"`,
		"IPaddr::10.0.0.1/24": "IPaddr::10.0.0.1/24",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestBadPayloads: raw payload files that stock would drop.
func TestBadPayloads(t *testing.T) {
	raw, err := os.ReadFile(td + "raw-netstring.bin")
	if err != nil {
		t.Fatal(err)
	}
	end := bytes.Index(raw, []byte("%%%\n")) + 4
	keys := copyKeys(t, "ucast-sha1")
	for _, tc := range []struct {
		name    string
		payload []byte
		keys    bool
		verdict string
		hint    string
	}{
		{"no trailer", raw[:end], true, "verdict=unsigned", "hint: 1 message without a signature"},
		{"no trailer, unverified", raw[:end], false, "verdict=unverified", ""},
		{"field without type", []byte("###\n8:t=status,%%%\n"), false, `verdict="malformed:missing type prefix"`, "hint: 1 malformed message"},
		{"field without type, verified", []byte("###\n8:t=status,%%%\n"), true, `verdict="malformed:missing type prefix"`, "hint: 1 malformed message"},
		{"bad auth string", append(append([]byte(nil), raw[:end]...), "4:x yz,"...), true, `verdict="malformed:bad auth string"`, "hint: 1 malformed message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "payload.bin")
			if err := os.WriteFile(p, tc.payload, 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{p}
			if tc.keys {
				args = append([]string{"-authkeys", keys}, args...)
			}
			stdout, stderr, code := run(args...)
			wantCode := ExitFailed
			if tc.hint == "" {
				wantCode = ExitOK
			}
			if code != wantCode || !strings.Contains(stdout, " "+tc.verdict) || !strings.Contains(stderr, tc.hint) {
				t.Errorf("exit %d (want %d)\nstdout %q\nstderr %q", code, wantCode, stdout, stderr)
			}
		})
	}
}

// TestSenderIndex: the trailer's index is the one checked, whatever the
// inner auth field says (PROTOCOL §3.1).
func TestSenderIndex(t *testing.T) {
	raw, err := os.ReadFile(td + "raw-netstring.bin")
	if err != nil {
		t.Fatal(err)
	}
	end := bytes.Index(raw, []byte("%%%\n")) + 4
	for _, tc := range []struct {
		name string
		b    []byte
		want int
	}{
		{"stock packet", raw, 1},
		{"trailer says 7", append(append([]byte(nil), raw[:end]...), "10:7 0123abcd,"...), 7},
		{"no trailer", raw[:end], -1},
		{"not a message", []byte("hello"), -1},
	} {
		if got := senderIndex(tc.b); got != tc.want {
			t.Errorf("%s: index %d, want %d", tc.name, got, tc.want)
		}
	}
}

// BenchmarkMain decodes and verifies ucast-sha1's 227 messages per op.
func BenchmarkMain(b *testing.B) {
	dir := b.TempDir()
	keys := filepath.Join(dir, "authkeys")
	if err := os.WriteFile(keys, []byte("auth 1\n1 sha1 testkey-sha1\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if code := Main([]string{"-authkeys", keys, td + "ucast-sha1/capture.pcap"}, io.Discard, io.Discard); code != ExitOK {
			b.Fatalf("exit %d", code)
		}
	}
}

// heapWatch is a stdout that samples the Go heap every so many writes.
type heapWatch struct {
	writes int
	peak   uint64
	lines  int
}

func (h *heapWatch) Write(b []byte) (int, error) {
	h.writes++
	h.lines += bytes.Count(b, []byte("\n"))
	if h.writes%64 == 1 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		h.peak = max(h.peak, ms.HeapAlloc)
	}
	return len(b), nil
}

// TestSerialStreamBounded: a serial stream of nothing but frame starts (the
// worst case: one damaged frame every 4 bytes) is decoded as it is read.
// Before, every message of the file was collected first: a 10 MB stream
// took 1.9 GB and 28 s; this 2 MB one held about 400 MB.
func TestSerialStreamBounded(t *testing.T) {
	const frames = 500_000
	p := filepath.Join(t.TempDir(), "starts.bin")
	if err := os.WriteFile(p, bytes.Repeat([]byte(">>>\n"), frames), 0o644); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var e bytes.Buffer
	h := &heapWatch{}
	if code := Main([]string{p}, h, &e); code != ExitFailed {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitFailed, e.String())
	}
	if h.lines != frames {
		t.Errorf("%d lines, want one per frame start (%d)", h.lines, frames)
	}
	const limit = 48 << 20
	if h.peak > limit {
		t.Errorf("heap reached %d MiB while decoding a %d-byte stream, want under %d MiB", h.peak>>20, 4*frames, limit>>20)
	}
	if !strings.Contains(e.String(), plural(frames, "damaged serial frame")) {
		t.Errorf("stderr does not count the damaged frames:\n%s", e.String())
	}
}

// BenchmarkSerialStream decodes 1 MB of frame starts per op (see
// TestSerialStreamBounded; `heartbeat decode` on 10 MB of them is the
// figure in the report).
func BenchmarkSerialStream(b *testing.B) {
	p := filepath.Join(b.TempDir(), "starts.bin")
	if err := os.WriteFile(p, bytes.Repeat([]byte(">>>\n"), 250_000), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Main([]string{p}, io.Discard, io.Discard)
	}
}
