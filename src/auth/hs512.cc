#include "auth/hs512.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <climits>
#include <memory>
#include <string>

namespace pushy::auth {
namespace {

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

// Fetched once: the one-shot HMAC() looks the algorithms up in OpenSSL 3's provider tables on
// every call, which costs more than hashing a token.
EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

MacCtx KeyedContext(std::string_view key) {
  EVP_MAC* mac = HmacAlgorithm();
  if (mac == nullptr) return nullptr;
  MacCtx ctx(EVP_MAC_CTX_new(mac));
  if (!ctx) return nullptr;
  char digest[] = "SHA512";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  // OpenSSL reads a null key pointer as "reuse the previous key"; never hand it one.
  static constexpr unsigned char kNoKey = 0;
  const auto* key_ptr = key.empty() ? &kNoKey : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(ctx.get(), key_ptr, key.size(), params) != 1) return nullptr;
  return ctx;
}

// Every loop verifies tokens with the same AUTH_SECRET_KEY: each thread keys one context once
// (that hashes the key's inner and outer pads) and copies it per MAC.
class KeyedContextCache {
 public:
  ~KeyedContextCache() { OPENSSL_cleanse(key_.data(), key_.size()); }
  MacCtx Copy(std::string_view key) {
    if (!keyed_ || key != key_) {
      OPENSSL_cleanse(key_.data(), key_.size());
      key_.assign(key);
      keyed_ = KeyedContext(key);
    }
    if (!keyed_) return nullptr;
    return MacCtx(EVP_MAC_CTX_dup(keyed_.get()));
  }

 private:
  std::string key_;
  MacCtx keyed_;
};

}  // namespace

std::optional<Hs512Mac> Hs512(std::string_view key, std::string_view data) {
  if (key.size() > static_cast<std::size_t>(INT_MAX)) return std::nullopt;
  thread_local KeyedContextCache cache;
  const MacCtx ctx = cache.Copy(key);
  if (!ctx) return std::nullopt;
  Hs512Mac mac{};
  std::size_t size = 0;
  if (EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(ctx.get(), mac.data(), &size, mac.size()) != 1 || size != mac.size()) {
    return std::nullopt;
  }
  return mac;
}

bool Hs512Matches(std::string_view key, std::string_view data, std::string_view mac) {
  if (mac.size() != Hs512Mac{}.size()) return false;  // the length is public: no secret leaks
  const auto expected = Hs512(key, data);
  return expected && CRYPTO_memcmp(expected->data(), mac.data(), mac.size()) == 0;
}

}  // namespace pushy::auth
