// commerce-server: the HTTP/JSON reference server over the engine, as a small library that
// both `commerce-server` and `commerce serve` link (docs/server.md).
//
//   ServerOptions o;
//   ApplyConfigFromArgs(argc, argv, &o);    // --config FILE, overridden by the flags below
//   AddServerOptions(app, &o);               // --data --listen --threads --keys ...
//   ... parse ...
//   return RunServer(o);                     // until SIGTERM / SIGINT
//
// Threading: RunServer opens the engine, binds the port once (no other process can bind it
// too), then runs one libuv loop per thread, all accepting on that socket. Point reads (a
// product by id, a cart) run on the loop; writes, searches, listings and scans run on libuv's
// thread pool (uv_queue_work); waits for the event log or the search index park on the loop
// without a thread (waiter.h), so neither a loop nor the pool stalls on them. SIGTERM stops
// accepting, answers in-flight and waiting requests (up to drain_timeout_ms), then closes the
// store cleanly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "commerce/status.h"

namespace CLI {
class App;
}

namespace commerce::server {

struct ServerOptions {
  std::string data = "./commerce-data";  // store directory
  std::string driver = "lmdb";
  // driver postgres: the store's schema; the server comes from COMMERCE_PG_URL (never a flag:
  // a password on a command line is visible to every user through ps).
  std::string pg_schema = "commerce";
  // Driver postgres: attempts of a group meeting serialization failures or a lost connection
  // (StorageTuning::postgres_max_attempts), and the consumers' lease (EngineOptions).
  int pg_max_attempts = 10;
  // Driver postgres: groups made only of change sets run beside other processes' groups under
  // a lock per record (StorageTuning::postgres_key_locks); off, every group takes the store's
  // exclusive lock, as on an engine without advisory locks.
  bool pg_key_locks = true;
  // Driver postgres: groups of change sets one instance has in flight at once, a writer
  // connection each (StorageTuning::postgres_writers, 1..64).
  int pg_writers = 1;
  int consumer_lease_ttl_ms = 10'000;
  std::string listen = "127.0.0.1:8080";  // host:port (IPv4 or [IPv6]:port)
  int threads = 0;                        // event loops; 0: one per hardware thread
  int pool_threads = 64;                  // libuv pool for engine calls (UV_THREADPOOL_SIZE)
  // API keys with scopes (docs/server.md). Empty: no authentication at all — every request
  // is admin; for a laptop only, and the server says so on startup.
  std::string keys;
  // JSON Lines access log: a file, "-" for stdout, "off" for none.
  std::string access_log = "-";
  size_t max_header_bytes = 16 * 1024;      // request line + headers (431 beyond)
  size_t max_body_bytes = 1 << 20;          // 413 beyond
  size_t max_import_bytes = 256u << 20;     // the body of POST /v1/products/import
  int request_timeout_ms = 10000;   // the whole request must arrive within this (408)
  int idle_timeout_ms = 60000;      // a keep-alive connection with nothing in flight
  size_t max_connections = 10000;   // per process; more are accepted and closed at once
  int drain_timeout_ms = 10000;     // SIGTERM: the longest in-flight requests get
  // Requests that may wait at once without a thread — long-polls, searches with
  // min_index_seq — over every loop; more are 429 with Retry-After. A waiting request costs a
  // connection and a few hundred bytes, never a thread. (--max-long-polls is the old name.)
  int max_waits = 4096;
  // Server-Sent Events streams of the event log (GET /v1/events/stream, docs/server.md
  // "A live event stream"). Each holds one of max_waits' slots while it is open.
  // A comment line this often when no event went out, so that proxies and load balancers
  // with an idle timeout keep the connection (nginx's proxy_read_timeout is 60 s).
  int stream_heartbeat_ms = 15000;
  // A stream ends cleanly (its client resumes with Last-Event-ID) after this long, so that a
  // stream does not outlive a key that was revoked or pin an instance a balancer drains.
  int stream_max_ms = 3'600'000;
  // Bytes written to a stream and not yet taken by its client (libuv's write queue and what
  // the kernel holds unacknowledged): no more events are read from the log past this; a client
  // that leaves it there for stream_stall_ms is dropped, so a client that does not read costs
  // at most this much memory.
  size_t stream_buffer_bytes = 1u << 20;
  int stream_stall_ms = 10000;
  // Networks (CIDR) webhook deliveries may reach although not public: loopback, private,
  // link-local... are refused otherwise (WebhookOptions::allowed_networks, docs/security.md).
  std::vector<std::string> webhook_allow_networks;
  // Payments (docs/payments.md) with the built-in TestPaymentProvider, its ledger in this
  // directory; "" : payments off. For demos and tests: a real provider is a C++ class given
  // to EngineOptions by a program that embeds the engine.
  std::string payment_test_provider_dir;
  // The HMAC key of provider webhooks (POST /v1/payments/webhooks/{provider}); "" refuses them.
  std::string payment_webhook_secret;
  // A payment_pending order older than this is cancelled and its payment voided.
  int64_t payment_abandon_after_ms = 30 * 60 * 1000;
  std::string config;               // the config file these were read from, if any
  // Search over remote shards (docs/search.md): one entry per shard, in shard order, each
  // "host:port[,host:port...]" (the shard's server and its replicas). Empty: the local index.
  std::vector<std::string> search_shards;
  int search_remote_timeout_ms = 2000;  // deadline of each remote shard call
  // Shards of this instance's own index (SearchOptions::shards), fixed when it is created;
  // 0: one per hardware thread, at most 4. Shard servers serve them one each.
  int search_index_shards = 0;
  // Share of searches that search analytics records (SearchOptions::analytics_sample_rate).
  double search_analytics_sample_rate = 1.0;
  // This instance's index is served by shard servers: record the indexed sequence in every
  // shard on every batch (SearchOptions::serve_remote).
  bool search_serve_remote = false;
  // Whether this instance indexes the event log at all (off: it only queries remote shards).
  bool search_indexer = true;
  // The shared cache of product reads and search results (SharedCacheOptions):
  // "redis://HOST:PORT", empty: none; its key prefix (instances of one store share it; stores
  // sharing one Redis differ); how long a search result page lives in Redis (0: searches do
  // not use Redis).
  std::string redis;
  std::string redis_prefix = "commerce:";
  int64_t redis_search_ttl_ms = 60000;
  // The event log published to NATS JetStream (EventPublisherOptions): "nats://HOST:PORT",
  // empty: none; the stream and the subjects' prefix. Every instance of a store may pass it:
  // one publishes at a time (the lease).
  std::string nats;
  std::string nats_stream = "COMMERCE";
  std::string nats_subject = "commerce.events";
  // Load shedding: engine calls handed to the pool and not finished, over every loop; past
  // this bound a request that needs the pool is answered 503 with Retry-After at once instead
  // of queueing behind the others (latency would collapse for all). 0: no bound.
  int max_queued = 0;
};

// Reads `key = value` lines (the long option names without "--"; '#' comments) into *o.
Status LoadConfigFile(const std::string& path, ServerOptions* o);
// Finds --config FILE (or --config=FILE) in argv and loads it, so that the flags parsed
// afterwards override the file. Prints the error and returns false when the file is bad.
bool ApplyConfigFromArgs(int argc, char** argv, ServerOptions* o);
// Registers the flags of ServerOptions on `app` (a CLI11 app or subcommand).
void AddServerOptions(CLI::App* app, ServerOptions* o);

// Runs the server until SIGTERM or SIGINT (SIGHUP reloads the keys file); returns the process
// exit code: 0 after a clean stop, 1 when the store or the port cannot be opened, 2 for bad
// options (a keys file that does not parse; no keys file on a non-loopback address).
int RunServer(const ServerOptions& o);

}  // namespace commerce::server
