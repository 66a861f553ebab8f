// commerce verify: categories, products and their indexes.
//
//   - every category and product decodes and is stored under its own id;
//   - a category's parent exists and lists it in category_children, and every
//     category_children entry is a child that names that parent;
//   - every SKU of every product maps to it in `skus`, and every `skus` entry names a product
//     that has the SKU;
//   - every `sku_products` entry decodes, is the SKU's entry in `skus`, and holds byte for byte
//     the record `products` holds for that product (a product last written before the table
//     existed has none, and is read through `skus`);
//   - a product's categories exist, and it is listed in category_products under each of them
//     and their ancestors — and under nothing else;
//   - the meta counters of products, SKUs and categories equal what is stored.
#include "catalog/catalog_store.h"
#include "catalog/product_codec.h"
#include "common/key.h"
#include "verify/check_context.h"

namespace commerce::verify {

namespace {

constexpr const char* kProducts = "products";
constexpr const char* kCategories = "categories";

// The single string element of a key, or nullopt when the key is not one string.
std::optional<std::string> OneString(std::string_view key) {
  KeyReader r(key);
  auto s = r.str();
  if (!s || !r.done()) return std::nullopt;
  return s;
}

std::optional<std::pair<std::string, std::string>> TwoStrings(std::string_view key) {
  KeyReader r(key);
  auto a = r.str();
  auto b = r.str();
  if (!a || !b || !r.done()) return std::nullopt;
  return std::pair{std::move(*a), std::move(*b)};
}

std::optional<Product> ReadProduct(CheckContext& c, const char* check, const std::string& id) {
  const std::string key = KeyBuilder().str(id).key();
  auto v = c.Get(check, kProducts, key);
  if (!v) return std::nullopt;
  Product p;
  if (!DecodeProduct(key, *v, &p).ok()) return std::nullopt;  // reported by the products scan
  return p;
}

void CompareCounter(CheckContext& c, const char* name, uint64_t actual) {
  auto stored = ReadCounter(*c.view(), c.tables(), name);
  if (!stored.ok()) {
    c.Problem("counters", Where("meta", KeyBuilder().str("counter").str(name).key()),
              stored.status().message());
  } else if (*stored != actual) {
    c.Problem("counters", Where("meta", KeyBuilder().str("counter").str(name).key()),
              "the " + std::string(name) + " counter is " + std::to_string(*stored) + ", but " +
                  std::to_string(actual) + " are stored");
  }
}

}  // namespace

void CheckCatalog(CheckContext& c) {
  uint64_t categories = 0;
  c.Scan("categories", kCategories, [&](std::string_view key, std::string_view value) {
    Category cat;
    if (!DecodeRecord(c, kCategories, key, value, [&] { return DecodeCategory(key, value, &cat); }))
      return true;
    ++categories;
    const std::string where = Where(kCategories, key);
    if (OneString(key) != cat.id) c.Problem("categories", where, "holds category '" + cat.id + "'");
    if (!cat.parent_id.empty()) {
      if (!c.Has("categories", kCategories, KeyBuilder().str(cat.parent_id).key()))
        c.Problem("categories", where, "its parent '" + cat.parent_id + "' does not exist");
      if (!c.Has("categories", "category_children", KeyBuilder().str(cat.parent_id).str(cat.id).key()))
        c.Problem("categories", where, "is missing from category_children under '" + cat.parent_id + "'");
    }
    return true;
  }, /*count=*/true);

  c.Scan("categories", "category_children", [&](std::string_view key, std::string_view) {
    auto pc = TwoStrings(key);
    const std::string where = Where("category_children", key);
    if (!pc) {
      c.Problem("categories", where, "the key does not decode");
      return true;
    }
    const std::string child_key = KeyBuilder().str(pc->second).key();
    auto v = c.Get("categories", kCategories, child_key);
    Category child;
    if (!v) c.Problem("categories", where, "names category '" + pc->second + "', which does not exist");
    else if (DecodeCategory(child_key, *v, &child).ok() && child.parent_id != pc->first)
      c.Problem("categories", where, "lists '" + pc->second + "' under '" + pc->first +
                                         "', but its parent is '" + child.parent_id + "'");
    return true;
  }, /*count=*/true);

  uint64_t products = 0, skus = 0;
  c.Scan("products", kProducts, [&](std::string_view key, std::string_view value) {
    Product p;
    if (!DecodeRecord(c, kProducts, key, value, [&] { return DecodeProduct(key, value, &p); }))
      return true;
    ++products;
    const std::string where = Where(kProducts, key);
    if (OneString(key) != p.id) c.Problem("products", where, "holds product '" + p.id + "'");
    std::set<std::string> own;
    for (const auto& v : p.variants) {
      if (!own.insert(v.sku).second) continue;
      ++skus;
      auto owner = c.Get("skus", "skus", KeyBuilder().str(v.sku).key());
      if (!owner) c.Problem("skus", where, "its SKU '" + v.sku + "' is missing from the skus index");
      else if (*owner != p.id)
        c.Problem("skus", where, "its SKU '" + v.sku + "' is indexed to product '" + *owner + "'");
    }
    for (const auto& cat : p.categories)
      if (!c.Has("categories", kCategories, KeyBuilder().str(cat).key()))
        c.Problem("categories", where, "its category '" + cat + "' does not exist");
    for (const auto& cat : ListedUnder(p))
      if (!c.Has("categories", "category_products", KeyBuilder().str(cat).str(p.id).key()))
        c.Problem("categories", where, "is missing from category_products under '" + cat + "'");
    return true;
  }, /*count=*/true);

  c.Scan("skus", "skus", [&](std::string_view key, std::string_view value) {
    auto sku = OneString(key);
    const std::string where = Where("skus", key);
    if (!sku) {
      c.Problem("skus", where, "the key does not decode");
      return true;
    }
    auto p = ReadProduct(c, "skus", std::string(value));
    if (!p) {
      c.Problem("skus", where, "names product '" + std::string(value) + "', which does not exist");
      return true;
    }
    bool has = false;
    for (const auto& v : p->variants) has |= v.sku == *sku;
    if (!has) c.Problem("skus", where, "names product '" + p->id + "', which has no such SKU");
    return true;
  }, /*count=*/true);

  c.Scan("skus", "sku_products", [&](std::string_view key, std::string_view value) {
    auto sku = OneString(key);
    const std::string where = Where("sku_products", key);
    if (!sku) {
      c.Problem("skus", where, "the key does not decode");
      return true;
    }
    Product p;
    if (!DecodeRecord(c, "sku_products", key, value, [&] { return DecodeSkuProduct(key, value, &p); }))
      return true;
    bool has = false;
    for (const auto& v : p.variants) has |= v.sku == *sku;
    if (!has) c.Problem("skus", where, "holds product '" + p.id + "', which has no such SKU");
    auto owner = c.Get("skus", "skus", key);
    if (!owner) {
      c.Problem("skus", where, "holds product '" + p.id + "', but the SKU is missing from the skus index");
      return true;
    }
    if (*owner != p.id) {
      c.Problem("skus", where, "holds product '" + p.id + "', but the skus index names '" + *owner + "'");
      return true;
    }
    auto stored = c.Get("skus", kProducts, KeyBuilder().str(p.id).key());
    if (!stored) c.Problem("skus", where, "holds product '" + p.id + "', which does not exist");
    else if (*stored != value)
      c.Problem("skus", where, "holds version " + std::to_string(p.version) + " of product '" + p.id +
                                   "', not the record products holds");
    return true;
  }, /*count=*/true);

  c.Scan("categories", "category_products", [&](std::string_view key, std::string_view) {
    auto cp = TwoStrings(key);
    const std::string where = Where("category_products", key);
    if (!cp) {
      c.Problem("categories", where, "the key does not decode");
      return true;
    }
    auto p = ReadProduct(c, "categories", cp->second);
    if (!p) c.Problem("categories", where, "names product '" + cp->second + "', which does not exist");
    else if (!ListedUnder(*p).count(cp->first))
      c.Problem("categories", where, "lists product '" + p->id + "' under '" + cp->first +
                                         "', which is not one of its categories or their ancestors");
    return true;
  }, /*count=*/true);

  CompareCounter(c, kProductsCounter, products);
  CompareCounter(c, kSkusCounter, skus);
  CompareCounter(c, kCategoriesCounter, categories);
}

}  // namespace commerce::verify
