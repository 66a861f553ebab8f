// Background consumers of the event log: the engine's "background workers" (DESIGN.md).
//
// Each consumer has a durable cursor in the event log (Events::cursor). One thread per
// engine feeds every consumer the events after its cursor in batches, advances the cursor
// once a batch is handled, and calls each consumer's tick() about every tick interval for
// time-based work (cart expiry). Processing is at-least-once: a crash between handling a
// batch and saving the cursor hands the batch over again, so handlers must be idempotent.
//
// On a store that several processes share (a kRemote driver) the consumers run in one process
// at a time, under a Lease (lease.h): UseLease() before Start(). Then a round does nothing
// unless this process holds the lease, and a cursor moves only in a write that checks it.
//
// Thread safety: consumers run on the background thread only; Add() and UseLease() before
// Start().
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "commerce/events.h"
#include "engine/lease.h"

namespace commerce {

class EngineCore;

class BackgroundConsumer {
 public:
  virtual ~BackgroundConsumer() = default;
  // The cursor's name in the event log: 1..64 of [a-z0-9_.-].
  virtual std::string name() const = 0;
  // Handles events in order. An error stops this batch; it is retried on the next round.
  virtual Status handle(const std::vector<Event>& batch) = 0;
  // Time-based work, called about every tick interval.
  virtual Status tick(int64_t /*now_ms*/) { return Status::OK(); }
};

class Background {
 public:
  Background(EngineCore* core, Events* events, std::chrono::milliseconds tick);
  ~Background();  // Stop()s

  void Add(std::unique_ptr<BackgroundConsumer> c);
  void UseLease(std::unique_ptr<Lease> lease);
  // Trims the event log by `policy` every policy.interval, after the consumers' round (and
  // under the same lease): Events::trim, in batches.
  void UseRetention(const EventRetention& policy);
  // The names of the consumers Add()ed (their cursors hold the log's horizon).
  std::vector<std::string> ConsumerNames() const;
  void Start();
  // Finishes the round in progress and joins the thread.
  void Stop();
  // Runs one round on the caller's thread (tests; Stop()ped or not Start()ed engines only).
  Status RunOnce();

  // The last error a consumer reported, for operators ("" when none).
  std::string last_error() const;

 private:
  void Loop();
  Status Feed(BackgroundConsumer& c);

  EngineCore* core_;
  Events* events_;
  std::chrono::milliseconds tick_;
  std::vector<std::unique_ptr<BackgroundConsumer>> consumers_;
  std::unique_ptr<Lease> lease_;  // null: the store is this process's alone
  EventRetention retention_;  // max_age and max_count 0: no trimming
  std::chrono::steady_clock::time_point next_trim_{};
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex error_mu_;
  std::string last_error_;  // GUARDED_BY(error_mu_)
};

}  // namespace commerce
