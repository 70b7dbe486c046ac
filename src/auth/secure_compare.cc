#include "auth/secure_compare.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>

namespace pushy::auth {
namespace {

using Digest = std::array<unsigned char, 64>;

// Fetched once: EVP_sha512() makes OpenSSL 3 look the algorithm up in its provider tables (under
// a lock) on every digest, which costs more than the hashing of a short secret.
const EVP_MD* Sha512Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  return md;
}

Digest Sha512(std::string_view bytes) {
  Digest digest{};
  unsigned int size = 0;
  const EVP_MD* md = Sha512Algorithm();
  // Fails only if libcrypto itself is broken; comparing against a zero digest would then
  // accept anything that also failed, so stop instead.
  if (md == nullptr ||
      EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, md, nullptr) != 1 ||
      size != digest.size()) {
    std::abort();
  }
  return digest;
}

bool DigestsEqual(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return DigestsEqual(Sha512(a), Sha512(b));
}

PublisherCredentials::PublisherCredentials(std::string id, std::string secret)
    : id_digest_(Sha512(id)), secret_digest_(Sha512(secret)) {
  // Neither is kept in plain form; the secret must not linger in freed memory either.
  OPENSSL_cleanse(id.data(), id.size());
  OPENSSL_cleanse(secret.data(), secret.size());
}

bool PublisherCredentials::Check(std::string_view id, std::string_view secret) const {
  const bool id_ok = DigestsEqual(Sha512(id), id_digest_);
  const bool secret_ok = DigestsEqual(Sha512(secret), secret_digest_);
  return id_ok && secret_ok;  // both already computed: no early exit to time
}

}  // namespace pushy::auth
