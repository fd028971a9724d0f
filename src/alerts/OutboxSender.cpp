#include "alerts/OutboxSender.h"

#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "alerts/AlertDelivery.h"
#include "alerts/Notifier.h"

namespace ramp::alerts {

using nlohmann::json;

OutboxSender::OutboxSender(store::Store& store, WebhookSender& sender, AlertPublisher* publisher, Clock& clock,
                           std::filesystem::path home, int64_t epoch, OutboxOptions options)
    : store_(store),
      sender_(sender),
      publisher_(publisher),
      clock_(clock),
      home_(std::move(home)),
      epoch_(epoch),
      options_(options) {
  options_.maxAttempts = std::clamp(options_.maxAttempts, 1, 20);
  options_.batch = std::clamp(options_.batch, 1, 1000);
  if (options_.poll.count() <= 0) options_.poll = std::chrono::milliseconds(250);
}

OutboxSender::~OutboxSender() { stop(); }

void OutboxSender::setActGate(std::function<Status()> gate) { gate_ = std::move(gate); }

Result<int> OutboxSender::sendDue() {
  if (gate_ && !gate_()) return 0;
  const int64_t now = toUnixMillis(clock_.now());
  // Claimed long enough for the whole batch at its worst (every attempt
  // timing out), so no other sender of this epoch takes a row meanwhile.
  const int64_t claimUntil = now + options_.batch * options_.timeout.count() + 5000;
  auto due = store_.claimDueAlerts(now, claimUntil, epoch_, options_.batch);
  if (!due) return std::unexpected(due.error());
  int settled = 0;
  for (const auto& a : *due) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;  // the rest stay claimed by this epoch: the next leader resends them
    }
    store::AuditFilter f;
    f.afterSeq = a.eventSeq - 1;
    f.limit = 1;
    auto events = store_.listEvents(f);
    if (!events) return std::unexpected(events.error());
    store::AlertAttempt outcome;
    json data{{"event", a.name}};
    data.update(AlertDelivery::whereOf(a.destination));
    data["trigger_seq"] = a.eventSeq;
    std::optional<store::AuditEventInput> record;
    store::AuditEventInput in;
    in.actor = "ramp";
    if (events->empty() || events->front().seq != a.eventSeq) {
      outcome.outcome = store::AlertAttempt::Outcome::kFailed;
      outcome.error = fmt::format("its audit event {} is not in the log", a.eventSeq);
      data["attempts"] = a.attempts;
      data["error"] = outcome.error;
    } else {
      const auto& e = events->front();
      in.service = e.service;
      in.env = e.env;
      in.deploymentId = e.deploymentId;
      DeploymentEvent ev = Notifier::describe(e, a.name);
      DeliveryAttempt at = AlertDelivery::attempt(ev, a.destination, static_cast<size_t>(a.index), sender_, publisher_,
                                                  home_, toUnixMillis(clock_.now()) / 1000, options_.timeout);
      const int attempts = a.attempts + (at.tried ? 1 : 0);
      data["attempts"] = attempts;
      if (at.where.contains("webhook")) data["status"] = at.status ? json(*at.status) : json(nullptr);
      if (at.sent) {
        outcome.outcome = store::AlertAttempt::Outcome::kSent;
        if (!at.where.contains("webhook")) data["message_id"] = at.messageId;
      } else if (at.retryable && attempts < options_.maxAttempts) {
        outcome.outcome = store::AlertAttempt::Outcome::kRetry;
        auto wait = options_.baseBackoff * (int64_t{1} << std::min(attempts - 1, 20));
        wait = std::min(wait, options_.maxBackoff);
        outcome.retryAt = toUnixMillis(clock_.now()) + wait.count();
        outcome.error = at.error;
      } else {
        outcome.outcome = store::AlertAttempt::Outcome::kFailed;
        outcome.error = at.error;
        data["error"] = at.error;
      }
    }
    outcome.at = toUnixMillis(clock_.now());
    if (outcome.outcome != store::AlertAttempt::Outcome::kRetry) {
      in.time = outcome.at;
      in.kind = outcome.outcome == store::AlertAttempt::Outcome::kSent ? "notification.sent" : "notification.failed";
      in.data = data;
      record = in;
    }
    auto s = store_.settleAlert(a.id, outcome, record);
    if (!s) return std::unexpected(s.error());
    if (*s) ++settled;
  }
  return settled;
}

void OutboxSender::start() {
  std::lock_guard lock(mu_);
  if (worker_.joinable() || stopping_) return;
  worker_ = std::thread([this] {
    std::string lastError;
    // Bounded: each round claims at most `batch` rows; it ends on stop().
    for (;;) {
      auto r = sendDue();
      if (!r) {
        if (r.error().describe() != lastError) std::cerr << "ramp: alerts: " << r.error().describe() << std::endl;
        lastError = r.error().describe();
      } else {
        lastError.clear();
      }
      std::unique_lock lock(mu_);
      // Straight on when a full batch was settled (more may be due).
      if (r && *r >= options_.batch) {
        if (stopping_) break;
        continue;
      }
      if (cv_.wait_for(lock, options_.poll, [&] { return stopping_; })) break;
    }
  });
}

void OutboxSender::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace ramp::alerts
