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
