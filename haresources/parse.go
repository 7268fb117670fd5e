package haresources

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"

	"hbgo/internal/diag"
)

// Parse reads a haresources file the way ResourceManager normalises it
// (COMPAT §4.1) and refuses what stock heartbeat would silently misread;
// the groups that parsed are returned even when other lines have problems.
func Parse(r io.Reader, file string) ([]Group, diag.Problems) {
	var ps diag.Problems
	lines, ok := readLines(r, file, &ps)
	if !ok {
		return nil, ps
	}
	var groups []Group
	for i := 0; i < len(lines); i++ {
		first := i + 1
		text, ok := joinEntry(lines, &i, file, &ps)
		if !ok {
			continue
		}
		fields := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\t' })
		if len(fields) == 0 {
			continue
		}
		if g, ok := parseEntry(fields, lines[first-1], first, file, &ps); ok {
			groups = append(groups, g)
		}
	}
	ps = append(ps, checkKeys(groups, file)...)
	return groups, ps
}

// readLines reads the file's lines, refusing a file with a carriage return (COMPAT §4.1).
func readLines(r io.Reader, file string, ps *diag.Problems) ([]string, bool) {
	data, err := io.ReadAll(r)
	if err != nil {
		ps.Errorf(file, 0, "check that the file is readable", "cannot read: %v", err)
		return nil, false
	}
	if i := bytes.IndexByte(data, '\r'); i >= 0 {
		line := 1 + bytes.Count(data[:i], []byte{'\n'})
		// COMPAT §4.1: CRLF line endings break both stock parsers.
		ps.Errorf(file, line, "convert the file with dos2unix "+file,
			"carriage return (DOS line ending); heartbeat would take it as part of a resource name")
		return nil, false
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines, true
}

// joinEntry returns the entry starting at line *i with its comment cut and its
// backslash continuations joined, leaving *i on its last line; false means the
// entry was refused (a problem is recorded) and is skipped.
func joinEntry(lines []string, i *int, file string, ps *diag.Problems) (string, bool) {
	first := *i + 1
	raw := lines[*i]
	text, hadComment := cutComment(raw)
	// COMPAT §4.1: comments go first, so a backslash in a comment does
	// not continue the line for ResourceManager; heartbeat's own check
	// looks at the raw line's last character and would disagree.
	if hadComment && strings.Trim(text, " \t") != "" && strings.HasSuffix(text, `\`) != strings.HasSuffix(raw, `\`) {
		ps.Errorf(file, first, "move the comment to a line of its own and end this line with the backslash",
			"backslash and comment on one line: ResourceManager and heartbeat disagree on whether the next line continues this one")
		if strings.HasSuffix(text, `\`) && *i+1 < len(lines) {
			*i++ // ResourceManager's view: the next line belongs to this entry
		}
		skipContinuation(lines, i)
		return "", false
	}
	for strings.HasSuffix(text, `\`) {
		text = text[:len(text)-1]
		if *i+1 >= len(lines) {
			ps.Errorf(file, *i+1, "remove the backslash or add the line it should continue",
				"backslash continues the last line of the file; ResourceManager would keep it as a resource named \\")
			return "", false
		}
		*i++
		next := lines[*i]
		if strings.Contains(next, "#") {
			// Stock's sed strips comments only from an entry's first
			// physical line: the words after # become resources (golden
			// case comment_on_continuation).
			ps.Errorf(file, *i+1, "move the comment above the entry",
				"comment on a continuation line: ResourceManager would take its words as resources")
			skipContinuation(lines, i)
			return "", false
		}
		text += next // COMPAT §4.1: joined with no space inserted
	}
	return text, true
}

// parseEntry reads one entry's words, "node resource...", whose first physical line is firstLine; false means it is refused.
func parseEntry(fields []string, firstLine string, first int, file string, ps *diag.Problems) (Group, bool) {
	// heartbeat's own check (config.c parse_ha_resources) takes the first
	// word of the entry's first physical line, uncut by comments and
	// unjoined; where that differs from ResourceManager's node, stock
	// refuses to start or runs a different node's groups.
	if dw := strings.FieldsFunc(firstLine, isDaemonBlank); len(dw) > 0 && dw[0] != fields[0] {
		ps.Errorf(file, first, "write the node name whole on the entry's first line, followed by a blank",
			"node name %s: heartbeat's startup check reads the first word as %s", fields[0], dw[0])
		return Group{}, false
	}
	g := Group{Node: asciiLower(fields[0]), Line: first}
	if len(fields) == 1 {
		ps.Errorf(file, first, "list the group's resources after the node name, or delete the line",
			"node %s has no resources", fields[0])
		return Group{}, false
	}
	ok := true
	for _, tok := range fields[1:] {
		res, err := ParseResource(tok)
		if err != nil {
			te := err.(*TokenError)
			*ps = append(*ps, diag.Problem{File: file, Line: first, Severity: diag.Error,
				What: te.Error(), Hint: te.Hint})
			ok = false
			continue
		}
		if strings.Contains(tok, "::") && emptyArg(tok) {
			ps.Warnf(file, first, "remove the empty :: field (heartbeat drops it, shifting the arguments after it)",
				"resource %s has an empty argument", tok)
		}
		g.Resources = append(g.Resources, res)
	}
	return g, ok
}

// skipContinuation advances *i past the rest of the entry starting at lines[*i].
func skipContinuation(lines []string, i *int) {
	for strings.HasSuffix(lines[*i], `\`) && *i+1 < len(lines) {
		*i++
	}
}

// cutComment removes everything from the first '#' (COMPAT §4.1: no escaping).
func cutComment(s string) (string, bool) {
	if j := strings.IndexByte(s, '#'); j >= 0 {
		return s[:j], true
	}
	return s, false
}

// isDaemonBlank is heartbeat's WHITESPACE set for config files.
func isDaemonBlank(r rune) bool { return strings.ContainsRune(" \t\n\r\f\v", r) }

// asciiLower lower-cases ASCII letters only, as awk's tolower does in the C locale.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TokenError is a haresources token heartbeat would misread.
type TokenError struct {
	Token string
	What  string // what is wrong
	Hint  string // what to write instead
}

func (e *TokenError) Error() string { return "resource " + e.Token + ": " + e.What }

// ParseResource splits one haresources token into script name and arguments,
// applying the IP shorthand (COMPAT §4.1, §4.2).
func ParseResource(tok string) (Resource, error) {
	if IsIPShorthand(tok) {
		if strings.Contains(tok, "::") {
			// Stock would run IPaddr with only the text after the first ::
			// as its argument, dropping the address.
			return Resource{}, &TokenError{tok, "an IP address followed by :: is not an IPaddr argument list",
				"write IPaddr::" + tok[:strings.Index(tok, "::")] + " (fields separated by /)"}
		}
		return Resource{Token: tok, Name: "IPaddr", Args: []string{tok}}, nil
	}
	name, rest, has := strings.Cut(tok, "::")
	if name == "" {
		return Resource{}, &TokenError{tok, "no script name before ::", "write <script>::<argument>"}
	}
	if strings.Contains(name, ":") {
		// ResourceManager cuts the name at the first "::" but the arguments
		// after the first "[^:]*::", so a ':' in the name garbles both.
		return Resource{}, &TokenError{tok, "script name " + name + " contains ':'", "separate the name and each argument with ::"}
	}
	res := Resource{Token: tok, Name: name}
	if has {
		for _, a := range strings.Split(rest, "::") {
			if a != "" { // the shell's word splitting drops empty arguments
				res.Args = append(res.Args, a)
			}
		}
	}
	return res, nil
}

func emptyArg(tok string) bool {
	_, rest, _ := strings.Cut(tok, "::")
	for _, a := range strings.Split(rest, "::") {
		if a == "" {
			return true
		}
	}
	return false
}

// IsIPShorthand reports whether a token matches the shell pattern
// [0-9]*.[0-9]*.[0-9]*.[0-9]* that makes it an IPaddr resource (COMPAT §4.1).
func IsIPShorthand(tok string) bool {
	if tok == "" || !isDigit(tok[0]) {
		return false
	}
	// Three times "anything, a dot, a digit"; the earliest match of each
	// leaves the most room for the rest, so a greedy scan decides.
	i := 1
	for n := 0; n < 3; n++ {
		for {
			if i+1 >= len(tok) {
				return false
			}
			if tok[i] == '.' && isDigit(tok[i+1]) {
				i += 2
				break
			}
			i++
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// checkKeys refuses duplicate keys and keys that ResourceManager's line
// lookup would also find in another group (COMPAT §4.1, §12.11).
func checkKeys(groups []Group, file string) diag.Problems {
	var ps diag.Problems
	lineText := make([]string, len(groups))
	for i, g := range groups {
		lineText[i] = g.Text() + " " // stock's normalised lines end in a blank
	}
	firstByKey := map[string]int{}
	for i, g := range groups {
		key := g.Key()
		if j, dup := firstByKey[key]; dup {
			ps.Errorf(file, g.Line, fmt.Sprintf("the first resource of each line must be unique: put a distinct resource first here or merge the two groups (first used at line %d)", groups[j].Line),
				"key %s is already the key of the group at line %d; ResourceManager would start and stop both groups together", key, groups[j].Line)
			continue
		}
		firstByKey[key] = i
	}
	for i, g := range groups {
		key := g.Key()
		if firstByKey[key] != i {
			continue
		}
		matches := keyPattern(key)
		for j, h := range groups {
			if j == i || h.Key() == key {
				continue
			}
			if matches(lineText[j]) {
				ps.Errorf(file, g.Line, fmt.Sprintf("make the first resource at line %d unique, e.g. move %s later or out of line %d", g.Line, key, h.Line),
					"key %s of this group also matches the group at line %d (%s); ResourceManager finds groups by searching whole lines for \" %s \", so takegroup/givegroup %s would act on both", key, h.Line, h.Text(), key, key)
			}
		}
	}
	return ps
}

// keyPattern is ResourceManager's lookup " key " as an extended regular
// expression (egrep); a key that is not a valid Go regexp (or not UTF-8) is
// matched literally.
func keyPattern(key string) func(string) bool {
	lit := " " + key + " "
	if regexp.QuoteMeta(key) == key {
		return func(s string) bool { return strings.Contains(s, lit) }
	}
	if regexp.QuoteMeta(strings.ReplaceAll(key, ".", "")) == strings.ReplaceAll(key, ".", "") {
		return func(s string) bool { return dotMatch(s, lit) } // IP keys: "." is any character
	}
	if re, err := regexp.Compile(" " + key + " "); err == nil {
		return re.MatchString
	}
	return func(s string) bool { return strings.Contains(s, lit) }
}

// dotMatch reports whether pat, where '.' matches any byte, occurs in s.
// Lines never hold a newline, so this is egrep's meaning of '.' here.
func dotMatch(s, pat string) bool {
	for p := 0; p+len(pat) <= len(s); p++ {
		if s[p] != pat[0] {
			continue
		}
		i := 1
		for i < len(pat) && (pat[i] == '.' || pat[i] == s[p+i]) {
			i++
		}
		if i == len(pat) {
			return true
		}
	}
	return false
}

// CheckNodes is heartbeat's own startup check: every group's node must be a
// node of ha.cf, compared case-insensitively (COMPAT §4.1, §2.6).
func CheckNodes(groups []Group, nodes []string, file string) diag.Problems {
	var ps diag.Problems
	known := map[string]bool{}
	for _, n := range nodes {
		known[asciiLower(n)] = true
	}
	for _, g := range groups {
		if known[g.Node] {
			continue
		}
		p := diag.Problem{File: file, Line: g.Line, Severity: diag.Error,
			What: fmt.Sprintf("%s is not a node of ha.cf", g.Node),
			Hint: "the first word of a line must be one of the ha.cf nodes: " + strings.Join(nodes, ", ")}
		if len(nodes) == 0 {
			p.Hint = "declare the cluster's nodes in ha.cf with node lines"
		}
		if len(ps) == 0 { // heartbeat stops at the first bad line
			p.Stock = fmt.Sprintf("Bad nodename in %s [%s]", stockPath(file), g.Node)
		}
		ps = append(ps, p)
	}
	return ps
}

// stockPath renders a config path as heartbeat 3.0.6 builds it, with the
// doubled slash ("/etc/ha.d//haresources").
func stockPath(file string) string {
	j := strings.LastIndexByte(file, '/')
	if j < 0 {
		return file
	}
	return file[:j] + "//" + file[j+1:]
}

// Validate checks each resource's arguments with the agent's own parser,
// keyed by script name; names without a validator are not checked. An
// error with a Problem() (what, hint) method gives both parts itself.
func Validate(groups []Group, file string, validators map[string]func(args []string) error) diag.Problems {
	var ps diag.Problems
	for _, g := range groups {
		for _, r := range g.Resources {
			v := validators[r.Name]
			if v == nil {
				continue
			}
			if err := v(r.Args); err != nil {
				what, hint := err.Error(), ""
				if p, ok := err.(interface{ Problem() (string, string) }); ok {
					what, hint = p.Problem()
				}
				if hint == "" {
					hint = "write the arguments as " + r.Name + " expects them (COMPAT §6)"
				}
				ps = append(ps, diag.Problem{File: file, Line: g.Line, Severity: diag.Error,
					What: fmt.Sprintf("resource %s: %s", r.Token, what), Hint: hint})
			}
		}
	}
	return ps
}
