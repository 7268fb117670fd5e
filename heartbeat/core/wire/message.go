// Package wire holds heartbeat 3.0.6's message model and its two encodings (netstring and classic), byte-compatible with stock.
package wire

// FieldType is heartbeat's field type number; the numbers are part of the
// wire format (PROTOCOL §2).
type FieldType uint8

// Field types (PROTOCOL §2).
const (
	String       FieldType = 0 // FT_STRING: text, no NUL
	Binary       FieldType = 1 // FT_BINARY: raw bytes (srcuuid, destuuid)
	Struct       FieldType = 2 // FT_STRUCT: a nested message
	List         FieldType = 3 // FT_LIST: ordered list of strings
	Compressed   FieldType = 4 // FT_COMPRESS: compressed nested message
	Uncompressed FieldType = 5 // FT_UNCOMPRESS: in-memory form of Compressed
)

// Field is one name/value pair of a message, kept in wire order.
type Field struct {
	Name  string
	Type  FieldType
	Value []byte   // String, Binary, Compressed: the value bytes
	Sub   *Message // Struct, Uncompressed: the nested message
	List  []string // List: the elements
}

// Message is heartbeat's ordered list of fields; order matters for signing
// and duplicate names are legal (lookups return the first).
type Message struct {
	Fields []Field
}

// Field names used by heartbeat's control layer (PROTOCOL §5, §7).
const (
	FType     = "t"
	FSrc      = "src"
	FSrcUUID  = "srcuuid"
	FDest     = "dest"
	FDestUUID = "destuuid"
	FSeq      = "seq"
	FGen      = "hg"
	FTime     = "ts"
	FLoad     = "ld"
	FTTL      = "ttl"
	FAuth     = "auth"
)

// Get returns the first string field called name (stock's getters see only
// type-0 fields; a field of another type counts as absent).
func (m *Message) Get(name string) (string, bool) {
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.Name == name && f.Type == String {
			return string(f.Value), true
		}
	}
	return "", false
}

// Value returns the bytes of the first string field called name without
// copying them: they belong to the message, so read them, do not keep or
// change them (a Decoder's message is overwritten by its next Decode).
func (m *Message) Value(name string) ([]byte, bool) {
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.Name == name && f.Type == String {
			return f.Value, true
		}
	}
	return nil, false
}

// Str returns the first string field called name, or "" when absent.
func (m *Message) Str(name string) string {
	v, _ := m.Get(name)
	return v
}

// Bytes returns the value of the first binary field called name.
func (m *Message) Bytes(name string) ([]byte, bool) {
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.Name == name && f.Type == Binary {
			return f.Value, true
		}
	}
	return nil, false
}

// Type returns the message type (the t field).
func (m *Message) Type() string { return m.Str(FType) }

// TypeIs reports whether the message's type (its t field) is t, without
// the copy Type makes.
func (m *Message) TypeIs(t string) bool {
	v, ok := m.Value(FType)
	return ok && string(v) == t
}

// Add appends a string field.
func (m *Message) Add(name, value string) {
	m.Fields = append(m.Fields, Field{Name: name, Type: String, Value: []byte(value)})
}

// AddBytes appends a string field whose value is v itself, not a copy:
// v must not change while the message is in use.
func (m *Message) AddBytes(name string, v []byte) {
	m.Fields = append(m.Fields, Field{Name: name, Type: String, Value: v})
}

// AddBinary appends a binary field.
func (m *Message) AddBinary(name string, value []byte) {
	m.Fields = append(m.Fields, Field{Name: name, Type: Binary, Value: value})
}

// Set replaces the value of the first string field called name in place,
// or appends the field when there is none.
func (m *Message) Set(name, value string) {
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.Name == name && f.Type == String {
			f.Value = []byte(value)
			return
		}
	}
	m.Add(name, value)
}

// SetBytes is Set with a value the message takes as it is (see AddBytes).
func (m *Message) SetBytes(name string, v []byte) {
	for i := range m.Fields {
		f := &m.Fields[i]
		if f.Name == name && f.Type == String {
			f.Value = v
			return
		}
	}
	m.AddBytes(name, v)
}

// Has reports whether a field called name of any type exists.
func (m *Message) Has(name string) bool {
	for i := range m.Fields {
		if m.Fields[i].Name == name {
			return true
		}
	}
	return false
}

// Del removes every field called name.
func (m *Message) Del(name string) {
	out := m.Fields[:0]
	for _, f := range m.Fields {
		if f.Name != name {
			out = append(out, f)
		}
	}
	m.Fields = out
}

// Clone returns a deep copy.
func (m *Message) Clone() *Message {
	if m == nil {
		return nil
	}
	c := &Message{Fields: make([]Field, len(m.Fields))}
	for i, f := range m.Fields {
		c.Fields[i] = Field{Name: f.Name, Type: f.Type}
		if f.Value != nil {
			c.Fields[i].Value = append([]byte(nil), f.Value...)
		}
		if f.List != nil {
			c.Fields[i].List = append([]string(nil), f.List...)
		}
		c.Fields[i].Sub = f.Sub.Clone()
	}
	return c
}
