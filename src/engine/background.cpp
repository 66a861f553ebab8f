#include "engine/background.h"

#include <pthread.h>

#include <algorithm>

#include "common/key.h"
#include "engine/engine_core.h"
#include "events/event_log.h"

namespace commerce {

namespace {
constexpr size_t kBatch = 1000;
// Under a stream of commits, wait at least this long between rounds, so that consumers take
// events in batches instead of running (and writing their cursors) once per commit.
constexpr auto kMinRoundInterval = std::chrono::milliseconds(50);
}

Background::Background(EngineCore* core, Events* events, std::chrono::milliseconds tick)
    : core_(core), events_(events), tick_(tick) {}

Background::~Background() { Stop(); }

void Background::Add(std::unique_ptr<BackgroundConsumer> c) { consumers_.push_back(std::move(c)); }

void Background::UseLease(std::unique_ptr<Lease> lease) { lease_ = std::move(lease); }

void Background::UseRetention(const EventRetention& policy) { retention_ = policy; }

std::vector<std::string> Background::ConsumerNames() const {
  std::vector<std::string> out;
  for (const auto& c : consumers_) out.push_back(c->name());
  return out;
}

void Background::Start() {
  if (consumers_.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "commerce-bg");  // for profiles, as the writer's
    Loop();
  });
}

void Background::Stop() {
  stop_.store(true);
  core_->notifier.Notify();  // wake the loop
  if (thread_.joinable()) thread_.join();
  // The rounds are over: the next process takes the consumer over at once, not after a ttl.
  if (lease_) (void)lease_->Release();
}

std::string Background::last_error() const {
  std::lock_guard<std::mutex> lock(error_mu_);
  return last_error_;
}

Status Background::Feed(BackgroundConsumer& c) {
  COMMERCE_ASSIGN_OR_RETURN(uint64_t cursor, events_->cursor(c.name()));
  for (;;) {
    COMMERCE_ASSIGN_OR_RETURN(auto batch, events_->tail(cursor + 1, kBatch));
    if (batch.empty()) return Status::OK();
    COMMERCE_RETURN_IF_ERROR(c.handle(batch).WithContext("consumer " + c.name()));
    cursor = batch.back().seq;
    // Not synced: it becomes durable with the next durable write. After a crash a consumer
    // may see a batch again, which handlers must tolerate (at-least-once).
    if (lease_) {
      COMMERCE_RETURN_IF_ERROR(core_->storage->write([&](WriteTxn& txn) -> Status {
        COMMERCE_RETURN_IF_ERROR(lease_->Check(txn));
        return txn.put(core_->tables.meta, ConsumerCursorKey(c.name()), KeyBuilder().u64(cursor).key());
      }, WriteOptions{.sync = false}));
    } else {
      COMMERCE_RETURN_IF_ERROR(events_->set_cursor(c.name(), cursor, WriteOptions{.sync = false}));
    }
    if (batch.size() < kBatch || stop_.load()) return Status::OK();
  }
}

Status Background::RunOnce() {
  if (lease_ && !lease_->Held()) return Status::OK();  // another process runs them
  Status first;
  const int64_t now = EngineCore::NowMs();
  for (auto& c : consumers_) {
    Status s = Feed(*c);
    if (s.ok()) s = c->tick(now).WithContext("consumer " + c->name());
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(error_mu_);
      last_error_ = s.ToString();
      if (first.ok()) first = s;
    }
  }
  const auto now_steady = std::chrono::steady_clock::now();
  if ((retention_.max_age.count() > 0 || retention_.max_count > 0) && now_steady >= next_trim_) {
    next_trim_ = now_steady + retention_.interval;
    auto trimmed = events_->trim(retention_);
    if (!trimmed.ok()) {
      Status s = trimmed.status().WithContext("event log retention");
      std::lock_guard<std::mutex> lock(error_mu_);
      last_error_ = s.ToString();
      if (first.ok()) first = s;
    }
  }
  return first;
}

void Background::Loop() {
  while (!stop_.load()) {
    uint64_t gen = core_->notifier.generation();
    const auto round_start = std::chrono::steady_clock::now();
    (void)RunOnce();  // errors are kept in last_error_ and retried next round
    if (stop_.load()) break;
    auto wait = lease_ ? std::min(tick_, lease_->look_interval()) : tick_;
    core_->notifier.WaitPast(gen, std::chrono::steady_clock::now() + wait);
    // Pace rounds; Stop() waits at most this long.
    auto next = round_start + kMinRoundInterval;
    while (!stop_.load() && std::chrono::steady_clock::now() < next)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace commerce
