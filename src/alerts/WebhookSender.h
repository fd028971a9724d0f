// WebhookSender.h — one HTTP POST of a webhook, behind an interface.
//
// The notifier decides what to send, signs it and retries; a sender only
// makes one attempt within `timeout` and reports the HTTP status, or 0 and
// an error when no answer came. The error must not contain the URL (it may
// carry a resolved secret): senders describe the failure only.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace ramp::alerts {

struct WebhookResponse {
  int status = 0;        // HTTP status; 0 = no HTTP answer
  std::string error;     // why, when status is 0 (or a short note)
};

class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  virtual WebhookResponse post(const std::string& url,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               const std::string& body, std::chrono::milliseconds timeout) = 0;
};

}  // namespace ramp::alerts
