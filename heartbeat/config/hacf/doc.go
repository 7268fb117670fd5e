// Package hacf reads ha.cf exactly as heartbeat 3.0.6 does, and hbgo's own hbgo.cf.
//
// # ha.cf
//
// Parse / ParseWith follow COMPAT §2: the lexical rules of §2.1 ('#' starts
// a comment anywhere, leading blanks skipped, CR or LF ends the line,
// case-sensitive directive names), the three parsing classes (option lists
// split on blanks and commas and applied once per value; whole-line
// directives stonith, stonith_host, apiauth, respawn, failfast; whole-line
// media ucast, ucast6, mcast, mcast6, ping_group), file-order effects
// (udpport is captured by the first bcast and the first ucast link, baud by
// each serial link; mcast has its own port), repetition (scalars: last wins;
// baud and watchdog twice are errors; apiauth twice for one client is an
// error), the `udp` alias, time values (cl_get_msec: `2`, `1.5`, `500ms`,
// `100us`; `1s` and `10 ms` are errors), booleans, and the defaults and
// derivations of PROTOCOL §10.2.
//
// Config keeps typed fields (durations as time.Duration) and, like stock,
// the raw text of every recorded directive in Params: what `cl_status
// hbparameter` prints and what Env exports as HA_<directive>. Derived
// defaults are stored as `<n>ms` (warntime → `5000ms`). Directives lists
// every applied directive in file order; Format writes it back.
//
// All problems of one file come back from one run, as diag.Problems with
// file:line (0 for whole-file problems), What, Hint and, where heartbeat has
// one, Stock: heartbeat's own log text. After a parse error stock logs
// `Heartbeat not started: configuration error.` and skips its later checks;
// hbgo still runs them so the admin sees everything at once.
//
// # Start-up log
//
// Config.StartupLog is the list of lines heartbeat 3.0.6 itself logs while
// reading the file (LevelError/LevelWarn/LevelInfo go to ha-log, LevelStderr
// is fprintf text on stderr), in stock's order, for log-diff fidelity: the
// `Logging daemon is disabled` lines, `Pacemaker support: …`, the three
// legacy auto_failback WARN lines, the initdead warning, nice_failback's
// ERROR lines, and the ERROR lines of refused values. The non-fatal ones are
// also reported as warning Problems with a hint. It stops before stock's
// verdict: the caller logs `Configuration validated. Starting heartbeat
// 3.0.6` or `Configuration error, heartbeat not started.` once authkeys and
// haresources are read too. Host-dependent stock lines (core dump advice,
// logd connection) are not produced here. The stock recordings under
// testdata/stock (made by record.sh) are the reference for all of this.
//
// The local-node check (`Current node [x] not in configuration!`) needs
// the node name, which Parse cannot learn: pass Options.LocalNode to get it
// in stock's order, or call CheckLocalNode / LocalNodeLog afterwards.
// LocalNode computes the name from nodeinfo or uname -n (COMPAT §2.6).
// CheckHost runs the checks stock makes against the machine (interfaces,
// serial devices, respawn users and commands, apiauth users and groups,
// /etc/services) through the Host interface; OSHost is the real one.
//
// What hbgo does not do is refused only when asked for: `crm` / `pacemaker`
// yes|on|respawn|minimal|manual|valgrind and `autojoin` other|any are
// errors (hbgo runs haresources clusters only); `crm no` and the other
// Pacemaker directives are accepted and recorded. `stonith` and
// `stonith_host` are recorded for the daemon, which drives them through
// stonith(8) (package heartbeat/edge/stonith).
//
// # Stricter than stock
//
// Each of these is marked `// hbgo:` in the code.
//
//   - An empty ucast, ucast6, mcast, mcast6 or ping_group line is an error;
//     stock 3.0.6 segfaults on it (testdata/stock/empty-values).
//   - A line longer than stock's 5 KB buffer is an error; stock would read
//     its tail as a separate directive.
//   - mcast port, ttl and loop must be whole numbers in range; stock reads
//     them with atoi and truncates to 8 or 16 bits (ttl 260 would be 4;
//     testdata/stock/mcast-ttl-260).
//   - mcast groups must be written as dotted quads (inet_addr also takes
//     forms such as 239.1).
//   - udpport above 65535 is an error (stock truncates it to 16 bits;
//     testdata/stock/udpport-70000).
//   - `env NAME` without '=' is an error (stock reads past the value;
//     testdata/stock/env-no-equals).
//   - A time value beyond 2^53 ms is an error (overflows stock's long).
//
// Lenient where stock is lenient, but with a warning: numbers stock reads
// with atoi (`hopfudge 3x`, `udpport 700abc`) keep stock's value; a node
// declared twice; a ucast line with several addresses (only the first is
// used); udpport after the first bcast/ucast line (those links keep the
// earlier port); baud after whole-line media; text after a CR or a NUL
// byte, which stock ignores (so a file with CR-only line ends is read as its
// first line alone). A CRLF file is fine, as in stock. In hbgo.cf, which
// stock never reads, such text is an error. Facility names are
// case-sensitive, as in stock (LOCAL0 is refused).
//
// # hbgo.cf
//
// /etc/ha.d/hbgo.cf is optional and holds hbgo's own settings, which must
// never go into ha.cf (a stock node must still read ha.cf during a
// migration). Same lexical rules as ha.cf; fields are separated by blanks;
// a repeated setting is a warning and the last one wins; an unknown
// directive is an error listing the valid ones.
//
//   - agent <Name> native|script — force how a resource agent runs: native
//     (hbgo's built-in Delay, Filesystem, IPaddr, IPaddr2, SendArp,
//     drbddisk) or script (the script under resource.d or init.d).
//   - resource_timeout start|stop|status <time> — opt-in timeout for that
//     operation; the default is none, as in stock (COMPAT §4.9). Time syntax
//     as in ha.cf.
//   - reboot_command /abs/path [args] — the command run instead of
//     `reboot -nf` when a stop fails for good; for tests only.
//   - journal <path> — machine-readable event journal
//     (default /var/lib/heartbeat/hbgo-journal).
//   - journal_size <bytes> — size limit of the journal (default 1048576).
//   - control_socket <path> — hbgo's control socket
//     (default /run/heartbeat/hbgo.sock).
//   - fast_start on|off — the peer runs hbgo too: end the 10 s RQSTDELAY
//     wait as soon as its resource state is known (default off: stock's
//     fixed wait, required while the peer runs stock heartbeat; set it on
//     both nodes once both are converted).
//   - stop_retries <n> — stop attempts before the node reboots itself,
//     stock's HA_STOPRETRYMAX (default 10, 1..1000).
//   - logformat text|json — the shape of logfile, debugfile and stderr
//     lines: heartbeat's (default) or one JSON object per line with the
//     event journal's fields, for journald and Loki; syslog keeps
//     heartbeat's shape.
//   - metrics_textfile <path> — write the Prometheus metrics there for
//     node_exporter's textfile collector, atomically, within a second of
//     a change; when only the heartbeat ages changed, every 10 s (default:
//     none).
//   - metrics_listen <ip:port> — serve the metrics over HTTP (default off);
//     a non-loopback address is refused unless metrics_listen_any on.
//   - metrics_listen_any on|off — allow metrics_listen on a non-loopback
//     address (default off).
package hacf
