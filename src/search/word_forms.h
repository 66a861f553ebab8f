// Word forms a shopper writes differently from the catalog: apart where the catalog writes
// one word ("water proof" for "waterproof", "head phone", "blue tooth", "16 gb"), and one
// word of letters and digits where the catalog writes two ("iphone7" for "iPhone 7",
// "32gb" for "32 GB"). The tokenizer cannot see either: it splits at spaces and keeps a run
// of letters and digits whole, so every word of the query is required as typed and the
// products written the other way are not found. QueryBuilder::Units uses these to match
// either form (docs/search.md, "Word forms").
//
// Thread safety: pure functions; `db` is the caller's (one reader per thread).
#pragma once

#include <string>
#include <string_view>

#include <xapian.h>

namespace commerce::search {

// `a` and `b` (lower-cased words of letters and digits) written as one word, when the index
// knows that word (its stem is a term of some product); else "".
std::string JoinedWord(const Xapian::Database& db, const Xapian::Stem& stem, std::string_view a,
                       std::string_view b);

// `word` (lower-cased letters and digits), when the index does not know it, as two words of
// the index split where letters meet digits ("iphone7" -> "iphone 7", "32gb" -> "32 gb",
// "iphone6s" -> "iphone 6s" when the index has "6s"): the first such place where both halves
// are words of the index. "" when the index knows the word, or there is no such place.
std::string SplitWord(const Xapian::Database& db, const Xapian::Stem& stem, std::string_view word);

// True when `text` is one plain word: ASCII letters and digits (any case) or non-ASCII bytes,
// nothing else. Only such words are joined or split.
bool IsPlainWord(std::string_view text);

}  // namespace commerce::search
