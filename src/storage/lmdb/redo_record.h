// The payload of one log record: the puts and deletes a group made, in order, as redo
// operations that replay applies to LMDB by table name.
//
// Encoding, one operation after another:
//     'P' | varint len | table name | varint len | key | varint len | value
//     'D' | varint len | table name | varint len | key
// Table names rather than ids: ids are per-open (the order tables were opened in), names are
// what the store keeps.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "commerce/status.h"

namespace commerce::lmdb {

struct RedoOp {
  bool put = true;  // false: delete
  std::string_view table;
  std::string_view key;
  std::string_view value;  // empty for a delete
};

void AppendRedoPut(std::string* out, std::string_view table, std::string_view key,
                   std::string_view value);
void AppendRedoDel(std::string* out, std::string_view table, std::string_view key);

// Calls fn for each operation of `payload` in order; stops at fn's first error. Corruption
// (naming `where`) when the payload does not decode: its CRC matched, so the writer wrote it
// that way, which no version of this driver does.
Status ForEachRedoOp(std::string_view payload, const std::string& where,
                     const std::function<Status(const RedoOp&)>& fn);

}  // namespace commerce::lmdb
