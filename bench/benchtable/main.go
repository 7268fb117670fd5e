// Command benchtable turns the RUN lines of failover-bench.sh results into one table of medians per pairing, with the ratios hbgo / stock and the goals met or missed.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "", "also write the table to this file")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: benchtable [-o summary.md] results.txt...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
		os.Exit(1)
	}
}

func run(out string, files []string) error {
	var all []Run
	failed := 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		runs, nf, err := ParseResults(f, name)
		f.Close()
		if err != nil {
			return err
		}
		all = append(all, runs...)
		failed += nf
	}
	if len(all) == 0 {
		return fmt.Errorf("no RUN lines in %v", files)
	}
	var b bytes.Buffer
	NewSet(all, failed).Render(&b)
	os.Stdout.Write(b.Bytes())
	if out != "" {
		if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing the table: %w", err)
		}
	}
	return nil
}
