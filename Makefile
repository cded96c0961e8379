# The Makefile only drives: scripts/ install and run things, CMake builds.
#   make run    install, build, start the private MariaDB, migrate, load the
#               demo data, serve on 127.0.0.1:50051 (Ctrl-C stops it all)
#   make test   install, build, throwaway MariaDB, every test through ctest
#   make bench  install, Release build, private MariaDB with production
#               durability, every benchmark; table in bench/out/results.md
#               (BENCH_MODE=quick, under 5 minutes, or full)
.PHONY: all deps build run test test-unit bench clean distclean

BUILD_DIR  ?= build/default
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
BENCH_MODE ?= quick
MAKEFLAGS  += --no-print-directory

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@BUILD_DIR=$(BUILD_DIR) scripts/run.sh

test: build
	@BUILD_DIR=$(BUILD_DIR) scripts/test.sh

# Unit tests only: no database needed.
test-unit: build
	@cd $(BUILD_DIR) && ctest -L unit --output-on-failure -j $(JOBS)

# Its own Release build (build/release), apart from BUILD_DIR's.
bench: deps
	@BUILD_DIR=build/release BENCH_MODE=$(BENCH_MODE) JOBS=$(JOBS) scripts/bench.sh

clean:
	rm -rf $(BUILD_DIR)

# Also removes the local database (.local/), demo data and all.
distclean: clean
	-@scripts/db.sh stop .local/mariadb 2>/dev/null
	rm -rf build .local
