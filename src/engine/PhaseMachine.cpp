#include "engine/PhaseMachine.h"

#include <fmt/format.h>

namespace ramp::engine {

Result<Transition> runStep(RunContext& ctx, std::span<const PhaseStep> steps, std::string_view machine) {
  for (const auto& step : steps) {
    if (step.phase == ctx.d.phase) return step.run(ctx);
  }
  return internal(fmt::format("phase {} is not a {} phase", phaseName(ctx.d.phase), machine), ctx.d.id);
}

}  // namespace ramp::engine
