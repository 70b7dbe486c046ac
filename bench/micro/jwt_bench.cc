// Token verification: paid once per stream open (and per client publish), so it bounds how
// fast a node can accept a reconnect storm.
#include <benchmark/benchmark.h>

#include <string>

#include "auth/jwt.h"
#include "auth/secure_compare.h"

namespace {

const std::string kKey(64, 'k');
constexpr std::int64_t kNow = 1795829584;

std::string Token(std::size_t grants) {
  pushy::auth::Claims claims;
  claims.sub = "user123";
  for (std::size_t i = 0; i < grants; ++i) claims.channels.push_back("news." + std::to_string(i));
  claims.meta_json = R"({"name":"Ada"})";
  claims.iat = kNow;
  claims.exp = kNow + 3600;
  return pushy::auth::MintToken(claims, kKey);
}

void BM_VerifyToken(benchmark::State& state) {
  const std::string token = Token(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto claims = pushy::auth::VerifyToken(token, kKey, kNow);
    if (!claims) state.SkipWithError("token did not verify");
    benchmark::DoNotOptimize(claims);
  }
  state.counters["token_bytes"] = static_cast<double>(token.size());
}
BENCHMARK(BM_VerifyToken)->Arg(1)->Arg(10)->Arg(100);

// A forged signature is rejected before the payload is parsed: the cost of hostile tokens.
void BM_RejectBadSignature(benchmark::State& state) {
  std::string token = Token(1);
  token.back() = token.back() == 'A' ? 'B' : 'A';
  for (auto _ : state) benchmark::DoNotOptimize(pushy::auth::VerifyToken(token, kKey, kNow));
}
BENCHMARK(BM_RejectBadSignature);

void BM_MintToken(benchmark::State& state) {
  pushy::auth::Claims claims;
  claims.sub = "user123";
  claims.channels = {"news", "alerts.*"};
  claims.iat = kNow;
  claims.exp = kNow + 3600;
  for (auto _ : state) benchmark::DoNotOptimize(pushy::auth::MintToken(claims, kKey));
}
BENCHMARK(BM_MintToken);

}  // namespace

// The publisher's X-Client-ID / X-Client-Secret check: paid on every trusted publish.
void BM_PublisherCredentialsCheck(benchmark::State& state) {
  const pushy::auth::PublisherCredentials credentials("bench-publisher", "bench-publisher-secret");
  for (auto _ : state) {
    benchmark::DoNotOptimize(credentials.Check("bench-publisher", "bench-publisher-secret"));
  }
}
BENCHMARK(BM_PublisherCredentialsCheck);
