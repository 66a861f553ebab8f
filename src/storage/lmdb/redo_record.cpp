#include "storage/lmdb/redo_record.h"

#include <cstdint>

namespace commerce::lmdb {

namespace {

enum : char { kOpPut = 'P', kOpDel = 'D' };

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    auto b = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

bool GetBytes(std::string_view* in, std::string_view* out) {
  uint64_t n;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

void PutBytes(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

}  // namespace

void AppendRedoPut(std::string* out, std::string_view table, std::string_view key,
                   std::string_view value) {
  out->push_back(kOpPut);
  PutBytes(out, table);
  PutBytes(out, key);
  PutBytes(out, value);
}

void AppendRedoDel(std::string* out, std::string_view table, std::string_view key) {
  out->push_back(kOpDel);
  PutBytes(out, table);
  PutBytes(out, key);
}

Status ForEachRedoOp(std::string_view in, const std::string& where,
                     const std::function<Status(const RedoOp&)>& fn) {
  while (!in.empty()) {
    char op = in.front();
    in.remove_prefix(1);
    RedoOp r;
    r.put = op == kOpPut;
    if (!GetBytes(&in, &r.table) || !GetBytes(&in, &r.key) || (r.put && !GetBytes(&in, &r.value)) ||
        (op != kOpPut && op != kOpDel))
      return Status::Corruption("log record in " + where + " does not decode");
    COMMERCE_RETURN_IF_ERROR(fn(r));
  }
  return Status::OK();
}

}  // namespace commerce::lmdb
