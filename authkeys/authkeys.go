// Package authkeys reads heartbeat's authkeys file and computes and checks the crc, md5 and sha1 message signatures.
package authkeys

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hbgo/internal/cfgfile"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"hbgo/internal/diag"
)

// MaxKeys is the number of key slots (indexes 0–15, COMPAT §3: stock's MAXAUTH).
const MaxKeys = 16

// Method is a signature algorithm named in authkeys.
type Method int

// The three methods stock 3.0.6 ships (PROTOCOL §4.3).
const (
	CRC Method = iota + 1
	MD5
	SHA1
)

// String returns the method's authkeys spelling.
func (m Method) String() string {
	switch m {
	case CRC:
		return "crc"
	case MD5:
		return "md5"
	case SHA1:
		return "sha1"
	}
	return "Method(" + strconv.Itoa(int(m)) + ")"
}

// needsKey reports whether the method takes a secret.
func (m Method) needsKey() bool { return m != CRC }

func parseMethod(s string) (Method, bool) {
	switch s {
	case "crc":
		return CRC, true
	case "md5":
		return MD5, true
	case "sha1":
		return SHA1, true
	}
	return 0, false
}

type key struct {
	method Method
	secret []byte
	line   int
	mac    *macKey // precomputed HMAC pads; nil for crc
}

// Keys is a parsed authkeys file: the active (signing) index and the
// configured keys. It is immutable and safe for concurrent use.
type Keys struct {
	active int
	keys   [MaxKeys]key
}

// Active returns the index used to sign outgoing messages.
func (k *Keys) Active() int { return k.active }

// Method returns the method configured for index idx.
func (k *Keys) Method(idx int) (Method, bool) {
	if idx < 0 || idx >= MaxKeys || k.keys[idx].method == 0 {
		return 0, false
	}
	return k.keys[idx].method, true
}

// Line returns the authkeys line that configured index idx (0 when none).
func (k *Keys) Line(idx int) int {
	if idx < 0 || idx >= MaxKeys {
		return 0
	}
	return k.keys[idx].line
}

// CRCIndexes returns the indexes configured with crc, in order. crc is a
// checksum anyone can compute (PROTOCOL §4.3): a message "signed" with it is
// accepted from any sender, so it authenticates nothing.
func (k *Keys) CRCIndexes() []int {
	if k == nil {
		return nil
	}
	var out []int
	for i, kk := range k.keys {
		if kk.method == CRC {
			out = append(out, i)
		}
	}
	return out
}

// GenerateKey is a shell command that prints a random key for a sha1 line.
const GenerateKey = "od -An -N32 -tx1 /dev/urandom | tr -d ' \\n'"

// CRCHint is what to write instead of a crc line at index idx.
func CRCHint(idx int) string {
	return fmt.Sprintf("write %d sha1 <key>, a random key made with: %s; copy the same authkeys to every node (stock reads sha1 too)", idx, GenerateKey)
}

// CRCWarning is the daemon's CRIT line when authkeys lists crc keys.
func CRCWarning(idx []int) string {
	s := make([]string, len(idx))
	for i, v := range idx {
		s[i] = strconv.Itoa(v)
	}
	return fmt.Sprintf("hbgo: authkeys index %s uses crc, which authenticates nothing: anyone who can reach the cluster's links can forge messages that move resources; run heartbeat check for what to write instead", strings.Join(s, ", "))
}

// New builds Keys from code (tests, tools): active index and its method and
// secret; further keys may be added with With.
func New(active int, m Method, secret string) (*Keys, error) {
	k := &Keys{active: active}
	if err := k.set(active, m, secret, 0); err != nil {
		return nil, err
	}
	return k, nil
}

// With returns a copy of k with index idx configured as m/secret.
func (k *Keys) With(idx int, m Method, secret string) (*Keys, error) {
	c := *k
	if err := c.set(idx, m, secret, 0); err != nil {
		return nil, err
	}
	return &c, nil
}

func (k *Keys) set(idx int, m Method, secret string, line int) error {
	if idx < 0 || idx >= MaxKeys {
		return fmt.Errorf("authkeys: index %d out of range 0-15", idx)
	}
	if _, ok := parseMethod(m.String()); !ok {
		return fmt.Errorf("authkeys: unknown method %d", int(m))
	}
	if m.needsKey() == (secret == "") {
		return fmt.Errorf("authkeys: method %s with key %q", m, secret)
	}
	kk := key{method: m, secret: []byte(secret), line: line}
	if m != CRC {
		kk.mac = newMacKey(m, kk.secret)
	}
	k.keys[idx] = kk
	return nil
}

// stockName is the keyfile name as stock prints it: KEYFILE is
// HA_HBCONF_DIR "/authkeys" with HA_HBCONF_DIR ending in "/", hence the
// double slash in "/etc/ha.d//authkeys" (COMPAT §3).
func stockName(file string) string {
	if !filepath.IsAbs(file) {
		return file
	}
	return filepath.Dir(file) + "//" + filepath.Base(file)
}

// Parse reads an authkeys file (COMPAT §3 grammar); file names it in problems.
// Keys is nil when there is any error-severity problem.
func Parse(r io.Reader, file string) (*Keys, diag.Problems) {
	kp := &keyParser{file: file, stock: stockName(file), k: &Keys{active: -1}, authnum: -1}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Text()
		// Stock skips leading " \t\n\r\f" (strspn WHITESPACE) and treats a
		// line whose first non-blank byte is '#' as a comment.
		bp := strings.TrimLeft(raw, " \t\r\f\v")
		if bp == "" || bp[0] == '#' {
			continue
		}
		fields := strings.Fields(bp)
		if bp[0] == 'a' {
			kp.authLine(n, raw, fields)
			continue
		}
		kp.keyLine(n, raw, fields)
	}
	if err := sc.Err(); err != nil {
		kp.add(n+1, diag.Error, "", "keep lines shorter than 1 MiB", "reading: %v", err)
	}
	kp.checkActive()
	if kp.ps.HasErrors() {
		return nil, kp.ps
	}
	return kp.k, kp.ps
}

// keyParser is Parse's state while it reads one authkeys file.
type keyParser struct {
	file, stock string // the file's name, and the name stock's messages print
	ps          diag.Problems
	k           *Keys
	authnum     int  // the index the auth line names; -1 = no auth line yet
	authAt      int  // the auth line's number
	activeSet   bool // a key line for authnum came after the auth line
}

// add records a problem at line.
func (kp *keyParser) add(line int, sev diag.Severity, stockText, hint, format string, args ...any) {
	kp.ps = append(kp.ps, diag.Problem{File: kp.file, Line: line, Severity: sev,
		What: fmt.Sprintf(format, args...), Hint: hint, Stock: stockText})
}

// authLine reads line n, "auth N".
func (kp *keyParser) authLine(n int, raw string, fields []string) {
	// Stock: sscanf(bp, "auth %d"), which also takes "auth1" and
	// ignores trailing text; hbgo requires exactly "auth N".
	v, err := -1, errors.New("not auth N")
	if fields[0] == "auth" && len(fields) == 2 {
		v, err = strconv.Atoi(fields[1])
	}
	if err != nil || v < 0 || v >= MaxKeys {
		kp.add(n, diag.Error, fmt.Sprintf("Invalid auth line [%s] in %s", raw, kp.stock),
			"write auth N with N the index (0-15) of a key line below it",
			"invalid auth line %q", raw)
		return
	}
	if kp.authnum >= 0 {
		kp.add(n, diag.Error, "", "keep a single auth line",
			"second auth line (first at line %d)", kp.authAt)
	}
	kp.authnum, kp.authAt = v, n
}

// keyLine reads line n, "<index> <method> [<key>]".
func (kp *keyParser) keyLine(n int, raw string, fields []string) {
	// Stock: sscanf(bp, "%d%s%s", &i, method, key) — the key is one token
	// and anything after it is ignored; hbgo refuses the trailing text.
	if len(fields) < 2 {
		kp.add(n, diag.Error, fmt.Sprintf("Auth line [%s] is invalid.", raw),
			"write <index> crc, <index> md5 <key> or <index> sha1 <key>",
			"invalid key line %q", raw)
		return
	}
	i, err := strconv.Atoi(fields[0])
	if err != nil {
		kp.add(n, diag.Error, fmt.Sprintf("Auth line [%s] is invalid.", raw),
			"write <index> crc, <index> md5 <key> or <index> sha1 <key>",
			"invalid key line %q: %q is not an index", raw, fields[0])
		return
	}
	if i < 0 || i >= MaxKeys {
		kp.add(n, diag.Error, fmt.Sprintf("Invalid authnum [%d] in %s", i, kp.stock),
			"use an index from 0 to 15", "key index %d out of range", i)
		return
	}
	m, ok := parseMethod(fields[1])
	if !ok {
		kp.add(n, diag.Error, fmt.Sprintf("Invalid authtype [%s]", fields[1]),
			"write crc, md5 or sha1", "unknown method %q", fields[1])
		return
	}
	secret := ""
	if len(fields) >= 3 {
		secret = fields[2]
	}
	if m == CRC && secret != "" {
		hint := "write " + fields[0] + " crc with nothing after it"
		if strings.HasPrefix(secret, "#") {
			hint = "comments must be on their own line; " + hint
		}
		kp.add(n, diag.Error, "Auth method [crc] doesn't use a key", hint,
			"method crc takes no key, got %q", secret)
		return
	}
	if len(fields) > 3 {
		kp.add(n, diag.Error, "", "keys cannot contain blanks; remove the text after the key",
			"text after the key %q", secret)
		return
	}
	if m != CRC && secret == "" {
		kp.add(n, diag.Error, fmt.Sprintf("Auth method [%s] requires a key", m),
			fmt.Sprintf("write %d %s <key>", i, m), "method %s requires a key", m)
		return
	}
	if prev := kp.k.keys[i].line; prev != 0 {
		// Stricter than stock, which silently keeps the last line.
		kp.add(n, diag.Error, "", "keep one line per index",
			"index %d already configured at line %d", i, prev)
		return
	}
	_ = kp.k.set(i, m, secret, n)
	if i == kp.authnum {
		kp.k.active, kp.activeSet = i, true
	}
}

// checkActive reports a missing auth line, or an auth line whose key line is absent or above it.
func (kp *keyParser) checkActive() {
	if kp.activeSet {
		return
	}
	authnum, k := kp.authnum, kp.k
	if authnum < 0 {
		kp.add(0, diag.Error, fmt.Sprintf("Missing auth directive in keyfile [%s]", kp.stock),
			"add a line auth N before the key line N", "no auth line")
	} else if l := k.keys[authnum].line; l != 0 {
		kp.add(kp.authAt, diag.Error, fmt.Sprintf("Auth Key [%d] not found in keyfile [%s]", authnum, kp.stock),
			fmt.Sprintf("move auth %d above line %d (stock only honours a key line after its auth line)", authnum, l),
			"auth %d comes after its key line %d", authnum, l)
	} else {
		kp.add(kp.authAt, diag.Error, fmt.Sprintf("Auth Key [%d] not found in keyfile [%s]", authnum, kp.stock),
			fmt.Sprintf("add a line %d sha1 <key> below it, or name a configured index", authnum),
			"auth %d names an index with no key line", authnum)
	}
}

// Load reads and parses the authkeys file at path, refusing it when it is
// group- or other-readable as stock does (COMPAT §3: mode&0044; write bits
// are not checked, so 620 and 602 are accepted).
func Load(path string) (*Keys, diag.Problems) { return load(path, false) }

// LoadLenient is Load with the permission problem reported as a warning
// (for offline tools such as heartbeat decode reading a copied keyfile).
func LoadLenient(path string) (*Keys, diag.Problems) { return load(path, true) }

func load(path string, lenient bool) (*Keys, diag.Problems) {
	var ps diag.Problems
	// cfgfile: never blocks on a FIFO, refuses a device and anything over 1 MiB.
	data, mode, err := cfgfile.Read(path)
	if err != nil && mode == 0 {
		hint := "create it with an auth line and a key line, mode 600"
		if errors.Is(err, os.ErrPermission) {
			hint = diag.ReadHint(path) // it exists: creating it is not the fix
		}
		ps = append(ps, diag.Problem{File: path, Severity: diag.Error,
			What:  fmt.Sprintf("cannot open: %v", unwrapPath(err)),
			Hint:  hint,
			Stock: fmt.Sprintf("Cannot open keyfile [%s].  Stop.", stockName(path))})
		return nil, ps
	}
	if err != nil {
		hint := cfgfile.Hint(path, err)
		if hint == "" {
			hint = "check the file"
		}
		ps = append(ps, diag.Problem{File: path, Severity: diag.Error,
			What: fmt.Sprintf("reading: %v", unwrapPath(err)), Hint: hint})
		return nil, ps
	}
	if mode.Perm()&0o044 != 0 {
		sev := diag.Error
		if lenient {
			sev = diag.Warning
		}
		ps = append(ps, diag.Problem{File: path, Severity: sev,
			What:  fmt.Sprintf("mode %04o is group- or other-readable", mode.Perm()),
			Hint:  "chmod 600 " + path,
			Stock: fmt.Sprintf("Bad permissions on keyfile [%s], 600 recommended.", stockName(path))})
		if !lenient {
			return nil, ps
		}
	}
	k, more := Parse(bytes.NewReader(data), path)
	return k, append(ps, more...)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
