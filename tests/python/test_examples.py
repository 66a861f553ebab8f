"""The programs in examples/python run and print what they promise."""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import PYTHON

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


def run(name, *args):
    out = subprocess.run([PYTHON, str(EXAMPLES / name), *args], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_load_csv_and_search():
    out = run("load_csv_and_search.py")
    assert "imported 5 products (0 rejected)" in out
    assert "Wireless Headphones" in out and "did you mean 'coffee mug'" in out


def test_sales_report():
    pytest.importorskip("pandas")
    out = run("sales_report.py")
    assert "category" in out and "revenue" in out and "electronics" in out


def test_order_events():
    out = run("order_events.py")
    assert out.count("placed by ada") == 3 and "fulfilling -> shipped" in out
