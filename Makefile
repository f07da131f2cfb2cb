# swarmlab: one entry point. See README.md.
#   make deps      install the Debian packages the project needs (as root)
#   make all       build the node library, the programs and the tests; installs nothing
#   make run       install what is missing, build and run scenarios/quickstart.yaml
#   make bench     the performance figures of docs/performance.md
#   make test      unit tests, posix tests and fuzz-corpus replays; SAN=1 for ASan+UBSan,
#                  ONLY=NAME for one of them (docs/testing.md)
#   make interop   swarmlab-node against js-libp2p (needs node and the npm registry)
#   make fuzz      run every libFuzzer target for FUZZ_SECONDS each (needs clang)
#   make install   the programs, the node library and its public headers; PREFIX=/usr/local DESTDIR=
#   make clean

PREFIX ?= /usr/local
DESTDIR ?=
SAN ?= 0
FUZZ_SECONDS ?= 30
ONLY ?=

DEB_PACKAGES := libsodium-dev libyaml-dev libcmocka-dev gnuplot-nox pkg-config \
  g++ libns3-dev libgsl-dev libsqlite3-dev parallel
# libns3-dev's pkg-config files name libgsl.so and libsqlite3.so by path:
# their -dev packages must be there for the ns-3 shim (sim/ns3) to link.
# parallel (GNU parallel): test_sweep runs a sweep's plan through it (docs/regression.md).
# libsqlite3-dev is also the daemon's encrypted block store (node/posix/store_db, docs/data.md).

CC ?= cc
CXX ?= g++
ifeq ($(SAN),1)
BUILD := build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD := build/release
SAN_FLAGS :=
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) $(SAN_FLAGS) -MMD -MP
# The project's only C++: the ns-3 shim, sim/ns3/ (ns-3 3.37 needs C++17).
CXXFLAGS ?= -O2 -g
ALL_CXXFLAGS := -std=c++17 -Wall -Wextra -Werror -Wshadow -Wvla $(CXXFLAGS) $(SAN_FLAGS) -MMD -MP
LDFLAGS += $(SAN_FLAGS)
INCLUDES := -Inode -Isim -Ianalysis -Itests/support

# The system libraries of each layer: the node needs libsodium, analysis
# libm, the world libyaml (scenarios) and libm (distributions), the daemon
# SQLite (its block store, node/posix/store_db.c). A program
# links those of the layers it is made of and no more.
NODE_LIBS := -lsodium
ANALYSIS_LIBS := -lm
SIM_LIBS := -lyaml -lm -pthread
SWARMLAB_LIBS := $(SIM_LIBS) $(NODE_LIBS)
DAEMON_LIBS := $(NODE_LIBS) -lsqlite3
# Each test links the archives of every layer and takes from them only the
# objects it calls; --as-needed likewise keeps only the shared libraries it
# calls, so that a test of the node alone does not depend on libyaml.
TEST_LIBS := -Wl,--as-needed -lcmocka $(SIM_LIBS) $(NODE_LIBS)
POSIX_TEST_LIBS := -Wl,--as-needed -lcmocka $(DAEMON_LIBS)
# The ns-3 modules the shim uses, and what they pull in (gsl, sqlite3).
# Only --libs: the .pc files' Cflags carry a stray "-I/usr;" and
# python's headers, and <ns3/...> is under /usr/include anyway.
NS3_MODULES := ns3-core ns3-network ns3-internet ns3-point-to-point ns3-traffic-control
NS3_LIBS = $(shell pkg-config --libs $(NS3_MODULES))

NODE_SRC := $(sort $(filter-out node/posix/%,$(wildcard node/*/*.c)))
NODE_OBJ := $(NODE_SRC:%.c=$(BUILD)/%.o)
NODE_LIB := $(BUILD)/libswarmlab-node.a

SIM_SRC := $(filter-out sim/lab/main.c,$(sort $(wildcard sim/*/*.c)))
NS3_SRC := $(sort $(wildcard sim/ns3/*.cc))
NS3_OBJ := $(NS3_SRC:%.cc=$(BUILD)/%.o)
NS3_LIB := $(BUILD)/libswarmlab-ns3.a
SIM_OBJ := $(SIM_SRC:%.c=$(BUILD)/%.o)
SIM_LIB := $(BUILD)/libswarmlab-sim.a
ANALYSIS_SRC := $(sort $(wildcard analysis/*.c))
ANALYSIS_OBJ := $(ANALYSIS_SRC:%.c=$(BUILD)/%.o)
ANALYSIS_LIB := $(BUILD)/libswarmlab-analysis.a
SWARMLAB_BIN := $(BUILD)/swarmlab
POSIX_SRC := $(filter-out node/posix/main.c,$(sort $(wildcard node/posix/*.c)))
POSIX_OBJ := $(POSIX_SRC:%.c=$(BUILD)/%.o)
POSIX_LIB := $(BUILD)/libswarmlab-posix.a
DAEMON_BIN := $(if $(wildcard node/posix/main.c),$(BUILD)/swarmlab-node)

SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))
SUPPORT_OBJ := $(SUPPORT_SRC:%.c=$(BUILD)/%.o)
SUPPORT_LIB := $(BUILD)/libswarmlab-test-support.a

# Every test program is built from tests/KIND/NAME.c into $(BUILD)/tests/KIND/NAME:
# cmocka tests in tests/unit (test_*) and tests/posix (test_*, against the
# daemon on real sockets), and the fuzz targets of tests/fuzz (fuzz_*) with a
# main() that replays their corpus. make test ONLY=NAME runs the one named NAME.
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
# The tests of the ns-3 shim link it and ns-3, with g++; the others stay C.
NS3_TEST_BIN := $(filter %/test_ns3,$(UNIT_BIN))
UNIT_C_BIN := $(filter-out $(NS3_TEST_BIN),$(UNIT_BIN))
POSIX_TEST_SRC := $(sort $(wildcard tests/posix/test_*.c))
POSIX_TEST_BIN := $(POSIX_TEST_SRC:%.c=$(BUILD)/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY_BIN := $(FUZZ_SRC:%.c=$(BUILD)/%)

# The same fuzz targets built with clang's libFuzzer for make fuzz, over a
# node library of their own (instrumented for coverage and sanitizers).
FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_NODE_OBJ := $(NODE_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_NODE_LIB := $(FUZZ_BUILD)/libswarmlab-node.a
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer-no-link,address,undefined -MMD -MP

# What make test runs, each by its name: the structural checks (the seam,
# the layers, the one-way files), then the programs.
TESTS := check-seam check-layers check-cycles $(UNIT_BIN) $(POSIX_TEST_BIN) $(FUZZ_REPLAY_BIN)
TEST_NAMES := $(notdir $(TESTS))
TESTS_RUN := $(if $(ONLY),$(foreach n,$(ONLY),$(filter $(n) %/$(n),$(TESTS))),$(TESTS))
ifneq ($(words $(TEST_NAMES)),$(words $(sort $(TEST_NAMES))))
$(error two test programs share a name: $(TEST_NAMES))
endif
ONLY_UNKNOWN := $(strip $(foreach n,$(ONLY),$(if $(filter $(n) %/$(n),$(TESTS)),,$(n))))

# The public headers: node.h and env.h, and what they include, in their
# folders under include/swarmlab/ so that their includes resolve there.
PUBLIC_HEADERS = $(sort $(filter node/%.h,$(shell $(CC) -Inode -MM node/core/node.h node/core/env.h)))


.PHONY: all deps run test bench interop fuzz regress rebaseline install clean
# Keep object files that only serve as intermediates, so nothing rebuilds twice.
.SECONDARY:

all: $(NODE_LIB) $(SIM_LIB) $(ANALYSIS_LIB) $(NS3_LIB) $(SWARMLAB_BIN) $(DAEMON_BIN) $(UNIT_BIN) $(POSIX_TEST_BIN) $(FUZZ_REPLAY_BIN)

# Installs the Debian packages once; skipped when they are all present.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "make deps: missing Debian packages:$$missing"; \
	    echo "make deps: run as root, or: sudo apt-get install --no-install-recommends$$missing"; \
	    exit 1; \
	  fi; \
	  echo "make deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# node/posix is the real-world runtime: it may call the OS, and sees only node/.
$(BUILD)/node/posix/%.o: node/posix/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Inode -c $< -o $@

# node/ sees only its own headers: the core knows nothing of the world.
$(BUILD)/node/%.o: node/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Inode -c $< -o $@

# The tests of the daemon see what the daemon sees, and tests/support.
$(BUILD)/tests/posix/%.o: tests/posix/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Inode -Itests/support -c $< -o $@

# A fuzz target sees only the node, as its libFuzzer build does.
$(BUILD)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Inode -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(INCLUDES) -c $< -o $@

# The ns-3 shim sees its own header and ns-3's.
$(BUILD)/sim/ns3/%.o: sim/ns3/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) -c $< -o $@

$(NODE_LIB): $(NODE_OBJ)
$(SIM_LIB): $(SIM_OBJ)
$(ANALYSIS_LIB): $(ANALYSIS_OBJ)
$(POSIX_LIB): $(POSIX_OBJ)
$(SUPPORT_LIB): $(SUPPORT_OBJ)
$(NS3_LIB): $(NS3_OBJ)
$(FUZZ_NODE_LIB): $(FUZZ_NODE_OBJ)
$(NODE_LIB) $(SIM_LIB) $(ANALYSIS_LIB) $(NS3_LIB) $(POSIX_LIB) $(SUPPORT_LIB) $(FUZZ_NODE_LIB):
	@rm -f $@
	ar rcs $@ $^

# The world runs over ns-3 with network.backend: ns3, so whatever links
# sim/world links the shim and ns-3, with g++ (--as-needed drops ns-3's
# libraries from a program that does not reach the world).
$(SWARMLAB_BIN): $(BUILD)/sim/lab/main.o $(SIM_LIB) $(ANALYSIS_LIB) $(NODE_LIB) $(NS3_LIB)
	$(CXX) $(LDFLAGS) $^ -o $@ -Wl,--as-needed $(SWARMLAB_LIBS) $(NS3_LIBS)

$(BUILD)/swarmlab-node: $(BUILD)/node/posix/main.o $(POSIX_LIB) $(NODE_LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(DAEMON_LIBS)

# Static pattern rules: a test program's name is its object's without .o.
$(UNIT_C_BIN): %: %.o $(SUPPORT_LIB) $(SIM_LIB) $(ANALYSIS_LIB) $(NODE_LIB) $(NS3_LIB)
	$(CXX) $(LDFLAGS) $^ -o $@ $(TEST_LIBS) $(NS3_LIBS)

$(NS3_TEST_BIN): %: %.o $(NS3_LIB)
	$(CXX) $(LDFLAGS) $^ -o $@ -Wl,--as-needed -lcmocka $(NS3_LIBS)

# They start $(BUILD)/swarmlab-node.
$(POSIX_TEST_BIN): %: %.o $(SUPPORT_LIB) $(POSIX_LIB) $(NODE_LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(POSIX_TEST_LIBS)

$(FUZZ_REPLAY_BIN): %: %.o $(BUILD)/tests/fuzz/replay_main.o $(NODE_LIB)
	$(CC) $(LDFLAGS) $(filter %.o,$^) $(filter %.a,$^) -o $@ $(NODE_LIBS)

# The store's record format is the daemon's (node/posix/store_format.c,
# pure: no OS, no SQLite), so its target links that one object too.
$(BUILD)/tests/fuzz/fuzz_store_record: $(BUILD)/node/posix/store_format.o
$(FUZZ_BUILD)/fuzz_store_record: $(FUZZ_BUILD)/node/posix/store_format.o

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -Inode -c $< -o $@

$(FUZZ_BIN): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/tests/fuzz/%.o $(FUZZ_NODE_LIB)
	clang -fsanitize=fuzzer,address,undefined $(filter %.o,$^) $(filter %.a,$^) -o $@ $(NODE_LIBS)


QUICKSTART_OUT := results/runs/quickstart-1

# The first run: 200 peers for a minute of virtual time, metrics and plots.
run: deps
	@$(MAKE) --no-print-directory $(SWARMLAB_BIN)
	$(SWARMLAB_BIN) run scenarios/quickstart.yaml --out $(QUICKSTART_OUT)
	@echo
	@echo "The plots are in $(QUICKSTART_OUT)/: latency_cdf.png, delivery.png, duplicates.png,"
	@echo "bandwidth.png and online.png (and .svg). Next: docs/scenarios.md to write your own scenario."


BENCH_BIN := $(BUILD)/swarmlab-bench
BENCH_SCENARIOS := scenarios/bench-floodsub-1000.yaml scenarios/bench-gossipsub-1000.yaml
BLOB_SCENARIO := scenarios/ethereum-blobs.yaml
# Issue 16's 10,000 peers: wall time below virtual time, at most 8 GiB.
SCALE_SCENARIO := scenarios/scale-10k.yaml
# 200 peers on builtin and on ns3 (docs/fidelity.md, "Cost"): ns3 needs a
# constant latency, so the quickstart's lognormal becomes its 40 ms median.
BACKENDS_BENCH_SCENARIO := scenarios/quickstart.yaml
BACKENDS_BENCH_SET := --set network.latency=40ms

$(BENCH_BIN): $(BUILD)/tests/bench/bench.o $(SIM_LIB) $(ANALYSIS_LIB) $(NODE_LIB) $(NS3_LIB)
	$(CXX) $(LDFLAGS) $^ -o $@ -Wl,--as-needed $(SWARMLAB_LIBS) $(NS3_LIBS)

LOOPBACK_BENCH_BIN := $(BUILD)/swarmlab-bench-loopback

$(LOOPBACK_BENCH_BIN): tests/bench/bench_loopback.c tests/posix/harness.h
	$(CC) $(ALL_CFLAGS) -Itests/posix $< -o $@ $(LDFLAGS)

# The daemon store's put and get rates (docs/data.md): node/posix and SQLite.
STORE_BENCH_BIN := $(BUILD)/swarmlab-bench-store

$(STORE_BENCH_BIN): $(BUILD)/tests/bench/bench_store.o $(POSIX_LIB) $(NODE_LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(DAEMON_LIBS)

# The figures of docs/performance.md. Each scenario runs in its own process,
# so that peak memory is that scenario's own.
bench: $(BENCH_BIN) $(LOOPBACK_BENCH_BIN) $(STORE_BENCH_BIN) $(DAEMON_BIN)
	@$(BENCH_BIN)
	@$(BENCH_BIN) --speedup $(BENCH_SCENARIOS)
	@for s in $(BENCH_SCENARIOS); do $(BENCH_BIN) --scenario-only --set network.transport=ideal $$s || exit 1; done
	@$(BENCH_BIN) --scenario-only $(BLOB_SCENARIO)
	@$(BENCH_BIN) --scale --threads 2 $(SCALE_SCENARIO)
	@$(BENCH_BIN) --backends $(BACKENDS_BENCH_SET) $(BACKENDS_BENCH_SCENARIO)
	@BUILD=$(BUILD) $(LOOPBACK_BENCH_BIN) swarmlab
	@BUILD=$(BUILD) $(LOOPBACK_BENCH_BIN) js
	@$(STORE_BENCH_BIN)

# Runs TESTS, or the ones ONLY names; the last line is the summary that CI counts.
test: all
	$(if $(ONLY_UNKNOWN),$(error make test: no test is named $(ONLY_UNKNOWN); the names are $(TEST_NAMES)))
	@BUILD=$(BUILD) sh tests/run-tests.sh $(TESTS_RUN)

# Talks to js-libp2p (installed from the npm registry into tests/interop/):
# both directions, Noise, yamux, identify, ping, floodsub, the chat protocol.
interop: $(DAEMON_BIN)
	@BUILD=$(BUILD) bash tests/interop/run.sh

# The regression suite: scenarios/regress/ in parallel processes, each run
# compared with its baseline in results/baselines/ (docs/regression.md).
regress: $(SWARMLAB_BIN)
	@BUILD=$(BUILD) bash tools/regress.sh

# After an intended change: the suite's runs become the baselines; their
# diff shows the change in review.
rebaseline: $(SWARMLAB_BIN)
	@BUILD=$(BUILD) bash tools/regress.sh --rebaseline

fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	  name=$$(basename $$f); work=$(FUZZ_BUILD)/corpus/$$name; mkdir -p $$work tests/fuzz/corpus/$$name; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS)s (new inputs go to $$work)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$work tests/fuzz/corpus/$$name || exit 1; \
	done

# A program against the node: cc -I$(PREFIX)/include/swarmlab app.c -lswarmlab-node -lsodium,
# with #include "core/node.h".
install: $(SWARMLAB_BIN) $(DAEMON_BIN) $(NODE_LIB)
	$(if $(filter %_internal.h,$(PUBLIC_HEADERS)),$(error make install: a public header includes $(filter %_internal.h,$(PUBLIC_HEADERS))))
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib
	install -m 755 $(SWARMLAB_BIN) $(DAEMON_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(NODE_LIB) $(DESTDIR)$(PREFIX)/lib/
	@for h in $(PUBLIC_HEADERS); do \
	  dir=$(DESTDIR)$(PREFIX)/include/swarmlab/$$(dirname $${h#node/}); \
	  echo "install -m 644 $$h $$dir/"; install -d $$dir && install -m 644 $$h $$dir/ || exit 1; \
	done

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
