# swarmlab: one entry point. See README.md.
#   make deps      install the Debian packages the project needs
#   make all       build the node library, tools and tests
#   make run       build and run scenarios/quickstart.yaml (see README.md)
#   make bench     the performance figures of docs/performance.md
#   make test      unit tests and fuzz-corpus replays; SAN=1 for ASan+UBSan
#   make interop   swarmlab-node against js-libp2p (needs node and the npm registry)
#   make fuzz      run every libFuzzer target for FUZZ_SECONDS each
#   make install   PREFIX=/usr/local DESTDIR=
#   make clean

PREFIX ?= /usr/local
DESTDIR ?=
SAN ?= 0
FUZZ_SECONDS ?= 30

DEB_PACKAGES := libsodium-dev libyaml-dev libcmocka-dev gnuplot-nox pkg-config

CC ?= cc
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
LDFLAGS += $(SAN_FLAGS)
LIBS := -lsodium
WORLD_LIBS := -lyaml -lsodium -lm
INCLUDES := -Inode -Isim -Ianalysis -Itests/support

NODE_SRC := $(sort $(filter-out node/posix/%,$(wildcard node/*/*.c)))
NODE_OBJ := $(NODE_SRC:%.c=$(BUILD)/%.o)
NODE_LIB := $(BUILD)/libswarmlab-node.a

SIM_SRC := $(filter-out sim/lab/main.c,$(sort $(wildcard sim/*/*.c)))
SIM_OBJ := $(SIM_SRC:%.c=$(BUILD)/%.o)
SIM_LIB := $(BUILD)/libswarmlab-sim.a
ANALYSIS_SRC := $(sort $(wildcard analysis/*.c))
ANALYSIS_OBJ := $(ANALYSIS_SRC:%.c=$(BUILD)/%.o)
ANALYSIS_LIB := $(BUILD)/libswarmlab-analysis.a
SWARMLAB_BIN := $(BUILD)/swarmlab
POSIX_SRC := $(filter-out node/posix/main.c,$(sort $(wildcard node/posix/*.c)))
POSIX_OBJ := $(POSIX_SRC:%.c=$(BUILD)/%.o)
DAEMON_BIN := $(if $(wildcard node/posix/main.c),$(BUILD)/swarmlab-node)
POSIX_TEST_SRC := $(sort $(wildcard tests/posix/test_*.c))
POSIX_TEST_BIN := $(POSIX_TEST_SRC:tests/posix/%.c=$(BUILD)/tests/posix_%)

SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))
SUPPORT_OBJ := $(SUPPORT_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/replay_%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)


.PHONY: all deps run test bench interop fuzz regress rebaseline install clean
# Keep object files that only serve as intermediates, so nothing rebuilds twice.
.SECONDARY:

all: deps $(NODE_LIB) $(SIM_LIB) $(ANALYSIS_LIB) $(SWARMLAB_BIN) $(DAEMON_BIN) $(UNIT_BIN) $(POSIX_TEST_BIN) $(FUZZ_REPLAY_BIN)

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
$(BUILD)/node/posix/%.o: node/posix/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Inode -c $< -o $@

# node/ sees only its own headers: the core knows nothing of the world.
$(BUILD)/node/%.o: node/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Inode -c $< -o $@

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(INCLUDES) -c $< -o $@

$(NODE_LIB): $(NODE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SIM_LIB): $(SIM_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(ANALYSIS_LIB): $(ANALYSIS_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SWARMLAB_BIN): $(BUILD)/sim/lab/main.o $(SIM_LIB) $(ANALYSIS_LIB) $(NODE_LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(WORLD_LIBS)

$(BUILD)/swarmlab-node: $(BUILD)/node/posix/main.o $(POSIX_OBJ) $(NODE_LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(WORLD_LIBS)

# Tests of the daemon on real sockets: they start $(BUILD)/swarmlab-node.
$(BUILD)/tests/posix_%: tests/posix/%.c $(POSIX_OBJ) $(NODE_LIB) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Inode -Itests/support $< $(POSIX_OBJ) $(NODE_LIB) -o $@ $(LDFLAGS) -lcmocka $(WORLD_LIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(SUPPORT_OBJ) $(SIM_LIB) $(ANALYSIS_LIB) $(NODE_LIB)
	$(CC) $(LDFLAGS) $^ -o $@ -lcmocka $(WORLD_LIBS)

# Fuzz targets built with a plain main() that replays a corpus: make test runs these.
$(BUILD)/tests/replay_%: tests/fuzz/%.c tests/fuzz/replay_main.c $(NODE_LIB) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Inode $< tests/fuzz/replay_main.c $(NODE_LIB) -o $@ $(LDFLAGS) $(LIBS)

# The same targets built with libFuzzer for make fuzz.
build/fuzz/%: tests/fuzz/%.c $(NODE_SRC) | deps
	@mkdir -p $(dir $@)
	clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
	  -Inode $< $(NODE_SRC) -o $@ $(LIBS)


QUICKSTART_OUT := results/runs/quickstart-1

# The first run: 200 peers for a minute of virtual time, metrics and plots.
run: deps $(SWARMLAB_BIN)
	$(SWARMLAB_BIN) run scenarios/quickstart.yaml --out $(QUICKSTART_OUT)
	@echo
	@echo "The plots are in $(QUICKSTART_OUT)/: latency_cdf.png, delivery.png, duplicates.png,"
	@echo "bandwidth.png and online.png (and .svg). Next: docs/scenarios.md to write your own scenario."


BENCH_BIN := $(BUILD)/swarmlab-bench
BENCH_SCENARIOS := scenarios/bench-floodsub-1000.yaml scenarios/bench-gossipsub-1000.yaml

$(BENCH_BIN): $(BUILD)/tests/bench/bench.o $(SIM_LIB) $(ANALYSIS_LIB) $(NODE_LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(WORLD_LIBS)

LOOPBACK_BENCH_BIN := $(BUILD)/swarmlab-bench-loopback

$(LOOPBACK_BENCH_BIN): tests/bench/bench_loopback.c tests/posix/harness.h | deps
	$(CC) $(ALL_CFLAGS) -Itests/posix $< -o $@ $(LDFLAGS)

# The figures of docs/performance.md. Each scenario runs in its own process,
# so that peak memory is that scenario's own.
bench: deps $(BENCH_BIN) $(LOOPBACK_BENCH_BIN) $(DAEMON_BIN)
	@$(BENCH_BIN)
	@for s in $(BENCH_SCENARIOS); do $(BENCH_BIN) --scenario-only $$s || exit 1; done
	@BUILD=$(BUILD) $(LOOPBACK_BENCH_BIN) swarmlab
	@BUILD=$(BUILD) $(LOOPBACK_BENCH_BIN) js

test: all
	@BUILD=$(BUILD) sh tests/run-tests.sh $(UNIT_BIN) $(POSIX_TEST_BIN) -- $(FUZZ_REPLAY_BIN)

# Talks to js-libp2p (installed from the npm registry into tests/interop/):
# both directions, Noise, yamux, identify, ping, floodsub, the chat protocol.
interop: deps $(DAEMON_BIN)
	@BUILD=$(BUILD) bash tests/interop/run.sh

# The regression suite: scenarios/regress/ in parallel processes, each run
# compared with its baseline in results/baselines/ (docs/regression.md).
regress: deps $(SWARMLAB_BIN)
	@BUILD=$(BUILD) bash tools/regress.sh

# After an intended change: the suite's runs become the baselines; their
# diff shows the change in review.
rebaseline: deps $(SWARMLAB_BIN)
	@BUILD=$(BUILD) bash tools/regress.sh --rebaseline

fuzz: deps $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	  name=$$(basename $$f); work=build/fuzz/corpus/$$name; mkdir -p $$work tests/fuzz/corpus/$$name; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS)s (new inputs go to $$work)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$work tests/fuzz/corpus/$$name || exit 1; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/swarmlab
	install -m 755 $(SWARMLAB_BIN) $(DAEMON_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(NODE_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(filter-out node/core/node_internal.h node/core/connection.h node/core/stream.h,$(wildcard node/*/*.h)) $(DESTDIR)$(PREFIX)/include/swarmlab/

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
