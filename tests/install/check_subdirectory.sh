#!/usr/bin/env bash
# A project that takes the source in with add_subdirectory(commerce) gets the library alone:
# none of this project's tests, examples, tools, bindings or servers (nor the shared library,
# unless it sets BUILD_SHARED_LIBS) become targets of its build, and no package files
# (commerceConfig.cmake, commerce.pc) are written into its build directory. Configures such a
# consumer (no build: the configure shows all of that).
set -euo pipefail
source_dir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cat > "$tmp/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(vendoring CXX)
set(CMAKE_CXX_STANDARD 20)
add_subdirectory("$source_dir" commerce)
add_executable(app "$source_dir/examples/cpp/readme.cpp")
target_link_libraries(app PRIVATE commerce::commerce)
CMAKE
cmake -S "$tmp" -B "$tmp/build" > "$tmp/configure.log" || { cat "$tmp/configure.log"; fail "configure"; }
targets=$(cmake --build "$tmp/build" --target help)
for t in commerce_unit_tests example_readme _commerce commerce-server commerce-cli commerce-bench commerce_shared; do
  ! grep -qw -- "$t" <<< "$targets" || fail "target $t is part of the consumer's build"
done
grep -qw commerce <<< "$targets" || fail "no commerce library target"
for f in commerceConfig.cmake commerceConfigVersion.cmake commerce.pc commerce/commerce.pc; do
  [[ ! -e $tmp/build/$f ]] || fail "$f written into the consumer's build directory"
done
echo "add_subdirectory(commerce): the library alone, no package files in the consumer's build"
