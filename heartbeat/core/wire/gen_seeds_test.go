package wire

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestGenSeeds rewrites the fuzz seed corpora from the golden captures when
// run with HBGO_GEN_SEEDS=1; otherwise it checks that they exist.
func TestGenSeeds(t *testing.T) {
	targets := []string{"FuzzParse", "FuzzDecode", "FuzzSerialSplit"}
	if os.Getenv("HBGO_GEN_SEEDS") == "" {
		for _, tg := range targets {
			if fs, _ := filepath.Glob(filepath.Join("testdata/fuzz", tg, "*")); len(fs) < 5 {
				t.Errorf("%s: only %d seeds; run HBGO_GEN_SEEDS=1 go test -run TestGenSeeds", tg, len(fs))
			}
		}
		return
	}
	var seeds [][]byte
	seen := map[string]bool{}
	for _, g := range udpGolden(t) {
		// One packet per scenario and message type.
		k := strings.SplitN(g.name, "/", 2)[0] + strings.SplitN(filepath.Base(g.name), "-", 2)[1]
		if !seen[k] {
			seen[k] = true
			seeds = append(seeds, g.data)
		}
	}
	frames := serialGolden(t)
	for i, g := range frames {
		if i%20 == 0 {
			seeds = append(seeds, g.data)
		}
	}
	seeds = append(seeds, MarshalClassic(nest(3)), MarshalNetstring(nest(3)))
	for _, tg := range []string{"FuzzParse", "FuzzDecode"} {
		write(t, tg, seeds)
	}
	stream := serialStream(t)
	write(t, "FuzzSerialSplit", [][]byte{
		stream[:2000], stream[1000:4000],
		[]byte("noise\r\n>>>\r\nt=a\r\n>>>\nt=\xe2\n<<<\n>>>\nx"),
		frames[0].data, frames[1].data,
	})
}

func write(t *testing.T, target string, seeds [][]byte) {
	dir := filepath.Join("testdata/fuzz", target)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range seeds {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%03d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
