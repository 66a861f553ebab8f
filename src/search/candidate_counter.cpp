#include "search/candidate_counter.h"

#include <algorithm>

namespace commerce::search {

Counted CountMatches(Reader& reader, const std::vector<Xapian::Query>& all, uint64_t exact_up_to) {
  Xapian::Enquire enquire(reader.db);
  enquire.set_weighting_scheme(Xapian::BoolWeight());
  enquire.set_query(Xapian::Query(Xapian::Query::OP_AND, all.begin(), all.end()));
  Xapian::MSet m = enquire.get_mset(0, 1, static_cast<Xapian::doccount>(std::max<uint64_t>(1, exact_up_to)));
  if (m.empty()) return {};
  return {std::max<uint64_t>(1, m.get_matches_estimated()), *m.begin()};
}

Xapian::docid FirstWith(Reader& reader, const std::string& term) {
  if (!reader.shards.empty()) return CountMatches(reader, {Xapian::Query(term)}, 1).first;
  Xapian::PostingIterator it = reader.db.postlist_begin(term);
  return it == reader.db.postlist_end(term) ? 0 : *it;
}

void CandidateCounter::ReadHead() {
  head_tried_ = true;
  if (head_.empty() || !reader_.shards.empty()) return;
  if (head_.size() == 1) {
    // One word: its posting list read straight, no match.
    if (reader_.db.get_termfreq(head_[0]) > kMaxHeadPostings) return;
    for (auto it = reader_.db.postlist_begin(head_[0]); it != reader_.db.postlist_end(head_[0]); ++it)
      head_products_.push_back(*it);
    head_read_ = true;
    return;
  }
  Xapian::Enquire enquire(reader_.db);
  enquire.set_weighting_scheme(Xapian::BoolWeight());
  enquire.set_query(Xapian::Query(Xapian::Query::OP_AND, head_.begin(), head_.end()));
  // One more than kept: a full MSet says there are more.
  Xapian::MSet m = enquire.get_mset(0, kMaxHeadProducts + 1);
  if (m.size() > kMaxHeadProducts) return;
  for (auto it = m.begin(); it != m.end(); ++it) head_products_.push_back(*it);
  std::sort(head_products_.begin(), head_products_.end());
  head_read_ = true;
}

Counted CandidateCounter::Count(const std::vector<std::string>& any_of, uint64_t exact_up_to, uint64_t bound) {
  exact_up_to = std::max<uint64_t>(1, exact_up_to);
  if (!head_tried_) ReadHead();
  if (!head_read_) {
    std::vector<Xapian::Query> all(head_.begin(), head_.end());
    all.emplace_back(Xapian::Query::OP_OR, any_of.begin(), any_of.end());
    return CountMatches(reader_, all, exact_up_to);
  }
  // Every posting list is stepped forwards only, over the head's products in docid order.
  struct List {
    Xapian::PostingIterator it, end;
  };
  auto open = [&](const std::vector<std::string>& terms, std::vector<List>* out) {
    for (const auto& t : terms) {
      List l{reader_.db.postlist_begin(t), reader_.db.postlist_end(t)};
      if (l.it != l.end) out->push_back(std::move(l));
    }
  };
  std::vector<List> any;
  open(any_of, &any);
  if (any.empty()) return {};
  auto holds = [](List& l, Xapian::docid d) {
    if (l.it == l.end) return false;
    if (*l.it < d) l.it.skip_to(d);
    return l.it != l.end && *l.it == d;
  };
  Counted out;
  size_t visited = 0;
  for (const Xapian::docid d : head_products_) {
    ++visited;
    bool one = false, open_left = false;
    for (auto& l : any) {
      if (holds(l, d)) {
        one = true;
        break;  // the others catch up at the next product: lists only move forwards
      }
      open_left = open_left || l.it != l.end;
    }
    if (!one) {
      if (!open_left) break;  // every list has ended: no later product holds the candidate
      continue;
    }
    if (out.first == 0) out.first = d;
    if (++out.products == exact_up_to) break;
  }
  if (out.products == exact_up_to && visited < head_products_.size())
    out.products = std::clamp<uint64_t>(out.products * head_products_.size() / visited, out.products,
                                        std::max(bound, out.products));
  return out;
}

}  // namespace commerce::search
