#include "analysis/Verdict.h"

namespace ramp::analysis {

std::string_view outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPass: return "pass";
    case Outcome::kFail: return "fail";
    case Outcome::kInconclusive: return "inconclusive";
    case Outcome::kContinue: return "continue";
  }
  return "continue";
}

nlohmann::json Verdict::toJson() const {
  nlohmann::json j = {{"verdict", outcomeName(outcome)}, {"score", score}, {"reason", reason}};
  j["metrics"] = nlohmann::json::array();
  for (const auto& m : metrics) j["metrics"].push_back(m.toJson());
  j["details"] = details;
  return j;
}

}  // namespace ramp::analysis
