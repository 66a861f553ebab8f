// The keys file of the reference server, and `commerce keys create` which appends to it.
//
// One API key a line, fields separated by spaces or tabs:
//
//   name scope secret [rate_per_s [burst]] [channel=ID]
//
// `#` starts a comment only as the first character of a line (spaces before it allowed), so a
// secret may contain `#`. Names are 1..64 of [A-Za-z0-9._-] and unique; scopes are `admin`,
// `store` and `public` (docs/server.md, docs/security.md); secrets are 16..256 printable ASCII bytes without spaces, unique;
// rate_per_s 0 or absent: unlimited; burst defaults to max(1, rate). `channel=ID` (a store or
// public key only) limits every request made with the key to that channel (docs/security.md,
// "Keys limited to a channel"); the server refuses at load a channel the store does not have.
//
// Thread safety: free functions; CreateKey takes an exclusive lock on the file (flock), so
// concurrent `commerce keys create` runs append whole lines and never reuse a name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "commerce/status.h"
#include "http_message.h"

namespace commerce::server {

struct KeyEntry {
  std::string name;
  Scope scope = Scope::kStore;
  std::string secret;
  double rate = 0;   // tokens a second; 0: unlimited
  double burst = 0;  // bucket size
  std::string channel;  // "": any channel
};

// Reads and checks every line. NotFound (no such file), InvalidArgument naming the line and
// the field at fault (never echoing a secret), or the keys in file order.
Result<std::vector<KeyEntry>> ReadKeysFile(const std::string& path);

// "admin" -> kAdmin, ...; InvalidArgument listing the scopes otherwise.
Result<Scope> ParseScope(std::string_view name);

// A fresh secret: "ck_<scope>_" and 64 hex digits of 32 bytes from the OS random source
// (getrandom). The prefix lets people and secret scanners tell a key's scope at a glance.
Result<std::string> NewSecret(Scope scope);

// Appends a key named `name` with a fresh secret to `path` (created with mode 0600 when
// absent) and returns it. The line is written whole and fsync'ed before this returns.
// InvalidArgument for a bad name, scope, rate or burst, or an existing file that does not
// parse; AlreadyExists when the name is taken; Unavailable for an I/O error. Nothing is
// written on error.
// `channel` ("" for none) is checked for its form only: the server checks that it exists.
Result<KeyEntry> CreateKey(const std::string& path, std::string_view name, Scope scope,
                           double rate = 0, double burst = 0, std::string_view channel = "");

}  // namespace commerce::server
