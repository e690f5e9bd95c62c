# teeshm: the two commands of the README, plus the steps they are made of.
#   make demo   install dependencies, build, run the main job
#   make check  install dependencies, build, run every test (plain and ASan+UBSan builds,
#               and the threaded tests again under ThreadSanitizer)

BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS       ?= 2
CMAKE_ARGS ?=

.PHONY: all deps build build-asan build-tsan check demo clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)
	cmake --build $(BUILD) -j$(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTEESHM_SANITIZE=ON -DTEESHM_DEBUG_LEVEL=2 $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j$(JOBS)

build-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTEESHM_TSAN=ON $(CMAKE_ARGS)
	cmake --build $(TSAN_BUILD) -j$(JOBS)

check: build build-asan build-tsan
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j$(JOBS) -L threads

DEMO_OUT ?= $(BUILD)/demo

demo: build
	./$(BUILD)/teeshm compare --workload gp-xtest --out $(DEMO_OUT)/gp-xtest
	./$(BUILD)/teeshm sweep --out $(DEMO_OUT)/gp-xtest
	./$(BUILD)/teeshm plot $(DEMO_OUT)/gp-xtest
	./$(BUILD)/teeshm compare --workload multi-vm --out $(DEMO_OUT)/multi-vm
	./$(BUILD)/teeshm plot $(DEMO_OUT)/multi-vm
	./$(BUILD)/teeshm run --vms 4 --iterations 6 --kill-guest 3 --kill-at-smc 100 --json $(DEMO_OUT)/run.json
	./$(BUILD)/teeshm mm --vms 4 --buffers 16 --buffer-kib 256 --dump-mmu $(DEMO_OUT)/mmu

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
