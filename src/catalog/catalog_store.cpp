#include "catalog/catalog_store.h"

#include <set>

#include "catalog/product_codec.h"
#include "common/key.h"
#include "common/record.h"
#include "common/record_frame.h"
#include "events/event_json.h"
#include "events/event_log.h"

namespace commerce {

namespace {

// "a/b/c" -> {"a", "a/b", "a/b/c"}: a product is listed under every ancestor of its
// categories, so browsing a department shows everything below it with one prefix scan.
void AddWithAncestors(const std::string& id, std::set<std::string>* out) {
  for (size_t pos = id.find('/'); pos != std::string::npos; pos = id.find('/', pos + 1))
    out->insert(id.substr(0, pos));
  out->insert(id);
}

std::string CounterKey(const char* name) { return KeyBuilder().str("counter").str(name).key(); }

// Equal in everything the caller sets: the engine-set fields (version, timestamps) of `given`
// are ignored.
bool SameContent(const Product& stored, const Product& given) {
  Product g = given;
  g.created_at_ms = stored.created_at_ms;
  g.updated_at_ms = stored.updated_at_ms;
  g.version = stored.version;
  return g == stored;
}

}  // namespace

std::set<std::string> ListedUnder(const Product& p) {
  std::set<std::string> out;
  for (const auto& c : p.categories) AddWithAncestors(c, &out);
  return out;
}

Result<uint64_t> ReadCounter(ReadView& view, const Tables& t, const char* name) {
  std::string_view v;
  Status s = view.get(t.meta, CounterKey(name), &v);
  if (s.IsNotFound()) return uint64_t{0};
  COMMERCE_RETURN_IF_ERROR(s);
  auto n = KeyReader(v).u64();
  if (!n) return Status::Corruption(std::string("counter ") + name + " does not decode");
  return *n;
}

Status AddToCounter(WriteTxn& txn, const Tables& t, const char* name, int64_t delta) {
  if (delta == 0) return Status::OK();
  COMMERCE_ASSIGN_OR_RETURN(uint64_t n, ReadCounter(txn, t, name));
  int64_t next = static_cast<int64_t>(n) + delta;
  if (next < 0) next = 0;
  return txn.put(t.meta, CounterKey(name), KeyBuilder().u64(static_cast<uint64_t>(next)).key());
}

Result<Product> GetProduct(ReadView& view, const Tables& t, std::string_view id) {
  return GetRecord<Product>(view, t.products, KeyBuilder().str(id).key(), id, "product", DecodeProduct);
}

Result<Product> GetProductBySku(ReadView& view, const Tables& t, std::string_view sku) {
  const std::string key = KeyBuilder().str(sku).key();
  std::string_view bytes;
  Status s = view.get(t.sku_products, key, &bytes);
  std::string owner;
  Product p;
  if (s.ok()) {
    // A damaged projection is Corruption naming sku_products, never a read of `products`
    // instead: the checksum decides, as for every record.
    COMMERCE_RETURN_IF_ERROR(DecodeSkuProduct(key, bytes, &p).WithContext("sku '" + std::string(sku) + "'"));
  } else if (s.IsNotFound()) {
    // A product last written before the projection existed (or no such SKU): the SKU index,
    // then the product.
    std::string_view id;
    s = view.get(t.skus, key, &id);
    if (s.IsNotFound()) return Status::NotFound("no product has sku '" + std::string(sku) + "'");
    COMMERCE_RETURN_IF_ERROR(s);
    owner.assign(id);
    COMMERCE_ASSIGN_OR_RETURN(p, GetProduct(view, t, owner));
  } else {
    return s;
  }
  // Neither the index nor the projection's key is covered by a checksum: the product found
  // must have the SKU.
  for (const auto& v : p.variants)
    if (v.sku == sku) return p;
  if (owner.empty())
    return RecordCorruption("sku_products", key, "holds product '" + p.id + "', which has no such variant");
  return RecordCorruption("skus", key, "names product '" + owner + "', which has no such variant");
}

Result<Category> GetCategory(ReadView& view, const Tables& t, std::string_view id) {
  return GetRecord<Category>(view, t.categories, KeyBuilder().str(id).key(), id, "category", DecodeCategory);
}

Status UpsertProductInTxn(WriteTxn& txn, const Tables& t, Product& p, WriteCondition cond,
                          int64_t now_ms, bool* unchanged) {
  if (unchanged) *unchanged = false;  // a mutation may run more than once
  std::optional<Product> old;
  {
    auto existing = GetProduct(txn, t, p.id);
    if (existing.ok()) old = std::move(existing).value();
    else if (!existing.status().IsNotFound()) return existing.status();
  }
  if (cond.if_version) {
    uint64_t have = old ? old->version : 0;
    if (have != *cond.if_version)
      return Status::Conflict("product '" + p.id + "' is at version " + std::to_string(have) +
                              ", not " + std::to_string(*cond.if_version) +
                              ": read it again and reapply the change");
  }
  if (old && SameContent(*old, p)) {
    // Re-importing an unchanged catalog must not rewrite it: the stored product (its
    // categories existed and its SKUs were its own when it was written) stays as it is.
    p = *old;
    if (unchanged) *unchanged = true;
    return Status::OK();
  }
  for (const auto& c : p.categories) {
    std::string_view unused;
    Status s = txn.get(t.categories, KeyBuilder().str(c).key(), &unused);
    if (s.IsNotFound())
      return Status::NotFound("categories: category '" + c +
                              "' does not exist: create it with upsert_category first");
    COMMERCE_RETURN_IF_ERROR(s);
  }
  // SKUs: each must be free or already this product's.
  std::set<std::string> new_skus;
  for (size_t i = 0; i < p.variants.size(); ++i) {
    const auto& v = p.variants[i];
    new_skus.insert(v.sku);
    std::string_view owner;
    Status s = txn.get(t.skus, KeyBuilder().str(v.sku).key(), &owner);
    if (s.ok() && owner != p.id)
      return Status::AlreadyExists("variants[" + std::to_string(i) + "].sku: '" + v.sku +
                                   "' belongs to product '" + std::string(owner) + "'");
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  int64_t sku_delta = static_cast<int64_t>(new_skus.size());
  std::set<std::string> old_listed;
  if (old) {
    for (const auto& v : old->variants) {
      --sku_delta;
      if (new_skus.count(v.sku)) continue;
      const std::string key = KeyBuilder().str(v.sku).key();
      COMMERCE_RETURN_IF_ERROR(txn.del(t.skus, key));
      COMMERCE_RETURN_IF_ERROR(txn.del(t.sku_products, key));
    }
    old_listed = ListedUnder(*old);
  }
  std::set<std::string> listed = ListedUnder(p);
  for (const auto& c : old_listed)
    if (!listed.count(c))
      COMMERCE_RETURN_IF_ERROR(txn.del(t.category_products, KeyBuilder().str(c).str(p.id).key()));
  for (const auto& c : listed)
    if (!old_listed.count(c))
      COMMERCE_RETURN_IF_ERROR(txn.put(t.category_products, KeyBuilder().str(c).str(p.id).key(), ""));
  p.created_at_ms = old ? old->created_at_ms : now_ms;
  p.updated_at_ms = now_ms;
  p.version = old ? old->version + 1 : 1;
  const std::string record = EncodeProduct(p);
  COMMERCE_RETURN_IF_ERROR(txn.put(t.products, KeyBuilder().str(p.id).key(), record));
  for (const auto& sku : new_skus) {
    const std::string key = KeyBuilder().str(sku).key();
    COMMERCE_RETURN_IF_ERROR(txn.put(t.skus, key, p.id));
    COMMERCE_RETURN_IF_ERROR(txn.put(t.sku_products, key, record));
  }
  if (!old) COMMERCE_RETURN_IF_ERROR(AddToCounter(txn, t, kProductsCounter, 1));
  COMMERCE_RETURN_IF_ERROR(AddToCounter(txn, t, kSkusCounter, sku_delta));

  const bool archived_now = p.status == ProductStatus::kArchived &&
                            (!old || old->status != ProductStatus::kArchived);
  std::string data = EventJson()
                         .str("product_id", p.id)
                         .u64("version", p.version)
                         .str("status", ProductStatusName(p.status))
                         .boolean("created", !old)
                         .done();
  return AppendEvent(txn, t.events, archived_now ? "ProductArchived" : "ProductUpserted", p.id,
                     std::move(data), now_ms)
      .status();
}

Status UpsertCategoryInTxn(WriteTxn& txn, const Tables& t, const Category& c, int64_t now_ms,
                           bool* created) {
  *created = false;
  if (!c.parent_id.empty()) {
    std::string_view unused;
    Status s = txn.get(t.categories, KeyBuilder().str(c.parent_id).key(), &unused);
    if (s.IsNotFound())
      return Status::NotFound("parent category '" + c.parent_id + "' of '" + c.id +
                              "' does not exist: create the parent first");
    COMMERCE_RETURN_IF_ERROR(s);
  }
  std::string key = KeyBuilder().str(c.id).key();
  auto old = GetCategory(txn, t, c.id);
  if (old.ok()) {
    if (*old == c) return Status::OK();  // nothing to change, no event
  } else if (old.status().IsNotFound()) {
    *created = true;
  } else {
    return old.status();
  }
  COMMERCE_RETURN_IF_ERROR(txn.put(t.categories, key, EncodeCategory(c)));
  COMMERCE_RETURN_IF_ERROR(
      txn.put(t.category_children, KeyBuilder().str(c.parent_id).str(c.id).key(), ""));
  if (*created) COMMERCE_RETURN_IF_ERROR(AddToCounter(txn, t, kCategoriesCounter, 1));
  std::string data =
      EventJson().str("category_id", c.id).str("name", c.name).str("parent_id", c.parent_id).done();
  return AppendEvent(txn, t.events, "CategoryUpserted", c.id, std::move(data), now_ms).status();
}

Result<std::string> EnsureCategoryPathInTxn(WriteTxn& txn, const Tables& t,
                                            const std::vector<std::string>& path,
                                            int64_t now_ms, uint64_t* created) {
  std::vector<std::string> prefix;
  std::string parent, id;
  for (const auto& name : path) {
    prefix.push_back(name);
    id = CategoryIdFromPath(prefix);
    if (id.empty())
      return Status::InvalidArgument("categories: path element '" + name +
                                     "' has no letters or digits to make an id from");
    std::string_view unused;
    Status s = txn.get(t.categories, KeyBuilder().str(id).key(), &unused);
    if (s.IsNotFound()) {
      bool made = false;
      COMMERCE_RETURN_IF_ERROR(UpsertCategoryInTxn(txn, t, Category{id, name, parent}, now_ms, &made));
      if (made) ++*created;
    } else {
      COMMERCE_RETURN_IF_ERROR(s);
    }
    parent = id;
  }
  return id;
}

}  // namespace commerce
