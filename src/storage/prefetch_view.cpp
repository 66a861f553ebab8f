#include "storage/prefetch_view.h"

#include <cstring>
#include <utility>

namespace commerce {

std::string PrefetchView::KeyOf(Table table, std::string_view key) {
  std::string out(sizeof table.id, '\0');
  std::memcpy(out.data(), &table.id, sizeof table.id);
  out.append(key);
  return out;
}

std::string PrefetchView::RangeOf(const RangeRead& r) {
  // table id, limit, then begin's length: a begin and end that run together cannot collide.
  std::string out(sizeof r.table.id + 2 * sizeof(size_t), '\0');
  const size_t begin_size = r.begin.size();
  std::memcpy(out.data(), &r.table.id, sizeof r.table.id);
  std::memcpy(out.data() + sizeof r.table.id, &r.limit, sizeof r.limit);
  std::memcpy(out.data() + sizeof r.table.id + sizeof r.limit, &begin_size, sizeof begin_size);
  out.append(r.begin).append(r.end);
  return out;
}

Status PrefetchView::prefetch(const std::vector<KeyRead>& keys, const std::vector<RangeRead>& ranges) {
  if (!enabled_) return Status::OK();
  return read_many(keys, ranges).status();
}

Status PrefetchView::get(Table table, std::string_view key, std::string_view* value) {
  if (enabled_) {
    auto it = values_.find(KeyOf(table, key));
    if (it != values_.end()) {
      if (!it->second) return Status::NotFound("key not found");
      *value = *it->second;
      return Status::OK();
    }
  }
  return base_.get(table, key, value);
}

Result<ReadResults> PrefetchView::read_many(const std::vector<KeyRead>& keys,
                                            const std::vector<RangeRead>& ranges) {
  if (!enabled_) return base_.read_many(keys, ranges);
  COMMERCE_RETURN_IF_ERROR(CheckReadBatch(keys, ranges));
  std::vector<KeyRead> missing_keys;
  std::vector<RangeRead> missing_ranges;
  for (const KeyRead& k : keys)
    if (!values_.contains(KeyOf(k.table, k.key))) missing_keys.push_back(k);
  for (const RangeRead& r : ranges)
    if (!ranges_.contains(RangeOf(r))) missing_ranges.push_back(r);
  if (!missing_keys.empty() || !missing_ranges.empty()) {
    ++batches_;
    COMMERCE_ASSIGN_OR_RETURN(ReadResults got, base_.read_many(missing_keys, missing_ranges));
    for (size_t i = 0; i < missing_keys.size(); ++i)
      values_.insert_or_assign(KeyOf(missing_keys[i].table, missing_keys[i].key), std::move(got.values[i]));
    for (size_t i = 0; i < missing_ranges.size(); ++i)
      ranges_.insert_or_assign(RangeOf(missing_ranges[i]), std::move(got.ranges[i]));
  }
  ReadResults out;
  out.values.reserve(keys.size());
  out.ranges.reserve(ranges.size());
  for (const KeyRead& k : keys) out.values.push_back(values_.at(KeyOf(k.table, k.key)));
  for (const RangeRead& r : ranges) out.ranges.push_back(ranges_.at(RangeOf(r)));
  return out;
}

}  // namespace commerce
