# libbinlog: `make demo` builds everything and runs the quickstart;
# `make test` runs every test. Both work on a fresh machine: the tools they
# need (a pinned cbindgen) are installed here on first use.

CARGO      ?= cargo
CC         ?= cc
CXX        ?= c++
PREFIX     ?= /usr/local
CBINDGEN_VERSION := 0.29.4
TOOLS      ?= $(HOME)/.cache/libbinlog-tools
CBINDGEN   := $(TOOLS)/bin/cbindgen-$(CBINDGEN_VERSION)

LIBDIR     := target/release
LIB        := $(LIBDIR)/libbinlog.so
CFLAGS_STRICT := -std=c11 -Wall -Wextra -Werror -O2 -g -Iinclude
LDLIBS     := -L$(LIBDIR) -lbinlog -Wl,-rpath,$(abspath $(LIBDIR)) -lpthread
SANITIZE   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD      := target/c

EXAMPLES   := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
C_TESTS    := $(patsubst tests/c/%.c,%,$(wildcard tests/c/test_*.c))

.PHONY: all lib cli header check-header demo test lint test-rust test-c examples bench install clean tools

all: lib header examples

# --- tools -----------------------------------------------------------------
$(CBINDGEN):
	@mkdir -p $(TOOLS)
	$(CARGO) install cbindgen --version $(CBINDGEN_VERSION) --locked --root $(TOOLS)/cbindgen-$(CBINDGEN_VERSION)
	ln -sf $(TOOLS)/cbindgen-$(CBINDGEN_VERSION)/bin/cbindgen $@

tools: $(CBINDGEN)

# --- library and header ----------------------------------------------------
lib:
	$(CARGO) build --release --lib

# The `binlog` command-line tool (docs/CLI.md): target/release/binlog.
cli:
	$(CARGO) build --release --bin binlog

header: $(CBINDGEN)
	$(CBINDGEN) --quiet --config cbindgen.toml --output include/binlog.h .

# Fails when include/binlog.h is not what cbindgen makes of src/ffi now.
check-header: $(CBINDGEN)
	@mkdir -p target
	$(CBINDGEN) --quiet --config cbindgen.toml --output target/binlog.h.fresh .
	@cmp -s target/binlog.h.fresh include/binlog.h || { \
	  echo "include/binlog.h is stale: run 'make header' and commit it"; \
	  diff -u include/binlog.h target/binlog.h.fresh | head -40; exit 1; }
	@echo "include/binlog.h matches a fresh cbindgen $(CBINDGEN_VERSION) generation"
	@printf '#include <binlog.h>\nint main(void) { return binlog_version() == 0; }\n' > target/header_only.c
	$(CC) -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only target/header_only.c
	$(CXX) -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only -x c++ target/header_only.c
	@echo "include/binlog.h compiles alone as C99 and C++11 with -Wall -Wextra -Werror"

# --- examples --------------------------------------------------------------
$(BUILD)/examples/%: examples/%.c include/binlog.h lib
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_STRICT) -o $@ $< $(LDLIBS)

examples: $(EXAMPLES)

demo: lib header $(BUILD)/examples/quickstart
	@rm -rf demo-data && mkdir -p demo-data
	$(BUILD)/examples/quickstart demo-data/quickstart.binlog

# --- tests -----------------------------------------------------------------
test: check-header lint test-rust test-c test-go test-java
	@echo "make test: all suites passed"

test-rust:
	$(CARGO) test --all-targets

# Formatting and lints are part of the tests: rustfmt and clippy ship with
# the Rust toolchain.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

# Every C test runs twice: built with AddressSanitizer + UBSan (leaks
# included), and plain under valgrind's memcheck.
test-c: lib examples
	@mkdir -p $(BUILD)/tests
	@set -e; for t in $(C_TESTS); do \
	  $(CC) $(CFLAGS_STRICT) $(SANITIZE) -o $(BUILD)/tests/$$t.asan tests/c/$$t.c $(LDLIBS); \
	  $(CC) $(CFLAGS_STRICT) -o $(BUILD)/tests/$$t tests/c/$$t.c $(LDLIBS); \
	  echo "== $$t (ASan+UBSan)"; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/tests/$$t.asan; \
	  echo "== $$t (valgrind)"; \
	  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    $(BUILD)/tests/$$t; \
	done

# --- benchmark (not a test: prints ratios to baselines, writes target/bench.json)
bench: lib $(BUILD)/bench/bench
	$(BUILD)/bench/bench target/bench.json

$(BUILD)/bench/bench: bench/bench.c include/binlog.h lib
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_STRICT) -D_GNU_SOURCE -o $@ $< $(LDLIBS)

# --- install ---------------------------------------------------------------
install: lib cli
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(LIB) $(DESTDIR)$(PREFIX)/lib/libbinlog.so
	install -m 0644 include/binlog.h $(DESTDIR)$(PREFIX)/include/binlog.h
	install -m 0755 $(LIBDIR)/binlog $(DESTDIR)$(PREFIX)/bin/binlog

clean:
	$(CARGO) clean
	rm -rf demo-data

# --- Go binding (bindings/go): cgo over libbinlog.so, tests under -race -----
.PHONY: test-go
test-go: lib
	cd bindings/go && { command -v go >/dev/null 2>&1 || PATH="/usr/local/go/bin:$$PATH"; } && \
	  CGO_ENABLED=1 go test -race -count=1 ./...

# --- Java binding (JNI) ------------------------------------------------------
# Builds bindings/java/target/jni/libbinlog_jni.so (javac -h + gcc -Werror)
# and runs the JUnit 5 suite with Maven under -Xcheck:jni; a JNI warning the
# JVM prints (surefire keeps it in a .dumpstream file) fails the target too.
.PHONY: test-java
test-java: lib
	bindings/java/build-jni.sh
	cd bindings/java && rm -f target/surefire-reports/*.dumpstream && \
	  mvn -B -q test && \
	  if grep -ls "in native method" target/surefire-reports/*.dumpstream; then \
	    echo "test-java: -Xcheck:jni reported JNI misuse (see the files above)"; exit 1; fi
