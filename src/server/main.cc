#include <iostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/log.h"
#include "server/node.h"
#include "server/token_command.h"

int main(int argc, char** argv) {
  using namespace pushy;
  const std::vector<std::string> args(argv + 1, argv + argc);
  const config::Environment env = config::ProcessEnvironment();
  if (!args.empty() && args.front() == "token") {
    return server::RunTokenCommand(std::span(args).subspan(1), env);
  }
  const config::LoadResult loaded = config::Load(env, args);
  if (loaded.help_requested) {
    std::cout << config::HelpText();
    return 0;
  }
  if (!loaded.config) {
    std::cerr << "pushy: " << loaded.error << "\n(run pushy --help for every setting)\n";
    return 2;
  }
  log::Level level = log::Level::kInfo;
  log::ParseLevel(loaded.config->log_level, level);
  log::SetLevel(level);
  for (const std::string& warning : loaded.warnings) log::Warn(warning);
  server::Node node(*loaded.config);
  return node.Run();
}
