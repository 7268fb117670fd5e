package haresources

import "strings"

// Format renders the group as one haresources line that parses back to it.
func (g Group) Format() string {
	s := g.Text()
	if strings.HasSuffix(s, `\`) {
		s += " " // a final backslash would continue the line (COMPAT §4.1)
	}
	return s + "\n"
}

// Format renders groups as a haresources file, one line per group in order.
func Format(groups []Group) string {
	var b strings.Builder
	for _, g := range groups {
		b.WriteString(g.Format())
	}
	return b.String()
}
