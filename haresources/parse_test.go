package haresources

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hbgo/internal/diag"
)

const hr = "/etc/ha.d/haresources"

func TestParseAccepted(t *testing.T) {
	ip := func(tok string) Resource { return Resource{Token: tok, Name: "IPaddr", Args: []string{tok}} }
	tests := []struct {
		name string
		in   string
		want []Group
		warn diag.Problems
	}{
		{"plain", "node1 10.0.0.5 httpd\n", []Group{{Node: "node1", Line: 1, Resources: []Resource{ip("10.0.0.5"), {Token: "httpd", Name: "httpd"}}}}, nil},
		{"no final newline", "node1 a", []Group{{Node: "node1", Line: 1, Resources: []Resource{{Token: "a", Name: "a"}}}}, nil},
		{"node lower-cased, tabs and blanks folded, comments and blank lines dropped",
			"# head\n\n \t \nNODE1\t10.0.0.5\t\tIPaddr::10.0.0.6/24/eth0   httpd  # web\n   # indented\nNode2 drbddisk::r0\n",
			[]Group{
				{Node: "node1", Line: 4, Resources: []Resource{ip("10.0.0.5"), {Token: "IPaddr::10.0.0.6/24/eth0", Name: "IPaddr", Args: []string{"10.0.0.6/24/eth0"}}, {Token: "httpd", Name: "httpd"}}},
				{Node: "node2", Line: 6, Resources: []Resource{{Token: "drbddisk::r0", Name: "drbddisk", Args: []string{"r0"}}}},
			}, nil},
		{"comment inside a token cuts it", "node1 10.0.0.5#x httpd\n", []Group{{Node: "node1", Line: 1, Resources: []Resource{ip("10.0.0.5")}}}, nil},
		{"continuation with blanks reports its first line",
			"\nnode1 10.0.0.5 \\\n   httpd \\\n\tmysql\nnode2 b\n",
			[]Group{
				{Node: "node1", Line: 2, Resources: []Resource{ip("10.0.0.5"), {Token: "httpd", Name: "httpd"}, {Token: "mysql", Name: "mysql"}}},
				{Node: "node2", Line: 5, Resources: []Resource{{Token: "b", Name: "b"}}},
			}, nil},
		{"continuation without blanks glues tokens (COMPAT §4.1)", "node1 IPaddr::10.0.0.5\\\ntsvc\n",
			[]Group{{Node: "node1", Line: 1, Resources: []Resource{{Token: "IPaddr::10.0.0.5tsvc", Name: "IPaddr", Args: []string{"10.0.0.5tsvc"}}}}}, nil},
		{"backslash-only continuation line", "node2 a\\\n\\\nb\n",
			[]Group{{Node: "node2", Line: 1, Resources: []Resource{{Token: "ab", Name: "ab"}}}}, nil},
		{"whole-line comment ending in backslash does not continue", "# note \\\nnode1 a\n",
			[]Group{{Node: "node1", Line: 2, Resources: []Resource{{Token: "a", Name: "a"}}}}, nil},
		{"several groups per node", "node1 a\nnode1 b\nnode2 c\n", []Group{
			{Node: "node1", Line: 1, Resources: []Resource{{Token: "a", Name: "a"}}},
			{Node: "node1", Line: 2, Resources: []Resource{{Token: "b", Name: "b"}}},
			{Node: "node2", Line: 3, Resources: []Resource{{Token: "c", Name: "c"}}},
		}, nil},
		{"resource repeated after the key is fine", "node1 a x\nnode2 b x\n", []Group{
			{Node: "node1", Line: 1, Resources: []Resource{{Token: "a", Name: "a"}, {Token: "x", Name: "x"}}},
			{Node: "node2", Line: 2, Resources: []Resource{{Token: "b", Name: "b"}, {Token: "x", Name: "x"}}},
		}, nil},
		// Found by FuzzParse: a key that is not UTF-8 made the key lookup's regexp panic.
		{"key not valid UTF-8", "0 \x800\nnode2 b\n", []Group{
			{Node: "0", Line: 1, Resources: []Resource{{Token: "\x800", Name: "\x800"}}},
			{Node: "node2", Line: 2, Resources: []Resource{{Token: "b", Name: "b"}}},
		}, nil},
		{"empty argument dropped as the shell does, with a warning", "node1 Filesystem::/dev/sdb1::::ext4\n",
			[]Group{{Node: "node1", Line: 1, Resources: []Resource{{Token: "Filesystem::/dev/sdb1::::ext4", Name: "Filesystem", Args: []string{"/dev/sdb1", "ext4"}}}}},
			diag.Problems{{File: hr, Line: 1, Severity: diag.Warning, What: "resource Filesystem::/dev/sdb1::::ext4 has an empty argument", Hint: "remove the empty :: field (heartbeat drops it, shifting the arguments after it)"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ps := Parse(strings.NewReader(tc.in), hr)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.warn, ps); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRejected(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want diag.Problems
	}{
		{"CRLF", "node1 a\r\nnode2 b\r\n", diag.Problems{{File: hr, Line: 1, What: "carriage return (DOS line ending); heartbeat would take it as part of a resource name", Hint: "convert the file with dos2unix /etc/ha.d/haresources"}}},
		{"CRLF on a later line", "node1 a\nnode2 b\r\n", diag.Problems{{File: hr, Line: 2, What: "carriage return (DOS line ending); heartbeat would take it as part of a resource name", Hint: "convert the file with dos2unix /etc/ha.d/haresources"}}},
		{"node without resources", "node1\nnode2 x\n", diag.Problems{{File: hr, Line: 1, What: "node node1 has no resources", Hint: "list the group's resources after the node name, or delete the line"}}},
		{"node without resources after comment cut", "Node1 # a b\n", diag.Problems{{File: hr, Line: 1, What: "node Node1 has no resources", Hint: "list the group's resources after the node name, or delete the line"}}},
		{"backslash inside a comment", "node1 10.0.0.5 # note \\\nhttpd\nnode2 b\n", diag.Problems{{File: hr, Line: 1, What: "backslash and comment on one line: ResourceManager and heartbeat disagree on whether the next line continues this one", Hint: "move the comment to a line of its own and end this line with the backslash"}}},
		{"backslash before a comment", "node1 a \\# note\nb\n", diag.Problems{{File: hr, Line: 1, What: "backslash and comment on one line: ResourceManager and heartbeat disagree on whether the next line continues this one", Hint: "move the comment to a line of its own and end this line with the backslash"}}},
		{"comment on a continuation line", "node1 a \\\n  b # note\nnode2 c \\\n # only \\\n d\n", diag.Problems{
			{File: hr, Line: 2, What: "comment on a continuation line: ResourceManager would take its words as resources", Hint: "move the comment above the entry"},
			{File: hr, Line: 4, What: "comment on a continuation line: ResourceManager would take its words as resources", Hint: "move the comment above the entry"},
		}},
		{"node name cut by a comment", "node1#x a\n", diag.Problems{{File: hr, Line: 1, What: "node name node1: heartbeat's startup check reads the first word as node1#x", Hint: "write the node name whole on the entry's first line, followed by a blank"}}},
		{"node name glued across a continuation", "node\\\n1 a\n", diag.Problems{{File: hr, Line: 1, What: "node name node1: heartbeat's startup check reads the first word as node\\", Hint: "write the node name whole on the entry's first line, followed by a blank"}}},
		{"node name on a continuation line", " \\\nnode1 a\n", diag.Problems{{File: hr, Line: 1, What: "node name node1: heartbeat's startup check reads the first word as \\", Hint: "write the node name whole on the entry's first line, followed by a blank"}}},
		{"backslash at end of file", "node1 a \\\n", diag.Problems{{File: hr, Line: 1, What: "backslash continues the last line of the file; ResourceManager would keep it as a resource named \\", Hint: "remove the backslash or add the line it should continue"}}},
		{"IP shorthand with ::", "node1 10.0.0.5::eth0\n", diag.Problems{{File: hr, Line: 1, What: "resource 10.0.0.5::eth0: an IP address followed by :: is not an IPaddr argument list", Hint: "write IPaddr::10.0.0.5 (fields separated by /)"}}},
		{"empty script name", "node1 ::x\n", diag.Problems{{File: hr, Line: 1, What: "resource ::x: no script name before ::", Hint: "write <script>::<argument>"}}},
		{"colon in script name", "node1 a:b::c\n", diag.Problems{{File: hr, Line: 1, What: "resource a:b::c: script name a:b contains ':'", Hint: "separate the name and each argument with ::"}}},
		{"duplicate key", "node1 10.0.0.5\nnode2 10.0.0.5 httpd\n", diag.Problems{{File: hr, Line: 2,
			What: "key 10.0.0.5 is already the key of the group at line 1; ResourceManager would start and stop both groups together",
			Hint: "the first resource of each line must be unique: put a distinct resource first here or merge the two groups (first used at line 1)"}}},
		{"key inside another group", "node1 10.0.0.5 httpd\n\nnode2 mysql 10.0.0.5\n", diag.Problems{{File: hr, Line: 1,
			What: `key 10.0.0.5 of this group also matches the group at line 3 (node2 mysql 10.0.0.5); ResourceManager finds groups by searching whole lines for " 10.0.0.5 ", so takegroup/givegroup 10.0.0.5 would act on both`,
			Hint: "make the first resource at line 1 unique, e.g. move 10.0.0.5 later or out of line 3"}}},
		{"key matches as a regular expression (. is any character)", "node1 10.0.0.5\nnode2 b 10x0x0x5\n", diag.Problems{{File: hr, Line: 1,
			What: `key 10.0.0.5 of this group also matches the group at line 2 (node2 b 10x0x0x5); ResourceManager finds groups by searching whole lines for " 10.0.0.5 ", so takegroup/givegroup 10.0.0.5 would act on both`,
			Hint: "make the first resource at line 1 unique, e.g. move 10.0.0.5 later or out of line 2"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := Parse(strings.NewReader(tc.in), hr)
			if diff := cmp.Diff(tc.want, ps); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWorkedExamples is COMPAT §4.2's table.
func TestWorkedExamples(t *testing.T) {
	tests := []struct {
		tok  string
		name string
		args []string
	}{
		{"10.0.0.5", "IPaddr", []string{"10.0.0.5"}},
		{"IPaddr::10.0.0.5/24/eth0", "IPaddr", []string{"10.0.0.5/24/eth0"}},
		{"IPaddr2::10.0.0.5/24/eth0:vip", "IPaddr2", []string{"10.0.0.5/24/eth0:vip"}},
		{"Filesystem::/dev/drbd0::/srv::ext4::noatime", "Filesystem", []string{"/dev/drbd0", "/srv", "ext4", "noatime"}},
		{"drbddisk::r0", "drbddisk", []string{"r0"}},
		{"MailTo::root@x,ops@y::WebCluster", "MailTo", []string{"root@x,ops@y", "WebCluster"}},
		{"apache2", "apache2", nil},
		// COMPAT §4.1 shorthand edges.
		{"10.0.0.5/24/eth0/10.0.0.255", "IPaddr", []string{"10.0.0.5/24/eth0/10.0.0.255"}},
		{"1.2.3", "1.2.3", nil},
		{"fe80::1", "fe80", []string{"1"}},
		{"Filesystem::a:::b", "Filesystem", []string{"a", ":b"}},
	}
	for _, tc := range tests {
		got, err := ParseResource(tc.tok)
		if err != nil {
			t.Errorf("ParseResource(%q): %v", tc.tok, err)
			continue
		}
		want := Resource{Token: tc.tok, Name: tc.name, Args: tc.args}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseResource(%q) (-want +got):\n%s", tc.tok, diff)
		}
	}
}

func TestIsIPShorthand(t *testing.T) {
	tests := map[string]bool{
		"10.0.0.5": true, "10.0.0.5/24/eth0/10.0.0.255": true, "1.2.3.4": true,
		"1x.2y.3z.4": true, "1...2.3.4": true, "9a.1.1.1b": true,
		"1.2.3": false, "a1.2.3.4": false, "1.2.3.": false, "1.2.3.x": false,
		"::1": false, "fe80::1": false, "2001:db8::10": false, "": false, "1": false,
		"1.2..3": false, "IPaddr::10.0.0.5": false,
	}
	for tok, want := range tests {
		if got := IsIPShorthand(tok); got != want {
			t.Errorf("IsIPShorthand(%q) = %v, want %v", tok, got, want)
		}
	}
}

func TestCheckNodes(t *testing.T) {
	groups, ps := Parse(strings.NewReader("node1 a\nNodeZ b\nnode2 c\nother d\n"), hr)
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	got := CheckNodes(groups, []string{"Node1", "node2"}, hr)
	want := diag.Problems{
		{File: hr, Line: 2, What: "nodez is not a node of ha.cf", Hint: "the first word of a line must be one of the ha.cf nodes: Node1, node2", Stock: "Bad nodename in /etc/ha.d//haresources [nodez]"},
		{File: hr, Line: 4, What: "other is not a node of ha.cf", Hint: "the first word of a line must be one of the ha.cf nodes: Node1, node2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

type hintErr struct{ msg, hint string }

func (e hintErr) Error() string             { return e.msg }
func (e hintErr) Problem() (string, string) { return e.msg, e.hint }

func TestValidate(t *testing.T) {
	groups, ps := Parse(strings.NewReader("node1 10.0.0.5 Filesystem::/dev/sdb1 mysql\nnode2 IPaddr::10.0.0.6/99\n"), hr)
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	var seen [][]string
	validators := map[string]func([]string) error{
		"IPaddr": func(args []string) error {
			seen = append(seen, args)
			if strings.Contains(args[0], "/99") {
				return hintErr{"netmask 99 is more than 32 bits", "write a prefix length from 0 to 32"}
			}
			return nil
		},
		"Filesystem": func(args []string) error {
			if len(args) < 2 {
				return errorString("needs a device and a directory")
			}
			return nil
		},
	}
	got := Validate(groups, hr, validators)
	want := diag.Problems{
		{File: hr, Line: 1, What: "resource Filesystem::/dev/sdb1: needs a device and a directory", Hint: "write the arguments as Filesystem expects them (COMPAT §6)"},
		{File: hr, Line: 2, What: "resource IPaddr::10.0.0.6/99: netmask 99 is more than 32 bits", Hint: "write a prefix length from 0 to 32"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"10.0.0.5"}, {"10.0.0.6/99"}}, seen); diff != "" {
		t.Errorf("IPaddr validator arguments (-want +got):\n%s", diff)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestFormatRoundTrip(t *testing.T) {
	in := "# c\nNODE1 10.0.0.5 \\\n  httpd\nnode2\tFilesystem::/dev/drbd0::/srv::ext4 a\\ \n"
	groups, ps := Parse(strings.NewReader(in), hr)
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	text := Format(groups)
	if want := "node1 10.0.0.5 httpd\nnode2 Filesystem::/dev/drbd0::/srv::ext4 a\\ \n"; text != want {
		t.Errorf("Format = %q, want %q", text, want)
	}
	back, ps := Parse(strings.NewReader(text), hr)
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	if diff := cmp.Diff(withoutLines(groups), withoutLines(back)); diff != "" {
		t.Errorf("format-back (-want +got):\n%s", diff)
	}
}

func withoutLines(gs []Group) []Group {
	out := make([]Group, len(gs))
	for i, g := range gs {
		g.Line = 0
		out[i] = g
	}
	return out
}
