package ipaddr

import (
	"bufio"
	"context"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"

	"hbgo/resource.d/agent"
	"hbgo/resource.d/sendarp"
)

// stockLines reads testdata/stock/ha-log (stock wrappers' log, see the
// README there) as "tag: text", without the [pid].
func stockLines(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/stock/ha-log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^(.*)\[\d+\]:    (.*)$`)
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := re.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("unparsed stock line %q", sc.Text())
		}
		if m[2] == "INFO: " {
			continue // send_arp's empty stdout line, 2 s later; we run no send_arp
		}
		out = append(out, m[1]+": "+m[2])
	}
	return out
}

// TestNamespaceStockParity replays testdata/stock/run.sh's operations with
// the native agents (through agent.Legacy, as native.Native builds them) in
// an identical namespace and compares every log line with stock's.
func TestNamespaceStockParity(t *testing.T) {
	want := stockLines(t)
	l := newLab(t)
	ctx := context.Background()
	mk := func(kind Kind, arg string) agent.Agent {
		a, err := New(kind, []string{arg}, l.host)
		if err != nil {
			t.Fatal(err)
		}
		return agent.Legacy(a, l.logger, kind.String(), kind.String()+"_"+a.Spec.IP.String())
	}
	a100 := mk(IPaddr, "10.77.0.100")
	a150 := mk(IPaddr2, "10.77.0.150/24/eth0:vip")
	a101 := mk(IPaddr, "10.77.0.101/24/eth0")
	steps := []func() error{
		func() error { return a100.Start(ctx) },
		func() error { _, err := a100.Status(ctx); return err },
		func() error { return a150.Start(ctx) },
		func() error { return a101.Start(ctx) },
		func() error { time.Sleep(1200 * time.Millisecond); return nil }, // IPaddr2's sender is done, as in stock's 8 s pause
		func() error { return a100.Stop(ctx) },
		func() error { _, err := a100.Status(ctx); return err },
		func() error { return a150.Stop(ctx) },
		func() error { return a101.Stop(ctx) },
	}
	for i, s := range steps {
		if err := l.run(s); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	// Stock's lines for commands that never run here are not written; the
	// native agents write what they did instead (agent.DroppedLines,
	// agent.NativeLineFormats; documented in docs/MIGRATION.md).
	var stock, ours, native []string
	for _, w := range want {
		if _, text, _ := strings.Cut(w, ": "); !agent.Dropped(text) {
			stock = append(stock, w)
		}
	}
	for _, g := range l.logger.take() {
		if _, text, _ := strings.Cut(g, ": "); agent.NativeLine(text) {
			native = append(native, g)
		} else {
			ours = append(ours, g)
		}
	}
	if len(stock) != len(want)-5 {
		t.Errorf("%d stock lines dropped, want 5 (2 eval ifconfig, 1 send_arp, 2 ifconfig down)", len(want)-len(stock))
	}
	if diff := cmpLines(stock, ours); diff != "" {
		t.Errorf("log lines differ from stock (-stock +native)\n%s", diff)
	}
	if diff := cmpLines([]string{
		"IPaddr(IPaddr_10.77.0.100): INFO: added 10.77.0.100/24 to eth0:0 (netlink), 20 gratuitous ARPs",
		"IPaddr2(IPaddr2_10.77.0.150): INFO: added 10.77.0.150/24 to eth0:vip (netlink), 10 gratuitous ARPs",
		"IPaddr(IPaddr_10.77.0.101): INFO: added 10.77.0.101/24 to eth0:1 (netlink), 20 gratuitous ARPs",
		"IPaddr(IPaddr_10.77.0.100): INFO: removed 10.77.0.100/24 from eth0:0 (netlink)",
		"IPaddr2(IPaddr2_10.77.0.150): INFO: removed 10.77.0.150/24 from eth0:vip (netlink)",
		"IPaddr(IPaddr_10.77.0.101): INFO: removed 10.77.0.101/24 from eth0:1 (netlink)",
	}, native); diff != "" {
		t.Errorf("native agents' own lines (-want +got)\n%s", diff)
	}
}

// TestStockFrames checks our frames byte for byte against the gratuitous
// ARPs stock send_arp put on the wire (testdata/stock/capture.pcap), and the
// counts per address.
func TestStockFrames(t *testing.T) {
	f, err := os.Open("testdata/stock/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		ip netip.Addr
		op arp.Operation
	}
	count := map[key]int{}
	last := map[key]time.Time{}
	gaps := map[key][]time.Duration{}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		var fr ethernet.Frame
		if err := fr.UnmarshalBinary(data); err != nil {
			t.Fatal(err)
		}
		var p arp.Packet
		if err := p.UnmarshalBinary(fr.Payload); err != nil {
			t.Fatal(err)
		}
		req, rep, err := sendarp.Frames(fr.Source, p.SenderIP)
		if err != nil {
			t.Fatal(err)
		}
		ours := req
		if p.Operation == arp.OperationReply {
			ours = rep
		}
		if n := len(data); string(ours[:n]) != string(data) {
			t.Errorf("frame for %s op %v:\nstock %x\nours  %x", p.SenderIP, p.Operation, data, ours[:n])
		}
		k := key{p.SenderIP, p.Operation}
		count[k]++
		if !last[k].IsZero() {
			gaps[k] = append(gaps[k], ci.Timestamp.Sub(last[k]))
		}
		last[k] = ci.Timestamp
	}
	a := netip.MustParseAddr
	for k, want := range map[key]int{
		{a("10.77.0.100"), arp.OperationRequest}: IPaddrPairs, {a("10.77.0.100"), arp.OperationReply}: IPaddrPairs,
		{a("10.77.0.101"), arp.OperationRequest}: IPaddrPairs, {a("10.77.0.101"), arp.OperationReply}: IPaddrPairs,
		{a("10.77.0.150"), arp.OperationRequest}: IPaddr2Pairs, {a("10.77.0.150"), arp.OperationReply}: IPaddr2Pairs,
	} {
		if count[k] != want {
			t.Errorf("stock sent %d %v for %s, our constant says %d", count[k], k.op, k.ip, want)
		}
	}
	// Each form repeats at our pair period (stock: -i 500 / -i 200).
	for k, gs := range gaps {
		every := IPaddrEvery
		if k.ip == a("10.77.0.150") {
			every = IPaddr2Every
		}
		var sum time.Duration
		for _, g := range gs {
			sum += g
		}
		if mean := sum / time.Duration(len(gs)); mean < every*8/10 || mean > every*12/10 {
			t.Errorf("%s %v: stock period %v, ours %v", k.ip, k.op, mean, every)
		}
	}
}
