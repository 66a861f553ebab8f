// Tests of SipHash-2-4 (src/common/siphash.cpp): the paper's example, and agreement with
// OpenSSL's own SipHash (EVP_MAC "SIPHASH") on every length from 0 to 64 bytes under random
// keys, so a slip in the last block's padding or a rotation shows at once.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdint>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "common/siphash.h"

namespace common_siphash_test {

namespace {

uint64_t OpenSslSipHash(const unsigned char key[16], const std::string& data) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
  REQUIRE(mac);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  size_t size = 8;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_construct_end()};
  REQUIRE(EVP_MAC_init(ctx, key, 16, params) == 1);
  REQUIRE(EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1);
  unsigned char out[8];
  size_t got = 0;
  REQUIRE(EVP_MAC_final(ctx, out, &got, sizeof out) == 1);
  REQUIRE(got == 8);
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | out[i];  // little-endian, as the reference writes it
  return v;
}

}  // namespace

TEST_CASE("siphash: the reference example", "[common][siphash]") {
  unsigned char key[16];
  for (int i = 0; i < 16; ++i) key[i] = static_cast<unsigned char>(i);
  std::string msg;
  for (int i = 0; i < 15; ++i) msg.push_back(static_cast<char>(i));
  CHECK(commerce::SipHash24(commerce::SipKeyFromBytes(key), msg) == 0xa129ca6149be45e5ULL);
}

TEST_CASE("siphash: agrees with OpenSSL on every length to 64 bytes", "[common][siphash]") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 4; ++round) {
    unsigned char key[16];
    for (auto& b : key) b = static_cast<unsigned char>(rng());
    std::string data;
    for (size_t n = 0; n <= 64; ++n) {
      INFO("round " << round << ", " << n << " bytes");
      CHECK(commerce::SipHash24(commerce::SipKeyFromBytes(key), data) == OpenSslSipHash(key, data));
      data.push_back(static_cast<char>(rng()));
    }
  }
}

}  // namespace common_siphash_test
