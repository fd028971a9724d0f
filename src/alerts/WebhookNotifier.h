// WebhookNotifier.h — alerts as signed, retried webhooks, off the deployment path.
//
// notify() only enqueues (a bounded queue; when it is full the event is
// dropped and `notification.failed` recorded with error "queue full"); one
// worker thread delivers. For every destination in event.alerts it POSTs a
// Slack-compatible JSON body (body()) to the webhook URL, references in the
// URL and secret (${secret:NAME}, ${env:NAME}) resolved with
// config::expandReferences(value, home) at send time, with headers
//
//   Content-Type: application/json
//   X-Ramp-Event: <event>            X-Ramp-Delivery: <seq>-<destination index>
//   X-Ramp-Timestamp: <unix seconds> (also "timestamp" inside the body)
//   X-Ramp-Signature: sha256=<hex HMAC-SHA256(resolved secret, body bytes)>
//                     (only when the destination has a secret)
//
// An attempt succeeds on a 2xx. Transport failures, 408, 429 and 5xx are
// retried up to maxAttempts with exponential backoff (base, 2*base, ...,
// capped at maxBackoff), each attempt bounded by `timeout`; any other status
// ends at once. Every outcome is an audit event (actor "ramp", the
// deployment's service/env/id):
//   notification.sent   {event, webhook, attempts, status, trigger_seq}
//   notification.failed {event, webhook, attempts, status, error, trigger_seq}
// `webhook` is the URL as configured (references unresolved) without its
// query string; no resolved secret or URL ever reaches the audit or an error.
//
// A destination {"sns": "<topic ARN>"} is published through the
// AlertPublisher instead (same queue, same retry/backoff, same audit events
// with `sns: <arn>` in place of `webhook`, `message_id` when sent, no
// `status`): the message is the same JSON body, the subject a short ASCII
// line (subject(), <= 100 characters). An attempt that fails with
// retryable=false ends at once. Without a publisher (nullptr) every sns
// destination is recorded as notification.failed "no SNS publisher".
// Nothing here can fail or block a deployment: notify() never waits and
// recording problems are only logged to stderr.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "alerts/AlertPublisher.h"
#include "alerts/Notifier.h"
#include "alerts/WebhookSender.h"
#include "store/Store.h"

namespace ramp::alerts {

struct WebhookOptions {
  int maxAttempts = 5;
  std::chrono::milliseconds baseBackoff{500};
  std::chrono::milliseconds maxBackoff{8000};
  std::chrono::milliseconds timeout{5000};   // per attempt
  size_t queueLimit = 256;                   // events waiting
};

class WebhookNotifier final : public Notifier {
 public:
  WebhookNotifier(store::Store& store, WebhookSender& sender, Clock& clock, std::filesystem::path home,
                  WebhookOptions options = {}, AlertPublisher* publisher = nullptr);
  ~WebhookNotifier() override;  // stop()
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  void notify(const DeploymentEvent& event) override;

  // Stops the worker: an attempt in flight finishes (bounded by `timeout`),
  // backoff waits end at once, and every undelivered event is recorded as
  // notification.failed ("ramp stopped before delivery"). Idempotent.
  void stop();
  // Waits (at most `limit`) until nothing is queued or in flight; true if idle.
  bool waitIdle(std::chrono::milliseconds limit);

  // The JSON body for one event (`timestamp` in Unix seconds).
  static nlohmann::json body(const DeploymentEvent& event, int64_t timestamp);
  // The SNS subject for one event: printable ASCII, at most 100 characters.
  static std::string subject(const DeploymentEvent& event);

 private:
  void run();
  void deliver(const DeploymentEvent& event);
  // Waits the backoff after `attempt`; false when stopping ended the wait.
  bool backoff(int attempt);
  void record(const DeploymentEvent& event, bool sent, const nlohmann::json& data);

  store::Store& store_;
  WebhookSender& sender_;
  AlertPublisher* publisher_;
  Clock& clock_;
  std::filesystem::path home_;
  WebhookOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;       // work arrived, or stopping
  std::condition_variable idleCv_;   // queue drained
  std::deque<DeploymentEvent> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace ramp::alerts
