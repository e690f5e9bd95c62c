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
teeshm_unit_test(NAME test_optee_abi SOURCES tests/unit/test_optee_abi.c LIBS teeshm_common)
teeshm_unit_test(NAME test_rbtree SOURCES tests/unit/test_rbtree.c LIBS teeshm_secure_mm)
teeshm_unit_test(NAME test_tlb SOURCES tests/unit/test_tlb.c LIBS teeshm_secure_mm)
teeshm_unit_test(NAME test_vaspace SOURCES tests/unit/test_vaspace.c LIBS teeshm_secure_mm)
teeshm_unit_test(NAME test_pa_index SOURCES tests/unit/test_pa_index.c LIBS teeshm_secure_mm)
teeshm_unit_test(NAME test_pgt SOURCES tests/unit/test_pgt.c LIBS teeshm_secure_mm)
# QEMU's own MMU (through Unicorn) walks our tables: an oracle nobody here wrote.
teeshm_unit_test(NAME test_pgt_unicorn SOURCES tests/oracle/test_pgt_unicorn.c
  LIBS teeshm_secure_mm PkgConfig::UNICORN TIMEOUT 300)
teeshm_unit_test(NAME test_core_mm SOURCES tests/unit/test_core_mm.c LIBS teeshm_secure)

# The freestanding libraries must call nothing from libc but the string.h functions.
add_test(NAME freestanding_symbols
  COMMAND ${CMAKE_SOURCE_DIR}/scripts/check-freestanding.sh $<TARGET_FILE:teeshm_abi> $<TARGET_FILE:teeshm_secure_mm>)

# The demo path works end to end (small, fast).
add_test(NAME cli_layout COMMAND teeshm layout --vms 3 --guest-ram-mib 16)
