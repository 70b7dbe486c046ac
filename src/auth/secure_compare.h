#pragma once

#include <array>
#include <string>
#include <string_view>

namespace pushy::auth {

// True when `a` and `b` hold the same bytes. Both are hashed (SHA-512) and the digests compared
// with CRYPTO_memcmp, so the time taken depends on neither where they differ nor on whether their
// lengths agree. Pure; any thread may call.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// The publisher's client id and secret (PUBLISHER_CLIENT_ID / PUBLISHER_CLIENT_SECRET). Only
// their SHA-512 digests are kept; the plain secret is wiped once hashed. Immutable after
// construction, so any thread may call Check() concurrently.
class PublisherCredentials {
 public:
  PublisherCredentials(std::string id, std::string secret);

  // Both halves are always compared, in constant time, so a caller cannot learn which was wrong.
  bool Check(std::string_view id, std::string_view secret) const;

 private:
  using Digest = std::array<unsigned char, 64>;

  Digest id_digest_;
  Digest secret_digest_;
};

}  // namespace pushy::auth
