#include "server/token_command.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <iostream>
#include <map>

#include "auth/jwt.h"
#include "channels/name.h"
#include "core/clock.h"

namespace pushy::server {
namespace {

constexpr const char* kUsage =
    "usage: pushy token --sub SUBJECT --channels 'a,b.*' [--ttl SECONDS] [--meta JSON]\n"
    "                   [--auth-secret-key KEY]\n"
    "Mints an HS512 client token offline; the key comes from AUTH_SECRET_KEY unless given.\n";

int Fail(const std::string& message) {
  std::cerr << "pushy token: " << message << "\n" << kUsage;
  return 2;
}

std::map<std::string, std::string> ParseFlags(std::span<const std::string> args,
                                              std::string& error) {
  std::map<std::string, std::string> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (!arg.starts_with("--")) {
      error = "unexpected argument \"" + arg + "\"";
      return {};
    }
    std::string value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      error = arg + " needs a value";
      return {};
    }
    const std::string name = arg.substr(2);
    if (name != "sub" && name != "channels" && name != "ttl" && name != "meta" &&
        name != "auth-secret-key") {
      error = "unknown flag --" + name;  // never echo the value: it could be a secret
      return {};
    }
    flags[name] = value;
  }
  return flags;
}

}  // namespace

int RunTokenCommand(std::span<const std::string> args, const config::Environment& env) {
  std::string error;
  auto flags = ParseFlags(args, error);
  if (!error.empty()) return Fail(error);
  std::string key = flags.count("auth-secret-key") ? flags["auth-secret-key"] : "";
  if (key.empty()) {
    if (auto it = env.find("AUTH_SECRET_KEY"); it != env.end()) key = it->second;
  }
  if (key.empty()) return Fail("AUTH_SECRET_KEY is required (environment or --auth-secret-key)");
  if (key.size() < 64) {
    std::cerr << "pushy token: warning: AUTH_SECRET_KEY is shorter than 64 bytes\n";
  }
  auth::Claims claims;
  claims.sub = flags["sub"];
  if (claims.sub.empty()) return Fail("--sub is required");
  std::string_view list = flags["channels"];
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string entry(list.substr(0, comma));
    if (channels::Classify(entry) == channels::EntryKind::kInvalid) {
      return Fail("invalid channel \"" + entry + "\"");
    }
    claims.channels.push_back(entry);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  if (claims.channels.empty()) return Fail("--channels is required");
  std::int64_t ttl = 3600;
  if (flags.count("ttl")) {
    const std::string& text = flags["ttl"];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ttl);
    if (ec != std::errc{} || end != text.data() + text.size() || ttl <= 0) {
      return Fail("--ttl must be a positive number of seconds");
    }
  }
  if (flags.count("meta")) {
    boost::system::error_code ec;
    const auto meta = boost::json::parse(flags["meta"], ec);
    if (ec || !meta.is_object()) return Fail("--meta must be a JSON object");
    claims.meta_json = boost::json::serialize(meta);
  }
  const std::int64_t now = SystemClock::Instance().NowSeconds();
  claims.iat = now;
  claims.exp = now + ttl;
  std::cout << auth::MintToken(claims, key) << "\n";
  return 0;
}

}  // namespace pushy::server
