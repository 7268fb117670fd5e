package authkeys

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/internal/diag"
)

// row is the part of a problem a table row pins down.
type row struct {
	Line  int
	Sev   diag.Severity
	What  string
	Stock string
}

func rows(ps diag.Problems) []row {
	var out []row
	for _, p := range ps {
		out = append(out, row{p.Line, p.Severity, p.What, p.Stock})
	}
	return out
}

const kf = "/etc/ha.d/authkeys"

func TestParseAccepted(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		active   int
		methods  map[int]Method
	}{
		{"sha1", "auth 1\n1 sha1 testkey-sha1\n", 1, map[int]Method{1: SHA1}},
		{"crc", "auth 1\n1 crc\n", 1, map[int]Method{1: CRC}},
		{"md5 index 0", "auth 0\n0 md5 k\n", 0, map[int]Method{0: MD5}},
		{"multikey", "auth 3\n1 crc\n2 md5 testkey-md5\n3 sha1 testkey-sha1\n", 3,
			map[int]Method{1: CRC, 2: MD5, 3: SHA1}},
		{"comments blanks indent", "# c\n\n   # indented comment\n\tauth 15\n  15   sha1\tk\n", 15, map[int]Method{15: SHA1}},
		{"keys after active", "auth 1\n1 sha1 a\n2 md5 b\n", 1, map[int]Method{1: SHA1, 2: MD5}},
		{"key line before auth for another index", "2 md5 b\nauth 1\n1 sha1 a\n", 1, map[int]Method{1: SHA1, 2: MD5}},
		{"crlf", "auth 1\r\n1 sha1 a\r\n", 1, map[int]Method{1: SHA1}},
		{"no final newline", "auth 1\n1 crc", 1, map[int]Method{1: CRC}},
	} {
		k, ps := Parse(strings.NewReader(tc.in), kf)
		if len(ps) != 0 || k == nil {
			t.Errorf("%s: problems %v", tc.name, ps)
			continue
		}
		if k.Active() != tc.active {
			t.Errorf("%s: active %d, want %d", tc.name, k.Active(), tc.active)
		}
		got := map[int]Method{}
		for i := range MaxKeys {
			if m, ok := k.Method(i); ok {
				got[i] = m
			}
		}
		if diff := cmp.Diff(tc.methods, got); diff != "" {
			t.Errorf("%s: methods (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestParseRejected(t *testing.T) {
	const st = "/etc/ha.d//authkeys"
	for _, tc := range []struct {
		name, in string
		want     []row
	}{
		{"empty", "", []row{{0, diag.Error, "no auth line", "Missing auth directive in keyfile [" + st + "]"}}},
		{"only comments", "# auth 1\n", []row{{0, diag.Error, "no auth line", "Missing auth directive in keyfile [" + st + "]"}}},
		{"no auth line", "1 sha1 k\n", []row{{0, diag.Error, "no auth line", "Missing auth directive in keyfile [" + st + "]"}}},
		{"auth after key", "1 sha1 k\nauth 1\n", []row{{2, diag.Error, "auth 1 comes after its key line 1", "Auth Key [1] not found in keyfile [" + st + "]"}}},
		{"auth names missing key", "auth 2\n1 sha1 k\n", []row{{1, diag.Error, "auth 2 names an index with no key line", "Auth Key [2] not found in keyfile [" + st + "]"}}},
		{"crc with comment", "auth 1\n1 crc # comment\n", []row{
			{2, diag.Error, `method crc takes no key, got "#"`, "Auth method [crc] doesn't use a key"},
			{1, diag.Error, "auth 1 names an index with no key line", "Auth Key [1] not found in keyfile [" + st + "]"}}},
		{"md5 without key", "auth 1\n1 md5\n", []row{
			{2, diag.Error, "method md5 requires a key", "Auth method [md5] requires a key"},
			{1, diag.Error, "auth 1 names an index with no key line", "Auth Key [1] not found in keyfile [" + st + "]"}}},
		{"sha1 without key", "auth 1\n1 crc\n2 sha1\n", []row{
			{3, diag.Error, "method sha1 requires a key", "Auth method [sha1] requires a key"}}},
		{"unknown method", "auth 1\n1 crc\n2 sha256 k\n", []row{
			{3, diag.Error, `unknown method "sha256"`, "Invalid authtype [sha256]"}}},
		{"index 16", "auth 1\n1 crc\n16 crc\n", []row{
			{3, diag.Error, "key index 16 out of range", "Invalid authnum [16] in " + st}}},
		{"index -1", "auth 1\n1 crc\n-1 crc\n", []row{
			{3, diag.Error, "key index -1 out of range", "Invalid authnum [-1] in " + st}}},
		{"bad auth line", "authx 1\nauth 1\n1 crc\n", []row{
			{1, diag.Error, `invalid auth line "authx 1"`, "Invalid auth line [authx 1] in " + st}}},
		{"auth out of range", "auth 16\n1 crc\n", []row{
			{1, diag.Error, `invalid auth line "auth 16"`, "Invalid auth line [auth 16] in " + st},
			{0, diag.Error, "no auth line", "Missing auth directive in keyfile [" + st + "]"}}},
		{"a-line", "abc\nauth 1\n1 crc\n", []row{
			{1, diag.Error, `invalid auth line "abc"`, "Invalid auth line [abc] in " + st}}},
		{"one token", "auth 1\n1 crc\n2\n", []row{
			{3, diag.Error, `invalid key line "2"`, "Auth line [2] is invalid."}}},
		{"not a number", "auth 1\n1 crc\nx crc\n", []row{
			{3, diag.Error, `invalid key line "x crc": "x" is not an index`, "Auth line [x crc] is invalid."}}},
		{"key with blank", "auth 1\n1 sha1 two words\n", []row{
			{2, diag.Error, `text after the key "two"`, ""},
			{1, diag.Error, "auth 1 names an index with no key line", "Auth Key [1] not found in keyfile [" + st + "]"}}},
		{"duplicate index", "auth 1\n1 sha1 a\n1 md5 b\n", []row{
			{3, diag.Error, "index 1 already configured at line 2", ""}}},
		{"two auth lines", "auth 1\nauth 2\n1 crc\n2 crc\n", []row{
			{2, diag.Error, "second auth line (first at line 1)", ""}}},
	} {
		k, ps := Parse(strings.NewReader(tc.in), kf)
		if k != nil {
			t.Errorf("%s: accepted", tc.name)
		}
		if diff := cmp.Diff(tc.want, rows(ps)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
		for _, p := range ps {
			if p.File != kf || p.Hint == "" {
				t.Errorf("%s: problem %+v lacks file or hint", tc.name, p)
			}
		}
	}
}

func TestLoadModes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "authkeys")
	if err := os.WriteFile(path, []byte("auth 1\n1 sha1 k\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stock := dir + "//authkeys"
	for _, tc := range []struct {
		mode    os.FileMode
		refused bool
	}{
		{0o600, false}, {0o400, false}, {0o620, false}, {0o602, false}, {0o700, false},
		{0o640, true}, {0o604, true}, {0o644, true}, {0o440, true},
	} {
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		k, ps := Load(path)
		if got := k == nil; got != tc.refused {
			t.Errorf("mode %04o: refused=%v, want %v (%v)", tc.mode, got, tc.refused, ps)
		}
		if tc.refused {
			want := []row{{0, diag.Error, "mode " + octal(tc.mode) + " is group- or other-readable",
				"Bad permissions on keyfile [" + stock + "], 600 recommended."}}
			if diff := cmp.Diff(want, rows(ps)); diff != "" {
				t.Errorf("mode %04o (-want +got):\n%s", tc.mode, diff)
			}
			lk, lps := LoadLenient(path)
			if lk == nil || lps.HasErrors() || len(lps) != 1 || lps[0].Severity != diag.Warning {
				t.Errorf("mode %04o: LoadLenient = %v, %v", tc.mode, lk, lps)
			}
		}
	}
	_, ps := Load(filepath.Join(dir, "missing"))
	if len(ps) != 1 || ps[0].Line != 0 || ps[0].Stock != "Cannot open keyfile ["+dir+"//missing].  Stop." {
		t.Errorf("missing file: %+v", ps)
	}
	// A parse problem comes with the file's own path.
	os.WriteFile(path, []byte("auth 1\n"), 0o600)
	os.Chmod(path, 0o600)
	if _, ps := Load(path); len(ps) != 1 || ps[0].File != path || ps[0].Line != 1 {
		t.Errorf("parse problem: %+v", ps)
	}
}

func octal(m os.FileMode) string { return fmt.Sprintf("%04o", uint32(m.Perm())) }

func TestMethodString(t *testing.T) {
	for m, want := range map[Method]string{CRC: "crc", MD5: "md5", SHA1: "sha1", 0: "Method(0)"} {
		if m.String() != want {
			t.Errorf("%d: %q", int(m), m.String())
		}
	}
}
