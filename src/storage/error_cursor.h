// A cursor that is never valid and answers one error: what a driver hands out where it cannot
// give a real cursor (an unknown table, a transaction that reads by key only).
#pragma once

#include <string_view>
#include <utility>

#include "commerce/storage.h"

namespace commerce {

class ErrorCursor final : public Cursor {
 public:
  explicit ErrorCursor(Status status) : status_(std::move(status)) {}
  bool valid() const override { return false; }
  void seek(std::string_view) override {}
  void seek_to_first() override {}
  void next() override {}
  std::string_view key() const override { return {}; }
  std::string_view value() const override { return {}; }
  Status status() const override { return status_; }

 private:
  Status status_;
};

}  // namespace commerce
