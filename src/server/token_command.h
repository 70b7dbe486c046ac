#pragma once

#include <span>
#include <string>

#include "config/config.h"

namespace pushy::server {

// `pushy token --sub u1 --channels 'news.*,alerts' [--ttl 600] [--meta '{"k":1}']`: mints a
// client token offline with AUTH_SECRET_KEY (or --auth-secret-key) and prints it on stdout.
int RunTokenCommand(std::span<const std::string> args, const config::Environment& env);

}  // namespace pushy::server
