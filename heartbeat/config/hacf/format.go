package hacf

import (
	"fmt"
	"strings"
)

// Format writes an ha.cf that parses back to an equivalent Config: every
// applied directive in file order, one per line (option lists come out one
// value per line, `udp` as bcast); defaults stay implicit.
func (c *Config) Format() string {
	var b strings.Builder
	b.WriteString("# ha.cf written by hbgo\n")
	for _, d := range c.Directives {
		b.WriteString(d.Name)
		b.WriteByte(' ')
		b.WriteString(d.Value)
		b.WriteByte('\n')
	}
	return b.String()
}

// Default is one row of the `heartbeat -D` table.
type Default struct {
	Directive   string
	Default     string
	Description string
}

// Defaults returns the directives that have a built-in default, in stock's
// table order, as `heartbeat -D` prints them.
func Defaults() []Default {
	var out []Default
	for _, d := range directives {
		if d.def != "" {
			out = append(out, Default{Directive: d.name, Default: d.def, Description: d.explain})
		}
	}
	return out
}

// FormatDefaults renders Defaults as `heartbeat -D` prints it
// (testdata/stock/heartbeat-D.txt is stock's output).
func FormatDefaults() string {
	rows := Defaults()
	// Stock sizes the columns to the longest name, default and description
	// (headers included), two blanks apart (heartbeat/config.c
	// dump_default_config).
	lw, cw, rw := len("Directive"), len("Default"), len("Description")
	for _, d := range rows {
		lw, cw, rw = max(lw, len(d.Directive)), max(cw, len(d.Default)), max(rw, len(d.Description))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s  %-*s  %s\n", lw, "Directive", cw, "Default", "Description")
	// Stock's dashes string is 80 long and printed with the table width as
	// precision, so the rule never exceeds 80 columns.
	b.WriteString(strings.Repeat("-", min(80, lw+cw+rw+4)) + "\n")
	for _, d := range rows {
		fmt.Fprintf(&b, "%-*s  %-*s  %s\n", lw, d.Directive, cw, d.Default, d.Description)
	}
	return b.String()
}

// FormatDefaultsWiki renders Defaults as `heartbeat -DW` prints it, naming
// version in the header (testdata/stock/heartbeat-DW.txt is stock's output).
func FormatDefaultsWiki(version string) string {
	var b strings.Builder
	b.WriteString("##Put this output in the ha.cf/DefaultValues page\n")
	b.WriteString("The [wiki:ha.cf ha.cf] directives with default values are shown below - along with a brief description.\n")
	fmt.Fprintf(&b, "This was produced by {{{heartbeat -DW}}} ''# (version %s)''\n\n", version)
	b.WriteString("||''Directive''||''Default''||''Description''||\n")
	for _, d := range Defaults() {
		fmt.Fprintf(&b, "||[wiki:ha.cf/%sDirective %s]||%s||%s||\n", wikiName(d.Directive), d.Directive, d.Default, d.Description)
	}
	return b.String()
}

// wikiName is a directive's wiki page stem: underscores dropped, the first
// letter and each letter after an underscore upper-cased (conn_logd_time
// becomes ConnLogdTime).
func wikiName(name string) string {
	var b strings.Builder
	up := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_':
			up = true
			continue
		case up && c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		up = false
		b.WriteByte(c)
	}
	return b.String()
}
