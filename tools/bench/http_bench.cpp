// Suite `http`: the reference server (tools/server, build/bin/commerce-server) under wrk, on
// 127.0.0.1, with nginx serving the same product JSON as a static file in the same run as
// the HTTP ceiling of this machine (peer `nginx-static`).
//
// Cases, each at 64 connections (--threads overrides), wrk with 2 threads:
//   get-product  GET /v1/products/{id} (one product of the sample catalog, a store key);
//                peer nginx-static: GET /product.json, the very bytes the server answered
//   search       GET /v1/search?q=...&facets=brand,price (result cache on, as in production);
//                peer in-process: the same request through Search::query from as many threads
//                as connections, on the in-process peer's store (InProcessShop)
//   search-varied  (--target only) 1,200 distinct searches picked at random (VariedSearchScript)
//   place-order  POST /v1/orders, one line of a random stocked SKU, a unique Idempotency-Key
//                per request (a wrk Lua script), durable before the answer; peer in-process:
//                the same orders through Orders::place from as many threads as connections,
//                on a store of its own with the same shop (InProcessShop)
//   get-product-under-orders  get-product while a second wrk places orders over 16 more
//                connections for the whole window (orders_per_s, orders_p99_ms in the row);
//                peer reads-alone: the same GETs just before, without the orders
// The server runs with --threads 2 (one loop per core) and nginx with worker_processes 2;
// wrk shares the same 2 cores. Rows carry the server's memory after the case (rss_mb; its
// split rss_anon_mb / rss_file_mb; peak_rss_mb over the case alone) and wrk's error counts.
//
// Targets (issue 6): get-product >= 50% of nginx-static's requests/s; P99 < 5 ms at 64
// connections.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

#include "commerce/engine.h"
#include "commerce/sample.h"
#include "harness.h"
#include "proc_memory.h"

namespace commerce::bench {

namespace {

constexpr char kSuite[] = "http";
constexpr char kAdminKey[] = "bench-admin-key-0123456789";
constexpr char kStoreKey[] = "bench-store-key-0123456789";

// The search case: the request over HTTP, and the same request for the in-process peer.
constexpr char kSearchPath[] = "/v1/search?q=wireless%20headphones&facets=brand,price&limit=20";
SearchRequest SearchCaseRequest() {
  SearchRequest r;
  r.text = "wireless headphones";
  r.facets = {"brand", "price"};
  r.limit = 20;
  return r;
}

// The key Http() sends: the suite's own admin key, or COMMERCE_BENCH_KEY with --target.
std::string g_http_key = kAdminKey;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// One blocking HTTP/1.1 exchange with Connection: close; returns the status (0 when the
// server cannot be reached) and the body.
int Http(int port, const std::string& method, const std::string& path, const std::string& body,
         std::string* out, const std::string& extra_headers = "") {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return 0;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                    "Authorization: Bearer " + g_http_key + "\r\n" + extra_headers +
                    "Content-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  for (size_t sent = 0; sent < req.size();) {
    ssize_t n = send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[65536];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  size_t sp = resp.find(' ');
  size_t hdr_end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || hdr_end == std::string::npos) return 0;
  if (out) *out = resp.substr(hdr_end + 4);
  return std::atoi(resp.c_str() + sp + 1);
}

struct Child {
  pid_t pid = -1;
  void Stop() {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    pid = -1;
  }
  ~Child() { Stop(); }
};

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    if (f) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

bool WaitHealthy(int port, const std::string& path, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (Http(port, "GET", path, "", nullptr) == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string Exe(const std::string& name, const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    auto p = std::filesystem::path(d) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

// The Lua every case shares: wrk's summary as one JSON line on stdout.
constexpr char kDoneLua[] = R"(
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d,' ..
    '"max_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
)";

struct WrkResult {
  bool ok = false;
  std::string error;
  double ops_per_s = 0, p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0, seconds = 0;
  int64_t requests = 0, errors = 0;
};

// `out_name`: wrk's output file under `dir` (two wrk runs at once need two).
WrkResult RunWrk(const std::string& wrk, const std::string& url, const std::string& script,
                 int connections, double seconds, const std::string& dir,
                 const std::string& out_name = "wrk.out") {
  WrkResult r;
  std::string out = dir + "/" + out_name;
  std::string cmd = wrk + " -t2 -c" + std::to_string(connections) + " -d" +
                    std::to_string(static_cast<int>(seconds + 0.5)) + "s --timeout 10s -s " + script +
                    " '" + url + "' > " + out + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream in(out);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  size_t at = text.find("WRKJSON ");
  if (rc != 0 || at == std::string::npos) {
    r.error = "wrk failed: " + text.substr(0, 400);
    return r;
  }
  rapidjson::Document d;
  std::string json = text.substr(at + 8, text.find('\n', at) - at - 8);
  d.Parse(json.c_str());
  if (d.HasParseError()) {
    r.error = "wrk output: " + json;
    return r;
  }
  r.requests = d["requests"].GetInt64();
  r.seconds = d["duration_us"].GetDouble() / 1e6;
  r.errors = d["status_errors"].GetInt64() + d["connect_errors"].GetInt64() +
             d["read_errors"].GetInt64() + d["write_errors"].GetInt64() + d["timeouts"].GetInt64();
  r.ops_per_s = r.seconds > 0 ? static_cast<double>(r.requests - d["status_errors"].GetInt64()) / r.seconds : 0;
  r.p50_ms = d["p50_us"].GetDouble() / 1000.0;
  r.p99_ms = d["p99_us"].GetDouble() / 1000.0;
  r.p999_ms = d["p999_us"].GetDouble() / 1000.0;
  r.max_ms = d["max_us"].GetDouble() / 1000.0;
  r.ok = true;
  return r;
}

Row WrkRow(const std::string& case_name, const std::string& system, const std::string& driver,
           int connections, const WrkResult& w) {
  Row row;
  row.suite = kSuite;
  row.case_name = case_name;
  row.system = system;
  row.driver = driver;
  row.threads = connections;
  row.ops_per_s = w.ops_per_s;
  row.p50_ms = w.p50_ms;
  row.p99_ms = w.p99_ms;
  row.add("p999_ms", w.p999_ms);
  row.add("max_ms", w.max_ms);
  row.add("ops", w.requests);
  row.add("seconds", w.seconds);
  row.add("connections", connections);
  row.add("wrk_threads", 2);
  if (w.errors) row.add("errors", w.errors);
  return row;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// wrk's place-order script: one line of a random SKU of `skus`, a unique Idempotency-Key per
// request (`tag`, this run's time, the wrk thread, a counter): a key used twice with another
// SKU would be a 409, not an order.
std::string OrderScript(const std::string& auth, const std::vector<std::string>& skus,
                        const std::string& customer, const std::string& tag = "bench") {
  std::string sku_list;
  for (const auto& s : skus) sku_list += "\"" + s + "\",";
  char run_id[32];
  std::snprintf(run_id, sizeof run_id, "%lld", static_cast<long long>(std::time(nullptr)));
  return auth + "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
         "local skus = {" + sku_list + "}\n"
         "local counter = 0\ntid = 0\nlocal threads = 0\n"
         "function setup(thread) threads = threads + 1; thread:set(\"tid\", threads) end\n"
         "function init(args) math.randomseed(tid * 7919 + os.time()) end\n"
         "function request()\n  counter = counter + 1\n"
         "  local sku = skus[math.random(#skus)]\n"
         "  local body = '{\"customer_id\":\"" + customer + "\",\"lines\":[{\"sku\":\"' .. sku .. "
         "'\",\"quantity\":1}],\"shipping_address\":{\"name\":\"B\",\"line1\":\"1 St\",\"city\":\"C\","
         "\"region\":\"region-1\",\"country\":\"US\"}}'\n"
         "  local key = \"" + tag + "-" + std::string(run_id) + "-\" .. tid .. \"-\" .. counter\n"
         "  local headers = {}\n  for k, v in pairs(wrk.headers) do headers[k] = v end\n"
         "  headers[\"Idempotency-Key\"] = key\n"
         "  return wrk.format(nil, nil, headers, body)\nend\n" + kDoneLua;
}

// Searches spread over 1,200 distinct requests (two words of the sample catalog's titles, three
// pages), picked at random: unlike "search" (one request, which every instance's own result
// cache answers), most of these miss an instance's cache, so what answers them is the shared
// tier on Redis (docs/scaling.md, "Search results in Redis") or the index.
std::string VariedSearchScript(const std::string& auth) {
  return auth +
         "local words = {\"wireless\", \"headphones\", \"earbuds\", \"speaker\", \"laptop\", "
         "\"monitor\", \"keyboard\", \"mouse\", \"camera\", \"lens\", \"tripod\", \"compact\", "
         "\"smart\", \"portable\", \"premium\", \"pro\", \"soundbar\", \"turntable\", "
         "\"desktop\", \"essential\"}\n"
         "tid = 0\nlocal threads = 0\n"
         "function setup(thread) threads = threads + 1; thread:set(\"tid\", threads) end\n"
         "function init(args) math.randomseed(tid * 7919 + os.time()) end\n"
         "function request()\n"
         "  local a = words[math.random(#words)]\n  local b = words[math.random(#words)]\n"
         "  local offset = (math.random(3) - 1) * 20\n"
         "  return wrk.format(\"GET\", \"/v1/search?q=\" .. a .. \"%20\" .. b .. "
         "\"&facets=brand,price&limit=20&offset=\" .. offset)\nend\n" +
         kDoneLua;
}

// --target NAME=URL: servers already running (tools/cluster's HAProxy, one instance direct)
// measured side by side, case by case, in one run. The shop is prepared through the first
// target: the sample catalog must be there (tools/cluster up loads it); stock for the first
// 200 products and a customer are added.
int RunHttpTargets(const BenchOptions& opt, Reporter& reporter) {
  struct Target {
    std::string name, base;
    int port = 0;
  };
  std::vector<Target> targets;
  for (const auto& t : opt.targets) {
    auto eq = t.find('=');
    const std::string prefix = "http://127.0.0.1:";
    std::string url = eq == std::string::npos ? "" : t.substr(eq + 1);
    while (!url.empty() && url.back() == '/') url.pop_back();
    int port = 0;
    if (url.rfind(prefix, 0) == 0) {
      std::string p = url.substr(prefix.size());
      if (!p.empty() && p.size() <= 5 && p.find_first_not_of("0123456789") == std::string::npos)
        port = std::atoi(p.c_str());
    }
    if (eq == 0 || eq == std::string::npos || port <= 0 || port > 65535) {
      std::fprintf(stderr, "http: --target '%s': expected NAME=http://127.0.0.1:PORT\n", t.c_str());
      return 1;
    }
    targets.push_back({t.substr(0, eq), url, port});
  }
  const char* key = std::getenv("COMMERCE_BENCH_KEY");
  if (!key || !*key) {
    std::fprintf(stderr, "http: --target needs an admin API key in COMMERCE_BENCH_KEY "
                         "(tools/cluster env DIR prints COMMERCE_FLEET_KEY)\n");
    return 1;
  }
  g_http_key = key;
  std::string wrk = Exe("wrk", {"/usr/bin", "/usr/local/bin"});
  if (wrk.empty()) {
    std::fprintf(stderr, "http: needs wrk (tools/install-deps)\n");
    return 1;
  }
  WorkDir work(opt.dir);
  std::string dir = work.Fresh("http");
  double seconds = opt.seconds > 0 ? opt.seconds : (opt.quick ? 2 : 10);
  std::vector<int> conns = opt.threads.empty() ? std::vector<int>{64} : opt.threads;
  const int port = targets[0].port;

  std::string product_path = "/v1/products/p00000042", body;
  if (Http(port, "GET", product_path, "", &body) != 200) {
    std::fprintf(stderr, "http: %s: no product at %s (load the sample catalog first: "
                         "tools/cluster up does)\n", targets[0].name.c_str(), product_path.c_str());
    return 1;
  }
  Log("http: stock for 200 products and a customer, through " + targets[0].name);
  for (int w = 0; w < 4; ++w)
    Http(port, "PUT", "/v1/warehouses/wh-bench-" + std::to_string(w),
         "{\"name\":\"wh\",\"region\":\"region-" + std::to_string(w) + "\"}", nullptr);
  std::vector<std::string> skus;
  for (int i = 0; i < 200; ++i) {
    std::string product;
    char id[32];
    std::snprintf(id, sizeof id, "p%08d", i);
    if (Http(port, "GET", std::string("/v1/products/") + id, "", &product) != 200) continue;
    rapidjson::Document d;
    d.Parse(product.c_str());
    if (!d.IsObject() || !d.HasMember("variants") || d["variants"].Empty()) continue;
    std::string sku = d["variants"][0]["sku"].GetString();
    if (Http(port, "POST", "/v1/stock/" + sku + "/receive",
             "{\"warehouse_id\":\"wh-bench-" + std::to_string(i % 4) + "\",\"quantity\":1000000}",
             nullptr) == 200)
      skus.push_back(sku);
  }
  std::string customer_body;
  Http(port, "POST", "/v1/customers", "{\"email\":\"bench-" + std::to_string(std::time(nullptr)) +
       "@example.com\",\"name\":\"Bench\"}", &customer_body);
  rapidjson::Document cd;
  cd.Parse(customer_body.c_str());
  if (skus.empty() || !cd.IsObject() || !cd.HasMember("id")) {
    std::fprintf(stderr, "http: could not stock SKUs or create a customer through %s: %s\n",
                 targets[0].name.c_str(), customer_body.substr(0, 300).c_str());
    return 1;
  }
  std::string customer = cd["id"].GetString();
  // Every instance behind each target has indexed it all (a balancer spreads the waits).
  std::string events;
  Http(port, "GET", "/v1/events?limit=1", "", &events);
  rapidjson::Document ed;
  ed.Parse(events.c_str());
  uint64_t last = ed.IsObject() && ed.HasMember("last_seq") ? ed["last_seq"].GetUint64() : 0;
  for (const auto& t : targets)
    for (int i = 0; i < 8; ++i)
      Http(t.port, "GET", "/v1/search?q=&limit=1&use_cache=false&wait_timeout_ms=30000&min_index_seq=" +
           std::to_string(last), "", nullptr);

  std::string auth = std::string("wrk.headers[\"Authorization\"] = \"Bearer ") + key + "\"\n";
  WriteFile(dir + "/get.lua", auth + kDoneLua);
  WriteFile(dir + "/search-varied.lua", VariedSearchScript(auth));
  for (size_t i = 0; i < targets.size(); ++i)
    WriteFile(dir + "/order-" + std::to_string(i) + ".lua",
              OrderScript(auth, skus, customer, "bench-" + targets[i].name));
  for (int c : conns) {
    struct Case { const char* name; std::string path; std::string script; };
    std::vector<Case> cases = {{"get-product", product_path, dir + "/get.lua"},
                               {"search", kSearchPath, dir + "/get.lua"},
                               {"search-varied", "/v1/search", dir + "/search-varied.lua"},
                               {"place-order", "/v1/orders", ""}};
    for (const auto& cs : cases) {
      if (!opt.WantCase(cs.name)) continue;
      std::vector<Row> rows;
      for (size_t ti = 0; ti < targets.size(); ++ti) {
        const Target& t = targets[ti];
        std::string script = cs.script.empty() ? dir + "/order-" + std::to_string(ti) + ".lua" : cs.script;
        Log(std::string("http: ") + cs.name + " on " + t.name + ", " + std::to_string(c) +
            " connections, " + FormatSeconds(seconds));
        WrkResult w = RunWrk(wrk, t.base + cs.path, script, c, seconds, dir);
        if (!w.ok) {
          std::fprintf(stderr, "http: %s on %s: %s\n", cs.name, t.name.c_str(), w.error.c_str());
          return 1;
        }
        Row row = WrkRow(cs.name, t.name, "target", c, w);
        row.add("url", t.base);
        rows.push_back(row);
      }
      reporter.Emit(std::move(rows));
    }
  }
  return 0;
}

// The place-order case's peer `in-process`: the same orders placed by the engine in this
// process, with no HTTP between -- what the server's place-order is measured against. Its own
// store under `dir`, with the shop the server was given (the same sample catalog imported, the
// same 1,000 stocked SKUs in 4 warehouses, one customer) and the same orders: one line of a
// random stocked SKU, quantity 1, a unique idempotency key, the same address. `callers`
// threads each call Orders::place (blocking: each has one order in flight, as each wrk
// connection has one request in flight), so the group commit sees as many callers as the
// server sees connections. The search indexer is waited for first, as the server's was.
class InProcessShop {
 public:
  // Loads the shop; on failure *error says why and ok() is false.
  InProcessShop(const std::string& dir, uint64_t products, std::string* error) {
    EngineOptions eo;
    eo.path = dir + "/store";
    auto engine = Engine::open(eo);
    if (!engine.ok()) {
      *error = "Engine::open: " + engine.status().ToString();
      return;
    }
    engine_ = std::move(*engine);
    const std::string file = dir + "/products.jsonl";
    {
      SampleCatalogOptions so;
      so.products = products;
      std::ofstream out(file);
      SampleCatalog(so).write_jsonl(out);
    }
    ImportOptions io;
    io.format = "jsonl";
    auto report = engine_->catalog().import_file(file, io);
    std::remove(file.c_str());
    if (!report.ok() || report->imported != products) {
      *error = "import_file: " + (report.ok() ? std::to_string(report->imported) + " imported"
                                              : report.status().ToString());
      return;
    }
    for (int w = 0; w < 4; ++w) {
      auto wh = engine_->inventory().upsert_warehouse(
          {"wh-" + std::to_string(w), "wh", "region-" + std::to_string(w)});
      if (!wh.ok()) {
        *error = "upsert_warehouse: " + wh.status().ToString();
        return;
      }
    }
    const int stocked = std::min<int>(1000, static_cast<int>(products));
    for (int i = 0; i < stocked; ++i) {
      auto p = engine_->catalog().get(SampleCatalog::ProductId(static_cast<uint64_t>(i)));
      if (!p.ok()) {
        *error = "catalog get: " + p.status().ToString();
        return;
      }
      const std::string& sku = p->variants[0].sku;
      auto level = engine_->inventory().receive(sku, "wh-" + std::to_string(i % 4), 1000000);
      if (!level.ok()) {
        *error = "receive: " + level.status().ToString();
        return;
      }
      skus_.push_back(sku);
    }
    Customer c;
    c.email = "bench@example.com";
    c.name = "Bench";
    auto customer = engine_->customers().create(c);
    if (!customer.ok()) {
      *error = "customers create: " + customer.status().ToString();
      return;
    }
    customer_ = customer->id;
    address_ = {"B", "1 St", "", "C", "", "region-1", "US"};
    Status waited = WaitForIndexer(*engine_, "http: in-process", std::chrono::seconds(3600));
    if (!waited.ok()) {
      *error = "search wait: " + waited.ToString();
      return;
    }
    Status checkpoint = engine_->storage().checkpoint();
    if (!checkpoint.ok()) Log("http: in-process checkpoint: " + checkpoint.ToString());
    QuiesceDisk();
  }
  bool ok() const { return !skus_.empty() && !customer_.empty(); }

  TimedRunResult PlaceOrders(int callers, double seconds) {
    TimedRunOptions ro;
    ro.threads = callers;
    ro.warmup_s = 1;
    ro.seconds = seconds;
    const int run = runs_++;
    return RunTimed(ro, [this, run](int thread) -> Op {
      auto rng = std::make_shared<Rng>(SeedFor("http-place-order", thread));
      auto request = std::make_shared<PlaceOrder>();
      request->customer_id = customer_;
      request->shipping_address = address_;
      request->lines.push_back({"", 1});
      const std::string prefix = "in-process-" + std::to_string(run) + "-" + std::to_string(thread) + "-";
      auto counter = std::make_shared<uint64_t>(0);
      return [this, rng, request, prefix, counter](std::string* e) {
        request->idempotency_key = prefix + std::to_string(++*counter);
        request->lines[0].sku = skus_[rng->uniform(skus_.size())];
        auto placed = engine_->orders().place(*request);
        if (!placed.ok()) return *e = placed.status().ToString(), false;
        return true;
      };
    });
  }

  // The search case's peer: `request` (the one the server is sent) through Search::query,
  // with the engine's result cache on, as the server's is.
  TimedRunResult Search(SearchRequest request, int callers, double seconds) {
    TimedRunOptions ro;
    ro.threads = callers;
    ro.warmup_s = 1;
    ro.seconds = seconds;
    auto shared = std::make_shared<const SearchRequest>(std::move(request));
    return RunTimed(ro, [this, shared](int) -> Op {
      return [this, shared](std::string* e) {
        auto found = engine_->search().query(*shared);
        if (!found.ok()) return *e = found.status().ToString(), false;
        return true;
      };
    });
  }

  ~InProcessShop() {
    if (!engine_) return;
    Status closed = engine_->close();
    if (!closed.ok()) Log("http: in-process Engine::close: " + closed.ToString());
  }

 private:
  std::unique_ptr<Engine> engine_;
  std::vector<std::string> skus_;
  std::string customer_;
  Address address_;
  int runs_ = 0;
};

int RunHttp(const BenchOptions& opt, Reporter& reporter) {
  if (!opt.targets.empty()) return RunHttpTargets(opt, reporter);
  char self[4096] = {0};
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string bindir = n > 0 ? std::filesystem::path(std::string(self, static_cast<size_t>(n))).parent_path().string() : ".";
  std::string server_bin = Exe("commerce-server", {bindir});
  std::string wrk = Exe("wrk", {"/usr/bin", "/usr/local/bin"});
  std::string nginx = Exe("nginx", {"/usr/sbin", "/usr/bin"});
  if (server_bin.empty() || wrk.empty() || nginx.empty()) {
    std::fprintf(stderr, "http: needs commerce-server beside commerce-bench, wrk and nginx "
                         "(tools/install-deps): server '%s', wrk '%s', nginx '%s'\n",
                 server_bin.c_str(), wrk.c_str(), nginx.c_str());
    return 1;
  }
  WorkDir work(opt.dir);
  std::string dir = work.Fresh("http");
  uint64_t products = opt.records ? opt.records : (opt.quick ? 2000 : 20000);
  double seconds = opt.seconds > 0 ? opt.seconds : (opt.quick ? 2 : 10);
  std::vector<int> conns = opt.threads.empty() ? std::vector<int>{64} : opt.threads;

  // The server, its store and keys.
  WriteFile(dir + "/keys.txt", std::string("bench admin ") + kAdminKey + "\nshop store " + kStoreKey + "\n");
  int port = FreePort();
  Child server;
  server.pid = Spawn({server_bin, "--data", dir + "/store", "--listen", "127.0.0.1:" + std::to_string(port),
                      "--threads", "2", "--keys", dir + "/keys.txt", "--access-log", "off",
                      "--max-import-bytes", std::to_string(1u << 30)},
                     dir + "/server.log");
  if (!WaitHealthy(port, "/healthz", 30)) {
    std::fprintf(stderr, "http: commerce-server did not start (see %s/server.log)\n", dir.c_str());
    return 1;
  }
  Log("http: loading " + std::to_string(products) + " sample products over POST /v1/products/import");
  SampleCatalogOptions so;
  so.products = products;
  std::ostringstream jsonl;
  SampleCatalog(so).write_jsonl(jsonl);
  std::string body;
  int st = Http(port, "POST", "/v1/products/import", jsonl.str(), &body);
  if (st != 200) {
    std::fprintf(stderr, "http: import failed: %d %s\n", st, body.substr(0, 300).c_str());
    return 1;
  }
  // Stock: 1,000 SKUs with plenty of units in one warehouse each of 4; one customer.
  for (int w = 0; w < 4; ++w)
    Http(port, "PUT", "/v1/warehouses/wh-" + std::to_string(w),
         "{\"name\":\"wh\",\"region\":\"region-" + std::to_string(w) + "\"}", nullptr);
  const int kStocked = std::min<int>(1000, static_cast<int>(products));
  std::vector<std::string> skus;
  for (int i = 0; i < kStocked; ++i) {
    std::string product;
    char id[32];
    std::snprintf(id, sizeof id, "p%08d", i);
    if (Http(port, "GET", std::string("/v1/products/") + id, "", &product) != 200) continue;
    rapidjson::Document d;
    d.Parse(product.c_str());
    std::string sku = d["variants"][0]["sku"].GetString();
    Http(port, "POST", "/v1/stock/" + sku + "/receive",
         "{\"warehouse_id\":\"wh-" + std::to_string(i % 4) + "\",\"quantity\":1000000}", nullptr);
    skus.push_back(sku);
  }
  std::string customer_body;
  Http(port, "POST", "/v1/customers", "{\"email\":\"bench@example.com\",\"name\":\"Bench\"}", &customer_body);
  rapidjson::Document cd;
  cd.Parse(customer_body.c_str());
  std::string customer = cd.IsObject() && cd.HasMember("id") ? cd["id"].GetString() : "";
  // Wait until search has indexed everything.
  std::string events;
  Http(port, "GET", "/v1/events?limit=1", "", &events);
  rapidjson::Document ed;
  ed.Parse(events.c_str());
  uint64_t last = ed.IsObject() ? ed["last_seq"].GetUint64() : 0;
  Http(port, "GET", "/v1/search?q=&limit=1&wait_timeout_ms=30000&min_index_seq=" + std::to_string(last),
       "", nullptr);

  // The product both systems serve.
  std::string product_path = "/v1/products/p00000042";
  std::string product_json;
  if (Http(port, "GET", product_path, "", &product_json) != 200) {
    std::fprintf(stderr, "http: no product at %s\n", product_path.c_str());
    return 1;
  }
  std::string www = dir + "/www";
  std::filesystem::create_directories(www);
  WriteFile(www + "/product.json", product_json);

  // nginx: a private prefix, its own config, the same number of workers as server loops.
  int nginx_port = FreePort();
  std::string ngx = dir + "/nginx";
  std::filesystem::create_directories(ngx + "/logs");
  std::string conf = std::string(geteuid() == 0 ? "user root;\n" : "") +
                     "worker_processes 2;\ndaemon off;\npid " + ngx + "/nginx.pid;\n"
                     "error_log " + ngx + "/logs/error.log warn;\n"
                     "events { worker_connections 4096; }\n"
                     "http {\n  access_log off;\n  keepalive_requests 1000000;\n"
                     "  client_body_temp_path " + ngx + "/body;\n  proxy_temp_path " + ngx + "/proxy;\n"
                     "  fastcgi_temp_path " + ngx + "/fastcgi;\n  uwsgi_temp_path " + ngx + "/uwsgi;\n"
                     "  scgi_temp_path " + ngx + "/scgi;\n"
                     "  server {\n    listen 127.0.0.1:" + std::to_string(nginx_port) + ";\n"
                     "    root " + www + ";\n    location / { default_type application/json; }\n  }\n}\n";
  WriteFile(ngx + "/nginx.conf", conf);
  Child nginx_proc;
  nginx_proc.pid = Spawn({nginx, "-p", ngx, "-c", ngx + "/nginx.conf"}, ngx + "/stdout.log");
  bool nginx_up = WaitHealthy(nginx_port, "/product.json", 10);
  if (!nginx_up) Log("http: nginx did not start (see " + ngx + "/logs/error.log): no peer row");

  // wrk scripts.
  std::string auth = std::string("wrk.headers[\"Authorization\"] = \"Bearer ") + kStoreKey + "\"\n";
  WriteFile(dir + "/get.lua", auth + kDoneLua);
  WriteFile(dir + "/plain.lua", kDoneLua);
  WriteFile(dir + "/order.lua", OrderScript(auth, skus, customer));
  // Its own idempotency keys: place-order's would replay (or conflict with) its orders.
  WriteFile(dir + "/order-under.lua", OrderScript(auth, skus, customer, "bench-under"));

  // The place-order and search cases' in-process peer: its own store, loaded now (not while
  // wrk runs).
  std::unique_ptr<InProcessShop> inproc;
  if (opt.WantCase("place-order") || opt.WantCase("search")) {
    Log("http: loading the in-process peer's shop (" + std::to_string(products) + " products)");
    std::string why;
    inproc = std::make_unique<InProcessShop>(work.Fresh("http-in-process"), products, &why);
    if (!inproc->ok()) Log("http: in-process peer: " + why + ": no peer row for place-order or search");
  }

  std::string base = "http://127.0.0.1:" + std::to_string(port);
  for (int c : conns) {
    struct Case { const char* name; std::string url; std::string script; };
    std::vector<Case> cases = {{"get-product", base + product_path, dir + "/get.lua"},
                               {"search", base + kSearchPath, dir + "/get.lua"},
                               {"place-order", base + "/v1/orders", dir + "/order.lua"},
                               {"get-product-under-orders", base + product_path, dir + "/get.lua"}};
    for (const auto& cs : cases) {
      if (!opt.WantCase(cs.name)) continue;
      std::vector<Row> rows;
      // get-product-under-orders: the same GETs while a second wrk places orders (kOrderLoad
      // connections) for the whole window: do reads keep their latency while orders flow?
      const bool under_orders = std::string(cs.name) == "get-product-under-orders";
      constexpr int kOrderLoad = 16;
      // Its peer `reads-alone`: the same GETs just before, with no orders, so that the row's
      // ratio and the two P99s say what the orders cost the reads, in one run. Logged as its
      // own line: "http: CASE, N connections" starts the engine's window (tools/bench/profile).
      WrkResult alone;
      if (under_orders) {
        Log(std::string("http: ") + cs.name + " reads-alone, " + std::to_string(c) + " connections, " +
            FormatSeconds(seconds));
        alone = RunWrk(wrk, cs.url, cs.script, c, seconds, dir);
        if (!alone.ok) {
          std::fprintf(stderr, "http: %s reads-alone: %s\n", cs.name, alone.error.c_str());
          return 1;
        }
      }
      Log(std::string("http: ") + cs.name + ", " + std::to_string(c) + " connections, " +
          FormatSeconds(seconds));
      // The row's peak_rss_mb is this case's: the load's (the import's) is not in it.
      ResetPeakRss(server.pid);
      WrkResult orders;
      std::thread order_load;
      if (under_orders)
        order_load = std::thread([&] {
          orders = RunWrk(wrk, base + "/v1/orders", dir + "/order-under.lua", kOrderLoad, seconds + 2, dir,
                          "wrk-orders.out");
        });
      if (under_orders) std::this_thread::sleep_for(std::chrono::seconds(1));  // orders flowing first
      WrkResult w = RunWrk(wrk, cs.url, cs.script, c, seconds, dir);
      if (order_load.joinable()) order_load.join();
      if (!w.ok || (under_orders && !orders.ok)) {
        std::fprintf(stderr, "http: %s: %s\n", cs.name, (!w.ok ? w : orders).error.c_str());
        return 1;
      }
      Row row = WrkRow(cs.name, kEngineSystem, "lmdb", c, w);
      if (under_orders) {
        row.add("order_connections", kOrderLoad);
        row.add("orders_per_s", orders.ops_per_s);
        row.add("orders_p99_ms", orders.p99_ms);
        if (orders.errors) row.add("order_errors", orders.errors);
      }
      ProcessMemory mem = ReadProcessMemory(server.pid);
      row.add("rss_mb", mem.rss_mb);
      row.add("peak_rss_mb", mem.peak_rss_mb);
      row.add("rss_anon_mb", mem.rss_anon_mb);
      row.add("rss_file_mb", mem.rss_file_mb);
      row.add("server_threads", 2);
      row.add("products", products);
      rows.push_back(row);
      const bool in_process_peer = std::string(cs.name) == "place-order" || std::string(cs.name) == "search";
      if (in_process_peer && inproc && inproc->ok()) {
        Log(std::string("http: ") + cs.name + " in-process, " + std::to_string(c) + " callers, " + FormatSeconds(seconds));
        TimedRunResult r = std::string(cs.name) == "search" ? inproc->Search(SearchCaseRequest(), c, seconds)
                                                             : inproc->PlaceOrders(c, seconds);
        Row peer = MakeRow(kSuite, cs.name, "in-process", "lmdb", c, r);
        peer.add("callers", c);
        peer.add("products", products);
        if (r.errors) {
          peer.add("errors", r.errors);
          Log(std::string("http: in-process ") + cs.name + ": " + std::to_string(r.errors) + " failed; first: " + r.first_error);
        }
        rows.push_back(peer);
      }
      if (under_orders) {
        Row peer = WrkRow(cs.name, "reads-alone", "lmdb", c, alone);
        peer.add("products", products);
        rows.push_back(peer);
      }
      if (std::string(cs.name) == "get-product" && nginx_up) {
        Log("http: get-product on nginx-static, " + std::to_string(c) + " connections");
        WrkResult nw = RunWrk(wrk, "http://127.0.0.1:" + std::to_string(nginx_port) + "/product.json",
                              dir + "/plain.lua", c, seconds, dir);
        if (nw.ok) {
          Row peer = WrkRow(cs.name, "nginx-static", "file", c, nw);
          peer.add("worker_processes", 2);
          peer.add("value_bytes", static_cast<int64_t>(product_json.size()));
          rows.push_back(peer);
        }
      }
      reporter.Emit(std::move(rows));
    }
  }
  nginx_proc.Stop();
  server.Stop();
  return 0;
}

}  // namespace

COMMERCE_BENCH_SUITE(http, "http",
                     "commerce-server under wrk: get-product (peer nginx-static), search, place-order",
                     RunHttp);

}  // namespace commerce::bench
