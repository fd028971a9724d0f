#include "providers/aws/AwsTrafficProvider.h"

#include <algorithm>

#include "providers/aws/AwsFleetProvider.h"
#include "providers/aws/ElbV2Api.h"

namespace ramp::providers::aws {
namespace {

std::string cookieValue(const std::string& cookie) { return "*" + cookie + "=*"; }

}  // namespace

AwsTrafficProvider::AwsTrafficProvider(AwsRegionClients& clients, AwsEnvironmentSource& environments)
    : clients_(clients), environments_(environments) {}

Result<AwsTrafficProvider::Entry> AwsTrafficProvider::entry(const EntrypointKey& key) {
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) return it->second;
  }
  auto e = environments_.awsEnvironment(key.service, key.env);
  if (!e) return std::unexpected(e.error());
  Entry out;
  out.region = key.region.empty() || key.region == "local" ? e->regions.front() : key.region;
  *e = e->inRegion(out.region);
  ElbV2Api elb(clients_.forRegion(out.region));
  auto env = *e;
  env.service = key.service;
  env.env = key.env;
  std::string name = env.loadBalancerName();
  auto lbs = elb.describeLoadBalancers({name});
  if (!lbs && lbs.error().code != ErrorCode::kNotFound) return std::unexpected(lbs.error());
  LoadBalancer lb;
  if (lbs && !lbs->empty()) {
    lb = lbs->front();
  } else {
    auto created = elb.createLoadBalancer({name, e->subnets, e->securityGroups, "internet-facing", "application"});
    if (!created) return std::unexpected(created.error());
    lb = *created;
  }
  out.loadBalancerArn = lb.arn;
  auto listeners = elb.describeListeners(lb.arn);
  if (!listeners) return std::unexpected(listeners.error());
  for (const auto& l : *listeners) {
    if (l.port == e->listenerPort) out.listenerArn = l.arn;
  }
  if (out.listenerArn.empty()) {
    auto l = elb.createListener(lb.arn, "HTTP", e->listenerPort, {});
    if (!l) return std::unexpected(l.error());
    out.listenerArn = l->arn;
  }
  out.url = "http://" + lb.dnsName + ":" + std::to_string(e->listenerPort);
  std::lock_guard lock(mu_);
  entries_[key] = out;
  return out;
}

Result<std::string> AwsTrafficProvider::ensureEntrypoint(const EntrypointKey& key) {
  auto e = entry(key);
  if (!e) return std::unexpected(e.error());
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

Status AwsTrafficProvider::setTraffic(const TrafficSplit& split) {
  auto en = entry(split.key);
  if (!en) return std::unexpected(en.error());
  AwsClient& client = clients_.forRegion(en->region);
  ElbV2Api elb(client);
  std::vector<std::string> names;
  std::map<std::string, std::string> nameOfFleet;
  for (const auto& f : split.fleets) {
    if (f.weight < 0 || f.weight > 100) return invalid("weight must be 0..100", "split.fleets." + f.fleetId);
    nameOfFleet[f.fleetId] = AwsFleetProvider::resourceName(split.key.service, split.key.env, f.fleetId);
    names.push_back(nameOfFleet[f.fleetId]);
  }
  if (split.pin && !nameOfFleet.contains(split.pin->fleetId)) {
    nameOfFleet[split.pin->fleetId] = AwsFleetProvider::resourceName(split.key.service, split.key.env, split.pin->fleetId);
    names.push_back(nameOfFleet[split.pin->fleetId]);
  }
  std::map<std::string, std::string> arnByName;
  for (const auto& n : names) {
    // One name per call: a missing group fails the whole call with NotFound.
    auto tgs = elb.describeTargetGroups({n});
    if (!tgs && tgs.error().code != ErrorCode::kNotFound) return std::unexpected(tgs.error());
    if (tgs && !tgs->empty()) arnByName[n] = tgs->front().arn;
  }
  std::vector<WeightedTargetGroup> forward;
  for (const auto& f : split.fleets) {
    auto it = arnByName.find(nameOfFleet[f.fleetId]);
    if (it == arnByName.end()) {
      if (f.weight > 0) {
        return failedPrecondition("fleet " + f.fleetId + " has no target group (" + nameOfFleet[f.fleetId] + ")",
                                  "split.fleets");
      }
      continue;
    }
    forward.push_back({it->second, f.weight});
    std::lock_guard lock(mu_);
    fleetByTargetGroup_[it->second] = f.fleetId;
  }
  if (forward.size() > 5) return invalid("an ALB forward action takes at most 5 fleets", "split.fleets");
  auto listeners = elb.describeListeners(en->loadBalancerArn);
  if (!listeners) return std::unexpected(listeners.error());
  const Listener* current = nullptr;
  for (const auto& l : *listeners) {
    if (l.arn == en->listenerArn) current = &l;
  }
  if (!current) {
    std::lock_guard lock(mu_);
    entries_.erase(split.key);
    return unavailable("listener " + en->listenerArn + " is gone; it is recreated on the next call", "entrypoint");
  }
  auto sorted = [](std::vector<WeightedTargetGroup> v) {
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.targetGroupArn < b.targetGroupArn; });
    return v;
  };
  auto same = [&](const std::vector<WeightedTargetGroup>& a, const std::vector<WeightedTargetGroup>& b) {
    auto x = sorted(a), y = sorted(b);
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (x[i].targetGroupArn != y[i].targetGroupArn || x[i].weight != y[i].weight) return false;
    }
    return true;
  };
  bool allZero = std::all_of(forward.begin(), forward.end(), [](auto& f) { return f.weight == 0; });
  if (!allZero && !same(current->forward, forward)) {
    auto m = elb.modifyListener(en->listenerArn, forward);
    if (!m) return std::unexpected(m.error());
  } else if (allZero && !current->forward.empty() && !same(current->forward, forward)) {
    // ALB needs a positive weight in a forward action: no weight = no fleet.
    auto m = elb.modifyListener(en->listenerArn, {});
    if (!m) return std::unexpected(m.error());
  }

  // Pinning rules.
  struct Want {
    int priority;
    std::string header;
    std::string value;
  };
  std::vector<Want> want;
  std::string pinArn;
  if (split.pin) {
    auto it = arnByName.find(nameOfFleet[split.pin->fleetId]);
    if (it == arnByName.end()) {
      return failedPrecondition("pinned fleet " + split.pin->fleetId + " has no target group", "split.pin.fleetId");
    }
    pinArn = it->second;
    if (!split.pin->header.empty()) want.push_back({kHeaderRulePriority, split.pin->header, "*"});
    if (!split.pin->cookie.empty()) want.push_back({kCookieRulePriority, "Cookie", cookieValue(split.pin->cookie)});
  }
  auto rules = elb.describeRules(en->listenerArn);
  if (!rules) return std::unexpected(rules.error());
  for (const auto& r : *rules) {
    if (r.isDefault) continue;
    int prio = 0;
    try {
      prio = std::stoi(r.priority);
    } catch (...) {
      continue;
    }
    if (prio != kHeaderRulePriority && prio != kCookieRulePriority) continue;
    auto w = std::find_if(want.begin(), want.end(), [&](const Want& x) { return x.priority == prio; });
    bool keep = w != want.end() && r.headerName == w->header && r.headerValues == std::vector<std::string>{w->value} &&
                r.forward.size() == 1 && r.forward[0].targetGroupArn == pinArn;
    if (keep) {
      want.erase(w);
    } else if (auto d = elb.deleteRule(r.arn); !d) {
      return d;
    }
  }
  for (const auto& w : want) {
    auto c = elb.createRule(en->listenerArn, w.priority, w.header, {w.value}, {{pinArn, 1}});
    if (!c) return std::unexpected(c.error());
  }
  return ok();
}

Result<TrafficSplit> AwsTrafficProvider::appliedTraffic(const EntrypointKey& key) {
  auto en = entry(key);
  if (!en) return std::unexpected(en.error());
  AwsClient& client = clients_.forRegion(en->region);
  ElbV2Api elb(client);
  auto listeners = elb.describeListeners(en->loadBalancerArn);
  if (!listeners) return std::unexpected(listeners.error());
  TrafficSplit out;
  out.key = key;
  const Listener* current = nullptr;
  for (const auto& l : *listeners) {
    if (l.arn == en->listenerArn) current = &l;
  }
  if (!current) {
    std::lock_guard lock(mu_);
    entries_.erase(key);
    return unavailable("listener " + en->listenerArn + " is gone", "entrypoint");
  }
  for (const auto& f : current->forward) {
    auto fleet = fleetOf(client, f.targetGroupArn);
    if (!fleet) return std::unexpected(fleet.error());
    FleetWeight fw;
    fw.fleetId = fleet->empty() ? f.targetGroupArn : *fleet;
    fw.weight = f.weight;
    auto health = elb.describeTargetHealth(f.targetGroupArn);
    if (!health) return std::unexpected(health.error());
    for (const auto& h : *health) {
      if (h.state == "healthy") fw.backends.push_back(h.id);
    }
    std::sort(fw.backends.begin(), fw.backends.end());
    out.fleets.push_back(std::move(fw));
  }
  auto rules = elb.describeRules(en->listenerArn);
  if (!rules) return std::unexpected(rules.error());
  for (const auto& r : *rules) {
    if (r.isDefault || r.forward.empty()) continue;
    bool header = r.priority == std::to_string(kHeaderRulePriority);
    bool cookie = r.priority == std::to_string(kCookieRulePriority);
    if (!header && !cookie) continue;
    auto fleet = fleetOf(client, r.forward.front().targetGroupArn);
    if (!fleet) return std::unexpected(fleet.error());
    if (!out.pin) out.pin = Pinning{};
    out.pin->fleetId = *fleet;
    if (header) out.pin->header = r.headerName;
    if (cookie && !r.headerValues.empty()) {
      std::string v = r.headerValues.front();  // "*name=*"
      if (v.size() > 3 && v.front() == '*' && v.ends_with("=*")) out.pin->cookie = v.substr(1, v.size() - 3);
    }
  }
  return out;
}

Result<int64_t> AwsTrafficProvider::inflight(const EntrypointKey&, const std::string&) {
  return int64_t{0};  // not observable on an ALB; draining = deregistration delay
}

}  // namespace ramp::providers::aws
