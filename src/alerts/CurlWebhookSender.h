// CurlWebhookSender.h — WebhookSender over libcurl.
//
// http and https only, no redirects followed, no signals, the response body
// read and discarded (at most 64 KiB kept). Errors are curl's short
// descriptions, never the URL. Thread-safe (one easy handle per call).
#pragma once

#include "alerts/WebhookSender.h"

namespace ramp::alerts {

class CurlWebhookSender final : public WebhookSender {
 public:
  WebhookResponse post(const std::string& url,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body, std::chrono::milliseconds timeout) override;
};

}  // namespace ramp::alerts
