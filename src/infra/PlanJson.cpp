#include "infra/PlanJson.h"

#include "core/Sha256.h"
#include "infra/FieldReader.h"
#include "infra/ResourceJson.h"

namespace ramp::infra {

using nlohmann::json;

namespace {

constexpr int kFormatVersion = 1;

json strings(const std::vector<std::string>& v) { return json(v); }

json changeJson(const Change& c) {
  json attrs = json::array();
  for (const auto& a : c.attributes) {
    attrs.push_back(json{{"name", a.name}, {"before", a.before}, {"after", a.after}, {"forces_replacement", a.forcesReplace}});
  }
  return json{{"action", actionName(c.action)},
              {"address", c.address},
              {"type", c.type},
              {"region", c.region},
              {"reason", c.reason},
              {"desired", c.desired ? resourceJson(*c.desired) : json(nullptr)},
              {"current", c.current ? resourceStateJson(*c.current) : json(nullptr)},
              {"attributes", attrs}};
}

// "import" only when there are imports: plans without any keep the bytes
// (and digests) they had before imports existed.
json summaryJson(const Plan& p) {
  json s{{"add", p.count(Action::kCreate)},
         {"change", p.count(Action::kUpdate)},
         {"replace", p.count(Action::kReplace)},
         {"destroy", p.count(Action::kDelete)}};
  if (p.count(Action::kImport)) s["import"] = p.count(Action::kImport);
  return s;
}

json withoutDigest(const Plan& p) {
  json changes = json::array();
  for (const auto& c : p.changes) changes.push_back(changeJson(c));
  json basis = json::object();
  for (const auto& [region, b] : p.basis) basis[region] = json{{"lineage", b.lineage}, {"serial", b.serial}};
  return json{{"format_version", kFormatVersion},
              {"project", p.project},
              {"env", p.env},
              {"regions", strings(p.regions)},
              {"refreshed", p.refreshed},
              {"no_op", p.noOp()},
              {"summary", summaryJson(p)},
              {"changes", std::move(changes)},
              {"managed_by_deployments", strings(p.managedByDeployments)},
              {"basis", std::move(basis)}};
}

// The same text as withoutDigest(p).dump() (plus "digest" when asked),
// written straight into a string: no JSON tree is built for the whole plan
// (10,000 changes: ~10x faster, a fraction of the memory).
class CanonicalWriter {
 public:
  explicit CanonicalWriter(std::string& out) : o_(out) {}

  void str(const std::string& s) {
    o_ += '"';
    for (unsigned char c : s) {
      switch (c) {
        case '"': o_ += "\\\""; break;
        case '\\': o_ += "\\\\"; break;
        case '\b': o_ += "\\b"; break;
        case '\f': o_ += "\\f"; break;
        case '\n': o_ += "\\n"; break;
        case '\r': o_ += "\\r"; break;
        case '\t': o_ += "\\t"; break;
        default:
          if (c < 0x20) {
            static const char* kHex = "0123456789abcdef";
            o_ += "\\u00";
            o_ += kHex[c >> 4];
            o_ += kHex[c & 15];
          } else {
            o_ += static_cast<char>(c);
          }
      }
    }
    o_ += '"';
  }
  void key(const char* k, bool first = false) {
    if (!first) o_ += ',';
    o_ += '"';
    o_ += k;
    o_ += "\":";
  }
  void value(const json& v) { o_ += v.dump(-1, ' ', false, json::error_handler_t::replace); }
  void strings(const std::vector<std::string>& v) {
    o_ += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) o_ += ',';
      str(v[i]);
    }
    o_ += ']';
  }
  void raw(const char* s) { o_ += s; }
  void num(int64_t n) { o_ += std::to_string(n); }

  void resource(const Resource& r) {
    key("address", true), str(r.address);
    key("attributes"), value(r.attributes);
    key("depends_on"), strings(r.dependsOn);
    key("force_new"), strings(r.forceNew);
    key("name"), str(r.name);
    key("region"), str(r.region);
    key("tags"), value(r.tags);
    key("type"), str(r.type);
  }
  void state(const ResourceState& s) {
    key("address", true), str(s.address);
    key("attributes"), value(s.attributes);
    key("id"), str(s.id);
    key("name"), str(s.name);
    key("region"), str(s.region);
    key("type"), str(s.type);
  }
  void change(const Change& c) {
    o_ += '{';
    key("action", true), str(actionName(c.action));
    key("address"), str(c.address);
    key("attributes"), o_ += '[';
    for (size_t i = 0; i < c.attributes.size(); ++i) {
      const auto& a = c.attributes[i];
      if (i) o_ += ',';
      o_ += '{';
      key("after", true), value(a.after);
      key("before"), value(a.before);
      key("forces_replacement"), raw(a.forcesReplace ? "true" : "false");
      key("name"), str(a.name);
      o_ += '}';
    }
    o_ += ']';
    key("current");
    if (c.current) {
      o_ += '{';
      state(*c.current);
      o_ += '}';
    } else {
      raw("null");
    }
    key("desired");
    if (c.desired) {
      o_ += '{';
      resource(*c.desired);
      o_ += '}';
    } else {
      raw("null");
    }
    key("reason"), str(c.reason);
    key("region"), str(c.region);
    key("type"), str(c.type);
    o_ += '}';
  }
  void plan(const Plan& p, bool withDigest) {
    o_ += '{';
    key("basis", true), o_ += '{';
    bool first = true;
    for (const auto& [region, b] : p.basis) {
      if (!first) o_ += ',';
      first = false;
      str(region);
      o_ += ":{";
      key("lineage", true), str(b.lineage);
      key("serial"), num(b.serial);
      o_ += '}';
    }
    o_ += '}';
    key("changes"), o_ += '[';
    for (size_t i = 0; i < p.changes.size(); ++i) {
      if (i) o_ += ',';
      this->change(p.changes[i]);
    }
    o_ += ']';
    if (withDigest) key("digest"), str(p.digest);
    key("env"), str(p.env);
    key("format_version"), num(kFormatVersion);
    key("managed_by_deployments"), strings(p.managedByDeployments);
    key("no_op"), raw(p.noOp() ? "true" : "false");
    key("project"), str(p.project);
    key("refreshed"), raw(p.refreshed ? "true" : "false");
    key("regions"), strings(p.regions);
    key("summary"), o_ += '{';
    key("add", true), num(p.count(Action::kCreate));
    key("change"), num(p.count(Action::kUpdate));
    key("destroy"), num(p.count(Action::kDelete));
    if (p.count(Action::kImport)) key("import"), num(p.count(Action::kImport));
    key("replace"), num(p.count(Action::kReplace));
    o_ += "}}";
  }

 private:
  std::string& o_;
};

Result<Action> actionFrom(const std::string& s, const std::string& where) {
  if (s == "create") return Action::kCreate;
  if (s == "update") return Action::kUpdate;
  if (s == "replace") return Action::kReplace;
  if (s == "delete") return Action::kDelete;
  if (s == "import") return Action::kImport;
  return invalid("'" + s + "' is not one of 'create', 'update', 'replace', 'delete', 'import'", where);
}

}  // namespace

std::string actionName(Action a) {
  switch (a) {
    case Action::kCreate: return "create";
    case Action::kUpdate: return "update";
    case Action::kReplace: return "replace";
    case Action::kDelete: return "delete";
    case Action::kImport: return "import";
  }
  return "create";
}

std::string planCanonicalText(const Plan& plan) {
  std::string out;
  out.reserve(1024 + plan.changes.size() * 1024);
  CanonicalWriter(out).plan(plan, false);
  return out;
}

std::string planJsonText(const Plan& plan) {
  std::string out;
  out.reserve(1024 + plan.changes.size() * 1024);
  CanonicalWriter(out).plan(plan, true);
  return out;
}

std::string planDigest(const Plan& plan) { return sha256Hex(planCanonicalText(plan)); }

json planJson(const Plan& plan) {
  json j = withoutDigest(plan);
  j["digest"] = plan.digest;
  return j;
}

namespace {

Result<Change> changeFromJson(const json& j, const std::string& where) {
  FieldReader cr(j, where);
  Change c;
  std::string action = cr.str("action");
  if (!cr.ok()) return std::unexpected(cr.error());
  auto a = actionFrom(action, cr.at("action"));
  if (!a) return std::unexpected(a.error());
  c.action = *a;
  c.address = cr.str("address");
  c.type = cr.str("type");
  c.region = cr.optionalStr("region");
  c.reason = cr.optionalStr("reason");
  if (!cr.ok()) return std::unexpected(cr.error());
  if (j.contains("desired") && !j.at("desired").is_null()) {
    auto d = resourceFromJson(j.at("desired"), cr.at("desired"));
    if (!d) return std::unexpected(d.error());
    c.desired = std::move(*d);
  }
  if (j.contains("current") && !j.at("current").is_null()) {
    auto cur = resourceStateFromJson(j.at("current"), cr.at("current"));
    if (!cur) return std::unexpected(cur.error());
    c.current = std::move(*cur);
  }
  if (c.action != Action::kDelete && !c.desired) return invalid("a " + action + " needs the desired resource", cr.at("desired"));
  if (c.action != Action::kCreate && !c.current) return invalid("a " + action + " needs the current state", cr.at("current"));
  if (!j.contains("attributes") || !j.at("attributes").is_array()) return invalid("expected a list", cr.at("attributes"));
  const auto& as = j.at("attributes");
  for (size_t k = 0; k < as.size(); ++k) {
    FieldReader ar(as[k], cr.at("attributes") + "[" + std::to_string(k) + "]");
    std::string name = ar.str("name");
    bool forces = ar.boolean("forces_replacement");
    if (!ar.ok()) return std::unexpected(ar.error());
    c.attributes.push_back(AttributeChange{name, as[k].value("before", json(nullptr)), as[k].value("after", json(nullptr)), forces});
  }
  return c;
}

}  // namespace

Result<Plan> planFromJson(const json& j) {
  if (!j.is_object()) return invalid("a plan is a JSON object", "");
  FieldReader rd(j, "");
  int64_t version = rd.integer("format_version");
  if (!rd.ok()) return std::unexpected(rd.error());
  if (version != kFormatVersion) {
    return invalid("unsupported plan format " + std::to_string(version) + " (this ramp reads " +
                       std::to_string(kFormatVersion) + ")",
                   "format_version");
  }
  Plan p;
  p.project = rd.str("project");
  p.env = rd.str("env");
  p.regions = rd.strings("regions");
  p.refreshed = rd.boolean("refreshed");
  p.managedByDeployments = rd.strings("managed_by_deployments");
  p.digest = rd.str("digest");
  json basis = rd.object("basis");
  if (!rd.ok()) return std::unexpected(rd.error());
  for (auto it = basis.begin(); it != basis.end(); ++it) {
    FieldReader br(it.value(), "basis." + (it.key().empty() ? std::string("\"\"") : it.key()));
    std::string lineage = br.optionalStr("lineage");
    int64_t serial = br.integer("serial");
    if (!br.ok()) return std::unexpected(br.error());
    p.basis[it.key()] = StateBasis{lineage, serial};
  }
  if (!j.contains("changes") || !j.at("changes").is_array()) return invalid("expected a list", "changes");
  const auto& cs = j.at("changes");
  for (size_t i = 0; i < cs.size(); ++i) {
    auto c = changeFromJson(cs[i], "changes[" + std::to_string(i) + "]");
    if (!c) return std::unexpected(c.error());
    p.changes.push_back(std::move(*c));
  }
  if (j.contains("no_op") && j.at("no_op") != json(p.noOp())) {
    return invalid("says " + j.at("no_op").dump() + " but the plan has " + std::to_string(p.changes.size()) + " changes",
                   "no_op");
  }
  if (planDigest(p) != p.digest) {
    return invalid("does not match the plan's content (the file was edited or damaged)", "digest");
  }
  return p;
}

}  // namespace ramp::infra
