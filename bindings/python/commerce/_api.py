"""The Python side of the engines: what a Python caller wants beyond the C++ calls, each a
few lines over them — iterators that page underneath, keyword requests, Engine as a context
manager, progress bars, and an event follower. Installed onto the compiled classes, so
``engine.catalog.iter_by_category(...)`` sits beside ``engine.catalog.list_by_category(...)``.
"""

import datetime
import os
import sys

from . import _commerce
from ._commerce import (
    Catalog,
    Category,
    Engine,
    EngineOptions,
    EventPublisher,
    EventPublisherOptions,
    Events,
    OrderStatus,
    Orders,
    PlaceOrder,
    PricingPolicy,
    PythonPricing,
    MerchandisingRule,
    Search,
    SearchUse,
    AnalyticsRequest,
    SuggestRequest,
    SearchRequest,
    SynonymGroup,
    SharedCache,
    SharedCacheOptions,
)
from ._commerce import Channel, Channels, Coupon, PriceList, PriceLists, Promotion, Promotions
from ._errors import FailedPrecondition
from ._values import _convert


def _method(cls, name=None):
    def put(fn):
        fn.__qualname__ = "%s.%s" % (cls.__name__, name or fn.__name__)
        setattr(cls, name or fn.__name__, fn)
        return fn

    return put


# --- Engine ----------------------------------------------------------------------------


def _as_pricing(value):
    """A PricingPolicy for EngineOptions.pricing: a Python callable, or an object with
    .price(input), becomes a PythonPricing (memoised, called with the GIL only for the call)."""
    if value is None or isinstance(value, PricingPolicy):
        return value
    return PythonPricing(value)


_pricing_field = EngineOptions.pricing
EngineOptions.pricing = property(
    _pricing_field.fget, lambda self, value: _pricing_field.fset(self, _as_pricing(value)), None,
    "A PricingPolicy: make_default_pricing(...), or a Python policy (a callable "
    "policy(input) -> (tax_minor, shipping_minor), or an object with .price(input); wrapped in "
    "a PythonPricing), or None.")

_engine_init = Engine.__init__


@_method(Engine, "__init__")
def _engine__init__(self, path=None, *, options=None, **fields):
    """Engine(path, **options): opens (creating if absent) the store at path.

    Keywords are EngineOptions fields: driver ('lmdb', 'sqlite' or 'postgres'), run_background,
    cart_ttl, background_tick, pricing (make_default_pricing(...), or a Python callable
    policy(input) -> (tax_minor, shipping_minor): docs/python.md, "Pricing policies"), storage
    (StorageTuning or a dict), search (SearchOptions or a dict, e.g. {'shards': 1}).
    Or pass options=EngineOptions(...). Raises the engine's error (Unavailable,
    Corruption, InvalidArgument, ...) when the store cannot be opened.
    """
    opts = EngineOptions.from_dict(options.to_dict()) if options is not None else EngineOptions()
    if options is not None:
        opts.pricing = options.pricing
    if path is not None:
        opts.path = os.fspath(path)
    types = EngineOptions._field_types
    for name, value in fields.items():
        if name not in types:
            raise TypeError("Engine() got an unknown option %r (options: %s)" % (name, ", ".join(EngineOptions._fields)))
        setattr(opts, name, _as_pricing(value) if name == "pricing" else _convert(types[name], value))
    _engine_init(self, options=opts)


def _remote_options(cls, options, fields, caller):
    """An options value of cls from options= (copied) and keyword fields, each converted to its
    field's type; TypeError naming the caller for an unknown keyword."""
    opts = cls.from_dict(options.to_dict()) if options is not None else cls()
    types = cls._field_types
    for name, value in fields.items():
        if name not in types:
            raise TypeError("%s() got an unknown option %r (options: %s)" % (caller, name, ", ".join(cls._fields)))
        setattr(opts, name, _convert(types[name], value))
    return opts


_shared_cache_init = SharedCache.__init__


@_method(SharedCache, "__init__")
def _shared_cache__init__(self, engine, *, options=None, **fields):
    """SharedCache(engine, **options): product reads and searches of engine's store through Redis.

    Keywords are SharedCacheOptions fields: redis_url ('redis://HOST:PORT'), key_prefix, ttl,
    ttl_jitter, refresh_after, connections, endpoint (EndpointOptions or a dict, e.g.
    {'deadline': 0.05, 'breaker': {'failure_threshold': 5}}), search_ttl (seconds; 0: searches
    do not use Redis), search_max_bytes. Raises InvalidArgument for bad options; a Redis that
    is down is not an error (reads go to the store, searches to the index).
    """
    _shared_cache_init(self, engine, options=_remote_options(SharedCacheOptions, options, fields, "SharedCache"))


@_method(SharedCache, "__enter__")
def _shared_cache__enter__(self):
    return self


@_method(SharedCache, "__exit__")
def _shared_cache__exit__(self, exc_type, exc, tb):
    self.close()
    return False


_event_publisher_init = EventPublisher.__init__


@_method(EventPublisher, "__init__")
def _event_publisher__init__(self, engine, *, options=None, **fields):
    """EventPublisher(engine, **options): engine's event log published to NATS JetStream.

    Keywords are EventPublisherOptions fields: nats_url ('nats://HOST:PORT'), stream, subject,
    duplicate_window, consumer, lease_ttl, batch, endpoint (EndpointOptions or a dict).
    Raises InvalidArgument for bad options; a NATS that is down is not an error (the publisher
    catches up once it answers).
    """
    _event_publisher_init(self, engine,
                          options=_remote_options(EventPublisherOptions, options, fields, "EventPublisher"))


@_method(EventPublisher, "__enter__")
def _event_publisher__enter__(self):
    return self


@_method(EventPublisher, "__exit__")
def _event_publisher__exit__(self, exc_type, exc, tb):
    self.close()
    return False


@_method(Engine)
def __enter__(self):
    return self


@_method(Engine)
def __exit__(self, exc_type, exc, tb):
    try:
        self.close()
    except FailedPrecondition:
        pass  # closed already
    return False


@_method(Engine)
def __repr__(self):
    return "<commerce.Engine driver=%r>" % self.driver


# --- Catalog ---------------------------------------------------------------------------


def _pages(fetch, page_size):
    cursor = ""
    while True:
        page = fetch(cursor, page_size)
        yield from page.items
        if not page.next_cursor:
            return
        cursor = page.next_cursor


@_method(Catalog)
def iter_by_category(self, category_id, *, page_size=200, include_archived=False, channel=""):
    """Every product in a category or its sub-categories (those a channel shows, with channel),
    by product id, fetched page_size at a time (list_by_category underneath; each page is one
    snapshot)."""
    return _pages(
        lambda c, n: self.list_by_category(category_id, cursor=c, limit=n, include_archived=include_archived,
                                           channel=channel),
        page_size,
    )


@_method(Catalog)
def iter_all(self, *, page_size=200, include_archived=False, channel=""):
    """Every product (those a channel shows, with channel), by product id, fetched page_size at a
    time (list underneath)."""
    return _pages(lambda c, n: self.list(cursor=c, limit=n, include_archived=include_archived, channel=channel),
                  page_size)


_upsert_category = Catalog.upsert_category


@_method(Catalog)
def upsert_category(self, category, name=None):
    """Creates or renames a category: upsert_category(Category(...)),
    upsert_category({'id': ..., 'name': ...}) or upsert_category('shoes/running', 'Running').
    Its parent must exist (NotFound) unless it is a root."""
    if isinstance(category, str):
        category = Category(id=category, name=name if name is not None else category)
    elif isinstance(category, dict):
        category = Category.from_dict(category)
    return _upsert_category(self, category)


def progress_reporter(progress, what="import"):
    """The callable an import reports to: `progress` itself when callable, a progress bar
    (tqdm when installed, else a line on stderr) when True, nothing when None/False."""
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    state = {"bar": None, "last": 0}

    def report(p):
        if tqdm is not None:
            bar = state["bar"]
            if bar is None:
                bar = state["bar"] = tqdm(total=p.bytes_total or None, unit="B", unit_scale=True, desc=what)
            bar.update(p.bytes_read - state["last"])
            state["last"] = p.bytes_read
            bar.set_postfix(imported=p.imported, rejected=p.rejected, refresh=False)
            if p.bytes_total and p.bytes_read >= p.bytes_total:
                bar.close()
        else:
            sys.stderr.write(
                "\r%s: %d records, %d imported, %d rejected" % (what, p.records, p.imported, p.rejected)
            )
            sys.stderr.flush()

    return report


@_method(Catalog)
def import_file(self, path, *, format="auto", mapping_path="", default_currency="USD", max_rejections=1000,
                progress=None):
    """Bulk import of a JSON Lines, JSON array or CSV file (format 'auto' goes by the
    extension); the C++ importer does the work with the GIL released. Valid records are
    imported and durable on return; invalid ones are in the ImportReport's rejections
    (line, field, reason). progress: a callable taking ImportProgress, or True for a
    progress bar (tqdm when installed)."""
    return self._import_file(
        path,
        format=format,
        mapping_path=os.fspath(mapping_path) if mapping_path else "",
        default_currency=default_currency,
        max_rejections=max_rejections,
        progress=progress_reporter(progress, os.path.basename(os.fspath(path))),
    )


@_method(Catalog)
def import_jsonl(self, path, progress=None):
    """import_file with format 'jsonl'."""
    return self.import_file(path, format="jsonl", progress=progress)


@_method(Catalog)
def import_csv(self, path, progress=None):
    """import_file with format 'csv'."""
    return self.import_file(path, format="csv", progress=progress)


@_method(Catalog)
def import_data(self, data, **options):
    """Imports a catalog held in memory — bytes, str or a file object — through the one
    streaming importer (start_import), with no temporary file. See commerce.import_data."""
    from ._bulk import import_data

    return import_data(self, data, **options)


@_method(Catalog)
def import_products(self, source, **options):
    """Imports products from a path (JSON Lines, JSON, CSV), an iterable of dicts (the
    native schema, docs/catalog.md) or Products, or a pandas DataFrame. See
    commerce.import_products for the options."""
    from ._bulk import import_products

    return import_products(self, source, **options)


# --- Orders ----------------------------------------------------------------------------

_place = Orders.place
_place_or_replay = Orders.place_or_replay


def _place_request(name, request, fields):
    if request is None:
        return PlaceOrder(**fields)
    if fields:
        raise TypeError(name + "() takes a request or keywords, not both")
    if isinstance(request, dict):
        return PlaceOrder.from_dict(request)
    return request


@_method(Orders)
def place(self, request=None, **fields):
    """Places an order: place(PlaceOrder(...)), place({...}) or place(idempotency_key=...,
    customer_id=..., cart_id=... | lines=[{'sku': ..., 'quantity': ...}],
    shipping_address={...}). The same idempotency key returns the same order. Raises
    InvalidArgument, NotFound, OutOfStock, Conflict, FailedPrecondition."""
    return _place(self, _place_request("place", request, fields))


@_method(Orders)
def place_or_replay(self, request=None, **fields):
    """place(), answering PlacedOrder(order, replayed): replayed is True when the idempotency
    key returned an order placed before and nothing was written (the HTTP API's
    Idempotent-Replayed: true)."""
    return _place_or_replay(self, _place_request("place_or_replay", request, fields))


# --- Promotions --------------------------------------------------------------------------

_promotion_create = Promotions.create
_promotion_update = Promotions.update
_coupon_create = Promotions.create_coupon
_coupon_update = Promotions.update_coupon


def _value_of(cls, name, value, fields):
    if value is None:
        return cls(**fields)
    if fields:
        raise TypeError(name + "() takes a %s or keywords, not both" % cls.__name__)
    if isinstance(value, dict):
        return cls.from_dict(value)
    return value


@_method(Promotions, "create")
def _promotions_create(self, promotion=None, **fields):
    """Stores a new promotion: create(Promotion(...)), create({...}) or create(name=...,
    currency=..., action='percent_off_lines', percent_bp=1000, ...). Raises InvalidArgument,
    AlreadyExists, ResourceExhausted."""
    return _promotion_create(self, _value_of(Promotion, "create", promotion, fields))


@_method(Promotions, "update")
def _promotions_update(self, promotion=None, *, if_version=None, **fields):
    """Replaces every field of the promotion promotion.id (a Promotion, a dict or keywords).
    NotFound; Conflict for a stale if_version."""
    return _promotion_update(self, _value_of(Promotion, "update", promotion, fields), if_version)


@_method(Promotions, "create_coupon")
def _promotions_create_coupon(self, coupon=None, **fields):
    """Stores a new coupon code: create_coupon(code='SPRING', promotion_id=..., usage_limit=100,
    per_customer_limit=1) or a Coupon / dict. Raises InvalidArgument, NotFound, AlreadyExists."""
    return _coupon_create(self, _value_of(Coupon, "create_coupon", coupon, fields))


@_method(Promotions, "update_coupon")
def _promotions_update_coupon(self, coupon=None, *, if_version=None, **fields):
    """Changes a coupon's active flag and limits (a Coupon, a dict or keywords with its code and
    promotion_id). NotFound; Conflict for a stale if_version."""
    return _coupon_update(self, _value_of(Coupon, "update_coupon", coupon, fields), if_version)


# --- Price lists -------------------------------------------------------------------------

_price_list_create = PriceLists.create
_price_list_update = PriceLists.update


@_method(PriceLists, "create")
def _price_lists_create(self, price_list=None, **fields):
    """Stores a new price list: create(PriceList(...)), create({...}) or create(name=...,
    currency='EUR', entries=[{'sku': ..., 'price_minor': ...}], ...). Raises InvalidArgument
    naming the field, AlreadyExists, ResourceExhausted."""
    return _price_list_create(self, _value_of(PriceList, "create", price_list, fields))


@_method(PriceLists, "update")
def _price_lists_update(self, price_list=None, *, if_version=None, **fields):
    """Replaces every field of the list price_list.id (a PriceList, a dict or keywords).
    NotFound; Conflict for a stale if_version."""
    return _price_list_update(self, _value_of(PriceList, "update", price_list, fields), if_version)


@_method(PriceLists)
def iter_all(self, *, page_size=20):
    """Every price list, by id, fetched page_size (1..MAX_PRICE_LIST_PAGE) at a time (list
    underneath; each page is one snapshot)."""
    return _pages(lambda c, n: self.list(cursor=c, limit=n), page_size)


# --- Channels ----------------------------------------------------------------------------

_channel_create = Channels.create
_channel_update = Channels.update


@_method(Channels, "create")
def _channels_create(self, channel=None, **fields):
    """Stores a new channel: create(Channel(...)), create({...}) or create(id='eu', name=...,
    default_currency='EUR', warehouse_ids=[...], category_ids=[...]). Raises InvalidArgument
    naming the field, AlreadyExists, ResourceExhausted."""
    return _channel_create(self, _value_of(Channel, "create", channel, fields))


@_method(Channels, "update")
def _channels_update(self, channel=None, *, if_version=None, **fields):
    """Replaces every field of the channel channel.id (a Channel, a dict or keywords).
    NotFound; Conflict for a stale if_version."""
    return _channel_update(self, _value_of(Channel, "update", channel, fields), if_version)


@_method(Orders)
def iter_by_customer(self, customer_id, *, page_size=100):
    """Every order of a customer, newest first, fetched page_size at a time."""
    return _pages(lambda c, n: self.list_by_customer(customer_id, cursor=c, limit=n), page_size)


@_method(Orders)
def iter_by_status(self, status, *, page_size=100):
    """Every order currently in status, oldest first, fetched page_size at a time."""
    return _pages(lambda c, n: self.list_by_status(status, cursor=c, limit=n), page_size)


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _time_ms(name, value):
    """None, milliseconds since 1970 (int), or a timezone-aware datetime (a pandas Timestamp
    is one) as milliseconds; a naive datetime is refused: its zone would be a guess."""
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise TypeError(name + ": a datetime without a time zone (give tzinfo, e.g. datetime.timezone.utc)")
        return (value - _EPOCH) // datetime.timedelta(milliseconds=1)  # exact: no float
    raise TypeError(name + ": milliseconds since 1970 (int) or a timezone-aware datetime, not "
                    + type(value).__name__)


def _statuses(status):
    """None, one status (OrderStatus or its name) or an iterable of them, as a list of
    OrderStatus. A name is converted here, so that an unknown one is the engine's
    InvalidArgument naming it (inside a list, pybind11's implicit conversion would turn it
    into a TypeError about the signature)."""
    if status is None:
        return []
    if isinstance(status, (str, OrderStatus)):
        status = [status]
    return [OrderStatus(s) if isinstance(s, str) else s for s in status]


@_method(Orders, "list")
def _orders_list(self, *, status=None, customer_id=None, created_from=None, created_before=None, cursor="", limit=50):
    """One page of every order that matches, in placement order (oldest first): status (an
    OrderStatus, its name, or several), customer_id, and created_from <= created_at <
    created_before (milliseconds since 1970, or timezone-aware datetimes). Each filter given
    narrows the list. A page may hold fewer than limit orders while next_cursor is not '':
    a page looks at no more than 10,000 orders (docs/orders.md). Raises InvalidArgument,
    NotFound (customer). See iter()."""
    return self._list(
        _statuses(status),
        customer_id or "",
        _time_ms("created_from", created_from),
        _time_ms("created_before", created_before),
        cursor,
        limit,
    )


@_method(Orders, "iter")
def _orders_iter(self, *, status=None, customer_id=None, created_from=None, created_before=None, page_size=100):
    """Every order that matches (the filters of list()), in placement order, fetched
    page_size at a time. An order that changes status during the walk is still seen once."""
    return _pages(
        lambda c, n: self.list(status=status, customer_id=customer_id, created_from=created_from,
                               created_before=created_before, cursor=c, limit=n),
        page_size,
    )


@_method(Orders)
def iter_all(self, *, page_size=100):
    """Every order, in placement order (iter() with no filter)."""
    return self.iter(page_size=page_size)


@_method(Orders)
def to_dataframe(self, orders=None, *, status=None, customer_id=None, created_from=None, created_before=None,
                 lines=False, money="minor"):
    """Orders (or, with lines=True, their lines) as a pandas DataFrame: the given orders, or
    every order that matches the filters of list() (none: every order), in placement order.
    See commerce.orders_to_dataframe."""
    from ._bulk import order_lines_to_dataframe, orders_to_dataframe

    if orders is None:
        orders = self.iter(status=status, customer_id=customer_id, created_from=created_from,
                           created_before=created_before)
    return (order_lines_to_dataframe if lines else orders_to_dataframe)(orders, money=money)


# --- Events ----------------------------------------------------------------------------


@_method(Events)
def iter(self, from_seq=None, *, types=None, page_size=1000):
    """The events with seq >= from_seq (default: the oldest kept, first_seq()) up to the
    newest when each page is read, in order (tail underneath); types: only events of these
    types. commerce.Gone when from_seq is below first_seq() (those events were trimmed)."""
    wanted = set(types) if types else None
    seq = self.first_seq() if from_seq is None else max(1, from_seq)
    while True:
        batch = self.tail(seq, page_size)
        for e in batch:
            if wanted is None or e.type in wanted:
                yield e
        if len(batch) < page_size:
            return
        seq = batch[-1].seq + 1


@_method(Events)
def follow(self, from_seq=None, *, consumer=None, types=None, poll=1.0, stop=None, page_size=1000):
    """Yields events as they happen, forever (or until stop, a threading.Event, is set).

    Starts at from_seq; or, with consumer (a durable cursor name), just after the
    consumer's cursor, and stores the cursor after each event the caller has processed
    (when it asks for the next one), so a restarted follower resumes where it stopped;
    otherwise at the next new event. Waits in Events.wait with the GIL released; poll is
    the longest wait (seconds) between checks of stop."""
    if from_seq is None:
        from_seq = (self.cursor(consumer) + 1) if consumer else self.last_seq() + 1
    wanted = set(types) if types else None
    seq = max(1, from_seq)
    timeout = datetime.timedelta(seconds=poll)
    while stop is None or not stop.is_set():
        batch = self.tail(seq, page_size)
        for e in batch:
            if wanted is None or e.type in wanted:
                yield e
            if consumer:
                self.set_cursor(consumer, e.seq, sync=False)
            if stop is not None and stop.is_set():
                return
        if batch:
            seq = batch[-1].seq + 1
        if len(batch) < page_size:
            self.wait(seq - 1, timeout)


@_method(Events)
def to_dataframe(self, from_seq=None, *, types=None):
    """The event log (from from_seq, default the oldest kept; of types) as a DataFrame: seq,
    type, subject, time (UTC), data (the JSON text)."""
    from ._bulk import events_to_dataframe

    return events_to_dataframe(self.iter(from_seq, types=types))


# --- Search ----------------------------------------------------------------------------

_query = Search.query


@_method(Search)
def query(self, request=None, **fields):
    """Searches: query('wireless headphones', brands=['Sony'], facets=['brand']),
    query(SearchRequest(...)) or query({...}). The fields are SearchRequest's. Raises
    InvalidArgument (names the field), DeadlineExceeded, Unavailable, Corruption. Releases
    the GIL: threads search in parallel."""
    if request is None or isinstance(request, str):
        if request is not None:
            fields["text"] = request
        request = SearchRequest(**fields)
    elif fields:
        raise TypeError("query() takes a request or keywords, not both")
    elif isinstance(request, dict):
        request = SearchRequest.from_dict(request)
    return _query(self, request)


_record_use = Search.record_use
_analytics = Search.analytics
_suggest = Search.suggest


@_method(Search)
def record_use(self, use=None, **fields):
    """Records that a result of a recorded search was used: record_use(search_id=res.search_id,
    product_id="p1", kind="click"), or a SearchUse / dict. kind: 'click', 'add_to_cart',
    'order'. The search may have been made by any engine sharing the store, before a restart
    too. Raises InvalidArgument (names the field), NotFound (a search id not issued by an
    engine of this store: altered, made up, another store's; or older than the analytics
    retention), FailedPrecondition (analytics off)."""
    return _record_use(self, _value_of(SearchUse, "record_use", use, fields))


@_method(Search)
def analytics(self, request=None, **fields):
    """Top, zero-result and unused queries over a window of whole hours: analytics(limit=20,
    since_ms=...), or an AnalyticsRequest / dict. Counts live in this process's memory (they do
    not survive a restart). Raises InvalidArgument."""
    return _analytics(self, _value_of(AnalyticsRequest, "analytics", request, fields))


@_method(Search)
def suggest(self, request=None, **fields):
    """Search-as-you-type completions: suggest("wireless hea", limit=5), or a SuggestRequest /
    dict. Popular queries first, then the products' words and title phrases ("sony " offers the
    words after "sony" in titles). Raises InvalidArgument (names the
    field), Unavailable, Corruption."""
    if isinstance(request, str):
        fields["text"] = request
        request = None
    return _suggest(self, _value_of(SuggestRequest, "suggest", request, fields))


_put_rule = Search.put_rule
_set_synonym_groups = Search.set_synonym_groups


@_method(Search)
def put_rule(self, rule=None, expected_version=0, **fields):
    """Adds or replaces (by id) a merchandising rule: put_rule(MerchandisingRule(...)),
    put_rule({...}) or put_rule(id="tv", query="tv", pins=[{"product_id": "p1", "position": 1}]).
    Returns the rule set's new version; expected_version (not 0) must be the current one, or
    Conflict. Raises InvalidArgument naming the field."""
    if rule is None:
        rule = MerchandisingRule.from_dict(fields)
    elif fields:
        raise TypeError("put_rule() takes a rule or keywords, not both")
    elif isinstance(rule, dict):
        rule = MerchandisingRule.from_dict(rule)
    return _put_rule(self, rule, expected_version)


@_method(Search)
def set_synonym_groups(self, groups, expected_version=0):
    """Replaces the synonym list: SynonymGroup values or dicts ({"root": "phone", "synonyms":
    ["smartphone"]}; root "" or absent for a multi-way group). Returns the new version."""
    groups = [SynonymGroup.from_dict(g) if isinstance(g, dict) else g for g in groups]
    return _set_synonym_groups(self, groups, expected_version)
