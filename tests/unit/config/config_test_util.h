#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace pushy::config {

// 64 bytes: long enough that no warning is expected.
inline const std::string kGoodKey(64, 'k');

// The least environment that loads: the three required settings.
inline Environment RequiredEnv() {
  return {{"AUTH_SECRET_KEY", kGoodKey},
          {"PUBLISHER_CLIENT_ID", "pub-id"},
          {"PUBLISHER_CLIENT_SECRET", "pub-secret"}};
}

inline LoadResult LoadArgs(const Environment& env, const std::vector<std::string>& args = {}) {
  return Load(env, args);
}

// RequiredEnv() plus one more variable.
inline LoadResult LoadEnv(const std::string& name, const std::string& value) {
  Environment env = RequiredEnv();
  env[name] = value;
  return Load(env, {});
}

}  // namespace pushy::config
