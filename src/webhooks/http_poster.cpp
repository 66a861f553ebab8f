// HttpPoster (http_poster.h) on libcurl's multi interface: one CURLM holding the connection
// cache, one easy handle per POST, each with the body and headers it points at kept alive
// beside it until the transfer ends. The open-socket callback is where the target policy
// applies: libcurl hands it each address it is about to connect to, after resolving the name.
#include "webhooks/http_poster.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

namespace commerce {

// One POST in flight. Outside the anonymous namespace: HttpPoster::Impl, which has external
// linkage, holds them (g++ warns of a field whose type has internal linkage).
struct HttpTransfer {
  uint64_t tag = 0;
  std::string url, body;
  curl_slist* headers = nullptr;
  CURL* easy = nullptr;
  size_t response_bytes = 0;
  char errbuf[CURL_ERROR_SIZE] = {0};
  const TargetPolicy* policy = nullptr;
  std::string refused;  // why an address was not connected to, when one was not
  ~HttpTransfer() {
    if (easy) curl_easy_cleanup(easy);
    if (headers) curl_slist_free_all(headers);
  }
};

namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  (void)data;  // the body is not kept: failures() must not hand a target's answer back
  auto* t = static_cast<HttpTransfer*>(user);
  const size_t len = size * n;
  t->response_bytes += len;
  // Returning less than len aborts the transfer: a receiver cannot make us read for ever.
  return t->response_bytes > HttpPoster::kMaxResponseBytes ? 0 : len;
}

curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<HttpTransfer*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) {
    t->refused = "not an IP connection";
    return CURL_SOCKET_BAD;
  }
  std::string why = t->policy->Refusal(&address->addr);
  if (!why.empty()) {
    t->refused = std::move(why);
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// Printable ASCII only, so that a receiver's bytes cannot garble a log line or a JSON field.
std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : ' ';
  return out;
}

}  // namespace

struct HttpPoster::Impl {
  CURLM* multi = nullptr;
  long timeout_ms = 0;
  TargetPolicy policy;
  std::unordered_map<CURL*, std::unique_ptr<HttpTransfer>> transfers;
  std::vector<HttpOutcome> ready;  // failures found when starting

  HttpOutcome Finish(HttpTransfer& t, CURLcode code) {
    HttpOutcome out;
    out.tag = t.tag;
    long status = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    out.http_status = static_cast<int>(status);
    if (status >= 200 && status < 300) return out;  // delivered, even if we stopped reading
    if (status != 0) {
      out.error = "HTTP " + std::to_string(status);
      // The receiver's body stays out: failures() is an API answer, and a target aimed at an
      // internal service must not hand its responses back (issue 15, defect 4).
    } else if (!t.refused.empty()) {
      out.error = "refused to connect: " + t.refused;
    } else {
      out.error = curl_easy_strerror(code);
      if (t.errbuf[0]) out.error += ": " + Printable(t.errbuf);
    }
    return out;
  }
};

HttpPoster::HttpPoster(std::chrono::milliseconds timeout, TargetPolicy policy) : impl_(std::make_unique<Impl>()) {
  GlobalInit();
  impl_->multi = curl_multi_init();
  impl_->timeout_ms = static_cast<long>(timeout.count());
  impl_->policy = std::move(policy);
}

HttpPoster::~HttpPoster() {
  AbandonAll();
  if (impl_->multi) curl_multi_cleanup(impl_->multi);
}

void HttpPoster::Start(HttpPost post) {
  auto t = std::make_unique<HttpTransfer>();
  t->tag = post.tag;
  t->policy = &impl_->policy;
  t->url = std::move(post.url);
  t->body = std::move(post.body);
  for (const auto& h : post.headers) t->headers = curl_slist_append(t->headers, h.c_str());
  // curl adds "Expect: 100-continue" to larger POSTs; receivers rarely want the extra trip.
  t->headers = curl_slist_append(t->headers, "Expect:");
  t->easy = curl_easy_init();
  CURL* e = t->easy;
  if (!e || !impl_->multi) {
    impl_->ready.push_back({t->tag, 0, "curl: cannot make a handle"});
    return;
  }
  curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  // A proxy from http_proxy/https_proxy would be the address connected to, not the target's.
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, OnOpenSocket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, impl_->timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, impl_->timeout_ms);
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "commerce-webhooks/1");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  if (curl_multi_add_handle(impl_->multi, e) != CURLM_OK) {
    impl_->ready.push_back({t->tag, 0, "curl: cannot start the transfer"});
    return;
  }
  impl_->transfers.emplace(e, std::move(t));
}

size_t HttpPoster::in_flight() const { return impl_->transfers.size() + impl_->ready.size(); }

std::vector<HttpOutcome> HttpPoster::Poll(std::chrono::milliseconds wait) {
  std::vector<HttpOutcome> done = std::move(impl_->ready);
  impl_->ready.clear();
  if (impl_->transfers.empty() || !impl_->multi) return done;
  auto collect = [&] {
    int running = 0;
    curl_multi_perform(impl_->multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(impl_->multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      auto it = impl_->transfers.find(m->easy_handle);
      if (it == impl_->transfers.end()) continue;
      const CURLcode code = m->data.result;
      done.push_back(impl_->Finish(*it->second, code));
      curl_multi_remove_handle(impl_->multi, m->easy_handle);
      impl_->transfers.erase(it);
    }
  };
  collect();
  if (done.empty() && !impl_->transfers.empty()) {
    curl_multi_poll(impl_->multi, nullptr, 0, static_cast<int>(std::max<int64_t>(0, wait.count())), nullptr);
    collect();
  }
  return done;
}

void HttpPoster::AbandonAll() {
  for (auto& [easy, t] : impl_->transfers) curl_multi_remove_handle(impl_->multi, easy);
  impl_->transfers.clear();
  impl_->ready.clear();
}

}  // namespace commerce
