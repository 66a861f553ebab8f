"""The typing stubs and docstrings cover every public name, and agree with the table of
status codes; help(commerce.Engine) is useful."""

import ast
import inspect
import pydoc
from pathlib import Path

import commerce

STUB = Path(commerce.__file__).with_name("__init__.pyi")


def _stub_names():
    tree = ast.parse(STUB.read_text())
    names, members = set(), {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
            members[node.name] = {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))} | {
                n.target.id for n in node.body if isinstance(n, ast.AnnAssign)} | {
                t.id for n in node.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
    for node in tree.body:  # members a stub class inherits from another stub class
        if isinstance(node, ast.ClassDef):
            for b in node.bases:
                if isinstance(b, ast.Name) and b.id in members:
                    members[node.name] |= members[b.id]
    return names, members


def _public(cls):
    return {n for n in vars(cls) if not n.startswith("_")}


def test_every_public_name_is_in_the_stubs():
    names, members = _stub_names()
    missing = [n for n in commerce.__all__ if n not in names]
    assert not missing, "not in __init__.pyi: %s" % missing
    for n in commerce.__all__:
        obj = getattr(commerce, n)
        if isinstance(obj, type) and not issubclass(obj, BaseException):
            if hasattr(obj, "__members__"):
                continue  # enums: values listed
            lacking = sorted(_public(obj) - members[n] - {"name", "value"})
            assert not lacking, "%s members not in the stubs: %s" % (n, lacking)


def test_stub_error_classes_match_the_status_code_table():
    tree = ast.parse(STUB.read_text())
    stub_errors = [node.name for node in tree.body if isinstance(node, ast.ClassDef)
                   and any(isinstance(b, ast.Name) and b.id == "Error" for b in node.bases)]
    assert stub_errors == [row[1] for row in commerce.status_codes()]


def test_every_public_name_has_a_docstring():
    undocumented = []
    for n in commerce.__all__:
        obj = getattr(commerce, n)
        if not (callable(obj) or isinstance(obj, type)):
            continue
        if not (obj.__doc__ or "").strip():
            undocumented.append(n)
        if isinstance(obj, type) and not issubclass(obj, BaseException) and not hasattr(obj, "__members__"):
            for m in _public(obj):
                attr = getattr(obj, m)
                if not (getattr(attr, "__doc__", "") or "").strip():
                    undocumented.append("%s.%s" % (n, m))
    assert not undocumented, undocumented


def test_help_of_engine_is_useful():
    text = pydoc.render_doc(commerce.Engine, renderer=pydoc.plaintext)
    for word in ("with commerce.Engine", "catalog", "close", "run_background"):
        assert word in text
    assert "Places an order" in inspect.getdoc(commerce.Orders.place)
