#!/usr/bin/env bash
# Installs the built library into a temporary prefix and builds the README's C++ example
# (examples/cpp/readme.cpp, the file README.md shows) against it the ways a user's project
# would: find_package(commerce) with the shared and with the static library, pkg-config's plain
# line (the shared library) and its --static line (the archive); each program is run.
# (A project that takes the source in with add_subdirectory(commerce) is check_subdirectory.sh's.)
set -euo pipefail
build_dir=$1
source_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build_dir" --prefix "$prefix" > "$tmp/install.log"
lib=$prefix/lib
example=$source_dir/examples/cpp/readme.cpp

fail() { echo "FAIL: $*" >&2; exit 1; }
# The README example's output: the T-shirt, then its order from the one warehouse.
check_output() {
  local what=$1 out=$2
  echo "$what: ${out//$'\n'/ | }"
  [[ $(sed -n 1p <<< "$out") == "Classic Cotton T-Shirt 19.99" ]] || fail "$what: first line"
  [[ $(sed -n 2p <<< "$out") =~ ^order\ .+:\ 39\.98\ USD\ from\ wh-1$ ]] || fail "$what: order line"
}
links_shared() { readelf -d "$1" | grep -q 'NEEDED.*\[libcommerce\.so\.0\]'; }

# The shared library carries its SONAME; the archive is installed beside it.
soname=$(readelf -d "$lib/libcommerce.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ $soname == libcommerce.so.0 ]] || fail "SONAME is '$soname', not libcommerce.so.0"
[[ -f $lib/libcommerce.a && -L $lib/libcommerce.so && -f $lib/libcommerce.so.0.1.0 ]] ||
  fail "libcommerce.a, libcommerce.so -> libcommerce.so.0.1.0 not all installed"

# CMake: commerce::commerce is the shared library, or the archive with BUILD_SHARED_LIBS=OFF.
mkdir -p "$tmp/consumer"
cat > "$tmp/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(consumer CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(commerce 0.1 REQUIRED)
add_executable(app "$example")
target_link_libraries(app PRIVATE commerce::commerce)
CMAKE
for mode in shared static; do
  shared=ON; [[ $mode == static ]] && shared=OFF
  cmake -S "$tmp/consumer" -B "$tmp/cmake-$mode" -DCMAKE_PREFIX_PATH="$prefix" \
    -DBUILD_SHARED_LIBS=$shared > "$tmp/cmake-$mode.log"
  cmake --build "$tmp/cmake-$mode" > "$tmp/build-$mode.log"
  if [[ $mode == shared ]]; then
    links_shared "$tmp/cmake-$mode/app" || fail "find_package: app does not link libcommerce.so.0"
  else
    ! links_shared "$tmp/cmake-$mode/app" || fail "find_package, BUILD_SHARED_LIBS=OFF: app links libcommerce.so.0"
  fi
  check_output "find_package ($mode)" "$("$tmp/cmake-$mode/app" "$tmp/shop-cmake-$mode")"
done

# pkg-config: the plain line links the shared library; --static has what the archive needs.
export PKG_CONFIG_PATH=$lib/pkgconfig
# shellcheck disable=SC2046
g++ -std=c++20 "$example" $(pkg-config --cflags --libs commerce) -o "$tmp/app-pc"
links_shared "$tmp/app-pc" || fail "pkg-config: app does not link libcommerce.so.0"
check_output "pkg-config (shared)" "$(LD_LIBRARY_PATH=$lib "$tmp/app-pc" "$tmp/shop-pc")"
# shellcheck disable=SC2046
g++ -std=c++20 "$example" -l:libcommerce.a $(pkg-config --cflags --libs --static commerce) -o "$tmp/app-pc-static"
! links_shared "$tmp/app-pc-static" || fail "pkg-config --static: app links libcommerce.so.0"
check_output "pkg-config --static" "$("$tmp/app-pc-static" "$tmp/shop-pc-static")"

