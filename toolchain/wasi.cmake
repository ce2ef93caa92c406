# CMake toolchain file: WebAssembly + WASI (wasm32-wasi), used by the `wasi` preset.
#
# With WASI_SDK_PATH set (environment or -D), the compilers and sysroot of that wasi-sdk are
# used. Otherwise Debian's pieces stand in for wasi-sdk: clang-19 / lld-19 / llvm-19,
# wasi-libc, libc++-19-dev-wasm32, libc++abi-19-dev-wasm32, libclang-rt-19-dev-wasm32.
#
# Debian's WASI headers and libraries live under /usr/include/wasm32-wasi and
# /usr/lib/wasm32-wasi. `--sysroot=/usr` would also put glibc's /usr/include on the search
# path, so a missing WASI header would silently resolve to a glibc one. Instead an isolated
# sysroot of two symlinks is created in the build tree at configure time.

set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(triple wasm32-wasi)

# CMake 3.25 ships no Platform/WASI.cmake; ours is next to this file.
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

if(NOT DEFINED WASI_SDK_PATH AND DEFINED ENV{WASI_SDK_PATH})
  set(WASI_SDK_PATH "$ENV{WASI_SDK_PATH}")
endif()

if(WASI_SDK_PATH)
  set(CMAKE_C_COMPILER "${WASI_SDK_PATH}/bin/clang")
  set(CMAKE_CXX_COMPILER "${WASI_SDK_PATH}/bin/clang++")
  set(CMAKE_AR "${WASI_SDK_PATH}/bin/llvm-ar" CACHE FILEPATH "archiver")
  set(CMAKE_RANLIB "${WASI_SDK_PATH}/bin/llvm-ranlib" CACHE FILEPATH "ranlib")
  set(CMAKE_SYSROOT "${WASI_SDK_PATH}/share/wasi-sysroot")
else()
  set(CMAKE_C_COMPILER clang-19)
  set(CMAKE_CXX_COMPILER clang++-19)
  # GNU ar cannot index LTO bitcode objects.
  set(CMAKE_AR llvm-ar-19 CACHE FILEPATH "archiver")
  set(CMAKE_RANLIB llvm-ranlib-19 CACHE FILEPATH "ranlib")
  # try_compile projects re-read this file in their own binary dir: they get the path of
  # the sysroot made by the main configure through CMAKE_TRY_COMPILE_PLATFORM_VARIABLES.
  if(NOT SY_WASI_SYSROOT)
    set(SY_WASI_SYSROOT "${CMAKE_BINARY_DIR}/wasi-sysroot")
  endif()
  if(NOT EXISTS "${SY_WASI_SYSROOT}/include/${triple}")
    file(MAKE_DIRECTORY "${SY_WASI_SYSROOT}/include" "${SY_WASI_SYSROOT}/lib")
    file(CREATE_LINK /usr/include/${triple} "${SY_WASI_SYSROOT}/include/${triple}" SYMBOLIC)
    file(CREATE_LINK /usr/lib/${triple} "${SY_WASI_SYSROOT}/lib/${triple}" SYMBOLIC)
  endif()
  set(CMAKE_SYSROOT "${SY_WASI_SYSROOT}")
  list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SY_WASI_SYSROOT)
endif()

set(CMAKE_C_COMPILER_TARGET ${triple})
set(CMAKE_CXX_COMPILER_TARGET ${triple})

# Debian's wasm libc++abi has no throw runtime, and the core uses no exceptions.
set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions")
# The compiler check links a plain executable; a module with no `main` is fine for it.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH "${CMAKE_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
