# libFuzzer targets (clang only): cmake -DLAR_FUZZ=ON -DCMAKE_C_COMPILER=clang.
# The library is instrumented for coverage; every tests/fuzz/fuzz_*.c becomes
# an executable of the same name.  .ci/fuzz runs each for a while.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "LAR_FUZZ needs clang (-DCMAKE_C_COMPILER=clang)")
endif()
file(GLOB LAR_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
foreach(src ${LAR_FUZZ_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE lareceipt PkgConfig::CJSON)
endforeach()
