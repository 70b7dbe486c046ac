#include "auth/hs512.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>

namespace pushy::auth {

std::optional<Hs512Mac> Hs512(std::string_view key, std::string_view data) {
  if (key.size() > static_cast<std::size_t>(INT_MAX)) return std::nullopt;
  // OpenSSL reads a null key pointer as "reuse the previous key"; never hand it one.
  static constexpr unsigned char kNoKey = 0;
  const void* key_ptr = key.empty() ? &kNoKey : static_cast<const void*>(key.data());
  Hs512Mac mac{};
  unsigned int size = 0;
  const unsigned char* out =
      HMAC(EVP_sha512(), key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &size);
  if (out == nullptr || size != mac.size()) return std::nullopt;
  return mac;
}

bool Hs512Matches(std::string_view key, std::string_view data, std::string_view mac) {
  if (mac.size() != Hs512Mac{}.size()) return false;  // the length is public: no secret leaks
  const auto expected = Hs512(key, data);
  return expected && CRYPTO_memcmp(expected->data(), mac.data(), mac.size()) == 0;
}

}  // namespace pushy::auth
