# Instrumented builds, each in its own build directory (tools/test, tools/fuzz; docs/testing.md):
#   COMMERCE_SANITIZE=address  ASan with UBSan (every undefined behaviour is fatal)
#   COMMERCE_SANITIZE=thread   TSan
#   COMMERCE_FUZZ=ON           clang's libFuzzer build: every target compiled with coverage
#                              for libFuzzer and ASan+UBSan; the fuzz targets link libFuzzer's
#                              main (tests/fuzz/CMakeLists.txt). Without the coverage in the
#                              library, libFuzzer would run blind, mutating at random.
# Every target of such a build is instrumented, the library included.
set(COMMERCE_SANITIZE "" CACHE STRING "Sanitizers for every target: address (ASan+UBSan) or thread (TSan)")
# UBSan checks an address build leaves out, comma-separated (empty: none). tools/test's default
# run leaves out null and alignment: together they are more than half of the library's
# ASan+UBSan compile time (src/catalog/catalog.cpp: ~10 s with them, ~4.3 s without), what
# `null` finds ASan reports too (a SEGV at address 0 with its stack), and x86 loads misaligned
# data correctly. `tools/test --full` keeps every check.
set(COMMERCE_UBSAN_OFF "" CACHE STRING "UBSan checks an address build leaves out, e.g. null,alignment")
option(COMMERCE_FUZZ "libFuzzer build (clang): coverage and ASan+UBSan on every target" OFF)

if(COMMERCE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "COMMERCE_FUZZ needs clang (tools/fuzz uses clang++-14), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(NOT COMMERCE_SANITIZE STREQUAL "")
    message(FATAL_ERROR "COMMERCE_FUZZ brings its own sanitizers: leave COMMERCE_SANITIZE empty")
  endif()
  # The ignore list names the third-party defects every input would hit (rapidjson's stack).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer
                      -fsanitize-ignorelist=${PROJECT_SOURCE_DIR}/cmake/sanitizer-ignorelist.txt)
  add_link_options(-fsanitize=address,undefined)
elseif(COMMERCE_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  if(NOT COMMERCE_UBSAN_OFF STREQUAL "")
    add_compile_options(-fno-sanitize=${COMMERCE_UBSAN_OFF})
  endif()
  add_link_options(-fsanitize=address,undefined)
elseif(COMMERCE_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread)
  add_link_options(-fsanitize=thread)
elseif(NOT COMMERCE_SANITIZE STREQUAL "")
  message(FATAL_ERROR "COMMERCE_SANITIZE is '${COMMERCE_SANITIZE}': expected address, thread or nothing")
endif()
