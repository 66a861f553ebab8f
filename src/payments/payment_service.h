// Everything behind commerce::Payments in one engine: the payment worker with its thread, the
// refunds and the provider's webhooks. Engine owns one; Payments (payments.h) is its face.
//
// A worker round:
//   1. the outbox (payment_store.h), a page at a time from where the last round stopped:
//      for each payment, its first entry, when due. An
//      authorization of an order that is no longer payment_pending (cancelled meanwhile) is
//      not asked: the void queued behind it goes to the provider instead. Otherwise the
//      provider is called -- outside any transaction -- and its answer recorded in one
//      mutation that re-reads the entry (answered already, by a webhook or another process:
//      nothing more) and removes it, or for kUnknown keeps it with attempts + 1 and a
//      backed-off next attempt, so that it is asked again with the same key;
//   2. abandonment: orders payment_pending for longer than abandon_after, oldest first, are
//      cancelled (their stock released, their payment's void queued).
// A crash anywhere repeats at most the provider call of the entry in hand, with its key.
//
// On a store that several processes share the rounds run under a Lease (one process at a
// time), and each recording checks it.
//
// Thread safety: the API methods are safe from any number of threads. Rounds run on the
// worker's thread (Start) or, when it is not running, in RunOnce on the caller's thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "commerce/payments.h"
#include "engine/lease.h"
#include "payments/payment_store.h"

namespace commerce {

class EngineCore;

class PaymentService {
 public:
  PaymentService(EngineCore* core, PaymentOptions options);
  ~PaymentService();  // Stop()s

  // InvalidArgument naming the option at fault.
  static Status CheckOptions(const PaymentOptions& o);

  bool enabled() const { return options_.provider != nullptr; }
  void UseLease(std::unique_ptr<Lease> lease) { lease_ = std::move(lease); }
  void Start();
  void Stop();
  // One round on the caller's thread; a no-op while the worker's thread runs or when
  // payments are off.
  Status RunOnce();

  Result<Payment> Get(std::string_view order_id);
  Result<Payment> Refund(std::string_view order_id, std::string_view refund_id, int64_t amount_minor);
  Status HandleWebhook(std::string_view provider, std::string_view signature, std::string_view body,
                       bool* duplicate);

  std::string last_error() const;

 private:
  struct Due {
    std::string order_id;
    std::string key;  // the outbox key
    PaymentOperationEntry entry;
  };

  void Loop();
  Status Round();
  // Asks the provider (or not) and records the answer; *answered: the entry is done with.
  Status Process(const Due& due, bool* answered);
  // Records `outcome` for the entry under `key`, as read (`seen`): nothing when the entry is
  // gone or was answered since (its attempts moved on). `check_lease`: the worker's writes.
  // A null outcome: the entry was not asked of the provider (an authorization of an order
  // cancelled meanwhile) and only goes.
  Status Record(const std::string& order_id, const std::string& key, const PaymentOperationEntry& seen,
                const PaymentOutcome* outcome, bool check_lease);
  Status RecordInTxn(WriteTxn& txn, const std::string& order_id, const std::string& key,
                     const PaymentOperationEntry& entry, const PaymentOutcome* outcome, int64_t now_ms);
  Status Abandon(int64_t now_ms);
  int64_t BackoffMs(uint32_t attempts) const;
  void NoteError(const Status& s);

  EngineCore* core_;
  const PaymentOptions options_;
  std::unique_ptr<Lease> lease_;  // null: the store is this process's alone
  std::mutex round_mu_;           // one round at a time: the thread's or RunOnce's
  std::string resume_;            // GUARDED_BY(round_mu_): where the next outbox page starts
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex error_mu_;
  std::string last_error_;  // GUARDED_BY(error_mu_)
};

}  // namespace commerce
