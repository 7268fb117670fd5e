package status

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"hbgo/haresources"
	"hbgo/heartbeat/config/hacf"
)

// ConfigField is the status-message field in which an hbgo node sends its
// ConfigHash. Stock heartbeat 3.0.6 ignores fields it does not know
// (docs/PROTOCOL.md; recorded by heartbeat/e2e/interop TestMixedConfigHashField).
const ConfigField = "hbgocf"

// ConfigParts name, in order, the parts of the configuration both nodes
// must agree on.
var ConfigParts = []string{"nodes", "timings", "media", "auto_failback", "haresources"}

// hashVersion prefixes the field so a later encoding can be told apart.
const hashVersion = "1"

// ConfigHash returns the field value an hbgo node sends: the version, then
// one short hash per ConfigParts entry, of the normalised settings that
// must match on both nodes. What legitimately differs between the nodes
// (interface names, ucast peer addresses, serial devices, comments, layout)
// is left out.
func ConfigHash(cf *hacf.Config, groups []haresources.Group) string {
	parts := normalised(cf, groups)
	out := []string{hashVersion}
	for _, p := range parts {
		h := sha256.Sum256([]byte(p))
		out = append(out, hex.EncodeToString(h[:4]))
	}
	return strings.Join(out, ".")
}

// normalised returns the text each part's hash is taken of.
func normalised(cf *hacf.Config, groups []haresources.Group) []string {
	nodes := append([]string(nil), cf.Nodes...)
	for i := range nodes {
		nodes[i] = strings.ToLower(nodes[i])
	}
	sort.Strings(nodes)
	timings := fmt.Sprintf("keepalive=%d deadtime=%d warntime=%d initdead=%d",
		cf.Keepalive.Milliseconds(), cf.Deadtime.Milliseconds(), cf.Warntime.Milliseconds(), cf.Initdead.Milliseconds())
	var media []string
	for _, m := range cf.Media {
		switch m.Type {
		case hacf.MediumSerial:
			media = append(media, fmt.Sprintf("serial baud=%d", m.Baud))
		case hacf.MediumMcast, hacf.MediumMcast6:
			media = append(media, fmt.Sprintf("%s %s port=%d", m.Type, m.Group, m.Port))
		case hacf.MediumBcast, hacf.MediumUcast, hacf.MediumUcast6:
			media = append(media, fmt.Sprintf("%s port=%d", m.Type, m.Port))
		}
	}
	sort.Strings(media)
	media = compact(media)
	var hr []string
	for _, g := range groups {
		hr = append(hr, strings.ToLower(g.Node)+" "+strings.Join(tokens(g), " "))
	}
	return []string{strings.Join(nodes, " "), timings, strings.Join(media, "\n"), cf.AutoFailback.String(), strings.Join(hr, "\n")}
}

func tokens(g haresources.Group) []string {
	t := make([]string, len(g.Resources))
	for i, r := range g.Resources {
		t[i] = r.Token
	}
	return t
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// CompareConfig compares our ConfigHash with the one the peer sent ("" when
// its status messages carry none: a stock peer, or none heard yet). It
// returns match, mismatch with the parts that differ, or unknown.
func CompareConfig(ours, peers string) PeerConfig {
	if peers == "" {
		return PeerConfig{State: ConfigUnknown}
	}
	a, b := strings.Split(ours, "."), strings.Split(peers, ".")
	if len(a) != len(ConfigParts)+1 || len(b) != len(ConfigParts)+1 || a[0] != b[0] {
		// Another encoding (a newer hbgo): not comparable, not a mismatch.
		return PeerConfig{State: ConfigUnknown}
	}
	var diff []string
	for i, p := range ConfigParts {
		if a[i+1] != b[i+1] {
			diff = append(diff, p)
		}
	}
	if len(diff) > 0 {
		return PeerConfig{State: ConfigMismatch, Parts: diff}
	}
	return PeerConfig{State: ConfigMatch}
}

// VersionField is the status-message field in which an hbgo node sends its
// own version (internal/version), beside ConfigField; stock ignores it as
// it ignores ConfigField.
const VersionField = "hbgov"

// maxVersion bounds the version shown from a peer's field.
const maxVersion = 64

// PeerSoftware is what status shows as a peer's software, from its status
// messages: "hbgo VERSION" when they carry VersionField, "hbgo" when they
// carry only ConfigField (an hbgo older than VersionField), and
// "heartbeat (stock)" when they carry neither: no field of stock's status
// messages names its release, so hbgo does not guess one. "" when no
// status message was heard. The version is shown only in its safe
// characters (letters, digits, ".+-_~") and cut to 64 of them.
func PeerSoftware(version, hash string, heard bool) string {
	switch {
	case version != "":
		v := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(".+-_~", r):
				return r
			}
			return -1
		}, version)
		if len(v) > maxVersion {
			v = v[:maxVersion]
		}
		if v == "" {
			return "hbgo"
		}
		return "hbgo " + v
	case hash != "":
		return "hbgo"
	case heard:
		return "heartbeat (stock)"
	}
	return ""
}
