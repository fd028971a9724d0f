#include "engine/CounterWindow.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace ramp::engine {

using nlohmann::json;

Result<CounterWindow::Counts> CounterWindow::Counts::of(const json& j) {
  try {
    Counts c;
    c.epoch = j.value("epoch", std::string());
    c.requests = j.at("requests").get<uint64_t>();
    c.errors = j.at("errors").get<uint64_t>();
    for (const auto& b : j.at("bounds")) {
      c.bounds.push_back(b.is_number() ? b.get<double>() : std::numeric_limits<double>::infinity());
    }
    c.counts = j.at("counts").get<std::vector<uint64_t>>();
    if (c.counts.size() != c.bounds.size()) return invalid("bounds and counts differ in length", "counts");
    return c;
  } catch (const std::exception& e) {
    return invalid(std::string("bad metrics snapshot: ") + e.what(), "snapshot");
  }
}

json CounterWindow::Counts::toJson() const {
  json b = json::array();
  for (double x : bounds) b.push_back(std::isfinite(x) ? json(x) : json("+Inf"));
  json j{{"requests", requests}, {"errors", errors}, {"bounds", b}, {"counts", counts}};
  if (!epoch.empty()) j["epoch"] = epoch;
  return j;
}

bool CounterWindow::Counts::anyBelow(const Counts& before) const {
  if (requests < before.requests || errors < before.errors) return true;
  if (bounds != before.bounds) return false;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] < before.counts[i]) return true;
  }
  return false;
}

Result<CounterWindow> CounterWindow::startAt(const json& start) {
  auto c = Counts::of(start);
  if (!c) return std::unexpected(c.error());
  CounterWindow w;
  w.base_ = *c;
  w.last_ = *c;
  w.carried_.bounds = c->bounds;
  w.carried_.counts.assign(c->counts.size(), 0);
  return w;
}

Result<CounterWindow> CounterWindow::fromJson(const json& j) {
  if (!j.is_object()) return invalid("a counter window must be an object", "window");
  if (!j.contains("base")) return startAt(j);  // an old record: the start snapshot itself
  CounterWindow w;
  auto base = Counts::of(j["base"]);
  auto last = Counts::of(j.value("last", j["base"]));
  auto carried = Counts::of(j.value("carried", json::object()));
  if (!base) return std::unexpected(base.error());
  if (!last) return std::unexpected(last.error());
  if (!carried) return std::unexpected(carried.error());
  w.base_ = *base;
  w.last_ = *last;
  w.carried_ = *carried;
  w.restarts_ = j.value("restarts", 0);
  return w;
}

json CounterWindow::toJson() const {
  return {{"base", base_.toJson()}, {"last", last_.toJson()}, {"carried", carried_.toJson()}, {"restarts", restarts_}};
}

Result<CounterWindow::Look> CounterWindow::look(const json& snapshot) {
  auto now = Counts::of(snapshot);
  if (!now) return std::unexpected(now.error());
  Look out;
  const bool bothEpochs = !now->epoch.empty() && !last_.epoch.empty();
  bool restarted = bothEpochs && now->epoch != last_.epoch;
  if (!restarted && now->anyBelow(last_)) {
    if (bothEpochs) {
      return internal(fmt::format("counters went down under the same epoch {} ({} requests / {} errors after {} / {}): "
                                  "a data-plane bug, not a restart",
                                  now->epoch, now->requests, now->errors, last_.requests, last_.errors),
                      "counters_epoch");
    }
    restarted = true;  // no epoch to tell: counters that go down started again
  }
  if (restarted) {
    // What this run measured up to the last look is kept; the new run
    // counts from zero.
    Counts run;
    run.requests = last_.requests - std::min(last_.requests, base_.requests);
    run.errors = last_.errors - std::min(last_.errors, base_.errors);
    carried_.requests += run.requests;
    carried_.errors += run.errors;
    bool sameBounds = last_.bounds == base_.bounds && carried_.bounds == last_.bounds;
    if (sameBounds) {
      for (size_t i = 0; i < carried_.counts.size(); ++i) {
        carried_.counts[i] += last_.counts[i] - std::min(last_.counts[i], base_.counts[i]);
      }
    }
    out.restarted = true;
    out.restart = {{"from_epoch", last_.epoch},
                   {"to_epoch", now->epoch},
                   {"carried_requests", carried_.requests},
                   {"carried_errors", carried_.errors}};
    ++restarts_;
    base_ = Counts{};
    base_.epoch = now->epoch;
    base_.bounds = now->bounds;
    base_.counts.assign(now->counts.size(), 0);
  }
  if (carried_.bounds != now->bounds) {
    // Latency measured before a change of histogram bounds cannot be added.
    if (out.restarted) out.restart["latency_dropped"] = true;
    carried_.bounds = now->bounds;
    carried_.counts.assign(now->counts.size(), 0);
  }
  last_ = *now;
  uint64_t requests = carried_.requests + now->requests - std::min(now->requests, base_.requests);
  uint64_t errors = carried_.errors + now->errors - std::min(now->errors, base_.errors);
  std::vector<uint64_t> counts = carried_.counts;
  if (base_.bounds == now->bounds) {
    for (size_t i = 0; i < counts.size(); ++i) counts[i] += now->counts[i] - std::min(now->counts[i], base_.counts[i]);
  } else {
    for (size_t i = 0; i < counts.size(); ++i) counts[i] += now->counts[i];
  }
  out.measurements = analysis::Measurements::ofFleet(requests, errors, now->bounds, std::move(counts));
  return out;
}

}  // namespace ramp::engine
