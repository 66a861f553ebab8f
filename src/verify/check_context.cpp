#include "verify/check_context.h"

#include "common/key.h"
#include "common/memory_archive.h"
#include "common/record_frame.h"

namespace commerce::verify {

std::string Where(std::string_view table, std::string_view key) {
  return std::string(table) + " " + DescribeKey(key);
}

CheckContext::CheckContext(ReadView* view, const Tables& tables, VerifyReport* report,
                           const VerifyOptions& options)
    : view_(view), tables_(tables), report_(report), options_(options) {
  for (const auto& [member, name] : kTableNames) by_name_.emplace(name, tables.*member);
}

void CheckContext::Problem(std::string_view check, std::string where, std::string what) {
  uint64_t& n = report_->problem_counts[std::string(check)];
  if (n++ < options_.max_problems_per_check)
    report_->problems.push_back({std::string(check), std::move(where), std::move(what)});
}

uint64_t CheckContext::problems(std::string_view check) const {
  auto it = report_->problem_counts.find(std::string(check));
  return it == report_->problem_counts.end() ? 0 : it->second;
}

void CheckContext::Progress(std::string_view stage, std::string_view table, uint64_t done) const {
  if (options_.progress) options_.progress({std::string(stage), std::string(table), done});
}

void CheckContext::Scan(std::string_view check, std::string_view table,
                        const std::function<bool(std::string_view, std::string_view)>& fn,
                        bool count) {
  auto t = by_name_.find(table);
  if (t == by_name_.end()) return;
  auto c = view_->cursor(t->second);
  uint64_t n = 0;
  Progress("records", table, 0);
  for (c->seek_to_first(); c->valid(); c->next()) {
    ++n;
    if (n % 10000 == 0) Progress("records", table, n);
    if (!fn(c->key(), c->value())) break;
  }
  if (!c->status().ok())
    Problem(check, std::string(table),
            "reading the table stopped after " + std::to_string(n) + " records: " +
                c->status().ToString());
  if (count) report_->records[std::string(table)] = n;
}

std::optional<std::string> CheckContext::Get(std::string_view check, std::string_view table,
                                             std::string_view key) {
  auto t = by_name_.find(table);
  if (t == by_name_.end()) return std::nullopt;
  std::string_view v;
  Status s = view_->get(t->second, key, &v);
  if (s.ok()) return std::string(v);
  if (!s.IsNotFound()) Problem(check, Where(table, key), "cannot be read: " + s.ToString());
  return std::nullopt;
}

bool DecodeRecord(CheckContext& c, std::string_view table, std::string_view key,
                  std::string_view value, const std::function<Status()>& decode) {
  if (FramingOf(value) == RecordFraming::kBare) ++c.report().unchecksummed_records;
  Utf8Audit audit;
  Status s = decode();
  if (!s.ok()) {
    c.Problem("records", Where(table, key), s.message());
    return false;
  }
  if (Utf8Audit::bad_strings() > 0)
    c.Problem("utf8", Where(table, key),
              std::to_string(Utf8Audit::bad_strings()) +
                  " string(s) of the record are not UTF-8 (stored by a version that did not "
                  "check): readers in Python and JSON cannot show them; rewrite the record");
  return true;
}

void RunRecordChecks(CheckContext& c) {
  CheckMeta(c);
  CheckEvents(c);
  CheckCatalog(c);
  CheckCustomers(c);
  CheckOrders(c);
  CheckInventory(c);
  CheckCarts(c);
  CheckWebhooks(c);
  CheckPayments(c);
  CheckReturns(c);
  CheckPriceLists(c);
  CheckChannels(c);
  CheckPromotions(c);
  CheckSearchAnalytics(c);
}

}  // namespace commerce::verify
