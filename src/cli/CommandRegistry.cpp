#include "cli/CommandRegistry.h"

#include "cli/Terminal.h"

#include <algorithm>
#include <iostream>
#include <utility>

namespace ramp::cli {

namespace {
std::vector<std::pair<int, Registrar>>& registry() {
  static std::vector<std::pair<int, Registrar>> r;
  return r;
}
}  // namespace

bool CommandRegistry::add(int order, Registrar registrar) {
  registry().emplace_back(order, registrar);
  return true;
}

void CommandRegistry::registerAll(Cli& cli) {
  auto& r = registry();
  std::stable_sort(r.begin(), r.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, fn] : r) fn(cli);
}

int reportError(const std::string& message) {
  std::cerr << "ramp: " << Terminal::paint(2, Terminal::Style::kRed, "error") << ": " << message << "\n";
  return kExitFailure;
}

}  // namespace ramp::cli
