"""pip install --no-index --no-build-isolation bindings/python   (offline, from the repository)

Builds the `_commerce` extension with CMake from the repository (the same target the normal
build makes, linking libcommerce statically) and installs it with the pure-Python package
`commerce/`. Uses only what Debian ships: /usr/bin/python3, python3-setuptools,
python3-pybind11, cmake and the library's build dependencies (tools/install-deps).

COMMERCE_CMAKE_BUILD_DIR=build reuses a configured build of the repository (tools/demo makes
one) instead of configuring a new one: only the `_commerce` target is brought up to date there,
which takes seconds when it is built already. The module must be for this interpreter's ABI
(the build's Python3_EXECUTABLE, /usr/bin/python3 by default, and a venv made from it are one).
"""
import sysconfig

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent  # the repository: bindings/python/ -> ./


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        reuse = os.environ.get("COMMERCE_CMAKE_BUILD_DIR")
        if reuse:
            build_dir = (ROOT / reuse).resolve() if not os.path.isabs(reuse) else Path(reuse)
            if not (build_dir / "CMakeCache.txt").exists():
                raise RuntimeError("COMMERCE_CMAKE_BUILD_DIR=%s is not a configured CMake build "
                                   "(no CMakeCache.txt): run tools/demo, or leave it unset" % reuse)
        else:
            build_dir = Path(self.build_temp).resolve() / "cmake"
            self.configure(build_dir)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.check_call(["cmake", "--build", str(build_dir), "--target", "_commerce", "-j", jobs])
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = build_dir / "python" / "commerce" / ("_commerce" + suffix)
        if not built.exists():
            found = [p.name for p in (build_dir / "python" / "commerce").glob("_commerce*.so")]
            raise RuntimeError("%s holds %s, not a module for this interpreter (%s): configure it "
                               "with -DPython3_EXECUTABLE=%s" % (built.parent, found or "no module",
                                                                 suffix, sys.executable))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)

    def configure(self, build_dir):
        build_dir.mkdir(parents=True, exist_ok=True)
        subprocess.check_call([
            "cmake", "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
            "-DCOMMERCE_BUILD_TESTS=OFF", "-DCOMMERCE_BUILD_EXAMPLES=OFF", "-DCOMMERCE_BUILD_TOOLS=OFF",
            "-DCOMMERCE_BUILD_BENCH=OFF", "-DCOMMERCE_BUILD_SERVER=OFF", "-DCOMMERCE_INSTALL=OFF",
            "-DCOMMERCE_BUILD_PYTHON=ON", "-DPython3_EXECUTABLE=" + sys.executable,
        ])


def version():
    for line in (ROOT / "include/commerce/version.h").read_text().splitlines():
        if "COMMERCE_VERSION_STRING" in line:
            return line.split('"')[1]
    return "0.0.0"


setup(
    name="commerce",
    version=version(),
    description="Python bindings of the commerce engine (catalog, inventory, carts, orders, search)",
    packages=["commerce"],
    package_dir={"commerce": "commerce"},
    package_data={"commerce": ["*.pyi", "py.typed"]},
    ext_modules=[CMakeExtension("commerce._commerce")],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    extras_require={"dataframes": ["pandas"], "progress": ["tqdm"]},
    zip_safe=False,
)
