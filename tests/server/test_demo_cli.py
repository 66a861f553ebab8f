"""`commerce demo --file F --mapping M` on imported retail data: its browse step finds the
products of a category the file made (issue 18, defect 4: it browsed a fixed category of the
generated catalog, "electronics/audio", and found nothing in the Best Buy file)."""
import json
import os
import re
import subprocess
import tempfile

from conftest import find_cli

MAPPING = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "mappings", "bestbuy.json")


def bestbuy_shaped(path):
    """Made-up records in the Best Buy file's shape (no real data)."""
    records = []
    for sku, name, path_names, price in [
        (2001, "Prepaid Flip Phone", ["Cell Phones", "Prepaid Phones"], 19.99),
        (2002, "Prepaid Smart Phone", ["Cell Phones", "Prepaid Phones"], 89.99),
        (2003, "Unlocked Smart Phone", ["Cell Phones", "Unlocked Phones"], 299.99),
        (2004, "Rugged Phone Case", ["Cell Phones", "Cell Phone Accessories", "Cases"], 24.99),
        (2005, "Toaster", ["Appliances", "Small Kitchen Appliances"], 39.99),
    ]:
        records.append({"name": name, "description": "A " + name.lower() + ".", "brand": "Acme",
                        "categories": path_names, "price": price,
                        "image": "https://img.example/%d_sb.jpg" % sku, "popularity": sku})
    with open(path, "w") as f:
        json.dump(records, f)


def test_the_demo_browses_a_category_of_the_imported_file():
    with tempfile.TemporaryDirectory(prefix="commerce-demo-") as d:
        data = os.path.join(d, "products.json")
        bestbuy_shaped(data)
        r = subprocess.run([find_cli(), "demo", "--data", os.path.join(d, "store"), "--file", data,
                            "--mapping", MAPPING], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        out = r.stdout
        # The largest department, then its largest sub-category: cell-phones/prepaid-phones
        # (two products; ties go to the id), cheapest first.
        m = re.search(r"-- search, browse category '([^']*)', cheapest first:\n(.*?)\n(?=--)", out, re.S)
        assert m, out
        assert m.group(1) == "cell-phones/prepaid-phones", out
        lines = m.group(2).splitlines()
        assert lines[0].strip().startswith("2 products"), out
        assert lines[1].split()[0] == "2001" and lines[2].split()[0] == "2002", out
