#!/usr/bin/env python3
"""The README's C++ example is examples/cpp/readme.cpp, which the build compiles: the README's
block must be that file as it is (its leading comment lines aside), so that the README compiles
as shown. Exit 1 with a diff when they differ."""
import difflib
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
readme = (root / "README.md").read_text()
blocks = re.findall(r"```cpp\n(.*?)```", readme, re.S)
if len(blocks) != 1:
    sys.exit(f"README.md: expected one cpp block, found {len(blocks)}")
example = (root / "examples/cpp/readme.cpp").read_text().split("\n")
while example and example[0].startswith("//"):
    example.pop(0)
example = "\n".join(example)
if blocks[0] != example:
    sys.stdout.writelines(difflib.unified_diff(
        example.splitlines(True), blocks[0].splitlines(True),
        "examples/cpp/readme.cpp", "README.md (cpp block)"))
    sys.exit("README.md's C++ example differs from examples/cpp/readme.cpp (which is compiled)")
print("README.md's C++ example is examples/cpp/readme.cpp")
