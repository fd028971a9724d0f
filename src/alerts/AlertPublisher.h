// AlertPublisher.h — one publish of an alert to a message topic (SNS), behind
// an interface.
//
// The notifier (WebhookNotifier) decides what to send and retries; a
// publisher makes one attempt, bounded by `timeout`, and says whether the
// message was accepted (with the topic's message id), or why not and
// whether trying again could help (throttling, no answer: yes; a topic that
// does not exist or access denied: no). Errors describe the failure only:
// never credentials or signatures. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <string>

namespace ramp::alerts {

struct PublishOutcome {
  bool delivered = false;
  std::string messageId;   // when delivered
  std::string error;       // when not
  bool retryable = true;   // when not delivered: may a later attempt succeed?
};

class AlertPublisher {
 public:
  virtual ~AlertPublisher() = default;
  // `subject`: at most 100 printable ASCII characters (SNS's limit).
  virtual PublishOutcome publish(const std::string& topicArn, const std::string& subject, const std::string& message,
                                 std::chrono::milliseconds timeout) = 0;
};

}  // namespace ramp::alerts
