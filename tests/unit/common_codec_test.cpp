// Tests for src/common/codec.h and memory_archive.h: the cereal archives every stored record
// goes through.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "common/codec.h"

namespace {

struct Lists {
  std::vector<uint64_t> numbers;
  std::vector<std::string> words;
  std::string text;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(numbers, words, text);
  }
};

}  // namespace

// An empty std::vector<uint64_t> goes through the archive as BinaryData whose pointer is
// null; memcpy must never see it (UBSan: "null pointer passed as argument 1"), which every
// cart without a dot made happen (tools/test --only asan).
TEST_CASE("codec: records with empty lists and strings encode and decode", "[codec]") {
  const Lists empty;
  const std::string bytes = commerce::Encode(empty);
  Lists back{{7}, {"x"}, "y"};
  REQUIRE(commerce::Decode(bytes, &back, "lists").ok());
  CHECK(back.numbers.empty());
  CHECK(back.words.empty());
  CHECK(back.text.empty());

  const Lists full{{1, 2, 3}, {"a", ""}, "z"};
  Lists again;
  REQUIRE(commerce::Decode(commerce::Encode(full), &again, "lists").ok());
  CHECK(again.numbers == full.numbers);
  CHECK(again.words == full.words);
  CHECK(again.text == full.text);
}

TEST_CASE("codec: a record cut short or with bytes after its end is Corruption", "[codec]") {
  const std::string bytes = commerce::Encode(Lists{{1, 2}, {"abc"}, "def"});
  Lists out;
  for (size_t n = 0; n < bytes.size(); ++n) {
    INFO("cut to " << n << " bytes");
    CHECK(commerce::Decode(std::string_view(bytes).substr(0, n), &out, "lists").IsCorruption());
  }
  CHECK(commerce::Decode(bytes + "x", &out, "lists").IsCorruption());
}
