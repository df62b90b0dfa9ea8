# The two commands of the quick start, over CMake (as neovim does):
#   make run    install what is missing, build, run evlogd in the foreground
#   make test   install what is missing, build, run every test
# SANITIZE=1 builds with ASan+UBSan into build-asan (what .ci/run uses).
# make docker-test builds and runs docker/ (image, compose) with podman.

MAKEFLAGS += --no-print-directory
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
SANITIZE ?= 0
ARGS     ?=

ifeq ($(SANITIZE),1)
BUILD       ?= build-asan
CMAKE_FLAGS += -DEVL_SANITIZE=ON -DEVL_WERROR=ON -DCMAKE_BUILD_TYPE=Debug
else
BUILD       ?= build
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=RelWithDebInfo
endif

FUZZ_SECONDS ?= 30

.PHONY: all deps build run test bench fuzz docker-test format clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@if [ -x $(BUILD)/broker/evlogd ]; then \
		exec $(BUILD)/broker/evlogd $(ARGS); \
	else \
		echo "make run: built; the broker (evlogd) is not there yet"; \
	fi

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@sh tests/bench/run.sh $(BUILD)

fuzz:
	@sh scripts/deps.sh
	@sh scripts/deps.sh fuzz
	@CC=clang cmake -S . -B build-fuzz -DEVL_FUZZ=ON -DEVL_TESTS=OFF \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@sh tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# Not part of make test: needs podman (installed here if missing) and a
# few minutes.  The host-built CLI talks to the container.
docker-test: deps
	@sh scripts/deps.sh docker
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target evlog-cli
	@bash docker/test.sh $(BUILD)/client/evlog

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz
