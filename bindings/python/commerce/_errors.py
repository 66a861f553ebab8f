"""Exception classes, one per row of include/commerce/status_codes.def.

The rows come from the compiled module (``_commerce.status_codes()``, expanded from the
same X-macro table as the C++ ``Code`` enum and the HTTP status map), so the Python
classes cannot drift from the C++ codes. ``NotFound`` is also a ``KeyError`` and
``InvalidArgument`` also a ``ValueError``, as OpenTimelineIO maps its codes; ``str(e)`` is
the engine's message in every case (a plain ``KeyError`` would quote it).
"""

from . import _commerce

__all__ = ["Error"]

# The Python built-in an error code is also an instance of, where one fits.
_ALSO = {"NotFound": (KeyError,), "InvalidArgument": (ValueError,)}


class Error(Exception):
    """Root of every error the commerce engine raises.

    Attributes (on every subclass): ``code`` (the C++ ``Code`` value), ``wire_name``
    (``"NOT_FOUND"``), ``http_status`` (what the reference server answers), ``kind``
    (``"caller"``: the request was wrong; ``"world"``: retrying later may succeed) and
    ``retryable``. ``str(e)`` and ``e.message`` are the engine's message.
    """

    code = 0
    wire_name = "OK"
    http_status = 200
    kind = "caller"
    retryable = False

    def __str__(self):
        return str(self.args[0]) if self.args else ""

    @property
    def message(self):
        """The engine's message, e.g. ``"sku A-1: 0 left in warehouse 7"``."""
        return str(self)

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, str(self))


def _make_classes():
    by_code = {}
    for value, name, wire, http, kind in _commerce.status_codes():
        doc = (
            "The engine's %s error (code %d, HTTP %d, %s error%s)."
            % (wire, value, http, kind, "; also a " + _ALSO[name][0].__name__ if name in _ALSO else "")
        )
        cls = type(
            name,
            (Error,) + _ALSO.get(name, ()),
            {
                "__doc__": doc,
                "__module__": "commerce",
                "__str__": Error.__str__,
                "__repr__": Error.__repr__,
                "code": value,
                "wire_name": wire,
                "http_status": http,
                "kind": kind,
                "retryable": kind == "world",
            },
        )
        by_code[value] = cls
    return by_code


ERROR_CLASSES = _make_classes()
"""Code value -> exception class, in table order."""

for _cls in ERROR_CLASSES.values():
    globals()[_cls.__name__] = _cls
    __all__.append(_cls.__name__)
del _cls

_commerce._register_error_classes(dict(ERROR_CLASSES))


def error_for_code(code):
    """The exception class of a code value or wire name (``"NOT_FOUND"``)."""
    if isinstance(code, str):
        for cls in ERROR_CLASSES.values():
            if code in (cls.wire_name, cls.__name__):
                return cls
        raise KeyError(code)
    return ERROR_CLASSES[code]
