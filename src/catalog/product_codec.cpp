#include "catalog/product_codec.h"

#include "common/codec.h"

namespace commerce {

template <class Archive>
void serialize(Archive& ar, Money& m) {
  ar(m.minor, m.currency);
}

template <class Archive>
void serialize(Archive& ar, Variant& v, std::uint32_t /*version*/) {
  ar(v.sku, v.options, v.price, v.barcode, v.attributes);
}

template <class Archive>
void save(Archive& ar, const Product& p, std::uint32_t /*version*/) {
  ar(p.id, p.title, p.description, p.brand, p.categories, p.options, p.attributes, p.variants,
     static_cast<uint8_t>(p.status), p.popularity, p.created_at_ms, p.updated_at_ms, p.version);
}

template <class Archive>
void load(Archive& ar, Product& p, std::uint32_t /*version*/) {
  uint8_t status = 0;
  ar(p.id, p.title, p.description, p.brand, p.categories, p.options, p.attributes, p.variants,
     status, p.popularity, p.created_at_ms, p.updated_at_ms, p.version);
  if (status > static_cast<uint8_t>(ProductStatus::kArchived))
    throw std::runtime_error("unknown product status " + std::to_string(status));
  p.status = static_cast<ProductStatus>(status);
}

template <class Archive>
void serialize(Archive& ar, Category& c, std::uint32_t /*version*/) {
  ar(c.id, c.name, c.parent_id);
}

}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::Variant, 1);
CEREAL_CLASS_VERSION(commerce::Product, 1);
CEREAL_CLASS_VERSION(commerce::Category, 1);

namespace commerce {

std::string EncodeProduct(const Product& p) { return Encode(p); }
Status DecodeProduct(std::string_view key, std::string_view bytes, Product* p) {
  return Decode(bytes, p, "products", key);
}
Status DecodeSkuProduct(std::string_view key, std::string_view bytes, Product* p) {
  return Decode(bytes, p, "sku_products", key);
}
std::string EncodeCategory(const Category& c) { return Encode(c); }
Status DecodeCategory(std::string_view key, std::string_view bytes, Category* c) {
  return Decode(bytes, c, "categories", key);
}

}  // namespace commerce
