# RapidJSON (Debian rapidjson-dev, header-only) reached through an overlay folder in the build
# tree that holds nothing but a `rapidjson` entry:
#   - Emscripten: -I/usr/include would shadow its sysroot headers, so only `rapidjson` may be
#     visible in the include directory.
#   - clang-19: RapidJSON 1.1.0's GenericStringRef::operator= assigns a const member and is
#     rejected even though it is never instantiated. The overlay's document.h is a copy with
#     that one operator declared `= delete` (nothing can call it, so behaviour is unchanged).
#   - A document's memory pool starts with a chunk of at least 64 KiB, and every request in
#     flight holds one (a stream two: its request's and its current event's), which in a wasm
#     build is linear memory that never shrinks: 1,000 streams in flight took 132 MB of it. The
#     overlay's allocators.h is a copy whose default chunk is 4 KiB: a request's text and tree
#     take what they need (a text longer than a chunk gets a chunk of its own size, as before).
#   Every other entry is a copy of the installed one: through a symlink, the compiler reads a
#   header's own `#include "…"` beside its target, in the installed folder, past the patched
#   ones. A fixed upstream is left untouched.
# Sets SY_RAPIDJSON_INCLUDE_DIR (the overlay) for `-isystem` use.

find_path(SY_RAPIDJSON_ROOT rapidjson/document.h
  HINTS "$ENV{RAPIDJSON_ROOT}/include" /usr/include /usr/local/include
  NO_CMAKE_FIND_ROOT_PATH
  DOC "directory that contains rapidjson/document.h")
if(NOT SY_RAPIDJSON_ROOT)
  message(FATAL_ERROR "RapidJSON not found: install rapidjson-dev (toolchain/bootstrap.sh does) "
                      "or pass -DSY_RAPIDJSON_ROOT=<dir containing rapidjson/>")
endif()

set(SY_RAPIDJSON_INCLUDE_DIR "${CMAKE_BINARY_DIR}/rapidjson-overlay")
set(_overlay "${SY_RAPIDJSON_INCLUDE_DIR}/rapidjson")
set(_source "${SY_RAPIDJSON_ROOT}/rapidjson")
file(MAKE_DIRECTORY "${_overlay}")

# An overlay from before the copies holds symlinks (to files and to folders): remove them (not
# their targets) first, so that nothing is copied through them into the installed folder.
set(_had_links FALSE)
file(GLOB _entries RELATIVE "${_source}" "${_source}/*")
foreach(_entry IN LISTS _entries)
  if(IS_SYMLINK "${_overlay}/${_entry}")
    file(REMOVE "${_overlay}/${_entry}")
    set(_had_links TRUE)
  endif()
endforeach()
# Copies keep their timestamps, and unchanged ones are not copied again (no rebuild).
file(COPY "${_source}/" DESTINATION "${_overlay}" PATTERN "document.h" EXCLUDE PATTERN "allocators.h" EXCLUDE)

# Writes the overlay's copy of `name` with `from` replaced by `to`, only when that differs from
# the copy there (so dependants are not rebuilt on every configure). REQUIRED: a header without
# `from` is an error; otherwise it is copied as it is (an upstream that fixed it).
function(sy_rapidjson_patch name from to)
  cmake_parse_arguments(PARSE_ARGV 3 _arg "REQUIRED" "" "")
  file(READ "${_source}/${name}" _text)
  string(REPLACE "${from}" "${to}" _patched "${_text}")
  if(_arg_REQUIRED AND _patched STREQUAL _text)
    message(FATAL_ERROR "${_source}/${name} has no `${from}`: update cmake/rapidjson.cmake")
  endif()
  file(WRITE "${CMAKE_BINARY_DIR}/rapidjson-${name}.tmp" "${_patched}")
  file(COPY_FILE "${CMAKE_BINARY_DIR}/rapidjson-${name}.tmp" "${_overlay}/${name}" ONLY_IF_DIFFERENT)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_source}/${name}")
endfunction()

sy_rapidjson_patch(document.h
  "GenericStringRef& operator=(const GenericStringRef& rhs) { s = rhs.s; length = rhs.length; }"
  "GenericStringRef& operator=(const GenericStringRef& rhs) = delete; /* switchyard overlay: clang-19 rejects the original */")
sy_rapidjson_patch(allocators.h
  "static const int kDefaultChunkCapacity = 64 * 1024;"
  "static const int kDefaultChunkCapacity = 4 * 1024; /* switchyard overlay: 64 KiB upstream */"
  REQUIRED)
# Objects built through the symlinks recorded the installed headers as their dependencies, which
# do not change: touching the patched document.h, which they all include, rebuilds them.
if(_had_links)
  file(TOUCH "${_overlay}/document.h")
endif()
