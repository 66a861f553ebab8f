// TestPaymentProvider (payments.h): a provider whose ledger is a file, so that what it did
// outlives the process that asked it (the kill -9 tests count captures in it).
//
// The ledger: one line per recorded call, "<key>\t<op>\t<payment>\t<amount>\t<result>\t
// <reason>\t<reference>\n", appended and fsync'ed while holding flock(LOCK_EX) on the file,
// which is read whole under the same lock before each call: several processes may share one
// ledger, as several engines share one real provider. A torn last line (a process killed in
// the middle of its write) is ignored, as that call was never answered.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>

#include "commerce/payments.h"
#include "commerce/webhooks.h"
#include "events/event_json.h"

namespace commerce {

namespace {

std::string Field(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\t' || c == '\n') c = ' ';
  return out;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    size_t tab = line.find('\t', pos);
    out.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
    if (tab == std::string::npos) return out;
    pos = tab + 1;
  }
}

// Parses the ledger's whole lines; a torn last line (no '\n') is left out.
std::vector<TestPaymentProvider::Entry> Parse(const std::string& text) {
  std::vector<TestPaymentProvider::Entry> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;
    auto f = Split(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (f.size() != 7) continue;
    TestPaymentProvider::Entry e;
    e.idempotency_key = f[0];
    e.operation = static_cast<PaymentOperation>(std::atoi(f[1].c_str()) & 3);
    e.payment_id = f[2];
    e.amount_minor = std::atoll(f[3].c_str());
    e.result = static_cast<PaymentResult>(std::atoi(f[4].c_str()) == 1 ? 1 : 0);
    e.reason = f[5];
    e.reference = f[6];
    out.push_back(std::move(e));
  }
  return out;
}

Status ReadAll(int fd, std::string* out) {
  out->clear();
  if (::lseek(fd, 0, SEEK_SET) < 0) return Status::Internal(std::string("ledger: lseek: ") + std::strerror(errno));
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Internal(std::string("ledger: read: ") + std::strerror(errno));
    }
    if (n == 0) return Status::OK();
    out->append(buf, static_cast<size_t>(n));
  }
}

// What the provider decides for a new key, from what it recorded of the payment before.
PaymentOutcome Decide(const PaymentRequest& r, const std::vector<TestPaymentProvider::Entry>& ledger) {
  int64_t authorized = 0, captured = 0, refunded = 0;
  bool voided = false;
  for (const auto& e : ledger) {
    if (e.payment_id != r.payment_id || e.result != PaymentResult::kSucceeded) continue;
    switch (e.operation) {
      case PaymentOperation::kAuthorize: authorized = e.amount_minor; break;
      case PaymentOperation::kCapture: captured += e.amount_minor; break;
      case PaymentOperation::kVoid: voided = true; break;
      case PaymentOperation::kRefund: refunded += e.amount_minor; break;
    }
  }
  auto no = [](std::string why) { return PaymentOutcome{PaymentResult::kDeclined, std::move(why), ""}; };
  const int64_t a = r.amount.minor;
  switch (r.operation) {
    case PaymentOperation::kAuthorize:
      if (voided) return no("voided");
      if (a <= 0) return no("amount_invalid");
      break;
    case PaymentOperation::kCapture:
      if (voided) return no("voided");
      if (authorized == 0) return no("not_authorized");
      if (captured > 0) return no("already_captured");
      if (a > authorized) return no("amount_above_authorized");
      break;
    case PaymentOperation::kVoid:
      if (captured > 0) return no("already_captured");
      break;
    case PaymentOperation::kRefund:
      if (a <= 0 || refunded + a > captured) return no("amount_above_captured");
      break;
  }
  return {PaymentResult::kSucceeded, "", ""};
}

}  // namespace

Result<std::shared_ptr<TestPaymentProvider>> TestPaymentProvider::open(const std::string& dir, std::string name) {
  if (dir.empty()) return Status::InvalidArgument("dir: empty; expected a directory for the ledger");
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return Status::Internal("test payment provider: mkdir " + dir + ": " + std::strerror(errno));
  const std::string path = dir + "/ledger.tsv";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal("test payment provider: open " + path + ": " + std::strerror(errno));
  ::close(fd);
  return std::shared_ptr<TestPaymentProvider>(new TestPaymentProvider(path, std::move(name)));
}

PaymentOutcome TestPaymentProvider::authorize(const PaymentRequest& r) { return Call(r); }
PaymentOutcome TestPaymentProvider::capture(const PaymentRequest& r) { return Call(r); }
PaymentOutcome TestPaymentProvider::void_authorization(const PaymentRequest& r) { return Call(r); }
PaymentOutcome TestPaymentProvider::refund(const PaymentRequest& r) { return Call(r); }

void TestPaymentProvider::add_rule(const Rule& rule) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(rule);
}

void TestPaymentProvider::clear_rules() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

void TestPaymentProvider::set_webhook_secret(std::string secret) {
  std::lock_guard<std::mutex> lock(mu_);
  webhook_secret_ = std::move(secret);
}

std::vector<TestPaymentProvider::Webhook> TestPaymentProvider::take_webhooks() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(webhooks_, {});
}

void TestPaymentProvider::set_call_hook(std::function<void(const PaymentRequest&, bool)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}

uint64_t TestPaymentProvider::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

Result<std::vector<TestPaymentProvider::Entry>> TestPaymentProvider::ledger() const {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Internal("test payment provider: open " + path_ + ": " + std::strerror(errno));
  ::flock(fd, LOCK_SH);
  std::string text;
  Status s = ReadAll(fd, &text);
  ::close(fd);  // releases the lock
  COMMERCE_RETURN_IF_ERROR(s);
  return Parse(text);
}

PaymentOutcome TestPaymentProvider::Call(const PaymentRequest& r) {
  Answer answer = Answer::kSucceed;
  std::string rule_reason;
  std::function<void(const PaymentRequest&, bool)> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    hook = hook_;
    for (auto& rule : rules_) {
      if (rule.operation != r.operation || rule.times == 0) continue;
      if (rule.amount_minor >= 0 && rule.amount_minor != r.amount.minor) continue;
      if (rule.times > 0) --rule.times;
      answer = rule.answer;
      rule_reason = rule.reason;
      break;
    }
  }
  if (hook) hook(r, false);
  if (answer == Answer::kUnreachable) return {PaymentResult::kUnknown, "connection refused (test provider)", ""};

  int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return {PaymentResult::kUnknown, std::string("ledger: ") + std::strerror(errno), ""};
  ::flock(fd, LOCK_EX);
  std::string text;
  PaymentOutcome out;
  bool replay = false;
  if (Status s = ReadAll(fd, &text); !s.ok()) {
    ::close(fd);
    return {PaymentResult::kUnknown, s.ToString(), ""};
  }
  const auto entries = Parse(text);
  for (const auto& e : entries)
    if (e.idempotency_key == r.idempotency_key) {
      out = {e.result, e.reason, e.reference};  // a key seen before: its first answer, nothing more
      replay = true;
    }
  if (!replay) {
    out = answer == Answer::kDecline ? PaymentOutcome{PaymentResult::kDeclined, rule_reason, ""} : Decide(r, entries);
    if (out.result == PaymentResult::kSucceeded) out.reference = "tp-" + std::to_string(entries.size() + 1);
    std::ostringstream line;
    line << Field(r.idempotency_key) << '\t' << static_cast<int>(r.operation) << '\t' << Field(r.payment_id) << '\t'
         << r.amount.minor << '\t' << static_cast<int>(out.result) << '\t' << Field(out.reason) << '\t'
         << Field(out.reference) << '\n';
    const std::string bytes = line.str();
    // One write(2) in O_APPEND: whole or, if the process dies inside it, a torn tail that
    // Parse leaves out.
    if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) || ::fsync(fd) != 0) {
      ::close(fd);
      return {PaymentResult::kUnknown, std::string("ledger: write: ") + std::strerror(errno), ""};
    }
  }
  ::close(fd);
  if (hook) hook(r, true);
  if (answer == Answer::kTimeout) return {PaymentResult::kUnknown, "timed out (the test provider recorded the call)", ""};
  if (answer == Answer::kAnswerTwice) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!webhook_secret_.empty()) {
      std::string body = EventJson()
                             .str("id", "evt-" + r.idempotency_key)
                             .str("idempotency_key", r.idempotency_key)
                             .str("result", PaymentResultName(out.result))
                             .str("reason", out.reason)
                             .str("reference", out.reference)
                             .done();
      const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
      Webhook w{WebhookSignature(webhook_secret_, now_s, body), body};
      webhooks_.push_back(w);
      webhooks_.push_back(std::move(w));
    }
  }
  return out;
}

}  // namespace commerce
