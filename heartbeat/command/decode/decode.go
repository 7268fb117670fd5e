// Package decode implements `heartbeat decode`: print and verify the heartbeat messages in captured traffic.
package decode

import (
	"bufio"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"hbgo/authkeys"
	"hbgo/heartbeat/core/wire"
	"hbgo/heartbeat/edge/capture"
)

// Exit statuses of Main.
const (
	ExitOK     = 0 // every message verified (or was printed unverified)
	ExitFailed = 1 // some message failed verification or was malformed
	ExitUsage  = 2 // bad usage, unreadable file or authkeys, or no message found
)

const usage = `usage: heartbeat decode [-authkeys FILE] [-port N] [-v] FILE...

Prints every heartbeat message in FILE one per line and, with -authkeys,
checks its signature. FILE is a pcap or pcapng capture (plain or gzipped),
a raw message payload, or a serial byte stream, told apart by content.
Captures of mcast media need the mcast line's port (-port).

  tcpdump -i any -w x.pcap udp port 694
  heartbeat decode -authkeys /etc/ha.d/authkeys x.pcap

Verdicts: ok, bad-digest, unknown-key:N, unsigned, malformed:<why>, or
unverified without -authkeys. Exit status: 0 all ok, 1 some message failed,
2 usage error, unreadable file or no message found.

Options:
`

// Main runs `heartbeat decode` with args (without the program and command
// names) and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("heartbeat decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyfile := fs.String("authkeys", "", "verify signatures with this authkeys `file` (e.g. /etc/ha.d/authkeys)")
	port := fs.Int("port", capture.DefaultPort, "UDP `port` to decode in captures (udpport, or the mcast line's port)")
	verbose := fs.Bool("v", false, "print every field on its own line with its type")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "heartbeat decode: no capture file given")
		fs.Usage()
		return ExitUsage
	}
	if *port < 1 || *port > 65535 {
		fmt.Fprintf(stderr, "heartbeat decode: -port %d: must be 1..65535\n", *port)
		fs.Usage()
		return ExitUsage
	}

	var keys *authkeys.Keys
	if *keyfile != "" {
		k, ps := authkeys.LoadLenient(*keyfile)
		for _, p := range ps {
			fmt.Fprintln(stderr, p.Error())
		}
		if k == nil || ps.HasErrors() {
			fmt.Fprintf(stderr, "heartbeat decode: cannot use %s\n", *keyfile)
			return ExitUsage
		}
		keys = k
	}

	// Messages are printed as they are read (capture.ScanFile), so memory
	// stays bounded on a capture of any size; stdout is buffered and
	// flushed before anything goes to stderr, keeping the two in order.
	out := bufio.NewWriterSize(stdout, 64<<10)
	d := &decoder{out: out, keys: keys, verbose: *verbose, tally: map[string]*tally{}}
	status := ExitOK
	for _, file := range fs.Args() {
		before := d.total
		err := capture.ScanFile(file, *port, d.packet)
		out.Flush()
		switch {
		case err != nil && d.total > before:
			// A capture cut mid-record (tcpdump still writing, or
			// killed): show what was read and count the damage as a failure.
			fmt.Fprintf(stderr, "heartbeat decode: %v; the messages before it are shown\n", err)
			d.failed++
		case err != nil:
			fmt.Fprintf(stderr, "heartbeat decode: %v\n", err)
			status = ExitUsage
		}
	}
	if d.total == 0 {
		if status == ExitOK {
			fmt.Fprintf(stderr, "heartbeat decode: no heartbeat message found (UDP port %d); is the port right (-port)?\n", *port)
		}
		return ExitUsage
	}
	d.hints(stderr)
	if status == ExitOK && d.failed > 0 {
		status = ExitFailed
	}
	return status
}

// tally counts one kind of failure for the closing hints.
type tally struct {
	n       int
	indexes map[int]int // auth index -> count, when known
	example string      // one error text
	srcs    []string    // sending node names (src field), in order of appearance
	more    bool        // more senders than maxSrcs
}

// maxSrcs bounds the sender names a hint lists: forged messages can carry
// any number of different names.
const maxSrcs = 8

// maxKindIndexes bounds the key indexes a tally counts (authkeys allows
// 1..15; a forged trailer may say anything).
const maxKindIndexes = 16

// from records the message's sender.
func (t *tally) from(m *wire.Message) {
	src, ok := m.Get(wire.FSrc)
	if !ok {
		return
	}
	for _, s := range t.srcs {
		if s == src {
			return
		}
	}
	if len(t.srcs) == maxSrcs {
		t.more = true
		return
	}
	t.srcs = append(t.srcs, src)
}

// fromText renders " from node1, node2" (empty when no sender is known).
func (t *tally) fromText() string {
	if len(t.srcs) == 0 {
		return ""
	}
	more := ""
	if t.more {
		more = " and others"
	}
	return " from " + strings.Join(t.srcs, ", ") + more
}

type decoder struct {
	out     io.Writer
	keys    *authkeys.Keys
	verbose bool
	total   int
	failed  int
	tally   map[string]*tally // by verdict kind
}

func (d *decoder) count(kind string, idx int, example error) {
	t := d.tally[kind]
	if t == nil {
		t = &tally{indexes: map[int]int{}}
		if example != nil {
			t.example = example.Error()
		}
		d.tally[kind] = t
	}
	t.n++
	if _, seen := t.indexes[idx]; idx >= 0 && (seen || len(t.indexes) < maxKindIndexes) {
		t.indexes[idx]++
	}
}

// packet prints one message and its verdict.
func (d *decoder) packet(p capture.Packet) {
	d.total++
	var b strings.Builder
	if p.Time.IsZero() {
		b.WriteString("-")
	} else {
		b.WriteString(p.Time.UTC().Format("2006-01-02T15:04:05.000000000Z07:00"))
	}
	b.WriteString(" ")
	b.WriteString(p.Source())

	var m *wire.Message
	var format wire.Format
	var verdict string
	switch {
	case p.Err != nil:
		verdict = "malformed:" + captureReason(p.Err)
		d.failed++
		d.count(captureKind(p.Err), -1, p.Err)
	default:
		var err error
		m, format, err = wire.Parse(p.Payload)
		if err != nil {
			verdict = "malformed:" + malformedReason(err)
			d.failed++
			d.count("malformed", -1, err)
			break
		}
		verdict = d.verify(p.Payload, m, format)
		if verdict == "ok" && d.keys != nil && m.Has("_compressed_payload") {
			// PROTOCOL §3.4: the compressed message inside is what stock
			// delivers; show it.
			if inner, err := wire.Decode(p.Payload, d.keys); err == nil {
				m = inner
			}
		}
	}
	if m != nil {
		for _, f := range ordered(m) {
			b.WriteString(" ")
			b.WriteString(f.Name)
			b.WriteString("=")
			b.WriteString(value(f))
		}
	}
	b.WriteString(" verdict=")
	b.WriteString(quote(verdict))
	b.WriteString("\n")
	if d.verbose {
		if m != nil {
			fmt.Fprintf(&b, "    (%s, %d bytes", format, len(p.Payload))
			if format == wire.Netstring {
				// PROTOCOL §3.1: the trailer, not the inner auth field, is checked.
				if as, err := wire.AuthString(p.Payload); err == nil {
					fmt.Fprintf(&b, ", trailer %s", strconv.Quote(as))
				}
			}
			b.WriteString(")\n")
			writeFields(&b, m, "    ")
		} else if len(p.Payload) > 0 {
			fmt.Fprintf(&b, "    (%d bytes) %s\n", len(p.Payload), strconv.Quote(string(p.Payload)))
		}
	}
	io.WriteString(d.out, b.String())
}

// verify returns the verdict for a parsed message and tallies failures.
func (d *decoder) verify(raw []byte, m *wire.Message, format wire.Format) string {
	if d.keys == nil {
		return "unverified"
	}
	idx := senderIndex(raw)
	err := wire.Verify(raw, d.keys)
	var me *wire.MalformedError
	var uk *authkeys.UnknownKeyError
	var ba *authkeys.BadAuthStringError
	switch {
	case err == nil:
		// PROTOCOL §4.6: stock checks a netstring trailer with the key of
		// its own active index, so a trailer signed with another index
		// fails on a stock node holding this authkeys.
		if format == wire.Netstring && idx >= 0 && idx != d.keys.Active() {
			d.count("quirk", idx, nil)
			d.tally["quirk"].from(m)
		}
		return "ok"
	case errors.As(err, &uk):
		d.failed++
		d.count("unknown-key", uk.Index, err)
		d.tally["unknown-key"].from(m)
		return "unknown-key:" + strconv.Itoa(uk.Index)
	case errors.Is(err, authkeys.ErrBadDigest):
		d.failed++
		d.count("bad-digest", idx, err)
		d.tally["bad-digest"].from(m)
		return "bad-digest"
	case errors.Is(err, wire.ErrUnsigned):
		d.failed++
		d.count("unsigned", -1, err)
		return "unsigned"
	case errors.As(err, &ba):
		d.failed++
		d.count("malformed", -1, err)
		return "malformed:bad auth string"
	case errors.As(err, &me):
		d.failed++
		d.count("malformed", -1, err)
		return "malformed:" + me.Reason
	default:
		d.failed++
		d.count("malformed", -1, err)
		return "malformed:" + err.Error()
	}
}

// senderIndex returns the key index of the auth string Verify checks (the
// netstring trailer, or a classic message's last auth field); -1 when
// there is none or it does not parse.
func senderIndex(raw []byte) int {
	as, err := wire.AuthString(raw)
	if err != nil {
		return -1
	}
	i, _, err := authkeys.ParseAuthString(as)
	if err != nil {
		return -1
	}
	return i
}

func captureKind(err error) string {
	switch {
	case errors.Is(err, capture.ErrFragmented):
		return "fragmented"
	case errors.Is(err, capture.ErrTruncated):
		return "truncated"
	}
	var fe *wire.FrameError
	if errors.As(err, &fe) {
		return "damaged-frame"
	}
	return "malformed"
}

// captureReason is the short verdict text for a message the capture could
// not deliver whole; the closing hints give the long story.
func captureReason(err error) string {
	switch captureKind(err) {
	case "fragmented":
		return "fragmented"
	case "truncated":
		return "truncated"
	case "damaged-frame":
		var fe *wire.FrameError
		errors.As(err, &fe)
		return fe.Reason
	}
	return err.Error()
}

func malformedReason(err error) string {
	var me *wire.MalformedError
	if errors.As(err, &me) {
		return me.Reason
	}
	return err.Error()
}

// ordered returns the fields t, src, seq, hg first (when present), then the
// others in wire order.
func ordered(m *wire.Message) []wire.Field {
	lead := []string{wire.FType, wire.FSrc, wire.FSeq, wire.FGen}
	used := make([]bool, len(m.Fields))
	var out []wire.Field
	for _, name := range lead {
		for i, f := range m.Fields {
			if f.Name == name && !used[i] {
				used[i] = true
				out = append(out, f)
				break
			}
		}
	}
	for i, f := range m.Fields {
		if !used[i] {
			out = append(out, f)
		}
	}
	return out
}

// value renders a field's value for the one-line form.
func value(f wire.Field) string {
	switch f.Type {
	case wire.String:
		return quote(string(f.Value))
	case wire.Binary, wire.Compressed:
		if len(f.Value) == 0 {
			return `""`
		}
		return hex.EncodeToString(f.Value)
	case wire.List:
		parts := make([]string, len(f.List))
		for i, s := range f.List {
			parts[i] = quote(s)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case wire.Struct, wire.Uncompressed:
		if f.Sub == nil {
			return "{}"
		}
		parts := make([]string, len(f.Sub.Fields))
		for i, sf := range f.Sub.Fields {
			parts[i] = sf.Name + "=" + value(sf)
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	return hex.EncodeToString(f.Value)
}

// quote returns s, or s Go-quoted when it is empty or holds a space, a
// quote or a non-printable byte.
func quote(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r == ' ' || r == '"' || r == '\\' || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

var typeNames = map[wire.FieldType]string{
	wire.String: "string", wire.Binary: "binary", wire.Struct: "struct",
	wire.List: "list", wire.Compressed: "compress", wire.Uncompressed: "uncompress",
}

func typeName(t wire.FieldType) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "type" + strconv.Itoa(int(t))
}

// writeFields prints every field of m on its own line, in wire order.
func writeFields(b *strings.Builder, m *wire.Message, indent string) {
	for _, f := range m.Fields {
		fmt.Fprintf(b, "%s%-12s %-8s ", indent, f.Name, typeName(f.Type))
		switch f.Type {
		case wire.Struct, wire.Uncompressed:
			b.WriteString("\n")
			if f.Sub != nil {
				writeFields(b, f.Sub, indent+"    ")
			}
		case wire.List:
			b.WriteString(value(f))
			b.WriteString("\n")
		case wire.String:
			b.WriteString(strconv.Quote(string(f.Value)))
			b.WriteString("\n")
		default:
			b.WriteString(hex.EncodeToString(f.Value))
			b.WriteString("\n")
		}
	}
}

// hints explains each kind of failure once, on stderr.
func (d *decoder) hints(w io.Writer) {
	kinds := make([]string, 0, len(d.tally))
	for k := range d.tally {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		t := d.tally[k]
		n := plural(t.n, "message")
		switch k {
		case "bad-digest":
			fmt.Fprintf(w, "hint: %s%s failed with bad-digest: the sender's method or key for %s differs from yours; compare authkeys on both nodes (PROTOCOL §4.6: stock verifies with its own active key)\n",
				n, t.fromText(), indexList(t.indexes, "index"))
		case "unknown-key":
			fmt.Fprintf(w, "hint: %s%s signed with %s, which your authkeys does not define; stock drops them (\"Invalid authentication\"); use the same authkeys on both nodes\n",
				n, t.fromText(), indexList(t.indexes, "index"))
		case "unsigned":
			fmt.Fprintf(w, "hint: %s without a signature; stock drops them\n", n)
		case "quirk":
			fmt.Fprintf(w, "hint: %s%s signed with %s %s here, but your active index is %d: stock checks netstring trailers with its own active key (PROTOCOL §4.6) and would reject them; put the same auth line on both nodes\n",
				n, t.fromText(), indexList(t.indexes, "index"), verb(t.n, "verifies", "verify"), d.keys.Active())
		case "fragmented":
			fmt.Fprintf(w, "hint: %s arrived in IP fragments that are not all in the capture: %s\n", n, t.example)
		case "truncated":
			fmt.Fprintf(w, "hint: %s cut short by the capture's snap length; capture again with tcpdump -s 0\n", n)
		case "damaged-frame":
			fmt.Fprintf(w, "hint: %s (e.g. %s); stock's serial reader drops them: check the cable, baud and flow control\n", plural(t.n, "damaged serial frame"), t.example)
		case "malformed":
			fmt.Fprintf(w, "hint: %s (e.g. %s); stock drops them\n", plural(t.n, "malformed message"), t.example)
		}
	}
}

// plural renders "1 message" / "3 messages".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// indexList renders "index 1" / "indexes 1, 3" / "an unknown index".
func indexList(m map[int]int, word string) string {
	if len(m) == 0 {
		return "an index not shown in the message"
	}
	idx := make([]int, 0, len(m))
	for i := range m {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	s := make([]string, len(idx))
	for i, v := range idx {
		s[i] = strconv.Itoa(v)
	}
	if len(idx) == 1 {
		return word + " " + s[0]
	}
	return word + "es " + strings.Join(s, ", ")
}
