#include "keys_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>

namespace commerce::server {

namespace {

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

Status CheckName(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return Status::InvalidArgument("key name: 1..64 characters of A-Z a-z 0-9 . _ -");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return Status::InvalidArgument("key name \"" + std::string(name) +
                                     "\": only A-Z a-z 0-9 . _ - are allowed");
  return Status::OK();
}

Status CheckSecret(std::string_view secret) {
  if (secret.size() < 16 || secret.size() > 256)
    return Status::InvalidArgument("secret: 16..256 bytes, got " + std::to_string(secret.size()));
  for (char c : secret)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return Status::InvalidArgument("secret: printable ASCII without spaces only");
  return Status::OK();
}

Status CheckRate(double rate, double burst) {
  if (!std::isfinite(rate) || !std::isfinite(burst) || rate < 0 || burst < 0)
    return Status::InvalidArgument("rate and burst: non-negative numbers");
  return Status::OK();
}

Result<double> ParseNumber(std::string_view what, std::string_view text) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v) || v < 0)
    return Status::InvalidArgument(std::string(what) + ": expected a non-negative number, got \"" +
                                   std::string(text.substr(0, 32)) + "\"");
  return v;
}

// A channel id, as channels.h has them: 1..64 of A-Z a-z 0-9 - _. An admin key sees every
// channel's data by its scope, so limiting it would promise what it cannot keep.
Status CheckChannel(Scope scope, std::string_view channel) {
  if (channel.empty() || channel.size() > 64)
    return Status::InvalidArgument("channel: 1..64 of A-Z a-z 0-9 - _");
  for (char c : channel)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
      return Status::InvalidArgument("channel \"" + std::string(channel.substr(0, 64)) +
                                     "\": only A-Z a-z 0-9 - _ are allowed");
  if (scope == Scope::kAdmin)
    return Status::InvalidArgument("channel: an admin key cannot be limited to a channel (make a "
                                   "store or public key for the channel)");
  return Status::OK();
}

constexpr std::string_view kChannelField = "channel=";

Result<KeyEntry> ParseLine(std::string_view line) {
  auto f = Fields(line);
  KeyEntry k;
  // `channel=ID` is the one named field; it may stand anywhere after the secret.
  bool have_channel = false;
  for (size_t i = 3; i < f.size(); ++i) {
    if (f[i].substr(0, kChannelField.size()) != kChannelField) continue;
    if (have_channel) return Status::InvalidArgument("channel: given twice");
    have_channel = true;
    k.channel = std::string(f[i].substr(kChannelField.size()));
    f.erase(f.begin() + static_cast<ptrdiff_t>(i));
    --i;
  }
  if (f.size() < 3 || f.size() > 5)
    return Status::InvalidArgument("expected `name scope secret [rate [burst]] [channel=ID]`, got " +
                                   std::to_string(f.size() + (have_channel ? 1 : 0)) + " fields");
  COMMERCE_RETURN_IF_ERROR(CheckName(f[0]));
  k.name = std::string(f[0]);
  COMMERCE_ASSIGN_OR_RETURN(k.scope, ParseScope(f[1]));
  COMMERCE_RETURN_IF_ERROR(CheckSecret(f[2]));
  k.secret = std::string(f[2]);
  if (f.size() >= 4) {
    COMMERCE_ASSIGN_OR_RETURN(k.rate, ParseNumber("rate", f[3]));
  }
  if (f.size() == 5) {
    COMMERCE_ASSIGN_OR_RETURN(k.burst, ParseNumber("burst", f[4]));
  } else {
    k.burst = std::max(1.0, k.rate);
  }
  if (k.rate > 0 && k.burst < 1) k.burst = 1;
  if (have_channel) COMMERCE_RETURN_IF_ERROR(CheckChannel(k.scope, k.channel));
  return k;
}

// Splits the file's text into keys; `path` names it in errors.
Result<std::vector<KeyEntry>> ParseKeys(const std::string& path, std::string_view text) {
  std::vector<KeyEntry> keys;
  int n = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++n;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;  // blank or comment
    auto k = ParseLine(line);
    std::string where = "keys file " + path + " line " + std::to_string(n);
    if (!k.ok()) return k.status().WithContext(where);
    for (const auto& other : keys) {
      if (other.name == k->name)
        return Status::InvalidArgument(where + ": the name \"" + k->name + "\" is used twice");
      if (other.secret == k->secret)
        return Status::InvalidArgument(where + ": the secret of \"" + k->name +
                                       "\" is the same as that of \"" + other.name + "\"");
    }
    keys.push_back(std::move(*k));
  }
  return keys;
}

Status ReadAll(int fd, const std::string& path, std::string* out) {
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Unavailable("read " + path + ": " + std::strerror(errno));
    if (n == 0) return Status::OK();
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > (16u << 20)) return Status::InvalidArgument(path + ": larger than 16 MiB");
  }
}

Status WriteAll(int fd, const std::string& path, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Unavailable("write " + path + ": " + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

}  // namespace

Result<Scope> ParseScope(std::string_view name) {
  if (name == "admin") return Scope::kAdmin;
  if (name == "store") return Scope::kStore;
  if (name == "public") return Scope::kPublic;
  return Status::InvalidArgument("scope \"" + std::string(name.substr(0, 32)) +
                                 "\": expected admin, store or public");
}

Result<std::vector<KeyEntry>> ReadKeysFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("keys file " + path + ": no such file");
    return Status::Unavailable("keys file " + path + ": " + std::strerror(errno));
  }
  std::string text;
  Status s = ReadAll(fd, "keys file " + path, &text);
  ::close(fd);
  COMMERCE_RETURN_IF_ERROR(s);
  COMMERCE_ASSIGN_OR_RETURN(auto keys, ParseKeys(path, text));
  if (keys.empty()) return Status::InvalidArgument("keys file " + path + ": no keys");
  return keys;
}

Result<std::string> NewSecret(Scope scope) {
  unsigned char raw[32];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t n = ::getrandom(raw + got, sizeof raw - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Unavailable(std::string("getrandom: ") + std::strerror(errno));
    got += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string s = std::string("ck_") + ScopeName(scope) + "_";
  for (unsigned char b : raw) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

Result<KeyEntry> CreateKey(const std::string& path, std::string_view name, Scope scope, double rate,
                           double burst, std::string_view channel) {
  COMMERCE_RETURN_IF_ERROR(CheckName(name));
  if (scope != Scope::kAdmin && scope != Scope::kStore && scope != Scope::kPublic)
    return Status::InvalidArgument("scope: expected admin, store or public");
  COMMERCE_RETURN_IF_ERROR(CheckRate(rate, burst));
  if (!channel.empty()) COMMERCE_RETURN_IF_ERROR(CheckChannel(scope, channel));
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("keys file " + path + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::flock(fd, LOCK_EX) != 0)
    return Status::Unavailable("keys file " + path + ": lock: " + std::strerror(errno));
  std::string text;
  COMMERCE_RETURN_IF_ERROR(ReadAll(fd, "keys file " + path, &text));
  COMMERCE_ASSIGN_OR_RETURN(auto keys, ParseKeys(path, text));
  for (const auto& k : keys)
    if (k.name == name)
      return Status::AlreadyExists("keys file " + path + ": a key named \"" + std::string(name) +
                                   "\" exists already");
  KeyEntry k;
  k.name = std::string(name);
  k.scope = scope;
  k.rate = rate;
  k.burst = rate > 0 ? std::max(1.0, burst > 0 ? burst : rate) : 0;
  k.channel = std::string(channel);
  COMMERCE_ASSIGN_OR_RETURN(k.secret, NewSecret(scope));
  std::string line;
  if (text.empty()) line = "# name scope secret [rate_per_s [burst]] [channel=ID]  (docs/server.md)\n";
  else if (text.back() != '\n') line = "\n";
  line += k.name + " " + ScopeName(scope) + " " + k.secret;
  if (rate > 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " %g %g", k.rate, k.burst);
    line += buf;
  }
  if (!k.channel.empty()) line += " " + std::string(kChannelField) + k.channel;
  line += "\n";
  const off_t end = ::lseek(fd, 0, SEEK_END);
  if (end < 0) return Status::Unavailable("keys file " + path + ": " + std::strerror(errno));
  Status s = WriteAll(fd, "keys file " + path, line);
  if (s.ok() && ::fsync(fd) != 0)
    s = Status::Unavailable("keys file " + path + ": fsync: " + std::strerror(errno));
  if (!s.ok()) {
    // A disk that filled up mid-line must not leave half a key behind.
    (void)::ftruncate(fd, end);
    return s;
  }
  return k;
}

}  // namespace commerce::server
