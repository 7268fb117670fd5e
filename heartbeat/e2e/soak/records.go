package soak

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// RecordSize is the fixed size of one record, newline included.
const RecordSize = 64

// nodeWidth is the space a record gives the writer's node name.
const nodeWidth = 19

// Record is one numbered line the soak service appends to the shared filesystem.
type Record struct {
	Seq  uint64
	At   time.Time
	Node string
}

// Encode returns r as its RecordSize bytes: "R<seq hex16> <unixnano hex16>
// <node padded to 19> <crc32 hex8>\n", the checksum covering everything
// before it.
func (r Record) Encode() []byte {
	node := r.Node
	if len(node) > nodeWidth {
		node = node[:nodeWidth]
	}
	b := fmt.Appendf(make([]byte, 0, RecordSize), "R%016x %016x %-*s ", r.Seq, uint64(r.At.UnixNano()), nodeWidth, node)
	return fmt.Appendf(b, "%08x\n", crc32.ChecksumIEEE(b))
}

// RecordError is a record that is torn, damaged or not a record at all.
type RecordError struct {
	File   string
	Offset int64
	Reason string
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("%s:@%d: %s", e.File, e.Offset, e.Reason)
}

// DecodeRecord parses one RecordSize-byte record.
func DecodeRecord(b []byte) (Record, error) {
	if len(b) != RecordSize {
		return Record{}, fmt.Errorf("record is %d bytes, want %d", len(b), RecordSize)
	}
	if b[0] != 'R' || b[17] != ' ' || b[34] != ' ' || b[54] != ' ' || b[63] != '\n' {
		return Record{}, errors.New("not a record (separators)")
	}
	sum, err := strconv.ParseUint(string(b[55:63]), 16, 32)
	if err != nil {
		return Record{}, fmt.Errorf("bad checksum text %q", b[55:63])
	}
	if crc32.ChecksumIEEE(b[:55]) != uint32(sum) {
		return Record{}, errors.New("checksum mismatch")
	}
	seq, err := strconv.ParseUint(string(b[1:17]), 16, 64)
	if err != nil {
		return Record{}, fmt.Errorf("bad sequence %q", b[1:17])
	}
	ns, err := strconv.ParseUint(string(b[18:34]), 16, 64)
	if err != nil {
		return Record{}, fmt.Errorf("bad time %q", b[18:34])
	}
	return Record{Seq: seq, At: time.Unix(0, int64(ns)), Node: string(bytes.TrimRight(b[35:54], " "))}, nil
}

// ReadRecords reads every record of r (the record file name, base is the
// offset of r's first byte in it, for messages) and returns the good ones
// and one RecordError per damaged record or torn tail.
func ReadRecords(r io.Reader, name string, base int64) ([]Record, []error) {
	var recs []Record
	var errs []error
	buf := make([]byte, RecordSize)
	off := base
	for {
		n, err := io.ReadFull(r, buf)
		if n == RecordSize {
			rec, derr := DecodeRecord(buf)
			if derr != nil {
				errs = append(errs, &RecordError{File: name, Offset: off, Reason: derr.Error()})
			} else {
				recs = append(recs, rec)
			}
			off += RecordSize
			continue
		}
		if n > 0 {
			errs = append(errs, &RecordError{File: name, Offset: off, Reason: fmt.Sprintf("torn record: %d of %d bytes", n, RecordSize)})
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		return recs, errs
	}
}

// RunWriter appends a record numbered one past the file's last to path
// every interval, fsyncing each, until SIGTERM or SIGINT; it writes its pid
// to pidfile first (the service script's "running" test).
func RunWriter(path, node, pidfile string, interval time.Duration) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("soak writer: %w", err)
	}
	defer f.Close()
	seq, err := lastSeq(f)
	if err != nil {
		return fmt.Errorf("soak writer: %s: %w", path, err)
	}
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("soak writer: %w", err)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		seq++
		if _, err := f.Write(Record{Seq: seq, At: time.Now(), Node: node}.Encode()); err != nil {
			return fmt.Errorf("soak writer: %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("soak writer: %s: fsync: %w", path, err)
		}
		select {
		case <-sigs:
			return nil
		case <-tick.C:
		}
	}
}

// lastSeq returns the sequence number of f's last whole record (0 for an
// empty file); a torn tail is left for the checker to report.
func lastSeq(f *os.File) (uint64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	end := st.Size() - st.Size()%RecordSize
	if end == 0 {
		return 0, nil
	}
	b := make([]byte, RecordSize)
	if _, err := f.ReadAt(b, end-RecordSize); err != nil {
		return 0, err
	}
	r, err := DecodeRecord(b)
	if err != nil {
		return 0, fmt.Errorf("last record at %d: %w", end-RecordSize, err)
	}
	return r.Seq, nil
}
