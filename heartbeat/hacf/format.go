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
	var b strings.Builder
	fmt.Fprintf(&b, "%-25s%-10s%s\n", "Directive", "Default", "Description")
	b.WriteString(strings.Repeat("-", 80) + "\n")
	for _, d := range Defaults() {
		fmt.Fprintf(&b, "%-25s%-10s%s\n", d.Directive, d.Default, d.Description)
	}
	return b.String()
}
