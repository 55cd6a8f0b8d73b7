# Quick start: `make demo` and `make test`. Everything goes through CMake presets (CMakePresets.json).
JOBS ?= $(shell nproc)
DEPS_STAMP := build/.deps-ok

.PHONY: all build release native debug test test-release demo bench fuzz clean deps format

all: build

deps: $(DEPS_STAMP)

$(DEPS_STAMP): scripts/install-deps.sh
	@scripts/install-deps.sh
	@mkdir -p build && touch $@

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

release: build

native: deps
	@cmake --preset release-native >/dev/null
	@cmake --build --preset release-native -j $(JOBS)

debug: deps
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)

# The whole suite, in the debug configuration (ASan + UBSan, warnings as errors).
test: debug
	@ctest --preset debug -j $(JOBS)

test-release: build
	@ctest --preset release -j $(JOBS)

demo: build
	@build/bin/veil demo

bench: build
	@build/bin/veil bench ring --json

fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-debug build-native build-fuzz
