package hacf

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Character classes of heartbeat's config reader (heartbeat.h).
const (
	whitespace = " \t\n\r\f"
	delims     = ", \t\n\r\f" // option-list separators: blanks and commas
	maxLine    = 5120         // stock reads with fgets(buf, MAXLINE=5120)
)

// rawLine is one significant line of a config file after comment and
// end-of-line stripping (COMPAT §2.1).
type rawLine struct {
	n    int    // 1-based line number
	text string // leading blanks skipped, comment and CR/LF tail removed
	long bool   // the physical line exceeded stock's line buffer
	// cut is set when text after a CR or NUL was dropped (stock's C
	// strings end there); hbgo warns about it.
	cut string
}

// readLines splits r into significant lines the way heartbeat's
// parse_config does: skip leading blanks, cut at the first '#', cut at the
// first CR or LF, drop what is left empty. A read error ends the input.
func readLines(r io.Reader) ([]rawLine, error) {
	br := bufio.NewReader(r)
	var out []rawLine
	n := 0
	for {
		s, err := br.ReadString('\n')
		if s == "" && err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		n++
		long := len(s) > maxLine
		cut := ""
		if i := strings.IndexByte(s, 0); i >= 0 {
			s, cut = s[:i], "a NUL byte"
		}
		t := strings.TrimLeft(s, whitespace)
		if i := strings.IndexByte(t, '#'); i >= 0 {
			t = t[:i]
		}
		if i := strings.IndexAny(t, "\r\n"); i >= 0 {
			if strings.TrimLeft(t[i:], whitespace) != "" {
				cut = "a carriage return (CR)"
			}
			t = t[:i]
		}
		if t != "" || cut != "" {
			out = append(out, rawLine{n: n, text: t, long: long, cut: cut})
		}
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
	}
}

// splitDirective returns the directive name (ended by blanks only) and the
// rest of the line with leading blanks and commas skipped.
func splitDirective(t string) (name, rest string) {
	i := strings.IndexAny(t, whitespace)
	if i < 0 {
		return t, ""
	}
	return t[:i], strings.TrimLeft(t[i:], delims)
}

// optionTokens splits an option-list remainder on blanks and commas.
func optionTokens(rest string) []string {
	return strings.FieldsFunc(rest, func(r rune) bool { return strings.ContainsRune(delims, r) })
}

// fields splits a whole-line remainder on blanks only.
func fields(rest string) []string {
	return strings.FieldsFunc(rest, func(r rune) bool { return strings.ContainsRune(whitespace, r) })
}

// ParseTime converts an ha.cf time value to milliseconds the way
// cluster-glue's cl_get_msec does (COMPAT §2.2, PROTOCOL §10.1): a number of
// digits and dots, then nothing (seconds), a unit starting with "ms"
// (milliseconds) or "us" (microseconds); anything else is invalid. The result
// is rounded to the nearest millisecond.
func ParseTime(s string) (ms int64, ok bool) {
	cp := strings.TrimLeft(s, whitespace)
	num := cp[:len(cp)-len(strings.TrimLeft(cp, "0123456789."))]
	units := strings.TrimLeft(cp[len(num):], whitespace)
	if cp != "" && num == "" {
		return -1, false
	}
	mult, div := 1000.0, 1.0
	lu := strings.ToLower(units)
	switch {
	// cl_get_msec also compares the first four bytes against its own
	// function name ("cl_g"), a stock typo we keep for fidelity.
	case strings.HasPrefix(lu, "ms"), strings.HasPrefix(lu, "cl_g"):
		mult = 1
	case strings.HasPrefix(lu, "us"):
		mult, div = 1, 1000
	case units != "" && units[0] != '\n' && units[0] != '\r':
		return -1, false
	}
	v := atof(num) * mult / div
	// hbgo: a value past what a time.Duration holds (about 292 years in
	// ms) would wrap to a negative time; stock's long conversion overflows
	// further out (undefined behaviour in C). Refuse it instead.
	if v > float64(math.MaxInt64/int64(time.Millisecond)) {
		return -1, false
	}
	return int64(v + 0.5), true
}

// atof reads the longest decimal prefix "digits[.digits]" of s, as C atof
// would from a string of digits and dots; no digits gives 0.
func atof(s string) float64 {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end < len(s) && s[end] == '.' {
		end++
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(s[:end], "."), 64)
	if err != nil {
		return 0
	}
	return v
}

// ParseBool reads a heartbeat boolean (cl_str_to_boolean, case-insensitive):
// true, on, yes, y, 1 / false, off, no, n, 0.
func ParseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "true", "on", "yes", "y", "1":
		return true, true
	case "false", "off", "no", "n", "0":
		return false, true
	}
	return false, false
}

// atoi is C atoi: optional blanks and sign, then the longest digit prefix
// (0 when there is none); clean reports whether s was exactly a decimal integer.
func atoi(s string) (n int64, clean bool) {
	t := strings.TrimLeft(s, whitespace)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	for i := 0; i < len(t) && t[i] >= '0' && t[i] <= '9'; i++ {
		if n < 1<<40 {
			n = n*10 + int64(t[i]-'0')
		}
	}
	if neg {
		n = -n
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
