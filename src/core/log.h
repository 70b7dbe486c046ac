#pragma once

#include <string_view>

namespace pushy::log {

// Leveled logging to stderr, one line per call. Callers must never pass a token, secret or
// credential: log messages name settings and requests, never their sensitive values.
enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLevel(Level level);
bool ParseLevel(std::string_view text, Level& level);
bool Enabled(Level level);
void Write(Level level, std::string_view message);

inline void Debug(std::string_view m) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, m);
}
inline void Info(std::string_view m) { Write(Level::kInfo, m); }
inline void Warn(std::string_view m) { Write(Level::kWarn, m); }
inline void Error(std::string_view m) { Write(Level::kError, m); }

}  // namespace pushy::log
