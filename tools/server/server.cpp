// RunServer: options and the config file, opening the engine, one thread per loop, and the
// orderly shutdown on SIGTERM / SIGINT.
#include "server.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "http_server.h"
#include "routes.h"

namespace commerce::server {

namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  s = s.substr(b, e - b + 1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

template <typename T>
Status SetNumber(const std::string& key, const std::string& value, T* out) {
  try {
    size_t used = 0;
    long long v = std::stoll(value, &used);
    if (used != value.size() || v < 0) throw std::invalid_argument("");
    *out = static_cast<T>(v);
    return Status::OK();
  } catch (...) {
    return Status::InvalidArgument(key + ": expected a non-negative integer, got \"" + value + "\"");
  }
}

}  // namespace

Status LoadConfigFile(const std::string& path, ServerOptions* o) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("config file " + path + ": cannot open");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = Trim(line);
    // Comments only at the start of a line: a value (a path, a secret) may contain '#'.
    if (line.empty() || line[0] == '#' || line[0] == '[') continue;  // blank, comment, INI section
    auto eq = line.find('=');
    std::string where = "config file " + path + " line " + std::to_string(n);
    if (eq == std::string::npos) return Status::InvalidArgument(where + ": expected key = value");
    std::string k = Trim(line.substr(0, eq)), v = Trim(line.substr(eq + 1));
    for (auto& ch : k) if (ch == '_') ch = '-';
    Status s;
    if (k == "data") o->data = v;
    else if (k == "driver") o->driver = v;
    else if (k == "pg-schema") o->pg_schema = v;
    else if (k == "pg-max-attempts") s = SetNumber(k, v, &o->pg_max_attempts);
    else if (k == "pg-writers") s = SetNumber(k, v, &o->pg_writers);
    else if (k == "consumer-lease-ttl-ms") s = SetNumber(k, v, &o->consumer_lease_ttl_ms);
    else if (k == "listen") o->listen = v;
    else if (k == "keys") o->keys = v;
    else if (k == "access-log") o->access_log = v;
    else if (k == "threads") s = SetNumber(k, v, &o->threads);
    else if (k == "pool-threads") s = SetNumber(k, v, &o->pool_threads);
    else if (k == "max-header-bytes") s = SetNumber(k, v, &o->max_header_bytes);
    else if (k == "max-body-bytes") s = SetNumber(k, v, &o->max_body_bytes);
    else if (k == "max-import-bytes") s = SetNumber(k, v, &o->max_import_bytes);
    else if (k == "request-timeout-ms") s = SetNumber(k, v, &o->request_timeout_ms);
    else if (k == "idle-timeout-ms") s = SetNumber(k, v, &o->idle_timeout_ms);
    else if (k == "max-connections") s = SetNumber(k, v, &o->max_connections);
    else if (k == "drain-timeout-ms") s = SetNumber(k, v, &o->drain_timeout_ms);
    else if (k == "max-waits" || k == "max-long-polls") s = SetNumber(k, v, &o->max_waits);
    else if (k == "stream-heartbeat-ms") s = SetNumber(k, v, &o->stream_heartbeat_ms);
    else if (k == "stream-max-ms") s = SetNumber(k, v, &o->stream_max_ms);
    else if (k == "stream-buffer-bytes") s = SetNumber(k, v, &o->stream_buffer_bytes);
    else if (k == "stream-stall-ms") s = SetNumber(k, v, &o->stream_stall_ms);
    else if (k == "webhook-allow-network") o->webhook_allow_networks.push_back(v);  // one per line
    else if (k == "payment-test-provider-dir") o->payment_test_provider_dir = v;
    else if (k == "payment-webhook-secret") o->payment_webhook_secret = v;
    else if (k == "payment-abandon-after-ms") s = SetNumber(k, v, &o->payment_abandon_after_ms);
    else if (k == "search-shard") o->search_shards.push_back(v);  // one line per shard
    else if (k == "search-remote-timeout-ms") s = SetNumber(k, v, &o->search_remote_timeout_ms);
    else if (k == "search-shards") s = SetNumber(k, v, &o->search_index_shards);
    else if (k == "search-analytics-sample-rate") {
      try {
        size_t used = 0;
        o->search_analytics_sample_rate = std::stod(v, &used);
        if (used != v.size()) throw std::invalid_argument("");
      } catch (...) {
        s = Status::InvalidArgument(k + ": expected a number 0..1, got \"" + v + "\"");
      }
    }
    else if (k == "redis") o->redis = v;
    else if (k == "redis-prefix") o->redis_prefix = v;
    else if (k == "redis-search-ttl-ms") s = SetNumber(k, v, &o->redis_search_ttl_ms);
    else if (k == "nats") o->nats = v;
    else if (k == "nats-stream") o->nats_stream = v;
    else if (k == "nats-subject") o->nats_subject = v;
    else if (k == "max-queued") s = SetNumber(k, v, &o->max_queued);
    else if (k == "search-serve-remote" || k == "search-indexer" || k == "pg-key-locks") {
      bool* out = k == "search-indexer" ? &o->search_indexer
                  : k == "pg-key-locks" ? &o->pg_key_locks
                                        : &o->search_serve_remote;
      if (v == "true" || v == "1" || v == "on") *out = true;
      else if (v == "false" || v == "0" || v == "off") *out = false;
      else s = Status::InvalidArgument(k + ": expected true or false, not \"" + v + "\"");
    }
    else return Status::InvalidArgument(where + ": unknown setting \"" + k + "\"");
    if (!s.ok()) return s.WithContext(where);
  }
  o->config = path;
  return Status::OK();
}

bool ApplyConfigFromArgs(int argc, char** argv, ServerOptions* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string path;
    if (a == "--config" && i + 1 < argc) path = argv[i + 1];
    else if (a.rfind("--config=", 0) == 0) path = a.substr(9);
    else continue;
    Status s = LoadConfigFile(path, o);
    if (!s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
      return false;
    }
  }
  return true;
}

void AddServerOptions(CLI::App* app, ServerOptions* o) {
  app->add_option("--config", o->config, "config file: `key = value` lines with these option names")
      ->check(CLI::ExistingFile);
  app->add_option("--data", o->data, "store directory (created if absent)")->capture_default_str();
  app->add_option("--driver", o->driver, "storage driver (postgres: the server from COMMERCE_PG_URL)")
      ->check(CLI::IsMember({"lmdb", "sqlite", "postgres"}))->capture_default_str();
  app->add_option("--pg-schema", o->pg_schema, "PostgreSQL schema of the store (driver postgres)")
      ->capture_default_str();
  app->add_option("--pg-max-attempts", o->pg_max_attempts,
                  "driver postgres: attempts of a write group meeting serialization failures or a "
                  "lost connection before its callers get 503")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  app->add_option("--pg-writers", o->pg_writers,
                  "driver postgres: write groups of orders, cart edits and stock changes each "
                  "instance has in flight at once, a connection each")
      ->check(CLI::Range(1, 64))->capture_default_str();
  app->add_flag("--pg-key-locks,!--no-pg-key-locks", o->pg_key_locks,
                "driver postgres: groups of change sets (orders, cart edits, stock) run beside "
                "other instances' under a lock per record (off: every group takes the store's "
                "exclusive lock)")
      ->capture_default_str();
  app->add_option("--consumer-lease-ttl-ms", o->consumer_lease_ttl_ms,
                  "driver postgres: the lease of cart expiry and webhook delivery; another instance "
                  "takes them over this long after their holder dies")
      ->check(CLI::Range(200, 3'600'000))->capture_default_str();
  app->add_option("--listen", o->listen, "host:port to listen on")->capture_default_str();
  app->add_option("--threads", o->threads, "event loops (0: one per hardware thread)")
      ->check(CLI::Range(0, 256))->capture_default_str();
  app->add_option("--pool-threads", o->pool_threads, "threads for engine calls that may wait")
      ->check(CLI::Range(1, 1024))->capture_default_str();
  app->add_option("--keys", o->keys, "API keys file: `name scope secret [rate [burst]]` lines");
  app->add_option("--access-log", o->access_log, "JSON Lines access log: a file, - or off")
      ->capture_default_str();
  app->add_option("--max-header-bytes", o->max_header_bytes, "request line + headers limit")
      ->capture_default_str();
  app->add_option("--max-body-bytes", o->max_body_bytes, "request body limit")->capture_default_str();
  app->add_option("--max-import-bytes", o->max_import_bytes, "body limit of POST /v1/products/import")
      ->capture_default_str();
  app->add_option("--request-timeout-ms", o->request_timeout_ms, "a request must arrive within this")
      ->capture_default_str();
  app->add_option("--idle-timeout-ms", o->idle_timeout_ms, "idle keep-alive connections are closed after this")
      ->capture_default_str();
  app->add_option("--max-connections", o->max_connections, "open connections at most")
      ->capture_default_str();
  app->add_option("--drain-timeout-ms", o->drain_timeout_ms, "on SIGTERM, how long in-flight requests get")
      ->capture_default_str();
  app->add_option("--search-shard", o->search_shards,
                  "search a remote shard: host:port of its commerce-shard-server, replicas after commas "
                  "(host:port,host:port); once per shard, in shard order")
      ->take_all();
  app->add_option("--search-shards", o->search_index_shards,
                  "shards of this instance's own index, fixed when it is created (0: one per "
                  "hardware thread, at most 4)")
      ->check(CLI::Range(0, 16))->capture_default_str();
  app->add_option("--search-analytics-sample-rate", o->search_analytics_sample_rate,
                  "share of searches recorded by search analytics, in this process's memory (0: off)")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app->add_option("--search-remote-timeout-ms", o->search_remote_timeout_ms,
                  "deadline of a search over the remote shards (504 past it), and of each call to a shard server")
      ->check(CLI::Range(1, 600000))->capture_default_str();
  app->add_flag("--search-serve-remote", o->search_serve_remote,
                "this instance's index is served by commerce-shard-server: record the indexed "
                "sequence in every shard on every batch");
  app->add_flag("--search-indexer,!--no-search-indexer", o->search_indexer,
                "index the event log (off: an instance that only queries remote shards)")
      ->capture_default_str();
  app->add_option("--redis", o->redis,
                  "shared cache of product reads and search results on Redis: redis://HOST:PORT "
                  "(docs/scaling.md); when Redis fails, reads go to the store and searches to the index");
  app->add_option("--redis-prefix", o->redis_prefix,
                  "key prefix in Redis: the same for every instance of a store")
      ->capture_default_str();
  app->add_option("--redis-search-ttl-ms", o->redis_search_ttl_ms,
                  "how long a search result page lives in Redis (a page is keyed by the index "
                  "sequence it was answered from: a catalog change makes it unreachable); 0: "
                  "searches do not use Redis")
      ->check(CLI::Range(int64_t{0}, int64_t{86400000}))->capture_default_str();
  app->add_option("--nats", o->nats,
                  "publish the event log to NATS JetStream: nats://HOST:PORT[,...] (docs/events.md); "
                  "one instance of a store publishes at a time, and when NATS fails the store "
                  "goes on and the publisher catches up later");
  app->add_option("--nats-stream", o->nats_stream, "the JetStream stream (created when absent)")
      ->capture_default_str();
  app->add_option("--nats-subject", o->nats_subject,
                  "subjects are SUBJECT.<event type>")
      ->capture_default_str();
  app->add_option("--max-queued", o->max_queued,
                  "engine calls queued or running at once, over every loop; more are shed with 503 "
                  "and Retry-After (0: no bound)")
      ->check(CLI::Range(0, 1'000'000))->capture_default_str();
  app->add_option("--max-waits,--max-long-polls", o->max_waits,
                  "requests waiting at once for the event log or the search index (more: 429)")
      ->check(CLI::Range(0, 1'000'000))->capture_default_str();
  app->add_option("--stream-heartbeat-ms", o->stream_heartbeat_ms,
                  "event streams (GET /v1/events/stream): a heartbeat comment after this long "
                  "without an event, so that proxies keep the connection")
      ->check(CLI::Range(100, 300'000))->capture_default_str();
  app->add_option("--stream-max-ms", o->stream_max_ms,
                  "event streams end cleanly after this long (the client resumes with Last-Event-ID)")
      ->check(CLI::Range(1000, 86'400'000))->capture_default_str();
  app->add_option("--stream-buffer-bytes", o->stream_buffer_bytes,
                  "event streams: bytes a client may leave unread before the stream stops reading "
                  "the log for it")
      ->check(CLI::Range(4096, 1 << 30))->capture_default_str();
  app->add_option("--stream-stall-ms", o->stream_stall_ms,
                  "event streams: a client that leaves --stream-buffer-bytes unread this long is dropped")
      ->check(CLI::Range(100, 3'600'000))->capture_default_str();
  app->add_option("--webhook-allow-network", o->webhook_allow_networks,
                  "a network (CIDR, like 10.0.0.0/8) webhooks may be delivered to although it is not "
                  "public; repeatable (default: loopback, private, link-local... refused)");
  app->add_option("--payment-test-provider-dir", o->payment_test_provider_dir,
                  "payments with the built-in test provider, its ledger in this directory "
                  "(docs/payments.md; for demos and tests)");
  app->add_option("--payment-webhook-secret", o->payment_webhook_secret,
                  "the HMAC key (16..256 bytes) of provider webhooks, POST /v1/payments/webhooks/{provider}");
  app->add_option("--payment-abandon-after-ms", o->payment_abandon_after_ms,
                  "a payment_pending order older than this is cancelled and its payment voided")
      ->check(CLI::Range(int64_t{100}, int64_t{30} * 24 * 3'600'000))->capture_default_str();
}

int RunServer(const ServerOptions& opts) {
  // Before anything touches libuv's pool: it reads the size once, at first use.
  std::string pool = std::to_string(opts.pool_threads);
  setenv("UV_THREADPOOL_SIZE", pool.c_str(), 0);
  signal(SIGPIPE, SIG_IGN);
  // SIGTERM and SIGINT (stop) and SIGHUP (reload the keys file) are taken by sigwait on this
  // thread; every thread started from here inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto state = std::make_unique<ServerState>();
  state->options = opts;
  int threads = opts.threads > 0 ? opts.threads
                                 : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Status s = state->gateway.Load(opts.keys);
  if (s.ok()) s = state->access_log.Open(opts.access_log);
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 2;
  }
  if (!state->gateway.enabled()) {
    // Without keys every request is admin: acceptable on one's own machine, never on a network.
    auto loopback = ListenIsLoopback(opts.listen);
    if (!loopback.ok()) {
      std::fprintf(stderr, "error: %s\n", loopback.status().ToString().c_str());
      return 2;
    }
    if (!*loopback) {
      std::fprintf(stderr,
                   "error: no --keys file, and --listen %s is not a loopback address: without keys "
                   "every request would be admin. Create keys (commerce keys create --scope admin "
                   "--name ops --keys keys.txt) and pass --keys keys.txt, or listen on 127.0.0.1\n",
                   opts.listen.c_str());
      return 2;
    }
    std::fprintf(stderr, "commerce-server: WARNING: no --keys file: authentication is off and "
                         "every request is admin; allowed only because %s is a loopback address\n",
                 opts.listen.c_str());
  }
  state->metrics = std::make_unique<Metrics>(threads, RouteLabels());

  EngineOptions eo;
  eo.path = opts.data;
  eo.driver = opts.driver;
  eo.storage.postgres_schema = opts.pg_schema;
  eo.storage.postgres_max_attempts = opts.pg_max_attempts;
  eo.storage.postgres_key_locks = opts.pg_key_locks;
  eo.storage.postgres_writers = static_cast<size_t>(opts.pg_writers);
  eo.consumer_lease_ttl = std::chrono::milliseconds(opts.consumer_lease_ttl_ms);
  eo.webhooks.allowed_networks = opts.webhook_allow_networks;
  if (!opts.payment_test_provider_dir.empty()) {
    auto provider = TestPaymentProvider::open(opts.payment_test_provider_dir);
    if (!provider.ok()) {
      std::fprintf(stderr, "commerce-server: --payment-test-provider-dir: %s\n", provider.status().ToString().c_str());
      return 1;
    }
    eo.payments.provider = *provider;
  }
  eo.payments.webhook_secret = opts.payment_webhook_secret;
  eo.payments.abandon_after = std::chrono::milliseconds(opts.payment_abandon_after_ms);
  for (const auto& shard : opts.search_shards) {
    std::vector<std::string> servers;
    size_t start = 0;
    for (size_t comma; (comma = shard.find(',', start)) != std::string::npos; start = comma + 1)
      servers.push_back(shard.substr(start, comma - start));
    servers.push_back(shard.substr(start));
    eo.search.remote_shards.push_back(std::move(servers));
  }
  eo.search.remote_timeout = std::chrono::milliseconds(opts.search_remote_timeout_ms);
  eo.search.serve_remote = opts.search_serve_remote;
  eo.search.shards = static_cast<uint32_t>(opts.search_index_shards);
  eo.search.run_indexer = opts.search_indexer;
  eo.search.analytics_sample_rate = opts.search_analytics_sample_rate;
  auto engine = Engine::open(eo);
  if (!engine.ok()) {
    std::fprintf(stderr, "error: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  state->engine = engine->get();
  // A key limited to a channel the store does not have would be a storefront of nothing: refused
  // here, and at each SIGHUP (the keys then stay as they were).
  {
    Engine* e = engine->get();
    Status keys = state->gateway.CheckChannels([e](const std::string& channel) -> Status {
      auto c = e->channels().get(channel);
      return c.ok() ? Status::OK() : c.status();
    });
    if (!keys.ok()) {
      std::fprintf(stderr, "error: %s\n", keys.ToString().c_str());
      (void)(*engine)->close();
      return 2;
    }
  }
  state->import_jobs = std::make_unique<ImportJobs>(engine->get());
  if (!opts.redis.empty()) {
    SharedCacheOptions co;
    co.redis_url = opts.redis;
    co.key_prefix = opts.redis_prefix;
    co.search_ttl = std::chrono::milliseconds(opts.redis_search_ttl_ms);
    auto cache = SharedCache::open(**engine, co);
    if (!cache.ok()) {
      std::fprintf(stderr, "error: --redis: %s\n", cache.status().ToString().c_str());
      (void)(*engine)->close();
      return 2;
    }
    state->shared_cache = std::move(*cache);
  }
  if (!opts.nats.empty()) {
    EventPublisherOptions po;
    po.nats_url = opts.nats;
    po.stream = opts.nats_stream;
    po.subject = opts.nats_subject;
    po.lease_ttl = eo.consumer_lease_ttl;
    auto pub = EventPublisher::open(**engine, po);
    if (!pub.ok()) {
      std::fprintf(stderr, "error: --nats: %s\n", pub.status().ToString().c_str());
      state->shared_cache.reset();
      (void)(*engine)->close();
      return 2;
    }
    state->event_publisher = std::move(*pub);
  }

  auto fd = BindListenSocket(opts.listen);
  if (!fd.ok()) {
    std::fprintf(stderr, "error: %s\n", fd.status().ToString().c_str());
    (void)(*engine)->close();
    return 1;
  }
  std::vector<std::unique_ptr<Listener>> listeners;
  for (int i = 0; i < threads; ++i) {
    auto l = Listener::Create(state.get(), i, *fd);
    if (!l.ok()) {
      std::fprintf(stderr, "error: %s\n", l.status().ToString().c_str());
      listeners.clear();
      close(*fd);
      (void)(*engine)->close();
      return 1;
    }
    listeners.push_back(std::move(*l));
  }
  close(*fd);
  // One engine listener wakes every loop's waiter; it is removed before the loops go.
  const uint64_t listener_id = (*engine)->events().add_listener([&listeners] {
    for (auto& l : listeners) l->Wake();
  });
  std::vector<std::thread> loop_threads;
  for (auto& l : listeners)
    loop_threads.emplace_back([&l] {
      // For profiles (tools/bench/profile --suite http): the loops apart from libuv's pool,
      // which keeps the process's name.
      pthread_setname_np(pthread_self(), "commerce-loop");
      l->Run();
    });
  std::fprintf(stderr, "commerce-server: listening on http://%s (%d loops, %d pool threads), data %s (%s), %zu keys\n",
               opts.listen.c_str(), threads, opts.pool_threads, opts.data.c_str(), opts.driver.c_str(),
               state->gateway.size());

  int sig = 0;
  for (;;) {
    sigwait(&stop_signals, &sig);
    if (sig != SIGHUP) break;
    Status reloaded = state->gateway.Reload();
    if (reloaded.ok())
      std::fprintf(stderr, "commerce-server: SIGHUP: %zu keys from %s\n", state->gateway.size(),
                   opts.keys.c_str());
    else
      std::fprintf(stderr, "commerce-server: SIGHUP: keys unchanged: %s\n",
                   reloaded.ToString().c_str());
  }
  std::fprintf(stderr, "commerce-server: %s: draining (up to %d ms)\n",
               sig == SIGTERM ? "SIGTERM" : "SIGINT", opts.drain_timeout_ms);
  state->draining = true;
  for (auto& l : listeners) l->Stop();
  for (auto& t : loop_threads) t.join();
  (*engine)->events().remove_listener(listener_id);
  listeners.clear();
  state->access_log.Flush();
  state->shared_cache.reset();  // its invalidator reads the event log: before the store closes
  state->event_publisher.reset();  // so does the publisher
  state->import_jobs.reset();  // running jobs cancelled; what they imported is kept, durable
  Status closed = (*engine)->close();
  if (!closed.ok()) {
    std::fprintf(stderr, "error: closing the store: %s\n", closed.ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "commerce-server: store closed cleanly\n");
  return 0;
}

}  // namespace commerce::server
