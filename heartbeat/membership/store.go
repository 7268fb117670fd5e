package membership

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// File names under heartbeat's state directory (PROTOCOL §5.2, §5.3).
const (
	GenerationFile = "hb_generation"
	UUIDFile       = "hb_uuid"
)

// FormatGeneration renders a generation as stock writes it: %15d and a newline.
func FormatGeneration(n uint64) []byte {
	return []byte(fmt.Sprintf("%15d\n", n))
}

// ParseGeneration reads a generation written by stock or by FormatGeneration.
func ParseGeneration(b []byte) (uint64, error) {
	s := string(bytes.TrimSpace(b))
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("hb_generation: %w", err)
	}
	return n, nil
}

// NextGeneration is the generation to use for this start (PROTOCOL §5.2): missing or
// empty file → now+1, unparsable → 1, else the stored value + 1.
func NextGeneration(content []byte, missing bool, now time.Time) uint64 {
	if missing || len(bytes.TrimSpace(content)) == 0 {
		return uint64(now.Unix()) + 1
	}
	n, err := ParseGeneration(content)
	if err != nil {
		return 1
	}
	return n + 1
}

// Store reads and writes hb_generation and hb_uuid in stock's formats under Dir.
type Store struct{ Dir string }

// NextGeneration reads hb_generation, increments it, writes it back synchronously and
// returns it; fresh is true when the file was missing or empty (stock's "No Previous generation").
func (s Store) NextGeneration(now time.Time) (gen uint64, fresh bool, err error) {
	p := filepath.Join(s.Dir, GenerationFile)
	b, err := os.ReadFile(p)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		return 0, false, fmt.Errorf("read generation: %w", err)
	}
	fresh = missing || len(bytes.TrimSpace(b)) == 0
	gen = NextGeneration(b, missing, now)
	if err := writeSync(p, FormatGeneration(gen)); err != nil {
		return 0, false, fmt.Errorf("write generation: %w", err)
	}
	return gen, fresh, nil
}

// LoadUUID reads hb_uuid (16 raw bytes); ok is false when the file is missing.
func (s Store) LoadUUID() (u [16]byte, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(s.Dir, UUIDFile))
	if errors.Is(err, fs.ErrNotExist) {
		return u, false, nil
	}
	if err != nil {
		return u, false, fmt.Errorf("read uuid: %w", err)
	}
	if len(b) != 16 {
		return u, false, fmt.Errorf("read uuid: %s holds %d bytes, want 16", UUIDFile, len(b))
	}
	return [16]byte(b), true, nil
}

// SaveUUID writes hb_uuid (16 raw bytes, no newline) synchronously.
func (s Store) SaveUUID(u [16]byte) error {
	if err := writeSync(filepath.Join(s.Dir, UUIDFile), u[:]); err != nil {
		return fmt.Errorf("write uuid: %w", err)
	}
	return nil
}

func writeSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_SYNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// FormatUUID renders a UUID as libuuid's uuid_unparse does (lower-case 8-4-4-4-12).
func FormatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// GenerateUUID makes a random (version 4) UUID from r, as libuuid does for a new hb_uuid.
func GenerateUUID(r io.Reader) ([16]byte, error) {
	var u [16]byte
	if _, err := io.ReadFull(r, u[:]); err != nil {
		return u, fmt.Errorf("generate uuid: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u, nil
}
