"""What every value object (Product, Order, Money, ...) gets in Python.

The compiled classes record their fields (``_fields``) and the field types
(``_field_types``: None for a plain value, a class, or ``("list"|"dict", inner)``);
from those, one implementation here gives each of them keyword construction, a useful
``repr``, equality by value, ``to_dict()`` / ``from_dict()``, ``copy`` and pickling.
Nothing here knows a particular class except Money (exact amounts, never a float).
"""

import decimal
import keyword

from . import _commerce

_REPR_MAX = 120  # characters of a long string field shown by repr


def _dict_key(field):
    # OrderTransition.from_ is "from" in dicts: a field named after a keyword.
    return field[:-1] if field.endswith("_") and keyword.iskeyword(field[:-1]) else field


def _convert(spec, value):
    """value as the field type `spec` wants it: dicts become value objects, names enums."""
    if spec is None or value is None:
        return value
    if isinstance(spec, tuple):
        kind, inner = spec
        if inner is None:
            return value
        if kind == "list":
            return [_convert(inner, v) for v in value]
        return {k: _convert(inner, v) for k, v in value.items()}
    if isinstance(value, spec):
        return value
    if isinstance(value, dict) and hasattr(spec, "from_dict"):
        return spec.from_dict(value)
    if isinstance(value, str) and hasattr(spec, "__members__"):
        return spec(value)
    return value


def _plain(value, decimal_money):
    if hasattr(value, "_fields"):
        return value.to_dict(decimal=decimal_money)
    if hasattr(type(value), "__members__"):  # a bound enum: its engine name
        return str(value)
    if isinstance(value, list):
        return [_plain(v, decimal_money) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, decimal_money) for k, v in value.items()}
    return value


def _short(value):
    if isinstance(value, str) and len(value) > _REPR_MAX:
        return repr(value[:_REPR_MAX]) + "..."
    if hasattr(type(value), "__members__"):
        return "%s.%s" % (type(value).__name__, value.name)
    return repr(value)


def _from_dict(cls, data):
    return cls.from_dict(data)


def install(cls):
    """Gives the compiled value class `cls` its Python behaviour."""
    fields = tuple(cls._fields)
    types = dict(cls._field_types)
    by_key = {_dict_key(f): f for f in fields}
    compiled_init = cls.__init__

    def __init__(self, **fields_):
        compiled_init(self)
        for name, value in fields_.items():
            if name not in types:
                raise TypeError("%s has no field %r (fields: %s)" % (cls.__name__, name, ", ".join(fields)))
            setattr(self, name, _convert(types[name], value))

    __init__.__doc__ = "%s(**fields): fields by keyword, the others at their defaults: %s." % (
        cls.__name__,
        ", ".join(fields),
    )

    def __repr__(self):
        default = cls()
        parts = []
        for f in fields:
            v = getattr(self, f)
            if v != getattr(default, f):
                parts.append("%s=%s" % (f, _short(v)))
        return "%s(%s)" % (cls.__name__, ", ".join(parts))

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in fields)

    def to_dict(self, decimal=False):
        """The value as plain dicts, lists, ints and strings (enums by their engine names,
        Money as {"minor", "currency"}, or {"amount": Decimal, "currency"} with decimal=True);
        from_dict() takes it back."""
        return {_dict_key(f): _plain(getattr(self, f), decimal) for f in fields}

    @classmethod
    def from_dict(cls_, data):
        """The value from a dict of its fields (nested dicts become nested values; missing
        fields keep their defaults). TypeError for an unknown field."""
        if isinstance(data, cls_):
            return data
        kwargs = {}
        for k, v in data.items():
            if k not in by_key:
                raise TypeError("%s has no field %r (fields: %s)" % (cls_.__name__, k, ", ".join(fields)))
            kwargs[by_key[k]] = v
        return cls_(**kwargs)

    def __copy__(self):
        return cls.from_dict(self.to_dict())

    def __deepcopy__(self, memo):
        return cls.from_dict(self.to_dict())

    def __reduce__(self):
        return (_from_dict, (cls, self.to_dict()))

    cls.__init__ = __init__
    cls.__repr__ = __repr__
    cls.__eq__ = __eq__
    cls.__hash__ = None  # mutable
    cls.to_dict = to_dict
    cls.from_dict = from_dict
    cls.__copy__ = __copy__
    cls.__deepcopy__ = __deepcopy__
    cls.__reduce__ = __reduce__


def _install_money(Money):
    compiled_init = Money.__init__
    base_from_dict = Money.from_dict

    def __init__(self, minor=0, currency="", **kw):
        if kw:
            raise TypeError("Money takes minor and currency (got %s)" % ", ".join(kw))
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise TypeError(
                "Money takes integer minor units (4999 for 49.99 USD), not %s: use "
                "Money.from_decimal(Decimal('49.99'), 'USD'); a float is never exact" % type(minor).__name__
            )
        compiled_init(self, minor=minor, currency=currency)

    def from_decimal(amount, currency):
        """Money of a Decimal (or its text, '49.99') in major units of currency, exactly.
        InvalidArgument for more decimals than the currency has. A float is refused."""
        if isinstance(amount, float):
            raise TypeError("a float is never an exact amount: pass a Decimal or a str")
        if isinstance(amount, decimal.Decimal):
            amount = format(amount, "f")
        if not currency and decimal.Decimal(str(amount)) == 0:
            return Money()  # the unset Money of a default value object
        return Money.parse(str(amount), currency, allow_negative=True)

    def to_decimal(self):
        """The amount in major units as a Decimal, exactly (Decimal('49.99'))."""
        return decimal.Decimal(self.format())

    def to_dict(self, decimal=False):
        """{"minor": 4999, "currency": "USD"}, or {"amount": Decimal("49.99"), "currency": "USD"}
        with decimal=True."""
        if decimal:
            return {"amount": self.to_decimal(), "currency": self.currency}
        return {"minor": self.minor, "currency": self.currency}

    @classmethod
    def from_dict(cls, data):
        """Money from {"minor", "currency"} or {"amount": Decimal or str, "currency"}."""
        if isinstance(data, cls):
            return data
        if "amount" in data:
            extra = set(data) - {"amount", "currency"}
            if extra:
                raise TypeError("Money has no field %r" % sorted(extra)[0])
            return from_decimal(data["amount"], data.get("currency", ""))
        return base_from_dict.__func__(cls, data)

    def __str__(self):
        return "%s %s" % (self.format(), self.currency)

    def __repr__(self):
        return "Money(minor=%d, currency=%r)" % (self.minor, self.currency)

    Money.__init__ = __init__
    Money.from_decimal = staticmethod(from_decimal)
    Money.to_decimal = to_decimal
    Money.to_dict = to_dict
    Money.from_dict = from_dict
    Money.__str__ = __str__
    Money.__repr__ = __repr__


VALUE_CLASSES = [
    getattr(_commerce, name)
    for name in dir(_commerce)
    if isinstance(getattr(_commerce, name), type) and hasattr(getattr(_commerce, name), "_fields")
]
for _cls in VALUE_CLASSES:
    install(_cls)
_install_money(_commerce.Money)
