# Tests: every tests/test_<module>.c is a unit-test executable (tests/tap.h),
# every tests/t_<name>.sh an end-to-end script.  Both run under ctest with
# LC_ALL=C and TZ=UTC pinned and these variables set:
#   LAR_BIN     the la-receipt binary      LAR_SRC  the source tree
#   LAR_SHARED  ../shared beside the tree (tests skip cleanly when absent)
#   LAR_TMP     a scratch folder of the build tree
set(LAR_SHARED_DIR "${CMAKE_SOURCE_DIR}/../shared" CACHE PATH "shared/ folder with golden and vectors")
set(LAR_TEST_ENV
  "LC_ALL=C" "TZ=UTC"
  "LAR_BIN=$<TARGET_FILE:la-receipt>"
  "LAR_SRC=${CMAKE_SOURCE_DIR}"
  "LAR_SHARED=${LAR_SHARED_DIR}"
  "LAR_TMP=${CMAKE_BINARY_DIR}/testtmp")
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/testtmp)

file(GLOB LAR_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/test_*.c)
foreach(src ${LAR_UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE lareceipt PkgConfig::CJSON)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${LAR_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()

file(GLOB LAR_SCRIPT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/t_*.sh)
foreach(src ${LAR_SCRIPT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME ${name} COMMAND bash ${src})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${LAR_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()

# fault injection shim for tests/t_faults.sh and t_jobs.sh (LD_PRELOAD; t_jobs.sh runs it under ASan too)
add_library(lar_readfail SHARED ${CMAKE_SOURCE_DIR}/tests/fault/readfail.c)
target_link_libraries(lar_readfail PRIVATE ${CMAKE_DL_LIBS})
if(TEST t_faults AND TEST t_jobs)
  set_property(TEST t_faults t_jobs APPEND PROPERTY ENVIRONMENT "LAR_READFAIL=$<TARGET_FILE:lar_readfail>")
endif()

# read-only file system shim for tests/t_readonly.sh (LD_PRELOAD)
add_library(lar_rofs SHARED ${CMAKE_SOURCE_DIR}/tests/fault/rofs.c)
target_link_libraries(lar_rofs PRIVATE ${CMAKE_DL_LIBS})
if(TEST t_readonly)
  set_property(TEST t_readonly APPEND PROPERTY ENVIRONMENT "LAR_ROFS=$<TARGET_FILE:lar_rofs>")
endif()
