#!/usr/bin/python3
"""docs/guarantees.md promises only what a test proves: every `file › "test name"` on it must
name a test that exists, or the page promises something no test checks any more.

Usage: guarantee_tests.py SOURCE_DIR. Exits 1 listing each reference whose file or test is
gone. A reference is `file.cpp › "Catch2 test name"`, `file.py › test_function` or
`ctest › test_name` (a test that tests/CMakeLists.txt adds by name, such as the crash harness's);
a bare `› "name"` takes the file of the reference before it.
"""
import pathlib
import re
import sys


def test_names(path):
    """The test names a file defines: Catch2 TEST_CASE names (adjacent string literals
    joined), pytest functions."""
    text = path.read_text()
    if path.suffix == ".py":
        return set(re.findall(r"^\s*def (test_\w+)", text, re.M))
    names = set()
    for m in re.finditer(r'TEST_CASE(?:_METHOD)?\s*\(\s*(?:\w+\s*,\s*)?((?:"(?:[^"\\]|\\.)*"\s*)+)', text):
        names.add("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))))
    return names


def ctest_names(root):
    """The tests tests/CMakeLists.txt adds by name: add_test(NAME x ...) and the crash harness's
    commerce_crash_harness_test(x ...), which adds crash_harness_x."""
    text = (root / "tests/CMakeLists.txt").read_text()
    names = set(re.findall(r"add_test\(\s*NAME\s+([\w-]+)", text))
    names |= {"crash_harness_" + n for n in re.findall(r"^\s*commerce_crash_harness_test\(\s*(\w+)", text, re.M)}
    return names


def main():
    root = pathlib.Path(sys.argv[1])
    doc = (root / "docs/guarantees.md").read_text()
    files = {}
    for p in (root / "tests").rglob("*"):
        if p.suffix in (".cpp", ".py") and p.is_file():
            files.setdefault(p.name, []).append(p)
    text = re.sub(r"\s+", " ", doc)  # a name may wrap across lines of the page
    current, checked, bad = None, 0, []
    for span in re.findall(r"`([^`]*›[^`]*)`", text):
        m = re.fullmatch(r"\s*([\w./-]+\.(?:cpp|py)|ctest)?\s*›\s*(.*?)\s*", span)
        if not m or span.strip() == 'file › "test name"':
            continue
        if m.group(1):
            current = m.group(1)
        name = m.group(2)
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1]
        if not name:
            continue
        checked += 1
        if current == "ctest":
            if name not in ctest_names(root):
                bad.append(f"ctest › {name}: tests/CMakeLists.txt adds no test of that name")
            continue
        where = files.get(pathlib.PurePath(current).name, [])
        if not where:
            bad.append(f"{current}: no such test file (for › {name})")
        elif not any(name in test_names(p) for p in where):
            bad.append(f"{current} › \"{name}\": no test of that name")
    for b in bad:
        print("docs/guarantees.md names a test that does not exist:", b)
    print(f"{checked} test references on docs/guarantees.md, {len(bad)} broken")
    return 1 if bad or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
