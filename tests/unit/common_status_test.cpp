// Tests for include/commerce/status.h and its table, status_codes.def: the factories and
// predicates the table generates, the wire names, HTTP statuses and retry kinds, the numeric
// values (part of the ABI: appended, never reordered), WithContext, and Result<T>.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "commerce/status.h"

namespace common_status_test {

using commerce::Code;
using commerce::CodeHttpStatus;
using commerce::CodeIsRetryable;
using commerce::CodeName;
using commerce::Result;
using commerce::Status;

namespace {

// One row per code of the table, with the factory and the predicate it generates.
struct Row {
  Code code;
  const char* wire;
  int http;
  bool world;
  Status (*make)(std::string_view);
  bool (Status::*is)() const;
};

const std::vector<Row>& Rows() {
  static constexpr bool caller = false, world = true;
  static const std::vector<Row> rows = {
#define COMMERCE_STATUS_CODE(Name, WIRE, HTTP, KIND) \
  {Code::k##Name, #WIRE, HTTP, KIND, &Status::Name, &Status::Is##Name},
#include "commerce/status_codes.def"
#undef COMMERCE_STATUS_CODE
  };
  return rows;
}

Status FailsWith(Status s) {
  COMMERCE_RETURN_IF_ERROR(s);
  return Status::Internal("not reached when s is an error");
}

Result<int> Half(int n) {
  if (n % 2 != 0) return Status::InvalidArgument(std::to_string(n) + " is odd");
  return n / 2;
}

Result<int> Quarter(int n) {
  COMMERCE_ASSIGN_OR_RETURN(int half, Half(n));
  COMMERCE_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

}  // namespace

TEST_CASE("status: OK is the default, empty and cheap", "[status]") {
  Status ok;
  CHECK(ok.ok());
  CHECK(ok.code() == Code::kOk);
  CHECK(ok.message().empty());
  CHECK(ok.ToString() == "OK");
  CHECK(Status::OK() == ok);
  CHECK(Status(Code::kOk, "ignored").ok());
  CHECK(Status(Code::kOk, "ignored").message().empty());
  CHECK(CodeName(Code::kOk) == std::string("OK"));
  CHECK(CodeHttpStatus(Code::kOk) == 200);
  CHECK_FALSE(CodeIsRetryable(Code::kOk));
  // One null pointer when OK, as status.h promises.
  CHECK(sizeof(Status) == sizeof(void*));
}

TEST_CASE("status: every factory makes its code, and only its predicate is true", "[status]") {
  for (const Row& row : Rows()) {
    INFO(row.wire);
    Status s = row.make("sku A-1: 0 left in warehouse 7");
    CHECK_FALSE(s.ok());
    CHECK(s.code() == row.code);
    CHECK(s.message() == "sku A-1: 0 left in warehouse 7");
    CHECK(s.ToString() == std::string(row.wire) + ": sku A-1: 0 left in warehouse 7");
    CHECK(CodeName(row.code) == std::string(row.wire));
    CHECK(CodeHttpStatus(row.code) == row.http);
    CHECK(CodeIsRetryable(row.code) == row.world);
    for (const Row& other : Rows()) CHECK((s.*other.is)() == (other.code == row.code));
    CHECK_FALSE((Status::OK().*row.is)());
  }
}

TEST_CASE("status: numeric values and the codes table are stable", "[status]") {
  // The ABI: new codes are appended, never reordered.
  CHECK(static_cast<int>(Code::kOk) == 0);
  CHECK(static_cast<int>(Code::kInvalidArgument) == 1);
  CHECK(static_cast<int>(Code::kNotFound) == 2);
  CHECK(static_cast<int>(Code::kAlreadyExists) == 3);
  CHECK(static_cast<int>(Code::kConflict) == 4);
  CHECK(static_cast<int>(Code::kOutOfStock) == 5);
  CHECK(static_cast<int>(Code::kFailedPrecondition) == 6);
  CHECK(static_cast<int>(Code::kUnavailable) == 7);
  CHECK(static_cast<int>(Code::kDeadlineExceeded) == 8);
  CHECK(static_cast<int>(Code::kResourceExhausted) == 9);
  CHECK(static_cast<int>(Code::kCorruption) == 10);
  CHECK(static_cast<int>(Code::kInternal) == 11);
  CHECK(static_cast<int>(Code::kNotSupported) == 12);
  CHECK(static_cast<int>(Code::kGone) == 13);
  for (size_t i = 0; i < Rows().size(); ++i) CHECK(static_cast<size_t>(Rows()[i].code) == i + 1);

  // Rows the HTTP server and the Python bindings rely on.
  CHECK(CodeName(Code::kOutOfStock) == std::string("OUT_OF_STOCK"));
  CHECK(CodeHttpStatus(Code::kOutOfStock) == 409);
  CHECK(CodeHttpStatus(Code::kNotFound) == 404);
  CHECK(CodeHttpStatus(Code::kInvalidArgument) == 400);
  CHECK(CodeHttpStatus(Code::kUnavailable) == 503);
  CHECK(CodeHttpStatus(Code::kResourceExhausted) == 429);
  CHECK(CodeHttpStatus(Code::kGone) == 410);  // events below the log's horizon
  CHECK(CodeName(Code::kGone) == std::string("GONE"));
  // Caller errors are kept apart from world errors.
  for (Code c : {Code::kInvalidArgument, Code::kNotFound, Code::kAlreadyExists, Code::kConflict,
                 Code::kOutOfStock, Code::kFailedPrecondition, Code::kNotSupported, Code::kGone})
    CHECK_FALSE(CodeIsRetryable(c));
  for (Code c : {Code::kUnavailable, Code::kDeadlineExceeded, Code::kResourceExhausted,
                 Code::kCorruption, Code::kInternal})
    CHECK(CodeIsRetryable(c));

  std::set<std::string> names;
  for (const Row& row : Rows()) {
    names.insert(row.wire);
    CHECK(row.http >= 400);
    CHECK(row.http <= 599);
  }
  CHECK(names.size() == Rows().size());
  CHECK(names.count("OK") == 0);

  // A value outside the table (say from a newer peer) still has a name and a status.
  auto unknown = static_cast<Code>(200);
  CHECK(CodeName(unknown) == std::string("UNKNOWN"));
  CHECK(CodeHttpStatus(unknown) == 500);
}

TEST_CASE("status: copies, moves and equality", "[status]") {
  Status a = Status::NotFound("no cart c-1");
  Status b = a;  // NOLINT: the copy is the point
  CHECK(b == a);
  CHECK(b.message() == "no cart c-1");
  b = Status::OK();
  CHECK(b.ok());
  CHECK(a.IsNotFound());  // the copy was deep
  Status& self = a;
  a = self;
  CHECK(a == Status::NotFound("no cart c-1"));
  Status moved = std::move(a);
  CHECK(moved == Status::NotFound("no cart c-1"));

  CHECK(Status::NotFound("x") == Status::NotFound("x"));
  CHECK_FALSE(Status::NotFound("x") == Status::NotFound("y"));
  CHECK_FALSE(Status::NotFound("x") == Status::Conflict("x"));
  CHECK_FALSE(Status::NotFound("") == Status::OK());
  CHECK(Status::NotFound("").message().empty());
  CHECK_FALSE(Status::NotFound("").ok());
}

TEST_CASE("status: WithContext prefixes the message and keeps the code", "[status]") {
  Status s = Status::NotFound("no such file").WithContext("import products.jsonl");
  CHECK(s.IsNotFound());
  CHECK(s.message() == "import products.jsonl: no such file");
  CHECK(s.ToString() == "NOT_FOUND: import products.jsonl: no such file");
  Status twice = s.WithContext("catalog");
  CHECK(twice.message() == "catalog: import products.jsonl: no such file");
  CHECK(s.message() == "import products.jsonl: no such file");  // the original is unchanged

  Status ok = Status::OK().WithContext("anything");
  CHECK(ok.ok());
  CHECK(ok.message().empty());
}

TEST_CASE("status: Result holds a value or an error", "[status]") {
  Result<int> value = 42;
  CHECK(value.ok());
  CHECK(static_cast<bool>(value));
  CHECK(value.status().ok());
  CHECK(*value == 42);
  CHECK(value.value() == 42);
  CHECK(value.value_or(7) == 42);

  Result<int> error = Status::OutOfStock("sku A-1");
  CHECK_FALSE(error.ok());
  CHECK_FALSE(static_cast<bool>(error));
  CHECK(error.status() == Status::OutOfStock("sku A-1"));
  CHECK(error.error().IsOutOfStock());
  CHECK(error.value_or(7) == 7);

  // An OK status carries no value: that is a bug, reported as Internal, not a value.
  Result<int> empty = Status::OK();
  CHECK_FALSE(empty.ok());
  CHECK(empty.status().IsInternal());

  Result<std::string> text = std::string("sku");
  CHECK(text->size() == 3);
  text.value() += "-1";
  CHECK(*text == "sku-1");
}

TEST_CASE("status: Result of a move-only value", "[status]") {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  REQUIRE(r.ok());
  CHECK(**r == 5);
  std::unique_ptr<int> taken = std::move(r).value();
  REQUIRE(taken != nullptr);
  CHECK(*taken == 5);

  Result<std::unique_ptr<int>> failed = Status::Unavailable("disk gone");
  CHECK(failed.status().IsUnavailable());
}

namespace {

// Runs `misuse` in a child process and returns what it wrote to stderr, REQUIRE-ing that it
// died of SIGABRT.
std::string AbortMessage(const std::function<void()>& misuse) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], 2);
    std::signal(SIGABRT, SIG_DFL);  // not Catch2's handler, which would report and carry on
    misuse();
    _exit(0);  // not reached when the misuse aborts
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int wstatus = 0;
  REQUIRE(waitpid(pid, &wstatus, 0) == pid);
  CHECK(WIFSIGNALED(wstatus));
  if (WIFSIGNALED(wstatus)) CHECK(WTERMSIG(wstatus) == SIGABRT);
  return out;
}

}  // namespace

TEST_CASE("status: value() of an error and error() of a value abort with the error, in every build",
          "[status]") {
  // Before: std::get threw std::bad_variant_access across the API (the comment promised an
  // abort), and in a build without exceptions handling the process died with no word.
  std::string said = AbortMessage([] {
    Result<int> r = Status::OutOfStock("sku A-1");
    (void)r.value();
  });
  CHECK(said.find("Result::value() called on an error") != std::string::npos);
  CHECK(said.find("OUT_OF_STOCK: sku A-1") != std::string::npos);

  said = AbortMessage([] {
    Result<std::string> r = Status::NotFound("gone");
    (void)r->size();
  });
  CHECK(said.find("NOT_FOUND: gone") != std::string::npos);

  said = AbortMessage([] {
    Result<int> r = 3;
    (void)r.error();
  });
  CHECK(said.find("Result::error() called on a value") != std::string::npos);
}

TEST_CASE("status: COMMERCE_RETURN_IF_ERROR and COMMERCE_ASSIGN_OR_RETURN", "[status]") {
  CHECK(FailsWith(Status::Conflict("busy")) == Status::Conflict("busy"));
  CHECK(FailsWith(Status::OK()).IsInternal());

  Result<int> q = Quarter(12);
  REQUIRE(q.ok());
  CHECK(*q == 3);
  CHECK(Quarter(6).status() == Status::InvalidArgument("3 is odd"));  // the second step fails
  CHECK(Quarter(5).status() == Status::InvalidArgument("5 is odd"));  // the first step fails
}

}  // namespace common_status_test
