package timeline

import (
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hbgo/heartbeat/config/hacf"
	"hbgo/heartbeat/edge/hblog"
)

// Main runs `heartbeat log [-since TIME] [-dir DIR] [-journal FILE[,FILE]] [-deadtime D] [FILE...]` and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("heartbeat log", flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.String("since", "", "show incidents from this time: RFC 3339, \"2006-01-02 15:04\", \"15:04\" (today) or a duration ago (2h)")
	dir := fs.String("dir", hacf.DefaultDir, "configuration directory whose ha.cf names the default logfile")
	journal := fs.String("journal", hblog.DefaultJournalPath, "hbgo event journals for ms timings, comma-separated, one per node (each used when present, on the log it matches; \"\" = none)")
	deadtime := fs.Duration("deadtime", 0, "the cluster's deadtime, to date a dead node's last heartbeat (default: ha.cf's in -dir)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: heartbeat log [-since TIME] [-dir DIR] [-journal FILE[,FILE]] [-deadtime D] [FILE...]\n"+
			"Prints a failover timeline of the ha-log FILEs (default: ha.cf's logfile); give both nodes' logs (and journals) for the whole story.\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var from time.Time
	if *since != "" {
		t, err := ParseSince(*since, time.Now(), time.Local)
		if err != nil {
			fmt.Fprintf(stderr, "heartbeat log: %v\n", err)
			return 2
		}
		from = t
	}
	cfg, cfgErr := readHaCf(*dir)
	files := fs.Args()
	if len(files) == 0 {
		if cfgErr != nil {
			fmt.Fprintf(stderr, "heartbeat log: no log file given and %v\n", cfgErr)
			return 1
		}
		if cfg.Logfile == "" || cfg.Logfile == "/dev/null" {
			fmt.Fprintf(stderr, "heartbeat log: no log file given and %s sets no logfile; name the file to read\n", filepath.Join(*dir, "ha.cf"))
			return 1
		}
		files = []string{cfg.Logfile}
	}
	var opts Options
	if cfg != nil {
		opts.Deadtime = cfg.Deadtime
	}
	if *deadtime > 0 {
		opts.Deadtime = *deadtime
	}
	var sets [][]Record
	for _, f := range files {
		recs, err := readFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "heartbeat log: %v\n", err)
			return 1
		}
		sets = append(sets, recs)
	}
	// Each journal goes to the log of the node that wrote it, before the
	// logs are merged by time.
	var journals [][]hblog.Event
	if *journal != "" {
		for _, j := range strings.Split(*journal, ",") {
			evs, err := hblog.ReadJournal(j+".1", j)
			if err != nil {
				fmt.Fprintf(stderr, "heartbeat log: %v (timings in whole seconds)\n", err)
				continue
			}
			journals = append(journals, evs)
		}
	}
	sets, _ = AttachJournals(sets, journals)
	recs := Merge(sets...)
	incidents := Detect(recs)
	if !from.IsZero() {
		incidents = Since(incidents, from)
	}
	if err := WriteWith(stdout, incidents, files, opts); err != nil {
		fmt.Fprintf(stderr, "heartbeat log: %v\n", err)
		return 1
	}
	return 0
}

// readHaCf parses dir/ha.cf for the default logfile (COMPAT §8.1) and deadtime; problems other than a missing file do not matter here.
func readHaCf(dir string) (*hacf.Config, error) {
	p := filepath.Join(dir, "ha.cf")
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, _ := hacf.Parse(f, p)
	if cfg == nil {
		return nil, fmt.Errorf("%s: cannot be read", p)
	}
	return cfg, nil
}

// readFile reads one log, gunzipping `.gz` files; its mtime supplies syslog lines' year.
func readFile(name string) ([]Record, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer z.Close()
		r = z
	}
	return ReadLog(r, name, fi.ModTime(), time.Local)
}
