#include "providers/aws/AwsTrafficProvider.h"

#include <algorithm>

#include "config/AwsResourceNames.h"
#include "providers/aws/AwsFleetProvider.h"
#include "providers/aws/Route53Api.h"
#include "providers/aws/TaggingApi.h"

namespace ramp::providers::aws {
namespace {

std::string cookieValue(const std::string& cookie) { return "*" + cookie + "=*"; }

std::string keyName(const EntrypointKey& key) { return "traffic:" + key.service + "/" + key.env + "/" + key.region; }

// The infrastructure is not there: ramp apply makes it. Permanent: waiting
// does not make a load balancer appear.
Error notApplied(const AwsEnvironment& e, const std::string& what) {
  return Error{ErrorCode::kFailedPrecondition,
               "the infrastructure of " + e.env + " in " + e.region + " is not applied: " + what +
                   "; run `ramp apply --env " + e.env + "` (`ramp drift --env " + e.env +
                   "` shows what changed outside ramp)",
               "environment.aws", /*permanent=*/true};
}

std::vector<std::string> sortedCopy(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

bool sameForward(std::vector<WeightedTargetGroup> a, std::vector<WeightedTargetGroup> b) {
  auto byArn = [](auto& x, auto& y) { return x.targetGroupArn < y.targetGroupArn; };
  std::sort(a.begin(), a.end(), byArn);
  std::sort(b.begin(), b.end(), byArn);
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].targetGroupArn != b[i].targetGroupArn || a[i].weight != b[i].weight) return false;
  }
  return true;
}

}  // namespace

AwsTrafficProvider::AwsTrafficProvider(AwsRegionClients& clients, AwsEnvironmentSource& environments,
                                       FleetProvider& fleets, Clock& clock)
    : clients_(clients), environments_(environments), fleets_(fleets), reads_(clock) {}

void AwsTrafficProvider::forget(const EntrypointKey& key) {
  reads_.forget(keyName(key));
  std::lock_guard lock(mu_);
  entries_.erase(key);
  applied_.erase(key);
}

void AwsTrafficProvider::forgetAnswers() {
  reads_.forgetAll();
  std::lock_guard lock(mu_);
  entries_.clear();
  applied_.clear();
}

Result<AwsTrafficProvider::Entry> AwsTrafficProvider::resolve(const EntrypointKey& key) {
  auto e = environments_.awsEnvironment(key.service, key.env, key.region == "local" ? "" : key.region);
  if (!e) return std::unexpected(e.error());
  Entry out;
  out.env = *e;
  AwsClient& client = clients_.forRegion(e->region);
  ElbV2Api elb(client);
  // The region's load balancer by its ramp:address tag (found even when
  // aws.load_balancer was renamed after this config was rendered), else by
  // its rendered name.
  const std::string address = config::loadBalancerAddress(e->region);
  auto tagged = TaggingApi(client).getResources({{"ramp:project", {e->project}},
                                                 {"ramp:env", {e->env}},
                                                 {"ramp:address", {address}},
                                                 {"ramp:managed-by", {"infra"}}},
                                                {"elasticloadbalancing:loadbalancer"});
  if (!tagged) return std::unexpected(tagged.error());
  std::vector<std::string> arns;
  for (const auto& t : *tagged) {
    auto tag = [&](const char* k) { auto it = t.tags.find(k); return it == t.tags.end() ? std::string() : it->second; };
    if (tag("ramp:project") == e->project && tag("ramp:env") == e->env && tag("ramp:address") == address) {
      arns.push_back(t.arn);
    }
  }
  auto lbs = arns.empty() ? elb.describeLoadBalancers({e->loadBalancer}) : elb.describeLoadBalancers({}, arns);
  if (!lbs && lbs.error().code != ErrorCode::kNotFound) return std::unexpected(lbs.error());
  if (!lbs || lbs->empty()) return std::unexpected(notApplied(*e, "no load balancer " + e->loadBalancer));
  const LoadBalancer* lb = &lbs->front();
  for (const auto& l : *lbs) {
    if (l.name == e->loadBalancer) lb = &l;  // two while a renamed one replaces the old: the configured one
  }
  out.loadBalancerArn = lb->arn;
  out.loadBalancerDns = lb->dnsName;
  auto listeners = elb.describeListeners(out.loadBalancerArn);
  if (!listeners && listeners.error().code != ErrorCode::kNotFound) return std::unexpected(listeners.error());
  if (listeners) {
    for (const auto& l : *listeners) {
      if (l.port == e->rule.port) out.listenerArn = l.arn;
    }
  }
  if (out.listenerArn.empty()) {
    return std::unexpected(notApplied(*e, "load balancer " + e->loadBalancer + " has no listener on port " +
                                               std::to_string(e->rule.port)));
  }
  auto rules = elb.describeRules(out.listenerArn);
  if (!rules) return std::unexpected(rules.error());
  for (const auto& r : *rules) {
    if (r.priority != std::to_string(e->rule.priority)) continue;
    bool hostOk = e->rule.host.empty() || r.hosts == std::vector<std::string>{e->rule.host};
    bool pathsOk = e->rule.paths.empty() || r.paths == sortedCopy(e->rule.paths);
    if (!hostOk || !pathsOk) {
      return std::unexpected(notApplied(
          *e, "the rule at priority " + std::to_string(e->rule.priority) + " on port " + std::to_string(e->rule.port) +
                  " of " + e->loadBalancer + " does not match " + key.service + "'s " +
                  (e->rule.host.empty() ? "paths" : "host " + e->rule.host)));
    }
    out.ruleArn = r.arn;
  }
  if (out.ruleArn.empty()) {
    return std::unexpected(notApplied(*e, "no rule for " + key.service + " (priority " +
                                               std::to_string(e->rule.priority) + ") on port " +
                                               std::to_string(e->rule.port) + " of " + e->loadBalancer));
  }
  out.url = e->url(out.loadBalancerDns);
  std::lock_guard lock(mu_);
  entries_[key] = out;
  return out;
}

Result<AwsTrafficProvider::Entry> AwsTrafficProvider::entry(const EntrypointKey& key) {
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) return it->second;
  }
  return resolve(key);
}

Result<std::string> AwsTrafficProvider::ensureEntrypoint(const EntrypointKey& key) {
  // Always afresh: a deployment starts by checking the infrastructure.
  reads_.changed(keyName(key));
  auto e = resolve(key);
  if (!e) {
    forget(key);
    return std::unexpected(e.error());
  }
  return e->url;
}

Result<std::string> AwsTrafficProvider::fleetOf(AwsClient& client, const std::string& arn) {
  {
    std::lock_guard lock(mu_);
    if (auto it = fleetByTargetGroup_.find(arn); it != fleetByTargetGroup_.end()) return it->second;
  }
  auto tags = ElbV2Api(client).describeTags({arn});
  if (!tags) return std::unexpected(tags.error());
  std::string fleet = (*tags)[arn]["ramp:fleet"];
  if (fleet.empty()) return fleet;  // not ramp's: reported under its ARN by the caller
  std::lock_guard lock(mu_);
  fleetByTargetGroup_[arn] = fleet;
  return fleet;
}

Result<AwsTrafficProvider::RuleView> AwsTrafficProvider::readRules(const EntrypointKey& key, const Entry& en) {
  ElbV2Api elb(clients_.forRegion(en.env.region));
  auto rules = elb.describeRules(en.listenerArn);
  if (!rules && rules.error().code == ErrorCode::kNotFound) {
    forget(key);
    return std::unexpected(notApplied(en.env, "the listener of " + en.env.loadBalancer + " on port " +
                                                  std::to_string(en.env.rule.port) + " is gone"));
  }
  if (!rules) return std::unexpected(rules.error());
  RuleView view;
  bool found = false;
  const std::string header = std::to_string(config::headerPinPriority(en.env.rule.priority));
  const std::string cookie = std::to_string(config::cookiePinPriority(en.env.rule.priority));
  for (const auto& r : *rules) {
    if (r.arn == en.ruleArn) {
      found = true;
      view.forward = r.forward;
    } else if (!r.isDefault && (r.priority == header || r.priority == cookie)) {
      view.pins.push_back(r);
    }
  }
  if (!found) {
    forget(key);
    return std::unexpected(notApplied(en.env, "the rule of " + key.service + " (priority " +
                                                  std::to_string(en.env.rule.priority) + ") is gone"));
  }
  return view;
}

Result<TrafficSplit> AwsTrafficProvider::toSplit(const EntrypointKey& key, AwsClient& client, const RuleView& view) {
  TrafficSplit out;
  out.key = key;
  for (const auto& f : view.forward) {
    auto fleet = fleetOf(client, f.targetGroupArn);
    if (!fleet) return std::unexpected(fleet.error());
    FleetWeight fw;
    fw.fleetId = fleet->empty() ? f.targetGroupArn : *fleet;
    fw.weight = f.weight;
    if (!fleet->empty()) {
      auto st = fleets_.fleetStatus(*fleet);
      if (!st) return std::unexpected(st.error());
      for (const auto& i : st->instances) {
        if (i.state == "healthy") fw.backends.push_back(i.address);
      }
      std::sort(fw.backends.begin(), fw.backends.end());
    }
    out.fleets.push_back(std::move(fw));
  }
  for (const auto& r : view.pins) {
    if (r.forward.empty()) continue;
    auto fleet = fleetOf(client, r.forward.front().targetGroupArn);
    if (!fleet) return std::unexpected(fleet.error());
    if (!out.pin) out.pin = Pinning{};
    out.pin->fleetId = *fleet;
    if (r.headerName == "Cookie") {
      if (!r.headerValues.empty()) {
        std::string v = r.headerValues.front();  // "*name=*"
        if (v.size() > 3 && v.front() == '*' && v.ends_with("=*")) out.pin->cookie = v.substr(1, v.size() - 3);
      }
    } else {
      out.pin->header = r.headerName;
    }
  }
  return out;
}

Status AwsTrafficProvider::setTraffic(const TrafficSplit& split) {
  auto en = entry(split.key);
  if (!en) return std::unexpected(en.error());
  AwsClient& client = clients_.forRegion(en->env.region);
  ElbV2Api elb(client);
  reads_.changed(keyName(split.key));
  std::map<std::string, std::string> nameOfFleet;
  auto want = [&](const std::string& fleetId) {
    nameOfFleet.emplace(fleetId, AwsFleetProvider::resourceName(split.key.service, split.key.env, fleetId));
  };
  for (const auto& f : split.fleets) {
    if (f.weight < 0 || f.weight > 100) return invalid("weight must be 0..100", "split.fleets." + f.fleetId);
    want(f.fleetId);
  }
  if (split.pin) want(split.pin->fleetId);
  std::map<std::string, std::string> arnOfFleet;
  for (const auto& [fleet, name] : nameOfFleet) {
    {
      std::lock_guard lock(mu_);
      if (auto it = targetGroupByName_.find(name); it != targetGroupByName_.end()) {
        arnOfFleet[fleet] = it->second;
        continue;
      }
    }
    // One name per call: a missing group fails the whole call with NotFound.
    auto tgs = elb.describeTargetGroups({name});
    if (!tgs && tgs.error().code != ErrorCode::kNotFound) return std::unexpected(tgs.error());
    if (!tgs || tgs->empty()) continue;
    arnOfFleet[fleet] = tgs->front().arn;
    std::lock_guard lock(mu_);
    targetGroupByName_[name] = tgs->front().arn;
    fleetByTargetGroup_[tgs->front().arn] = fleet;
  }
  std::vector<WeightedTargetGroup> forward;
  for (const auto& f : split.fleets) {
    auto it = arnOfFleet.find(f.fleetId);
    if (it == arnOfFleet.end()) {
      if (f.weight > 0) {
        return failedPrecondition("fleet " + f.fleetId + " has no target group (" + nameOfFleet[f.fleetId] + ")",
                                  "split.fleets");
      }
      continue;
    }
    forward.push_back({it->second, f.weight});
  }
  if (forward.size() > 5) return invalid("an ALB forward action takes at most 5 fleets", "split.fleets");
  auto view = readRules(split.key, *en);
  if (!view) return std::unexpected(view.error());

  // The rule's action: forward by weight, or a fixed 503 (ALB needs a
  // positive weight in a forward action: no weight = no fleet).
  bool anyWeight = std::any_of(forward.begin(), forward.end(), [](auto& f) { return f.weight > 0; });
  std::vector<WeightedTargetGroup> target = anyWeight ? forward : std::vector<WeightedTargetGroup>{};
  if (!sameForward(view->forward, target)) {
    auto action = anyWeight ? ElbAction::forwardTo(target) : ElbAction::fixedResponse("503");
    auto m = elb.modifyRuleAction(en->ruleArn, action);
    if (!m && m.error().code == ErrorCode::kNotFound) {
      forget(split.key);
      return std::unexpected(notApplied(en->env, "the rule of " + split.key.service + " is gone: " + m.error().message));
    }
    if (!m) return m;
  }

  // Pinning rules, just below the service's rule, on the same host or paths.
  struct Want {
    int priority;
    std::string header;
    std::string value;
  };
  std::vector<Want> pins;
  std::string pinArn;
  if (split.pin) {
    auto it = arnOfFleet.find(split.pin->fleetId);
    if (it == arnOfFleet.end()) {
      return failedPrecondition("pinned fleet " + split.pin->fleetId + " has no target group", "split.pin.fleetId");
    }
    pinArn = it->second;
    if (!split.pin->header.empty()) {
      pins.push_back({config::headerPinPriority(en->env.rule.priority), split.pin->header, "*"});
    }
    if (!split.pin->cookie.empty()) {
      pins.push_back({config::cookiePinPriority(en->env.rule.priority), "Cookie", cookieValue(split.pin->cookie)});
    }
  }
  for (const auto& r : view->pins) {
    auto w = std::find_if(pins.begin(), pins.end(), [&](const Want& x) { return std::to_string(x.priority) == r.priority; });
    bool keep = w != pins.end() && r.headerName == w->header && r.headerValues == std::vector<std::string>{w->value} &&
                r.forward.size() == 1 && r.forward[0].targetGroupArn == pinArn;
    if (keep) {
      pins.erase(w);
    } else if (auto d = elb.deleteRule(r.arn); !d) {
      return d;
    }
  }
  for (const auto& w : pins) {
    RuleConditions when;
    if (!en->env.rule.host.empty()) when.hosts = {en->env.rule.host};
    when.paths = en->env.rule.paths;
    when.headerName = w.header;
    when.headerValues = {w.value};
    auto c = elb.createRule(en->listenerArn, w.priority, when, ElbAction::forwardTo({{pinArn, 1}}),
                            {{"ramp:service", split.key.service}, {"ramp:pin", split.pin->fleetId}});
    if (!c) return std::unexpected(c.error());
  }
  reads_.changed(keyName(split.key));
  return ok();
}

Result<TrafficSplit> AwsTrafficProvider::appliedTraffic(const EntrypointKey& key) {
  if (!reads_.due(keyName(key))) {
    std::lock_guard lock(mu_);
    if (auto it = applied_.find(key); it != applied_.end()) return it->second;
  }
  auto en = entry(key);
  if (!en) return std::unexpected(en.error());
  auto view = readRules(key, *en);
  if (!view) return std::unexpected(view.error());
  auto split = toSplit(key, clients_.forRegion(en->env.region), *view);
  if (!split) return std::unexpected(split.error());
  // Busy while a weighted fleet has no healthy target yet.
  bool steady = std::none_of(split->fleets.begin(), split->fleets.end(),
                             [](const FleetWeight& f) { return f.weight > 0 && f.backends.empty(); });
  {
    std::lock_guard lock(mu_);
    applied_[key] = *split;
  }
  reads_.read(keyName(key), steady);
  return split;
}

Result<bool> AwsTrafficProvider::drainRegion(const EntrypointKey& key, bool drain) {
  {
    std::lock_guard lock(mu_);
    if (auto it = drained_.find(key); it != drained_.end() && it->second == drain) return true;
  }
  auto e = environments_.awsEnvironment(key.service, key.env, key.region == "local" ? "" : key.region);
  if (!e) {
    if (!drain) return true;  // never known here: nothing this controller drained
    return std::unexpected(e.error());
  }
  auto remember = [&] {
    std::lock_guard lock(mu_);
    drained_[key] = drain;
    return true;
  };
  if (!e->dns || !e->dns->drain || e->dns->routing != "weighted" || e->dns->record.empty()) return remember();
  Route53Api r53(clients_.forRegion(""));
  auto zone = r53.hostedZoneId(e->dns->zone);
  if (!zone) return std::unexpected(zone.error());
  auto sets = r53.listRecordSets(*zone, e->dns->record);
  if (!sets) return std::unexpected(sets.error());
  const int want = drain ? 0 : 1;  // the infrastructure's sets weigh 1 (equal weights)
  for (const auto& s : *sets) {
    if (s.setIdentifier != e->region || !s.weight) continue;
    if (*s.weight == want) return remember();
    RecordSet changed = s;
    changed.weight = want;
    auto c = r53.changeRecordSets(*zone, {{"UPSERT", changed}},
                                  std::string(drain ? "ramp: drain " : "ramp: restore ") + e->region + " for a deployment");
    if (!c) return std::unexpected(c.error());
    return false;  // in effect once read back
  }
  return std::unexpected(notApplied(*e, "the DNS record " + e->dns->record + " has no weighted set for " + e->region));
}

Result<int64_t> AwsTrafficProvider::inflight(const EntrypointKey&, const std::string&) {
  return int64_t{0};  // not observable on an ALB; draining = deregistration delay
}

}  // namespace ramp::providers::aws
