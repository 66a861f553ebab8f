// The Channels API (channels.h): each write is one checked change set holding the channel's
// record, the store's channel count (meta) and a ChannelUpserted or ChannelRemoved event;
// carts (cart/carts.cpp) and order placement (order/order_placement.cpp) enforce a channel
// through channel_store.h.
#include "commerce/channels.h"

#include "catalog/catalog_store.h"
#include "channels/channel_store.h"
#include "channels/channel_validation.h"
#include "common/ids.h"
#include "common/selector_key.h"
#include "engine/engine_core.h"
#include "engine/meta_count.h"
#include "engine/replaced_record.h"
#include "events/event_json.h"
#include "events/event_log.h"
#include "inventory/warehouse_store.h"

namespace commerce {

namespace {

// Its warehouses and categories must exist: a typo would otherwise sell from nowhere or show
// nothing, silently. Warehouses and categories are never deleted, so the reads need no check.
Status CheckReferences(ReadView& view, const Tables& t, const Channel& c) {
  for (size_t i = 0; i < c.warehouse_ids.size(); ++i) {
    auto w = GetWarehouse(view, t, c.warehouse_ids[i]);
    if (w.status().IsNotFound())
      return Status::InvalidArgument("warehouse_ids[" + std::to_string(i) + "]: no warehouse with id '" +
                                     c.warehouse_ids[i] + "'");
    COMMERCE_RETURN_IF_ERROR(w.status());
  }
  for (size_t i = 0; i < c.category_ids.size(); ++i) {
    auto cat = GetCategory(view, t, c.category_ids[i]);
    if (cat.status().IsNotFound())
      return Status::InvalidArgument("category_ids[" + std::to_string(i) + "]: no category with id '" +
                                     c.category_ids[i] + "'");
    COMMERCE_RETURN_IF_ERROR(cat.status());
  }
  return Status::OK();
}

// The channel count, expected as read; absent (a store that never had a channel) reads as 0.
Result<uint64_t> ReadCount(ReadView& view, const Tables& t, ChangeSet& changes) {
  COMMERCE_ASSIGN_OR_RETURN(std::optional<uint64_t> n,
                            ReadExpectedCount(view, t.meta, ChannelCountKey(), "channel count", changes));
  return n.value_or(0);
}

std::string EventData(const Channel& c, bool created) {
  EventJson d;
  d.str("channel_id", c.id).str("name", c.name).str("default_currency", c.default_currency);
  d.strings("currencies", ChannelCurrencies(c));
  d.strings("warehouse_ids", c.warehouse_ids);
  d.u64("category_ids", c.category_ids.size()).u64("product_ids", c.product_ids.size());
  d.u64("excluded_product_ids", c.excluded_product_ids.size());
  return d.u64("version", c.version).boolean("created", created).done();
}

}  // namespace

Result<Channel> Channels::create(const Channel& c) {
  COMMERCE_RETURN_IF_ERROR(ValidateChannel(c));
  const Tables& t = core_->tables;
  Channel stored = c;
  stored.created_at_ms = stored.updated_at_ms = EngineCore::NowMs();
  stored.version = 1;
  const std::string key = ChannelKey(stored.id);
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    std::string_view unused;
    Status s = view.get(t.channels, key, &unused);
    if (s.ok()) return Status::AlreadyExists("id: channel '" + stored.id + "' exists");
    if (!s.IsNotFound()) return s;
    COMMERCE_ASSIGN_OR_RETURN(uint64_t count, ReadCount(view, t, changes));
    if (count >= kMaxChannels)
      return Status::ResourceExhausted("a store holds at most " + std::to_string(kMaxChannels) +
                                       " channels; remove or reuse an old one");
    COMMERCE_RETURN_IF_ERROR(CheckReferences(view, t, stored));
    changes.insert(t.channels, key, EncodeChannel(stored));
    PutCount(t.meta, ChannelCountKey(), count + 1, changes);
    AppendEvent(changes, t.events, "ChannelUpserted", stored.id, EventData(stored, true),
                stored.created_at_ms);
    return changes.status();
  });
  COMMERCE_RETURN_IF_ERROR(applied.status());
  return stored;
}

Result<Channel> Channels::update(const Channel& c, std::optional<uint64_t> if_version) {
  COMMERCE_RETURN_IF_ERROR(ValidateChannel(c));
  const Tables& t = core_->tables;
  const std::string key = ChannelKey(c.id);
  const int64_t now = EngineCore::NowMs();
  Channel stored;
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(auto replaced, ReadReplaced<Channel>(view, t.channels, key, "channel", c.id,
                                                          if_version, DecodeChannel));
    const std::string& old_bytes = replaced.bytes;
    const Channel& old = replaced.record;
    COMMERCE_RETURN_IF_ERROR(CheckReferences(view, t, c));
    stored = c;
    stored.created_at_ms = old.created_at_ms;
    stored.updated_at_ms = now;
    stored.version = old.version + 1;
    changes.expect(t.channels, key, old_bytes);
    changes.put(t.channels, key, EncodeChannel(stored));
    AppendEvent(changes, t.events, "ChannelUpserted", stored.id, EventData(stored, false), now);
    return changes.status();
  });
  COMMERCE_RETURN_IF_ERROR(applied.status());
  return stored;
}

Result<Channel> Channels::get(std::string_view id) {
  COMMERCE_RETURN_IF_ERROR(CheckSelectorKey("id", id));
  if (id.empty()) return Status::InvalidArgument("id: required");
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return GetChannel(*txn, core_->tables, id);
}

Result<std::vector<Channel>> Channels::list() {
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return ListChannels(*txn, core_->tables);
}

Status Channels::remove(std::string_view id, std::optional<uint64_t> if_version) {
  COMMERCE_RETURN_IF_ERROR(CheckSelectorKey("id", id));
  if (id.empty()) return Status::InvalidArgument("id: required");
  const Tables& t = core_->tables;
  const std::string key = ChannelKey(id);
  const int64_t now = EngineCore::NowMs();
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(auto replaced, ReadReplaced<Channel>(view, t.channels, key, "channel", id,
                                                          if_version, DecodeChannel));
    const std::string& old_bytes = replaced.bytes;
    const Channel& old = replaced.record;
    COMMERCE_ASSIGN_OR_RETURN(uint64_t count, ReadCount(view, t, changes));
    changes.expect(t.channels, key, old_bytes);
    changes.del(t.channels, key);
    // The count stays, at 0 too: the store has had channels, and keys must still name one.
    PutCount(t.meta, ChannelCountKey(), count > 0 ? count - 1 : 0, changes);
    EventJson d;
    d.str("channel_id", old.id).u64("version", old.version);
    AppendEvent(changes, t.events, "ChannelRemoved", old.id, d.done(), now);
    return changes.status();
  });
  return applied.status();
}

Result<bool> Channels::visible(std::string_view channel_id, std::string_view product_id) {
  COMMERCE_RETURN_IF_ERROR(CheckSelectorKey("channel_id", channel_id));
  if (channel_id.empty()) return Status::InvalidArgument("channel_id: required");
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("product_id", product_id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  const Tables& t = core_->tables;
  COMMERCE_ASSIGN_OR_RETURN(Channel c, GetChannel(*txn, t, channel_id));
  COMMERCE_ASSIGN_OR_RETURN(Product p, GetProduct(*txn, t, product_id));
  return VisibleIn(c, p);
}

}  // namespace commerce
