#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pushy::server {

// The text of a top-level member of a JSON object, exactly as the publisher wrote it but with
// insignificant whitespace removed, so that it fits on one SSE `data:` line. Re-serialising a
// parsed value instead would rewrite numbers (Boost.JSON prints 1.50 as 1.5E0), and the contract
// promises subscribers the published JSON unchanged.
// Precondition: `object_text` is valid JSON (already checked by Boost.JSON). Returns the last
// member named `key` (the one Boost.JSON keeps), or nullopt when there is none.
std::optional<std::string> CompactMemberText(std::string_view object_text, std::string_view key);

// `text` (valid JSON) without whitespace outside strings.
std::string CompactJson(std::string_view text);

}  // namespace pushy::server
