// Names the catalog derives or parses from text (catalog.h): product status names and the
// category id a path of display names gets.
#include <string>
#include <string_view>
#include <vector>

#include "commerce/catalog.h"

#include "common/utf8.h"

namespace commerce {

namespace {

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}


// Non-ASCII code points that are punctuation or symbols rather than letters, so that
// "Galaxy™ Cases" and "Galaxy Cases" share an id, and "Tops – Tees" slugs like "Tops - Tees".
// Blocks, not a full Unicode table: what real catalog names contain (™ ® © ° – — ' " • …,
// no-break spaces, arrows, dingbats, emoji). Letters of every script are kept as they are.
bool IsSymbolCodePoint(char32_t cp) {
  return (cp >= 0x80 && cp <= 0xBF) ||      // Latin-1 controls, NBSP, ¡ ¢ £ © ® ° ± « » ...
         cp == 0xD7 || cp == 0xF7 ||        // × ÷
         (cp >= 0x2000 && cp <= 0x206F) ||  // spaces, dashes, quotes, bullet, ellipsis
         (cp >= 0x20A0 && cp <= 0x20CF) ||  // currency signs
         (cp >= 0x2100 && cp <= 0x214F) ||  // letterlike symbols: ™ ℠ № ℃
         (cp >= 0x2190 && cp <= 0x2BFF) ||  // arrows, math, technical, shapes, dingbats
         (cp >= 0x3000 && cp <= 0x303F) ||  // CJK spaces and punctuation
         (cp >= 0xFE00 && cp <= 0xFE0F) ||  // variation selectors
         cp == 0xFEFF ||                    // byte-order mark
         (cp >= 0xFF01 && cp <= 0xFF0F) ||  // full-width ! " # ... /
         (cp >= 0x1F000 && cp <= 0x1FAFF);  // emoji and pictographs
}

// One path element: ASCII letters lower-cased, ASCII digits and non-ASCII letters kept, every
// run of anything else (spaces, '&', '/', '>', symbols, invalid bytes) one '-', no '-' at
// either end. '/' can never survive, so the joined id splits back into its elements.
std::string Slug(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool pending_dash = false;
  auto emit = [&](std::string_view piece) {
    if (pending_dash && !out.empty()) out += '-';
    pending_dash = false;
    out.append(piece);
  };
  for (size_t i = 0; i < name.size();) {
    char32_t cp = 0;
    const size_t len = DecodeUtf8(name, i, &cp);
    if (len == 0) {  // not UTF-8: never let a broken byte into an id
      pending_dash = true;
      ++i;
      continue;
    }
    if (len == 1) {
      const char c = LowerAscii(name[i]);
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        emit(std::string_view(&c, 1));
      } else {
        pending_dash = true;
      }
    } else if (IsSymbolCodePoint(cp)) {
      pending_dash = true;
    } else {
      emit(name.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace

const char* ProductStatusName(ProductStatus s) {
  switch (s) {
    case ProductStatus::kDraft:
      return "draft";
    case ProductStatus::kActive:
      return "active";
    case ProductStatus::kArchived:
      return "archived";
  }
  return "unknown";
}

Result<ProductStatus> ParseProductStatus(std::string_view name) {
  // Case-insensitive because spreadsheets capitalise ("Active"); the stored and emitted
  // spelling is always the lower-case one.
  for (ProductStatus s : {ProductStatus::kDraft, ProductStatus::kActive, ProductStatus::kArchived}) {
    if (EqualsIgnoreAsciiCase(name, ProductStatusName(s))) return s;
  }
  std::string shown(name.substr(0, 64));
  return Status::InvalidArgument("unknown product status '" + shown +
                                 "': expected draft, active or archived");
}

// Returns "" when `names` is empty or any element has nothing left after slugging ("&", "™",
// ""): callers treat "" as an invalid path, since no category has the empty id.
std::string CategoryIdFromPath(const std::vector<std::string>& names) {
  std::string id;
  for (const std::string& name : names) {
    std::string slug = Slug(name);
    if (slug.empty()) return "";
    if (!id.empty()) id += '/';
    id += slug;
  }
  return id;
}

}  // namespace commerce
