#include "config/config.h"

#include <unistd.h>

#include <algorithm>
#include <string_view>
#include <type_traits>
#include <variant>

#include "config/redis_url.h"
#include "config/settings.h"
#include "config/value_parsers.h"

namespace pushy::config {
namespace {

// What a parser made of a setting's text, before it is stored in its Config field.
using Value = std::variant<std::string, std::uint64_t, bool, std::vector<std::string>>;

// Flag values by setting (keyed by env name), as given on the command line.
struct Flags {
  std::map<std::string_view, std::string, std::less<>> values;
  bool help = false;
  std::string error;  // the first problem; reported only when help was not asked for
};

void FlagError(Flags& flags, std::string message) {
  if (flags.error.empty()) flags.error = std::move(message);
}

// Never quotes a positional argument or the value part of an unknown flag: a secret typed with
// an unquoted space, or under a misspelt flag, would otherwise end up in the log.
Flags ParseFlags(std::span<const std::string> args) {
  Flags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
      continue;
    }
    if (!arg.starts_with('-') || arg == "-") {
      FlagError(flags, "unexpected argument #" + std::to_string(i + 1) +
                           ": settings are flags such as --port=4000 (see --help)");
      continue;
    }
    const auto eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    const Setting* setting = FindByFlag(name);
    if (setting == nullptr) {
      FlagError(flags, "unknown flag " + std::string(name) + " (see --help)");
      continue;
    }
    if (eq != std::string_view::npos) {
      flags.values[setting->env] = std::string(arg.substr(eq + 1));
    } else if (setting->kind == Kind::kBool) {
      flags.values[setting->env] = "true";
    } else if (i + 1 < args.size() && !args[i + 1].starts_with("--") && args[i + 1] != "-h") {
      flags.values[setting->env] = args[++i];
    } else {
      FlagError(flags, std::string(name) + " needs a value (" + std::string(name) + " VALUE or " +
                           std::string(name) + "=VALUE)");
    }
  }
  return flags;
}

// The text given for `setting`: its flag, else its variable; an empty variable counts as unset
// (`FOO= cmd` and compose files leave them behind), an empty flag value does not.
std::optional<std::string_view> RawValue(const Setting& setting, const Flags& flags,
                                         const Environment& env) {
  if (const auto it = flags.values.find(setting.env); it != flags.values.end()) return it->second;
  if (const auto it = env.find(setting.env); it != env.end() && !it->second.empty()) {
    return it->second;
  }
  return std::nullopt;
}

std::string Name(const Setting& setting) {
  return std::string(setting.env) + " (" + std::string(setting.flag) + ")";
}

// "NAME (--flag): problem, got "text"", showing the text only where it holds no secret.
std::string Describe(const Setting& setting, std::string_view problem, std::string_view raw) {
  std::string message = Name(setting) + ": " + std::string(problem);
  if (setting.kind == Kind::kSecret) return message;
  const std::string shown =
      setting.kind == Kind::kRedisUrl ? RedactRedisUrl(raw) : std::string(raw);
  return message + ", got " + QuoteForMessage(shown);
}

Parsed<Value> ParseInteger(const Setting& setting, std::string_view raw) {
  const auto number = ParseDecimal(raw);
  if (number && *number >= setting.min && *number <= setting.max) return {*number, {}};
  return Parsed<Value>::Fail("must be an integer between " + std::to_string(setting.min) + " and " +
                             std::to_string(setting.max) +
                             (IsSeconds(setting.field) ? " (seconds)" : ""));
}

Parsed<Value> ParseChoice(const Setting& setting, std::string_view raw) {
  std::string lower(raw);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  std::string_view choices = setting.choices;
  while (!choices.empty()) {
    const auto bar = choices.find('|');
    if (choices.substr(0, bar) == lower) return {std::move(lower), {}};
    choices = bar == std::string_view::npos ? std::string_view() : choices.substr(bar + 1);
  }
  return Parsed<Value>::Fail("must be one of " + std::string(setting.choices));
}

template <typename T>
Parsed<Value> Widen(Parsed<T> parsed) {
  if (!parsed.value) return Parsed<Value>::Fail(std::move(parsed.problem));
  return {std::move(*parsed.value), {}};
}

Parsed<Value> ParseValue(const Setting& setting, std::string_view raw) {
  switch (setting.kind) {
    case Kind::kText:
    case Kind::kSecret:
      if (raw.empty()) return Parsed<Value>::Fail("must not be empty");
      return {std::string(raw), {}};
    case Kind::kHost:
      return Widen(ParseHost(raw));
    case Kind::kRedisUrl:
      if (raw.empty()) return {std::string(), {}};  // lets --redis-url= override the variable
      if (auto url = ParseRedisUrl(raw); !url.value) return Parsed<Value>::Fail(url.problem);
      return {std::string(raw), {}};
    case Kind::kInteger:
      return ParseInteger(setting, raw);
    case Kind::kBool:
      if (const auto flag = ParseBool(raw)) return {*flag, {}};
      return Parsed<Value>::Fail("must be one of 1, true, yes, 0, false, no");
    case Kind::kOrigins:
      return Widen(ParseOrigins(raw));
    case Kind::kChoice:
      return ParseChoice(setting, raw);
  }
  return Parsed<Value>::Fail("has an unknown kind");  // unreachable: the switch is exhaustive
}

// Stores `value` in the field the row names. Kinds and field types are paired in the table;
// the row tests load every setting, so a mismatch fails there (std::get throws).
void Store(const Field& field, Value value, Config& config) {
  std::visit(
      [&](auto member) {
        using Target = std::decay_t<decltype(config.*member)>;
        if constexpr (std::is_same_v<Target, std::chrono::seconds>) {
          config.*member = std::chrono::seconds(std::get<std::uint64_t>(value));
        } else if constexpr (std::is_integral_v<Target> && !std::is_same_v<Target, bool>) {
          config.*member = static_cast<Target>(std::get<std::uint64_t>(value));
        } else {
          config.*member = std::get<Target>(std::move(value));
        }
      },
      field);
}

// Parses one setting into `config`; returns the error message, empty on success.
std::string Apply(const Setting& setting, std::string_view raw, Config& config) {
  Parsed<Value> parsed = ParseValue(setting, raw);
  if (!parsed.value) return Describe(setting, parsed.problem, raw);
  Store(setting.field, std::move(*parsed.value), config);
  return {};
}

std::string RequiredMessage(const Setting& setting) {
  return std::string(setting.env) + " is required (set the environment variable or " +
         std::string(setting.flag) + ")";
}

// Rules that involve more than one setting.
std::string CrossCheck(const Config& config) {
  if (config.token_ttl > config.max_token_ttl) {
    const Setting& row = *FindByFlag("--token-ttl");
    return Name(row) + ": must not exceed MAX_TOKEN_TTL (" +
           std::to_string(config.max_token_ttl.count()) + "), got " +
           QuoteForMessage(std::to_string(config.token_ttl.count()));
  }
  return {};
}

void AddWarnings(const Config& config, const std::vector<std::string_view>& demo_defaults,
                 std::vector<std::string>& warnings) {
  if (!config.auth_secret_key.empty() && config.auth_secret_key.size() < 64) {
    warnings.push_back(Name(*FindByFlag("--auth-secret-key")) + ": is " +
                       std::to_string(config.auth_secret_key.size()) +
                       " bytes; HS512 wants at least 64 random bytes");
  }
  if (!demo_defaults.empty()) {
    std::string names;
    for (const std::string_view name : demo_defaults) {
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    warnings.push_back("demo mode: " + names +
                       " use public demo values, so anyone can mint tokens and publish; "
                       "never use --demo in production");
  }
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text = *entry;
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(text.substr(0, eq), text.substr(eq + 1));  // the first wins, as in getenv()
  }
  return env;
}

LoadResult Load(const Environment& env, std::span<const std::string> args) {
  LoadResult result;
  const Flags flags = ParseFlags(args);
  if (flags.help) {  // wins over every error, so `pushy --help` works on an empty machine
    result.help_requested = true;
    return result;
  }
  if (!flags.error.empty()) {
    result.error = flags.error;
    return result;
  }
  Config config;
  // Demo mode changes other rows' defaults, so it is read first (and again, harmlessly, below).
  const Setting& demo = DemoSetting();
  if (const auto raw = RawValue(demo, flags, env)) result.error = Apply(demo, *raw, config);
  std::vector<std::string_view> demo_defaults;
  for (const Setting& setting : Settings()) {
    if (!result.error.empty()) return result;
    std::optional<std::string_view> raw = RawValue(setting, flags, env);
    if (!raw && config.demo && !setting.demo_value.empty()) {
      raw = setting.demo_value;
      if (setting.required) demo_defaults.push_back(setting.env);
    }
    if (raw) {
      result.error = Apply(setting, *raw, config);
    } else if (setting.required) {
      result.error = RequiredMessage(setting);
    }
  }
  if (result.error.empty()) result.error = CrossCheck(config);
  if (!result.error.empty()) return result;
  AddWarnings(config, demo_defaults, result.warnings);
  result.config = std::move(config);
  return result;
}

}  // namespace pushy::config
