# RapidJSON (Debian rapidjson-dev, header-only) reached through an overlay folder in the build
# tree that holds nothing but a `rapidjson` entry:
#   - Emscripten: -I/usr/include would shadow its sysroot headers, so only `rapidjson` may be
#     visible in the include directory.
#   - clang-19: RapidJSON 1.1.0's GenericStringRef::operator= assigns a const member and is
#     rejected even though it is never instantiated. The overlay's document.h is a copy with
#     that one operator declared `= delete` (nothing can call it, so behaviour is unchanged);
#     every other entry is a symlink to the installed one. A fixed upstream is left untouched.
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

file(GLOB _entries RELATIVE "${_source}" "${_source}/*")
foreach(_entry IN LISTS _entries)
  if(NOT _entry STREQUAL "document.h" AND NOT EXISTS "${_overlay}/${_entry}")
    file(CREATE_LINK "${_source}/${_entry}" "${_overlay}/${_entry}" SYMBOLIC)
  endif()
endforeach()

file(READ "${_source}/document.h" _document)
string(REPLACE
  "GenericStringRef& operator=(const GenericStringRef& rhs) { s = rhs.s; length = rhs.length; }"
  "GenericStringRef& operator=(const GenericStringRef& rhs) = delete; /* switchyard overlay: clang-19 rejects the original */"
  _document "${_document}")
# Only rewrite when different, so dependants are not rebuilt on every configure.
file(WRITE "${CMAKE_BINARY_DIR}/rapidjson-document.h.tmp" "${_document}")
file(COPY_FILE "${CMAKE_BINARY_DIR}/rapidjson-document.h.tmp" "${_overlay}/document.h" ONLY_IF_DIFFERENT)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_source}/document.h")
