# hbgo: a Go re-implementation of Linux-HA Heartbeat v1.
# `make demo` and `make test` are the two commands a newcomer needs.

GO        ?= go
export PATH := $(PATH):/usr/local/go/bin
BIN       := bin/heartbeat
PKGS      := ./...
FUZZTIME  ?= 30s
DESTDIR   ?=
DIVERT    ?= auto
# hbgo's version (dist/version.sh: the git tag, or the commit): the package's
# version and the second half of `heartbeat -V`.
VERSION   ?= $(shell sh dist/version.sh)
GEN       := bin/gen
DEB       := dist/hbgo_$(VERSION)_amd64.deb

.PHONY: all build gen deb lintian package-test test test-loaded race test-short vet bench demo fuzz fuzz-short install uninstall interop soak clean deps

all: build

# heartbeat -V and ha-log's banner name the build: VERSION and the commit.
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
LDFLAGS   := -s -w -X hbgo/internal/version.Version=$(VERSION) -X hbgo/internal/version.Commit=$(COMMIT)

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o $(BIN) ./cmd/heartbeat

# Man pages (docs/man/*.md, rendered with go-md2man) and the changelog, for
# the package and make install.
gen:
	GO=$(GO) sh dist/gen.sh $(GEN) $(VERSION)

# The Debian package that replaces heartbeat: dist/hbgo_VERSION_amd64.deb,
# built by nfpm (a Go tool dependency) from dist/files.list, the list make
# install uses too. dist/README.md says what is in it.
deb: build gen
	sh dist/nfpm.sh '$(VERSION)' $(BIN) $(GEN) >bin/nfpm.yaml
	rm -f dist/hbgo_*_amd64.deb
	$(GO) tool nfpm package -f bin/nfpm.yaml -p deb -t $(DEB)

# Debian's checks on the package; dist/README.md lists what remains and why.
lintian: deb
	lintian --fail-on error $(DEB)

# Installs the package over stock heartbeat 3.0.6 in a throwaway Debian 12
# root made by mmdebstrap (root; cached in /var/cache/hbgo-test), and back.
package-test: deps deb
	HBGO_DEB=$(CURDIR)/$(DEB) CGO_ENABLED=0 $(GO) test -count=1 -v -timeout 30m -run 'TestPackage' ./heartbeat/e2e/install/

deps:
	@sh .ci/deps

# The whole suite: unit, golden, fuzz seeds, namespace and interop tests.
# Root-only tests need root; as root, missing Debian packages are installed first.
test: deps build
	$(GO) vet $(PKGS)
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 14m $(PKGS)

# The suite beside a CPU hog on every core: waits must scale with the
# configured timings, so a busy machine (CI's two shared cores) passes too.
test-loaded: deps build
	sh .ci/loaded $(MAKE) test

# The race detector over the packages that run goroutines (and their
# callers' in-process tests); it needs cgo, so gcc (.ci/deps installs it).
RACE_PKGS ?= ./heartbeat/daemon/... ./heartbeat/edge/control/... ./heartbeat/edge/hblog/... ./heartbeat/edge/media/... \
	./heartbeat/edge/respawn/... ./heartbeat/edge/watchdog/... ./resource.d/script/... ./resource.d/sendarp/... \
	./haresources/executor/... ./cmd/heartbeat/... ./internal/sched/... ./resource.d/watch/... ./heartbeat/status/...
# Then the hbgo-pair namespace tests with race-built daemons (root): a race
# report from any node fails the target.
RACE_LOG ?= /tmp/hbgo-race
race: deps
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 14m $(RACE_PKGS)
	rm -rf $(RACE_LOG) && mkdir -p $(RACE_LOG)
	HBGO_RACE=1 GORACE="log_path=$(RACE_LOG)/report" CGO_ENABLED=0 $(GO) test -count=1 -timeout 14m \
	  -run 'TestHbgoPairFailover|TestFaults|TestHbgoPair$$' ./heartbeat/e2e/interop/ ./heartbeat/e2e/failover/ ./heartbeat/e2e/ipfail/
	@if ls $(RACE_LOG)/report.* >/dev/null 2>&1; then cat $(RACE_LOG)/report.*; echo "make race: the daemons raced (reports above)"; exit 1; fi
	@echo "make race: no data race reported"

test-short:
	$(GO) test -short -count=1 $(PKGS)

# hbgo side by side with stock heartbeat 3.0.6 (root): the shared harness's
# failover bench for stock+stock, hbgo+hbgo and stock+hbgo in one sitting,
# one table of medians and ratios with the goals met or missed, then the Go
# micro-benchmarks (codec, membership step, planner, agents). BENCH=quick
# (default: fast config, kill+standby+idle, 3 runs, 30 s idle, about 17
# minutes) or BENCH=full (both configs, all four variants, 5 runs, 60 s
# idle, about 25 minutes per pairing) or BENCH=monitor (only the monitor
# rows beside keepalived 2.2.7: kill -> VIP at keepalived's timing, VIP
# deleted -> back, service killed -> served again; no micro-benchmarks;
# about 15 minutes). Output in bench/results/DATE-MACHINE unless
# BENCH_FLAGS says -o DIR; bench/run.sh -h lists every flag.
BENCH       ?= quick
BENCH_FLAGS ?=
bench: build
	bash bench/run.sh -$(BENCH) -b $(BIN) $(if $(filter monitor,$(BENCH)),,-M) $(BENCH_FLAGS)

# Interop tests only (stock heartbeat 3.0.6 as a peer), verbose, with the
# long variants make test leaves out (stock's real ipfail beside hbgo's),
# and the exported configuration on live Corosync+Pacemaker nodes: kill ->
# VIP with both tokens, and the hbgo -> Pacemaker handover of MIGRATION.md.
interop: deps
	$(GO) test -count=1 -v -timeout 30m ./heartbeat/e2e/interop/
	HBGO_IPFAIL_MIXED=1 $(GO) test -count=1 -v -timeout 20m ./heartbeat/e2e/ipfail/
	HBGO_PCMK_LIVE=full $(GO) test -count=1 -v -timeout 20m -run 'TestLive|TestScriptsMatchCIB' ./heartbeat/command/pcmkexport/

# Long fault soaks (root): a flood of bad datagrams at one hbgo node of an
# hbgo+hbgo and a stock+hbgo cluster (and at the stock node, logged), then
# SOAK_CYCLES cycles of crash, cut+heal, hb_standby, hb_takeover and
# stop+start on each cluster with the classic group; prints cycles,
# failures and outage min/median/max per cycle kind. `make test` runs the
# same test with 5 cycles and a 3 s flood. Then the failing-resource faults
# (start and stop failures, fencing by reboot in a PID namespace, hangs, a
# daemon killed mid-group) and the run-time config changes three times each,
# and hb_takeover-then-stop against a stock node for SOAK_ROUNDS rounds.
# The replay soak (TestReplaySoak) records SOAK_REPLAY_RECORD of an
# hbgo+hbgo cluster's traffic with tcpdump through a standby, a takeover
# and a failback, crashes node1 and replays node1's datagrams at node2 at
# 10x and at full rate, with node2 running and again restarted: node2 must
# keep the group, log each drop reason at most once a minute and send
# nothing extra (figures: bench/results/replay-*/README.md).
SOAK_CYCLES ?= 100
SOAK_FLOOD  ?= 30s
SOAK_ROUNDS ?= 10
SOAK_REPLAY_RECORD ?= 60s
soak: deps
	HBGO_SOAK_CYCLES=$(SOAK_CYCLES) HBGO_SOAK_FLOOD=$(SOAK_FLOOD) HBGO_SOAK_STOCK_FLOOD=1 HBGO_SOAK_RSS_LIMIT_KB=1024 \
	  HBGO_SOAK_REPLAY=1 HBGO_SOAK_REPLAY_RECORD=$(SOAK_REPLAY_RECORD) \
	  CGO_ENABLED=0 $(GO) test -count=1 -v -timeout 120m ./heartbeat/e2e/soak/
	HBX_TAKEOVER_ROUNDS=$(SOAK_ROUNDS) CGO_ENABLED=0 $(GO) test -count=3 -v -timeout 60m \
	  -run 'TestFaults|TestMixedStartFailure|TestMixedTakeoverThenStop|TestReload|TestNoResources' ./heartbeat/e2e/failover/ ./heartbeat/e2e/interop/

# Runs every fuzz target for FUZZTIME each, all of them even after a
# failure, and lists the failing ones at the end. fuzz-short is the few
# seconds per target that CI runs (.ci/run), so a parser regression is
# caught at submission.
fuzz:
	GO=$(GO) sh .ci/fuzz $(FUZZTIME) $(PKGS)

FUZZSHORT ?= 3s
fuzz-short:
	GO=$(GO) sh .ci/fuzz $(FUZZSHORT) $(PKGS)

# The two-node failover demo (root): node1, node2 and a client in network
# namespaces run the classic DRBD pair of ha.d-examples with fast timings;
# node1 crashes and node2's takeover timeline is printed. Everything is
# removed afterwards, also on Ctrl-C. DEMO_FLAGS passes flags (-h lists them).
DEMO_BIN   := bin/hbgo-demo
DEMO_FLAGS ?=
# Checked when the rule is read, so a non-root `make demo` stops before
# building anything.
DEMO_ROOT  := $(if $(filter demo,$(MAKECMDGOALS)),$(if $(filter 0,$(shell id -u)),,$(error make demo needs root (network namespaces, a loop device, mounts): run sudo make demo)))
demo: $(DEMO_ROOT) deps build
	CGO_ENABLED=0 $(GO) build -trimpath -o $(DEMO_BIN) ./cmd/hbgo-demo
	./$(DEMO_BIN) -heartbeat $(BIN) $(DEMO_FLAGS)

# Installs where Debian's heartbeat lives, moving the package's files aside
# with dpkg-divert when DESTDIR is empty (docs/MIGRATION.md, dist/install.sh).
install: build gen
	DESTDIR='$(DESTDIR)' BIN='$(BIN)' GEN='$(GEN)' DIVERT='$(DIVERT)' sh dist/install.sh install

# Removes what install made and puts the diverted stock files back.
uninstall:
	DESTDIR='$(DESTDIR)' DIVERT='$(DIVERT)' sh dist/install.sh uninstall

clean:
	rm -rf bin dist/hbgo_*_amd64.deb
