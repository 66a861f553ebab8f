# Type stubs of the commerce package (the compiled _commerce module plus the pure-Python
# layer). tests/python/test_stubs.py checks that every public name of the package is here,
# and that the exception classes match include/commerce/status_codes.def.
import datetime
import decimal
import enum
import os
import threading
from typing import IO, Any, Callable, ClassVar, Iterable, Iterator, Mapping, Optional, Sequence, TypeVar, Union, overload

_PathLike = Union[str, bytes, os.PathLike]
_Duration = Union[datetime.timedelta, float, int]  # int and float: seconds
_V = TypeVar("_V", bound="_Value")

__version__: str
MAX_MONEY_MINOR: int
MAX_QUANTITY: int
MAX_STOCK_SLOTS: int
MAX_PROMOTIONS: int
MAX_COUPON_CODES: int
MAX_PROMOTION_TIERS: int
MAX_PRICE_LISTS: int
MAX_PRICE_LIST_PAGE: int
MAX_CHANNELS: int
MAX_PRICE_LIST_ENTRIES: int
MAX_CART_LINES: int
MAX_CART_DOTS: int
MAX_MERGED_CART_DOTS: int
MAX_QUERY_CHARS: int
MAX_QUERY_WORDS: int
MAX_WINDOW: int
MAX_REDIRECT_BYTES: int

# --- errors (one class per row of status_codes.def) -------------------------------------

class Error(Exception):
    code: ClassVar[int]
    wire_name: ClassVar[str]
    http_status: ClassVar[int]
    kind: ClassVar[str]
    retryable: ClassVar[bool]
    @property
    def message(self) -> str: ...

class InvalidArgument(Error, ValueError): ...
class NotFound(Error, KeyError): ...
class AlreadyExists(Error): ...
class Conflict(Error): ...
class OutOfStock(Error): ...
class FailedPrecondition(Error): ...
class Unavailable(Error): ...
class DeadlineExceeded(Error): ...
class ResourceExhausted(Error): ...
class Corruption(Error): ...
class Internal(Error): ...
class NotSupported(Error): ...
class Gone(Error): ...

ERROR_CLASSES: dict[int, type[Error]]
def error_for_code(code: Union[int, str]) -> type[Error]: ...
def status_codes() -> list[tuple[int, str, str, int, str]]: ...

# --- value objects ----------------------------------------------------------------------

class _Value:
    _fields: ClassVar[tuple[str, ...]]
    _field_types: ClassVar[dict[str, Any]]
    def to_dict(self, decimal: bool = False) -> dict[str, Any]: ...
    @classmethod
    def from_dict(cls: type[_V], data: Mapping[str, Any]) -> _V: ...
    def __eq__(self, other: object) -> bool: ...

class Money(_Value):
    minor: int
    currency: str
    def __init__(self, minor: int = 0, currency: str = "") -> None: ...
    def format(self) -> str: ...
    @staticmethod
    def parse(text: str, currency: str, allow_negative: bool = False) -> Money: ...
    @staticmethod
    def from_decimal(amount: Union[decimal.Decimal, str], currency: str) -> Money: ...
    def to_decimal(self) -> decimal.Decimal: ...

def is_known_currency(code: str) -> bool: ...
def currency_exponent(code: str) -> int: ...
def format_money(money: Money) -> str: ...
def parse_money(text: str, currency: str, allow_negative: bool = False) -> Money: ...

class ProductStatus(enum.IntEnum):
    DRAFT = 0
    ACTIVE = 1
    ARCHIVED = 2

class OrderStatus(enum.IntEnum):
    PLACED = 0
    PAID = 1
    FULFILLING = 2
    SHIPPED = 3
    DELIVERED = 4
    CANCELLED = 5
    RETURNED = 6
    REFUNDED = 7
    PAYMENT_PENDING = 8
    PAYMENT_DECLINED = 9

_ProductStatusLike = Union[ProductStatus, str]
_OrderStatusLike = Union[OrderStatus, str]

class PromotionAction(enum.IntEnum):
    PERCENT_OFF_LINES = 0
    FIXED_OFF_LINES = 1
    PERCENT_OFF_ORDER = 2
    FIXED_OFF_ORDER = 3
    BUY_X_GET_Y = 4
    FREE_SHIPPING = 5
    TIERED = 6

class PromotionTierBasis(enum.IntEnum):
    SUBTOTAL = 0
    QUANTITY = 1

_PromotionActionLike = Union[PromotionAction, str]
_MoneyLike = Union[Money, Mapping[str, Any]]

class Variant(_Value):
    sku: str
    options: dict[str, str]
    price: Money
    barcode: str
    attributes: dict[str, str]
    def __init__(self, *, sku: str = ..., options: Mapping[str, str] = ..., price: _MoneyLike = ...,
                 barcode: str = ..., attributes: Mapping[str, str] = ...) -> None: ...

class Product(_Value):
    id: str
    title: str
    description: str
    brand: str
    categories: list[str]
    options: list[str]
    attributes: dict[str, str]
    variants: list[Variant]
    status: ProductStatus
    popularity: int
    created_at_ms: int
    updated_at_ms: int
    version: int
    def __init__(self, *, id: str = ..., title: str = ..., description: str = ..., brand: str = ...,
                 categories: Sequence[str] = ..., options: Sequence[str] = ..., attributes: Mapping[str, str] = ...,
                 variants: Sequence[Union[Variant, Mapping[str, Any]]] = ..., status: _ProductStatusLike = ...,
                 popularity: int = ..., created_at_ms: int = ..., updated_at_ms: int = ..., version: int = ...) -> None: ...
    def to_json(self, with_engine_fields: bool = True) -> str: ...
    @staticmethod
    def from_json(json: str, default_currency: str = "USD") -> Product: ...

class Category(_Value):
    id: str
    name: str
    parent_id: str
    def __init__(self, *, id: str = ..., name: str = ..., parent_id: str = ...) -> None: ...

class ProductPage(_Value):
    items: list[Product]
    next_cursor: str
    def __init__(self, **fields: Any) -> None: ...

class CatalogStats(_Value):
    products: int
    skus: int
    categories: int
    def __init__(self, **fields: Any) -> None: ...

class ImportProgress(_Value):
    bytes_read: int
    bytes_total: int
    records: int
    imported: int
    unchanged: int
    rejected: int
    elapsed_s: float
    def __init__(self, **fields: Any) -> None: ...

class Rejection(_Value):
    line: int
    field: str
    reason: str
    def __init__(self, **fields: Any) -> None: ...

class ImportReport(_Value):
    records: int
    imported: int
    unchanged: int
    rejected: int
    categories_created: int
    rejections: list[Rejection]
    seconds: float
    cancelled: bool
    def __init__(self, **fields: Any) -> None: ...

def category_id_from_path(names: Sequence[str]) -> str: ...

class Warehouse(_Value):
    id: str
    name: str
    region: str
    priority: int
    active: bool
    def __init__(self, *, id: str = ..., name: str = ..., region: str = ..., priority: int = ...,
                 active: bool = ...) -> None: ...

class StockLevel(_Value):
    sku: str
    warehouse_id: str
    on_hand: int
    reserved: int
    updated_at_ms: int
    slots: int
    @property
    def available(self) -> int: ...
    def __init__(self, **fields: Any) -> None: ...

class SkuStock(_Value):
    sku: str
    levels: list[StockLevel]
    on_hand: int
    reserved: int
    available: int
    def __init__(self, **fields: Any) -> None: ...

class Address(_Value):
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    region: str
    country: str
    def __init__(self, *, name: str = ..., line1: str = ..., line2: str = ..., city: str = ...,
                 postal_code: str = ..., region: str = ..., country: str = ...) -> None: ...

_AddressLike = Union[Address, Mapping[str, Any]]

class Customer(_Value):
    id: str
    email: str
    name: str
    addresses: list[Address]
    group: str
    created_at_ms: int
    updated_at_ms: int
    version: int
    def __init__(self, *, id: str = ..., email: str = ..., name: str = ...,
                 addresses: Sequence[_AddressLike] = ..., group: str = ..., created_at_ms: int = ...,
                 updated_at_ms: int = ..., version: int = ...) -> None: ...

class CartDot(_Value):
    replica: str
    counter: int
    def __init__(self, *, replica: str = ..., counter: int = ...) -> None: ...

class CartAdd(_Value):
    dot: CartDot
    quantity: int
    unit_price: Money
    time_ms: int
    def __init__(self, **fields: Any) -> None: ...

class CartLineState(_Value):
    adds: list[CartAdd]
    removed: list[CartDot]
    def __init__(self, **fields: Any) -> None: ...

class CartState(_Value):
    cart_id: str
    currency: str
    customer_id: str
    customer_time_ms: int
    customer_replica: str
    lines: dict[str, CartLineState]
    clock: dict[str, int]
    def __init__(self, **fields: Any) -> None: ...

class CartLine(_Value):
    sku: str
    quantity: int
    unit_price: Money
    line_total: Money
    def __init__(self, **fields: Any) -> None: ...

class Cart(_Value):
    id: str
    customer_id: str
    currency: str
    lines: list[CartLine]
    subtotal: Money
    item_count: int
    updated_at_ms: int
    channel: str
    def __init__(self, **fields: Any) -> None: ...

class NewCart(_Value):
    id: str
    customer_id: str
    currency: str
    channel: str
    def __init__(self, *, id: str = ..., customer_id: str = ..., currency: str = ...,
                 channel: str = ...) -> None: ...

def cart_state_add(state: CartState, replica: str, sku: str, quantity: int, unit_price: Money, time_ms: int) -> None: ...
def cart_state_set_quantity(state: CartState, replica: str, sku: str, quantity: int, unit_price: Money,
                            time_ms: int) -> None: ...
def cart_state_remove(state: CartState, sku: str) -> None: ...
def cart_state_clear(state: CartState) -> None: ...
def cart_state_quantity(state: CartState, sku: str) -> int: ...
def merge_cart_states(a: CartState, b: CartState) -> CartState: ...

class OrderLineRequest(_Value):
    sku: str
    quantity: int
    def __init__(self, *, sku: str = ..., quantity: int = ...) -> None: ...

class PlaceOrder(_Value):
    idempotency_key: str
    customer_id: str
    cart_id: str
    lines: list[OrderLineRequest]
    shipping_address: Address
    currency: str
    coupon_codes: list[str]
    channel: str
    def __init__(self, *, idempotency_key: str = ..., customer_id: str = ..., cart_id: str = ...,
                 lines: Sequence[Union[OrderLineRequest, Mapping[str, Any]]] = ...,
                 shipping_address: _AddressLike = ..., currency: str = ...,
                 coupon_codes: Sequence[str] = ..., channel: str = ...) -> None: ...

class LineDiscount(_Value):
    promotion_id: str
    amount: Money
    def __init__(self, **fields: Any) -> None: ...

class AppliedPromotion(_Value):
    promotion_id: str
    name: str
    coupon_code: str
    amount: Money
    free_shipping: bool
    def __init__(self, **fields: Any) -> None: ...

class OrderLine(_Value):
    sku: str
    product_id: str
    title: str
    quantity: int
    unit_price: Money
    line_total: Money
    discount: Money
    discounts: list[LineDiscount]
    price_list_id: str
    tax_inclusive: bool
    def __init__(self, **fields: Any) -> None: ...

class ShipmentItem(_Value):
    sku: str
    quantity: int
    def __init__(self, **fields: Any) -> None: ...

class Shipment(_Value):
    warehouse_id: str
    items: list[ShipmentItem]
    def __init__(self, **fields: Any) -> None: ...

class OrderTransition(_Value):
    from_: OrderStatus
    to: OrderStatus
    time_ms: int
    note: str
    def __init__(self, **fields: Any) -> None: ...

class Order(_Value):
    id: str
    access_token: str
    customer_id: str
    idempotency_key: str
    status: OrderStatus
    currency: str
    lines: list[OrderLine]
    shipments: list[Shipment]
    subtotal: Money
    tax: Money
    shipping: Money
    total: Money
    discount: Money
    promotions: list[AppliedPromotion]
    shipping_address: Address
    history: list[OrderTransition]
    created_at_ms: int
    updated_at_ms: int
    version: int
    channel: str
    tax_included: Money
    def __init__(self, **fields: Any) -> None: ...

class PlacedOrder(_Value):
    order: Order
    replayed: bool
    def __init__(self, **fields: Any) -> None: ...

class OrderPage(_Value):
    items: list[Order]
    next_cursor: str
    def __init__(self, **fields: Any) -> None: ...

class Event(_Value):
    seq: int
    type: str
    subject: str
    time_ms: int
    data: str
    def json(self) -> dict[str, Any]: ...
    def __init__(self, **fields: Any) -> None: ...

class SearchRequest(_Value):
    text: str
    brands: list[str]
    categories: list[str]
    price_min: Optional[int]
    price_max: Optional[int]
    in_stock: bool
    attributes: dict[str, str]
    facets: list[str]
    facet_size: int
    disjunctive_facets: list[str]
    price_buckets: list[int]
    sort: str
    offset: int
    limit: int
    prefix: bool
    typo_tolerance: bool
    relax: bool
    minimum_should_match: int
    category_intent: bool
    min_index_seq: int
    wait_timeout: datetime.timedelta
    use_cache: bool
    allow_partial: bool
    explain: bool
    now_ms: int
    channel: str
    currency: str
    customer_group: str
    def __init__(self, *, text: str = ..., brands: Sequence[str] = ..., categories: Sequence[str] = ...,
                 price_min: Optional[int] = ..., price_max: Optional[int] = ..., in_stock: bool = ...,
                 attributes: Mapping[str, str] = ..., facets: Sequence[str] = ..., facet_size: int = ...,
                 disjunctive_facets: Sequence[str] = ..., price_buckets: Sequence[int] = ...,
                 sort: str = ..., offset: int = ..., limit: int = ..., prefix: bool = ..., typo_tolerance: bool = ...,
                 relax: bool = ..., minimum_should_match: int = ..., category_intent: bool = ...,
                 min_index_seq: int = ..., wait_timeout: _Duration = ...,
                 use_cache: bool = ..., allow_partial: bool = ..., explain: bool = ..., now_ms: int = ...,
                 channel: str = ..., currency: str = ..., customer_group: str = ...) -> None: ...

class ScoreTerm(_Value):
    term: str
    wdf: int
    weight: float
    def __init__(self, **fields: Any) -> None: ...

class HitExplanation(_Value):
    query: str
    corrected: bool
    relaxed: bool
    words_matched: float
    weight: float
    terms: list[ScoreTerm]
    tier: str
    rules: list[str]
    pinned_position: int
    sort: str
    intent_category: str
    intent_share: float
    intent_added: float
    def __init__(self, **fields: Any) -> None: ...

class SearchHit(_Value):
    product_id: str
    title: str
    highlighted_title: str
    brand: str
    price: Money
    price_list_id: str
    in_stock: bool
    score: float
    explanation: Optional[HitExplanation]
    def __init__(self, **fields: Any) -> None: ...

class FacetValue(_Value):
    value: str
    label: str
    count: int
    level: int
    parent: str
    def __init__(self, **fields: Any) -> None: ...

class Facet(_Value):
    field: str
    values: list[FacetValue]
    exact: bool
    def __init__(self, **fields: Any) -> None: ...

class SearchResult(_Value):
    hits: list[SearchHit]
    total: int
    total_exact: bool
    facets: list[Facet]
    corrected_query: str
    used_correction: bool
    relaxed: bool
    index_seq: int
    from_cache: bool
    partial: bool
    missing_shards: list[int]
    rules_applied: list[str]
    redirect: str
    rules_version: int
    synonyms_version: int
    search_id: str
    def __init__(self, **fields: Any) -> None: ...

class SearchUse(_Value):
    search_id: str
    product_id: str
    kind: str
    def __init__(self, *, search_id: str = ..., product_id: str = ..., kind: str = ...) -> None: ...

class AnalyticsRequest(_Value):
    since_ms: int
    until_ms: int
    limit: int
    def __init__(self, *, since_ms: int = ..., until_ms: int = ..., limit: int = ...) -> None: ...

class QueryStats(_Value):
    query: str
    searches: int
    zero_results: int
    used: int
    clicks: int
    add_to_carts: int
    orders: int
    def __init__(self, **fields: Any) -> None: ...

class SearchAnalytics(_Value):
    since_ms: int
    until_ms: int
    top_queries: list[QueryStats]
    zero_result_queries: list[QueryStats]
    unused_queries: list[QueryStats]
    searches: int
    sampled_out: int
    evicted: int
    sample_rate: float
    tracked: int
    def __init__(self, **fields: Any) -> None: ...

class SuggestRequest(_Value):
    text: str
    limit: int
    typo_tolerance: bool
    popular_queries: bool
    def __init__(self, *, text: str = ..., limit: int = ..., typo_tolerance: bool = ...,
                 popular_queries: bool = ...) -> None: ...

class Suggestion(_Value):
    text: str
    source: str
    count: int
    corrected: bool
    def __init__(self, **fields: Any) -> None: ...

class SuggestResult(_Value):
    suggestions: list[Suggestion]
    index_seq: int
    def __init__(self, **fields: Any) -> None: ...

class SynonymGroup(_Value):
    root: str
    synonyms: list[str]
    def __init__(self, **fields: Any) -> None: ...

class SynonymSet(_Value):
    version: int
    groups: list[SynonymGroup]
    def __init__(self, **fields: Any) -> None: ...

class ProductSelector(_Value):
    product_ids: list[str]
    brands: list[str]
    categories: list[str]
    attributes: dict[str, str]
    def __init__(self, **fields: Any) -> None: ...

class PinnedProduct(_Value):
    product_id: str
    position: int
    def __init__(self, **fields: Any) -> None: ...

class MerchandisingRule(_Value):
    id: str
    description: str
    query: str
    match: str
    categories: list[str]
    enabled: bool
    pins: list[PinnedProduct]
    boost: ProductSelector
    bury: ProductSelector
    hide: ProductSelector
    redirect: str
    starts_at_ms: int
    ends_at_ms: int
    version: int
    def __init__(self, **fields: Any) -> None: ...

class RuleSet(_Value):
    version: int
    rules: list[MerchandisingRule]
    def __init__(self, **fields: Any) -> None: ...

class SearchStats(_Value):
    documents: int
    indexed_seq: int
    log_seq: int
    lag_events: int
    lag_ms: float
    shards: int
    index_bytes: int
    cache_hits: int
    cache_misses: int
    cache_coalesced: int
    cache_stale_served: int
    cache_entries: int
    queries: int
    last_error: str
    rebuilds_after_trim: int
    def __init__(self, **fields: Any) -> None: ...

class RebuildProgress(_Value):
    products_done: int
    products_total: int
    elapsed_s: float
    def __init__(self, **fields: Any) -> None: ...

class SearchOptions(_Value):
    shards: int
    cache_entries: int
    cache_ttl: datetime.timedelta
    cache_stale: datetime.timedelta
    run_indexer: bool
    serve_remote: bool
    remote_shards: list[list[str]]
    remote_timeout: datetime.timedelta
    remote_connect_timeout: datetime.timedelta
    remote_refresh: datetime.timedelta
    analytics_sample_rate: float
    analytics_max_queries: int
    analytics_max_searches: int
    analytics_retention_hours: int
    def __init__(self, *, shards: int = ..., cache_entries: int = ..., cache_ttl: _Duration = ...,
                 cache_stale: _Duration = ..., run_indexer: bool = ..., serve_remote: bool = ...,
                 remote_shards: Sequence[Sequence[str]] = ..., remote_timeout: _Duration = ...,
                 remote_connect_timeout: _Duration = ..., remote_refresh: _Duration = ...,
                 analytics_sample_rate: float = ..., analytics_max_queries: int = ...,
                 analytics_max_searches: int = ..., analytics_retention_hours: int = ...) -> None: ...

class PricingPolicy: ...

class DefaultPricingOptions(_Value):
    tax_bp_by_region: dict[str, int]
    default_tax_bp: int
    shipping_per_shipment_minor: int
    free_shipping_from_minor: int
    def __init__(self, *, tax_bp_by_region: Mapping[str, int] = ..., default_tax_bp: int = ...,
                 shipping_per_shipment_minor: int = ..., free_shipping_from_minor: int = ...) -> None: ...

def make_default_pricing(options: DefaultPricingOptions = ...) -> PricingPolicy: ...

class PricingInput(_Value):
    currency: str
    region: str
    country: str
    subtotal_minor: int
    shipments: int
    items: int
    discount_minor: int
    free_shipping: bool
    tax_inclusive_minor: int
    def __init__(self, *, currency: str = ..., region: str = ..., country: str = ..., subtotal_minor: int = ...,
                 shipments: int = ..., items: int = ..., discount_minor: int = ...,
                 free_shipping: bool = ..., tax_inclusive_minor: int = ...) -> None: ...

class PricingResult(_Value):
    tax_minor: int
    shipping_minor: int
    tax_included_minor: int
    def __init__(self, *, tax_minor: int = ..., shipping_minor: int = ...,
                 tax_included_minor: int = ...) -> None: ...

class PythonPricing(PricingPolicy):
    def __init__(self, policy: Union[Callable[[PricingInput], Union[tuple[int, int], PricingResult]], Any], *,
                 memo_size: int = 4096) -> None: ...
    def stats(self) -> dict[str, Union[int, float]]: ...
    @property
    def name(self) -> str: ...

class SampleCatalogOptions(_Value):
    products: int
    seed: int
    currency: str
    zipf_s: float
    def __init__(self, **fields: Any) -> None: ...

class SampleCatalog:
    @overload
    def __init__(self, options: SampleCatalogOptions) -> None: ...
    @overload
    def __init__(self, *, products: int = 1000, seed: int = 42, currency: str = "USD") -> None: ...
    def size(self) -> int: ...
    def __len__(self) -> int: ...
    def product(self, i: int) -> Product: ...
    def categories(self) -> list[Category]: ...
    def popular_index(self, u01: float) -> int: ...
    @staticmethod
    def product_id(i: int) -> str: ...
    @staticmethod
    def sku(i: int, variant: int) -> str: ...
    def write_jsonl(self, path: _PathLike) -> None: ...

class StorageTuning(_Value):
    max_group_size: int
    max_group_wait_us: int
    lmdb_map_size: int
    lmdb_max_map_size: int
    lmdb_checkpoint_bytes: int
    lmdb_checkpoint_interval_ms: int
    lmdb_sync_each_commit: bool
    lmdb_max_readers: int
    sqlite_synchronous: str
    sqlite_cache_kib: int
    postgres_url: str
    postgres_schema: str
    postgres_pool_size: int
    postgres_connect_timeout_s: int
    postgres_max_attempts: int
    postgres_in_doubt_timeout_ms: int
    postgres_key_locks: bool
    postgres_writers: int
    def __init__(self, **fields: Any) -> None: ...

class EngineOptions(_Value):
    path: str
    driver: str
    create_if_missing: bool
    storage: StorageTuning
    pricing: Optional[PricingPolicy]
    cart_ttl: datetime.timedelta
    background_tick: datetime.timedelta
    run_background: bool
    consumer_lease_ttl: datetime.timedelta
    event_retention: EventRetention
    search: SearchOptions
    webhooks: WebhookOptions
    payments: PaymentOptions
    def __init__(self, **fields: Any) -> None: ...

# --- remote endpoints: resilience and the shared cache ----------------------------------

class RetryOptions(_Value):
    max_attempts: int
    backoff: datetime.timedelta
    max_backoff: datetime.timedelta
    budget_ratio: float
    budget_floor_per_s: int
    def __init__(self, **fields: Any) -> None: ...

class BreakerOptions(_Value):
    failure_threshold: int
    open_for: datetime.timedelta
    def __init__(self, **fields: Any) -> None: ...

class EndpointOptions(_Value):
    deadline: datetime.timedelta
    retry: RetryOptions
    breaker: BreakerOptions
    def __init__(self, **fields: Any) -> None: ...

class BreakerState(enum.IntEnum):
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2

class EndpointStats(_Value):
    name: str
    state: BreakerState
    calls: int
    failures: int
    retries: int
    retries_denied: int
    rejected: int
    deadline_exceeded: int
    opened: int
    latency_p50_ms: float
    latency_p99_ms: float
    latency_count: int
    latency_sum_ms: float
    def __init__(self, **fields: Any) -> None: ...

def all_endpoint_stats() -> list[EndpointStats]: ...

class SharedCacheOptions(_Value):
    redis_url: str
    key_prefix: str
    ttl: datetime.timedelta
    ttl_jitter: float
    refresh_after: datetime.timedelta
    connections: int
    endpoint: EndpointOptions
    search_ttl: datetime.timedelta
    search_max_bytes: int
    def __init__(self, **fields: Any) -> None: ...

class SharedCacheStats(_Value):
    hits: int
    misses: int
    fills: int
    fills_refused: int
    coalesced: int
    stale_served: int
    invalidations: int
    bypassed: int
    invalidated_seq: int
    search_hits: int
    search_misses: int
    search_stores: int
    search_too_large: int
    search_errors: int
    def __init__(self, **fields: Any) -> None: ...

class SharedCache:
    def __init__(self, engine: Engine, *, options: Optional[SharedCacheOptions] = None,
                 **fields: Any) -> None: ...
    def __enter__(self) -> SharedCache: ...
    def __exit__(self, *exc: Any) -> bool: ...
    def get_product(self, product_id: str) -> Product: ...
    def written(self, stored: Product) -> None: ...
    def stats(self) -> SharedCacheStats: ...
    def close(self) -> None: ...

class EventPublisherOptions(_Value):
    nats_url: str
    stream: str
    subject: str
    duplicate_window: datetime.timedelta
    consumer: str
    lease_ttl: datetime.timedelta
    batch: int
    endpoint: EndpointOptions
    def __init__(self, **fields: Any) -> None: ...

class EventPublisherStats(_Value):
    published: int
    duplicates: int
    skipped: int
    failures: int
    connects: int
    cursor: int
    last_seq: int
    holding: bool
    connected: bool
    last_error: str
    def __init__(self, **fields: Any) -> None: ...

class EventPublisher:
    def __init__(self, engine: Engine, *, options: Optional[EventPublisherOptions] = None,
                 **fields: Any) -> None: ...
    def __enter__(self) -> EventPublisher: ...
    def __exit__(self, *exc: Any) -> bool: ...
    def stats(self) -> EventPublisherStats: ...
    def wait_for(self, seq: int, timeout: _Duration) -> bool: ...
    def close(self) -> None: ...

# --- the engines ------------------------------------------------------------------------

_Progress = Union[None, bool, Callable[[ImportProgress], Any]]

class Catalog:
    def upsert(self, product: Product, if_version: Optional[int] = None) -> Product: ...
    def get(self, product_id: str) -> Product: ...
    def get_by_sku(self, sku: str) -> Product: ...
    def archive(self, product_id: str, if_version: Optional[int] = None) -> Product: ...
    def list_by_category(self, category_id: str, cursor: str = "", limit: int = 50,
                         include_archived: bool = False, channel: str = "") -> ProductPage: ...
    def list(self, cursor: str = "", limit: int = 50, include_archived: bool = False,
             channel: str = "") -> ProductPage: ...
    def iter_by_category(self, category_id: str, *, page_size: int = 200,
                         include_archived: bool = False, channel: str = "") -> Iterator[Product]: ...
    def iter_all(self, *, page_size: int = 200, include_archived: bool = False,
                 channel: str = "") -> Iterator[Product]: ...
    def upsert_category(self, category: Union[Category, Mapping[str, Any], str], name: Optional[str] = None) -> None: ...
    def get_category(self, category_id: str) -> Category: ...
    def list_categories(self, parent_id: str = "") -> list[Category]: ...
    def stats(self) -> CatalogStats: ...
    def import_file(self, path: _PathLike, *, format: str = "auto", mapping_path: _PathLike = "",
                    default_currency: str = "USD", max_rejections: int = 1000,
                    progress: _Progress = None) -> ImportReport: ...
    def import_jsonl(self, path: _PathLike, progress: _Progress = None) -> ImportReport: ...
    def import_csv(self, path: _PathLike, progress: _Progress = None) -> ImportReport: ...
    def import_products(self, source: Any, **options: Any) -> ImportReport: ...
    def import_data(self, data: Union[bytes, bytearray, memoryview, str, IO[Any]], **options: Any) -> ImportReport: ...
    def start_import(self, format: str = "auto", mapping_path: _PathLike = "", default_currency: str = "USD",
                     max_rejections: int = 1000, expected_bytes: int = 0,
                     progress: Optional[Callable[[ImportProgress], Any]] = None) -> ImportStream: ...

class ImportStream:
    def write(self, data: Union[bytes, bytearray, memoryview, str]) -> None: ...
    def finish(self) -> ImportReport: ...
    def progress(self) -> ImportProgress: ...
    def rejections(self) -> list[Rejection]: ...
    def cancel(self) -> None: ...

class Inventory:
    def upsert_warehouse(self, warehouse: Warehouse) -> Warehouse: ...
    def get_warehouse(self, warehouse_id: str) -> Warehouse: ...
    def list_warehouses(self) -> list[Warehouse]: ...
    def receive(self, sku: str, warehouse_id: str, qty: int) -> StockLevel: ...
    def adjust(self, sku: str, warehouse_id: str, delta: int, reason: str) -> StockLevel: ...
    def reserve(self, sku: str, warehouse_id: str, qty: int, ref: str) -> StockLevel: ...
    def release(self, sku: str, warehouse_id: str, qty: int, ref: str) -> StockLevel: ...
    def ship(self, sku: str, warehouse_id: str, qty: int, ref: str) -> StockLevel: ...
    def split_stock(self, sku: str, warehouse_id: str, slots: int) -> StockLevel: ...
    def merge_stock(self, sku: str, warehouse_id: str) -> StockLevel: ...
    @overload
    def get(self, sku: str) -> SkuStock: ...
    @overload
    def get(self, sku: str, warehouse_id: str) -> StockLevel: ...

class Customers:
    def create(self, customer: Customer) -> Customer: ...
    def update(self, customer: Customer, if_version: Optional[int] = None) -> Customer: ...
    def get(self, customer_id: str) -> Customer: ...
    def get_by_email(self, email: str) -> Customer: ...

class Carts:
    @overload
    def create(self, new_cart: NewCart) -> Cart: ...
    @overload
    def create(self, *, id: str = "", customer_id: str = "", currency: str = "",
               channel: str = "") -> Cart: ...
    def get(self, cart_id: str) -> Cart: ...
    def add(self, cart_id: str, sku: str, quantity: int = 1) -> Cart: ...
    def set_quantity(self, cart_id: str, sku: str, quantity: int) -> Cart: ...
    def remove(self, cart_id: str, sku: str) -> Cart: ...
    def clear(self, cart_id: str) -> Cart: ...
    def state(self, cart_id: str) -> CartState: ...
    def merge(self, cart_id: str, other: CartState) -> Cart: ...
    def merge_guest_into_customer(self, guest_cart_id: str, customer_id: str) -> Cart: ...
    def remove_cart(self, cart_id: str) -> None: ...

class Orders:
    @overload
    def place(self, request: Union[PlaceOrder, Mapping[str, Any]]) -> Order: ...
    @overload
    def place(self, *, idempotency_key: str, customer_id: str, cart_id: str = ...,
              lines: Sequence[Union[OrderLineRequest, Mapping[str, Any]]] = ...,
              shipping_address: _AddressLike = ..., currency: str = ...,
              coupon_codes: Sequence[str] = ...) -> Order: ...
    @overload
    def place_or_replay(self, request: Union[PlaceOrder, Mapping[str, Any]]) -> PlacedOrder: ...
    @overload
    def place_or_replay(self, *, idempotency_key: str, customer_id: str, cart_id: str = ...,
                        lines: Sequence[Union[OrderLineRequest, Mapping[str, Any]]] = ...,
                        shipping_address: _AddressLike = ..., currency: str = ...,
                        coupon_codes: Sequence[str] = ...) -> PlacedOrder: ...
    def get(self, order_id: str) -> Order: ...
    def get_by_token(self, order_id: str, access_token: str) -> Order: ...
    def transition(self, order_id: str, to: _OrderStatusLike, note: str = "", restock: bool = False,
                   if_version: Optional[int] = None) -> Order: ...
    def list_by_customer(self, customer_id: str, cursor: str = "", limit: int = 50) -> OrderPage: ...
    def list_by_status(self, status: _OrderStatusLike, cursor: str = "", limit: int = 50) -> OrderPage: ...
    def iter_by_customer(self, customer_id: str, *, page_size: int = 100) -> Iterator[Order]: ...
    def iter_by_status(self, status: _OrderStatusLike, *, page_size: int = 100) -> Iterator[Order]: ...
    def list(self, *, status: Union[_OrderStatusLike, Iterable[_OrderStatusLike], None] = None,
             customer_id: Optional[str] = None, created_from: Union[int, datetime.datetime, None] = None,
             created_before: Union[int, datetime.datetime, None] = None, cursor: str = "",
             limit: int = 50) -> OrderPage: ...
    def iter(self, *, status: Union[_OrderStatusLike, Iterable[_OrderStatusLike], None] = None,
             customer_id: Optional[str] = None, created_from: Union[int, datetime.datetime, None] = None,
             created_before: Union[int, datetime.datetime, None] = None, page_size: int = 100) -> Iterator[Order]: ...
    def iter_all(self, *, page_size: int = 100) -> Iterator[Order]: ...
    def to_dataframe(self, orders: Optional[Iterable[Order]] = None, *,
                     status: Union[_OrderStatusLike, Iterable[_OrderStatusLike], None] = None,
                     customer_id: Optional[str] = None, created_from: Union[int, datetime.datetime, None] = None,
                     created_before: Union[int, datetime.datetime, None] = None, lines: bool = False,
                     money: str = "minor") -> Any: ...

class Promotion(_Value):
    id: str
    name: str
    active: bool
    currency: str
    skus: list[str]
    categories: list[str]
    customer_ids: list[str]
    customer_groups: list[str]
    channels: list[str]
    min_subtotal_minor: int
    min_quantity: int
    starts_at_ms: int
    ends_at_ms: int
    requires_coupon: bool
    action: PromotionAction
    percent_bp: int
    amount_minor: int
    buy_quantity: int
    get_quantity: int
    get_skus: list[str]
    get_categories: list[str]
    max_applications: int
    tier_basis: PromotionTierBasis
    tiers: list[PromotionTier]
    priority: int
    exclusive: bool
    created_at_ms: int
    updated_at_ms: int
    version: int
    def __init__(self, **fields: Any) -> None: ...

class PromotionTier(_Value):
    threshold: int
    percent_bp: int
    amount_minor: int
    def __init__(self, *, threshold: int = ..., percent_bp: int = ..., amount_minor: int = ...) -> None: ...

class Coupon(_Value):
    code: str
    promotion_id: str
    active: bool
    usage_limit: int
    per_customer_limit: int
    used: int
    created_at_ms: int
    updated_at_ms: int
    version: int
    def __init__(self, **fields: Any) -> None: ...

class PricedCartLine(_Value):
    line: CartLine
    discount: Money
    discounts: list[LineDiscount]
    total: Money
    def __init__(self, **fields: Any) -> None: ...

class PricedCart(_Value):
    cart: Cart
    lines: list[PricedCartLine]
    promotions: list[AppliedPromotion]
    subtotal: Money
    discount: Money
    total: Money
    free_shipping: bool
    def __init__(self, **fields: Any) -> None: ...

class Promotions:
    def create(self, promotion: Union[Promotion, Mapping[str, Any], None] = None, **fields: Any) -> Promotion: ...
    def update(self, promotion: Union[Promotion, Mapping[str, Any], None] = None, *,
               if_version: Optional[int] = None, **fields: Any) -> Promotion: ...
    def get(self, promotion_id: str) -> Promotion: ...
    def list(self) -> list[Promotion]: ...
    def create_coupon(self, coupon: Union[Coupon, Mapping[str, Any], None] = None, **fields: Any) -> Coupon: ...
    def update_coupon(self, coupon: Union[Coupon, Mapping[str, Any], None] = None, *,
                      if_version: Optional[int] = None, **fields: Any) -> Coupon: ...
    def get_coupon(self, code: str) -> Coupon: ...
    def list_coupons(self, promotion_id: str = "") -> list[Coupon]: ...
    def coupon_uses(self, code: str, customer_id: str) -> int: ...
    def price_cart(self, cart_id: str, *, customer_id: str = "", coupon_codes: Sequence[str] = ...,
                   now_ms: int = 0) -> PricedCart: ...

class PriceEntry(_Value):
    sku: str
    price_minor: int
    min_quantity: int
    def __init__(self, *, sku: str = ..., price_minor: int = ..., min_quantity: int = ...) -> None: ...

class PriceList(_Value):
    id: str
    name: str
    currency: str
    customer_group: str
    channel: str
    starts_at_ms: int
    ends_at_ms: int
    priority: int
    tax_inclusive: bool
    entries: list[PriceEntry]
    created_at_ms: int
    updated_at_ms: int
    version: int
    def __init__(self, *, id: str = ..., name: str = ..., currency: str = ..., customer_group: str = ...,
                 channel: str = ..., starts_at_ms: int = ..., ends_at_ms: int = ..., priority: int = ...,
                 tax_inclusive: bool = ..., entries: Sequence[Union[PriceEntry, Mapping[str, Any]]] = ...,
                 created_at_ms: int = ..., updated_at_ms: int = ..., version: int = ...) -> None: ...

class ResolvedPrice(_Value):
    sku: str
    price: Money
    price_list_id: str
    price_list_version: int
    min_quantity: int
    tax_inclusive: bool
    def __init__(self, **fields: Any) -> None: ...

class PriceListPage(_Value):
    items: list[PriceList]
    next_cursor: str
    def __init__(self, **fields: Any) -> None: ...

class PriceLists:
    def create(self, price_list: Union[PriceList, Mapping[str, Any], None] = None, **fields: Any) -> PriceList: ...
    def update(self, price_list: Union[PriceList, Mapping[str, Any], None] = None, *,
               if_version: Optional[int] = None, **fields: Any) -> PriceList: ...
    def get(self, price_list_id: str) -> PriceList: ...
    def list(self, *, cursor: str = "", limit: int = 20) -> PriceListPage: ...
    def iter_all(self, *, page_size: int = 20) -> Iterator[PriceList]: ...
    def remove(self, price_list_id: str, if_version: Optional[int] = None) -> None: ...
    def price(self, sku: str, *, currency: str, customer_group: str = "", channel: str = "",
              quantity: int = 1, now_ms: int = 0) -> ResolvedPrice: ...

class Channel(_Value):
    id: str
    name: str
    default_currency: str
    currencies: list[str]
    warehouse_ids: list[str]
    category_ids: list[str]
    product_ids: list[str]
    excluded_product_ids: list[str]
    created_at_ms: int
    updated_at_ms: int
    version: int
    def __init__(self, *, id: str = ..., name: str = ..., default_currency: str = ...,
                 currencies: Sequence[str] = ..., warehouse_ids: Sequence[str] = ...,
                 category_ids: Sequence[str] = ..., product_ids: Sequence[str] = ...,
                 excluded_product_ids: Sequence[str] = ..., created_at_ms: int = ...,
                 updated_at_ms: int = ..., version: int = ...) -> None: ...

class Channels:
    def create(self, channel: Union[Channel, Mapping[str, Any], None] = None, **fields: Any) -> Channel: ...
    def update(self, channel: Union[Channel, Mapping[str, Any], None] = None, *,
               if_version: Optional[int] = None, **fields: Any) -> Channel: ...
    def get(self, channel_id: str) -> Channel: ...
    def list(self) -> list[Channel]: ...
    def remove(self, channel_id: str, if_version: Optional[int] = None) -> None: ...
    def visible(self, channel_id: str, product_id: str) -> bool: ...

class EventRetention(_Value):
    max_age: datetime.timedelta
    max_count: int
    interval: datetime.timedelta
    def __init__(self, **fields: Any) -> None: ...

class EventTrimReport(_Value):
    removed: int
    first_seq: int
    last_seq: int
    held_by: str
    def __init__(self, **fields: Any) -> None: ...

class Events:
    def tail(self, from_seq: int, limit: int = 1000) -> list[Event]: ...
    def last_seq(self) -> int: ...
    def first_seq(self) -> int: ...
    def trim(self, *, max_age: Optional[_Duration] = None, max_count: int = 0) -> EventTrimReport: ...
    def wait(self, after: int, timeout: _Duration) -> int: ...
    def cursor(self, consumer: str) -> int: ...
    def set_cursor(self, consumer: str, seq: int, sync: bool = True) -> None: ...
    def iter(self, from_seq: Optional[int] = None, *, types: Optional[Iterable[str]] = None,
             page_size: int = 1000) -> Iterator[Event]: ...
    def follow(self, from_seq: Optional[int] = None, *, consumer: Optional[str] = None,
               types: Optional[Iterable[str]] = None, poll: float = 1.0, stop: Optional[threading.Event] = None,
               page_size: int = 1000) -> Iterator[Event]: ...
    def to_dataframe(self, from_seq: Optional[int] = None, *, types: Optional[Iterable[str]] = None) -> Any: ...

class Search:
    @overload
    def query(self, request: Union[SearchRequest, Mapping[str, Any], str, None] = None) -> SearchResult: ...
    @overload
    def query(self, request: Optional[str] = None, **fields: Any) -> SearchResult: ...
    def wait_for(self, seq: int, timeout: _Duration = ...) -> None: ...
    def set_synonyms(self, groups: Sequence[Sequence[str]]) -> None: ...
    def synonyms(self) -> list[list[str]]: ...
    def set_synonym_groups(self, groups: Sequence[Union[SynonymGroup, Mapping[str, Any]]],
                           expected_version: int = 0) -> int: ...
    def synonym_groups(self) -> SynonymSet: ...
    def put_rule(self, rule: Union[MerchandisingRule, Mapping[str, Any], None] = None, expected_version: int = 0,
                 **fields: Any) -> int: ...
    def delete_rule(self, id: str, expected_version: int = 0) -> int: ...
    def rules(self) -> RuleSet: ...
    def rebuild(self, shards: int = 0, progress: Optional[Callable[[RebuildProgress], Any]] = None) -> None: ...
    def stats(self) -> SearchStats: ...
    @overload
    def record_use(self, use: Union[SearchUse, Mapping[str, Any]]) -> None: ...
    @overload
    def record_use(self, use: None = None, *, search_id: str = ..., product_id: str = ...,
                   kind: str = ...) -> None: ...
    @overload
    def analytics(self, request: Union[AnalyticsRequest, Mapping[str, Any], None] = None) -> SearchAnalytics: ...
    @overload
    def analytics(self, request: None = None, **fields: Any) -> SearchAnalytics: ...
    @overload
    def suggest(self, request: Union[SuggestRequest, Mapping[str, Any], str]) -> SuggestResult: ...
    @overload
    def suggest(self, request: Optional[str] = None, **fields: Any) -> SuggestResult: ...

class Engine:
    def __init__(self, path: Optional[_PathLike] = None, *, options: Optional[EngineOptions] = None,
                 **fields: Any) -> None: ...
    def __enter__(self) -> Engine: ...
    def __exit__(self, *exc: Any) -> bool: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def inventory(self) -> Inventory: ...
    @property
    def carts(self) -> Carts: ...
    @property
    def orders(self) -> Orders: ...
    @property
    def promotions(self) -> Promotions: ...
    @property
    def price_lists(self) -> PriceLists: ...
    @property
    def channels(self) -> Channels: ...
    @property
    def customers(self) -> Customers: ...
    @property
    def events(self) -> Events: ...
    @property
    def search(self) -> Search: ...
    @property
    def webhooks(self) -> Webhooks: ...
    @property
    def payments(self) -> Payments: ...
    @property
    def returns(self) -> Returns: ...
    @property
    def driver(self) -> str: ...
    def run_background_once(self) -> None: ...
    def checkpoint(self) -> None: ...
    def verify(self) -> VerifyReport: ...
    def backup(self, dir: _PathLike, *, progress: Optional[Callable[[int, int], Any]] = None) -> None: ...
    def close(self) -> None: ...

def backup_store(data: _PathLike, to: _PathLike, *, driver: str = "lmdb",
                 progress: Optional[Callable[[int, int], Any]] = None) -> None: ...

# --- checking a store -------------------------------------------------------------------

class VerifyProgress(_Value):
    stage: str
    table: str
    done: int
    def __init__(self, **fields: Any) -> None: ...

class VerifyProblem(_Value):
    check: str
    where: str
    what: str
    def __init__(self, **fields: Any) -> None: ...

class VerifyReport(_Value):
    path: str
    driver: str
    problems: list[VerifyProblem]
    problem_counts: dict[str, int]
    records: dict[str, int]
    unchecksummed_records: int
    events: int
    notes: list[str]
    seconds: float
    def __init__(self, **fields: Any) -> None: ...
    def ok(self) -> bool: ...
    def problem_total(self) -> int: ...
    def to_text(self) -> str: ...
    def to_json(self) -> str: ...

def verify(path: _PathLike, driver: str = "", search: bool = True, max_problems_per_check: int = 100,
           progress: Optional[Callable[[VerifyProgress], Any]] = None) -> VerifyReport: ...

# --- bulk paths -------------------------------------------------------------------------

def import_products(catalog: Catalog, source: Any, *, format: Optional[str] = None, progress: _Progress = None,
                    default_currency: str = "USD", max_rejections: int = 1000,
                    mapping_path: _PathLike = "") -> ImportReport: ...
def import_data(catalog: Catalog, data: Union[bytes, bytearray, memoryview, str, IO[Any]], *, format: str = "auto",
                progress: _Progress = None, default_currency: str = "USD", max_rejections: int = 1000,
                mapping_path: _PathLike = "") -> ImportReport: ...
def orders_to_dataframe(orders: Iterable[Order], *, money: str = "minor") -> Any: ...
def order_lines_to_dataframe(orders: Iterable[Order], *, money: str = "minor") -> Any: ...
def events_to_dataframe(events: Iterable[Event]) -> Any: ...
def progress_reporter(progress: _Progress, what: str = "import") -> Optional[Callable[[ImportProgress], Any]]: ...

# --- webhooks ---------------------------------------------------------------------------

class WebhookSubscription(_Value):
    id: str
    url: str
    event_types: list[str]
    secret: str
    active: bool
    created_at_ms: int
    def __init__(self, *, id: str = ..., url: str = ..., event_types: Sequence[str] = ..., secret: str = ...,
                 active: bool = ..., created_at_ms: int = ...) -> None: ...

class WebhookDelivery(_Value):
    subscription_id: str
    event_seq: int
    event_type: str
    attempts: int
    last_http_status: int
    last_error: str
    next_attempt_ms: int
    given_up: bool
    def __init__(self, **fields: Any) -> None: ...

class WebhookOptions(_Value):
    deliver: bool
    max_attempts: int
    backoff_initial: datetime.timedelta
    backoff_max: datetime.timedelta
    request_timeout: datetime.timedelta
    max_in_flight: int
    max_pending: int
    max_failures_kept: int
    allowed_networks: list[str]
    def __init__(self, **fields: Any) -> None: ...

class Webhooks:
    def subscribe(self, subscription: WebhookSubscription) -> WebhookSubscription: ...
    def update(self, subscription_id: str, *, url: Optional[str] = None, event_types: Optional[list[str]] = None,
               secret: Optional[str] = None, active: Optional[bool] = None) -> WebhookSubscription: ...
    def unsubscribe(self, subscription_id: str) -> None: ...
    def get(self, subscription_id: str) -> WebhookSubscription: ...
    def list(self) -> list[WebhookSubscription]: ...
    def failures(self, subscription_id: str = "", limit: int = 100) -> list[WebhookDelivery]: ...

# --- payments (docs/payments.md) -------------------------------------------------------

class PaymentOperation(enum.IntEnum):
    AUTHORIZE = 0
    CAPTURE = 1
    VOID = 2
    REFUND = 3

class PaymentResult(enum.IntEnum):
    SUCCEEDED = 0
    DECLINED = 1
    UNKNOWN = 2

class PaymentStatus(enum.IntEnum):
    PENDING = 0
    AUTHORIZED = 1
    DECLINED = 2
    CAPTURED = 3
    VOIDED = 4
    REFUNDED = 5
    FAILED = 6

class RefundStatus(enum.IntEnum):
    PENDING = 0
    SUCCEEDED = 1
    DECLINED = 2

class TestPaymentAnswer(enum.IntEnum):
    SUCCEED = 0
    DECLINE = 1
    TIMEOUT = 2
    UNREACHABLE = 3
    ANSWER_TWICE = 4

class PaymentRefund(_Value):
    id: str
    amount_minor: int
    status: RefundStatus
    reason: str
    def __init__(self, **fields: Any) -> None: ...

class Payment(_Value):
    id: str
    order_id: str
    provider: str
    status: PaymentStatus
    amount: Money
    authorized_minor: int
    captured_minor: int
    refunded_minor: int
    refund_pending_minor: int
    reference: str
    reason: str
    last_error: str
    pending_operations: int
    next_operation: int
    refunds: list[PaymentRefund]
    created_at_ms: int
    updated_at_ms: int
    version: int
    def __init__(self, **fields: Any) -> None: ...

class PaymentProvider:
    @property
    def name(self) -> str: ...

class TestPaymentLedgerEntry(_Value):
    idempotency_key: str
    operation: PaymentOperation
    payment_id: str
    amount_minor: int
    result: PaymentResult
    reason: str
    reference: str
    def __init__(self, **fields: Any) -> None: ...

class TestPaymentProvider(PaymentProvider):
    def __init__(self, dir: Union[str, os.PathLike[str]], name: str = "test") -> None: ...
    def add_rule(self, operation: Union[PaymentOperation, str], answer: Union[TestPaymentAnswer, str], *,
                 amount_minor: int = -1, times: int = -1, reason: str = "card_declined") -> None: ...
    def clear_rules(self) -> None: ...
    def set_webhook_secret(self, secret: str) -> None: ...
    def take_webhooks(self) -> list[tuple[str, str]]: ...
    def ledger(self) -> list[TestPaymentLedgerEntry]: ...
    def calls(self) -> int: ...

class PaymentOptions(_Value):
    provider: Optional[PaymentProvider]
    abandon_after: datetime.timedelta
    retry_initial: datetime.timedelta
    retry_max: datetime.timedelta
    webhook_secret: str
    webhook_tolerance_s: int
    run_worker: bool
    def __init__(self, **fields: Any) -> None: ...

class Payments:
    @property
    def enabled(self) -> bool: ...
    def get(self, order_id: str) -> Payment: ...
    def refund(self, order_id: str, refund_id: str, amount_minor: int) -> Payment: ...
    def handle_webhook(self, provider: str, signature: str, body: str | bytes) -> bool: ...

class ReturnStatus(enum.IntEnum):
    REQUESTED = 0
    APPROVED = 1
    RECEIVED = 2
    REFUNDED = 3
    REJECTED = 4
    CANCELLED = 5

class ReturnDisposition(enum.IntEnum):
    PENDING = 0
    RESTOCKED = 1
    WRITTEN_OFF = 2

class RefundMethod(enum.IntEnum):
    NONE = 0
    PAYMENT = 1
    MANUAL = 2

class ReturnLineRequest(_Value):
    sku: str
    quantity: int
    reason: str
    def __init__(self, **fields: Any) -> None: ...

class ExchangeLine(_Value):
    sku: str
    quantity: int
    def __init__(self, **fields: Any) -> None: ...

class RequestReturn(_Value):
    order_id: str
    lines: list[ReturnLineRequest]
    exchange_lines: list[ExchangeLine]
    idempotency_key: str
    note: str
    def __init__(self, **fields: Any) -> None: ...

class ReturnLine(_Value):
    sku: str
    quantity: int
    reason: str
    refund: Money
    disposition: ReturnDisposition
    warehouse_id: str
    def __init__(self, **fields: Any) -> None: ...

class ReturnTransition(_Value):
    from_status: ReturnStatus
    to_status: ReturnStatus
    time_ms: int
    note: str
    def __init__(self, **fields: Any) -> None: ...

class Return(_Value):
    id: str
    order_id: str
    customer_id: str
    idempotency_key: str
    status: ReturnStatus
    lines: list[ReturnLine]
    exchange_lines: list[ExchangeLine]
    exchange_order_id: str
    refund: Money
    refund_method: RefundMethod
    refund_id: str
    history: list[ReturnTransition]
    created_at_ms: int
    updated_at_ms: int
    version: int
    def __init__(self, **fields: Any) -> None: ...

class ReceiveLine(_Value):
    sku: str
    warehouse_id: str
    write_off: bool
    def __init__(self, **fields: Any) -> None: ...

class RequestedReturn(_Value):
    ret: Return
    replayed: bool
    def __init__(self, **fields: Any) -> None: ...

class Returns:
    def request(self, request: RequestReturn) -> Return: ...
    def request_or_replay(self, request: RequestReturn) -> RequestedReturn: ...
    def get(self, return_id: str) -> Return: ...
    def list_by_order(self, order_id: str) -> list[Return]: ...
    def approve(self, return_id: str, *, note: str = "", if_version: int | None = None) -> Return: ...
    def reject(self, return_id: str, *, note: str = "", if_version: int | None = None) -> Return: ...
    def cancel(self, return_id: str, *, note: str = "", if_version: int | None = None) -> Return: ...
    def receive(self, return_id: str, lines: list[ReceiveLine], *, note: str = "",
                if_version: int | None = None) -> Return: ...
    def refund(self, return_id: str, amount_minor: int | None = None, *, note: str = "",
               if_version: int | None = None) -> Return: ...

class ReturnPage(_Value):
    items: list[Return]
    next_cursor: str
    def __init__(self, **fields: Any) -> None: ...

def list_returns(engine: Engine, *, statuses: Sequence[ReturnStatus | str] = ..., customer_id: str = "",
                 cursor: str = "", limit: int = 50) -> ReturnPage: ...

def webhook_event_types() -> list[str]: ...
def webhook_signature(secret: str, timestamp_s: int, body: str | bytes) -> str: ...
def verify_webhook_signature(secret: str, header: str, body: str | bytes, tolerance_s: int = 300,
                             now_s: int = 0) -> None: ...
