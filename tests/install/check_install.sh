#!/usr/bin/env bash
# Installs the built library into a temporary prefix and builds the README's example against
# it twice: with find_package(commerce) (CMake) and with pkg-config. Proves the exported
# package works for a user's project, not only inside this build tree.
set -euo pipefail
build_dir=$1
source_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build_dir" --prefix "$tmp/prefix" > "$tmp/install.log"

mkdir -p "$tmp/consumer"
cat > "$tmp/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(consumer CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(commerce 0.1 REQUIRED)
add_executable(app "$source_dir/examples/cpp/catalog_quickstart.cpp")
target_link_libraries(app PRIVATE commerce::commerce)
CMAKE
cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" > "$tmp/cmake.log"
cmake --build "$tmp/consumer/build" > "$tmp/build.log"
out=$("$tmp/consumer/build/app" "$tmp/shop-cmake")
echo "find_package: $out"
[[ "$out" == "Classic Cotton T-Shirt v1: 19.99 USD" ]]

flags=$(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs --static commerce)
# shellcheck disable=SC2086
g++ -std=c++20 "$source_dir/examples/cpp/catalog_quickstart.cpp" $flags -o "$tmp/app-pc"
out=$("$tmp/app-pc" "$tmp/shop-pc")
echo "pkg-config: $out"
[[ "$out" == "Classic Cotton T-Shirt v1: 19.99 USD" ]]
