#include "remote/nats_client.h"

#include <nats/nats.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace commerce {

namespace {

bool TokenChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

// nats.c takes milliseconds as int64_t; never 0, which some of its calls read as "no limit".
int64_t Ms(const Deadline& d) { return std::max<int64_t>(1, d.remaining().count()); }

}  // namespace

Status CheckNatsUrl(const std::string& url) {
  auto bad = [&] {
    return Status::InvalidArgument("nats url '" + url.substr(0, 200) +
                                   "' must be [nats://]HOST:PORT, several separated by commas");
  };
  if (url.empty()) return bad();
  size_t start = 0;
  for (;;) {
    size_t end = url.find(',', start);
    std::string one = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (one.rfind("nats://", 0) == 0) one = one.substr(7);
    size_t colon = one.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == one.size()) return bad();
    for (size_t i = 0; i < colon; ++i)
      if (!(TokenChar(one[i]) || one[i] == '.' || one[i] == '[' || one[i] == ']' || one[i] == ':'))
        return bad();
    int port = 0;
    auto [p, ec] = std::from_chars(one.data() + colon + 1, one.data() + one.size(), port);
    if (ec != std::errc() || p != one.data() + one.size() || port < 1 || port > 65535) return bad();
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return Status::OK();
}

Status CheckNatsStream(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), TokenChar);
  if (!ok)
    return Status::InvalidArgument("nats stream '" + name.substr(0, 100) +
                                   "' must be 1..64 of [A-Za-z0-9_-]");
  return Status::OK();
}

Status CheckNatsSubject(const std::string& subject) {
  bool ok = !subject.empty() && subject.size() <= 200 && subject.front() != '.' &&
            subject.back() != '.' && subject.find("..") == std::string::npos &&
            std::all_of(subject.begin(), subject.end(), [](char c) { return TokenChar(c) || c == '.'; });
  if (!ok)
    return Status::InvalidArgument("nats subject '" + subject.substr(0, 100) +
                                   "' must be tokens of [A-Za-z0-9_-] separated by dots, "
                                   "at most 200 characters");
  return Status::OK();
}

NatsClient::NatsClient(std::string url, std::string stream, std::string subjects,
                       std::chrono::milliseconds duplicate_window)
    : url_(std::move(url)),
      stream_(std::move(stream)),
      subjects_(std::move(subjects)),
      duplicate_window_(duplicate_window) {}

NatsClient::~NatsClient() { Disconnect(); }

bool NatsClient::connected() const { return nc_ != nullptr && !natsConnection_IsClosed(nc_); }

void NatsClient::Disconnect() {
  if (js_) jsCtx_Destroy(js_);
  js_ = nullptr;
  if (nc_) natsConnection_Destroy(nc_);  // closes it first
  nc_ = nullptr;
}

Status NatsClient::Failed(const std::string& what, int status, int js_error) {
  auto s = static_cast<natsStatus>(status);
  std::string why = "nats " + url_ + ": " + what + ": " + natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last && *last) why += std::string(" (") + last + ")";
  if (js_error != 0) {
    // JetStream answered, and refused: the connection is fine.
    return Status::Internal(why + " [JetStream error " + std::to_string(js_error) + "]");
  }
  if (s == NATS_NO_RESPONDERS)
    return Status::Unavailable(why + ": no stream takes the subject (is JetStream enabled, and does stream '" +
                               stream_ + "' take " + subjects_ + "?)");
  // Anything else may have left the connection in an unknown state (a timeout may be a dead
  // server not noticed yet): drop it, the next call connects again.
  Disconnect();
  if (s == NATS_TIMEOUT) return Status::DeadlineExceeded(why);
  return Status::Unavailable(why);
}

Status NatsClient::Connect(const Deadline& deadline) {
  if (connected()) return Status::OK();
  Disconnect();
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, url_.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, Ms(deadline));
  if (s == NATS_OK) s = natsOptions_SetName(opts, "commerce-event-publisher");
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
  if (s == NATS_OK) s = natsConnection_Connect(&nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    nc_ = nullptr;
    return Failed("connect", s, 0);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = Ms(deadline);
  s = natsConnection_JetStream(&js_, nc_, &jo);
  if (s != NATS_OK) {
    js_ = nullptr;
    return Failed("JetStream context", s, 0);
  }
  // The stream: used as it is when present, created when absent.
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsOptions ro;
  jsOptions_Init(&ro);
  ro.Wait = Ms(deadline);
  s = js_GetStreamInfo(&si, js_, stream_.c_str(), &ro, &jerr);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return Status::OK();
  }
  if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) return Failed("stream info of " + stream_, s, jerr);
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = stream_.c_str();
  const char* subjects[] = {subjects_.c_str()};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Duplicates = static_cast<int64_t>(duplicate_window_.count()) * 1'000'000;  // nanoseconds
  jerr = static_cast<jsErrCode>(0);
  ro.Wait = Ms(deadline);
  s = js_AddStream(&si, js_, &cfg, &ro, &jerr);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return Status::OK();
  }
  if (jerr == JSStreamNameExistErr) return Status::OK();  // another publisher was quicker
  return Failed("create stream " + stream_, s, jerr);
}

Result<uint64_t> NatsClient::LastMsgId(const Deadline& deadline) {
  if (!connected()) return Status::Unavailable("nats " + url_ + ": not connected");
  jsOptions ro;
  jsOptions_Init(&ro);
  ro.Wait = Ms(deadline);
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js_, stream_.c_str(), &ro, &jerr);
  if (s != NATS_OK) return Failed("stream info of " + stream_, s, jerr);
  const uint64_t last = si->State.LastSeq, msgs = si->State.Msgs;
  jsStreamInfo_Destroy(si);
  if (last == 0 || msgs == 0) return uint64_t{0};
  natsMsg* msg = nullptr;
  jerr = static_cast<jsErrCode>(0);
  ro.Wait = Ms(deadline);
  s = js_GetMsg(&msg, js_, stream_.c_str(), last, &ro, &jerr);
  if (s != NATS_OK) return Failed("last message of " + stream_, s, jerr);
  const char* id = nullptr;
  uint64_t n = 0;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
    std::string_view v(id);
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size()) n = 0;
  }
  natsMsg_Destroy(msg);
  return n;
}

Result<bool> NatsClient::Publish(const std::string& subject, uint64_t msg_id, const std::string& type,
                                 const std::string& body, const Deadline& deadline) {
  if (!connected()) {
    Disconnect();
    return Status::Unavailable("nats " + url_ + ": not connected");
  }
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, body.data(), static_cast<int>(body.size()));
  if (s != NATS_OK) return Failed("message", s, 0);
  s = natsMsgHeader_Set(msg, "Commerce-Event-Type", type.c_str());
  if (s != NATS_OK) {
    natsMsg_Destroy(msg);
    return Failed("message header", s, 0);
  }
  const std::string id = std::to_string(msg_id);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = id.c_str();  // sets the Nats-Msg-Id header: JetStream's de-duplication key
  po.MaxWait = Ms(deadline);
  jsPubAck* ack = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack, js_, msg, &po, &jerr);
  natsMsg_Destroy(msg);
  if (s != NATS_OK) return Failed("publish to " + subject, s, jerr);
  const bool fresh = !ack->Duplicate;
  jsPubAck_Destroy(ack);
  return fresh;
}

}  // namespace commerce
