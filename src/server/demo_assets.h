#pragma once

#include <string_view>

namespace pushy::server {

// The demo page and the JS client, embedded at build time (see CMakeLists.txt) so that a demo
// node serves them with no files beside the binary and no CDN.
std::string_view DemoPageHtml();
std::string_view DemoClientJs();

}  // namespace pushy::server
