# Test registration: CMocka binaries under ctest, plus script checks.

# teeshm_unit_test(NAME <name> SOURCES <files...> [LIBS <libs...>] [TIMEOUT <s>])
function(teeshm_unit_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_include_directories(${T_NAME} PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} ${CMOCKA_LIBRARIES})
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT})
endfunction()

teeshm_unit_test(NAME test_dram SOURCES tests/unit/test_dram.c LIBS teeshm_common)
teeshm_unit_test(NAME test_stage2 SOURCES tests/unit/test_stage2.c LIBS teeshm_common)
teeshm_unit_test(NAME test_smc_channel SOURCES tests/unit/test_smc_channel.c
  LIBS teeshm_common TIMEOUT 60)
teeshm_unit_test(NAME test_strategy_nw SOURCES tests/unit/test_strategy_nw.c LIBS teeshm_normal)
teeshm_unit_test(NAME test_normal_world SOURCES tests/unit/test_normal_world.c LIBS teeshm_normal)
teeshm_unit_test(NAME test_secure_world SOURCES tests/unit/test_secure_world.c LIBS teeshm_secure)
teeshm_unit_test(NAME test_teec_inproc SOURCES tests/integration/test_teec_inproc.c
  tests/integration/inproc_world.c LIBS teeshm_hv teeshm_normal teeshm_secure)
teeshm_unit_test(NAME test_carveout SOURCES tests/integration/test_carveout.c
  tests/integration/inproc_world.c LIBS teeshm_hv teeshm_normal teeshm_secure)
teeshm_unit_test(NAME test_rpc_strategy SOURCES tests/integration/test_rpc_strategy.c
  tests/integration/inproc_world.c LIBS teeshm_hv teeshm_normal teeshm_secure)
# optee_os #6142 on modeled cycles: an invoke's cost is linear in the pages of its registered buffer.
teeshm_unit_test(NAME test_6142 SOURCES tests/integration/test_6142.c
  tests/integration/inproc_world.c LIBS teeshm_hv teeshm_normal teeshm_secure)
target_compile_definitions(test_6142 PRIVATE TEESHM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
teeshm_unit_test(NAME test_trace SOURCES tests/unit/test_trace.c LIBS teeshm_workloads)
target_compile_definitions(test_trace PRIVATE TEESHM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
teeshm_unit_test(NAME test_gen SOURCES tests/unit/test_gen.c LIBS teeshm_workloads)
teeshm_unit_test(NAME test_faults SOURCES tests/integration/test_faults.c
  tests/integration/inproc_world.c LIBS teeshm_workloads PkgConfig::JANSSON TIMEOUT 300)
target_compile_definitions(test_faults PRIVATE TEESHM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
teeshm_unit_test(NAME test_replay SOURCES tests/integration/test_replay.c
  LIBS teeshm_workloads PkgConfig::JANSSON TIMEOUT 300)
target_compile_definitions(test_replay PRIVATE TEESHM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
teeshm_unit_test(NAME test_cached SOURCES tests/integration/test_cached.c
  tests/integration/inproc_world.c LIBS teeshm_hv teeshm_normal teeshm_secure)
teeshm_unit_test(NAME test_hv_inproc SOURCES tests/integration/test_hv_inproc.c
  tests/integration/inproc_world.c LIBS teeshm_hv teeshm_normal teeshm_secure)
# The carveout split per VM under the mediator: own slice only, per-VM exhaustion, foreign refused.
teeshm_unit_test(NAME test_carveout_vm SOURCES tests/integration/test_carveout_vm.c
  tests/integration/inproc_world.c LIBS teeshm_hv teeshm_normal teeshm_secure)
teeshm_unit_test(NAME test_json SOURCES tests/unit/test_json.c LIBS teeshm_common)
teeshm_unit_test(NAME test_lat_hist SOURCES tests/unit/test_lat_hist.c LIBS teeshm_common)
teeshm_unit_test(NAME test_gate SOURCES tests/unit/test_gate.c sim/launcher/gate.c
  sim/launcher/run_result.c LIBS teeshm_common PkgConfig::JANSSON)
teeshm_unit_test(NAME test_run_result SOURCES tests/unit/test_run_result.c
  sim/launcher/run_result.c LIBS teeshm_common PkgConfig::JANSSON)
teeshm_unit_test(NAME test_usage_track SOURCES tests/unit/test_usage_track.c LIBS teeshm_common)
teeshm_unit_test(NAME test_profile SOURCES tests/unit/test_profile.c LIBS teeshm_common)
target_compile_definitions(test_profile PRIVATE TEESHM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
teeshm_unit_test(NAME test_optee_abi SOURCES tests/unit/test_optee_abi.c LIBS teeshm_common)
teeshm_unit_test(NAME test_rbtree SOURCES tests/unit/test_rbtree.c LIBS teeshm_secure_mm)
teeshm_unit_test(NAME test_tlb SOURCES tests/unit/test_tlb.c LIBS teeshm_secure_mm)
teeshm_unit_test(NAME test_vaspace SOURCES tests/unit/test_vaspace.c LIBS teeshm_secure_mm)
teeshm_unit_test(NAME test_pa_index SOURCES tests/unit/test_pa_index.c LIBS teeshm_secure_mm)
teeshm_unit_test(NAME test_pgt SOURCES tests/unit/test_pgt.c LIBS teeshm_secure_mm)
# QEMU's own MMU (through Unicorn) walks our tables: an oracle nobody here wrote.
teeshm_unit_test(NAME test_pgt_unicorn SOURCES tests/oracle/test_pgt_unicorn.c tests/oracle/uc_mmu.c
  LIBS teeshm_secure_mm PkgConfig::UNICORN TIMEOUT 300)
teeshm_unit_test(NAME test_core_mm SOURCES tests/unit/test_core_mm.c LIBS teeshm_secure)
# --dump-mmu files read back against the manager; failures name the path and leak nothing.
teeshm_unit_test(NAME test_mmu_dump SOURCES tests/unit/test_mmu_dump.c LIBS teeshm_secure)
# The dumped files alone, walked by QEMU's MMU (Unicorn), translate as mappings.tsv says.
teeshm_unit_test(NAME test_mmu_dump_unicorn
  SOURCES tests/oracle/test_mmu_dump_unicorn.c tests/oracle/uc_mmu.c
  LIBS teeshm_secure PkgConfig::UNICORN TIMEOUT 300)

# The freestanding libraries must call nothing from libc but the string.h functions.
add_test(NAME freestanding_symbols
  COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-freestanding.sh $<TARGET_FILE:teeshm_abi> $<TARGET_FILE:teeshm_secure_mm>)

# The demo paths work end to end (small, fast); each exits non-zero on any mismatch or leak.
add_test(NAME cli_layout COMMAND teeshm layout --vms 3 --guest-ram-mib 16)
add_test(NAME cli_mm COMMAND teeshm mm --vms 3 --buffers 6 --buffer-kib 96 --guest-ram-mib 16
  --dump-mmu ${CMAKE_CURRENT_BINARY_DIR}/cli_mm_dump)
add_test(NAME cli_mm_lazy COMMAND teeshm mm --vms 2 --buffers 20 --buffer-kib 16 --tlbi lazy
  --lazy-pages 40 --guest-ram-mib 16)
add_test(NAME cli_mm_per_page COMMAND teeshm mm --vms 2 --buffers 4 --tlbi per-page --guest-ram-mib 16)

# The three worlds as processes (libuv spawn, shared-memory SMC mailboxes).
add_executable(test_worlds tests/integration/test_worlds.c)
target_include_directories(test_worlds PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_worlds PRIVATE ${CMOCKA_LIBRARIES})
add_test(NAME test_worlds COMMAND test_worlds $<TARGET_FILE:teeshm>)
set_tests_properties(test_worlds PROPERTIES TIMEOUT 300)

# Modeled costs are deterministic: the same run twice gives the same counters and cycles.
add_test(NAME mm_model_deterministic COMMAND ${CMAKE_SOURCE_DIR}/scripts/same-twice.sh
  "^(mapped|unmapped) " -- $<TARGET_FILE:teeshm> mm --vms 3 --buffers 10 --tlbi lazy
  --lazy-pages 64 --guest-ram-mib 16)

# Bad input: a clear message naming the problem and exit code 2, never a crash.
set(EXPECT ${CMAKE_SOURCE_DIR}/scripts/expect-exit.sh)
add_test(NAME cli_bad_command COMMAND ${EXPECT} 2 "unknown command 'frobnicate'" -- $<TARGET_FILE:teeshm> frobnicate)
add_test(NAME cli_bad_tlbi COMMAND ${EXPECT} 2 "--tlbi 'bogus' is not" -- $<TARGET_FILE:teeshm> mm --tlbi bogus)
add_test(NAME cli_bad_number COMMAND ${EXPECT} 2 "--vms '4x' is not a decimal number" -- $<TARGET_FILE:teeshm> mm --vms 4x)
add_test(NAME cli_out_of_range COMMAND ${EXPECT} 2 "--vms 0 is out of range" -- $<TARGET_FILE:teeshm> layout --vms 0)
add_test(NAME cli_bad_profile COMMAND ${EXPECT} 2 "cannot open" -- $<TARGET_FILE:teeshm> mm --profile /nonexistent.ini)
add_test(NAME cli_bad_strategy COMMAND ${EXPECT} 2 "--strategy 'fastest' is not one of" -- $<TARGET_FILE:teeshm> run --strategy fastest)
add_test(NAME cli_replay_bad_trace COMMAND ${EXPECT} 2 "bad_param.trace:4:" -- $<TARGET_FILE:teeshm> replay ${CMAKE_SOURCE_DIR}/tests/data/cli/bad_param.trace)
add_test(NAME cli_unknown_workload COMMAND ${EXPECT} 2 "neither a bundled workload" -- $<TARGET_FILE:teeshm> compare --workload no-such-thing)
add_test(NAME run_workload_multi_vm COMMAND teeshm run --workload multi-vm --strategy cached)
add_test(NAME compare_many_sessions COMMAND teeshm compare --workload many-sessions --out compare-many-sessions)
# The gate on two replays of one workload: deterministic figures equal, another strategy refused.
add_test(NAME gate_setup COMMAND sh -c "$<TARGET_FILE:teeshm> replay --strategy cached --json gate_a.json multi-vm >/dev/null && $<TARGET_FILE:teeshm> replay --strategy cached --json gate_b.json multi-vm >/dev/null && $<TARGET_FILE:teeshm> replay --strategy dynamic --json gate_c.json multi-vm >/dev/null")
set_tests_properties(gate_setup PROPERTIES FIXTURES_SETUP gate_files)
add_test(NAME gate_same_run COMMAND teeshm gate --no-host --baseline gate_a.json --current gate_b.json)
add_test(NAME gate_other_strategy COMMAND ${EXPECT} 2 "not comparable" -- $<TARGET_FILE:teeshm> gate --baseline gate_a.json --current gate_c.json)
set_tests_properties(gate_same_run gate_other_strategy PROPERTIES FIXTURES_REQUIRED gate_files)
add_test(NAME replay_events COMMAND bash -o pipefail -c "$<TARGET_FILE:teeshm> replay --events --strategy cached ${CMAKE_SOURCE_DIR}/tests/data/traces/example.trace | grep -F 'msg    INVOKE_COMMAND' >/dev/null")
add_test(NAME run_events COMMAND ${EXPECT} 0 "tlbi   all" -- $<TARGET_FILE:teeshm> run --no-hv --iterations 1 --events)
# The guests' bounce copies are on the timeline too: in-process on the secure clock, with their cost;
# across processes from each guest (under the hypervisor: vmN).
add_test(NAME replay_events_copies COMMAND bash -o pipefail -c "$<TARGET_FILE:teeshm> replay --events --strategy dynamic ${CMAKE_SOURCE_DIR}/tests/data/traces/example.trace | grep -E 'vm0   copy   1048576 bytes client -> bounce \\(625.046 us at the memcpy rate\\)' >/dev/null")
add_test(NAME replay_events_copy_shadow COMMAND bash -o pipefail -c "$<TARGET_FILE:teeshm> replay --events --strategy carveout ${CMAKE_SOURCE_DIR}/tests/data/traces/example.trace | grep -F 'vm0   copy   8192 bytes client -> shadow' >/dev/null")
add_test(NAME replay_events_copy_carveout COMMAND bash -o pipefail -c "$<TARGET_FILE:teeshm> replay --events --strategy carveout ${CMAKE_SOURCE_DIR}/tests/data/traces/example.trace | grep -F 'vm1   copy   4096 bytes carveout -> client' >/dev/null")
add_test(NAME replay_events_copy_cached COMMAND bash -o pipefail -c "$<TARGET_FILE:teeshm> replay --events --strategy cached ${CMAKE_SOURCE_DIR}/tests/data/traces/example.trace | grep -F 'vm1   copy   4096 bytes kept bounce -> client' >/dev/null")
add_test(NAME run_events_copies COMMAND ${EXPECT} 0 "vm1   copy   " -- $<TARGET_FILE:teeshm> run --vms 2 --iterations 1 --events)
add_test(NAME run_kill_sweep COMMAND ${CMAKE_SOURCE_DIR}/scripts/kill-sweep.sh $<TARGET_FILE:teeshm> 12)
add_test(NAME run_cached_strategy COMMAND teeshm run --no-hv --iterations 3 --strategy cached)
add_test(NAME run_cached_strategy_hv COMMAND teeshm run --vms 2 --iterations 3 --strategy cached --kill-guest 1 --kill-at-smc 40)
add_test(NAME run_rpc_strategy_hv COMMAND teeshm run --vms 2 --iterations 3 --strategy rpc --kill-guest 1 --kill-at-smc 40)
add_test(NAME cli_carveout_split_too_fine COMMAND ${EXPECT} 2 "carveout split" -- $<TARGET_FILE:teeshm> run --vms 300 --strategy carveout)
add_test(NAME cli_missing_value COMMAND ${EXPECT} 2 "--buffers needs a value" -- $<TARGET_FILE:teeshm> mm --buffers)
add_test(NAME cli_dump_unwritable COMMAND ${EXPECT} 1 "--dump-mmu" -- $<TARGET_FILE:teeshm> mm --vms 1 --buffers 1 --guest-ram-mib 4 --dump-mmu /proc/version/x)
# --dump-mmu: replay dumps each checkpoint in order and final, rows walked through tables.bin; run dumps final.
add_executable(test_dump_mmu_cli tests/integration/test_dump_mmu_cli.c)
target_include_directories(test_dump_mmu_cli PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_dump_mmu_cli PRIVATE ${CMOCKA_LIBRARIES})
target_compile_definitions(test_dump_mmu_cli PRIVATE TEESHM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_test(NAME test_dump_mmu_replay_run COMMAND test_dump_mmu_cli $<TARGET_FILE:teeshm>)
set_tests_properties(test_dump_mmu_replay_run PROPERTIES TIMEOUT 120)
add_test(NAME cli_replay_dump_mmu_not_dir COMMAND ${EXPECT} 1 "cli-replay-dump-not-dir/01-registered" -- sh -c "rm -rf cli-replay-dump-not-dir && touch cli-replay-dump-not-dir && exec $<TARGET_FILE:teeshm> replay --dump-mmu cli-replay-dump-not-dir ${CMAKE_SOURCE_DIR}/tests/data/traces/checkpoints.trace")
add_test(NAME cli_run_dump_mmu_not_dir COMMAND ${EXPECT} 1 "cli-run-dump-not-dir/final" -- sh -c "rm -rf cli-run-dump-not-dir && touch cli-run-dump-not-dir && exec $<TARGET_FILE:teeshm> run --no-hv --workload ${CMAKE_SOURCE_DIR}/tests/data/traces/checkpoints.trace --dump-mmu cli-run-dump-not-dir")

# teeshm plot on a compare directory: each figure drawn, as PNG and SVG; no sweep, so no #6142 plots.
add_test(NAME plot_compare_data COMMAND sh -c "rm -rf plot-test && $<TARGET_FILE:teeshm> compare --workload multi-vm --out plot-test >/dev/null")
set_tests_properties(plot_compare_data PROPERTIES FIXTURES_SETUP plot_files)
add_test(NAME plot_compare COMMAND sh -c "out=$($<TARGET_FILE:teeshm> plot plot-test) && echo \"$out\" && test -s plot-test/latency-cdf.png && test -s plot-test/latency-cdf.svg && test -s plot-test/tlb-per-invoke.png && test -s plot-test/tlb-per-invoke.svg && test -s plot-test/waste-over-time.png && test -s plot-test/waste-over-time.svg && test ! -e plot-test/invoke-cost-vs-size.png && test ! -e plot-test/scaling-vms.png && echo \"$out\" | grep -q 'invoke-cost-vs-size skipped' && echo \"$out\" | grep -q 'scaling-vms skipped'")
add_test(NAME cli_plot_missing_dir COMMAND ${EXPECT} 2 "plot-missing-dir: cannot read" -- $<TARGET_FILE:teeshm> plot plot-missing-dir)
add_test(NAME cli_plot_bad_json COMMAND ${EXPECT} 2 "plot-bad-json/broken.json:1:" -- sh -c "rm -rf plot-bad-json && mkdir plot-bad-json && printf '{\"schema\": \"teeshm.result/1\", ' >plot-bad-json/broken.json && exec $<TARGET_FILE:teeshm> plot plot-bad-json")
add_test(NAME cli_plot_no_results COMMAND ${EXPECT} 2 "holds no teeshm.result/1 document" -- sh -c "rm -rf plot-no-results && mkdir plot-no-results && echo '{}' >plot-no-results/other.json && exec $<TARGET_FILE:teeshm> plot plot-no-results")
add_test(NAME cli_plot_no_gnuplot COMMAND ${EXPECT} 1 "gnuplot is not on PATH" -- sh -c "rm -rf plot-no-gnuplot && mkdir plot-no-gnuplot && cp plot-test/cached.json plot-no-gnuplot/ && PATH=/nonexistent exec $<TARGET_FILE:teeshm> plot plot-no-gnuplot")
# Sweep points are found by name (results of the compare above standing in): plots 4 and 5 drawn.
add_test(NAME plot_sweep_names COMMAND sh -c "rm -rf plot-sweep && mkdir -p plot-sweep/sweep && cp plot-test/cached.json plot-sweep/sweep/size-4096-cached.json && cp plot-test/cached.json plot-sweep/sweep/size-65536-cached.json && cp plot-test/dynamic.json plot-sweep/sweep/vms-1-dynamic.json && cp plot-test/dynamic.json plot-sweep/sweep/vms-2-dynamic.json && $<TARGET_FILE:teeshm> plot plot-sweep && test -s plot-sweep/invoke-cost-vs-size.png && test -s plot-sweep/invoke-cost-vs-size.svg && test -s plot-sweep/scaling-vms.png && test -s plot-sweep/scaling-vms.svg && test ! -e plot-sweep/latency-cdf.png")
set_tests_properties(plot_compare plot_sweep_names cli_plot_no_gnuplot PROPERTIES FIXTURES_REQUIRED plot_files)

# teeshm report: the page's logic on hand-made directories, then the CLI on the compare above
# (copied, as report redraws the figures), then the page in headless Chromium (plain build only:
# the browser is the slow part and sanitizers add nothing to it).
teeshm_unit_test(NAME test_report SOURCES tests/unit/test_report.c sim/launcher/report.c
  sim/launcher/report_html.c sim/launcher/run_result.c LIBS teeshm_common PkgConfig::JANSSON)
add_test(NAME report_compare COMMAND sh -c "rm -rf report-test && cp -r plot-test report-test && $<TARGET_FILE:teeshm> report report-test && grep -q 'id=\"fig-waste-over-time\"' report-test/report.html && grep -q 'cpu.mhz' report-test/report.html && test ! -e report-test/report.html.tmp")
add_test(NAME cli_report_missing_dir COMMAND ${EXPECT} 2 "report-missing-dir: cannot read" -- $<TARGET_FILE:teeshm> report report-missing-dir)
add_test(NAME cli_report_unlike_runs COMMAND ${EXPECT} 2 "are results of different runs" -- sh -c "rm -rf report-unlike && mkdir report-unlike && cp plot-test/cached.json report-unlike/ && sed 's/\"workload\": \"multi-vm\"/\"workload\": \"gp-xtest\"/' plot-test/dynamic.json >report-unlike/dynamic.json && exec $<TARGET_FILE:teeshm> report report-unlike")
add_test(NAME cli_report_no_gnuplot COMMAND ${EXPECT} 1 "gnuplot is not on PATH" -- sh -c "rm -rf report-no-gnuplot && mkdir report-no-gnuplot && cp plot-test/cached.json report-no-gnuplot/ && PATH=/nonexistent $<TARGET_FILE:teeshm> report report-no-gnuplot; rc=$? && grep -q 'teeshm plot failed on this directory' report-no-gnuplot/report.html && exit $rc")
set_tests_properties(report_compare cli_report_unlike_runs cli_report_no_gnuplot PROPERTIES FIXTURES_REQUIRED plot_files)
if(NOT TEESHM_SANITIZE AND NOT TEESHM_TSAN)
  add_test(NAME report_in_chromium COMMAND ${CMAKE_SOURCE_DIR}/tests/browser/report-in-chromium.sh
    $<TARGET_FILE:teeshm> ${CMAKE_BINARY_DIR}/test-output/report)
  set_tests_properties(report_in_chromium PROPERTIES TIMEOUT 300)
endif()

# valgrind memcheck over the integration tests (the plain build: no sanitizer runtime, no
# jemalloc in test binaries): any memory error or definite leak fails.
find_program(VALGRIND valgrind)
if(VALGRIND AND NOT TEESHM_SANITIZE AND NOT TEESHM_TSAN)
  foreach(t test_hv_inproc test_cached test_carveout_vm test_teec_inproc test_rpc_strategy test_carveout)
    add_test(NAME memcheck_${t} COMMAND ${VALGRIND} -q --error-exitcode=99 --leak-check=full
      --errors-for-leak-kinds=definite $<TARGET_FILE:${t}>)
    set_tests_properties(memcheck_${t} PROPERTIES TIMEOUT 300)
  endforeach()
endif()

# The tests whose code runs on several threads; `make check` also runs them under ThreadSanitizer.
set_tests_properties(test_smc_channel test_secure_world test_teec_inproc test_hv_inproc
  test_normal_world test_strategy_nw test_carveout test_rpc_strategy test_cached test_carveout_vm test_faults
  PROPERTIES LABELS threads)
