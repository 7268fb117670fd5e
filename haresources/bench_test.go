package haresources

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse parses a 200-group file with continuations and comments.
func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&sb, "# group %d\nnode%d 10.0.%d.%d \\\n  Filesystem::/dev/drbd%d::/srv/%d::ext4 svc%d\n", i, i%2, i/250, i%250, i, i, i)
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, ps := Parse(strings.NewReader(text), hr); ps.HasErrors() {
			b.Fatal(ps)
		}
	}
}
