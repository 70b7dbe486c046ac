// --help and the docs reference, both generated from the settings table.

#include <algorithm>
#include <string>

#include "config/config.h"
#include "config/settings.h"

namespace pushy::config {
namespace {

std::string_view Placeholder(const Setting& setting) {
  switch (setting.kind) {
    case Kind::kText:
    case Kind::kSecret:
      return "TEXT";
    case Kind::kHost:
      return "HOST";
    case Kind::kRedisUrl:
      return "URL";
    case Kind::kInteger:
      return IsSeconds(setting.field) ? "SECONDS" : "N";
    case Kind::kBool:
      return "";
    case Kind::kOrigins:
      return "ORIGINS";
    case Kind::kChoice:
      return "CHOICE";
  }
  return "VALUE";
}

std::string Accepted(const Setting& setting) {
  switch (setting.kind) {
    case Kind::kText:
    case Kind::kSecret:
      return "Non-empty text";
    case Kind::kHost:
      return "IPv4 address, IPv6 address or hostname";
    case Kind::kRedisUrl:
      return "redis[s]://[[user]:password@]host[:port][/db]";
    case Kind::kInteger:
      return (IsSeconds(setting.field) ? "Seconds, " : "Integer ") + std::to_string(setting.min) +
             "-" + std::to_string(setting.max);
    case Kind::kBool:
      return "The flag takes no value (or =BOOL); BOOL is 1/true/yes or 0/false/no";
    case Kind::kOrigins:
      return "* alone, or comma-separated http[s]://host[:port]";
    case Kind::kChoice:
      return "One of " + std::string(setting.choices);
  }
  return {};
}

std::string DefaultText(const Setting& setting) {
  if (setting.required) return "required (--demo supplies a public value)";
  static const Config defaults;
  std::string text = FormatField(defaults, setting.field);
  if (text.empty()) text = "unset";
  if (!setting.demo_value.empty()) text += " (--demo: " + std::string(setting.demo_value) + ")";
  return text;
}

std::string Usage(const Setting& setting) {
  const std::string_view placeholder = Placeholder(setting);
  return std::string(setting.flag) + (placeholder.empty() ? "" : "=") + std::string(placeholder);
}

}  // namespace

std::string HelpText() {
  std::string text =
      "Usage: pushy [FLAG]...\n"
      "\n"
      "Pushy is configured by environment variables or the matching flags; a flag beats its\n"
      "variable. A flag's value may follow it (--port 4000) or be joined (--port=4000).\n"
      "\n"
      "Settings (flag, variable):\n";
  for (const Setting& setting : Settings()) {
    std::string usage = "  " + Usage(setting);
    usage.resize(std::max<std::size_t>(usage.size() + 2, 40), ' ');
    text += usage + std::string(setting.env) + "\n";
    text += "      " + std::string(setting.doc) + "\n";
    text += "      " + Accepted(setting) + ". Default: " + DefaultText(setting) + ".\n";
  }
  text +=
      "  -h, --help\n"
      "      Print this help and exit.\n";
  return text;
}

std::string MarkdownReference() {
  std::string text =
      "| Variable | Flag | Default | Accepted | Meaning |\n"
      "|---|---|---|---|---|\n";
  for (const Setting& setting : Settings()) {
    std::string accepted = Accepted(setting);
    // A literal | would split the cell.
    for (std::size_t at = accepted.find('|'); at != std::string::npos;
         at = accepted.find('|', at + 2)) {
      accepted.replace(at, 1, "\\|");
    }
    text += "| `" + std::string(setting.env) + "` | `" + Usage(setting) + "` | " +
            DefaultText(setting) + " | " + accepted + " | " + std::string(setting.doc) + " |\n";
  }
  return text;
}

}  // namespace pushy::config
