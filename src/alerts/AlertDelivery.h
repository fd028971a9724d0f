// AlertDelivery.h — one attempt to deliver one alert to one destination: the
// message people get (body, subject) and how it is signed and sent. Used by
// OutboxSender (the controller's sender of the store's outbox) and by
// WebhookNotifier (in-memory queue, for embedding and tests); each adds its
// own retry policy around attempt().
//
// A webhook destination {"webhook": URL, "secret": REF} gets a POST of
// body() with headers
//   Content-Type: application/json
//   X-Ramp-Event: <event>            X-Ramp-Delivery: <seq>-<destination index>
//   X-Ramp-Timestamp: <unix seconds> (also "timestamp" inside the body)
//   X-Ramp-Signature: sha256=<hex HMAC-SHA256(resolved secret, body bytes)>
//                     (only when the destination has a secret)
// with references in the URL and secret (${secret:NAME}, ${env:NAME})
// resolved at send time (config::expandReferences with `home`). A 2xx is
// sent; transport failures, 408, 429 and 5xx are retryable; any other status
// or an unresolvable reference is final. The receiver deduplicates by
// X-Ramp-Delivery (the same for every attempt, from any controller).
// A destination {"sns": ARN} is published through the AlertPublisher
// (subject(), the same JSON body); none: final failure "no SNS publisher".
// No resolved secret or URL ever reaches `error` or `where` (the URL is shown
// as configured, without query string or user info).
//
// Thread-safety: attempt() is as thread-safe as the sender and publisher.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "alerts/AlertPublisher.h"
#include "alerts/DeploymentEvent.h"
#include "alerts/WebhookSender.h"

namespace ramp::alerts {

struct DeliveryAttempt {
  bool sent = false;
  bool tried = true;                // false: nothing was sent (a reference that does not resolve, no publisher)
  bool retryable = false;           // not sent, and a later attempt may succeed
  std::optional<int> status;        // webhook: the HTTP status, when there was one
  std::string messageId;            // sns: when sent
  std::string error;                // not sent: why (no secrets)
  nlohmann::json where = nlohmann::json::object();  // {"webhook": shown URL} | {"sns": ARN}
};

struct AlertDelivery {
  // One attempt for destination `index` of `event` (`destination` is that
  // entry, as configured), bounded by `timeout`; `nowSeconds` stamps it.
  static DeliveryAttempt attempt(const DeploymentEvent& event, const nlohmann::json& destination, size_t index,
                                 WebhookSender& sender, AlertPublisher* publisher, const std::filesystem::path& home,
                                 int64_t nowSeconds, std::chrono::milliseconds timeout);
  // The JSON body for one event (`timestamp` in Unix seconds).
  static nlohmann::json body(const DeploymentEvent& event, int64_t timestamp);
  // The SNS subject for one event: printable ASCII, at most 100 characters.
  static std::string subject(const DeploymentEvent& event);
  // {"webhook": shown URL} | {"sns": ARN} for a destination as configured.
  static nlohmann::json whereOf(const nlohmann::json& destination);
};

}  // namespace ramp::alerts
