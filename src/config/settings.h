#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

// The one declarative table of settings. Loading, validation, --help and the docs are all
// derived from it: adding a setting means adding a Config field and one row in settings.cc.
// The table is constant; any thread may read it.
namespace pushy::config {

// The kind of text a setting takes: picks its parser and how the help describes it.
enum class Kind {
  kText,      // any non-empty text
  kSecret,    // non-empty text that no message may ever show
  kHost,      // IPv4/IPv6 literal or hostname
  kRedisUrl,  // empty (embedded broker) or a redis[s]:// URL; messages redact its password
  kInteger,   // strict decimal within [min, max]
  kBool,      // a flag without a value; the variable takes 1/true/yes/0/false/no
  kOrigins,   // "*" or comma-separated http(s) origins
  kChoice,    // one of `choices`
};

// Where a parsed value lands in Config.
using Field = std::variant<std::string Config::*, std::uint16_t Config::*, std::size_t Config::*,
                           unsigned Config::*, std::chrono::seconds Config::*, bool Config::*,
                           std::vector<std::string> Config::*>;

struct Setting {
  std::string_view env = {};   // environment variable
  std::string_view flag = {};  // command-line flag, with its leading "--"
  Kind kind = Kind::kText;
  Field field = {};
  std::uint64_t min = 0;             // kInteger: inclusive bounds
  std::uint64_t max = 0;             //
  std::string_view choices = {};     // kChoice: "a|b|c"
  bool required = false;             // no default: must be given unless demo mode supplies it
  std::string_view demo_value = {};  // what demo mode uses when the setting is not given
  std::string_view doc = {};         // one line for --help and the docs
};

std::span<const Setting> Settings();

// The row whose flag is `flag` (with "--"), or nullptr.
const Setting* FindByFlag(std::string_view flag);

// The row that turns demo mode on; read first since it changes other rows' defaults.
const Setting& DemoSetting();

// The value `field` holds in `config`, as text ("" for an empty string, "15" for 15 s).
std::string FormatField(const Config& config, const Field& field);

// Whether `field` holds a duration in seconds (for "seconds" in messages and help).
bool IsSeconds(const Field& field);

}  // namespace pushy::config
