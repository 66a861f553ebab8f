// commerce verify: channels (src/channels/channel_store.h).
//
//   - every channel decodes and is stored under its id;
//   - the warehouses and categories it names exist (neither is ever deleted, so a missing one
//     is a damaged store, not an old reference);
//   - the channel count in meta is the number of channels, and is present when any exists (it
//     is what makes carts and orders check their channel).
#include "catalog/catalog_store.h"
#include "channels/channel_store.h"
#include "common/key.h"
#include "verify/check_context.h"

namespace commerce::verify {

namespace {
constexpr const char* kChannelsCheck = "channels";
}  // namespace

void CheckChannels(CheckContext& c) {
  uint64_t channels = 0;
  c.Scan(kChannelsCheck, "channels", [&](std::string_view key, std::string_view value) {
    ++channels;
    Channel ch;
    if (!DecodeRecord(c, "channels", key, value, [&] { return DecodeChannel(key, value, &ch); }))
      return true;
    const std::string where = Where("channels", key);
    if (key != ChannelKey(ch.id)) c.Problem(kChannelsCheck, where, "holds channel '" + ch.id + "'");
    for (const std::string& w : ch.warehouse_ids)
      if (!c.Has(kChannelsCheck, "warehouses", KeyBuilder().str(w).key()))
        c.Problem(kChannelsCheck, where, "sells from warehouse '" + w + "', which does not exist");
    for (const std::string& cat : ch.category_ids)
      if (!c.Has(kChannelsCheck, "categories", KeyBuilder().str(cat).key()))
        c.Problem(kChannelsCheck, where, "shows category '" + cat + "', which does not exist");
    return true;
  }, /*count=*/true);
  auto count = c.Get(kChannelsCheck, "meta", ChannelCountKey());
  if (!count) {
    if (channels > 0)
      c.Problem(kChannelsCheck, Where("meta", ChannelCountKey()),
                "is missing: the store holds " + std::to_string(channels) + " channels");
    return;
  }
  auto n = KeyReader(*count).u64();
  if (n && *n != channels)
    c.Problem(kChannelsCheck, Where("meta", ChannelCountKey()),
              "counts " + std::to_string(*n) + " channels; the store holds " +
                  std::to_string(channels));
}

}  // namespace commerce::verify
