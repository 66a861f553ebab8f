#!/usr/bin/env python3
"""The code blocks of README.md and docs/*.md, each marked by the comment line just above it:

    <!-- block: run -->                 run by this script, in order, as shown
    <!-- block: long -->                the long commands (tools/demo, tools/test, a rebuild):
                                        run on a brand-new machine (../shared/tools/fresh-machine)
                                        rather than here
    <!-- block: no-run — why -->        a fragment, a picture, output, or something that needs
                                        what a test machine has not (a database cluster, a URL)

  readme_blocks.py --check [ROOT]            every block is marked; exit 1 naming those that are not
  readme_blocks.py --run BUILD_DIR [ROOT]    --check, then runs the `run` blocks: sh with bash
                                             (-e -u -o pipefail), python with build/venv/bin/python
                                             when a block made that venv, else /usr/bin/python3 with
                                             build/python on PYTHONPATH

The blocks run in a scratch directory that looks like the repository — a link to each of its
entries — whose `build` is a directory of its own holding links to BUILD_DIR's entries, so that
what a block writes under build/ (a store, a venv, a keys file) goes there and is removed with
it. Before the blocks run, it holds what tools/demo leaves behind: build/demo-store (the demo on
2,000 products). Each sh block runs in a process group of its own, killed when the block ends
(a server it left running goes with it). The only change made to a block's text: the
server port 8080 becomes a free one, so that runs on one machine do not collide. A block that
names ../shared is an error: that data is licensed, and absent from a clean clone.
"""
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

MARK = re.compile(r"^<!-- block: (run|long|no-run — .+?) -->$")
FENCE = re.compile(r"^```(\S*)\s*$")
BLOCK_TIMEOUT_S = 900


def blocks(path):
    """(line, mark or None, language, text) of each fenced block of a Markdown file."""
    lines = path.read_text().split("\n")
    out, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1)
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        if j == len(lines):
            raise SystemExit(f"{path}:{start + 1}: a code block that is never closed")
        mark = MARK.match(lines[start - 1]) if start > 0 else None
        out.append((start + 1, mark.group(1) if mark else None, lang, "\n".join(lines[start + 1:j]) + "\n"))
        i = j + 1
    return out


def documents(root):
    return [root / "README.md"] + sorted((root / "docs").glob("*.md"))


def check(root):
    problems = []
    for doc in documents(root):
        for line, mark, lang, text in blocks(doc):
            where = f"{doc.relative_to(root)}:{line}"
            if mark is None:
                problems.append(f"{where}: a ```{lang} block without a mark "
                                "(<!-- block: run|long|no-run — why --> on the line above)")
            elif mark == "run" and lang not in ("sh", "python"):
                problems.append(f"{where}: only sh and python blocks can run, not '{lang or 'plain'}'")
            elif not mark.startswith("no-run") and "../shared" in text:
                problems.append(f"{where}: a block that runs names ../shared (absent from a clean clone)")
    for p in problems:
        print(p)
    return not problems


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch(root, build, into):
    """The repository's look-alike in `into`, with a build/ of its own (see the docstring)."""
    for entry in root.iterdir():
        if entry.name not in ("build", ".git"):
            os.symlink(entry, into / entry.name)
    (into / "build").mkdir()
    for entry in build.iterdir():
        os.symlink(entry, into / "build" / entry.name)


def run_block(doc, line, lang, text, cwd, env):
    if lang == "sh":
        cmd = ["bash", "-euo", "pipefail", "-c", text]
    else:
        venv = cwd / "build" / "venv" / "bin" / "python"
        cmd = [str(venv) if venv.exists() else "/usr/bin/python3", "-c", text]
    print(f"== {doc}:{line} ({lang})", flush=True)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, start_new_session=True)
    try:
        rc = proc.wait(timeout=BLOCK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        rc = f"timeout after {BLOCK_TIMEOUT_S} s"
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):  # what the block left running
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.5)
        proc.wait()
    print(f"== {doc}:{line}: {'ok' if rc == 0 else 'FAILED: ' + str(rc)} ({time.monotonic() - t0:.1f} s)",
          flush=True)
    return rc == 0


def run(root, build):
    if not check(root):
        return False
    port = str(free_port())
    with tempfile.TemporaryDirectory(prefix="commerce-readme-") as tmp:
        cwd = pathlib.Path(tmp) / "repo"
        cwd.mkdir()
        scratch(root, build, cwd)
        env = dict(os.environ, HOME=tmp, PYTHONPATH=str(cwd / "build" / "python"), TERM="dumb")
        env.pop("PKG_CONFIG_PATH", None)
        demo = subprocess.run([str(build / "bin" / "commerce"), "demo", "--data", "build/demo-store",
                               "--products", "2000"], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=BLOCK_TIMEOUT_S)
        if demo.returncode != 0:
            print(demo.stdout[-3000:], demo.stderr[-3000:])
            print("FAILED: commerce demo (what tools/demo leaves in build/demo-store)")
            return False
        ok = True
        for doc in documents(root):
            for line, mark, lang, text in blocks(doc):
                if mark == "run":
                    text = text.replace("127.0.0.1:8080", "127.0.0.1:" + port)
                    ok = run_block(doc.relative_to(root), line, lang, text, cwd, env) and ok
    return ok


def main(argv):
    if len(argv) >= 2 and argv[1] == "--check":
        root = pathlib.Path(argv[2] if len(argv) > 2 else ".").resolve()
        ok = check(root)
        print("every block of README.md and docs/*.md is marked" if ok else "unmarked or wrongly marked blocks")
        return 0 if ok else 1
    if len(argv) >= 3 and argv[1] == "--run":
        build = pathlib.Path(argv[2]).resolve()
        root = pathlib.Path(argv[3] if len(argv) > 3 else ".").resolve()
        return 0 if run(root, build) else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
