#include "commerce/catalog.h"

#include "catalog/catalog_store.h"
#include "catalog/product_codec.h"
#include "catalog/product_validation.h"
#include "channels/channel_listing.h"
#include "channels/channel_store.h"
#include "common/key.h"
#include "common/selector_key.h"
#include "engine/engine_core.h"

namespace commerce {

namespace {

Status CheckId(std::string_view what, std::string_view id) {
  if (id.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (id.size() > 512)
    return Status::InvalidArgument(std::string(what) + " is longer than 512 bytes");
  return CheckUtf8(what, id);
}

Status CheckListOptions(const ListOptions& o) {
  if (o.limit < 1 || o.limit > 1000)
    return Status::InvalidArgument("limit must be 1..1000, got " + std::to_string(o.limit));
  if (o.cursor.size() > 512 || !IsValidUtf8(o.cursor))
    return Status::InvalidArgument("cursor is not one this engine made");
  return CheckSelectorKey("channel", o.channel);
}

// A page of what options.channel shows (under `category_id` when not empty), read through the
// channel's rules (channels/channel_listing.h).
Result<Page<Product>> ListInChannel(EngineCore* core, std::string_view category_id,
                                    const ListOptions& o) {
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core->storage->read());
  auto channel = GetChannel(*txn, core->tables, o.channel);
  if (!channel.ok()) return channel.status().WithContext("channel");
  return ListChannelProducts(*txn, core->tables, *channel, category_id, o);
}

// Pages over (prefix, product id) keys: the cursor is the last product id returned. The
// value is the product itself when listing the products table, empty for an index.
Result<Page<Product>> ListProducts(EngineCore* core, Table table, const std::string& prefix,
                                   const ListOptions& o, bool products_in_value) {
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core->storage->read());
  Page<Product> page;
  auto c = txn->cursor(table);
  std::string start = o.cursor.empty() ? prefix : PrefixEnd(prefix + KeyBuilder().str(o.cursor).key());
  if (start.empty()) c->seek_to_first(); else c->seek(start);
  std::string end = PrefixEnd(prefix);
  for (; c->valid(); c->next()) {
    if (!end.empty() && c->key() >= end) break;
    if (page.items.size() == o.limit) {
      page.next_cursor = page.items.back().id;
      break;
    }
    KeyReader r(c->key().substr(prefix.size()));
    auto id = r.str();
    if (!id) return Status::Corruption("catalog index key does not decode");
    Product p;
    if (products_in_value) {
      COMMERCE_RETURN_IF_ERROR(DecodeProduct(c->key(), c->value(), &p));
    } else {
      COMMERCE_ASSIGN_OR_RETURN(p, GetProduct(*txn, core->tables, *id));
    }
    if (p.status == ProductStatus::kArchived && !o.include_archived) continue;
    page.items.push_back(std::move(p));
  }
  COMMERCE_RETURN_IF_ERROR(c->status());
  return page;
}

}  // namespace

Result<Product> Catalog::upsert(const Product& product, WriteCondition cond) {
  COMMERCE_RETURN_IF_ERROR(ValidateProduct(product));
  Product stored;
  const Tables& t = core_->tables;
  int64_t now = EngineCore::NowMs();
  COMMERCE_RETURN_IF_ERROR(core_->Write([&](WriteTxn& txn) {
    stored = product;
    return UpsertProductInTxn(txn, t, stored, cond, now);
  }));
  return stored;
}

Result<Product> Catalog::get(std::string_view product_id) {
  COMMERCE_RETURN_IF_ERROR(CheckId("product id", product_id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return GetProduct(*txn, core_->tables, product_id);
}

Result<Product> Catalog::get_by_sku(std::string_view sku) {
  COMMERCE_RETURN_IF_ERROR(CheckId("sku", sku));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return GetProductBySku(*txn, core_->tables, sku);
}

Result<Product> Catalog::archive(std::string_view product_id, WriteCondition cond) {
  COMMERCE_RETURN_IF_ERROR(CheckId("product id", product_id));
  Product stored;
  const Tables& t = core_->tables;
  int64_t now = EngineCore::NowMs();
  std::string id(product_id);
  COMMERCE_RETURN_IF_ERROR(core_->Write([&](WriteTxn& txn) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(stored, GetProduct(txn, t, id));
    if (stored.status == ProductStatus::kArchived) {
      // Already archived: nothing to write, but a stale if_version is still a conflict.
      if (cond.if_version && *cond.if_version != stored.version)
        return Status::Conflict("product '" + id + "' is at version " +
                                std::to_string(stored.version) + ", not " +
                                std::to_string(*cond.if_version));
      return Status::OK();
    }
    stored.status = ProductStatus::kArchived;
    return UpsertProductInTxn(txn, t, stored, cond, now);
  }));
  return stored;
}

Result<Page<Product>> Catalog::list_by_category(std::string_view category_id, ListOptions options) {
  COMMERCE_RETURN_IF_ERROR(CheckId("category id", category_id));
  COMMERCE_RETURN_IF_ERROR(CheckListOptions(options));
  {
    COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
    std::string_view unused;
    Status s = txn->get(core_->tables.categories, KeyBuilder().str(category_id).key(), &unused);
    if (s.IsNotFound()) return Status::NotFound("no category with id '" + std::string(category_id) + "'");
    COMMERCE_RETURN_IF_ERROR(s);
  }
  if (!options.channel.empty()) return ListInChannel(core_, category_id, options);
  return ListProducts(core_, core_->tables.category_products,
                      KeyBuilder().str(category_id).key(), options, false);
}

Result<Page<Product>> Catalog::list(ListOptions options) {
  COMMERCE_RETURN_IF_ERROR(CheckListOptions(options));
  if (!options.channel.empty()) return ListInChannel(core_, "", options);
  return ListProducts(core_, core_->tables.products, "", options, true);
}

Status Catalog::upsert_category(const Category& category) {
  COMMERCE_RETURN_IF_ERROR(ValidateCategory(category));
  Category c = category;
  auto slash = c.id.rfind('/');
  std::string parent = slash == std::string::npos ? "" : c.id.substr(0, slash);
  if (!c.parent_id.empty() && c.parent_id != parent)
    return Status::InvalidArgument("parent_id: '" + c.parent_id + "' is not the parent of '" +
                                   c.id + "' (ids are paths: the parent of a/b is a)");
  c.parent_id = parent;
  const Tables& t = core_->tables;
  int64_t now = EngineCore::NowMs();
  return core_->Write([&](WriteTxn& txn) {
    bool created;
    return UpsertCategoryInTxn(txn, t, c, now, &created);
  });
}

Result<Category> Catalog::get_category(std::string_view category_id) {
  COMMERCE_RETURN_IF_ERROR(CheckId("category id", category_id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return GetCategory(*txn, core_->tables, category_id);
}

Result<std::vector<Category>> Catalog::list_categories(std::string_view parent_id) {
  if (parent_id.size() > 512) return Status::InvalidArgument("parent id is longer than 512 bytes");
  COMMERCE_RETURN_IF_ERROR(CheckUtf8("parent id", parent_id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  std::string prefix = KeyBuilder().str(parent_id).key();
  COMMERCE_ASSIGN_OR_RETURN(auto rows, txn->scan(core_->tables.category_children, prefix,
                                                 PrefixEnd(prefix), 0));
  std::vector<Category> out;
  for (const auto& kv : rows) {
    KeyReader r(std::string_view(kv.key).substr(prefix.size()));
    auto child = r.str();
    if (!child) return Status::Corruption("category index key does not decode");
    COMMERCE_ASSIGN_OR_RETURN(Category c, GetCategory(*txn, core_->tables, *child));
    out.push_back(std::move(c));
  }
  return out;
}

Result<CatalogStats> Catalog::stats() {
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  CatalogStats s;
  COMMERCE_ASSIGN_OR_RETURN(s.products, ReadCounter(*txn, core_->tables, kProductsCounter));
  COMMERCE_ASSIGN_OR_RETURN(s.skus, ReadCounter(*txn, core_->tables, kSkusCounter));
  COMMERCE_ASSIGN_OR_RETURN(s.categories, ReadCounter(*txn, core_->tables, kCategoriesCounter));
  return s;
}

Result<ImportReport> Catalog::import_jsonl(const std::string& path,
                                           std::function<void(const ImportProgress&)> progress) {
  ImportOptions o;
  o.format = "jsonl";
  o.progress = std::move(progress);
  return import_file(path, o);
}

Result<ImportReport> Catalog::import_csv(const std::string& path,
                                         std::function<void(const ImportProgress&)> progress) {
  ImportOptions o;
  o.format = "csv";
  o.progress = std::move(progress);
  return import_file(path, o);
}

}  // namespace commerce
