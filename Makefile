# ramp's front door.
#   make demo   install dependencies, build, and run the whole story locally
#   make test   install dependencies, build, and run every test
#   make build  build only (after `make deps` once)
#   make bench  run the benchmarks (needs `scripts/install-deps.sh --bench`)
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps configure build test demo bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test:
	@scripts/install-deps.sh --test
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && PATH="$${RAMP_MOTO_VENV:-$$HOME/.cache/ramp/moto-venv}/bin:$$PATH" \
	  ctest --output-on-failure -j $(JOBS) --timeout 600
	@$(MAKE) --no-print-directory fuzz-smoke

demo: deps
	@$(MAKE) --no-print-directory build
	$(BUILD)/src/cli/ramp demo

bench:
	@scripts/install-deps.sh --bench
	cmake -S . -B $(BUILD) -G Ninja -DRAMP_BUILD_BENCH=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)
	bench/run-all

# libFuzzer targets, built with clang in their own tree; `fuzz-smoke` runs
# each for a bounded time (part of `make test`).
fuzz-build:
	cmake -S . -B $(BUILD)-fuzz -G Ninja -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 \
	  -DRAMP_FUZZ=ON -DRAMP_BUILD_TESTS=OFF -DRAMP_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzzers

fuzz-smoke: fuzz-build
	fuzz/run-smoke $(BUILD)-fuzz

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
