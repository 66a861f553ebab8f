#include "commerce/status.h"

#include <cstdio>
#include <cstdlib>

namespace commerce {

namespace {
const std::string& EmptyString() {
  static const std::string empty;
  return empty;
}
}  // namespace

Status::Status(Code code, std::string_view message) {
  if (code != Code::kOk) state_ = std::make_unique<State>(State{code, std::string(message)});
}

Status::Status(const Status& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
  return *this;
}

const std::string& Status::message() const { return state_ ? state_->message : EmptyString(); }

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code())) + ": " + state_->message;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += state_->message;
  return Status(code(), m);
}

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
#define COMMERCE_STATUS_CODE(Name, WIRE, HTTP, KIND) \
  case Code::k##Name:                                \
    return #WIRE;
#include "commerce/status_codes.def"
#undef COMMERCE_STATUS_CODE
  }
  return "UNKNOWN";
}

int CodeHttpStatus(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
#define COMMERCE_STATUS_CODE(Name, WIRE, HTTP, KIND) \
  case Code::k##Name:                                \
    return HTTP;
#include "commerce/status_codes.def"
#undef COMMERCE_STATUS_CODE
  }
  return 500;
}

bool CodeIsRetryable(Code code) {
  static constexpr bool caller = false, world = true;
  switch (code) {
    case Code::kOk:
      return false;
#define COMMERCE_STATUS_CODE(Name, WIRE, HTTP, KIND) \
  case Code::k##Name:                                \
    return KIND;
#include "commerce/status_codes.def"
#undef COMMERCE_STATUS_CODE
  }
  return false;
}

namespace internal {

void DieOnBadResultAccess(const char* what, const Status& status) {
  std::fprintf(stderr, "commerce: %s (%s)\n", what, status.ToString().c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace internal

}  // namespace commerce
