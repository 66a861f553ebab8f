#include "gateway.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <random>

#include "keys_file.h"

namespace commerce::server {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<std::shared_ptr<const Gateway::KeySet>> Gateway::Read(const KeySet* previous) const {
  COMMERCE_ASSIGN_OR_RETURN(auto entries, ReadKeysFile(path_));
  if (channel_check_)
    for (const auto& e : entries)
      if (!e.channel.empty())
        if (Status s = channel_check_(e.channel); !s.ok())
          return s.WithContext("keys file " + path_ + ": key \"" + e.name + "\": channel '" +
                               e.channel + "'");
  auto set = std::make_shared<KeySet>();
  for (auto& e : entries) {
    std::shared_ptr<ApiKey> kept;
    if (previous)
      for (const auto& old : *previous)
        if (old->name == e.name && old->secret == e.secret && old->rate == e.rate &&
            old->burst == e.burst && old->scope == e.scope && old->channel == e.channel)
          kept = old;
    if (kept) {
      set->push_back(std::move(kept));
      continue;
    }
    auto k = std::make_shared<ApiKey>();
    k->name = std::move(e.name);
    k->secret = std::move(e.secret);
    k->scope = e.scope;
    k->rate = e.rate;
    k->burst = e.burst;
    k->channel = std::move(e.channel);
    k->tokens = k->burst;
    set->push_back(std::move(k));
  }
  return std::shared_ptr<const KeySet>(std::move(set));
}

Status Gateway::Load(const std::string& path) {
  if (path.empty()) return Status::OK();
  path_ = path;
  COMMERCE_ASSIGN_OR_RETURN(auto set, Read(nullptr));
  keys_.store(std::move(set));
  enabled_ = true;
  return Status::OK();
}

Status Gateway::CheckChannels(ChannelCheck check) {
  channel_check_ = std::move(check);
  if (!enabled_) return Status::OK();
  for (const auto& k : *keys_.load())
    if (!k->channel.empty())
      if (Status s = channel_check_(k->channel); !s.ok())
        return s.WithContext("keys file " + path_ + ": key \"" + k->name + "\": channel '" +
                             k->channel + "'");
  return Status::OK();
}

Status Gateway::Reload() {
  if (!enabled_) return Status::FailedPrecondition("no keys file: authentication is off");
  auto current = keys_.load();
  COMMERCE_ASSIGN_OR_RETURN(auto set, Read(current.get()));
  keys_.store(std::move(set));
  return Status::OK();
}

std::shared_ptr<ApiKey> Gateway::Authenticate(std::string_view presented) const {
  auto set = keys_.load();
  std::shared_ptr<ApiKey> found;
  for (const auto& k : *set) {
    const std::string& s = k->secret;
    size_t n = std::max(s.size(), presented.size());
    // Differences accumulate over every byte; lengths are compared the same way.
    unsigned diff = static_cast<unsigned>(s.size() ^ presented.size());
    for (size_t i = 0; i < n; ++i) {
      unsigned char a = i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
      unsigned char b = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
      diff |= static_cast<unsigned>(a ^ b);
    }
    // Select without branching on secret data; the loop visits every key regardless.
    volatile unsigned match = (diff == 0);
    if (match) found = k;
  }
  return found;
}

bool Gateway::TakeToken(ApiKey* key, int64_t now_ns, int* retry_after_s) const {
  if (key->rate <= 0) return true;
  std::lock_guard<std::mutex> lock(key->mu);
  if (key->last_ns != 0) {
    double elapsed = static_cast<double>(now_ns - key->last_ns) / 1e9;
    key->tokens = std::min(key->burst, key->tokens + elapsed * key->rate);
  }
  key->last_ns = now_ns;
  if (key->tokens >= 1) {
    key->tokens -= 1;
    return true;
  }
  *retry_after_s = std::max(1, static_cast<int>(std::ceil((1 - key->tokens) / key->rate)));
  return false;
}

bool AuthThrottle::Allowed(const std::string& addr, int64_t now_ns, int* retry_after_s) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_addr_.find(addr);
  if (it == by_addr_.end() || it->second.blocked_until_ns <= now_ns) return true;
  *retry_after_s = std::max<int>(1, static_cast<int>((it->second.blocked_until_ns - now_ns + 999'999'999) / 1'000'000'000));
  return false;
}

void AuthThrottle::Failed(const std::string& addr, int64_t now_ns) {
  constexpr int64_t kS = 1'000'000'000;
  std::lock_guard<std::mutex> lock(mu_);
  if (by_addr_.size() >= kMaxAddresses && by_addr_.find(addr) == by_addr_.end()) {
    for (auto it = by_addr_.begin(); it != by_addr_.end();) {
      const Entry& e = it->second;
      if (e.blocked_until_ns <= now_ns && now_ns - e.window_start_ns > kWindowS * kS) it = by_addr_.erase(it);
      else ++it;
    }
    if (by_addr_.size() >= kMaxAddresses) by_addr_.clear();
  }
  Entry& e = by_addr_[addr];
  if (e.failures == 0 || now_ns - e.window_start_ns > kWindowS * kS) {
    e.failures = 0;
    e.window_start_ns = now_ns;
  }
  if (++e.failures >= kFailures) {
    e.blocked_until_ns = now_ns + kBlockS * kS;
    e.failures = 0;
  }
}

bool IsKeyParam(std::string_view name) {
  for (std::string_view k : {"key", "api_key", "apikey", "api-key", "access_token", "token",
                             "authorization", "bearer", "secret"})
    if (name.size() == k.size() &&
        std::equal(name.begin(), name.end(), k.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
      return true;
  return false;
}

std::string_view PresentedKey(const Request& r) {
  if (const auto* a = r.header("authorization")) {
    std::string_view v(*a);
    if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer "))
      return v.substr(7);
    return {};
  }
  if (const auto* k = r.header("x-api-key")) return *k;
  return {};
}

AccessLog::~AccessLog() {
  Flush();
  if (own_ && f_) std::fclose(f_);
}

Status AccessLog::Open(const std::string& where) {
  if (where == "off" || where.empty()) return Status::OK();
  if (where == "-") {
    f_ = stdout;
    return Status::OK();
  }
  f_ = std::fopen(where.c_str(), "a");
  if (!f_) return Status::InvalidArgument("access log " + where + ": cannot open for append");
  own_ = true;
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 16);
  return Status::OK();
}

void AccessLog::Write(const std::string& line) {
  if (!f_) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), f_);
  std::fputc('\n', f_);
}

void AccessLog::Flush() {
  if (!f_) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::fflush(f_);
}

namespace {
std::string ProcessPrefix() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "r%08x", static_cast<unsigned>(rd()));
  return buf;
}
}  // namespace

std::string NewRequestId(int loop, uint64_t counter) {
  static const std::string prefix = ProcessPrefix();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%d-%06llu", prefix.c_str(), loop,
                static_cast<unsigned long long>(counter));
  return buf;
}

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

}  // namespace commerce::server
