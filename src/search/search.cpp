#include "commerce/search.h"

#include "search/search_service.h"

namespace commerce {

Result<SearchResult> Search::query(const SearchRequest& request) {
  return service_->Query(request);
}

Status Search::wait_for(uint64_t seq, std::chrono::milliseconds timeout) {
  if (timeout.count() < 0) return Status::InvalidArgument("wait_for: timeout must not be negative");
  return service_->WaitFor(seq, timeout);
}

Status Search::set_synonyms(const std::vector<std::vector<std::string>>& groups) {
  return service_->SetSynonyms(groups);
}

Result<std::vector<std::vector<std::string>>> Search::synonyms() { return service_->Synonyms(); }

Result<uint64_t> Search::set_synonym_groups(const std::vector<SynonymGroup>& groups,
                                            uint64_t expected_version) {
  return service_->SetSynonymGroups(groups, expected_version);
}

Result<SynonymSet> Search::synonym_groups() { return service_->SynonymGroups(); }

Result<uint64_t> Search::put_rule(const MerchandisingRule& rule, uint64_t expected_version) {
  return service_->PutRule(rule, expected_version);
}

Result<uint64_t> Search::delete_rule(const std::string& id, uint64_t expected_version) {
  return service_->DeleteRule(id, expected_version);
}

Result<RuleSet> Search::rules() { return service_->Rules(); }

Status Search::rebuild(uint32_t shards, std::function<void(const RebuildProgress&)> progress) {
  if (shards > 16) return Status::InvalidArgument("rebuild: shards must be 0..16");
  return service_->Rebuild(shards, progress);
}

Result<SearchStats> Search::stats() { return service_->Stats(); }

Status Search::record_use(const SearchUse& use) { return service_->RecordUse(use); }

Result<SearchAnalytics> Search::analytics(const AnalyticsRequest& request) {
  return service_->Analytics(request);
}

Result<SuggestResult> Search::suggest(const SuggestRequest& request) { return service_->Suggest(request); }

}  // namespace commerce
