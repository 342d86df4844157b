# rstrace: eBPF function tracer for Rust programs.
# `make` builds ./rstrace; `make test`, `make demo`, `make bench`, `make fuzz` as in README.md.

export PATH := $(HOME)/.cargo/bin:$(PATH)

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
# BUILD and BIN may be set to build a second copy elsewhere (e.g. BUILD=/tmp/b BIN=/tmp/b/rstrace).
BUILD ?= build
BIN ?= rstrace
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-unused-parameter
VERSION := 0.1.0
CPPFLAGS := -Iinclude -Iuser -I$(BUILD) -I/usr/include/libdwarf -D_GNU_SOURCE -DRSTRACE_VERSION=\"$(VERSION)\"
LDLIBS := -lbpf -lelf -lz -ldwarf -lsqlite3 -liberty -lcapstone -lm

DEPS := clang llvm bpftool libbpf-dev libelf-dev libdwarf-dev libsqlite3-dev zlib1g-dev \
	libiberty-dev libcapstone-dev sqlite3 python3 make gcc pkg-config binutils \
	libclang-rt-14-dev util-linux procps librsvg2-bin \
	librust-regex-dev librust-serde-json-dev cargo gdb

USER_SRCS := $(wildcard user/*.c)
LIB_SRCS := $(filter-out user/main.c,$(USER_SRCS))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
LIB_ASAN_OBJS := $(patsubst user/%.c,$(BUILD)/asan/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# the ASan objects are kept between builds
.SECONDARY:

.PHONY: all deps test unit integration demo bench fuzz clean format
all: $(BIN)

# Installs everything the build, the tests and the demo need (Debian 12, as root).
deps:
	@if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (apt-get)"; exit 1; fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEPS) >/dev/null
	@command -v rustc >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc >/dev/null
	@rustc --version

$(BUILD)/rstrace.bpf.o: bpf/rstrace.bpf.c bpf/shadow.bpf.h include/rstrace.h vmlinux/vmlinux.h | $(BUILD)/.dirs
	$(CLANG) -O2 -g -target bpf -D__TARGET_ARCH_x86 -Iinclude -Ivmlinux $(WARN) -c $< -o $@

$(BUILD)/rstrace.skel.h: $(BUILD)/rstrace.bpf.o
	$(BPFTOOL) gen skeleton $< name rstrace_bpf > $@

$(BUILD)/user/%.o: user/%.c $(wildcard user/*.h) include/rstrace.h $(BUILD)/rstrace.skel.h | $(BUILD)/.dirs
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS) -c $< -o $@

$(BIN): $(USER_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/.dirs:
	mkdir -p $(BUILD)/user $(BUILD)/asan $(BUILD)/unit $(BUILD)/fuzz
	touch $@

# Unit tests: no root, ASan/UBSan build of the library code.
$(BUILD)/asan/%.o: user/%.c $(wildcard user/*.h) include/rstrace.h $(BUILD)/rstrace.skel.h | $(BUILD)/.dirs
	$(CC) -O1 -g $(SAN) $(WARN) $(CPPFLAGS) -c $< -o $@

$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h $(LIB_ASAN_OBJS) | $(BUILD)/.dirs
	$(CC) -O1 -g $(SAN) $(WARN) $(CPPFLAGS) -Itests/unit $< $(LIB_ASAN_OBJS) -o $@ $(LDLIBS)

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

integration: $(BIN)
	python3 tests/integration/run.py

# Every test, with one closing "N passed, N failed" line.
test: deps
	$(MAKE) all $(UNIT_BINS)
	tests/run_all.sh

demo: deps
	$(MAKE) all
	@mkdir -p $(BUILD)/demo
	rustc -g -C opt-level=0 tests/fixtures/demo.rs -o $(BUILD)/demo/demo
	./rstrace record -o $(BUILD)/demo/demo.sqlite -- $(BUILD)/demo/demo
	@echo "--- call tree (from $(BUILD)/demo/demo.sqlite)"
	./rstrace tree $(BUILD)/demo/demo.sqlite

bench: all
	RSTRACE=$(abspath $(BIN)) RSTRACE_BUILD=$(abspath $(BUILD)) python3 bench/bench.py

# libFuzzer targets (clang), each run for FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) | $(BUILD)/.dirs
	$(CLANG) -O1 -g -fsanitize=fuzzer,address,undefined $(CPPFLAGS) $< $(filter user/config.c user/toml.c user/toml_lex.c user/wildcard.c user/rustfmt.c,$(LIB_SRCS)) -o $@

fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do mkdir -p $(BUILD)/fuzz/corpus-$$(basename $$f); \
		$$f -max_total_time=$(FUZZ_SECONDS) $(BUILD)/fuzz/corpus-$$(basename $$f) tests/fuzz/seeds || exit 1; done

format:
	clang-format -i user/*.c user/*.h bpf/*.c bpf/*.h include/*.h tests/unit/*.c

clean:
	rm -rf $(BUILD) rstrace
