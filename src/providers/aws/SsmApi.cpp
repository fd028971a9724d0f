#include "providers/aws/SsmApi.h"

namespace ramp::providers::aws {

Result<std::string> SsmApi::getParameter(const std::string& name) {
  auto answer = client_.json("ssm", "AmazonSSM", "GetParameter", {{"Name", name}});
  if (!answer) return std::unexpected(answer.error());
  const auto& p = (*answer)["Parameter"];
  if (!p.is_object() || !p.contains("Value") || !p["Value"].is_string()) {
    return internal("GetParameter answer has no Parameter.Value", "aws:ssm:GetParameter");
  }
  return p["Value"].get<std::string>();
}

}  // namespace ramp::providers::aws
