package pcmkexport

import (
	"encoding/xml"
	"strconv"
)

// SchemaVersion is the CIB schema the export validates with (Pacemaker 2.1).
const SchemaVersion = "pacemaker-3.7"

type xCIB struct {
	XMLName      xml.Name `xml:"cib"`
	ValidateWith string   `xml:"validate-with,attr"`
	AdminEpoch   string   `xml:"admin_epoch,attr"`
	Epoch        string   `xml:"epoch,attr"`
	NumUpdates   string   `xml:"num_updates,attr"`
	Config       xConfig  `xml:"configuration"`
	Status       struct{} `xml:"status"`
}

type xConfig struct {
	CrmConfig   xCrmConfig   `xml:"crm_config"`
	Nodes       []xNode      `xml:"nodes>node"`
	Resources   xResources   `xml:"resources"`
	Constraints xConstraints `xml:"constraints"`
	RscDefaults *xMetaSet    `xml:"rsc_defaults>meta_attributes,omitempty"`
}

type xCrmConfig struct {
	Props xAttrSet `xml:"cluster_property_set"`
}

type xNode struct {
	ID    string `xml:"id,attr"`
	Uname string `xml:"uname,attr"`
}

type xNV struct {
	ID    string `xml:"id,attr"`
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xAttrSet struct {
	ID  string `xml:"id,attr"`
	NVs []xNV  `xml:"nvpair"`
}

type xMetaSet = xAttrSet

type xOp struct {
	ID       string `xml:"id,attr"`
	Name     string `xml:"name,attr"`
	Interval string `xml:"interval,attr"`
	Timeout  string `xml:"timeout,attr,omitempty"`
	Role     string `xml:"role,attr,omitempty"`
}

type xPrimitive struct {
	ID       string    `xml:"id,attr"`
	Class    string    `xml:"class,attr"`
	Provider string    `xml:"provider,attr,omitempty"`
	Type     string    `xml:"type,attr"`
	Params   *xAttrSet `xml:"instance_attributes,omitempty"`
	Ops      []xOp     `xml:"operations>op,omitempty"`
}

type xGroup struct {
	ID    string       `xml:"id,attr"`
	Prims []xPrimitive `xml:"primitive"`
}

type xClone struct {
	ID   string     `xml:"id,attr"`
	Meta *xMetaSet  `xml:"meta_attributes,omitempty"`
	Prim xPrimitive `xml:"primitive"`
}

type xResources struct {
	Stonith []xPrimitive `xml:"primitive"`
	Clones  []xClone     `xml:"clone"`
	Groups  []xGroup     `xml:"group"`
}

type xLocation struct {
	ID    string `xml:"id,attr"`
	Rsc   string `xml:"rsc,attr"`
	Node  string `xml:"node,attr,omitempty"`
	Score string `xml:"score,attr,omitempty"`
	Rule  *xRule `xml:"rule,omitempty"`
}

type xRule struct {
	ID             string `xml:"id,attr"`
	ScoreAttribute string `xml:"score-attribute,attr"`
	Expr           xExpr  `xml:"expression"`
}

type xExpr struct {
	ID        string `xml:"id,attr"`
	Attribute string `xml:"attribute,attr"`
	Operation string `xml:"operation,attr"`
}

type xColocation struct {
	ID          string `xml:"id,attr"`
	Rsc         string `xml:"rsc,attr"`
	WithRsc     string `xml:"with-rsc,attr"`
	WithRscRole string `xml:"with-rsc-role,attr"`
	Score       string `xml:"score,attr"`
}

type xOrder struct {
	ID          string `xml:"id,attr"`
	First       string `xml:"first,attr"`
	FirstAction string `xml:"first-action,attr"`
	Then        string `xml:"then,attr"`
	ThenAction  string `xml:"then-action,attr"`
	Kind        string `xml:"kind,attr"`
}

type xConstraints struct {
	Locations []xLocation   `xml:"rsc_location"`
	Colocs    []xColocation `xml:"rsc_colocation"`
	Orders    []xOrder      `xml:"rsc_order"`
}

func attrSet(id string, nvs []NV) *xAttrSet {
	if len(nvs) == 0 {
		return nil
	}
	s := &xAttrSet{ID: id}
	for _, nv := range nvs {
		s.NVs = append(s.NVs, xNV{ID: id + "-" + idSafe(nv.Name), Name: nv.Name, Value: nv.Value})
	}
	return s
}

func xPrim(p Primitive) xPrimitive {
	x := xPrimitive{ID: p.ID, Class: p.Class, Provider: p.Provider, Type: p.Type,
		Params: attrSet(p.ID+"-instance_attributes", p.Params)}
	for _, o := range p.Ops {
		id := p.ID + "-" + o.Name + "-interval-" + o.Interval
		if o.Role != "" {
			id += "-" + o.Role
		}
		x.Ops = append(x.Ops, xOp{ID: id, Name: o.Name, Interval: o.Interval, Timeout: o.Timeout, Role: o.Role})
	}
	return x
}

// CIB renders cib.xml.
func (m *Model) CIB() ([]byte, error) {
	c := xCIB{ValidateWith: SchemaVersion, AdminEpoch: "0", Epoch: "1", NumUpdates: "0"}
	cfg := &c.Config
	cfg.CrmConfig.Props = *attrSet("cib-bootstrap-options", m.Props)
	for i, n := range m.Nodes {
		cfg.Nodes = append(cfg.Nodes, xNode{ID: strconv.Itoa(i + 1), Uname: n})
	}
	for _, s := range m.Stonith {
		cfg.Resources.Stonith = append(cfg.Resources.Stonith, xPrim(s))
	}
	for _, p := range m.Promotable {
		cfg.Resources.Clones = append(cfg.Resources.Clones, xClone{ID: p.ID, Meta: attrSet(p.ID+"-meta_attributes", p.Meta), Prim: xPrim(p.Prim)})
	}
	for _, cl := range m.Clones {
		cfg.Resources.Clones = append(cfg.Resources.Clones, xClone{ID: cl.ID, Meta: attrSet(cl.ID+"-meta_attributes", cl.Meta), Prim: xPrim(cl.Prim)})
	}
	for _, g := range m.Groups {
		xg := xGroup{ID: g.ID}
		for _, p := range g.Prims {
			xg.Prims = append(xg.Prims, xPrim(p))
		}
		cfg.Resources.Groups = append(cfg.Resources.Groups, xg)
	}
	for _, l := range m.Locations {
		cfg.Constraints.Locations = append(cfg.Constraints.Locations, xLocation{ID: l.ID, Rsc: l.Rsc, Node: l.Node, Score: l.Score})
	}
	for _, r := range m.PingRules {
		cfg.Constraints.Locations = append(cfg.Constraints.Locations, xLocation{ID: r.ID, Rsc: r.Rsc,
			Rule: &xRule{ID: r.ID + "-rule", ScoreAttribute: PingAttr, Expr: xExpr{ID: r.ID + "-rule-expr", Attribute: PingAttr, Operation: "defined"}}})
	}
	for _, co := range m.Colocs {
		cfg.Constraints.Colocs = append(cfg.Constraints.Colocs, xColocation{ID: co.ID, Rsc: co.Rsc, WithRsc: co.WithRsc, WithRscRole: "Promoted", Score: "INFINITY"})
	}
	for _, o := range m.Orders {
		cfg.Constraints.Orders = append(cfg.Constraints.Orders, xOrder{ID: o.ID, First: o.First, FirstAction: "promote", Then: o.Then, ThenAction: "start", Kind: "Mandatory"})
	}
	cfg.RscDefaults = attrSet("rsc-options", m.RscMeta)
	out, err := xml.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
