# Native tests and benchmarks, found by file name so nobody edits CMake to add one.
#
#   tests/<area>/<concept>_test.cc  -> GoogleTest executable <area>_<concept>_test, run by ctest
#   tests/**/*.cc (other names)     -> switchyard_test_support, linked into every test
#   bench/<name>_bench.cc           -> Google Benchmark executable <name>_bench

# The library every test and benchmark links: the C API (and through it the core) when the
# C API has sources, else the core alone.
if(TARGET switchyard_c)
  set(SY_TEST_LINK switchyard_c)
else()
  set(SY_TEST_LINK switchyard_core)
endif()

function(sy_add_gtests tests_dir)
  file(GLOB_RECURSE _tests CONFIGURE_DEPENDS "${tests_dir}/*_test.cc")
  if(NOT _tests)
    message(STATUS "switchyard: no native tests under ${tests_dir}")
    return()
  endif()
  find_package(GTest REQUIRED)
  include(GoogleTest)

  file(GLOB_RECURSE _all CONFIGURE_DEPENDS "${tests_dir}/*.cc")
  set(_support ${_all})
  list(REMOVE_ITEM _support ${_tests})
  list(FILTER _support EXCLUDE REGEX "/fuzz/")  # libFuzzer targets: sy_add_fuzzers builds them
  set(_link ${SY_TEST_LINK})
  if(_support)
    add_library(switchyard_test_support STATIC ${_support})
    target_include_directories(switchyard_test_support PUBLIC "${tests_dir}")
    target_link_libraries(switchyard_test_support PUBLIC ${SY_TEST_LINK} GTest::gtest GTest::gmock)
    list(APPEND _link switchyard_test_support)
  endif()

  foreach(_test IN LISTS _tests)
    file(RELATIVE_PATH _rel "${tests_dir}" "${_test}")
    string(REGEX REPLACE "\\.cc$" "" _name "${_rel}")
    string(REPLACE "/" "_" _name "${_name}")  # tests/cache/l1_store_test.cc -> cache_l1_store_test
    add_executable(${_name} "${_test}")
    target_include_directories(${_name} PRIVATE "${tests_dir}")
    target_link_libraries(${_name} PRIVATE ${_link} GTest::gtest_main GTest::gmock)
    # Discovered when ctest runs (not at build time), so a crashing test binary fails the
    # test run instead of the build; every TEST becomes its own ctest entry.
    gtest_discover_tests(${_name}
      DISCOVERY_MODE PRE_TEST
      DISCOVERY_TIMEOUT 60
      PROPERTIES TIMEOUT 300)
  endforeach()
  list(LENGTH _tests _count)
  message(STATUS "switchyard: ${_count} native test executables")
endfunction()

function(sy_add_benchmarks bench_dir)
  file(GLOB _benches CONFIGURE_DEPENDS "${bench_dir}/*_bench.cc")
  if(NOT _benches)
    return()
  endif()
  find_package(benchmark QUIET)
  if(NOT benchmark_FOUND)
    message(STATUS "switchyard: Google Benchmark not found (libbenchmark-dev), benchmarks skipped")
    return()
  endif()
  foreach(_bench IN LISTS _benches)
    get_filename_component(_name "${_bench}" NAME_WE)
    add_executable(${_name} "${_bench}")
    target_link_libraries(${_name} PRIVATE ${SY_TEST_LINK} benchmark::benchmark_main)
  endforeach()
endfunction()

# libFuzzer targets (clang only, -DSY_FUZZ=ON): tests/fuzz/<name>_fuzz.cc -> executable
# <name>_fuzz, plus a ctest `fuzz_<name>` running it for SY_FUZZ_SECONDS from the seeds in
# tests/fuzz/corpus/<name>/ (new inputs go to the build tree, crashes to build/…/artifacts/).
function(sy_add_fuzzers fuzz_dir)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SY_FUZZ needs clang (e.g. -DCMAKE_CXX_COMPILER=clang++-19)")
  endif()
  set(SY_FUZZ_SECONDS 5 CACHE STRING "seconds each fuzz target runs under ctest")
  file(GLOB _fuzzers CONFIGURE_DEPENDS "${fuzz_dir}/*_fuzz.cc")
  foreach(_fuzzer IN LISTS _fuzzers)
    get_filename_component(_name "${_fuzzer}" NAME_WE)
    string(REGEX REPLACE "_fuzz$" "" _corpus "${_name}")
    add_executable(${_name} "${_fuzzer}")
    target_link_libraries(${_name} PRIVATE switchyard_core)
    target_compile_options(${_name} PRIVATE -fsanitize=fuzzer,address,undefined ${SY_FUZZ_UBSAN})
    target_link_options(${_name} PRIVATE -fsanitize=fuzzer,address,undefined ${SY_FUZZ_UBSAN})
    set(_work "${CMAKE_BINARY_DIR}/fuzz-corpus/${_corpus}")
    file(MAKE_DIRECTORY "${_work}" "${CMAKE_BINARY_DIR}/fuzz-artifacts")
    add_test(NAME fuzz_${_corpus}
      COMMAND ${_name} -max_total_time=${SY_FUZZ_SECONDS} -max_len=16384 -print_final_stats=1
              -artifact_prefix=${CMAKE_BINARY_DIR}/fuzz-artifacts/${_corpus}-
              "${_work}" "${fuzz_dir}/corpus/${_corpus}")
    set_tests_properties(fuzz_${_corpus} PROPERTIES TIMEOUT 600)
  endforeach()
  list(LENGTH _fuzzers _count)
  message(STATUS "switchyard: ${_count} fuzz targets")
endfunction()
