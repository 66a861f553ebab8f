// ChangeSet (storage.h): building a program of checked changes on the caller's thread, and
// the stored form of counters records. Applying one is change_apply.cpp's.
#include <zlib.h>

#include <cstring>

#include "commerce/storage.h"

namespace commerce {

namespace {

void PutBigEndian(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<char>(v & 0xff);
  out->append(b, 8);
}

uint64_t GetBigEndian(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint32_t Crc(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

const char* KindName(ChangeSet::OpKind k) {
  switch (k) {
    case ChangeSet::OpKind::kExpect: return "expect";
    case ChangeSet::OpKind::kExpectAbsent: return "expect_absent";
    case ChangeSet::OpKind::kPut: return "put";
    case ChangeSet::OpKind::kInsert: return "insert";
    case ChangeSet::OpKind::kDel: return "del";
    case ChangeSet::OpKind::kAdd: return "add";
    case ChangeSet::OpKind::kAppend: return "append";
  }
  return "?";
}

}  // namespace

std::string EncodeCounters(const Counters& c) {
  std::string out;
  out.reserve(2 + 8 * c.size + 4);
  out.push_back(static_cast<char>(kCountersMagic));
  out.push_back(static_cast<char>(c.size));
  for (size_t i = 0; i < c.size && i < kMaxCounters; ++i) PutBigEndian(&out, static_cast<uint64_t>(c.v[i]));
  const uint32_t crc = Crc(out);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

Result<Counters> DecodeCounters(std::string_view bytes) {
  auto bad = [&](const char* why) {
    return Status::Corruption(std::string("counters record (") + std::to_string(bytes.size()) +
                              " bytes) " + why);
  };
  if (bytes.size() < 2 || static_cast<uint8_t>(bytes[0]) != kCountersMagic) return bad("has no counters header");
  Counters c;
  c.size = static_cast<uint8_t>(bytes[1]);
  if (c.size < 1 || c.size > kMaxCounters) return bad("claims a count outside 1..4");
  if (bytes.size() != 2 + 8 * size_t{c.size} + 4) return bad("has the wrong length for its count");
  const size_t body = bytes.size() - 4;
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= uint32_t{static_cast<unsigned char>(bytes[body + i])} << (8 * i);
  if (stored != Crc(bytes.substr(0, body))) return bad("fails its checksum");
  for (size_t i = 0; i < c.size; ++i) c.v[i] = static_cast<int64_t>(GetBigEndian(bytes.data() + 2 + 8 * i));
  return c;
}

ChangeSet::Op& ChangeSet::push(OpKind kind, Table table, std::string_view key, std::string_view value) {
  Op& op = ops_.emplace_back();
  op.kind = kind;
  op.table = table;
  if (kind != OpKind::kAppend) {
    if (key.empty()) fail(std::string(KindName(kind)) + ": empty key");
    else if (key.size() > kMaxKeySize)
      fail(std::string(KindName(kind)) + ": key of " + std::to_string(key.size()) +
           " bytes exceeds " + std::to_string(kMaxKeySize));
  }
  if (bytes_.size() + key.size() + value.size() > UINT32_MAX) fail("change set larger than 4 GiB");
  op.key_at = static_cast<uint32_t>(bytes_.size());
  op.key_size = static_cast<uint32_t>(key.size());
  bytes_.append(key);
  op.value_at = static_cast<uint32_t>(bytes_.size());
  op.value_size = static_cast<uint32_t>(value.size());
  bytes_.append(value);
  return op;
}

void ChangeSet::fail(std::string message) {
  if (status_.ok())
    status_ = Status::InvalidArgument("change " + std::to_string(ops_.size() - 1) + " of a change set: " + message);
}

ChangeSet& ChangeSet::expect(Table table, std::string_view key, std::string_view value) {
  push(OpKind::kExpect, table, key, value);
  return *this;
}

ChangeSet& ChangeSet::expect_absent(Table table, std::string_view key) {
  push(OpKind::kExpectAbsent, table, key, {});
  return *this;
}

ChangeSet& ChangeSet::put(Table table, std::string_view key, std::string_view value) {
  push(OpKind::kPut, table, key, value);
  return *this;
}

ChangeSet& ChangeSet::insert(Table table, std::string_view key, std::string_view value) {
  push(OpKind::kInsert, table, key, value);
  return *this;
}

ChangeSet& ChangeSet::del(Table table, std::string_view key) {
  push(OpKind::kDel, table, key, {});
  return *this;
}

ChangeSet& ChangeSet::add(Table table, std::string_view key, const CounterChange& change) {
  Op& op = push(OpKind::kAdd, table, key, {});
  op.change = change;
  ++adds_;
  if (change.size < 1 || change.size > kMaxCounters) {
    fail("add: counter count " + std::to_string(change.size) + " outside 1..4");
  } else if (change.bound_count > kMaxCounters) {
    fail("add: more than 4 bounds");
  } else {
    for (size_t i = 0; i < change.bound_count; ++i) {
      const CounterBound& b = change.bounds[i];
      if (b.a >= change.size || b.minus >= static_cast<int>(change.size) || b.min > b.max)
        fail("add: bound " + std::to_string(i) + " names a counter it does not have or is empty");
    }
  }
  return *this;
}

ChangeSet& ChangeSet::append(Table log, std::string_view value, int32_t counters_of) {
  Op& op = push(OpKind::kAppend, log, {}, value);
  op.counters_of = counters_of;
  if (counters_of < -1 || counters_of >= static_cast<int32_t>(adds_))
    fail("append: counters_of " + std::to_string(counters_of) + " names no earlier add");
  ++appends_;
  return *this;
}

ChangeSet& ChangeSet::with_seq(int32_t append_index, size_t offset, bool invert, bool in_value) {
  if (ops_.empty()) {
    if (status_.ok()) status_ = Status::InvalidArgument("with_seq: no change to give a slot to");
    return *this;
  }
  Op& op = ops_.back();
  if (op.kind != OpKind::kPut && op.kind != OpKind::kDel) {
    fail("with_seq: only a put or a del may hold a sequence slot");
  } else if (append_index < 0 || append_index >= static_cast<int32_t>(appends_)) {
    fail("with_seq: append " + std::to_string(append_index) + " does not precede it");
  } else if (offset + 8 > (in_value ? op.value_size : op.key_size)) {
    fail("with_seq: 8 bytes at offset " + std::to_string(offset) + " are outside the " +
         (in_value ? "value" : "key"));
  } else {
    op.seq_of = append_index;
    op.seq_offset = static_cast<uint32_t>(offset);
    op.seq_invert = invert;
    op.seq_in_value = in_value;
  }
  return *this;
}

}  // namespace commerce
