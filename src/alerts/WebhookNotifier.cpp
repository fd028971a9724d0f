#include "alerts/WebhookNotifier.h"

#include <algorithm>
#include <iostream>

#include "alerts/AlertDelivery.h"

namespace ramp::alerts {

using nlohmann::json;

WebhookNotifier::WebhookNotifier(store::Store& store, WebhookSender& sender, Clock& clock,
                                 std::filesystem::path home, WebhookOptions options, AlertPublisher* publisher)
    : store_(store), sender_(sender), publisher_(publisher), clock_(clock), home_(std::move(home)), options_(options) {
  options_.maxAttempts = std::clamp(options_.maxAttempts, 1, 20);
  options_.queueLimit = std::max<size_t>(1, options_.queueLimit);
  worker_ = std::thread([this] { run(); });
}

WebhookNotifier::~WebhookNotifier() { stop(); }

json WebhookNotifier::body(const DeploymentEvent& event, int64_t timestamp) {
  return AlertDelivery::body(event, timestamp);
}

std::string WebhookNotifier::subject(const DeploymentEvent& event) { return AlertDelivery::subject(event); }

void WebhookNotifier::notify(const DeploymentEvent& event) {
  if (event.alerts.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < options_.queueLimit) {
      queue_.push_back(event);
      cv_.notify_all();
      return;
    }
  }
  for (size_t i = 0; i < event.alerts.size(); ++i) {
    json data{{"event", event.event}};
    data.update(AlertDelivery::whereOf(event.alerts[i]));
    data["attempts"] = 0;
    if (data.contains("webhook")) data["status"] = nullptr;
    data["error"] = "not sent: the notification queue is full or ramp is stopping";
    data["trigger_seq"] = event.seq;
    record(event, false, data);
  }
}

void WebhookNotifier::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !worker_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool WebhookNotifier::waitIdle(std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return idleCv_.wait_for(lock, limit, [&] { return queue_.empty() && !busy_; });
}

void WebhookNotifier::run() {
  // Bounded: each round takes one event off a bounded queue; it ends on stop.
  for (;;) {
    DeploymentEvent event;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping and nothing left
      event = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    deliver(event);
    {
      std::lock_guard lock(mu_);
      busy_ = false;
      if (queue_.empty()) idleCv_.notify_all();
    }
  }
  std::lock_guard lock(mu_);
  idleCv_.notify_all();
}

bool WebhookNotifier::backoff(int attempt) {
  auto wait = options_.baseBackoff * (int64_t{1} << std::min(attempt - 1, 20));
  wait = std::min(wait, options_.maxBackoff);
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, wait, [&] { return stopping_; });
}

void WebhookNotifier::deliver(const DeploymentEvent& event) {
  for (size_t i = 0; i < event.alerts.size(); ++i) {
    DeliveryAttempt last;
    int attempts = 0;
    bool stopped = false;
    for (int attempt = 1; attempt <= options_.maxAttempts; ++attempt) {
      attempts = attempt;
      last = AlertDelivery::attempt(event, event.alerts[i], i, sender_, publisher_, home_,
                                    toUnixMillis(clock_.now()) / 1000, options_.timeout);
      if (last.sent || !last.retryable || attempt == options_.maxAttempts) break;
      if (!backoff(attempt)) {
        stopped = true;
        break;
      }
    }
    if (!last.tried) attempts = 0;
    json data{{"event", event.event}};
    data.update(last.where);
    data["attempts"] = attempts;
    data["trigger_seq"] = event.seq;
    const bool webhook = last.where.contains("webhook");
    if (webhook) data["status"] = last.status ? json(*last.status) : json(nullptr);
    if (last.sent) {
      if (!webhook) data["message_id"] = last.messageId;
      record(event, true, data);
      continue;
    }
    data["error"] = last.error + (stopped ? " (ramp stopped before the next attempt)" : "");
    record(event, false, data);
  }
}

void WebhookNotifier::record(const DeploymentEvent& event, bool sent, const json& data) {
  store::AuditEventInput in;
  in.time = toUnixMillis(clock_.now());
  in.actor = "ramp";
  in.kind = sent ? "notification.sent" : "notification.failed";
  in.service = event.service;
  in.env = event.env;
  in.deploymentId = event.deploymentId;
  in.data = data;
  if (auto r = store_.appendEvent(in); !r) {
    std::cerr << "ramp: cannot record " << in.kind << ": " << r.error().describe() << std::endl;
  }
}

}  // namespace ramp::alerts
