// The reference server's JSON bodies: products (the catalog's ProductFromJson, which the
// server's PUT uses) and customers (tools/server/json_util.h) as a client sends them. What the readers promise, checked:
//   - any body answers OK or InvalidArgument (a message naming the field), never a crash;
//   - what they accept, written back as the server answers it (WriteProduct, WriteCustomer),
//     is JSON the server itself parses, and reads back to the same value: the engine-set
//     fields are written but ignored on the way in.
//
// Input: a byte choosing the reader (even: product, odd: customer), then the body.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "json_util.h"

using namespace commerce;
using namespace commerce::server;

namespace {

template <typename T>
std::string Written(const T& value, void (*write)(JsonWriter&, const T&)) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write(w, value);
  return std::string(buf.GetString(), buf.GetSize());
}

template <typename T>
void RoundTrip(std::string_view body, Status (*read)(const rapidjson::Value&, T*),
               void (*write)(JsonWriter&, const T&), const char* what) {
  rapidjson::Document doc;
  Status parsed = ParseJsonBody(body, &doc);
  FUZZ_CHECK(parsed.ok() || parsed.IsInvalidArgument(), "ParseJsonBody answered " + parsed.ToString());
  if (!parsed.ok()) return;
  T value{};
  Status s = read(doc, &value);
  FUZZ_CHECK(s.ok() || s.IsInvalidArgument(), std::string(what) + ": the reader answered " + s.ToString());
  if (!s.ok()) {
    FUZZ_CHECK(!s.message().empty(), std::string(what) + ": an error without a message");
    return;
  }
  const std::string json = Written(value, write);
  rapidjson::Document again_doc;
  Status reparsed = ParseJsonBody(json, &again_doc);
  FUZZ_CHECK(reparsed.ok(), std::string(what) + ": the server's own answer does not parse: " + reparsed.ToString() +
                                "\n  " + json);
  T again{};
  Status s2 = read(again_doc, &again);
  FUZZ_CHECK(s2.ok(), std::string(what) + ": the server's own answer does not read back: " + s2.ToString() +
                          "\n  " + json);
  FUZZ_CHECK(again == value, std::string(what) + ": changed on the way back\n  " + json);
}

// Products are read by the catalog's own reader (ProductFromJson, the import schema), which
// the server's PUT uses with the id taken from the path.
void ProductRoundTrip(std::string_view body) {
  const ProductJsonOptions options{.id_required = false, .field_prefix = "body."};
  auto read = ProductFromJson(body, options);
  FUZZ_CHECK(read.ok() || read.status().IsInvalidArgument(),
             "product: the reader answered " + read.status().ToString());
  if (!read.ok()) {
    FUZZ_CHECK(!read.status().message().empty(), "product: an error without a message");
    return;
  }
  // As PUT /v1/products/{id} does: a body without an id takes the path's.
  if (read->id.empty()) read->id = "from-the-path";
  const std::string json = Written(*read, WriteProduct);
  auto again = ProductFromJson(json, options);
  FUZZ_CHECK(again.ok(), "product: the server's own answer does not read back: " +
                             again.status().ToString() + "\n  " + json);
  FUZZ_CHECK(*again == *read, "product: changed on the way back\n  " + json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0)
    ProductRoundTrip(body);
  else
    RoundTrip<Customer>(body, ReadCustomer, WriteCustomer, "customer");
  return 0;
}
