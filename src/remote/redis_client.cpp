#include "remote/redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <functional>
#include <random>

namespace commerce {

struct RedisClient::Reply {
  const redisReply* r;
};

namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  if (ms.count() < 1) ms = std::chrono::milliseconds(1);
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

}  // namespace

int64_t JitteredMs(std::chrono::milliseconds ttl, double jitter) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> u(1.0 - jitter, 1.0 + jitter);
  return std::max<int64_t>(1, static_cast<int64_t>(ttl.count() * u(rng)));
}

Result<std::unique_ptr<RedisClient>> RedisClient::Make(const std::string& url, int connections,
                                                       const EndpointOptions& endpoint) {
  std::string rest = url;
  if (rest.rfind("redis://", 0) == 0) rest = rest.substr(8);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  int port = 0;
  std::string host = colon == std::string::npos ? "" : rest.substr(0, colon);
  if (colon != std::string::npos) {
    const char* b = rest.data() + colon + 1;
    const char* e = rest.data() + rest.size();
    auto [p, ec] = std::from_chars(b, e, port);
    if (ec != std::errc() || p != e) port = 0;
  }
  if (host.empty() || port <= 0 || port > 65535 || rest.find('@') != std::string::npos)
    return Status::InvalidArgument("redis url '" + url +
                                   "': expected redis://HOST:PORT (no user, password or database)");
  if (connections < 1 || connections > 64)
    return Status::InvalidArgument("redis connections must be 1..64");
  return std::unique_ptr<RedisClient>(new RedisClient(host, port, connections, endpoint));
}

RedisClient::RedisClient(std::string host, int port, int connections,
                         const EndpointOptions& endpoint)
    : host_(std::move(host)),
      port_(port),
      address_(host_ + ":" + std::to_string(port_)),
      endpoint_("redis " + address_, endpoint),
      max_open_(connections) {}

RedisClient::~RedisClient() {
  for (redisContext* c : idle_) redisFree(c);
}

Result<redisContext*> RedisClient::Borrow(const Deadline& deadline) {
  {
    std::unique_lock lock(mu_);
    while (idle_.empty() && open_ >= max_open_) {
      if (cv_.wait_until(lock, deadline.at()) == std::cv_status::timeout)
        return Status::DeadlineExceeded("redis " + address_ + ": every connection busy");
    }
    if (!idle_.empty()) {
      redisContext* c = idle_.back();
      idle_.pop_back();
      return c;
    }
    ++open_;
  }
  // A new connection, bounded by what remains of the deadline.
  redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, ToTimeval(deadline.remaining()));
  if (c == nullptr || c->err) {
    std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    std::lock_guard lock(mu_);
    --open_;
    cv_.notify_one();
    return Status::Unavailable("redis " + address_ + ": cannot connect: " + why);
  }
  return c;
}

void RedisClient::Return(redisContext* c, bool healthy) {
  std::lock_guard lock(mu_);
  if (healthy) {
    idle_.push_back(c);
  } else {
    redisFree(c);
    --open_;
  }
  cv_.notify_one();
}

Status RedisClient::Run(const std::vector<std::vector<std::string>>& commands,
                        const std::function<Status(size_t, const Reply&)>& on_reply) {
  return endpoint_.call([&](const Deadline& deadline) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(redisContext * c, Borrow(deadline));
    // The socket's timeout is what remains of the deadline: a stalled Redis cannot hold the
    // caller longer.
    redisSetTimeout(c, ToTimeval(deadline.remaining()));
    for (const auto& argv : commands) {
      std::vector<const char*> ptrs;
      std::vector<size_t> lens;
      for (const auto& a : argv) {
        ptrs.push_back(a.data());
        lens.push_back(a.size());
      }
      redisAppendCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data());
    }
    Status result;
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) {
        std::string why = c->errstr;
        bool timeout = c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
        Return(c, false);
        if (timeout) return Status::DeadlineExceeded("redis " + address_ + ": no answer in time");
        return Status::Unavailable("redis " + address_ + ": " + (why.empty() ? "connection lost" : why));
      }
      auto* r = static_cast<redisReply*>(raw);
      Status s;
      if (r->type == REDIS_REPLY_ERROR) {
        std::string msg(r->str, r->len);
        // LOADING, BUSY, OOM, READONLY...: Redis is there but cannot serve now; anything else
        // (a script's error) is a fault on this side.
        bool busy = false;
        for (const char* p : {"LOADING", "BUSY", "OOM", "READONLY", "MASTERDOWN", "TRYAGAIN"})
          busy = busy || msg.rfind(p, 0) == 0;
        s = busy ? Status::Unavailable("redis " + address_ + ": " + msg)
                 : Status::Internal("redis " + address_ + ": " + msg);
      } else {
        s = on_reply(i, Reply{r});
      }
      freeReplyObject(r);
      if (!s.ok() && result.ok()) result = s;
    }
    Return(c, true);
    return result;
  });
}

Result<std::optional<std::string>> RedisClient::Get(const std::string& key) {
  std::optional<std::string> value;
  COMMERCE_RETURN_IF_ERROR(Run({{"GET", key}}, [&](size_t, const Reply& rep) -> Status {
    if (rep.r->type == REDIS_REPLY_STRING) value.emplace(rep.r->str, rep.r->len);
    else if (rep.r->type != REDIS_REPLY_NIL)
      return Status::Internal("redis " + address_ + ": GET answered type " +
                              std::to_string(rep.r->type));
    return Status::OK();
  }));
  return value;
}

Result<long long> RedisClient::Eval(const std::string& script, const std::string& key,
                                    const std::vector<std::string>& args) {
  COMMERCE_ASSIGN_OR_RETURN(auto v, EvalMany(script, {key}, {args}));
  return v.at(0);
}

Result<std::vector<long long>> RedisClient::EvalMany(
    const std::string& script, const std::vector<std::string>& keys,
    const std::vector<std::vector<std::string>>& args) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    std::vector<std::string> argv{"EVAL", script, "1", keys[i]};
    argv.insert(argv.end(), args[i].begin(), args[i].end());
    commands.push_back(std::move(argv));
  }
  std::vector<long long> out(keys.size(), 0);
  COMMERCE_RETURN_IF_ERROR(Run(commands, [&](size_t i, const Reply& rep) -> Status {
    if (rep.r->type != REDIS_REPLY_INTEGER)
      return Status::Internal("redis " + address_ + ": script answered type " +
                              std::to_string(rep.r->type));
    out[i] = rep.r->integer;
    return Status::OK();
  }));
  return out;
}

Status RedisClient::Set(const std::string& key, const std::string& value, int64_t ttl_ms) {
  return Run({{"SET", key, value, "PX", std::to_string(ttl_ms)}}, [&](size_t, const Reply& rep) -> Status {
    if (rep.r->type != REDIS_REPLY_STATUS)
      return Status::Internal("redis " + address_ + ": SET answered type " + std::to_string(rep.r->type));
    return Status::OK();
  });
}

Status RedisClient::Del(const std::string& key) {
  return Run({{"DEL", key}}, [](size_t, const Reply&) { return Status::OK(); });
}

}  // namespace commerce
