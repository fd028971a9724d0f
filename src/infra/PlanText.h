// PlanText.h — a Plan for people, Terraform-like:
//
//   + aws_lb.main[eu-west-1]                 create (its attributes below)
//   ~ aws_route53_record.web                 update in place: `attr: before -> after`
//   -/+ aws_lb_listener.http[us-east-1]      replace; `# forces replacement` on the
//                                            attributes that force it
//   - aws_sns_topic.alerts[eu-west-1]        delete
// each with `# reason` when there is one, a "Managed by deployments" section,
// and the summary line `Plan: 3 to add, 1 to change, 1 to replace, 0 to
// destroy.` or `No changes. Infrastructure matches the configuration.`
// ANSI colour only when `colour` is true (the caller decides: a terminal
// and no NO_COLOR).
#pragma once

#include <string>

#include "infra/Plan.h"

namespace ramp::infra {

std::string planText(const Plan& plan, bool colour);

// "Plan: 3 to add, 1 to change, 1 to replace, 0 to destroy." or the no-op sentence.
std::string planSummary(const Plan& plan);

}  // namespace ramp::infra
