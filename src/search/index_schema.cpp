#include "search/index_schema.h"

#include <zlib.h>

#include <cstring>

#include "search/sort_key.h"
#include "search/title_pairs.h"

namespace commerce::search {

namespace {

constexpr size_t kMaxTermBytes = 240;  // Xapian's limit is 245 for glass

void PutString(std::string& out, std::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(s);
}

// The next length-prefixed string, as a view into `in` (s null: skipped).
bool SkipString(std::string_view& in, std::string_view* s) {
  uint32_t n;
  if (in.size() < sizeof n) return false;
  std::memcpy(&n, in.data(), sizeof n);
  in.remove_prefix(sizeof n);
  if (in.size() < n) return false;
  if (s) *s = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

bool GetString(std::string_view& in, std::string* s) {
  std::string_view v;
  if (!SkipString(in, &v)) return false;
  s->assign(v);
  return true;
}

}  // namespace

std::string Lower(std::string_view s) {
  return Xapian::Unicode::tolower(std::string(s));
}

std::string BooleanTerm(std::string_view prefix, std::string_view value) {
  std::string term(prefix);
  term += Lower(value);
  if (term.size() <= kMaxTermBytes) return term;
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(term.data()), term.size());
  char hex[16];
  snprintf(hex, sizeof hex, "#%08lx", crc & 0xffffffffUL);
  // Cut on a UTF-8 character boundary.
  size_t cut = kMaxTermBytes - 9;
  while (cut > prefix.size() && (static_cast<unsigned char>(term[cut]) & 0xC0) == 0x80) --cut;
  term.resize(cut);
  return term + hex;
}

std::string NormaliseCode(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
  }
  return out;
}

std::string IdTerm(std::string_view product_id) {
  // Product ids are at most 64 bytes; kept as written (ids are case-sensitive).
  return std::string(kPrefixId) + std::string(product_id);
}

std::vector<std::string> CategoryLineage(std::string_view category_id) {
  std::vector<std::string> out;
  std::string id(category_id);
  while (!id.empty()) {
    out.push_back(id);
    size_t slash = id.rfind('/');
    if (slash == std::string::npos) break;
    id.resize(slash);
  }
  return out;
}

Money LowestPrice(const Product& p) {
  Money m;
  for (const auto& v : p.variants) {
    if (m.currency.empty() || v.price.minor < m.minor) m = v.price;
  }
  return m;
}

std::string EncodeHitData(const HitData& h) {
  std::string out;
  out.reserve(h.product_id.size() + h.title.size() + h.brand.size() + 32);
  out += '\x01';  // format version
  PutString(out, h.product_id);
  PutString(out, h.title);
  PutString(out, h.brand);
  PutString(out, h.price.currency);
  out.append(reinterpret_cast<const char*>(&h.price.minor), sizeof h.price.minor);
  out += h.in_stock ? '1' : '0';
  return out;
}

bool DecodeHitData(std::string_view in, HitData* out) {
  if (in.empty() || in[0] != '\x01') return false;
  in.remove_prefix(1);
  if (!GetString(in, &out->product_id) || !GetString(in, &out->title) ||
      !GetString(in, &out->brand) || !GetString(in, &out->price.currency))
    return false;
  if (in.size() != sizeof(int64_t) + 1) return false;
  std::memcpy(&out->price.minor, in.data(), sizeof(int64_t));
  out->in_stock = in[sizeof(int64_t)] == '1';
  return true;
}

bool PeekHitPrice(std::string_view in, std::string_view* product_id, std::string_view* currency,
                  int64_t* minor) {
  if (in.empty() || in[0] != '\x01') return false;
  in.remove_prefix(1);
  if (!SkipString(in, product_id) || !SkipString(in, nullptr) || !SkipString(in, nullptr) ||
      !SkipString(in, currency) || in.size() != sizeof(int64_t) + 1)
    return false;
  std::memcpy(minor, in.data(), sizeof(int64_t));
  return true;
}

Xapian::Document BuildDocument(const Product& p, bool in_stock,
                               const std::vector<std::string>& category_names,
                               Xapian::TermGenerator& tg) {
  Xapian::Document doc;
  tg.set_document(doc);
  tg.index_text_without_positions(p.title, kWeightTitle);
  // Adjacent title words as pair terms (title_pairs.h): what suggestions complete phrases from.
  {
    thread_local const Xapian::Stem stem("english");
    const std::vector<std::string> words = TitleWords(p.title);
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      const std::string term = PairTerm(stem(words[i]), words[i + 1]);
      if (!term.empty()) doc.add_boolean_term(term);
    }
  }
  tg.index_text_without_positions(p.brand, kWeightBrand);
  for (const auto& name : category_names) tg.index_text_without_positions(name, kWeightCategory);
  std::string_view body(p.description);
  if (body.size() > kMaxIndexedDescription) {
    size_t cut = kMaxIndexedDescription;
    while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;
    body = body.substr(0, cut);
  }
  tg.index_text_without_positions(std::string(body), kWeightBody);

  doc.add_boolean_term(IdTerm(p.id));
  if (!p.brand.empty()) doc.add_boolean_term(BooleanTerm(kPrefixBrand, p.brand));
  std::string categories;
  for (const auto& c : p.categories) {
    for (const auto& id : CategoryLineage(c)) {
      doc.add_boolean_term(BooleanTerm(kPrefixCategory, id));
      if (("\n" + categories + "\n").find("\n" + id + "\n") == std::string::npos) {
        if (!categories.empty()) categories += '\n';
        categories += id;
      }
    }
  }
  for (const auto& [name, value] : p.attributes)
    doc.add_boolean_term(BooleanTerm(kPrefixAttribute, name + "=" + value));
  for (const auto& v : p.variants) {
    // SKUs and barcodes match as typed (through the text) and as one normalised code.
    tg.index_text_without_positions(v.sku, kWeightBody);
    std::string sku = NormaliseCode(v.sku);
    if (!sku.empty()) doc.add_boolean_term(std::string(kPrefixCode) + sku);
    if (!v.barcode.empty()) {
      std::string code = NormaliseCode(v.barcode);
      if (!code.empty()) doc.add_boolean_term(std::string(kPrefixCode) + code);
    }
    for (const auto& [name, value] : v.options) {
      doc.add_boolean_term(BooleanTerm(kPrefixAttribute, name + "=" + value));
      tg.index_text_without_positions(value, kWeightBody);
    }
    for (const auto& [name, value] : v.attributes)
      doc.add_boolean_term(BooleanTerm(kPrefixAttribute, name + "=" + value));
  }

  const Money price = LowestPrice(p);
  doc.add_value(kSlotPrice, Xapian::sortable_serialise(static_cast<double>(price.minor)));
  doc.add_value(kSlotPriceCurrency, price.currency);
  doc.add_value(kSlotOrderPopularity, SortKey().Descending(p.popularity).Id(p.id).str());
  doc.add_value(kSlotOrderPriceAsc,
                SortKey().Ascending(price.minor).Descending(p.popularity).Id(p.id).str());
  doc.add_value(kSlotOrderPriceDesc,
                SortKey().Descending(price.minor).Descending(p.popularity).Id(p.id).str());
  doc.add_value(kSlotOrderNewest,
                SortKey().Descending(p.created_at_ms).Descending(p.popularity).Id(p.id).str());
  doc.add_value(kSlotBrand, p.brand);
  doc.add_value(kSlotCategories, categories);
  SetInStock(doc, in_stock);
  doc.set_data(EncodeHitData({p.id, p.title, p.brand, price, in_stock}));
  return doc;
}

void SetInStock(Xapian::Document& doc, bool in_stock) {
  doc.add_value(kSlotInStock, in_stock ? "1" : "0");
  if (in_stock) {
    doc.add_boolean_term(std::string(kTermInStock));
  } else {
    try {
      doc.remove_term(std::string(kTermInStock));
    } catch (const Xapian::InvalidArgumentError&) {
      // not there: nothing to remove
    }
  }
  HitData h;
  if (DecodeHitData(doc.get_data(), &h) && h.in_stock != in_stock) {
    h.in_stock = in_stock;
    doc.set_data(EncodeHitData(h));
  }
}

bool DocumentInStock(const Xapian::Document& doc) { return doc.get_value(kSlotInStock) == "1"; }

}  // namespace commerce::search
