# Instrumented builds, each in its own build directory (tools/test; docs/testing.md):
#   COMMERCE_SANITIZE=address  ASan with UBSan (every undefined behaviour is fatal)
#   COMMERCE_SANITIZE=thread   TSan
# Every target of such a build is instrumented, the library included.
set(COMMERCE_SANITIZE "" CACHE STRING "Sanitizers for every target: address (ASan+UBSan) or thread (TSan)")

if(COMMERCE_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(COMMERCE_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread)
  add_link_options(-fsanitize=thread)
elseif(NOT COMMERCE_SANITIZE STREQUAL "")
  message(FATAL_ERROR "COMMERCE_SANITIZE is '${COMMERCE_SANITIZE}': expected address, thread or nothing")
endif()
