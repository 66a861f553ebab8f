"""commerce: the embeddable commerce engine, from Python.

    import commerce
    with commerce.Engine("./shop") as engine:
        engine.catalog.upsert_category("shoes", "Shoes")
        engine.catalog.upsert(commerce.Product(id="tee", title="Tee", variants=[
            {"sku": "TEE-M", "price": {"minor": 1999, "currency": "USD"}}]))
        for hit in engine.search.query("tee").hits:
            print(hit.title, hit.price)

The engines are Engine.catalog, .inventory, .carts, .orders, .promotions, .customers, .events and
.search, with the C++ names (include/commerce/*.h). Every call that reaches storage or
search releases the GIL. Errors raise a subclass of commerce.Error, one per engine code
(commerce.NotFound is also a KeyError, commerce.InvalidArgument also a ValueError), with the
engine's message. Money is exact: integer minor units and a currency (Decimal on request).
See docs/python.md.
"""

from . import _commerce
from ._commerce import *  # noqa: F401,F403  the compiled classes and functions
from ._commerce import __version__, status_codes  # noqa: F401
from ._errors import *  # noqa: F401,F403  Error and one class per status code
from ._errors import ERROR_CLASSES, Error, error_for_code  # noqa: F401
from . import _values  # noqa: F401  repr, ==, to_dict/from_dict on every value class
from . import _api  # noqa: F401  iterators, keyword requests, Engine as a context manager
from ._api import progress_reporter  # noqa: F401
from ._bulk import (  # noqa: F401
    events_to_dataframe,
    import_data,
    import_products,
    order_lines_to_dataframe,
    orders_to_dataframe,
)

__all__ = sorted(
    [n for n in dir(_commerce) if not n.startswith("_")]
    + [c.__name__ for c in ERROR_CLASSES.values()]
    + ["Error", "ERROR_CLASSES", "error_for_code", "import_data", "import_products", "orders_to_dataframe",
       "order_lines_to_dataframe", "events_to_dataframe", "progress_reporter", "__version__"]
)

for _name in __all__:
    _obj = globals().get(_name)
    if isinstance(_obj, type) and getattr(_obj, "__module__", "") == "commerce._commerce":
        try:
            _obj.__module__ = "commerce"
        except (AttributeError, TypeError):
            pass
del _name, _obj
