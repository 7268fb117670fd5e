package pcmkexport

import (
	"fmt"
	"strings"
)

// shq quotes a word for sh when it needs it.
func shq(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func kv(nvs []NV, quote func(string) string) string {
	var parts []string
	for _, nv := range nvs {
		parts = append(parts, quote(nv.Name+"="+nv.Value))
	}
	return strings.Join(parts, " ")
}

func opWords(ops []Op, quote func(string) string) string {
	var b strings.Builder
	for _, o := range ops {
		b.WriteString(" op " + o.Name + " interval=" + o.Interval)
		if o.Timeout != "" {
			b.WriteString(" timeout=" + o.Timeout)
		}
		if o.Role != "" {
			b.WriteString(" role=" + o.Role)
		}
	}
	return b.String()
}

func space(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

// PcsScript renders pcs.sh: the configuration as `pcs -f` commands on a
// copy of the CIB, pushed at the end.
func (m *Model) PcsScript() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("#!/bin/sh\n")
	w("# pcs.sh written by `heartbeat export pacemaker`: the same configuration as\n")
	w("# cib.xml, step by step. Run it on one node of the running cluster; it edits\n")
	w("# a copy of the CIB and pushes it once at the end.\n")
	w("set -eu\n")
	w("f=${1:-hbgo-cib.xml}\n")
	w("pcs cluster cib \"$f\"\n")
	for _, p := range m.Props {
		if p.Name == "cluster-name" {
			continue // pcs cluster setup sets it
		}
		w("pcs -f \"$f\" property set %s\n", shq(p.Name+"="+p.Value))
	}
	w("pcs -f \"$f\" resource defaults update %s\n", kv(m.RscMeta, shq))
	for _, s := range m.Stonith {
		w("pcs -f \"$f\" stonith create %s %s%s%s\n", s.ID, s.Type, space(kv(s.Params, shq)), opWords(s.Ops, shq))
	}
	for _, p := range m.Promotable {
		pr := p.Prim
		w("pcs -f \"$f\" resource create %s %s%s%s promotable %s --force\n", pr.ID, pr.Agent(), space(kv(pr.Params, shq)), opWords(pr.Ops, shq),
			kv(withoutPromotable(p.Meta), shq))
		w("# pcs names the clone %s-clone\n", pr.ID)
	}
	for _, c := range m.Clones {
		pr := c.Prim
		w("pcs -f \"$f\" resource create %s %s%s%s clone\n", pr.ID, pr.Agent(), space(kv(pr.Params, shq)), opWords(pr.Ops, shq))
	}
	for _, g := range m.Groups {
		for _, p := range g.Prims {
			w("pcs -f \"$f\" resource create %s %s%s%s --group %s --force\n", p.ID, p.Agent(), space(kv(p.Params, shq)), opWords(p.Ops, shq), g.ID)
		}
	}
	for _, l := range m.Locations {
		if l.Score == "-INFINITY" {
			w("pcs -f \"$f\" constraint location %s avoids %s\n", l.Rsc, l.Node)
			continue
		}
		w("pcs -f \"$f\" constraint location %s prefers %s=%s\n", l.Rsc, l.Node, l.Score)
	}
	for _, r := range m.PingRules {
		w("pcs -f \"$f\" constraint location %s rule score-attribute=%s defined %s\n", r.Rsc, PingAttr, PingAttr)
	}
	for _, c := range m.Colocs {
		w("pcs -f \"$f\" constraint colocation add %s with Promoted %s INFINITY\n", c.Rsc, c.WithRsc)
	}
	for _, o := range m.Orders {
		w("pcs -f \"$f\" constraint order promote %s then start %s\n", o.First, o.Then)
	}
	w("pcs cluster cib-push \"$f\" --config\n")
	return b.String()
}

func withoutPromotable(nvs []NV) []NV {
	var out []NV
	for _, nv := range nvs {
		if nv.Name != "promotable" {
			out = append(out, nv)
		}
	}
	return out
}

// crmq quotes a crmsh value with double quotes when it holds a blank.
func crmq(s string) string {
	name, val, ok := strings.Cut(s, "=")
	if ok && strings.ContainsAny(val, " \t\"'") {
		return name + "=\"" + strings.ReplaceAll(val, "\"", "\\\"") + "\""
	}
	return s
}

func crmPrim(p Primitive) string {
	s := "primitive " + p.ID + " " + p.Agent()
	if len(p.Params) > 0 {
		s += " params " + kv(p.Params, crmq)
	}
	return s + opWords(p.Ops, crmq) + "\n"
}

// CrmScript renders crm.txt: crmsh configure commands for
// `crm configure load update crm.txt`.
func (m *Model) CrmScript() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# crm.txt written by `heartbeat export pacemaker`: the same configuration as\n")
	w("# cib.xml in crmsh syntax. Apply it with: crm configure load update crm.txt\n")
	for _, s := range m.Stonith {
		b.WriteString(crmPrim(s))
	}
	for _, p := range m.Promotable {
		b.WriteString(crmPrim(p.Prim))
		w("clone %s %s meta %s\n", p.ID, p.Prim.ID, kv(p.Meta, crmq))
	}
	for _, c := range m.Clones {
		b.WriteString(crmPrim(c.Prim))
		w("clone %s %s\n", c.ID, c.Prim.ID)
	}
	for _, g := range m.Groups {
		var ids []string
		for _, p := range g.Prims {
			b.WriteString(crmPrim(p))
			ids = append(ids, p.ID)
		}
		w("group %s %s\n", g.ID, strings.Join(ids, " "))
	}
	for _, l := range m.Locations {
		score := l.Score
		if score == "-INFINITY" {
			score = "-inf"
		}
		w("location %s %s %s: %s\n", l.ID, l.Rsc, score, l.Node)
	}
	for _, r := range m.PingRules {
		w("location %s %s rule %s: defined %s\n", r.ID, r.Rsc, PingAttr, PingAttr)
	}
	for _, c := range m.Colocs {
		w("colocation %s inf: %s %s:Promoted\n", c.ID, c.Rsc, c.WithRsc)
	}
	for _, o := range m.Orders {
		w("order %s Mandatory: %s:promote %s:start\n", o.ID, o.First, o.Then)
	}
	w("property cib-bootstrap-options: %s\n", kv(m.Props, crmq))
	w("rsc_defaults rsc-options: %s\n", kv(m.RscMeta, crmq))
	return b.String()
}
