// Status and Result<T>: how every fallible call in commerce reports its outcome.
//
// No exception crosses the public API. A Status is one null pointer when OK, so returning
// success costs nothing; an error carries a code from status_codes.def and a message a
// person can act on ("sku A-1: 0 left in warehouse 7"). Result<T> holds a value or an
// error Status.
//
// Thread safety: Status and Result are values; distinct objects may be used from distinct
// threads, and a const object from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "commerce/export.h"

namespace commerce {

enum class Code : uint8_t {
  kOk = 0,
#define COMMERCE_STATUS_CODE(Name, WIRE, HTTP, KIND) k##Name,
#include "commerce/status_codes.def"
#undef COMMERCE_STATUS_CODE
};

// "OUT_OF_STOCK" for Code::kOutOfStock: the spelling used on the wire.
COMMERCE_EXPORT const char* CodeName(Code code);
// The HTTP status the reference server maps this code to.
COMMERCE_EXPORT int CodeHttpStatus(Code code);
// True for codes that describe the world (Unavailable, Corruption, ...) rather than a bad
// request: retrying may help.
COMMERCE_EXPORT bool CodeIsRetryable(Code code);

class [[nodiscard]] COMMERCE_EXPORT Status {
 public:
  Status() noexcept = default;
  Status(Code code, std::string_view message);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&& other) noexcept = default;
  Status& operator=(Status&& other) noexcept = default;
  ~Status() = default;

  static Status OK() { return Status(); }
#define COMMERCE_STATUS_CODE(Name, WIRE, HTTP, KIND)                 \
  static Status Name(std::string_view msg) { return {Code::k##Name, msg}; } \
  bool Is##Name() const { return code() == Code::k##Name; }
#include "commerce/status_codes.def"
#undef COMMERCE_STATUS_CODE

  bool ok() const { return state_ == nullptr; }
  Code code() const { return state_ ? state_->code : Code::kOk; }
  // The message alone; empty when OK.
  const std::string& message() const;
  // "OUT_OF_STOCK: sku A-1: 0 left in warehouse 7", or "OK".
  std::string ToString() const;

  // Prefixes the message with context, keeping the code:
  // Status::NotFound("no such file").WithContext("import products.jsonl")
  //   -> "import products.jsonl: no such file".
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct State {
    Code code;
    std::string message;
  };
  // OK status has a null state_.
  std::unique_ptr<State> state_;
};

namespace internal {
// Prints what was misused and the Status, then aborts: in every build, so that a misuse is
// a clear crash at its site rather than an exception or undefined behaviour.
[[noreturn]] COMMERCE_EXPORT void DieOnBadResultAccess(const char* what, const Status& status);
}  // namespace internal

// A value or an error. value() (and *, ->) on an error Result, or error() on a value, is a
// programming error: it prints the misuse and the error to stderr and aborts, in every build.
// Check ok() first, or use COMMERCE_ASSIGN_OR_RETURN.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok())
      v_ = Status::Internal("Result constructed from an OK status without a value");
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // The error; OK when this holds a value.
  Status status() const { return ok() ? Status::OK() : *std::get_if<Status>(&v_); }
  // REQUIRES: !ok().
  const Status& error() const {
    if (ok()) internal::DieOnBadResultAccess("Result::error() called on a value", Status::OK());
    return *std::get_if<Status>(&v_);
  }

  // REQUIRES: ok().
  T& value() & {
    check();
    return *std::get_if<T>(&v_);
  }
  const T& value() const& {
    check();
    return *std::get_if<T>(&v_);
  }
  T&& value() && {
    check();
    return std::move(*std::get_if<T>(&v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  void check() const {
    if (!ok()) internal::DieOnBadResultAccess("Result::value() called on an error", *std::get_if<Status>(&v_));
  }

  std::variant<T, Status> v_;
};

}  // namespace commerce

// Early return of a non-OK Status from a function returning Status or Result<T>.
#define COMMERCE_RETURN_IF_ERROR(expr)                \
  do {                                                \
    ::commerce::Status _commerce_s = (expr);          \
    if (!_commerce_s.ok()) return _commerce_s;        \
  } while (0)

#define COMMERCE_CONCAT_INNER_(a, b) a##b
#define COMMERCE_CONCAT_(a, b) COMMERCE_CONCAT_INNER_(a, b)
// auto x = ... of a Result<T>, or return its error.
#define COMMERCE_ASSIGN_OR_RETURN(lhs, expr)                                   \
  auto COMMERCE_CONCAT_(_commerce_r, __LINE__) = (expr);                       \
  if (!COMMERCE_CONCAT_(_commerce_r, __LINE__).ok())                           \
    return COMMERCE_CONCAT_(_commerce_r, __LINE__).error();                    \
  lhs = std::move(COMMERCE_CONCAT_(_commerce_r, __LINE__)).value()
