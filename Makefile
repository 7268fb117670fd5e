# hbgo: a Go re-implementation of Linux-HA Heartbeat v1.
# `make demo` and `make test` are the two commands a newcomer needs.

GO        ?= go
export PATH := $(PATH):/usr/local/go/bin
BIN       := bin/heartbeat
PKGS      := ./...
FUZZTIME  ?= 30s
DESTDIR   ?=
DIVERT    ?= auto

.PHONY: all build test test-short vet bench demo fuzz install uninstall interop soak clean deps

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN) ./cmd/heartbeat

deps:
	@sh .ci/deps

# The whole suite: unit, golden, fuzz seeds, namespace and interop tests.
# Root-only tests need root; as root, missing Debian packages are installed first.
test: deps build
	$(GO) vet $(PKGS)
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 14m $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

# hbgo side by side with stock heartbeat 3.0.6 (root): the shared harness's
# failover bench for stock+stock, hbgo+hbgo and stock+hbgo in one sitting,
# one table of medians and ratios with the goals met or missed, then the Go
# micro-benchmarks (codec, membership step, planner, agents). BENCH=quick
# (default: fast config, kill+standby+idle, 3 runs, 30 s idle, about 14
# minutes) or BENCH=full (both configs, all four variants, 5 runs, 60 s
# idle, about 25 minutes per pairing). Output in bench/results/DATE-MACHINE
# unless BENCH_FLAGS says -o DIR; bench/run.sh -h lists every flag.
BENCH       ?= quick
BENCH_FLAGS ?=
bench: build
	bash bench/run.sh -$(BENCH) -b $(BIN) -M $(BENCH_FLAGS)

# Interop tests only (stock heartbeat 3.0.6 as a peer), verbose, with the
# long variants make test leaves out (stock's real ipfail beside hbgo's).
interop: deps
	$(GO) test -count=1 -v -timeout 30m ./heartbeat/interop/
	HBGO_IPFAIL_MIXED=1 $(GO) test -count=1 -v -timeout 20m ./heartbeat/ipfailtest/

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
	  CGO_ENABLED=0 $(GO) test -count=1 -v -timeout 120m ./heartbeat/soak/
	HBX_TAKEOVER_ROUNDS=$(SOAK_ROUNDS) CGO_ENABLED=0 $(GO) test -count=3 -v -timeout 60m \
	  -run 'TestFaults|TestMixedStartFailure|TestMixedTakeoverThenStop|TestReload|TestNoResources' ./heartbeat/failover/ ./heartbeat/interop/

# Runs every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

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
install: build
	DESTDIR='$(DESTDIR)' BIN='$(BIN)' DIVERT='$(DIVERT)' sh dist/install.sh install

# Removes what install made and puts the diverted stock files back.
uninstall:
	DESTDIR='$(DESTDIR)' DIVERT='$(DIVERT)' sh dist/install.sh uninstall

clean:
	rm -rf bin
