// Package capture reads heartbeat messages out of captured traffic: pcap and pcapng files, raw payload files and serial byte streams.
package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"time"

	"hbgo/heartbeat/core/wire"
)

// DefaultPort is heartbeat's udpport default (PROTOCOL §12).
const DefaultPort = 694

// Packet is one heartbeat message found in a file, or one that could not be
// extracted (Err set).
type Packet struct {
	Time     time.Time      // capture time; zero when the file has none
	Src, Dst netip.AddrPort // UDP endpoints; zero for raw and serial files
	File     string         // the file name given to Read
	Frame    int            // 1-based record number in a pcap/pcapng file; 0 otherwise
	Offset   int64          // byte offset of the message in a raw or serial file
	Payload  []byte         // the UDP payload or the message bytes
	Err      error          // why the message could not be extracted whole (damaged frame, missing fragments)
}

// Source labels where the packet came from: ip:port for captures, FILE@offset otherwise.
func (p Packet) Source() string {
	if p.Src.IsValid() {
		return p.Src.String()
	}
	return p.File + "@" + strconv.FormatInt(p.Offset, 10)
}

// Kind is the file format Detect recognises.
type Kind int

// File kinds, told apart by their first bytes.
const (
	Unknown Kind = iota
	Pcap         // libpcap savefile, either byte order, µs or ns timestamps
	Pcapng       // pcapng section header block
	Raw          // one netstring message (starts with "###\n")
	Serial       // classic frames back to back (">>>\n" … "<<<\n"), as read from a serial line
)

func (k Kind) String() string {
	switch k {
	case Pcap:
		return "pcap"
	case Pcapng:
		return "pcapng"
	case Raw:
		return "raw payload"
	case Serial:
		return "serial stream"
	}
	return "unknown"
}

// sniffLen is how far into a file Detect looks for a classic frame start
// (serial captures may begin with line noise or half a frame).
const sniffLen = 4096

// Detect tells the file kind from the file's first bytes (up to 4 KiB).
func Detect(head []byte) Kind {
	if len(head) >= 4 {
		switch string(head[:4]) {
		case "\xd4\xc3\xb2\xa1", "\xa1\xb2\xc3\xd4", "\x4d\x3c\xb2\xa1", "\xa1\xb2\x3c\x4d":
			return Pcap
		case "\x0a\x0d\x0d\x0a":
			return Pcapng
		case "###\n":
			return Raw
		}
	}
	// PROTOCOL §12.5: a serial reader skips text until a line beginning
	// with ">>>"; the frame start may therefore follow noise.
	if bytes.HasPrefix(head, []byte(">>>\n")) || bytes.Contains(head, []byte("\n>>>\n")) {
		return Serial
	}
	return Unknown
}

// FormatError is a file whose kind Detect does not recognise.
type FormatError struct{ File string }

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: not a pcap, pcapng, heartbeat payload or serial stream file", e.File)
}

// ReadFile reads every heartbeat message in the file at path; port selects
// the UDP port in captures. On a damaged file it returns the messages read
// before the damage together with the error.
func ReadFile(path string, port int) ([]Packet, error) {
	var out []Packet
	err := ScanFile(path, port, func(p Packet) { out = append(out, p) })
	return out, err
}

// ScanFile calls fn for every heartbeat message in the file at path, in
// file order, as it is read: memory stays bounded whatever the file's size.
// On a damaged file fn has seen the messages before the damage when the
// error is returned.
func ScanFile(path string, port int, fn func(Packet)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return Scan(f, path, port, fn)
}

// Read reads every heartbeat message from r (any of the kinds Detect
// knows, possibly gzip-compressed), naming them after file; port selects
// the UDP port in captures. On a damaged file it returns the messages
// read before the damage together with the error.
func Read(r io.Reader, file string, port int) ([]Packet, error) {
	var out []Packet
	err := Scan(r, file, port, func(p Packet) { out = append(out, p) })
	return out, err
}

// Scan is Read that hands each message to fn as soon as it is complete
// instead of collecting them.
func Scan(r io.Reader, file string, port int, fn func(Packet)) error {
	return scan(r, file, port, 0, fn)
}

// maxGunzip bounds what a gzip-compressed file may inflate to.
const maxGunzip = 1 << 30

// maxRaw bounds a raw payload file: one message, which no peer sends
// larger than MaxMsg; the bytes past the bound are not read.
const maxRaw = 4 * wire.MaxMsg

func scan(r io.Reader, file string, port, depth int, fn func(Packet)) error {
	br := bufio.NewReaderSize(r, sniffLen)
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", file, err)
	}
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b && depth == 0 {
		// tcpdump -w - | gzip: look inside once.
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		defer zr.Close()
		return scan(io.LimitReader(zr, maxGunzip), file, port, depth+1, fn)
	}
	switch Detect(head) {
	case Pcap:
		return scanPcap(br, file, port, fn)
	case Pcapng:
		return scanPcapng(br, file, port, fn)
	case Raw:
		b, err := io.ReadAll(io.LimitReader(br, maxRaw+1))
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		p := Packet{File: file, Payload: b}
		if len(b) > maxRaw {
			p.Payload = nil
			p.Err = fmt.Errorf("raw payload file is larger than %d bytes, more than any heartbeat message", maxRaw)
		}
		fn(p)
		return nil
	case Serial:
		if err := scanSerial(br, file, fn); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		return nil
	}
	if len(head) == 0 {
		return fmt.Errorf("%s: empty file", file)
	}
	return &FormatError{File: file}
}
