# CMake toolchain file used by the `web` preset: forwards to Emscripten's own toolchain file.
# A user's emsdk (EMSDK set by emsdk_env.sh) wins; otherwise Debian's emscripten package.
# (emcmake is not used: it passes Node an emulator flag that Node 20 rejects.)
if(DEFINED ENV{EMSDK} AND EXISTS "$ENV{EMSDK}/upstream/emscripten/cmake/Modules/Platform/Emscripten.cmake")
  include("$ENV{EMSDK}/upstream/emscripten/cmake/Modules/Platform/Emscripten.cmake")
elseif(DEFINED ENV{EMSCRIPTEN} AND EXISTS "$ENV{EMSCRIPTEN}/cmake/Modules/Platform/Emscripten.cmake")
  include("$ENV{EMSCRIPTEN}/cmake/Modules/Platform/Emscripten.cmake")
else()
  include(/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake)
endif()
