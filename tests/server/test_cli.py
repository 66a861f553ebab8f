"""The `commerce` command line as a newcomer meets it (issue 16, defect 6): read commands never
create a store (a mistyped --data is NotFound, not an empty catalog), `--version`, a top-level
help that lists every command, search results without HTML markup when piped (bold on a
terminal), and `search --explain` printing each hit's explanation (issue 18)."""
import json
import os
import pty
import re
import subprocess
import tempfile

from conftest import find_cli

COMMANDS = ("import", "get", "stats", "events", "generate", "demo", "search", "reindex",
            "backup", "verify", "serve", "keys")


def cli(*args, **kw):
    return subprocess.run([find_cli(), *args], capture_output=True, text=True, timeout=120, **kw)


def make_store(d, products=50):
    """A store of the generated sample; returns (store, a word of the first product's title)."""
    sample = os.path.join(d, "sample.jsonl")
    assert cli("generate", "--products", str(products), "--out", sample).returncode == 0
    store = os.path.join(d, "store")
    r = cli("import", "--data", store, sample)
    assert r.returncode == 0, r.stderr
    with open(sample) as f:
        title = json.loads(f.readline())["title"]
    word = max(re.findall(r"[A-Za-z]{3,}", title), key=len)
    return store, word


def test_version_and_a_help_that_lists_every_command():
    r = cli("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("commerce 0.")
    r = cli("--help")
    assert r.returncode == 0, r.stderr
    listed = {line.split()[0] for line in r.stdout.splitlines() if line.startswith("  ") and line.split()}
    assert set(COMMANDS) <= listed, r.stdout
    assert "--version" in r.stdout
    r = cli()  # no command: a usage error that says how to get help
    assert r.returncode != 0 and "--help" in r.stderr + r.stdout


def test_read_commands_never_create_a_store():
    with tempfile.TemporaryDirectory(prefix="commerce-cli-") as d:
        typo = os.path.join(d, "typo")
        for args in (["stats"], ["get", "--sku", "X"], ["events"], ["search", "shirt"], ["reindex"]):
            r = cli(*args, "--data", typo)
            assert r.returncode == 1, (args, r.stdout, r.stderr)
            assert "NOT_FOUND" in r.stderr and "no store at " + typo in r.stderr, (args, r.stderr)
            assert not os.path.exists(typo), args
        os.mkdir(typo)  # an empty directory is not a store either, and stays empty
        r = cli("stats", "--data", typo)
        assert r.returncode == 1 and "NOT_FOUND" in r.stderr
        assert os.listdir(typo) == []
        store, _ = make_store(d)  # import creates one; reads then work
        r = cli("stats", "--data", store)
        assert r.returncode == 0 and "products    50" in r.stdout, r.stdout + r.stderr


def test_search_results_carry_no_markup_when_piped_and_bold_on_a_terminal():
    with tempfile.TemporaryDirectory(prefix="commerce-cli-") as d:
        store, word = make_store(d)
        r = cli("search", "--data", store, word)
        assert r.returncode == 0, r.stderr
        assert "<b>" not in r.stdout and "&amp;" not in r.stdout and "\x1b[" not in r.stdout
        assert word.lower() in r.stdout.lower(), (word, r.stdout)
        # On a terminal the matched words are bold (ANSI SGR 1) and nothing is left as HTML.
        leader, follower = pty.openpty()
        try:
            p = subprocess.run([find_cli(), "search", "--data", store, word], stdout=follower,
                               stderr=subprocess.PIPE, timeout=120)
            os.close(follower)
            follower = -1
            out = b""
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: the terminal's other end is closed
                    break
                if not chunk:
                    break
                out += chunk
        finally:
            if follower >= 0:
                os.close(follower)
            os.close(leader)
        assert p.returncode == 0, p.stderr
        text = out.decode()
        assert "\x1b[1m" in text and "\x1b[0m" in text and "<b>" not in text, text


def test_search_explain_prints_each_hits_explanation():
    with tempfile.TemporaryDirectory(prefix="commerce-cli-") as d:
        store, word = make_store(d)
        plain = cli("search", "--data", store, word, "--limit", "3")
        assert plain.returncode == 0, plain.stderr
        assert "found by" not in plain.stdout and "term " not in plain.stdout
        r = cli("search", "--data", store, word, "--limit", "3", "--explain")
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        hits = [i for i, line in enumerate(lines) if re.match(r"^   \S+ ", line) and "products for" not in line
                and not line.startswith("   facet") and not line.startswith("   rules")]
        assert hits and len(hits) <= 3, r.stdout
        # The same hits in the same order as without --explain.
        assert [lines[i].split()[0] for i in hits] == [
            line.split()[0] for line in plain.stdout.splitlines()[1:] if line.startswith("   ")][:len(hits)]
        for i in hits:
            found = re.match(r"^      found by '(.*)', weight (\d+\.\d{4})$", lines[i + 1])
            assert found, (lines[i + 1], r.stdout)
            assert found.group(1) == word and float(found.group(2)) > 0
            terms = []
            j = i + 2
            while re.match(r"^        term ", lines[j]):
                m = re.match(r"^        term (\S+)\s+wdf (\d+)\s+weight (\d+\.\d{4})$", lines[j])
                assert m, lines[j]
                assert int(m.group(2)) > 0 and float(m.group(3)) > 0
                terms.append(m.group(1))
                j += 1
            assert terms, r.stdout
            # the word matched: as typed, as a stem ("Z" + stem), or a word it is a prefix of
            assert any(t.removeprefix("Z").lower()[:4] == word.lower()[:4] for t in terms), terms
            assert lines[j] == "      ranked; sort relevance, then product id", r.stdout
        # A browse by popularity: no text weight, the sort named.
        r = cli("search", "--data", store, "--limit", "2", "--explain")
        assert r.returncode == 0, r.stderr
        assert r.stdout.count("      found by '', weight 0.0000") == 2, r.stdout
        assert r.stdout.count("      ranked; sort popularity, then product id") == 2, r.stdout
        # A flag: a value is a usage error; a bad search with it is the search's error, no output.
        r = cli("search", "--data", store, word, "--explain=maybe")
        assert r.returncode != 0 and "--explain" in r.stderr + r.stdout, r.stderr
        r = cli("search", "--data", store, word, "--explain", "--limit", "0")
        assert r.returncode == 1 and "INVALID_ARGUMENT: search limit" in r.stderr and r.stdout == "", r.stderr
