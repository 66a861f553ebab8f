#include "engine/background.h"

#include "engine/engine_core.h"

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

void Background::Start() {
  if (consumers_.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void Background::Stop() {
  stop_.store(true);
  core_->notifier.Notify();  // wake the loop
  if (thread_.joinable()) thread_.join();
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
    COMMERCE_RETURN_IF_ERROR(events_->set_cursor(c.name(), cursor, WriteOptions{.sync = false}));
    if (batch.size() < kBatch || stop_.load()) return Status::OK();
  }
}

Status Background::RunOnce() {
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
  return first;
}

void Background::Loop() {
  while (!stop_.load()) {
    uint64_t gen = core_->notifier.generation();
    const auto round_start = std::chrono::steady_clock::now();
    (void)RunOnce();  // errors are kept in last_error_ and retried next round
    if (stop_.load()) break;
    core_->notifier.WaitPast(gen, std::chrono::steady_clock::now() + tick_);
    // Pace rounds; Stop() waits at most this long.
    auto next = round_start + kMinRoundInterval;
    while (!stop_.load() && std::chrono::steady_clock::now() < next)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace commerce
