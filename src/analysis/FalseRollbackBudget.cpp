#include "analysis/FalseRollbackBudget.h"

#include <algorithm>

namespace ramp::analysis {

double FalseRollbackBudget::perTest() const {
  return total / static_cast<double>(std::max(1, metrics)) / static_cast<double>(std::max(1, analyses));
}

}  // namespace ramp::analysis
