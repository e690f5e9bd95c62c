# teeshm: the two commands of the README, plus the steps they are made of.
#   make demo   install dependencies, build, run the main job
#   make check  install dependencies, build, run every test (plain and ASan+UBSan builds,
#               and the threaded tests again under ThreadSanitizer), then a short fuzzing run
#   make fuzz   build the libFuzzer harnesses with clang, run each for FUZZ_SECONDS (fuzz/README.md)

BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS       ?= 2
CMAKE_ARGS ?=
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 30

.PHONY: all deps build build-asan build-tsan check demo clean fuzz

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
	$(MAKE) --no-print-directory fuzz

# libFuzzer harnesses (fuzz/README.md): built with clang in their own directory, each run on a
# copy of its corpus (the repository is not touched) for FUZZ_SECONDS.  A crash, or an input
# running over 10 s (a hang), fails the target; the input is left in $(FUZZ_BUILD)/fuzz/run/NAME/
# with the log.
FUZZ_ARGS_fuzz_smc = -max_len=8192
define fuzz_run
@run=$(FUZZ_BUILD)/fuzz/run/$(1) && rm -rf $$run && mkdir -p $$run/corpus && \
	cp fuzz/corpus/$(1)/* $$run/corpus/ && \
	echo "fuzz: $(1) for $(FUZZ_SECONDS) s (log: $$run/log)" && \
	if $(FUZZ_BUILD)/fuzz/$(1) -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix=$$run/ $(FUZZ_ARGS_$(1)) $$run/corpus \
		>$$run/log 2>&1; then \
		grep -h 'DONE\|stat::average_exec_per_sec' $$run/log; \
	else \
		tail -n 40 $$run/log; echo "fuzz: $(1) FAILED; input and log in $$run/"; exit 1; \
	fi
endef

fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DTEESHM_FUZZ=ON $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers
	$(call fuzz_run,fuzz_trace)
	$(call fuzz_run,fuzz_pagelist)
	$(call fuzz_run,fuzz_smc)

DEMO_OUT ?= $(BUILD)/demo

demo: build
	./$(BUILD)/teeshm compare --workload gp-xtest --out $(DEMO_OUT)/gp-xtest
	./$(BUILD)/teeshm sweep --out $(DEMO_OUT)/gp-xtest
	./$(BUILD)/teeshm report $(DEMO_OUT)/gp-xtest
	./$(BUILD)/teeshm compare --workload multi-vm --out $(DEMO_OUT)/multi-vm
	./$(BUILD)/teeshm report $(DEMO_OUT)/multi-vm
	./$(BUILD)/teeshm run --vms 4 --iterations 6 --kill-guest 3 --kill-at-smc 100 --json $(DEMO_OUT)/run.json
	./$(BUILD)/teeshm mm --vms 4 --buffers 16 --buffer-kib 256 --dump-mmu $(DEMO_OUT)/mmu

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
