#include "search/naming_words.h"

#include "search/index_schema.h"
#include "search/title_pairs.h"

namespace commerce::search {

NamingWord& NamingWordsMemo::Get(Reader& reader, CategoryNames* names, const std::string& word,
                                 const std::string& stem) {
  if (!any_ || opens_ != reader.opens || words_.size() >= kMaxNamingWordsKept) {
    if (!any_ || opens_ != reader.opens) {
      categories_read_ = false;
      category_stems_.clear();
    }
    words_.clear();
    opens_ = reader.opens;
    any_ = true;
  }
  auto [it, fresh] = words_.try_emplace(word);
  NamingWord& out = it->second;
  if (!fresh) return out;
  if (names && CategoryWord(reader, *names, stem)) {
    out.told = true;
    return out;
  }
  const std::string pairs = PairPrefix(stem, "");
  if (reader.db.allterms_begin(pairs) != reader.db.allterms_end(pairs)) {
    out.told = true;
    return out;
  }
  out.told = reader.db.get_termfreq(BooleanTerm(kPrefixBrand, word)) > 0;
  return out;
}

bool NamingWordsMemo::CategoryWord(Reader& reader, CategoryNames& names, const std::string& stem) {
  if (!categories_read_) {
    categories_read_ = true;
    // Every category and ancestor a product is in has its term (index_schema.cpp); ids are
    // lower-case slugs, so the term's value is the id.
    const std::string prefix(kPrefixCategory);
    size_t read = 0;
    for (auto it = reader.db.allterms_begin(prefix); it != reader.db.allterms_end(prefix) && read < kMaxCategoryTermsRead;
         ++it, ++read) {
      const std::string id = (*it).substr(prefix.size());
      for (const auto& w : TitleWords(names.Get(id))) category_stems_.insert(reader.stemmer(w));
    }
  }
  return category_stems_.count(stem) > 0;
}

}  // namespace commerce::search
