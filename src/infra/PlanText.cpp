#include "infra/PlanText.h"

#include <fmt/format.h>

namespace ramp::infra {

namespace {

const char* kGreen = "\033[32m";
const char* kYellow = "\033[33m";
const char* kRed = "\033[31m";
const char* kBold = "\033[1m";
const char* kReset = "\033[0m";

std::string value(const nlohmann::json& v) {
  return v.is_null() ? "(none)" : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string planSummary(const Plan& plan) {
  if (plan.noOp()) return "No changes. Infrastructure matches the configuration.";
  std::string imports =
      plan.count(Action::kImport) ? fmt::format("{} to import, ", plan.count(Action::kImport)) : std::string();
  return fmt::format("Plan: {}{} to add, {} to change, {} to replace, {} to destroy.", imports,
                     plan.count(Action::kCreate), plan.count(Action::kUpdate), plan.count(Action::kReplace),
                     plan.count(Action::kDelete));
}

std::string planText(const Plan& plan, bool colour) {
  auto paint = [&](const char* code, const std::string& s) { return colour ? code + s + kReset : s; };
  std::string out;
  std::string regions;
  for (const auto& r : plan.regions) regions += (regions.empty() ? "" : ", ") + r;
  out += fmt::format("Plan for {} / {} (regions: {}; {})\n", plan.project, plan.env, regions.empty() ? "-" : regions,
                     plan.refreshed ? "real state refreshed" : "recorded state, not refreshed");
  if (!plan.changes.empty()) out += "\n";
  for (const auto& c : plan.changes) {
    std::string symbol, colourCode;
    switch (c.action) {
      case Action::kCreate: symbol = "+"; colourCode = kGreen; break;
      case Action::kUpdate: symbol = "~"; colourCode = kYellow; break;
      case Action::kReplace: symbol = "-/+"; colourCode = kRed; break;
      case Action::kDelete: symbol = "-"; colourCode = kRed; break;
      case Action::kImport: symbol = "<="; colourCode = kGreen; break;
    }
    std::string head = fmt::format("{:>3} {}", symbol, c.address);
    out += "  " + paint(colourCode.c_str(), head);
    if (c.action == Action::kReplace) {
      bool forced = false;
      for (const auto& a : c.attributes) forced = forced || a.forcesReplace;
      if (forced) out += paint(kRed, "  # forces replacement");
    }
    if (!c.reason.empty()) out += "  # " + c.reason;
    out += "\n";
    size_t width = 0;
    if (c.action == Action::kCreate && c.desired) {
      const auto& attrs = c.desired->attributes;
      for (auto it = attrs.begin(); it != attrs.end(); ++it) width = std::max(width, it.key().size());
      for (auto it = attrs.begin(); it != attrs.end(); ++it) {
        out += "        " + fmt::format("{:<{}} = {}", it.key(), width, value(it.value())) + "\n";
      }
    }
    for (const auto& a : c.attributes) width = std::max(width, a.name.size());
    for (const auto& a : c.attributes) {
      if (c.action == Action::kCreate) continue;
      std::string line = fmt::format("{:<{}} : {} -> {}", a.name, width, value(a.before), value(a.after));
      if (a.forcesReplace) line += paint(kRed, "  # forces replacement");
      out += "        " + line + "\n";
    }
    if ((c.action == Action::kDelete || c.action == Action::kImport) && c.current && !c.current->id.empty()) {
      out += "        id = " + c.current->id + "\n";
    }
  }
  if (!plan.managedByDeployments.empty()) {
    out += "\nManaged by deployments (never created, changed or deleted by plan/apply):\n";
    for (const auto& m : plan.managedByDeployments) out += "  " + m + "\n";
  }
  out += "\n" + (colour ? std::string(kBold) + planSummary(plan) + kReset : planSummary(plan)) + "\n";
  return out;
}

}  // namespace ramp::infra
