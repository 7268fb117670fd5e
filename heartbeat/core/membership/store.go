package membership

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// File names under heartbeat's state directory (PROTOCOL §5.2, §5.3).
const (
	GenerationFile = "hb_generation"
	UUIDFile       = "hb_uuid"
	// PeersFile is hbgo's: the generation and seq last seen from each peer
	// (Params.PeerSeen). Stock keeps no such file.
	PeersFile = "hbgo_peer_generations"
)

// maxStateFile caps what is read from a state file: they hold a few bytes.
const maxStateFile = 64 << 10

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
//
// hbgo departs from stock on a file it cannot parse: stock starts at
// generation 1 (PROTOCOL §5.2), which every peer then drops as an
// "attempted replay attack" until it restarts itself. A file of NUL bytes
// is what a crash between the truncating write and its data leaves behind
// on some filesystems. Both are an error naming the file and the fix.
func (s Store) NextGeneration(now time.Time) (gen uint64, fresh bool, err error) {
	p := filepath.Join(s.Dir, GenerationFile)
	b, err := readState(p)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		return 0, false, fmt.Errorf("read generation: %w", err)
	}
	fresh = missing || len(bytes.TrimSpace(b)) == 0
	if !fresh {
		if len(bytes.Trim(b, "\x00 \t\r\n")) == 0 {
			return 0, false, fmt.Errorf("read generation: %s holds only NUL bytes (a crash while it was written?): write the highest generation a peer logged for this node (its \"curgen\"), or remove the file to start from the clock", p)
		}
		if _, err := ParseGeneration(b); err != nil {
			return 0, false, fmt.Errorf("read generation: %s: %q is not a generation number: write a number greater than this node's last generation, or remove the file to start from the clock", p, bytes.TrimSpace(b[:min(len(b), 32)]))
		}
	}
	gen = NextGeneration(b, missing, now)
	if err := writeAtomic(p, FormatGeneration(gen)); err != nil {
		return 0, false, fmt.Errorf("write generation: %w", err)
	}
	return gen, fresh, nil
}

// CheckDir refuses a state directory another user could write to: its
// files decide which generation we announce and which replays we refuse.
// It must be a real directory (not a symlink) owned by root or by us, and
// not writable by group or others.
func (s Store) CheckDir() error {
	var st unix.Stat_t
	if err := unix.Lstat(s.Dir, &st); err != nil {
		return fmt.Errorf("state directory %s: %w", s.Dir, err)
	}
	switch {
	case st.Mode&unix.S_IFMT == unix.S_IFLNK:
		return fmt.Errorf("state directory %s is a symbolic link: point the daemon at the real directory", s.Dir)
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return fmt.Errorf("state directory %s is not a directory", s.Dir)
	case st.Uid != 0 && int(st.Uid) != os.Geteuid():
		return fmt.Errorf("state directory %s is owned by uid %d: chown root %s", s.Dir, st.Uid, s.Dir)
	case st.Mode&0o022 != 0:
		return fmt.Errorf("state directory %s has mode %04o, writable by group or others: chmod go-w %s", s.Dir, st.Mode&0o7777, s.Dir)
	}
	return nil
}

// LoadPeers reads the peer-generation file (missing: nothing seen yet).
// Lines are "node generation seq", decimal.
func (s Store) LoadPeers() (map[string]PeerMark, error) {
	p := filepath.Join(s.Dir, PeersFile)
	b, err := readState(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read peer generations: %w", err)
	}
	out := map[string]PeerMark{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for ln := 1; sc.Scan(); ln++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var g, q uint64
		var e1, e2 error
		if len(f) == 3 {
			g, e1 = strconv.ParseUint(f[1], 10, 64)
			q, e2 = strconv.ParseUint(f[2], 10, 64)
		}
		if len(f) != 3 || e1 != nil || e2 != nil {
			return nil, fmt.Errorf("read peer generations: %s:%d: want \"node generation seq\"; remove the file to forget what was seen", p, ln)
		}
		out[strings.ToLower(f[0])] = PeerMark{Gen: g, Seq: q}
	}
	return out, nil
}

// SavePeers writes the peer-generation file atomically.
func (s Store) SavePeers(m map[string]PeerMark) error {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, k := range names {
		fmt.Fprintf(&b, "%s %d %d\n", k, m[k].Gen, m[k].Seq)
	}
	if err := writeAtomic(filepath.Join(s.Dir, PeersFile), b.Bytes()); err != nil {
		return fmt.Errorf("write peer generations: %w", err)
	}
	return nil
}

// LoadUUID reads hb_uuid (16 raw bytes); ok is false when the file is missing.
func (s Store) LoadUUID() (u [16]byte, ok bool, err error) {
	b, err := readState(filepath.Join(s.Dir, UUIDFile))
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
	if err := writeAtomic(filepath.Join(s.Dir, UUIDFile), u[:]); err != nil {
		return fmt.Errorf("write uuid: %w", err)
	}
	return nil
}

// readState reads a small state file without following a symlink, and
// only if it is a regular file of at most maxStateFile bytes.
func readState(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s is a symbolic link: replace it with the file itself", path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxStateFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxStateFile)
	}
	return b, nil
}

// writeAtomic replaces path with b so that a crash leaves the old file or
// the new one, never a truncated or NUL-filled one: a new file beside it
// (O_EXCL, so never through a symlink), fsync, rename over path, fsync of
// the directory. Stock writes hb_generation in place with O_SYNC (PROTOCOL
// §5.2), which a crash can leave empty or full of NUL bytes.
func writeAtomic(path string, b []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
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
