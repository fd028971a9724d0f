// ModelReader.h — ConfigNode trees to the typed model (Model.h), checking
// every field and reporting each problem, positioned, into Diagnostics.
//
// Reading goes on after an error so that one run reports everything; the
// returned values are then incomplete and only the diagnostics matter.
// Messages name the field by its path, e.g. "services.crawler.health.interval".
#pragma once

#include <optional>
#include <string>

#include "config/ConfigNode.h"
#include "config/Diagnostics.h"
#include "config/Model.h"

namespace ramp::config {

class ModelReader {
 public:
  explicit ModelReader(Diagnostics& diags) : d_(diags) {}

  // Top level: project, environments, pipeline, and the raw service trees
  // (with their override sections checked for names and shape).
  void readConfig(const ConfigNode& root, Config& out);

  // One service's effective tree (overrides already applied and removed).
  // `context` names the environment/region for messages ("" for none).
  Service readService(const std::string& name, const ConfigNode& node, const std::string& context);

 private:
  Environment readEnvironment(const std::string& name, const ConfigNode& node);
  Diagnostics& d_;
};

// The effective tree of `def` for env/region: the service map with
// `overrides` removed, then overrides.env.<env> and overrides.region.<region>
// deep-merged on top (maps merge key by key; anything else is replaced;
// null resets a field to its default).
ConfigNode effectiveTree(const ServiceDefinition& def, const std::string& env, const std::string& region);

// Deep merge of `over` onto `base` (same rules as above).
void mergeInto(ConfigNode& base, const ConfigNode& over);

}  // namespace ramp::config
